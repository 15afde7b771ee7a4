/**
 * The pending-response map keyed by node (PROTOCOL.md section 5): one request in
 * flight per node, `id`/`re` correlation, timeouts, AbortSignal, and the
 * opt-in `queue`. No protocol knowledge beyond that. The uncontended path,
 * taken by every request, is a Map entry and one shared timer; async-mutex
 * and p-timeout serve the queued (contended) path only: on the hot path they
 * cost more than the router itself (see BENCHMARKS.md).
 */
import { Mutex, type MutexInterface } from 'async-mutex';
import createDebug from 'debug';
import pTimeout from 'p-timeout';
import { systemClock, type CtpClock } from '../base/clock.js';
import { CtpDeadlineSweep } from './deadline-sweep.js';
import { ReturnCode, type CtpResult } from '../base/messages.js';
import {
  CtpPendingRequest,
  type CtpPendingEntry,
  type CtpRequestMap,
  type CtpSlotHold,
} from './pending-request.js';

export { CtpPendingRequest, type CtpPendingEntry, type CtpSlotHold } from './pending-request.js';

const debug = createDebug('ctp:pending');

/** How a slot acquisition ended when it did not get the slot. */
export type CtpSlotRefusal = CtpResult & { timedOut?: boolean };

export interface CtpSlotOptions {
  signal?: AbortSignal;
  /** Absolute time (ms, the map's clock) by which the whole request must end. */
  deadline: number;
}

const CLOSED: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'closed' });

/** Releases a node's slot; calling it again does nothing. */
export type CtpSlotReleaser = () => void;

/**
 * Per-node slots and in-flight entries. A request (pending-request.ts) is
 * both: the node's slot is held by the request object itself, which is also
 * its in-flight entry and its deadline.
 */
export class CtpPendingMap implements CtpRequestMap {
  private readonly slots = new Map<string, CtpPendingRequest>();
  private readonly inflight = new Map<string, CtpPendingRequest>();
  private readonly closing = new AbortController();
  /** `closing.signal.aborted`, as a plain field (read by every request). */
  private closed = false;
  // One timer for every request's timeout instead of one per request (deadline-sweep.ts).
  private readonly deadlines: CtpDeadlineSweep;
  // p-timeout's timers on the queued path come from the same clock.
  private readonly customTimers: {
    setTimeout: typeof setTimeout;
    clearTimeout: typeof clearTimeout;
  };

  /** `clock`: where `now` and the one sweep timer come from (the router's clock seam). */
  constructor(readonly clock: CtpClock = systemClock) {
    this.deadlines = new CtpDeadlineSweep(clock);
    this.customTimers = {
      setTimeout: ((fn: () => void, ms: number) =>
        clock.setTimeout(fn, ms)) as unknown as typeof setTimeout,
      clearTimeout: ((h: unknown) => {
        if (h !== undefined) clock.clearTimeout(h);
      }) as typeof clearTimeout,
    };
  }

  /** Number of requests waiting for a RESPONSE. */
  get size(): number {
    return this.inflight.size;
  }
  /** Is a request for `node` in flight (or holding its slot)? */
  busy(node: string): boolean {
    return this.slots.has(node);
  }

  /** Take `node`'s slot now when it is free; `undefined` when busy or closed. */
  tryAcquire(node: string): CtpSlotReleaser | undefined {
    const s = new CtpPendingRequest(node, 'slot');
    return this.hold(s) ? () => s.release() : undefined;
  }

  /** `tryAcquire` for a request, which holds the slot itself (the hot path: no object, no closure); false when busy or closed. */
  hold(r: CtpPendingRequest): boolean {
    if (this.closed || this.slots.has(r.node)) return false;
    r.map = this;
    this.slots.set(r.node, r);
    return true;
  }

  /** @internal `r` released the slot it held from `hold`. */
  freeSlot(r: CtpPendingRequest): void {
    if (r.held !== undefined) {
      // Queued takers wait on the slot's mutex: hand it over to the next in line.
      void r.held.then((release) => release());
      r.held = undefined;
    } else if (this.slots.get(r.node) === r) this.slots.delete(r.node);
  }

  /**
   * Take `node`'s slot, waiting its turn (first come, first served) while it
   * is busy (`queue: true`), until the deadline (`TIMEOUT`). Rejects with the
   * signal's reason on abort. A free slot is taken at once.
   */
  acquire(node: string, opts: CtpSlotOptions): Promise<CtpSlotReleaser | CtpSlotRefusal> {
    if (this.closing.signal.aborted) return Promise.resolve(CLOSED);
    const slot = this.slots.get(node);
    if (slot === undefined) return Promise.resolve(this.tryAcquire(node) as CtpSlotReleaser);
    return this.queueFor(node, slot, opts);
  }

