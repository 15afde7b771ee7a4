/**
 * The NATS client, `@nats-io/transport-node`: an optional peer dependency,
 * loaded when ctp-router/nats is. Without it, importing (or requiring)
 * ctp-router/nats fails with the install hint the CLI's `--nats` gives too.
 * Loaded with `require` (the client is CommonJS): a static import of a
 * missing package cannot be caught, and a top-level await would keep
 * `require('ctp-router/nats')` from working.
 */
import { createRequire } from 'node:module';
import type * as Nats from '@nats-io/transport-node';

/** What ctp-router/nats needs and how to install it (ctp-router/nats and the CLI's `--nats` say it). */
export const NATS_CLIENT_HINT = 'needs the package @nats-io/transport-node (npm install @nats-io/transport-node)';

/** The first line of an error's message (a `require` failure lists its require stack below). */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] as string;
}

/** The client module; throws an `Error` with `NATS_CLIENT_HINT` (the `cause`: the loader's error) when it, or a package it needs, is not installed. */
export function loadNatsClient(): typeof Nats {
  try {
    return createRequire(import.meta.url)('@nats-io/transport-node') as typeof Nats;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error(`ctp-router/nats ${NATS_CLIENT_HINT}: ${firstLine(err)}`, { cause: err });
  }
}
