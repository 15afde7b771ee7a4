import { describe, expect, it } from 'vitest';
import { CtpTable } from '../../src/link-state/table.js';
import type { CtpAdvert } from '../../src/base/messages.js';

const T0 = 1_000_000;
const ad = (origin: string, seq: number, nodes: string[], neighbors: string[]): CtpAdvert => ({
  origin,
  seq,
  nodes,
  neighbors,
});

/** A table for router `a`, bound to neighbors by peer name = neighbor id. */
function table(id = 'a', maxRouters = 100): CtpTable<string> {
  return new CtpTable<string>(id, T0, maxRouters);
}

describe('CtpTable: own advert', () => {
  it('starts at the clock and grows by one only on an actual change', () => {
    const t = table();
    expect(t.seq).toBe(T0);
    expect(t.reoriginate()).toBeUndefined();
    t.addLocal(['x', 'y']);
    expect(t.reoriginate()).toEqual({ origin: 'a', seq: T0 + 1, nodes: ['x', 'y'], neighbors: [] });
    t.addLocal(['x']);
    expect(t.reoriginate()).toBeUndefined();
    t.bind('p1', 'b');
    t.bind('p2', 'b'); // a second peer to the same router is not a new neighbor
    expect(t.reoriginate()?.neighbors).toEqual(['b']);
    expect(t.seq).toBe(T0 + 2);
    t.unbind('p1');
    expect(t.reoriginate()).toBeUndefined();
    t.unbind('p2');
    expect(t.reoriginate()).toEqual({ origin: 'a', seq: T0 + 3, nodes: ['x', 'y'], neighbors: [] });
  });
});

describe('CtpTable: on a broadcast medium', () => {
  it('a second peer of a bound router id coming or going is a change the media part must see (seed 900608)', () => {
    const t = table();
    let advertised = ['b'];
    t.media = { advertised: () => advertised, attached: () => new Set(), changed: () => {} };
    t.bind('link', 'b');
    t.commit(T0);
    expect(t.dirty(false)).toBe(false);
    // b is heard on the bus too: the same router id, another peer — the DR's view of the medium changed.
    t.bind('bus', 'b');
    expect(t.dirty(false)).toBe(true);
    t.commit(T0 + 1);
    expect(t.dirty(false)).toBe(false);
    // The link goes, the bus stays: the point-to-point list changed (the media part lists the pseudo-node only).
    advertised = ['bus:m:a'];
    expect(t.unbind('link')).toBe('b');
    expect(t.dirty(false)).toBe(true);
    // Without a medium a second peer is no news (as before).
    const plain = table();
    plain.bind('p1', 'b');
    plain.commit(T0);
    plain.reoriginate();
    plain.bind('p2', 'b');
    plain.unbind('p1');
    expect(plain.dirty()).toBe(false);
  });
});

describe('CtpTable: flooding rules', () => {
  it('stores new and newer adverts, ignores equal ones, reports older ones', () => {
    const t = table();
    expect(t.applyAdvert(ad('b', 5, ['n1'], []), T0)).toBe('stored');
    expect(t.applyAdvert(ad('b', 5, ['other'], []), T0)).toBe('equal');
    expect(t.stored('b')?.nodes).toEqual(['n1']);
    expect(t.applyAdvert(ad('b', 4, ['old'], []), T0)).toBe('older');
    expect(t.stored('b')?.seq).toBe(5);
    expect(t.applyAdvert(ad('b', 6, ['n2'], []), T0)).toBe('stored');
    expect(t.stored('b')?.nodes).toEqual(['n2']);
  });

  it('heals its own origin when a higher seq, or an equal seq with other contents, comes back', () => {
    const t = table();
    t.addLocal(['x']);
    t.reoriginate();
    const own = t.seq;
    expect(t.applyAdvert(ad('a', own + 10, ['x'], []), T0)).toBe('own-heal');
    expect(t.applyAdvert(ad('a', own, ['x', 'ghost'], []), T0)).toBe('own-heal');
    expect(t.applyAdvert(ad('a', own, ['x'], []), T0)).toBe('own-ignore'); // same lists
    expect(t.applyAdvert(ad('a', own - 1, ['zzz'], []), T0)).toBe('own-ignore');
    expect(t.healAbove(own + 10).seq).toBe(own + 11);
  });
});

