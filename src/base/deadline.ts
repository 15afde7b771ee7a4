/**
 * Request deadlines (issue 10): START, STOP and COMMAND carry `ttl`, the
 * caller's remaining time in milliseconds when the frame was sent. Each
 * forwarding router subtracts its residence time, and the host drops a
 * request whose time is up (`expired`) instead of handing it to its app.
 *
 * Residence includes stalls: a frozen process (SIGSTOP, a long GC, a blocked
 * event loop) leaves frames waiting in its socket, and the time they waited
 * is invisible when they are finally read. `CtpStallMeter` sees it with a
 * cheap, unref'ed tick on the clock seam: when the tick is overdue (or just
 * ran late) the loop was not running, and every frame processed until the
 * next punctual tick is charged the time since the last tick before the
 * stall — the longest it can have waited. Only elapsed durations of this
 * router's own clock are used: no clock is compared with another router's.
 */
import createDebug from 'debug';
import type { CtpTimerHandle, CtpTimers } from './clock.js';

const debug = createDebug('ctp:deadline');

/** The stall meter's tick. */
export const STALL_TICK_MS = 200;
/** A tick this late (or later) means the loop was stalled. */
export const STALL_SLACK_MS = 100;
/**
 * What a stall can hide from the meter: a frame can have waited this long
 * (one tick plus the slack) without being charged for it.
 */
export const STALL_RESIDUAL_MS = STALL_TICK_MS + STALL_SLACK_MS;

/** Measures how long a frame processed now may have waited unseen (a stall of this process). */
export class CtpStallMeter {
  private lastTick: number;
  /** After a late tick: the last tick before the stall, charged until the next punctual tick. */
  private carrySince: number | undefined;
  private timer: CtpTimerHandle | undefined;
  private stopped = false;

  constructor(private readonly timers: CtpTimers) {
    this.lastTick = timers.now();
    this.arm();
  }

  /** How long a frame being processed now may have waited unseen (0 when the loop ran on time). */
  age(now = this.timers.now()): number {
    if (now - this.lastTick > STALL_TICK_MS + STALL_SLACK_MS) {
      // The tick is overdue: the loop is only now running again.
      return now - this.lastTick;
    }
    return this.carrySince === undefined ? 0 : now - this.carrySince;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.timers.set(() => this.tick(), STALL_TICK_MS, false, 'stall-tick');
  }

  private tick(): void {
    const now = this.timers.now();
    const late = now - this.lastTick - STALL_TICK_MS;
    if (late > STALL_SLACK_MS) {
      debug('the loop stalled for about %d ms', late);
      this.carrySince = this.lastTick;
    } else this.carrySince = undefined;
    this.lastTick = now;
    this.arm();
  }

  close(): void {
    this.stopped = true;
    this.timer = this.timers.clear(this.timer);
  }
}

/** What routing needs of the meter. */
export interface CtpStallAge {
  /** How long a frame being processed now may have waited unseen. */
  age(): number;
}

/**
 * A request's remaining time as this router sees it now: its `ttl` less its
 * residence here (what a stall hid; frames are processed synchronously, so
 * nothing else), rounded up so that a deadline is never stretched by
 * rounding. `undefined` for a frame without `ttl` (a plain peer: no deadline).
 */
export function remainingTtl(
  msg: { t: string; ttl?: unknown },
  stall: CtpStallAge,
): number | undefined {
  // Only START, STOP and COMMAND carry a deadline (the codec checked it there).
  if (msg.t !== 'START' && msg.t !== 'STOP' && msg.t !== 'COMMAND') return undefined;
  const ttl = msg.ttl;
  if (typeof ttl !== 'number') return undefined;
  return ttl - Math.ceil(stall.age());
}
