/**
 * A cluster under fire: 100 routers spread over a three-server NATS cluster,
 * one registration each; one server is killed (kill -9). Every router on it
 * reconnects to the others before its members count it silent, no link
 * between routers on the surviving servers drops, no registration is lost.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ReturnCode } from '../../src/base/messages.js';
import { busRouter, closeAllRouters, sleep, until, type BusRouter } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip('test/nats/fire.test.ts (100 routers on a three-server NATS cluster, a server killed)');

const N = 100;

describe.skipIf(NATS_BIN === undefined)('a cluster under fire', () => {
  afterEach(closeAllRouters);
  afterAll(stopAllServers);

  it('kill -9 one of three servers under 100 routers: they fail over, no link or registration is lost', async () => {
    const servers = await NatsServer.cluster(3);
    // The default presence (heartbeatMs 1000, deadAfterMs 3000) and client options (a reconnect
    // every 250 ms): a failover must fit within deadAfterMs.
    const routers: BusRouter[] = [];
    const serverOf = new Map<string, number>();
    const id = (i: number): string => `r${String(i).padStart(3, '0')}`;
    for (let i = 0; i < N; i += 10)
      routers.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, j) => {
            const k = i + j;
            serverOf.set(id(k), k % 3);
            return busRouter((servers[k % 3] as NatsServer).url, id(k), {
              nodes: [`dev${k}`],
              bus: { prefix: 'fire' },
            });
          }),
        )),
      );
    await until(
      () => routers.every((r) => r.router.nodes().length >= N),
      120_000,
      'every router to see every node',
    );
    // Router i controls the node of router i + 1 (a registration across servers, mostly).
    const regs = await Promise.all(
      routers.map((r, i) => r.router.register(`dev${(i + 1) % N}`, 'controller')),
    );
    expect(regs.filter((x) => x.code !== ReturnCode.SUCCESS)).toEqual([]);
    // The clients learn the cluster's other servers from its INFO.
    await sleep(1000);
    const drops: string[] = [];
    const released: unknown[] = [];
    for (const r of routers) {
      r.bus.on('disconnect', (p, why) => drops.push(`${r.router.id}→${p.routerId}:${why}`));
      r.router.on('released', (e) => released.push(e));
    }
    const onKilled = routers.filter((r) => serverOf.get(r.router.id) === 1);
    await (servers[1] as NatsServer).stop('SIGKILL');
    await until(
      () => onKilled.every((r) => r.bus.stats().reconnects > 0),
      30_000,
      'the routers of the killed server to reconnect',
    );
    const killedPort = `127.0.0.1:${(servers[1] as NatsServer).port}`;
    for (const r of onKilled) expect(r.bus.server()).not.toBe(killedPort);
    // Presence goes on for more than deadAfterMs after the failover: nobody is counted silent.
    await sleep(4000);
    const survivor = (s: string): boolean => serverOf.get(s) !== 1;
    const between = drops.filter((d) => {
      const [a, b] = d.split(/→|:/) as [string, string];
      return survivor(a) && survivor(b);
    });
    expect(between).toEqual([]);
    // Every router on the killed server reconnected within deadAfterMs: no member dropped it either.
    expect(drops).toEqual([]);
    expect(released).toEqual([]);
    for (const r of routers) expect(r.router.snapshot().registrations).toHaveLength(1);
    // And control goes on, across the servers, through every registration.
    const cmds = await Promise.all(
      routers.map((r, i) => r.router.command(`dev${(i + 1) % N}`, 'pan', i)),
    );
    expect(cmds.filter((x) => x.code !== ReturnCode.SUCCESS)).toEqual([]);
  }, 240_000);
});
