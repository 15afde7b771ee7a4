/**
 * The pending map's one timeout timer (src/caller/deadline-sweep.ts): deadlines
 * expire in deadline order (ties in arrival order) at their time, the timer
 * follows the earliest one, and it is cleared once nothing waits — two
 * microtask hops after the last deadline went, so that a caller sending its
 * next request from the answer's continuation reuses it.
 */
import { describe, expect, it } from 'vitest';
import type { CtpClock } from '../../src/base/clock.js';
import { CtpDeadlineSweep, type CtpDeadline } from '../../src/caller/deadline-sweep.js';

/** A manual clock: timers fire on `advance`. */
class ManualClock implements CtpClock {
  t = 1_000;
  private seq = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  created = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): number {
    this.created++;
    this.timers.set(++this.seq, { at: this.t + ms, fn });
    return this.seq;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers]
        .filter(([, x]) => x.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

function deadline(at: number, log: string[], name: string): CtpDeadline {
  return {
    at,
    expire: () => log.push(`${name}@`),
    tracked: false,
    prevDeadline: undefined,
    nextDeadline: undefined,
  };
}

/** Let microtasks run: each `await null` is one hop of this test's continuation. */

describe('CtpDeadlineSweep', () => {
  it('expires in deadline order, ties in arrival order, each at its time; untracked ones never', () => {
    const clock = new ManualClock();
    const s = new CtpDeadlineSweep(clock);
    const log: string[] = [];
    const a = deadline(1_300, log, 'a');
    const b = deadline(1_100, log, 'b');
    const c = deadline(1_300, log, 'c');
    const d = deadline(1_200, log, 'd');
    for (const x of [a, b, c, d]) s.track(x);
    s.track(a); // twice: still once, and still first among equals
    s.untrack(d);
    clock.advance(99);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['b@']);
    s.untrack(b);
    clock.advance(300);
    expect(log).toEqual(['b@', 'a@', 'c@']);
  });

  it('an earlier deadline re-arms the timer; the timer goes two microtask hops after the last deadline', async () => {
    const clock = new ManualClock();
    const s = new CtpDeadlineSweep(clock);
    const log: string[] = [];
    const late = deadline(2_000, log, 'late');
    const early = deadline(1_500, log, 'early');
    s.track(late);
    s.track(early);
    expect([...clock.timers.values()].map((x) => x.at)).toEqual([1_500]);
    s.untrack(early);
    s.untrack(late);
    expect(clock.timers.size).toBe(1); // still there for a moment
    await null;
    expect(clock.timers.size).toBe(1);
    await null;
    expect(clock.timers.size).toBe(0);
    expect(log).toEqual([]);
  });

  it('a deadline tracked from the continuation reuses the timer; a sweep with nothing due re-arms for the next', async () => {
    const clock = new ManualClock();
    const s = new CtpDeadlineSweep(clock);
    const log: string[] = [];
    const first = deadline(1_100, log, 'first');
    s.track(first);
    s.untrack(first);
    // The caller's continuation sends the next request before the second hop.
    await null;
    const second = deadline(1_150, log, 'second');
    s.track(second);
    for (let i = 0; i < 4; i++) await null;
    expect(clock.created).toBe(1);
    expect(clock.timers.size).toBe(1);
    clock.advance(100); // the timer fires at 1100: nothing due, re-armed for 1150
    expect(log).toEqual([]);
    expect([...clock.timers.values()].map((x) => x.at)).toEqual([1_150]);
    clock.advance(50);
    expect(log).toEqual(['second@']);
    s.untrack(second);
    for (let i = 0; i < 2; i++) await null;
    expect(clock.timers.size).toBe(0);
  });

  it('keepWhenIdle (the host sweep): one timer for requests one after the other, not re-armed once nothing waits', async () => {
    const clock = new ManualClock();
    const s = new CtpDeadlineSweep(clock, true);
    const log: string[] = [];
    // Ten requests, one open at a time, each answered long after the last microtask hop.
    for (let i = 0; i < 10; i++) {
      const d = deadline(clock.t + 1_000, log, `r${i}`);
      s.track(d);
      for (let j = 0; j < 4; j++) await null;
      clock.advance(10);
      s.untrack(d);
      for (let j = 0; j < 4; j++) await null;
    }
    expect(clock.created).toBe(1);
    expect(clock.timers.size).toBe(1); // left armed while idle
    // A request still open when the stale timer fires expires at its own time.
    const late = deadline(clock.t + 1_000, log, 'late');
    s.track(late);
    expect(clock.created).toBe(1); // later than the armed timer: no new one
    clock.advance(999);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['late@']);
    s.untrack(late);
    // Firing with nothing waiting: not armed again.
    expect(clock.timers.size).toBe(0);
    s.track(deadline(clock.t + 50, log, 'next'));
    s.close();
    expect(clock.timers.size).toBe(0);
    expect(log).toEqual(['late@']);
  });

  it('close clears the timer', () => {
    const clock = new ManualClock();
    const s = new CtpDeadlineSweep(clock);
    s.track(deadline(1_100, [], 'x'));
    s.close();
    expect(clock.timers.size).toBe(0);
  });
});
