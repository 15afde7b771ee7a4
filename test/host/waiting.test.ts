/** REGISTERs waiting at a host for their registrant (src/host/waiting.ts). */
import { describe, expect, it } from 'vitest';
import { CtpTimers } from '../../src/base/clock.js';
import type { CtpRegister } from '../../src/base/messages.js';
import { CtpWaitingRegisters } from '../../src/host/waiting.js';
import { VirtualClock } from '../sim/clock.js';

const reg = (id: number): CtpRegister => ({
  v: 1,
  t: 'REGISTER',
  id,
  node: 'n',
  controller: `controller[n]@r${id}`,
});

describe('CtpWaitingRegisters', () => {
  it('take returns every REGISTER waiting for a name, in order, and clears their timers', () => {
    const c = new VirtualClock();
    const w = new CtpWaitingRegisters(new CtpTimers(c.ctp()), 10, 1000);
    const expired: number[] = [];
    expect(w.add('v', reg(1), () => expired.push(1))).toBe(true);
    expect(w.add('v', reg(2), () => expired.push(2))).toBe(true);
    expect(w.add('u', reg(3), () => expired.push(3))).toBe(true);
    expect(w.size).toBe(2);
    expect(w.take('v').map((m) => m.id)).toEqual([1, 2]);
    expect(w.has('v')).toBe(false);
    expect(w.take('v')).toEqual([]);
    while (c.runNext());
    expect(expired).toEqual([3]);
    expect(w.size).toBe(0);
    expect(c.size()).toBe(0);
  });

  it('refuses past its bound, and a slot frees when one expires or is taken', () => {
    const c = new VirtualClock();
    const w = new CtpWaitingRegisters(new CtpTimers(c.ctp()), 2, 500);
    expect(w.add('a', reg(1), () => undefined)).toBe(true);
    expect(w.add('b', reg(2), () => undefined)).toBe(true);
    expect(w.add('c', reg(3), () => undefined)).toBe(false);
    w.take('a');
    expect(w.add('c', reg(3), () => undefined)).toBe(true);
    c.runNext();
    expect(w.add('d', reg(4), () => undefined)).toBe(true);
    w.clear();
    expect(w.size).toBe(0);
    expect(c.size()).toBe(0);
  });
});