describe('CtpTable: routes', () => {
  it('uses only two-way links', () => {
    const t = table();
    t.bind('pb', 'b');
    t.applyAdvert(ad('b', 1, ['nb'], []), T0); // b does not list a yet
    let d = t.commit(T0);
    expect(t.isReachable('b')).toBe(false);
    expect(t.sortedNames()).toEqual([]);
    expect(d.added).toEqual([]);
    t.applyAdvert(ad('b', 2, ['nb'], ['a']), T0);
    d = t.commit(T0);
    expect(t.isReachable('b')).toBe(true);
    expect(d.added).toEqual(['nb']);
    expect(d.gained).toEqual(['b']);
    expect(t.peerToward('b')).toBe('pb');
  });

  it('routes multi-hop through the first hop and forgets unreachable origins', () => {
    // a - b - c ; c also lists d but d does not list c (one-sided)
    const t = table();
    t.bind('pb', 'b');
    t.applyAdvert(ad('b', 1, ['nb'], ['a', 'c']), T0);
    t.applyAdvert(ad('c', 1, ['nc'], ['b', 'd']), T0);
    t.applyAdvert(ad('d', 1, ['nd'], []), T0);
    t.commit(T0);
    expect(t.sortedNames()).toEqual(['nb', 'nc']);
    expect(t.firstHop('c')).toBe('b');
    expect(t.peerToward('c')).toBe('pb');
    expect(t.isReachable('d')).toBe(false);
    // b drops its link to c: c's nodes disappear everywhere downstream
    t.applyAdvert(ad('b', 2, ['nb'], ['a']), T0 + 5);
    const d = t.commit(T0 + 5);
    expect(d.removed).toEqual(['nc']);
    expect(d.lost).toEqual(['c']);
    expect(t.sortedNames()).toEqual(['nb']);
    expect(t.stored('c')?.unreachableSince).toBe(T0 + 5); // kept, for a partition that heals
    // and the partition heals without re-flooding c's advert
    t.applyAdvert(ad('b', 3, ['nb'], ['a', 'c']), T0 + 6);
    expect(t.commit(T0 + 6).added).toEqual(['nc']);
  });

  it('drops every route through a neighbor that goes down', () => {
    const t = table();
    t.bind('pb', 'b');
    t.applyAdvert(ad('b', 1, ['nb'], ['a', 'c']), T0);
    t.applyAdvert(ad('c', 1, ['nc'], ['b']), T0);
    t.commit(T0);
    t.unbind('pb');
    t.reoriginate();
    const d = t.commit(T0);
    expect(d.removed.sort()).toEqual(['nb', 'nc']);
    expect(t.sortedNames()).toEqual([]);
  });
});

describe('CtpTable: names', () => {
  it('resolves a name conflict to the origin id that sorts first, and a local node always wins', () => {
    const t = table('m');
    t.bind('pz', 'z');
    t.bind('pb', 'b');
    t.applyAdvert(ad('z', 1, ['cam'], ['m']), T0);
    t.applyAdvert(ad('b', 1, ['cam'], ['m']), T0);
    let d = t.commit(T0);
    expect(t.ownerOf('cam')).toBe('b');
    expect(d.conflicts).toEqual([{ node: 'cam', hosts: ['b', 'z'] }]);
    // the same set of hosts is not reported again
    t.applyAdvert(ad('z', 2, ['cam', 'other'], ['m']), T0);
    d = t.commit(T0);
    expect(d.conflicts).toEqual([]);
    t.addLocal(['cam']);
    d = t.commit(T0);
    expect(t.ownerOf('cam')).toBe('m');
    expect(d.conflicts).toEqual([{ node: 'cam', hosts: ['b', 'm', 'z'] }]);
    // UTF-16 code unit order: 'B' (0x42) sorts before 'a' (0x61)
    const u = table('x');
    u.bind('p1', 'a');
    u.bind('p2', 'B');
    u.applyAdvert(ad('a', 1, ['n'], ['x']), T0);
    u.applyAdvert(ad('B', 1, ['n'], ['x']), T0);
    u.commit(T0);
    expect(u.ownerOf('n')).toBe('B');
  });

  it('ignores a virtual node whose @id is not its origin', () => {
    const t = table();
    t.bind('pb', 'b');
    t.applyAdvert(
      ad('b', 1, ['controller[cam]@b', 'controller[cam]@evil', 'monitor[cam]@b', 'n', 'n'], ['a']),
      T0,
    );
    t.commit(T0);
    expect(t.sortedNames()).toEqual(['controller[cam]@b', 'monitor[cam]@b', 'n']);
    expect(t.isReachableName('controller[cam]@evil')).toBe(false);
  });

  it('reports exactly the names whose reachability changed', () => {
    const t = table();
    t.bind('pb', 'b');
    t.bind('pc', 'c');
    t.applyAdvert(ad('b', 1, ['shared', 'onlyB'], ['a']), T0);
    t.applyAdvert(ad('c', 1, ['shared'], ['a']), T0);
    t.commit(T0);
    t.unbind('pb');
    t.reoriginate();
    const d = t.commit(T0);
    expect(d.removed).toEqual(['onlyB']); // shared is still hosted by c
    expect(d.added).toEqual([]);
    expect(t.ownerOf('shared')).toBe('c');
  });
});

