/**
 * The data behind `ctp-router ui` and `nodes --dot`: the snapshot's
 * per-router links and node lists, the view built from it, the feed of
 * changes, and the live wiring to a router's events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CtpSnapshot } from '../../src/index.js';
import { diffViews, type CtpFeedEntry } from '../../src/ui/feed.js';
import { CtpLiveView } from '../../src/ui/live.js';
import { networkView, type CtpNetworkView } from '../../src/ui/model.js';
import { topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
const lives: CtpLiveView<unknown>[] = [];
afterEach(async () => {
  for (const l of lives.splice(0)) l.close();
  await net?.close();
  net = undefined;
});

/** o — a — b — c, b hosts cam1 and lamp; o is the observer. */
async function line4() {
  net = await topology(
    ['o', 'a', 'b', 'c'],
    [
      ['o', 'a'],
      ['a', 'b'],
      ['b', 'c'],
    ],
    (id) => (id === 'b' ? { nodes: ['cam1', 'lamp'] } : {}),
  );
  return { net, o: net.router('o'), a: net.router('a'), b: net.router('b'), c: net.router('c') };
}

describe('snapshot().routers[id]: neighbors and hosted', () => {
  it('lists every origin’s advertised neighbors and names, sorted', async () => {
    const { net, o, c } = await line4();
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    const snap = o.snapshot();
    expect(snap.neighbors).toEqual(['a']);
    expect(snap.routers.a).toMatchObject({
      reachable: true,
      nextHop: 'a',
      neighbors: ['b', 'o'],
      hosted: [],
    });
    expect(snap.routers.b).toMatchObject({
      reachable: true,
      nextHop: 'a',
      neighbors: ['a', 'c'],
      hosted: ['cam1', 'lamp'],
      nodes: 2,
    });
    expect(snap.routers.c).toMatchObject({
      reachable: true,
      neighbors: ['b'],
      hosted: ['controller[cam1]@c'],
      nodes: 1,
    });
    expect(snap.routers.o).toBeUndefined();
  });

  it('keeps an unreachable origin’s last lists', async () => {
    const { net, o, b } = await line4();
    net.unlink('a', 'b');
    await net.settle();
    const snap = o.snapshot();
    expect(snap.routers.b).toMatchObject({ reachable: false, hosted: ['cam1', 'lamp'] });
    expect(snap.routers.b?.nextHop).toBeUndefined();
    expect(b.snapshot().routers.a?.reachable).toBe(false);
  });
});

