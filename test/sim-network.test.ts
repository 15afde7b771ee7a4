/**
 * The simulator's medium model (test/sim/network.ts, sim.ts `applyLinks`): a
 * bus publish reaches every member that stays on the bus or none, even when
 * its publisher crashes or the pair splits before the delivery.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './sim/clock.js';
import { SimNetwork, type SimPeer } from './sim/network.js';
import { Rng } from './sim/rng.js';
import { runSeed } from './sim/runner.js';

function net(): { clock: VirtualClock; n: SimNetwork; got: string[] } {
  const clock = new VirtualClock();
  const got: string[] = [];
  const n = new SimNetwork(clock, new Rng(7), {
    deliver: (to: string, _peer: SimPeer, frame: string | Uint8Array) =>
      got.push(`${to}:${String(frame)}`),
  });
  return { clock, n, got };
}

function runAll(clock: VirtualClock): void {
  while (clock.runNext());
}

describe('simulated bus pairs', () => {
  it('flush delivers what is in flight from one end, in order, once; the timers then deliver nothing', () => {
    const { clock, n, got } = net();
    const e = n.addEdge('a', 'b', 'bus');
    e.up = true;
    for (const f of ['1', '2', '3']) n.send('a', null, f);
    n.send('b', null, 'back');
    expect(n.flush(e, 'a')).toBe(3);
    expect(got).toEqual(['b:1', 'b:2', 'b:3']);
    e.up = false;
    runAll(clock);
    // The other direction was not flushed: lost with the pair.
    expect(got).toEqual(['b:1', 'b:2', 'b:3']);
    expect(n.framesDelivered).toBe(3);
    expect(n.framesLost).toBe(1);
  });

  it('frames delivered by their timers are not flushed again', () => {
    const { clock, n, got } = net();
    const e = n.addEdge('a', 'b', 'bus');
    e.up = true;
    n.send('a', null, '1');
    runAll(clock);
    expect(n.flush(e, 'a')).toBe(0);
    expect(got).toEqual(['b:1']);
  });

  it('a point-to-point link keeps no frames to flush (a TCP reset loses them)', () => {
    const { clock, n, got } = net();
    const e = n.addEdge('a', 'b');
    e.up = true;
    n.send('a', null, '1');
    expect(n.flush(e, 'a')).toBe(0);
    e.up = false;
    runAll(clock);
    expect(got).toEqual([]);
  });
});

describe('bus seeds whose publishes were lost pair by pair (fixed in the simulator)', () => {
  // Each failed with "missing nodes at the quiet check" before a publish reached all members or none.
  for (const seed of [306597, 309689])
    it(`seed ${seed} (80 steps, --bus --no-stalls)`, async () => {
      const o = await runSeed(seed, { steps: 80, medium: 'always', stalls: false });
      expect(o.violation?.message).toBeUndefined();
    }, 60_000);
  // Failed until a member that loses another one re-sends what it left to it (src/link-state/media.ts).
  it('seed 305054 (80 steps, --bus --no-stalls)', async () => {
    const o = await runSeed(305054, { steps: 80, medium: 'always', stalls: false });
    expect(o.violation?.message).toBeUndefined();
  }, 60_000);
});

describe('the quiet check with signed adverts refreshed faster than floods settle', () => {
  // staleAdvertMs 2000: each of 9 routers re-signs every 500 ms, on fixed phases, so some frame
  // is always in flight; the check waited for a silence that never came ("never went quiet").
  it('seed 5 (10 steps, --bus --identities, staleAdvertMs 2000) goes quiet with only refreshes in flight', async () => {
    const o = await runSeed(5, {
      steps: 10,
      medium: 'always',
      identities: true,
      stalls: false,
      staleAdvertMs: 2000,
    });
    expect(o.violation?.message).toBeUndefined();
  }, 120_000);
});