describe('CtpTable: limits and ageing', () => {
  it('refuses a new unreachable origin when full, and evicts the longest-unreachable one for a reachable origin', () => {
    const t = table('a', 2);
    t.bind('pb', 'b');
    expect(t.applyAdvert(ad('x', 1, [], []), T0)).toBe('stored'); // unreachable since T0
    expect(t.applyAdvert(ad('y', 1, [], []), T0 + 10)).toBe('stored'); // unreachable since T0+10
    t.commit(T0 + 10);
    expect([...t.storedAdverts()].length).toBe(2);
    expect(t.applyAdvert(ad('z', 1, [], []), T0 + 20)).toBe('too-many-routers');
    // b is a bound neighbor and lists a: reachable once stored, so x (oldest unreachable) goes
    expect(t.applyAdvert(ad('b', 1, ['nb'], ['a']), T0 + 20)).toBe('stored');
    expect(t.stored('x')).toBeUndefined();
    expect(t.stored('y')).toBeDefined();
    t.commit(T0 + 20);
    expect(t.sortedNames()).toEqual(['nb']);
    // full of reachable ones: nothing to evict
    const u = table('a', 1);
    u.bind('pb', 'b');
    u.bind('pc', 'c');
    u.applyAdvert(ad('b', 1, [], ['a']), T0);
    u.commit(T0);
    expect(u.applyAdvert(ad('c', 1, [], ['a']), T0)).toBe('too-many-routers');
  });

  it('deletes adverts whose origin stayed unreachable for staleMs, and only those', () => {
    const t = table();
    t.bind('pb', 'b');
    t.applyAdvert(ad('b', 1, [], ['a']), T0);
    t.applyAdvert(ad('gone', 1, ['g'], []), T0);
    t.commit(T0);
    expect(t.nextStaleAt(1000)).toBe(T0 + 1000);
    expect(t.expireStale(T0 + 999, 1000)).toEqual([]);
    expect(t.expireStale(T0 + 1000, 1000)).toEqual(['gone']);
    expect(t.stored('gone')).toBeUndefined();
    expect(t.stored('b')).toBeDefined();
    expect(t.nextStaleAt(1000)).toBeUndefined();
  });

  it("starts an unreachable origin's age again when a newer advert of it arrives (seed 927)", () => {
    const t = table();
    t.applyAdvert(ad('far', 1, ['f'], ['x']), T0);
    t.commit(T0);
    // Unreachable for 900 ms, then a newer advert: it is news of its origin.
    expect(t.applyAdvert(ad('far', 2, ['f'], ['y']), T0 + 900)).toBe('stored');
    t.commit(T0 + 900);
    expect(t.nextStaleAt(1000)).toBe(T0 + 1900);
    expect(t.expireStale(T0 + 1000, 1000)).toEqual([]);
    expect(t.expireStale(T0 + 1900, 1000)).toEqual(['far']);
    // An equal copy is not news.
    t.applyAdvert(ad('far', 3, [], []), T0 + 2000);
    t.commit(T0 + 2000);
    expect(t.applyAdvert(ad('far', 3, [], []), T0 + 2500)).toBe('equal');
    expect(t.expireStale(T0 + 3000, 1000)).toEqual(['far']);
  });

  it("never ages out a bound neighbor's advert, even while the link is one-way (seed 927)", () => {
    const t = table();
    t.bind('pb', 'b');
    // b does not list this router yet (on a medium: not the same pseudo-node): unreachable.
    t.applyAdvert(ad('b', 1, ['nb'], ['bus:m:c']), T0);
    t.commit(T0);
    expect(t.isReachable('b')).toBe(false);
    expect(t.nextStaleAt(1000)).toBeUndefined();
    expect(t.expireStale(T0 + 10_000, 1000)).toEqual([]);
    expect(t.stored('b')).toBeDefined();
    // Once the peer is gone its advert ages as any other.
    t.unbind('pb');
    t.commit(T0 + 10_000);
    expect(t.expireStale(T0 + 11_000, 1000)).toEqual(['b']);
  });

  it('counts the node names of its stored adverts as they are stored, replaced and deleted (maxTableNodes)', () => {
    const t = table();
    t.applyAdvert(ad('b', 1, ['b1', 'b2', 'b3'], []), T0);
    t.applyAdvert(ad('c', 1, ['c1'], []), T0);
    expect(t.storedNodes).toBe(4);
    t.applyAdvert(ad('b', 2, ['b1'], []), T0); // replaced by a smaller one
    t.applyAdvert(ad('c', 1, ['c1', 'c2'], []), T0); // equal seq: ignored
    expect(t.storedNodes).toBe(2);
    t.commit(T0);
    expect(t.expireStale(T0 + 10_000, 1000).sort()).toEqual(['b', 'c']);
    expect(t.storedNodes).toBe(0);
  });
});