describe('networkView', () => {
  it('routers, two-way links, nodes with host, controller and monitors across the network', async () => {
    const { net, o, a, c } = await line4();
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(await a.register('cam1', 'monitor')).toEqual({ code: 'SUCCESS' });
    expect(await c.register('cam1', 'monitor')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    const v = networkView(o.snapshot());
    expect(v.self).toBe('o');
    expect(v.routers).toEqual([
      { id: 'o', self: true, reachable: true, nodes: [] },
      { id: 'a', self: false, reachable: true, nodes: [] },
      { id: 'b', self: false, reachable: true, nodes: ['cam1', 'lamp'] },
      { id: 'c', self: false, reachable: true, nodes: [] },
    ]);
    expect(v.links).toEqual([
      { a: 'a', b: 'b', twoWay: true },
      { a: 'a', b: 'o', twoWay: true },
      { a: 'b', b: 'c', twoWay: true },
    ]);
    expect(v.nodes).toEqual([
      { node: 'cam1', host: 'b', via: 'a', controller: 'c', monitors: ['a', 'c'] },
      { node: 'lamp', host: 'b', via: 'a', controller: null, monitors: [] },
    ]);
    expect(v.unreachable).toEqual([]);
  });

  it('the host’s own view and the observer’s own registration agree with the others', async () => {
    const { net, o, b } = await line4();
    expect(await o.register('lamp', 'controller')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    const fromHost = networkView(b.snapshot());
    expect(fromHost.routers[0]).toEqual({
      id: 'b',
      self: true,
      reachable: true,
      nodes: ['cam1', 'lamp'],
    });
    expect(fromHost.nodes.find((n) => n.node === 'lamp')).toEqual({
      node: 'lamp',
      host: 'b',
      via: 'local',
      controller: 'o',
      monitors: [],
    });
    expect(networkView(o.snapshot()).nodes.find((n) => n.node === 'lamp')?.controller).toBe('o');
  });

  it('a router that lost its route moves apart with the nodes it last advertised; its links and nodes leave', async () => {
    const { net, o } = await line4();
    net.crash('b');
    await net.settle();
    const v = networkView(o.snapshot());
    expect(v.routers.map((r) => r.id)).toEqual(['o', 'a']);
    expect(v.unreachable).toEqual([
      { id: 'b', self: false, reachable: false, nodes: ['cam1', 'lamp'] },
      { id: 'c', self: false, reachable: false, nodes: [] },
    ]);
    expect(v.links).toEqual([{ a: 'a', b: 'o', twoWay: true }]);
    expect(v.nodes).toEqual([]);
  });

  it('from a hand-made snapshot: one-way links, strangers, registrants of unknown nodes, hostile names', () => {
    const snap: CtpSnapshot = {
      id: 'me',
      seq: 3,
      nodes: {},
      routers: {
        x: {
          seq: 1,
          reachable: true,
          nextHop: 'x',
          nodes: 2,
          neighbors: ['me', 'ghost', 'y'],
          hosted: ['__proto__', 'monitor[__proto__]@x'],
        },
        y: {
          seq: 1,
          reachable: true,
          nextHop: 'x',
          nodes: 1,
          neighbors: [],
          hosted: ['controller[nowhere]@y'],
        },
        me: { seq: 9, reachable: true, nodes: 0, neighbors: [], hosted: [] },
      },
      neighbors: ['x'],
      registrations: [],
    };
    Object.defineProperty(snap.nodes, '__proto__', {
      value: { owner: 'x', origin: 'x' },
      enumerable: true,
    });
    snap.nodes['monitor[__proto__]@x'] = { owner: 'x', origin: 'x' };
    snap.nodes['controller[nowhere]@y'] = { owner: 'x', origin: 'y' };
    snap.nodes['a"b\\c]@d'] = { owner: 'x', origin: 'y' };
    const v = networkView(snap);
    expect(v.routers.map((r) => r.id)).toEqual(['me', 'x', 'y']);
    // `me` appears once (its own entry in routers is ignored); `ghost` has no advert: no link to it.
    expect(v.links).toEqual([
      { a: 'me', b: 'x', twoWay: true },
      { a: 'x', b: 'y', twoWay: false },
    ]);
    expect(v.nodes).toEqual([
      { node: '__proto__', host: 'x', via: 'x', controller: null, monitors: ['x'] },
      { node: 'a"b\\c]@d', host: 'y', via: 'x', controller: null, monitors: [] },
    ]);
    expect(v.routers.find((r) => r.id === 'x')?.nodes).toEqual(['__proto__']);
  });
});

describe('diffViews', () => {
  const base = (): CtpNetworkView => ({
    self: 'o',
    routers: [
      { id: 'o', self: true, reachable: true, nodes: [] },
      { id: 'h', self: false, reachable: true, nodes: ['cam1'] },
    ],
    links: [{ a: 'h', b: 'o', twoWay: true }],
    nodes: [{ node: 'cam1', host: 'h', via: 'h', controller: null, monitors: [] }],
    unreachable: [],
  });

  it('nothing for the first view or an equal one', () => {
    expect(diffViews(undefined, base(), 1)).toEqual([]);
    expect(diffViews(base(), base(), 1)).toEqual([]);
  });

  it('one line per router, link, node and registration change', () => {
    const after = base();
    after.routers.push({ id: 'c', self: false, reachable: true, nodes: [] });
    after.links.push({ a: 'c', b: 'h', twoWay: true });
    after.nodes = [
      { node: 'cam1', host: 'h2', via: 'h', controller: 'c', monitors: ['o'] },
      { node: 'mic', host: 'h', via: 'h', controller: null, monitors: [] },
    ];
    const texts = diffViews(base(), after, 7).map((e) => `${e.kind}|${e.text}`);
    expect(texts).toEqual([
      'router|router c reachable',
      'link|link up c — h',
      'table|node cam1 moved h → h2',
      'table|node +mic at h',
      'register|registered c controller of cam1',
      'register|registered o monitor of cam1',
    ]);
    const back = diffViews(after, base(), 8).map((e) => `${e.kind}|${e.text}`);
    expect(back).toEqual([
      'router|router c gone',
      'link|link down c — h',
      'table|node cam1 moved h2 → h',
      'table|node -mic (was at h)',
      'release|released c controller of cam1',
      'release|released o monitor of cam1',
    ]);
  });

  it('a router that lost its route is “unreachable”', () => {
    const after = base();
    after.routers = after.routers.slice(0, 1);
    after.unreachable = [{ id: 'h', self: false, reachable: false, nodes: ['cam1'] }];
    after.links = [];
    after.nodes = [];
    expect(diffViews(base(), after, 1).map((e) => e.text)).toEqual([
      'router h unreachable',
      'link down h — o',
      'node -cam1 (was at h)',
    ]);
  });
});

describe('CtpLiveView', () => {
  it('pushes a view on every change and feeds registrations, releases, drops; close() detaches', async () => {
    const { net, o, c } = await line4();
    const views: CtpNetworkView[] = [];
    const feed: CtpFeedEntry[] = [];
    const live = new CtpLiveView(
      o,
      [{ setView: (v) => views.push(v), log: (e) => feed.push(...e) }],
      { pollMs: 60_000, peerName: () => 'peer-x' },
    );
    lives.push(live as CtpLiveView<unknown>);
    expect(views).toHaveLength(1);
    expect(live.current().nodes.map((n) => n.node)).toEqual(['cam1', 'lamp']);

    expect(await c.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    await until(() => feed.some((e) => e.kind === 'register'), 'the registration in the feed');
    expect(feed.find((e) => e.kind === 'register')?.text).toBe('registered c controller of cam1');
    expect(views.at(-1)?.nodes[0]?.controller).toBe('c');

    expect((await c.unregister('cam1', 'controller')).code).toBe('SUCCESS');
    await net.settle();
    await until(() => feed.some((e) => e.kind === 'release'), 'the release in the feed');

    net.inject('a', 'o', '{"v":1,"t":"REPORTNODE"');
    await net.settle();
    expect(feed.find((e) => e.kind === 'drop')?.text).toMatch(/^dropped malformed .*from peer-x/);

    live.close();
    const n = feed.length;
    const m = views.length;
    net.crash('b');
    await net.settle();
    expect(feed.length).toBe(n);
    expect(views.length).toBe(m);
  });

  it('the poll sees link changes that raise no nodes event', async () => {
    const { net, o } = await line4();
    const feed: CtpFeedEntry[] = [];
    const live = new CtpLiveView(o, [{ setView: () => {}, log: (e) => feed.push(...e) }], {
      pollMs: 10,
    });
    lives.push(live as CtpLiveView<unknown>);
    const nodesBefore = o.nodes().join();
    net.link('a', 'c');
    await net.settle();
    expect(o.nodes().join()).toBe(nodesBefore);
    await until(() => feed.some((e) => e.text === 'link up a — c'), 'the new link in the feed');
  });
});