  /**
   * The contended path (`queue: true` on a busy node): async-mutex keeps the
   * takers in order, p-timeout bounds the wait by the request's deadline and
   * honours its signal. The uncontended path above needs neither (p-timeout
   * builds an Error with a stack per call: ~20 µs, BENCHMARKS.md).
   */
  private async queueFor(
    node: string,
    slot: CtpPendingRequest,
    opts: CtpSlotOptions,
  ): Promise<CtpSlotReleaser | CtpSlotRefusal> {
    const { signal } = opts;
    if (signal?.aborted) throw signal.reason;
    if (slot.mutex === undefined) {
      // First contention: the mutex is taken on behalf of the current holder,
      // whose release hands it over.
      slot.mutex = new Mutex();
      slot.held = slot.mutex.acquire();
    }
    const mutex = slot.mutex;
    const remaining = opts.deadline - this.clock.now();
    if (remaining <= 0) return { code: ReturnCode.TIMEOUT, timedOut: true };
    const turn = mutex.acquire();
    let release: MutexInterface.Releaser | undefined;
    try {
      release = await pTimeout(turn, {
        milliseconds: remaining,
        customTimers: this.customTimers,
        signal:
          signal === undefined
            ? this.closing.signal
            : AbortSignal.any([signal, this.closing.signal]),
        fallback: () => undefined as unknown as MutexInterface.Releaser,
      });
    } catch (err) {
      // Aborted (or closed) while waiting: pass the turn on when it comes.
      void turn.then((r) => this.handOver(node, slot, r));
      if (this.closing.signal.aborted) return CLOSED;
      throw err;
    }
    if (release === undefined) {
      void turn.then((r) => this.handOver(node, slot, r));
      debug('queued request for %s timed out waiting for its turn', node);
      return { code: ReturnCode.TIMEOUT, timedOut: true };
    }
    if (this.closing.signal.aborted) {
      this.handOver(node, slot, release);
      return CLOSED;
    }
    const r = release;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.handOver(node, slot, r);
    };
  }

  /** Release the slot's mutex; the slot is free when nobody else waits for it. */
  private handOver(node: string, slot: CtpPendingRequest, release: MutexInterface.Releaser): void {
    release();
    if (slot.mutex !== undefined && !slot.mutex.isLocked() && this.slots.get(node) === slot)
      this.slots.delete(node);
  }

  /**
   * Wait for the RESPONSE to request `id` for `node`. Resolves with the
   * response's result, `TIMEOUT` after `ms`, whatever `settle`/`fail` give it;
   * rejects with the signal's reason on abort. The entry is removed in every
   * case. `onRegistered` runs once the entry is in place (it sends the request).
   */
  wait(
    entry: Omit<CtpPendingEntry, 'resolve'>,
    ms: number,
    signal: AbortSignal | undefined,
    onRegistered?: () => void,
  ): Promise<CtpResult & { timedOut?: boolean }> {
    const r = new CtpPendingRequest(entry.node, entry.op);
    r.id = entry.id;
    r.to = entry.to;
    return this.exchange(r, ms, signal, undefined, onRegistered);
  }

  /**
   * The request `r` (its `id` and `to` set) waits for its RESPONSE: it is
   * registered, sent (`onRegistered`, else `r.send()`), and its deadline
   * watched. `now`: the clock, read by the caller a moment ago (one read less
   * per request); `ms` counts from it. What the promise gives: `wait`.
   */
  exchange(
    r: CtpPendingRequest,
    ms: number,
    signal: AbortSignal | undefined,
    now?: number,
    onRegistered?: () => void,
  ): Promise<CtpResult & { timedOut?: boolean }> {
    // No timer, no error object and no closures per request: this runs for
    // every command, and with many requests in flight every object that lives
    // as long as the request is garbage-collector work (BENCHMARKS.md).
    r.map = this;
    r.signal = signal;
    const p = r.promise();
    this.inflight.set(r.node, r);
    try {
      if (onRegistered !== undefined) onRegistered();
      else r.send();
    } catch (err) {
      r.finish();
      r.fail(err);
      return p;
    }
    r.start(ms, now);
    return p;
  }

  /** @internal A wait ended: forget its deadline and its entry. */
  ended(r: CtpPendingRequest): void {
    if (r.at !== 0) this.deadlines.untrack(r);
    if (this.inflight.get(r.node) === r) this.inflight.delete(r.node);
  }

  /** @internal */
  trackDeadline(r: CtpPendingRequest, now: number | undefined): void {
    this.deadlines.track(r, now);
  }

  /**
   * Resolve `node`'s request when `re` is its id; false when nothing matched
   * (stale). `owned`: `result` is a fresh object made for this request alone,
   * which it may hand to its caller as is.
   */
  settle(node: string, re: number | undefined, result: CtpResult, owned = false): boolean {
    const e = this.inflight.get(node);
    if (e === undefined || re === undefined || e.id !== re) return false;
    this.inflight.delete(node);
    e.owned = owned;
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
    this.closed = true;
    this.closing.abort();
    this.failWhere(() => true, CLOSED);
    this.deadlines.close();
  }
}
