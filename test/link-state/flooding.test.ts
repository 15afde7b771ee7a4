/**
 * Flooding (src/link-state/flooding.ts) across stale expiry: adverts that aged out while
 * a bound neighbor's link was one-way are asked for again once it is two-way.
 */
import { describe, expect, it } from 'vitest';
import type { CtpAdvert } from '../../src/base/messages.js';
import { CtpRouter } from '../../src/router.js';
import { VirtualClock } from '../sim/clock.js';

/** Fire every timer due up to `t`, then set the clock to `t`. */
function runUntil(clock: VirtualClock, t: number): void {
  for (let at = clock.nextAt(); at !== undefined && at <= t; at = clock.nextAt()) clock.runNext();
  clock.now = Math.max(clock.now, t);
}

function setup() {
  const clock = new VirtualClock();
  const sent: { peer: string | null; frame: Record<string, unknown> }[] = [];
  const router = new CtpRouter<string>(
    () => {},
    (peer, frame) => void sent.push({ peer, frame: JSON.parse(frame) as Record<string, unknown> }),
    () => {},
    { id: 'a', clock: clock.ctp() },
  );
  const report = (adverts: CtpAdvert[]): void =>
    router.receive('pb', JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'b', adverts }));
  const updatesTo = (peer: string): number =>
    sent.filter((s) => s.peer === peer && s.frame.t === 'UPDATENODE').length;
  return { clock, router, report, updatesTo };
}

describe('CtpFlooding: adverts aged out behind a one-way link', () => {
  it('asks the neighbor for its table again once the link is two-way', async () => {
    const { clock, router, report, updatesTo } = setup();
    const t0 = clock.now;
    router.peerUp('pb');
    expect(updatesTo('pb')).toBe(1);
    // b does not list a yet (its DR, or b itself, is late): b and c behind it are unreachable.
    report([
      { origin: 'b', seq: 1, nodes: ['nb'], neighbors: ['c'] },
      { origin: 'c', seq: 1, nodes: ['nc'], neighbors: ['b'] },
    ]);
    expect(router.nodes()).toEqual([]);
    runUntil(clock, t0 + 600_000 + 500); // past staleAdvertMs (10 min by default)
    expect(router.snapshot().routers.c).toBeUndefined(); // aged out
    expect(router.snapshot().routers.b).toBeDefined(); // a bound neighbor's advert never is
    expect(updatesTo('pb')).toBe(1);
    // b lists a at last: the link is two-way, c's advert is gone, and b has no reason to send it again.
    report([{ origin: 'b', seq: 2, nodes: ['nb'], neighbors: ['c', 'a'] }]);
    expect(router.nodes()).toEqual(['nb']);
    expect(updatesTo('pb')).toBe(2);
    // Its answer brings c back.
    report([{ origin: 'c', seq: 1, nodes: ['nc'], neighbors: ['b'] }]);
    expect(router.nodes()).toEqual(['nb', 'nc']);
    // Only once.
    report([{ origin: 'b', seq: 3, nodes: ['nb', 'nb2'], neighbors: ['c', 'a'] }]);
    expect(updatesTo('pb')).toBe(2);
    await router.close();
  });

  it('does not ask when nothing aged out', async () => {
    const { router, report, updatesTo } = setup();
    router.peerUp('pb');
    report([{ origin: 'b', seq: 1, nodes: ['nb'], neighbors: [] }]);
    report([{ origin: 'b', seq: 2, nodes: ['nb'], neighbors: ['a'] }]);
    expect(router.nodes()).toEqual(['nb']);
    expect(updatesTo('pb')).toBe(1);
    await router.close();
  });
});

/** A router `id` paced at 500 ms on the virtual clock, recording the neighbor lists of the own adverts it broadcasts. */
function station(id: string, nodes: string[] = []) {
  const clock = new VirtualClock();
  const own: string[][] = [];
  const router = new CtpRouter<string>(
    () => {},
    (peer, frame) => {
      const f = JSON.parse(frame) as {
        t: string;
        adverts?: { origin: string; neighbors: string[] }[];
      };
      if (peer === null && f.t === 'REPORTNODE')
        for (const a of f.adverts ?? []) if (a.origin === id) own.push([...a.neighbors].sort());
    },
    () => {},
    { id, nodes, clock: clock.ctp(), minAdvertIntervalMs: 500 },
  );
  /** A peer `p<from>` comes up and speaks for router `from`. */
  const link = (from: string): void => {
    router.peerUp(`p${from}`);
    router.receive(`p${from}`, JSON.stringify({ v: 1, t: 'UPDATENODE', from }));
  };
  return { clock, own, router, link };
}

