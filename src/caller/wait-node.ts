/**
 * `router.waitForNode(node, { timeoutMs, signal })`: resolves when `node` is
 * reachable (at once when it is), rejects with `CtpTimeoutError`
 * (`ERR_CTP_TIMEOUT`) after `timeoutMs`, with the signal's reason when it
 * aborts, or with `CtpClosedError` when the router closes. Event-driven: the
 * router looks at the waiters after each table change; timers are on the
 * clock seam.
 */
import { checkNode } from '../base/checks.js';
import { MAX_TIMER_MS, type CtpTimerHandle, type CtpTimers } from '../base/clock.js';
import { argumentError, CtpClosedError, CtpTimeoutError } from '../base/errors.js';

/** Options of `router.waitForNode`. */
export interface CtpWaitForNodeOptions {
  /** Reject with `CtpTimeoutError` after this long. @default no limit (until reachable, aborted or closed) */
  timeoutMs?: number;
  /** Reject with the signal's reason when it aborts. */
  signal?: AbortSignal;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** The `waitForNode` waiters of one router, by node. */
export class CtpNodeWaits {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    private readonly timers: CtpTimers,
    /** Where reachability is known (the link-state table). */
    private readonly names: { isReachableName(name: string): boolean },
  ) {}

  /** Wait for `node` (arguments checked synchronously: `CtpArgumentError`). */
  wait(node: string, opts: CtpWaitForNodeOptions | undefined): Promise<void> {
    checkNode(node);
    if (opts !== undefined && (typeof opts !== 'object' || opts === null))
      throw argumentError('opts', 'an object', opts);
    const { timeoutMs, signal } = opts ?? {};
    if (
      timeoutMs !== undefined &&
      (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs > MAX_TIMER_MS)
    )
      throw argumentError('opts.timeoutMs', 'a number of milliseconds', timeoutMs);
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw argumentError('opts.signal', 'an AbortSignal', signal);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.names.isReachableName(node)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: CtpTimerHandle | undefined;
      const done = (): void => {
        timer = this.timers.clear(timer);
        signal?.removeEventListener('abort', onAbort);
        const set = this.waiters.get(node);
        set?.delete(w);
        if (set?.size === 0) this.waiters.delete(node);
      };
      const w: Waiter = {
        resolve: () => (done(), resolve()),
        reject: (err) => (done(), reject(err)),
      };
      const onAbort = (): void => w.reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined)
        timer = this.timers.set(
          () =>
            w.reject(
              new CtpTimeoutError(
                `node ${JSON.stringify(node)} not reachable within ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
      let set = this.waiters.get(node);
      if (set === undefined) this.waiters.set(node, (set = new Set()));
      set.add(w);
    });
  }

  /** The table changed: resolve the waiters of nodes now reachable. */
  check(): void {
    if (this.waiters.size === 0) return;
    for (const [node, set] of [...this.waiters])
      if (this.names.isReachableName(node)) for (const w of [...set]) w.resolve();
  }

  /** The router closes: every waiter rejects with `CtpClosedError`. */
  close(): void {
    for (const set of [...this.waiters.values()])
      for (const w of [...set]) w.reject(new CtpClosedError());
    this.timers.clearAll();
  }
}
