/**
 * The presence simulator's virtual time (test/sim/presence): `Date.now`,
 * `setTimeout` and `setInterval` replaced while a run lasts, every timer
 * tagged with the process (`SimProcess`) whose code set it. A process can be
 * frozen (SIGSTOP: its timers and what is delivered to it wait until it
 * thaws, in order) or killed (kill -9: nothing of it runs again). Each event
 * runs alone, then every microtask it started (promises resolve on the
 * process that resolved them), so a run replays exactly from its seed.
 */

import { MinHeap } from '../heap.js';

/** One simulated OS process: the routers, transports and connections it hosts run on it. */
export class SimProcess {
  /** Frozen until this virtual time (SIGSTOP then SIGCONT); 0: running. */
  frozenUntil = 0;
  dead = false;
  constructor(readonly name: string) {}
}

interface SimEvent {
  at: number;
  seq: number;
  proc: SimProcess | undefined;
  fn: () => void;
  cancelled: boolean;
  /** A repeating timer's period (`setInterval`). */
  every?: number;
}

/** What `setTimeout` returns here: a handle with Node's `unref`/`ref`. */
class SimTimer {
  constructor(readonly event: SimEvent) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return false;
  }
}

const realSetImmediate = globalThis.setImmediate;
const realDateNow = Date.now;
const realTimers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
};

/** Every microtask queued so far (and those they queue) has run. */
export const drainMicrotasks = (): Promise<void> => new Promise((r) => realSetImmediate(r));

export class VirtualLoop {
  /** Virtual `Date.now()`. */
  now: number;
  /** The process whose code runs now (timers set now belong to it). */
  current: SimProcess | undefined;
  private readonly heap = new MinHeap<SimEvent>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  private seq = 0;
  /** What threw out of an event (a violation: nothing here may throw). */
  readonly thrown: unknown[] = [];

  constructor(start = 1_800_000_000_000) {
    this.now = start;
  }

  /** Replace the globals; returns what puts them back. */
  install(): () => void {
    const g = globalThis as unknown as Record<string, unknown>;
    Date.now = () => Math.floor(this.now);
    g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      new SimTimer(this.at(this.now + Math.max(0, ms ?? 0), this.current, () => fn(...args)));
    g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const every = Math.max(1, ms ?? 1);
      const e = this.at(this.now + every, this.current, () => fn(...args));
      e.every = every;
      return new SimTimer(e);
    };
    const clear = (h: unknown): void => {
      if (h instanceof SimTimer) h.event.cancelled = true;
    };
    g.clearTimeout = clear;
    g.clearInterval = clear;
    return () => {
      Date.now = realDateNow;
      Object.assign(g, realTimers);
    };
  }

  /** Run `fn` on `proc` at virtual time `at`. */
  at(at: number, proc: SimProcess | undefined, fn: () => void): SimEvent {
    const e: SimEvent = { at, seq: this.seq++, proc, fn, cancelled: false };
    this.heap.push(e);
    return e;
  }

  /** Run `fn` on `proc` now, then its microtasks (constructing routers, closing them). */
  async on<T>(proc: SimProcess | undefined, fn: () => T): Promise<T> {
    const was = this.current;
    this.current = proc;
    try {
      const r = fn();
      await drainMicrotasks();
      return r;
    } finally {
      this.current = was;
    }
  }

  /** Run every event due up to `until` (virtual ms), in order. */
  async run(until: number): Promise<void> {
    for (;;) {
      const e = this.heap.peek();
      if (e === undefined || e.at > until) break;
      this.heap.pop();
      if (e.cancelled || e.proc?.dead === true) continue;
      const p = e.proc;
      if (p !== undefined && p.frozenUntil > e.at) {
        // Frozen: it runs when the process thaws, after what was due before it.
        e.at = p.frozenUntil;
        e.seq = this.seq++;
        this.heap.push(e);
        continue;
      }
      this.now = Math.max(this.now, e.at);
      if (e.every !== undefined) {
        e.at = this.now + e.every;
        e.seq = this.seq++;
        this.heap.push(e);
      }
      this.current = p;
      try {
        e.fn();
      } catch (err) {
        this.thrown.push(err);
      }
      await drainMicrotasks();
      this.current = undefined;
    }
    this.now = Math.max(this.now, until);
  }
}