describe('CtpFlooding: the own advert under a burst of new links', () => {
  it('a station binding 20 new neighbors at once sends a few own adverts, and the last lists them all', async () => {
    const { clock, own, router, link } = station('station', ['cam']);
    const t0 = clock.now;
    link('w');
    const before = own.length;
    for (let i = 0; i < 20; i++) link(`c${i}`);
    // The bucket had one token left after the warm-up's advert: one more went out, the rest are coalesced (20 ms).
    expect(own.length - before).toBeLessThanOrEqual(2);
    runUntil(clock, t0 + 1000);
    expect(own.length - before).toBeLessThanOrEqual(3);
    expect(own.at(-1)).toEqual(['w', ...Array.from({ length: 20 }, (_, i) => `c${i}`)].sort());
    await router.close();
  });

  it('new links past the bucket are coalesced over 20 ms; a lost link goes out at once', async () => {
    const { clock, own, router, link } = station('s');
    const t0 = clock.now;
    for (const id of ['a', 'b', 'c']) link(id);
    expect(own).toEqual([['a'], ['a', 'b']]); // the bucket's two tokens
    runUntil(clock, t0 + 19);
    expect(own).toHaveLength(2);
    runUntil(clock, t0 + 20);
    expect(own.at(-1)).toEqual(['a', 'b', 'c']);
    link('d');
    expect(own).toHaveLength(3); // waits (no token)
    router.peerDown('pa'); // a lost link does not
    expect(own.at(-1)).toEqual(['b', 'c', 'd']);
    await router.close();
  });

  it('a lone new link still goes out at once', async () => {
    const { clock, own, router, link } = station('a');
    link('b');
    expect(own.at(-1)).toEqual(['b']);
    runUntil(clock, clock.now + 5000);
    link('c');
    expect(own.at(-1)).toEqual(['b', 'c']);
    await router.close();
  });
});

describe("CtpFlooding: a big medium's pseudo-node advert", () => {
  /** DR `a` of medium bus1 with `n` members bound; the times its pseudo-node adverts go out, and their sizes. */
  function dr(n: number) {
    const clock = new VirtualClock();
    const sent: { at: number; members: number }[] = [];
    const router = new CtpRouter<string>(
      () => {},
      (peer, frame) => {
        const f = JSON.parse(frame) as { t: string; adverts?: CtpAdvert[] };
        if (peer === null && f.t === 'REPORTNODE')
          for (const a of f.adverts ?? [])
            if (a.origin.startsWith('bus:'))
              sent.push({ at: clock.now, members: a.neighbors.length });
      },
      () => {},
      { id: 'a', clock: clock.ctp() }, // default pacing: minAdvertIntervalMs 500
    );
    const join = (k: number): void => {
      const id = `m${String(k).padStart(4, '0')}`;
      router.peerUp(id, { medium: 'bus1' });
      router.receive(id, JSON.stringify({ v: 1, t: 'UPDATENODE', from: id }));
    };
    for (let k = 0; k < n; k++) join(k);
    runUntil(clock, clock.now + 10_000);
    return { clock, sent, router, join };
  }

  /** Joins every 50 ms for 6 s: the gaps between the pseudo-node adverts that went out. */
  function gaps(n: number): number[] {
    const { clock, sent, router, join } = dr(n);
    expect(sent.at(-1)?.members).toBe(n + 1);
    const from = sent.length;
    for (let k = n; k < n + 120; k++) {
      join(k);
      runUntil(clock, clock.now + 50);
    }
    runUntil(clock, clock.now + 10_000);
    const s = sent.slice(from);
    expect(s.at(-1)?.members).toBe(n + 121); // the last one lists every member
    void router.close();
    return s.slice(1).map((x, i) => x.at - (s[i] as { at: number }).at);
  }

  it('up to 250 members: at most once per minAdvertIntervalMs; beyond, less often in proportion', () => {
    const small = gaps(100);
    expect(Math.min(...small)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...small.slice(0, -1))).toBeLessThan(600); // joins keep coming: as often as allowed
    const big = gaps(500);
    // 500 to 620 members: 1,000 to 1,240 ms apart (500 ms × members / 250).
    expect(Math.min(...big)).toBeGreaterThanOrEqual(1000);
    expect(big.length).toBeLessThan(small.length);
  });
});
