/**
 * The pending map's request timeouts (pending.ts): ONE timer for every
 * waiting request instead of one per request — with 1024 requests in
 * flight, creating and clearing a timer each cost a quarter of the
 * throughput (BENCHMARKS.md). The timer fires at the earliest deadline it
 * knows of and expires what is due, in deadline order (ties in the order the
 * deadlines came), as separate timers would have fired. It is cleared when
 * nothing waits: no timer is left behind, and only waiting requests hold
 * the process open — unless `keepWhenIdle` (the host's, whose timers are
 * unref'ed and cleared by `close`): then the timer stays armed for the
 * earliest deadline it was set for and, firing with nothing due, is not
 * armed again; a sequence of requests one after the other (one open at a
 * time) then sets one timer per `responseTimeoutMs`, not one per request.
 */
import { MAX_TIMER_MS, type CtpClock, type CtpTimerHandle } from '../base/clock.js';

/** A request's timeout; also its link in the sweep's list (the sweep sets the links). */
export interface CtpDeadline {
  /** When it is due (the clock's `now` scale). */
  at: number;
  expire(): void;
  /** In the list (insertion order), and its neighbours there. */
  tracked: boolean;
  prevDeadline: CtpDeadline | undefined;
  nextDeadline: CtpDeadline | undefined;
}

const RESOLVED = Promise.resolve();

/** The deadlines of the waiting requests and the one timer that sweeps them. */
export class CtpDeadlineSweep {
  // The deadlines, in insertion order (as a Set would keep them), linked
  // through the entries themselves: no set to hash into and grow per request.
  private first: CtpDeadline | undefined = undefined;
  private last: CtpDeadline | undefined = undefined;
  private count = 0;
  private timer: CtpTimerHandle | undefined = undefined;
  private timerAt = Infinity;
  /** The list ran empty: 1, 2 while `clearIfIdle` waits its two microtask hops. */
  private idleCheck = 0;

  constructor(
    private readonly clock: CtpClock,
    /** Leave the timer armed when nothing waits (its timers must not hold the process open). */
    private readonly keepWhenIdle = false,
  ) {}

  /** Watch `d` (once); `now`: the clock read by the caller a moment ago, when it has one (one read less per request). */
  track(d: CtpDeadline, now?: number): void {
    if (!d.tracked) {
      d.tracked = true;
      d.prevDeadline = this.last;
      d.nextDeadline = undefined;
      if (this.last === undefined) this.first = d;
      else this.last.nextDeadline = d;
      this.last = d;
      this.count++;
    }
    if (d.at < this.timerAt) this.arm(d.at, now);
  }

  /** Stop watching `d` (nothing when it is not watched). */
  untrack(d: CtpDeadline): void {
    if (d.tracked) {
      d.tracked = false;
      const { prevDeadline: prev, nextDeadline: next } = d;
      if (prev === undefined) this.first = next;
      else prev.nextDeadline = next;
      if (next === undefined) this.last = prev;
      else next.prevDeadline = prev;
      d.prevDeadline = d.nextDeadline = undefined;
      this.count--;
    }
    if (
      this.count === 0 &&
      this.timer !== undefined &&
      this.idleCheck === 0 &&
      !this.keepWhenIdle
    ) {
      this.idleCheck = 1;
      void RESOLVED.then(this.clearIfIdle);
    }
  }

  /**
   * Nothing waits: clear the timer — once the microtasks queued meanwhile
   * have run (the caller's continuation, resolved just after, often sends the
   * next request: the timer then serves it, where clearing it at once would
   * create and clear a timer per request of a caller that waits for each).
   * Timers fire only once the microtasks are done, so none fires meanwhile,
   * and no timer is left when nothing waits.
   */
  private readonly clearIfIdle = (): void => {
    if (this.count > 0 || this.timer === undefined) {
      this.idleCheck = 0;
      return;
    }
    if (this.idleCheck === 1) {
      // The second hop: after the continuation of the answer that emptied the list.
      this.idleCheck = 2;
      void RESOLVED.then(this.clearIfIdle);
      return;
    }
    this.idleCheck = 0;
    this.close();
  };

  private arm(at: number, now = this.clock.now()): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    // Not unref'ed: a request being waited for holds the process open.
    this.timer = this.clock.setTimeout(this.sweep, Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const due: CtpDeadline[] = [];
    let next = Infinity;
    for (let d = this.first; d !== undefined; d = d.nextDeadline) {
      if (d.at <= now) due.push(d);
      else if (d.at < next) next = d.at;
    }
    if (next !== Infinity) this.arm(next, now);
    // In deadline order, as separate timers would have fired.
    due.sort((a, b) => a.at - b.at);
    for (const d of due) d.expire();
  };

  /** Clear the timer (the map closes: what still waits is resolved there). */
  close(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
