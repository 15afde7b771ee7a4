/**
 * The presence simulator (test/sim/presence/, issue 21): real routers and
 * NATS transports with default options on a simulated NATS server and
 * virtual time, with kills, restarts, freezes, losses of the server, goodbyes
 * and newcomers drawn from each seed; `npm run sim:presence` sweeps more.
 * The seeds below each found a fault in the presence rules while the
 * simulator was built (docs/testing.md "The presence simulator"); each fails
 * on the code before its fix.
 */
import { describe, expect, it } from 'vitest';
import { NatsTransport } from '../src/nats/transport.js';
import { drainMicrotasks, SimProcess, VirtualLoop } from './sim/presence/loop.js';
import { SimNats } from './sim/presence/fake-nats.js';
import { runPresence } from './sim/presence/world.js';
import { Rng } from './sim/rng.js';

const FOUND = [1, 2, 6, 17, 52, 71, 89, 104, 306, 461, 1846, 2090, 6849, 8265, 8690];

describe('presence simulator', () => {
  it.each(FOUND)('seed %i (found a fault): no violation now', async (seed) => {
    const r = await runPresence(seed);
    expect(r.violations).toEqual([]);
  });

  it('seeds 3001–3030: no violation; idle deliveries within 4N', async () => {
    for (let seed = 3001; seed <= 3030; seed++) {
      const r = await runPresence(seed);
      expect({ seed, violations: r.violations }).toEqual({ seed, violations: [] });
      expect(r.idlePerInterval).toBeLessThanOrEqual(4 * r.liveAtEnd);
    }
  });

  it('a bus of 30–48 (an aggregator that starts lists more than 32): seeds 1–2, large', async () => {
    for (const seed of [1, 2]) {
      const r = await runPresence(seed, undefined, {}, true);
      expect(r.members).toBeGreaterThanOrEqual(30);
      expect({ seed, violations: r.violations }).toEqual({ seed, violations: [] });
    }
  });

  it('replays: the same seed, the same faults and takedowns', async () => {
    const a = await runPresence(5);
    const b = await runPresence(5);
    expect(b.faults).toEqual(a.faults);
    expect(b.takedowns).toEqual(a.takedowns);
    expect(a.faults.length).toBeGreaterThan(0);
  });

  it('its checks catch a transport that notices deaths late (deadAfterMs 9 s against the 3 s checked)', async () => {
    // Seed 2 kills a member of a bus of four: with deadAfterMs at 9 s nobody notices it in time.
    const r = await runPresence(2, undefined, { deadAfterMs: 9000 });
    expect(r.violations.map((v) => v.kind)).toContain('late-detection');
  });

  it('publishes no presence while away from the server (a roster buffered then sent late made its ages news)', async () => {
    const loop = new VirtualLoop();
    const nats = new SimNats(loop, new Rng(7));
    const restore = loop.install();
    try {
      const procs = ['a1', 'a2', 'm3'].map((id) => new SimProcess(id));
      const buses = await Promise.all(
        procs.map((proc) =>
          loop.on(proc, () => {
            const bus = new NatsTransport(
              { servers: 'nats://sim:4222', id: proc.name },
              { connect: nats.connector(proc) },
            );
            const host = { id: proc.name, receive() {}, peerUp() {}, peerDown() {} };
            void bus.attach(host).ready();
            return bus;
          }),
        ),
      );
      await loop.run(loop.now + 3000);
      const count = (kind: string): number => nats.published.get(kind) ?? 0;
      const before = count('a1 r');
      const a1 = [...nats.conns].find((c) => c.proc === procs[0]);
      await loop.on(procs[0], () => a1?.lose()); // the lowest aggregator away for 4 intervals
      await loop.run(loop.now + 4000);
      const away = { r: count('a1 r'), h: count('a1 h'), p: count('a1 p') };
      await loop.on(procs[0], () => a1?.regain()); // what it had buffered goes now
      // At its reconnect it says hello; no roster of the 4 s away (nor heartbeat) comes with it.
      expect(count('a1 r')).toBe(away.r);
      expect(count('a1 h')).toBe(away.h);
      expect(count('a1 p')).toBe(away.p + 1);
      // It did aggregate before (a roster an interval), and the others went on meanwhile.
      expect(before).toBeGreaterThanOrEqual(2);
      expect(count('a2 r')).toBeGreaterThanOrEqual(6);
      for (const [i, bus] of buses.entries()) void loop.on(procs[i], () => void bus.close());
      await loop.run(loop.now + 100);
      await drainMicrotasks();
    } finally {
      restore();
    }
  });
});
