/**
 * One request of the pending map (pending.ts), as ONE object: the node's slot
 * it holds, its entry in the in-flight map (`id`/`re` correlation), its
 * deadline in the shared sweep (deadline-sweep.ts), its abort listener and the
 * resolvers of the promise its caller awaits. The request pipeline
 * (requests.ts) extends it with the request's own spec and exchange, so a
 * request costs this object, its frame and its promise: no slot, waiter or
 * exchange objects beside it, no closures, no timer (BENCHMARKS.md).
 *
 * Every way the wait ends goes through `ok` (a result) or `fail` (the signal
 * aborted, the send threw): the place for a one-line hook per settled request.
 */
import type { Mutex, MutexInterface } from 'async-mutex';
import type { CtpClock } from '../base/clock.js';
import { ReturnCode, type CtpResult } from '../base/messages.js';
import type { CtpDeadline } from './deadline-sweep.js';

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

/** A node's slot held: `release()` frees it; calling it again does nothing. */
export interface CtpSlotHold {
  release(): void;
}

/** What a request asks of the map that holds it (CtpPendingMap). */
export interface CtpRequestMap {
  readonly clock: CtpClock;
  /** `r` released the slot it took from the map (a queued taker may get it). */
  freeSlot(r: CtpPendingRequest): void;
  /** `r`'s wait ended: forget its deadline and its entry. */
  ended(r: CtpPendingRequest): void;
  /** Watch `r`'s deadline (`r.at`). */
  trackDeadline(r: CtpPendingRequest, now: number | undefined): void;
}

/** A wait's TIMEOUT (copied per request: callers get their own object). */
export const TIMED_OUT: CtpResult & { timedOut?: boolean } = Object.freeze({
  code: ReturnCode.TIMEOUT,
  timedOut: true,
});

/** The promise executor, shared (no closure per request): it hands the resolvers to `capturing`. */
let capturing: CtpPendingRequest | undefined;
function captureResolvers(resolve: (r: CtpResult) => void, reject: (err: unknown) => void): void {
  const r = capturing as CtpPendingRequest;
  r.resolveFn = resolve;
  r.rejectFn = reject;
}

/**
 * A request as the pending map sees it: slot holder, in-flight entry,
 * deadline and abort listener in one. A subclass says what happens when the
 * wait ends (`settled`, `failed`) and how the request is sent (`send`).
 */
export class CtpPendingRequest implements CtpPendingEntry, CtpDeadline, CtpSlotHold {
  /** The frame id; set when the request is planned. */
  id = 0;
  /** The router the request is addressed to; set when the request is planned. */
  to = '';
  /** Its answer is a fresh object made for it alone (`CtpPendingMap.settle`): no copy needed. */
  owned = false;
  /** The map it waits in (set by the map when it takes the slot or starts the wait). */
  map: CtpRequestMap | undefined = undefined;

  // ---- the slot ----
  /** Queued takers of the node's slot (rare) wait on a mutex made at the first contention. */
  mutex: Mutex | undefined = undefined;
  /** That mutex, taken on behalf of this request, which held the slot first. */
  held: Promise<MutexInterface.Releaser> | undefined = undefined;
  /** A slot obtained by waiting its turn (`queue: true`): its release. */
  releaser: (() => void) | undefined = undefined;
  private slotReleased = false;

  // ---- the wait ----
  resolveFn: (r: CtpResult) => void = noop;
  rejectFn: (err: unknown) => void = noop;
  signal: AbortSignal | undefined = undefined;
  /** The deadline (the map's clock); 0 until the wait starts. */
  at = 0;
  tracked = false;
  prevDeadline: CtpDeadline | undefined = undefined;
  nextDeadline: CtpDeadline | undefined = undefined;
  private registering = true;
  private early: CtpResult | undefined = undefined;
  private finished = false;
  private listening = false;

  constructor(
    readonly node: string,
    readonly op: string,
  ) {}

  /** The promise its caller awaits, made once the request is registered in the map. */
  promise(): Promise<CtpResult & { timedOut?: boolean }> {
    capturing = this;
    const p = new Promise<CtpResult & { timedOut?: boolean }>(captureResolvers);
    capturing = undefined;
    return p;
  }

  // ---- what a subclass decides ----

  /** Send the request (once it is registered in the map). */
  send(): void {}
  /** The wait ended with `r` (TIMEOUT carries `timedOut`): what the promise resolves to. A throw rejects it. */
  settled(r: CtpResult & { timedOut?: boolean }): CtpResult {
    return r;
  }
  /** The signal aborted the wait (or the send threw): runs before the promise rejects. */
  failed(): void {}

  // ---- the slot ----

  /** Free the node's slot (once; later calls do nothing). */
  release(): void {
    if (this.slotReleased) return;
    this.slotReleased = true;
    const r = this.releaser;
    if (r !== undefined) {
      this.releaser = undefined;
      r();
    } else this.map?.freeSlot(this);
  }

  // ---- the wait ----

  /** The answer (CtpPendingEntry): the wait ends with it. */
  resolve(r: CtpResult): void {
    // An answer given synchronously while the request is being sent counts
    // once the wait has begun (an aborted signal wins over it).
    if (this.registering) this.early ??= r;
    else if (this.finish()) this.ok(r);
  }

  /** The deadline is due (the sweep). */
  expire(): void {
    if (this.finish()) this.ok({ ...TIMED_OUT });
  }

  /** The signal aborted (the request is its own abort listener: no closure). */
  handleEvent(): void {
    if (this.finish()) this.fail((this.signal as AbortSignal).reason);
  }

  /** The request is sent: wait `ms` at most from `now` (the clock, read a moment ago, when the caller has it). */
  start(ms: number, now?: number): void {
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
      signal.addEventListener('abort', this, { once: true });
      this.listening = true;
    }
    const map = this.map as CtpRequestMap;
    if (now === undefined) now = map.clock.now();
    this.at = now + ms;
    map.trackDeadline(this, now);
  }

  /** End the wait once; false when it had ended already. */
  finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    if (this.listening) {
      this.listening = false;
      this.signal?.removeEventListener('abort', this);
    }
    this.map?.ended(this);
    return true;
  }

  /** The wait ended with a result: the promise resolves to what `settled` makes of it. */
  ok(r: CtpResult & { timedOut?: boolean }): void {
    let out: CtpResult;
    try {
      out = this.settled(r);
    } catch (err) {
      return this.rejectFn(err);
    }
    this.resolveFn(out);
  }

  /** The wait failed (aborted, or the send threw): the promise rejects with `err`. */
  fail(err: unknown): void {
    try {
      this.failed();
    } finally {
      this.rejectFn(err);
    }
  }
}

function noop(): void {}
