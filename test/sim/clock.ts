/**
 * A virtual clock: `setTimeout`, `clearTimeout`, `setInterval`,
 * `clearInterval` and `Date.now` replaced on `globalThis` while installed.
 * Nothing waits for real: the simulator fires timers one at a time, in
 * (time, creation) order, and drains promise continuations between them.
 */

import { ADVERT_REFRESH, type CtpClock } from '../../src/base/clock.js';
import { MinHeap } from './heap.js';

/** Periodic housekeeping timers (they re-arm for ever): quiet ignores them. */
const DAEMONS = new Set(['stall-tick', ADVERT_REFRESH]);

/** A timer handle, shaped enough like Node's `Timeout` for the router and p-timeout. */
export class VirtualTimer {
  cancelled = false;
  constructor(
    readonly id: number,
    public at: number,
    public seq: number,
    readonly fn: (...args: unknown[]) => void,
    readonly args: unknown[],
    readonly interval: number | undefined,
    readonly label: string,
  ) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** An uncaught exception thrown by a timer callback (Node would crash on it). */
export interface TimerFailure {
  label: string;
  error: unknown;
}

type Saved = {
  setTimeout: typeof globalThis.setTimeout;
  clearTimeout: typeof globalThis.clearTimeout;
  setInterval: typeof globalThis.setInterval;
  clearInterval: typeof globalThis.clearInterval;
  now: typeof Date.now;
};

/** The virtual clock and its timer queue (a binary heap on (at, seq)). */
export class VirtualClock {
  now: number;
  private readonly heap = new MinHeap<VirtualTimer>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  private readonly byId = new Map<number, VirtualTimer>();
  private nextSeq = 0;
  private nextId = 1;
  private saved: Saved | undefined;
  /** Exceptions thrown by timer callbacks. */
  readonly failures: TimerFailure[] = [];
  /** Timers fired so far. */
  fired = 0;
  /** Live `stall-tick` timers. */
  private daemons = 0;

  constructor(start = 1_700_000_000_000) {
    this.now = start;
  }

  /** Live (not cancelled, not fired) timers. */
  size(): number {
    return this.byId.size;
  }

  /**
   * Live timers that are not periodic housekeeping (label `stall-tick`, the
   * routers' stall meters, and `advert-refresh`, signed adverts' refresh: they re-arm for ever): the network is quiet when
   * none is left.
   */
  busy(): number {
    return this.byId.size - this.daemons;
  }

  /** Live timers whose label starts with `prefix`. */
  count(prefix: string): number {
    let n = 0;
    for (const t of this.byId.values()) if (t.label.startsWith(prefix)) n++;
    return n;
  }

  /** When the next live timer fires. */
  nextAt(): number | undefined {
    this.prune();
    return this.heap.peek()?.at;
  }

  schedule(
    fn: (...args: unknown[]) => void,
    ms: number,
    label: string,
    args: unknown[] = [],
    interval?: number,
  ): VirtualTimer {
    const delay = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
    const t = new VirtualTimer(
      this.nextId++,
      this.now + delay,
      this.nextSeq++,
      fn,
      args,
      interval,
      label,
    );
    this.byId.set(t.id, t);
    if (DAEMONS.has(label)) this.daemons++;
    this.heap.push(t);
    return t;
  }

  cancel(handle: unknown): void {
    if (handle === undefined || handle === null) return;
    const id = handle instanceof VirtualTimer ? handle.id : Number(handle);
    const t = this.byId.get(id);
    if (t === undefined) return;
    t.cancelled = true;
    this.byId.delete(id);
    if (DAEMONS.has(t.label)) this.daemons--;
  }

  /** Label of the timer `runNext` fired last. */
  lastLabel = '';

  /** Fire the earliest live timer; false when there is none. */
  runNext(): boolean {
    this.prune();
    const t = this.heap.pop();
    if (t === undefined) return false;
    this.byId.delete(t.id);
    this.lastLabel = t.label;
    if (DAEMONS.has(t.label)) this.daemons--;
    if (t.at > this.now) this.now = t.at;
    this.fired++;
    if (t.interval !== undefined) {
      t.at = this.now + Math.max(1, t.interval);
      t.seq = this.nextSeq++;
      t.cancelled = false;
      this.byId.set(t.id, t);
      this.heap.push(t);
    }
    try {
      t.fn(...t.args);
    } catch (error) {
      this.failures.push({ label: t.label, error });
    }
    return true;
  }

  /** This clock as the router's clock seam (router option `clock`): no global is patched. */
  ctp(label = 'lib'): CtpClock {
    return {
      now: () => this.now,
      setTimeout: (fn: () => void, ms: number, purpose?: string) =>
        this.schedule(fn, ms, purpose ?? label),
      clearTimeout: (h: unknown) => this.cancel(h),
    };
  }

  /** Put the clock on `globalThis` (timers and `Date.now`), for code that has no clock seam. */
  install(): void {
    if (this.saved !== undefined) return;
    this.saved = {
      setTimeout: globalThis.setTimeout,
      clearTimeout: globalThis.clearTimeout,
      setInterval: globalThis.setInterval,
      clearInterval: globalThis.clearInterval,
      now: Date.now,
    };
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      this.schedule(fn, ms ?? 0, 'lib', args);
    g.clearTimeout = (h: unknown) => this.cancel(h);
    g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      this.schedule(fn, ms ?? 0, 'lib-interval', args, ms ?? 0);
    g.clearInterval = (h: unknown) => this.cancel(h);
    Date.now = () => this.now;
  }

  /** Restore the real timers and clock. */
  uninstall(): void {
    const s = this.saved;
    if (s === undefined) return;
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = s.setTimeout;
    g.clearTimeout = s.clearTimeout;
    g.setInterval = s.setInterval;
    g.clearInterval = s.clearInterval;
    Date.now = s.now;
    this.saved = undefined;
  }

  private prune(): void {
    while (this.heap.size > 0 && (this.heap.peek() as VirtualTimer).cancelled) this.heap.pop();
  }
}
