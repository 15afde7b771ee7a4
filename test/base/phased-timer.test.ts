/**
 * `PhasedTimer` (src/base/phased-timer.ts): each timer keeps its own phase
 * (`start + k × every`), so timers that a stall made run in one batch part
 * again at once; `setInterval` re-arms a batch from one loop time and keeps
 * them together (a thousand routers' heartbeats in one burst a second). A
 * stall is played by moving `Date.now()` past the timers' fake clock:
 * the timer then runs late, as after a blocked event loop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PhasedTimer } from '../../src/base/phased-timer.js';

describe('PhasedTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every interval on time, with no lateness', () => {
    const runs: [number, number][] = [];
    const t = new PhasedTimer(1000, (late) => runs.push([Date.now() - 1_000_000, late]));
    vi.advanceTimersByTime(3500);
    expect(runs).toEqual([
      [1000, 0],
      [2000, 0],
      [3000, 0],
    ]);
    t.stop();
    expect(t.stopped).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(runs).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after a stall, two timers run at their own phases again, and say how late they were', () => {
    const runs: [string, number, number][] = [];
    const at = (): number => Date.now() - 1_000_000;
    const a = new PhasedTimer(1000, (late) => runs.push(['a', at(), late]));
    vi.advanceTimersByTime(300);
    const b = new PhasedTimer(1000, (late) => runs.push(['b', at(), late]));
    // A stall of 2.4 s just before a's first run: both then run in one batch, late.
    vi.advanceTimersByTime(699);
    vi.setSystemTime(Date.now() + 2400);
    vi.advanceTimersByTime(301);
    expect(runs.map(([id, , late]) => [id, late])).toEqual([
      ['a', 2400],
      ['b', 2400],
    ]);
    runs.length = 0;
    vi.advanceTimersByTime(3000);
    // Each back on its own phase (a at …000, b at …300), not together.
    const phases = runs.map(([id, t]) => [id, t % 1000]);
    expect(new Set(phases.filter(([id]) => id === 'a').map(([, p]) => p))).toEqual(new Set([0]));
    expect(new Set(phases.filter(([id]) => id === 'b').map(([, p]) => p))).toEqual(new Set([300]));
    expect(runs.every(([, , late]) => late === 0)).toBe(true);
    a.stop();
    b.stop();
  });

  it('a run late by half an interval or more takes a new phase from its own time: none skipped, none hurried', () => {
    const times: number[] = [];
    const t = new PhasedTimer(1000, () => times.push(Date.now() - 1_000_000));
    vi.advanceTimersByTime(999);
    vi.setSystemTime(Date.now() + 700); // the first run comes 700 ms late (at 1700)
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(2400);
    expect(times[0]).toBe(1700);
    // Not at 2000 (only 300 ms after), nor at 3000 (a beat skipped): one interval on, then so.
    expect(times.slice(1, 3)).toEqual([2700, 3700]);
    t.stop();
  });

  it('a run that throws is still followed by the next one; stop() inside a run ends it', () => {
    let n = 0;
    const t = new PhasedTimer(100, () => {
      n++;
      if (n === 1) throw new Error('boom');
      if (n === 3) t.stop();
    });
    expect(() => vi.advanceTimersByTime(100)).toThrow('boom');
    expect(n).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(n).toBe(3);
    expect(t.stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
