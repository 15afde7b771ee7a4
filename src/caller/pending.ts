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
import { CtpDeadlineSweep, type CtpDeadline } from './deadline-sweep.js';
import { ReturnCode, type CtpResult } from '../base/messages.js';

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
  signal?: AbortSignal;
  /** Absolute time (ms, the map's clock) by which the whole request must end. */
  deadline: number;
}

const CLOSED: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'closed' });

/** Releases a node's slot; calling it again does nothing. */
export type CtpSlotReleaser = () => void;

/** A node's slot held: `release()` frees it; calling it again does nothing. */
export interface CtpSlotHold {
  release(): void;
}

/**
 * One node's request slot: held while its key is in `slots`. Queued takers
 * (rare) wait on a mutex created at the first contention; `held` is the
 * mutex taken on behalf of the holder that was there first. The slot is also
 * its first holder's `CtpSlotHold` (one object per request, no closure).
 */
class Slot implements CtpSlotHold {
  mutex: Mutex | undefined = undefined;
  held: Promise<MutexInterface.Releaser> | undefined = undefined;
  private released = false;

  constructor(
    private readonly slots: Map<string, Slot>,
    private readonly node: string,
  ) {}

  /** The first holder's release. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.held !== undefined) {
      // Queued takers wait on the slot's mutex: hand it over to the next in line.
      void this.held.then((release) => release());
      this.held = undefined;
    } else if (this.slots.get(this.node) === this) this.slots.delete(this.node);
  }
}

const TIMED_OUT: CtpResult & { timedOut?: boolean } = Object.freeze({
  code: ReturnCode.TIMEOUT,
  timedOut: true,
});

/**
 * What the waiter does when its wait ends, run synchronously before the
 * caller's promise settles: so the caller awaits one promise, with no `then`
 * stage (and its closures) per request.
 */
export interface CtpWaitOutcome {
  /** The wait ended with a result (TIMEOUT carries `timedOut`): what the promise resolves to. A throw rejects it. */
  settled(r: CtpResult & { timedOut?: boolean }): CtpResult;
  /** The signal aborted the wait (or the send threw): runs before the promise rejects. */
  failed(): void;
  /** When `wait` gets no `onRegistered`: runs in its place (sends the request) — no closure per request. */
  send?(): void;
}

/** The waits' promise executor, shared (no closure per request): it hands the resolvers to `capturing`. */
let capturing: Waiting | undefined;
function captureResolvers(resolve: (r: CtpResult) => void, reject: (err: unknown) => void): void {
  const w = capturing as Waiting;
  w.resolveFn = resolve;
  w.rejectFn = reject;
}

/** One request waiting for its RESPONSE: entry, deadline and abort listener in one object. */
class Waiting implements CtpPendingEntry, CtpDeadline {
  resolveFn!: (r: CtpResult) => void;
  rejectFn!: (err: unknown) => void;
  outcome: CtpWaitOutcome | undefined = undefined;
  /** The deadline (`Date.now()` clock); 0 until the wait starts. */
  at = 0;
  private registering = true;
  private early: CtpResult | undefined = undefined;
  private finished = false;
  private onAbort: (() => void) | undefined = undefined;
  tracked = false;
  prevDeadline: CtpDeadline | undefined = undefined;
  nextDeadline: CtpDeadline | undefined = undefined;

