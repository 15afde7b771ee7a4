import { afterEach, describe, expect, it, vi } from 'vitest';
import { CtpPendingMap } from '../src/pending.js';

afterEach(() => {
  vi.useRealTimers();
});

const entry = (node: string, id: number) => ({ id, node, op: 'command', to: 'h' });

describe('CtpPendingMap', () => {
  it('one slot per node: a second taker gets IN_PROGRESS, another node is free', async () => {
    const m = new CtpPendingMap();
    const deadline = Date.now() + 1000;
    const a = await m.acquire('n', { deadline });
    expect(typeof a).toBe('function');
    expect(await m.acquire('n', { deadline })).toEqual({ code: 'IN_PROGRESS' });
    expect(typeof (await m.acquire('other', { deadline }))).toBe('function');
    expect(m.busy('n')).toBe(true);
    (a as () => void)();
    (a as () => void)(); // releasing twice is harmless
    expect(m.busy('n')).toBe(false);
  });

  it('queue: takers wait in order and get the slot when it is released', async () => {
    const m = new CtpPendingMap();
    const deadline = Date.now() + 1000;
    const first = (await m.acquire('n', { deadline })) as () => void;
    const order: number[] = [];
    const second = m.acquire('n', { deadline, queue: true }).then((r) => (order.push(2), r as () => void));
    const third = m.acquire('n', { deadline, queue: true }).then((r) => (order.push(3), r as () => void));
    await Promise.resolve();
    expect(order).toEqual([]);
    first();
    (await second)();
    (await third)();
    expect(order).toEqual([2, 3]);
    expect(m.busy('n')).toBe(false);
  });

  it('queue: a taker times out at its deadline and rejects on abort, without losing the slot', async () => {
    vi.useFakeTimers();
    const m = new CtpPendingMap();
    const first = (await m.acquire('n', { deadline: Date.now() + 10_000 })) as () => void;
    const late = m.acquire('n', { deadline: Date.now() + 100, queue: true });
    const ac = new AbortController();
    const aborted = m.acquire('n', { deadline: Date.now() + 10_000, queue: true, signal: ac.signal });
    const patient = m.acquire('n', { deadline: Date.now() + 10_000, queue: true });
    await vi.advanceTimersByTimeAsync(100);
    expect(await late).toEqual({ code: 'TIMEOUT', timedOut: true });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    first();
    const p = await patient;
    expect(typeof p).toBe('function');
    (p as () => void)();
    expect(m.busy('n')).toBe(false);
  });

  it('wait: settles only with the matching id, times out, rejects on abort, and always removes the entry', async () => {
    vi.useFakeTimers();
    const m = new CtpPendingMap();
    const w = m.wait(entry('n', 5), 1000, undefined);
    expect(m.size).toBe(1);
    expect(m.settle('n', 4, { code: 'SUCCESS' })).toBe(false);
    expect(m.settle('n', undefined, { code: 'SUCCESS' })).toBe(false);
    expect(m.settle('n', 5, { code: 'SUCCESS', content: 1 })).toBe(true);
    expect(await w).toEqual({ code: 'SUCCESS', content: 1 });
    expect(m.size).toBe(0);

    const t = m.wait(entry('n', 6), 1000, undefined);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await t).toEqual({ code: 'TIMEOUT', timedOut: true });
    expect(m.settle('n', 6, { code: 'SUCCESS' })).toBe(false);

    const ac = new AbortController();
    const a = m.wait(entry('n', 7), 1000, ac.signal);
    ac.abort('bye');
    await expect(a).rejects.toBe('bye');
    expect(m.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('wait: an answer given while the frame is being sent counts', async () => {
    const m = new CtpPendingMap();
    const r = await m.wait(entry('n', 1), 1000, undefined, () => m.settle('n', 1, { code: 'NOT_ASSIGNED' }));
    expect(r).toEqual({ code: 'NOT_ASSIGNED' });
  });

  it('failWhere and close resolve what they select; close answers later takers with ERROR closed', async () => {
    const m = new CtpPendingMap();
    const a = m.wait(entry('a', 1), 10_000, undefined);
    const b = m.wait(entry('b', 2), 10_000, undefined);
    expect(m.failWhere((e) => e.node === 'a', { code: 'NODE_UNFOUND' })).toBe(1);
    expect(await a).toEqual({ code: 'NODE_UNFOUND' });
    const held = (await m.acquire('q', { deadline: Date.now() + 10_000 })) as () => void;
    const queued = m.acquire('q', { deadline: Date.now() + 10_000, queue: true });
    m.close();
    expect(await b).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(await queued).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(await m.acquire('z', { deadline: Date.now() + 1000 })).toEqual({ code: 'ERROR', reason: 'closed' });
    held();
  });
});
