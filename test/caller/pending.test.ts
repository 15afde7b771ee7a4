import { afterEach, describe, expect, it, vi } from 'vitest';
import { CtpPendingMap } from '../../src/caller/pending.js';

afterEach(() => {
  vi.useRealTimers();
});

const entry = (node: string, id: number) => ({ id, node, op: 'command', to: 'h' });

type Releaser = () => void;

describe('CtpPendingMap.tryAcquire (the path every request takes)', () => {
  it('a free slot gives a releaser at once; a busy one gives undefined; another node is free', () => {
    const m = new CtpPendingMap();
    const a = m.tryAcquire('n');
    expect(typeof a).toBe('function');
    expect(m.busy('n')).toBe(true);
    expect(m.tryAcquire('n')).toBeUndefined();
    expect(m.busy('n')).toBe(true);
    const other = m.tryAcquire('other');
    expect(typeof other).toBe('function');
    (other as Releaser)();
    (a as Releaser)();
  });

  it('releasing frees the slot; releasing again is harmless, even after another taker got it', () => {
    const m = new CtpPendingMap();
    const a = m.tryAcquire('n') as Releaser;
    a();
    expect(m.busy('n')).toBe(false);
    const b = m.tryAcquire('n');
    expect(typeof b).toBe('function');
    a(); // a stale releaser must not free b's slot
    expect(m.busy('n')).toBe(true);
    expect(m.tryAcquire('n')).toBeUndefined();
    (b as Releaser)();
    expect(m.busy('n')).toBe(false);
  });

  it('after close() it gives undefined, for a free node too', () => {
    const m = new CtpPendingMap();
    const held = m.tryAcquire('n') as Releaser;
    m.close();
    expect(m.tryAcquire('free')).toBeUndefined();
    expect(m.busy('free')).toBe(false);
    held(); // harmless after close
    expect(m.tryAcquire('n')).toBeUndefined();
  });

  it("queued takers get the slot in order once the tryAcquire holder releases; it stays busy until the last one's release", async () => {
    const m = new CtpPendingMap();
    const deadline = Date.now() + 10_000;
    const first = m.tryAcquire('n') as Releaser;
    const order: number[] = [];
    const second = m.acquire('n', { deadline }).then((r) => (order.push(2), r));
    const third = m.acquire('n', { deadline }).then((r) => (order.push(3), r));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(order).toEqual([]); // they wait while the holder holds
    expect(m.tryAcquire('n')).toBeUndefined(); // and tryAcquire does not jump the queue
    first();
    const r2 = await second;
    expect(typeof r2).toBe('function');
    expect(order).toEqual([2]);
    expect(m.tryAcquire('n')).toBeUndefined(); // the second taker holds it now
    first(); // the holder's releaser again: harmless, the third still waits
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(order).toEqual([2]);
    (r2 as Releaser)();
    const r3 = await third;
    expect(typeof r3).toBe('function');
    expect(order).toEqual([2, 3]);
    expect(m.busy('n')).toBe(true);
    (r3 as Releaser)();
    expect(m.busy('n')).toBe(false);
    const again = m.tryAcquire('n');
    expect(typeof again).toBe('function');
    (again as Releaser)();
  });
});

describe('CtpPendingMap.acquire (waits its turn)', () => {
  it('takes a free slot at once', async () => {
    const m = new CtpPendingMap();
    const p = m.acquire('n', { deadline: Date.now() + 1000 });
    expect(m.busy('n')).toBe(true); // synchronously: a tryAcquire in the same tick sees it busy
    expect(m.tryAcquire('n')).toBeUndefined();
    const r = await p;
    expect(typeof r).toBe('function');
    (r as Releaser)();
    expect(m.busy('n')).toBe(false);
  });

  it('a taker times out at its deadline and rejects on abort, without losing the slot', async () => {
    vi.useFakeTimers();
    const m = new CtpPendingMap();
    const first = m.tryAcquire('n') as Releaser;
    const late = m.acquire('n', { deadline: Date.now() + 100 });
    const ac = new AbortController();
    const aborted = m.acquire('n', { deadline: Date.now() + 10_000, signal: ac.signal });
    const patient = m.acquire('n', { deadline: Date.now() + 10_000 });
    await vi.advanceTimersByTimeAsync(100);
    expect(await late).toEqual({ code: 'TIMEOUT', timedOut: true });
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    first();
    const p = await patient;
    expect(typeof p).toBe('function');
    expect(m.busy('n')).toBe(true);
    (p as Releaser)();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.busy('n')).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('CtpPendingMap', () => {
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
    const r = await m.wait(entry('n', 1), 1000, undefined, () =>
      m.settle('n', 1, { code: 'NOT_ASSIGNED' }),
    );
    expect(r).toEqual({ code: 'NOT_ASSIGNED' });
  });

  it('failWhere and close resolve what they select; close answers later takers with ERROR closed', async () => {
    const m = new CtpPendingMap();
    const a = m.wait(entry('a', 1), 10_000, undefined);
    const b = m.wait(entry('b', 2), 10_000, undefined);
    expect(m.failWhere((e) => e.node === 'a', { code: 'NODE_UNFOUND' })).toBe(1);
    expect(await a).toEqual({ code: 'NODE_UNFOUND' });
    const held = m.tryAcquire('q') as Releaser;
    const queued = m.acquire('q', { deadline: Date.now() + 10_000 });
    m.close();
    expect(await b).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(await queued).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(await m.acquire('z', { deadline: Date.now() + 1000 })).toEqual({
      code: 'ERROR',
      reason: 'closed',
    });
    expect(m.tryAcquire('z')).toBeUndefined();
    held();
  });
});
