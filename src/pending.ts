/**
 * The pending-response map keyed by node (SPEC.md section 5): one request in
 * flight per node, `id`/`re` correlation, timeouts (p-timeout), AbortSignal,
 * and the opt-in `queue` (async-mutex). No protocol knowledge beyond that.
 */
import { Mutex, type MutexInterface } from 'async-mutex';
import createDebug from 'debug';
import pTimeout from 'p-timeout';
import { ReturnCode, type CtpResult } from './messages.js';

const debug = createDebug('ctp:pending');

/** One request waiting for its RESPONSE. */
export interface CtpPendingEntry {
  /** The request's frame id; a RESPONSE must carry it as `re`. */
  readonly id: number;
  readonly node: string;
  /** What the request is (`register`, `command`, …), for events and logs. */
  readonly op: string;
  /** The router the request was addressed to. */
  readonly to: string;
  resolve(result: CtpResult): void;
}

/** How a slot acquisition ended when it did not get the slot. */
export type CtpSlotRefusal = CtpResult & { timedOut?: boolean };

export interface CtpSlotOptions {
  queue?: boolean;
  signal?: AbortSignal;
  /** Absolute time (ms, `Date.now()` clock) by which the whole request must end. */
  deadline: number;
}

const CLOSED: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'closed' });

/** Per-node slots and in-flight entries. */
export class CtpPendingMap {
  private readonly slots = new Map<string, Mutex>();
  private readonly inflight = new Map<string, CtpPendingEntry>();
  private readonly closing = new AbortController();

  /** Number of requests waiting for a RESPONSE. */
  get size(): number {
    return this.inflight.size;
  }
  /** Is a request for `node` in flight (or holding its slot)? */
  busy(node: string): boolean {
    return this.slots.get(node)?.isLocked() ?? false;
  }
  get(node: string): CtpPendingEntry | undefined {
    return this.inflight.get(node);
  }
  entries(): IterableIterator<CtpPendingEntry> {
    return this.inflight.values();
  }

  /**
   * Take `node`'s slot. Without `queue`, a busy slot answers `IN_PROGRESS`;
   * with it, the caller waits its turn until the deadline (`TIMEOUT`). Rejects
   * with the signal's reason on abort.
   */
  async acquire(node: string, opts: CtpSlotOptions): Promise<MutexInterface.Releaser | CtpSlotRefusal> {
    if (this.closing.signal.aborted) return CLOSED;
    let mutex = this.slots.get(node);
    if (mutex === undefined) {
      mutex = new Mutex();
      this.slots.set(node, mutex);
    }
    if (mutex.isLocked() && opts.queue !== true) return { code: ReturnCode.IN_PROGRESS };
    const wrap = (release: MutexInterface.Releaser): MutexInterface.Releaser => {
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
        if (!m.isLocked() && this.slots.get(node) === m) this.slots.delete(node);
      };
    };
    const m = mutex;
    if (!m.isLocked()) {
      // Fast path: take it now, synchronously enough that a second caller in
      // the same tick sees the slot busy.
      const p = m.acquire();
      return wrap(await p);
    }
    const waiting = m.acquire();
    const remaining = opts.deadline - Date.now();
    const signal = opts.signal === undefined ? this.closing.signal : AbortSignal.any([opts.signal, this.closing.signal]);
    let timedOut = false;
    try {
      if (remaining <= 0) throw new Error('deadline');
      const release = await pTimeout(waiting, {
        milliseconds: remaining,
        signal,
        fallback: () => {
          timedOut = true;
          return undefined;
        },
      });
      if (release !== undefined) return wrap(release);
      timedOut = true;
    } catch (err) {
      if (this.closing.signal.aborted) return CLOSED;
      if (opts.signal?.aborted) {
        waiting.then((r) => wrap(r)());
        throw opts.signal.reason;
      }
      if (!timedOut && (err as Error).message !== 'deadline') throw err;
      timedOut = true;
    }
    // Gave up: hand the slot straight back when it finally comes.
    waiting.then((r) => wrap(r)(), () => undefined);
    debug('queued request for %s timed out waiting for its turn', node);
    return { code: ReturnCode.TIMEOUT, timedOut: true };
  }

  /**
   * Wait for the RESPONSE to request `id` for `node`. Resolves with the
   * response's result, `TIMEOUT` after `ms`, whatever `settle`/`fail` give it;
   * rejects with the signal's reason on abort. The entry is removed in every case.
   */
  async wait(
    entry: Omit<CtpPendingEntry, 'resolve'>,
    ms: number,
    signal: AbortSignal | undefined,
    onRegistered?: () => void,
  ): Promise<CtpResult & { timedOut?: boolean }> {
    let resolve!: (r: CtpResult) => void;
    const answered = new Promise<CtpResult>((r) => {
      resolve = r;
    });
    const full: CtpPendingEntry = { ...entry, resolve };
    this.inflight.set(entry.node, full);
    try {
      onRegistered?.();
      if (ms <= 0) {
        // The entry may already have been settled by a synchronous answer.
        const early = await Promise.race([answered, Promise.resolve(undefined)]);
        return early ?? { code: ReturnCode.TIMEOUT, timedOut: true };
      }
      return await pTimeout<CtpResult & { timedOut?: boolean }>(answered, {
        milliseconds: ms,
        signal,
        fallback: () => ({ code: ReturnCode.TIMEOUT, timedOut: true }),
      });
    } finally {
      if (this.inflight.get(entry.node) === full) this.inflight.delete(entry.node);
    }
  }

  /** Resolve `node`'s request when `re` is its id; false when nothing matched (stale). */
  settle(node: string, re: number | undefined, result: CtpResult): boolean {
    const e = this.inflight.get(node);
    if (e === undefined || re === undefined || e.id !== re) return false;
    this.inflight.delete(node);
    e.resolve(result);
    return true;
  }

  /** Resolve every in-flight request that `pred` selects with `result`. */
  failWhere(pred: (e: CtpPendingEntry) => boolean, result: CtpResult): number {
    let n = 0;
    for (const e of [...this.inflight.values()]) {
      if (!pred(e)) continue;
      this.inflight.delete(e.node);
      e.resolve(result);
      n++;
    }
    return n;
  }

  /** Resolve everything with `ERROR` (reason `closed`), queued requests included. */
  close(): void {
    this.closing.abort();
    this.failWhere(() => true, CLOSED);
  }
}
