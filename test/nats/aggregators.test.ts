/**
 * The aggregators of bus presence (the two lowest router ids, docs/nats.md
 * "Presence") are no single point of failure: the first is killed (kill -9),
 * then the next frozen (SIGSTOP), both real CLI processes on a real
 * nats-server; each is noticed within deadAfterMs, the next lowest ids take
 * over, and no other member drops another.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, spawnCli, type Proc } from '../tcp/procs.js';
import { busRouter, closeAllRouters, sleep, until, type BusRouter } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip('test/nats/aggregators.test.ts (presence aggregators killed and frozen: CLI processes)');

// Presence every 200 ms (1 s by default), silent for 1 s is down: the test runs in a few seconds
// and still leaves a loaded machine five intervals of slack.
const HEARTBEAT_MS = 200;
const DEAD_AFTER_MS = 1000;

describe.skipIf(NATS_BIN === undefined)('presence aggregators', () => {
  let server: NatsServer;
  beforeAll(async () => {
    await ensureBuilt();
    server = await NatsServer.start();
  }, 120_000);
  afterEach(async () => {
    await closeAllRouters();
    await killAll();
  });
  afterAll(stopAllServers);

  async function cliRouter(id: string): Promise<Proc> {
    const p = spawnCli([
      'peer',
      '--json',
      '--id',
      id,
      '--nats',
      server.url,
      '--nats-prefix',
      'agg',
      '--heartbeat-ms',
      String(HEARTBEAT_MS),
      '--node',
      `dev-${id}`,
      '--echo',
    ]);
    await p.waitFor((r) => r.type === 'bus', 10_000, `${id} on the bus`);
    return p;
  }

  it('the aggregator killed, then the next one frozen: each noticed within deadAfterMs, nobody else drops', async () => {
    // a0 and a1 sort lowest: they aggregate first.
    const a0 = await cliRouter('a0');
    const a1 = await cliRouter('a1');
    const bus = { prefix: 'agg', heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS };
    const members: BusRouter[] = [];
    for (const id of ['b2', 'b3', 'b4', 'b5', 'b6'])
      members.push(await busRouter(server.url, id, { bus }));
    const all = ['dev-a0', 'dev-a1'];
    await until(
      () => members.every((m) => all.every((n) => m.router.nodes().includes(n))),
      10_000,
      'the processes seen by every member',
    );
    await sleep(3 * HEARTBEAT_MS);
    // Only the aggregators publish rosters; the other members send heartbeats.
    expect(members.every((m) => m.bus.stats().rostersOut === 0)).toBe(true);
    expect(members.every((m) => m.bus.stats().rostersIn > 0)).toBe(true);
    const drops: string[] = [];
    const downAt = new Map<string, number[]>();
    for (const m of members)
      m.bus.on('disconnect', (p, why) => {
        drops.push(`${m.router.id}→${p.routerId}:${why}`);
        downAt.set(p.routerId, [...(downAt.get(p.routerId) ?? []), Date.now()]);
      });

    const t0 = Date.now();
    await a0.stop('SIGKILL');
    await until(
      () => members.every((m) => !m.router.nodes().includes('dev-a0')),
      DEAD_AFTER_MS + 3000,
      'a0 gone everywhere',
    );
    // Noticed from its silence, by every member (heard through the rosters of a1 until then).
    expect((downAt.get('a0') ?? []).length).toBe(members.length);
    expect(Math.min(...(downAt.get('a0') ?? [])) - t0).toBeGreaterThanOrEqual(
      DEAD_AFTER_MS - 2 * HEARTBEAT_MS,
    );
    await sleep(3 * DEAD_AFTER_MS);
    // b2 took a0's place beside a1.
    expect((members[0] as BusRouter).bus.stats().rostersOut).toBeGreaterThan(0);
    expect(members.slice(1).every((m) => m.bus.stats().rostersOut === 0)).toBe(true);

    const t1 = Date.now();
    a1.child.kill('SIGSTOP');
    await until(
      () => members.every((m) => !m.router.nodes().includes('dev-a1')),
      DEAD_AFTER_MS + 3000,
      'a1 gone everywhere',
    );
    expect(Math.min(...(downAt.get('a1') ?? [])) - t1).toBeGreaterThanOrEqual(
      DEAD_AFTER_MS - 2 * HEARTBEAT_MS,
    );
    await sleep(3 * DEAD_AFTER_MS);
    expect(drops.sort()).toEqual(
      members.flatMap((m) => [`${m.router.id}→a0:silent`, `${m.router.id}→a1:silent`]).sort(),
    );
    // b3 now aggregates beside b2.
    expect((members[1] as BusRouter).bus.stats().rostersOut).toBeGreaterThan(0);
    a1.child.kill('SIGCONT');
  }, 60_000);
});
