/**
 * `--metrics HOST:PORT`: the option, its usage text and its parsing, light
 * enough for every command's start-up; the endpoint itself (metrics.ts,
 * prom-client, an HTTP server) is imported only when the flag is given.
 */
import { parseAddress, type TcpAddress } from '../tcp/address.js';
import { UsageError, type OptionSpec } from './args.js';
import type { CliOutput } from './output.js';
import type { Session } from './session.js';

/** The option, for the commands that take it. */
export const METRICS_SPEC: Record<'metrics', OptionSpec> = { metrics: { type: 'string' } };

/** The usage text of `--metrics`. */
export const METRICS_USAGE = `  --metrics HOST:PORT    serve /metrics (Prometheus text format) there; a bare PORT is
                         127.0.0.1:PORT (loopback unless told otherwise); port 0: any free port`;

/** `--metrics`: `HOST:PORT`, or a bare `PORT` on loopback; `undefined` when not given. */
export function metricsArg(value: unknown, command: string): TcpAddress | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const a = /^\d{1,5}$/.test(text)
    ? parseAddress(`127.0.0.1:${text}`, true)
    : parseAddress(text, true);
  if (a === undefined)
    throw new UsageError(
      `bad address for \`--metrics\`: \`${text}\` (expected HOST:PORT or PORT, e.g. 127.0.0.1:9464)`,
      command,
    );
  return a;
}

/** A running `/metrics` endpoint (metrics.ts `CliMetrics`). */
export interface CliMetricsEndpoint {
  close(): Promise<void>;
}

/** Serve the session's metrics on `at` (importing metrics.ts now); `undefined` when it cannot. */
export async function startMetrics(
  at: TcpAddress,
  session: Session,
  out: CliOutput,
): Promise<CliMetricsEndpoint | undefined> {
  const { CliMetrics } = await import('./metrics.js');
  return CliMetrics.start(at, session, out);
}
