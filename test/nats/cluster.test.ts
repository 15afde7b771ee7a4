/**
 * Routers spread over a three-server NATS cluster (routes between the
 * servers), each given one seed URL: a server dies, its routers fail over to
 * servers the cluster announced, and nothing is lost.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ReturnCode } from '../../src/base/messages.js';
import { busRouter, closeAllRouters, sleep, until } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip('test/nats/cluster.test.ts (a three-server NATS cluster, failover)');

describe.skipIf(NATS_BIN === undefined)('a three-server NATS cluster', () => {
  afterEach(closeAllRouters);
  afterAll(stopAllServers);

  it('a server dies: its routers fail over, no link or registration is lost, requests resume', async () => {
    const servers = await NatsServer.cluster(3);
    const [s0, s1, s2] = servers as [NatsServer, NatsServer, NatsServer];
    // Presence every 200 ms (1 s by default): routers on different servers find each other, and again
    // after a failover, within the test's time. deadAfterMs stays 3 s (it would follow heartbeatMs down
    // to 600 ms): long enough for a failover (reconnectTimeWait 250 ms).
    const bus = { heartbeatMs: 200, deadAfterMs: 3000 };
    const a = await busRouter(s0.url, 'station', { nodes: ['cam1'], bus });
    const b = await busRouter(s1.url, 'ctl', { bus });
    const c = await busRouter(s2.url, 'viewer', { bus });
    await until(
      () => b.router.nodes().includes('cam1') && c.router.nodes().includes('cam1'),
      8000,
      'cam1 across the cluster',
    );
    expect(await b.router.register('cam1', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
    expect(await c.router.register('cam1', 'monitor')).toEqual({ code: ReturnCode.SUCCESS });
    // The clients learned the other servers from the cluster.
    await sleep(300);
    const downs: string[] = [];
    for (const x of [a, b, c])
      x.bus.on('disconnect', (p, why) => downs.push(`${x.router.id}:${p.routerId}:${why}`));
    const released: unknown[] = [];
    a.router.on('released', (e) => released.push(e));

    await s1.stop();
    await until(() => b.bus.stats().reconnects > 0, 5000, 'ctl to fail over');
    expect(b.bus.server()).not.toBe(`127.0.0.1:${s1.port}`);
    expect((await b.router.command('cam1', 'pan', 1)).code).toBe(ReturnCode.SUCCESS);
    await until(() => c.events.length >= 1, 3000, 'the event at the viewer');

    // And the station's own server.
    await s0.stop();
    await until(() => a.bus.stats().reconnects > 0, 5000, 'the station to fail over');
    expect([`127.0.0.1:${s2.port}`]).toContain(a.bus.server());
    expect((await b.router.command('cam1', 'tilt', 2)).code).toBe(ReturnCode.SUCCESS);
    a.router.appendNodes('cam2');
    await until(
      () => b.router.nodes().includes('cam2') && c.router.nodes().includes('cam2'),
      3000,
      'cam2 everywhere',
    );

    expect(downs).toEqual([]);
    expect(released).toEqual([]);
    expect(b.router.snapshot().registrations.map((r) => [r.node, r.type])).toEqual([
      ['cam1', 'controller'],
    ]);
    expect(c.router.snapshot().registrations.map((r) => [r.node, r.type])).toEqual([
      ['cam1', 'monitor'],
    ]);
  });
});
