/**
 * The clock seam: `now` and timers, injected (router option `clock`) so that
 * tests and the simulator run the router on virtual time without patching
 * globals. Each part of the router keeps its own `CtpTimers`, so `close()`
 * clears every timer a part set.
 */

/** Node's timers overflow above 2^31-1 ms and fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The `purpose` of the timers that release paced adverts (flooding.ts,
 * advert-pacing.ts): `ctp-router/testing`'s clock moves past them on `settle()`.
 */
export const ADVERT_PACING = 'advert-pacing';

/**
 * The `purpose` of the timer that re-signs a signing router's own advert every
 * `staleAdvertMs / 4` (own-advert.ts, issue 25): periodic housekeeping, as `'stall-tick'`.
 */
export const ADVERT_REFRESH = 'advert-refresh';

/** An opaque timer handle, as the clock's `setTimeout` returns it. */
export type CtpTimerHandle = unknown;

/** What the router needs of a clock. The default is the system clock. */
export interface CtpClock {
  /** Milliseconds, on the same scale as `Date.now()` (adverts' `seq` start from it). */
  now(): number;
  /**
   * Call `fn` once after `ms` milliseconds; the handle may have `unref()`.
   * `purpose`, when given, names a periodic housekeeping timer that re-arms
   * itself for ever (`'stall-tick'`, `'advert-refresh'`): a simulator waiting for quiet ignores it.
   */
  setTimeout(fn: () => void, ms: number, purpose?: string): CtpTimerHandle;
  /** Cancel a timer set with `setTimeout` (a no-op when it has fired already). */
  clearTimeout(handle: CtpTimerHandle): void;
}

/**
 * Marks a clock that never waits for its timers to run out (the system's,
 * the test network's): a timer left armed while nothing needs it costs
 * nothing there, so the host's request-expiry sweep keeps its timer when no
 * request is open (caller/deadline-sweep.ts `keepWhenIdle`). A clock without
 * it — a simulator that runs timers until none is left — gets the timer
 * cleared as soon as nothing waits. @internal
 */
export const IDLE_TIMERS_HARMLESS: unique symbol = Symbol('ctp.idleTimersHarmless');

/** Does `clock` carry `IDLE_TIMERS_HARMLESS`? @internal */
export function idleTimersHarmless(clock: CtpClock): boolean {
  return (clock as { [IDLE_TIMERS_HARMLESS]?: boolean })[IDLE_TIMERS_HARMLESS] === true;
}

/** `Date.now` and the global timers. */
export const systemClock: CtpClock = Object.freeze({
  [IDLE_TIMERS_HARMLESS]: true,
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): CtpTimerHandle =>
    setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms))),
  clearTimeout: (handle: CtpTimerHandle): void =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/** True for an object with the three functions of `CtpClock`. */
export function isClock(v: unknown): v is CtpClock {
  const c = v as CtpClock | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.now === 'function' &&
    typeof c.setTimeout === 'function' &&
    typeof c.clearTimeout === 'function'
  );
}

/**
 * One part's timers. Housekeeping timers are `unref`ed (they never hold a
 * process open); `clearAll()` clears what is still pending.
 */
export class CtpTimers {
  private readonly live = new Set<CtpTimerHandle>();

  constructor(readonly clock: CtpClock) {}

  now(): number {
    return this.clock.now();
  }

  /** Call `fn` after `ms`; `ref: true` keeps the process alive while it waits; `purpose`: see `CtpClock.setTimeout`. */
  set(fn: () => void, ms: number, ref = false, purpose?: string): CtpTimerHandle {
    const run = (): void => {
      this.live.delete(h);
      fn();
    };
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, ms));
    const h: CtpTimerHandle =
      purpose === undefined
        ? this.clock.setTimeout(run, delay)
        : this.clock.setTimeout(run, delay, purpose);
    if (!ref) (h as { unref?: () => void } | null)?.unref?.();
    this.live.add(h);
    return h;
  }

  /** Clear a timer of this set (`undefined` is ignored); returns `undefined` for `x = timers.clear(x)`. */
  clear(h: CtpTimerHandle | undefined): undefined {
    if (h !== undefined && this.live.delete(h)) this.clock.clearTimeout(h);
    return undefined;
  }

  /** Clear every pending timer of this set. */
  clearAll(): void {
    for (const h of this.live) this.clock.clearTimeout(h);
    this.live.clear();
  }

  /** Pending timers. */
  get size(): number {
    return this.live.size;
  }
}
