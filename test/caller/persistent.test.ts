/**
 * `register(node, type, { persistent: true })` (issue 11, point 5): after
 * `lost`, the router registers again with a bounded, jittered backoff until
 * `unregister` or `close`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError, type CtpLostEvent, type CtpRegisteredEvent } from '../../src/index.js';
import { CtpTimers } from '../../src/base/clock.js';
import {
  CtpPersistence,
  PERSISTENT_BASE_MS,
  PERSISTENT_MAX_MS,
} from '../../src/caller/persistent.js';
import { record, topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

async function pair() {
  net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
  return { h: net.router('h'), c: net.router('c'), net };
}

describe('persistent registrations', () => {
  it('registers again after lost, emitting registered each time', async () => {
    const { c } = await pair();
    const registered = record<CtpRegisteredEvent>(c, 'registered');
    const lost = record<CtpLostEvent>(c, 'lost');
    expect(await c.register('cam1', 'controller', { persistent: true })).toEqual({
      code: 'SUCCESS',
    });
    net!.unlink('h', 'c');
    await net!.advance(5000); // the default leaseGraceMs
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ node: 'cam1', type: 'controller', reason: 'unreachable' });
    net!.link('h', 'c');
    await until(() => registered.length === 2, 'registered again');
    expect(registered[1]).toMatchObject({ node: 'cam1', type: 'controller', host: 'h' });
    expect(c.snapshot().registrations).toHaveLength(1);
    expect((await c.command('cam1', 'x', 1)).code).toBe('SUCCESS');
  });

  it('a plain registration is not renewed', async () => {
    const { c } = await pair();
    const registered = record(c, 'registered');
    const lost = record(c, 'lost');
    await c.register('cam1', 'monitor');
    net!.unlink('h', 'c');
    await net!.advance(5000); // the default leaseGraceMs
    expect(lost).toHaveLength(1);
    net!.link('h', 'c');
    await net!.settle();
    await new Promise((r) => setTimeout(r, PERSISTENT_BASE_MS * 2));
    expect(registered).toHaveLength(1);
    expect(c.snapshot().registrations).toHaveLength(0);
  });

  it('unregister ends it: no renewal after that', async () => {
    const { c } = await pair();
    const registered = record(c, 'registered');
    await c.register('cam1', 'monitor', { persistent: true });
    expect((await c.unregister('cam1', 'monitor')).code).toBe('SUCCESS');
    await net!.settle();
    await new Promise((r) => setTimeout(r, PERSISTENT_BASE_MS * 2));
    expect(registered).toHaveLength(1);
    expect(c.snapshot().registrations).toHaveLength(0);
  });

  it('retries with backoff while the node stays away, and stops at close (no timer left)', async () => {
    const { c } = await pair();
    const lost = record(c, 'lost');
    await c.register('cam1', 'controller', { persistent: true });
    net!.unlink('h', 'c', { forget: true });
    await net!.advance(5000); // the default leaseGraceMs
    expect(lost).toHaveLength(1);
    const timers = (c as unknown as { caller: { persistence: { timers: { size: number } } } })
      .caller.persistence.timers;
    await until(() => timers.size === 1, 'a retry to be scheduled');
    await c.close();
    expect(timers.size).toBe(0);
  });

  it('rejects CtpArgumentError for a non-boolean persistent', async () => {
    const { c } = await pair();
    await expect(
      c.register('cam1', 'controller', { persistent: 'yes' as unknown as boolean }),
    ).rejects.toBeInstanceOf(CtpArgumentError);
  });

  it('the backoff: doubles from 250 ms, bounded at 30 s, jittered to 50–100 %, on the clock seam', async () => {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => (
        timers.push({ at: now + ms, fn }),
        timers.length
      ),
      clearTimeout: () => {},
    };
    let rnd = 1;
    const tries: number[] = [];
    const p = new CtpPersistence(
      new CtpTimers(clock),
      {
        register: async () => (tries.push(now), { code: 'NODE_UNFOUND' as const }),
        holds: () => false,
        reachable: () => false,
      },
      { drop: () => {}, error: () => {} },
      () => rnd,
    );
    expect(p.delay(0)).toBe(PERSISTENT_BASE_MS);
    expect(p.delay(3)).toBe(PERSISTENT_BASE_MS * 8);
    expect(p.delay(40)).toBe(PERSISTENT_MAX_MS);
    rnd = 0;
    expect(p.delay(0)).toBe(PERSISTENT_BASE_MS / 2);
    expect(p.delay(40)).toBe(PERSISTENT_MAX_MS / 2);
    rnd = 1;
    p.keep('cam1', 'controller');
    p.lost({ node: 'cam1', type: 'controller', reason: 'unreachable' });
    for (let i = 0; i < 5; i++) {
      const t = timers.shift()!;
      now = t.at;
      t.fn();
      await new Promise((r) => setImmediate(r));
    }
    expect(tries).toEqual([250, 750, 1750, 3750, 7750]);
    p.forget('cam1', 'controller');
  });
});
