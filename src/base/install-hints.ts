/**
 * Install hints for optional peer dependencies, in one place: ctp-router/nats
 * and the CLI's `--nats` say the same thing (and the CLI loads no NATS code
 * to say it).
 */

/** What ctp-router/nats needs and how to install it. */
export const NATS_CLIENT_HINT =
  'needs the package @nats-io/transport-node (npm install @nats-io/transport-node)';

/** The first line of an error's message (a `require` failure lists its require stack below). */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;
}
