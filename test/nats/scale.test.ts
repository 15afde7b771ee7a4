/**
 * The scale benchmark (bench/bus-scale.ts) at a reduced N: a bus of 20
 * routers on one nats-server started with `-m` (monitoring), deliveries
 * counted by nats-server itself (`/varz` `out_msgs` idle, the frame
 * subscriptions' counts of `/subsz` per event). Asserts the delivery
 * bounds of docs/nats.md "How big can a bus get" (counts, not times).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busScale, startMonitoredNats, type MonitoredNats } from '../../bench/lib/bus-scale.js';
import { NATS_BIN, reportSkip } from './server.js';

reportSkip('test/nats/scale.test.ts (a bus of 20 routers counted by nats-server /varz)');

const N = 20;

describe.skipIf(NATS_BIN === undefined)('a bus of N routers, counted by nats-server', () => {
  let nats: MonitoredNats;
  beforeAll(async () => {
    nats = await startMonitoredNats(NATS_BIN as string);
  });
  afterAll(() => nats?.stop());

  it('idle ≤ 4N deliveries per heartbeat interval (was N(N−1)); change ≤ 3N, join ≤ 6N, leave ≤ 4N', async () => {
    const r = await busScale(nats, N, () => {}, 60_000);
    // Idle: N − 2 heartbeats to each of the 2 aggregators, and their 2 rosters to N − 1 members.
    expect(r.idlePerInterval).toBeLessThanOrEqual(4 * N);
    // Each member is heard at least once per interval (not a silent bus).
    expect(r.idlePerInterval).toBeGreaterThanOrEqual(N);
    // nats-server's count and ours agree (nothing else went over the server), but for a presence
    // message or two counted by the server and not yet read by its receiver.
    for (const e of [r.change, r.join]) expect(Math.abs(e.varz - e.frames)).toBeLessThanOrEqual(3);
    expect(r.change.varz).toBeLessThanOrEqual(3 * N);
    expect(r.change.varz).toBeGreaterThanOrEqual(N - 1);
    expect(r.join.varz).toBeLessThanOrEqual(6 * N);
    expect(r.leave.varz).toBeLessThanOrEqual(4 * N);
  }, 120_000);
});
