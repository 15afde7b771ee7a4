/**
 * The test network's clock: the system's time and timers, plus an offset
 * that `CtpTestNetwork.settle()` moves forward past paced adverts (router
 * option `minAdvertIntervalMs`, on by default), so that tests run the
 * defaults users run without waiting the pacing out in real time. Moving
 * forward fires every timer that falls due on the way (leases, request
 * timeouts), as the same wait would in real time.
 */
import {
  ADVERT_PACING,
  IDLE_TIMERS_HARMLESS,
  type CtpClock,
  type CtpTimerHandle,
} from '../base/clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
  readonly purpose: string | undefined;
  ref: boolean;
}

/** A timer handle: `unref()` lets the process exit while it waits, like a Node timer's. */
class Handle {
  constructor(
    readonly id: number,
    private readonly clock: CtpTestClock,
  ) {}
  unref(): this {
    this.clock.unref(this.id);
    return this;
  }
}

/** The test network's clock (`CtpTestNetwork` makes one); usable as any router's `clock` option. @example
 * {@includeCode ../../docs/api-examples/test-clock.ts#class} */
export class CtpTestClock implements CtpClock {
  /** @internal Nothing waits for this clock's timers to run out (base/clock.ts). */
  readonly [IDLE_TIMERS_HARMLESS] = true;
  private offset = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  private real: ReturnType<typeof setTimeout> | undefined;
  private realAt = Infinity;

  /** Milliseconds: `Date.now()` plus how far `advance` moved this clock. @example
   * {@includeCode ../../docs/api-examples/test-clock.ts#class} */
  now(): number {
    return Date.now() + this.offset;
  }

  /** Run `fn` once this clock reaches now + `ms` (`advance` or real time). @example
   * {@includeCode ../../docs/api-examples/test-clock.ts#class} */
  setTimeout(fn: () => void, ms: number, purpose?: string): CtpTimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.now() + Math.max(0, ms), fn, purpose, ref: true });
    this.arm();
    return new Handle(id, this);
  }

  /** Cancel a timer of this clock (a no-op once it fired). @example
   * {@includeCode ../../docs/api-examples/test-clock.ts#class} */
  clearTimeout(handle: CtpTimerHandle): void {
    if (handle instanceof Handle && this.timers.delete(handle.id) && this.timers.size === 0)
      this.disarm();
  }

  /** @internal */
  unref(id: number): void {
    const t = this.timers.get(id);
    if (t === undefined) return;
    t.ref = false;
    this.arm(true);
  }

  /** When the earliest pending advert-pacing timer falls due, if any. @example
   * {@includeCode ../../docs/api-examples/test-clock.ts#class} */
  nextPacing(): number | undefined {
    let at: number | undefined;
    for (const t of this.timers.values())
      if (t.purpose === ADVERT_PACING && (at === undefined || t.at < at)) at = t.at;
    return at;
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /**
   * Move the clock to the earliest pending timer, if it falls due by `limit`,
   * and fire the timers due then. False when none does. @example
   * {@includeCode ../../docs/api-examples/test-clock.ts#class}
   */
  step(limit: number): boolean {
    const next = this.earliest();
    if (next === undefined || next.at > limit) return false;
    if (next.at > this.now()) this.offset += next.at - this.now();
    for (;;) {
      const t = this.earliest();
      if (t === undefined || t.at > this.now()) break;
      this.run(t);
    }
    this.arm();
    return true;
  }

  /** Move the clock `ms` forward, firing every timer due on the way, in order. @example
   * {@includeCode ../../docs/api-examples/test-clock.ts#class} */
  advance(ms: number): void {
    if (!(ms >= 0))
      throw new RangeError(`Expected \`ms\` to be a non-negative number, got \`${ms}\``);
    const target = this.now() + ms;
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.at > target) break;
      if (next.at > this.now()) this.offset += next.at - this.now();
      this.run(next);
    }
    if (target > this.now()) this.offset += target - this.now();
    this.arm();
  }

  private earliest(): Timer | undefined {
    let e: Timer | undefined;
    for (const t of this.timers.values())
      if (e === undefined || t.at < e.at || (t.at === e.at && t.id < e.id)) e = t;
    return e;
  }

  private run(t: Timer): void {
    this.timers.delete(t.id);
    t.fn();
  }

  private fire(): void {
    this.real = undefined;
    this.realAt = Infinity;
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.at > this.now()) break;
      this.run(next);
    }
    this.arm();
  }

  /** One system timer for the earliest pending timer (ref'd while any pending timer is). */
  private arm(force = false): void {
    const e = this.earliest();
    if (e === undefined) return this.disarm();
    if (!force && e.at === this.realAt) return;
    if (this.real !== undefined) clearTimeout(this.real);
    this.realAt = e.at;
    this.real = setTimeout(() => this.fire(), Math.max(0, e.at - this.now()));
    let ref = false;
    for (const t of this.timers.values()) if (t.ref) ref = true;
    if (!ref) this.real.unref();
  }

  private disarm(): void {
    if (this.real !== undefined) clearTimeout(this.real);
    this.real = undefined;
    this.realAt = Infinity;
  }
}
