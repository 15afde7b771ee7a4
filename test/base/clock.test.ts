/**
 * The clock seam (src/base/clock.ts): a router given a `clock` takes every `now`
 * and every timer from it — none from the globals — and `close()` leaves no
 * timer of it behind.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CtpTimers, systemClock } from '../../src/base/clock.js';
import { CtpRouter } from '../../src/router.js';
import { CtpTestNetwork } from '../../src/testing/network.js';
import { VirtualClock } from '../sim/clock.js';

const realSetImmediate = globalThis.setImmediate;
const drain = (): Promise<void> => new Promise((r) => realSetImmediate(r));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CtpTimers', () => {
  it('fires, forgets fired timers, and clearAll clears the pending ones', () => {
    const c = new VirtualClock();
    const t = new CtpTimers(c.ctp());
    const fired: string[] = [];
    t.set(() => fired.push('a'), 10);
    const b = t.set(() => fired.push('b'), 20);
    t.set(() => fired.push('c'), 30);
    expect(t.size).toBe(3);
    c.runNext();
    expect(fired).toEqual(['a']);
    expect(t.size).toBe(2);
    expect(t.clear(b)).toBeUndefined();
    expect(t.size).toBe(1);
    t.clearAll();
    expect(t.size).toBe(0);
    expect(c.size()).toBe(0);
    while (c.runNext());
    expect(fired).toEqual(['a']);
  });

  it('clamps delays to what Node timers accept', () => {
    const calls: number[] = [];
    const t = new CtpTimers({
      now: () => 0,
      setTimeout: (_fn, ms) => (calls.push(ms), calls.length),
      clearTimeout: () => undefined,
    });
    t.set(() => undefined, -5);
    t.set(() => undefined, 2 ** 40);
    expect(calls).toEqual([0, 2 ** 31 - 1]);
  });

  it('the system clock is Date.now and the global timers, clamped', () => {
    // Date.now itself, not another clock that happens to agree with it (adverts' seq start from it).
    const dateNow = vi.spyOn(Date, 'now').mockReturnValueOnce(1_234).mockReturnValueOnce(5_678);
    expect(systemClock.now()).toBe(1_234);
    expect(systemClock.now()).toBe(5_678);
    expect(dateNow).toHaveBeenCalledTimes(2);
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    const fn = (): void => undefined;
    const early = systemClock.setTimeout(fn, -5);
    const late = systemClock.setTimeout(fn, 2 ** 40);
    expect(set.mock.calls).toEqual([
      [fn, 0],
      [fn, 2 ** 31 - 1],
    ]);
    expect(set.mock.results.map((r) => r.value)).toEqual([early, late]);
    systemClock.clearTimeout(early);
    systemClock.clearTimeout(late);
    expect(clear.mock.calls).toEqual([[early], [late]]);
  });
});

describe('a router on an injected clock', () => {
  it('never touches the global timers or Date.now, and close() leaves none of its timers', async () => {
    const c = new VirtualClock();
    const globalSet = vi.spyOn(globalThis, 'setTimeout');
    const globalNow = vi.spyOn(Date, 'now');
    const host = new CtpRouter<string>(
      (name, msg) => {
        if (name === 'COMMAND' && (msg as { content?: unknown }).content !== 'hang')
          host.respond(msg.node, 'ok', 'SUCCESS', msg.id);
      },
      (peer, frame) => void Promise.resolve().then(() => caller.receive('h', frame)),
      () => undefined,
      { id: 'h', nodes: ['dev'], clock: c.ctp() },
    );
    const caller = new CtpRouter<string>(
      () => undefined,
      (peer, frame) => void Promise.resolve().then(() => host.receive('c', frame)),
      () => undefined,
      { id: 'c', clock: c.ctp() },
    );
    host.peerUp('c');
    caller.peerUp('h');
    await drain();
    const reg = caller.register('dev', 'controller');
    await drain();
    expect(await reg).toEqual({ code: 'SUCCESS' });
    const cmd = caller.command('dev', 'app', 1);
    await drain();
    expect(await cmd).toEqual({ code: 'SUCCESS', content: 'ok' });
    // A request left unanswered: its deadline is a virtual timer.
    const hanging = caller.command('dev', 'app', 'hang');
    await drain();
    expect(c.size()).toBeGreaterThan(0);
    // The link goes: the request resolves at once, the registration's lost timer runs on the virtual clock.
    caller.peerDown('h');
    expect(await hanging).toEqual({ code: 'NODE_UNFOUND' });
    expect(c.size()).toBeGreaterThan(0);
    const lost: unknown[] = [];
    caller.on('lost', (e) => lost.push(e));
    while (lost.length === 0 && c.runNext()); // paced adverts first, then the lease (leaseGraceMs)
    expect(lost).toEqual([{ node: 'dev', type: 'controller', reason: 'unreachable' }]);
    expect(globalSet).not.toHaveBeenCalled();
    expect(globalNow).not.toHaveBeenCalled();
    await host.close();
    await caller.close();
    expect(c.size()).toBe(0);
  });
});
