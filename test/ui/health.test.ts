/**
 * The health section of the live view (issue 23): the observer's own source
 * (requests, errors and drops it sees, the last request and event per node,
 * when neighbors were last heard) and the tracker that turns it into rates,
 * link histories and controller arrivals. Known traffic through the observer,
 * on the in-memory network, with a clock the test moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CtpTestPeer } from '../../src/testing/index.js';
import { CtpHealthTracker, type CtpHealthSource } from '../../src/ui/health.js';
import { CtpLiveView } from '../../src/ui/live.js';
import { networkView, type CtpNetworkView } from '../../src/ui/model.js';
import { observerHealth } from '../../src/ui/observer-health.js';
import { topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
const sources: CtpHealthSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await net?.close();
  net = undefined;
});

/** c — o — b, d — o: the observer o relays between the others; b hosts cam1 (its app echoes). */
async function star() {
  net = await topology(
    ['o', 'b', 'c', 'd'],
    [
      ['o', 'b'],
      ['o', 'c'],
      ['o', 'd'],
    ],
    (id) => (id === 'b' ? { nodes: ['cam1'] } : {}),
  );
  return { net, o: net.router('o'), b: net.router('b'), c: net.router('c'), d: net.router('d') };
}

describe('health', () => {
  it('rates per router from the traffic the observer relays, drops by reason, the last request and event per node', async () => {
    const { net, o, b, c, d } = await star();
    let t = 1_000_000;
    const source = observerHealth(o, { now: () => t, peerRouter: (p: CtpTestPeer) => p.remote });
    sources.push(source);
    const tracker = new CtpHealthTracker(source, 5000);
    const view = (): CtpNetworkView => networkView(o.snapshot());
    tracker.update(view(), t);

    t += 1000;
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    // d asks too: refused while c holds it, an error answered by cam1's host b.
    expect((await d.register('cam1', 'controller')).code).not.toBe('SUCCESS');
    for (let i = 0; i < 4; i++) expect((await c.command('cam1', 'pan', i)).code).toBe('SUCCESS');
    b.publish('cam1', { moved: true });
    net.inject('c', 'o', '{"v":1,"t":"REPORTNODE"'); // malformed: dropped by o
    net.inject('c', 'o', '{"v":1,"t":"NOPE"}'); // unknown type
    await net.settle();
    await until(() => source.activity().cam1?.lastEvent !== undefined, 'the event through o');

    t += 1000; // 2 s after the first sample
    const h = tracker.update(view(), t);
    expect(h.source).toBe('observer');
    const byId = Object.fromEntries(h.routers.map((r) => [r.id, r]));
    // c: 1 REGISTER + 4 COMMANDs in 2 s; d: 1 REGISTER; b answered d's with an error.
    expect(byId.c).toEqual({ id: 'c', requestsPerSec: 2.5, errorsPerSec: 0, dropsPerSec: {} });
    expect(byId.d).toEqual({ id: 'd', requestsPerSec: 0.5, errorsPerSec: 0, dropsPerSec: {} });
    expect(byId.b).toEqual({ id: 'b', requestsPerSec: 0, errorsPerSec: 0.5, dropsPerSec: {} });
    expect(byId.o?.dropsPerSec).toEqual({ malformed: 0.5, 'unknown-type': 0.5 });
    expect(h.nodes.cam1).toEqual({
      controllerSince: t,
      lastRequest: { at: t - 1000, type: 'COMMAND', by: 'c', code: 'SUCCESS' },
      lastEvent: t - 1000,
    });

    // Nothing more for 6 s: the window (5 s) has moved past the traffic.
    t += 6000;
    const quiet = tracker.update(view(), t);
    expect(quiet.routers.find((r) => r.id === 'c')?.requestsPerSec).toBe(0);
    expect(quiet.routers.find((r) => r.id === 'o')?.dropsPerSec).toEqual({});
    // The controller's arrival stays when it is unchanged.
    expect(quiet.nodes.cam1?.controllerSince).toBe(t - 6000);
  });

  it('links: up/down history and, for the observer’s own links, the time since last heard', async () => {
    const { net, o } = await star();
    let t = 5_000_000;
    const source = observerHealth(o, { now: () => t, peerRouter: (p: CtpTestPeer) => p.remote });
    sources.push(source);
    const tracker = new CtpHealthTracker(source);
    const view = (): CtpNetworkView => networkView(o.snapshot());
    const first = tracker.update(view(), t);
    expect(first.links.map((l) => `${l.a}-${l.b} ${l.up}`)).toEqual([
      'b-o true',
      'c-o true',
      'd-o true',
    ]);
    const t0 = t;
    o.resetTable(); // o asks its neighbors for their tables: each answers, so each is heard now
    await net.settle();
    t += 2500;
    const h = tracker.update(view(), t);
    for (const l of h.links) expect([l.a, l.b, l.heartbeatAgeMs]).toEqual([l.a, l.b, 2000]);

    net.unlink('o', 'd');
    await net.settle();
    t += 1000;
    const down = tracker.update(view(), t);
    const od = down.links.find((l) => l.a === 'd');
    expect(od).toMatchObject({ up: false, since: t, heartbeatAgeMs: null });
    expect(od?.history).toEqual([
      { at: t0, up: true },
      { at: t, up: false },
    ]);
    net.link('o', 'd');
    await net.settle();
    t += 1000;
    const back = tracker.update(view(), t);
    expect(back.links.find((l) => l.a === 'd')?.history.map((x) => x.up)).toEqual([
      true,
      false,
      true,
    ]);
    // A link down for over ten minutes is forgotten.
    net.unlink('o', 'd');
    await net.settle();
    t += 1000;
    tracker.update(view(), t);
    t += 11 * 60_000;
    expect(tracker.update(view(), t).links.some((l) => l.a === 'd')).toBe(false);
  });

  it('the live view carries the health section; close() removes the tap from the router', async () => {
    const { o } = await star();
    expect(Object.hasOwn(o, 'receive')).toBe(false);
    const views: CtpNetworkView[] = [];
    const live = new CtpLiveView(o, [{ setView: (v) => views.push(v), log: () => {} }], {
      pollMs: 60_000,
    });
    expect(Object.hasOwn(o, 'receive')).toBe(true);
    expect(views.at(-1)).toMatchObject({ health: { source: 'observer', windowMs: 5000 } });
    live.close();
    expect(Object.hasOwn(o, 'receive')).toBe(false);
    const none = new CtpLiveView(o, [{ setView: (v) => views.push(v), log: () => {} }], {
      pollMs: 60_000,
      health: false,
    });
    expect(views.at(-1)).not.toHaveProperty('health');
    expect(Object.hasOwn(o, 'receive')).toBe(false);
    none.close();
  });
  it('hostile frames cannot grow it without bound: made-up requesters and nodes are capped', async () => {
    const { net, o } = await star();
    const source = observerHealth(o, { peerRouter: (p: CtpTestPeer) => p.remote });
    sources.push(source);
    for (let i = 0; i < 10_050; i++)
      net.inject(
        'c',
        'o',
        JSON.stringify({
          v: 1,
          t: 'COMMAND',
          id: i + 1,
          node: `fake${i}`,
          controller: `controller[fake${i}]@liar${i}`,
          app: 'x',
          content: 0,
        }),
      );
    await net.settle();
    expect(Object.keys(source.counters()).length).toBeLessThanOrEqual(10_001);
    expect(Object.keys(source.activity()).length).toBe(10_000);
    expect(source.activity().fake10049?.lastRequest?.by).toBe('liar10049');
  });
});
