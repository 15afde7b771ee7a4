/**
 * `router.drain({ timeoutMs })`: a graceful shutdown in one call. It ends
 * every registration this router holds (persistent ones are not renewed),
 * waits for the requests in flight — this router's own, and those its
 * handlers are answering — to finish, then closes the router. Whatever is
 * still open when `timeoutMs` runs out is ended by `close()` (pending
 * requests resolve `ERROR` reason `closed`). A transport attached with
 * `closeWith: true` closes with the router.
 */
import createDebug from 'debug';
import { MAX_TIMER_MS, type CtpTimers } from './base/clock.js';
import { argumentError } from './base/errors.js';
import type { CtpResult } from './base/messages.js';
import type { CtpRegistrationType } from './base/names.js';

const debug = createDebug('ctp:drain');

/** How long `drain` waits by default. */
export const DEFAULT_DRAIN_MS = 5_000;
/** How often `drain` looks whether the requests in flight are done. */
const POLL_MS = 10;

/** Options of `router.drain`. */
export interface CtpDrainOptions {
  /** The longest the unregisters and the requests in flight may take before `close()`. @default 5000 */
  timeoutMs?: number;
}

/** What `drain` needs of the router. */
export interface CtpDrainHost {
  /** The registrations this router holds. */
  registrations(): readonly { node: string; type: CtpRegistrationType }[];
  /** Stop renewing persistent registrations. */
  stopPersistent(): void;
  unregister(
    node: string,
    type: CtpRegistrationType,
    opts: { timeoutMs: number; queue: boolean },
  ): Promise<CtpResult>;
  /** Requests in flight (own ones and those handlers are answering). */
  busy(): boolean;
  close(): Promise<void>;
}

/** Check `drain`'s options; the time budget in ms. */
export function drainTimeout(opts: CtpDrainOptions | undefined): number {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null))
    throw argumentError('opts', 'an object', opts);
  const t = opts?.timeoutMs ?? DEFAULT_DRAIN_MS;
  if (typeof t !== 'number' || !(t >= 0) || t > MAX_TIMER_MS)
    throw argumentError('opts.timeoutMs', 'a number of milliseconds', t);
  return t;
}

/** Unregister everything, wait for what is in flight (at most `timeoutMs`), close. */
export async function drain(
  host: CtpDrainHost,
  timers: CtpTimers,
  timeoutMs: number,
): Promise<void> {
  const deadline = timers.now() + timeoutMs;
  host.stopPersistent();
  const regs = host.registrations();
  debug('draining: %d registrations', regs.length);
  if (timeoutMs >= 1)
    await Promise.all(
      regs.map((r) =>
        host.unregister(r.node, r.type, { timeoutMs, queue: true }).catch(() => undefined),
      ),
    );
  for (let i = 0; host.busy() && timers.now() < deadline && i <= timeoutMs / POLL_MS + 1; i++)
    await new Promise<void>((resolve) =>
      timers.set(resolve, Math.min(POLL_MS, deadline - timers.now())),
    );
  debug('drained (%s)', host.busy() ? 'timed out' : 'idle');
  await host.close();
}