  constructor(
    private readonly map: CtpPendingMap,
    readonly id: number,
    readonly node: string,
    readonly op: string,
    readonly to: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  ok(r: CtpResult & { timedOut?: boolean }): void {
    const o = this.outcome;
    if (o === undefined) return this.resolveFn(r);
    let out: CtpResult;
    try {
      out = o.settled(r);
    } catch (err) {
      return this.rejectFn(err);
    }
    this.resolveFn(out);
  }

  fail(err: unknown): void {
    try {
      this.outcome?.failed();
    } finally {
      this.rejectFn(err);
    }
  }

  resolve(r: CtpResult): void {
    // An answer given synchronously while the request is being sent counts
    // once the wait has begun (an aborted signal wins over it).
    if (this.registering) this.early ??= r;
    else if (this.finish()) this.ok(r);
  }

  expire(): void {
    if (this.finish()) this.ok({ ...TIMED_OUT });
  }

  /** The request is sent: wait `ms` at most from `now` (the clock, read a moment ago, when the caller has it). */
  start(ms: number, now = this.map.clock.now()): void {
    this.registering = false;
    const signal = this.signal;
    if (ms > 0 && signal?.aborted) {
      this.finish();
      this.fail(signal.reason);
      return;
    }
    if (this.early !== undefined || ms <= 0) {
      const early = this.early;
      this.finish();
      this.ok(early ?? { ...TIMED_OUT });
      return;
    }
    if (signal !== undefined) {
      this.onAbort = () => {
        if (this.finish()) this.fail(signal.reason);
      };
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    this.at = now + ms;
    this.map.trackDeadline(this, now);
  }

  /** End the wait once; false when it had ended already. */
  finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.map.ended(this);
    return true;
  }
}

/** Per-node slots and in-flight entries. */
export class CtpPendingMap {
  private readonly slots = new Map<string, Slot>();
  private readonly inflight = new Map<string, CtpPendingEntry>();
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

  /** Take `node`'s slot now when it is free (the common, synchronous path); `undefined` when busy or closed. */
  tryAcquire(node: string): CtpSlotReleaser | undefined {
    const s = this.tryHold(node);
    return s === undefined ? undefined : () => s.release();
  }

  /** `tryAcquire`, the slot held as an object (the request pipeline's hot path: no closure). */
  tryHold(node: string): CtpSlotHold | undefined {
    if (this.closed || this.slots.has(node)) return undefined;
    const s = new Slot(this.slots, node);
    this.slots.set(node, s);
    return s;
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
    slot: Slot,
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
  private handOver(node: string, slot: Slot, release: MutexInterface.Releaser): void {
    release();
    if (slot.mutex !== undefined && !slot.mutex.isLocked() && this.slots.get(node) === slot)
      this.slots.delete(node);
  }

  /**
   * Wait for the RESPONSE to request `id` for `node`. Resolves with the
   * response's result, `TIMEOUT` after `ms`, whatever `settle`/`fail` give it;
   * rejects with the signal's reason on abort. The entry is removed in every case.
   */
  wait(
    entry: Omit<CtpPendingEntry, 'resolve'>,
    ms: number,
    signal: AbortSignal | undefined,
    onRegistered?: () => void,
    outcome?: CtpWaitOutcome,
    /** The clock, read by the caller a moment ago (one read less per request); `ms` counts from it. */
    now?: number,
  ): Promise<CtpResult & { timedOut?: boolean }> {
    // No timer, no error object and no closures per request: this runs for
    // every command, and with many requests in flight every object that lives
    // as long as the request is garbage-collector work (BENCHMARKS.md).
    const w = new Waiting(this, entry.id, entry.node, entry.op, entry.to, signal);
    w.outcome = outcome;
    capturing = w;
    const p = new Promise<CtpResult & { timedOut?: boolean }>(captureResolvers);
    capturing = undefined;
    this.inflight.set(entry.node, w);
    try {
      if (onRegistered !== undefined) onRegistered();
      else outcome?.send?.();
    } catch (err) {
      w.finish();
      w.fail(err);
      return p;
    }
    w.start(ms, now);
    return p;
  }

  /** @internal A wait ended: forget its deadline and its entry. */
  ended(w: Waiting): void {
    if (w.at !== 0) this.deadlines.untrack(w);
    if (this.inflight.get(w.node) === w) this.inflight.delete(w.node);
  }

  /** @internal */
  trackDeadline(d: CtpDeadline, now?: number): void {
    this.deadlines.track(d, now);
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
    this.closed = true;
    this.closing.abort();
    this.failWhere(() => true, CLOSED);
    this.deadlines.close();
  }
}
