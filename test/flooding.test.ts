/**
 * Flooding (src/flooding.ts) across stale expiry: adverts that aged out while
 * a bound neighbor's link was one-way are asked for again once it is two-way.
 */
import { describe, expect, it } from 'vitest';
import type { CtpAdvert } from '../src/messages.js';
import { CtpRouter } from '../src/router.js';
import { VirtualClock } from './sim/clock.js';

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
    { id: 'a', clock: clock.ctp(), staleAdvertMs: 1000, minAdvertIntervalMs: 0 },
  );
  const report = (adverts: CtpAdvert[]): void => router.receive('pb', JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'b', adverts }));
  const updatesTo = (peer: string): number => sent.filter((s) => s.peer === peer && s.frame.t === 'UPDATENODE').length;
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
    runUntil(clock, t0 + 1500);
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

describe('CtpFlooding: the own advert under a burst of new links', () => {
  it('a station binding 20 new neighbors at once sends a few own adverts, and the last lists them all', async () => {
    const clock = new VirtualClock();
    const own: { neighbors: string[] }[] = [];
    const router = new CtpRouter<string>(
      () => {},
      (peer, frame) => {
        const f = JSON.parse(frame) as { t: string; adverts?: (CtpAdvert & { neighbors: string[] })[] };
        if (peer === null && f.t === 'REPORTNODE') for (const a of f.adverts ?? []) if (a.origin === 'station') own.push(a);
      },
      () => {},
      { id: 'station', nodes: ['cam'], clock: clock.ctp(), minAdvertIntervalMs: 500 },
    );
    const t0 = clock.now;
    router.peerUp('warm-up');
    router.receive('warm-up', JSON.stringify({ v: 1, t: 'UPDATENODE', from: 'w' }));
    const before = own.length;
    for (let i = 0; i < 20; i++) {
      router.peerUp(`p${i}`);
      router.receive(`p${i}`, JSON.stringify({ v: 1, t: 'UPDATENODE', from: `c${i}` }));
    }
    // The bucket had one token left after the warm-up's advert: one more went out, the rest are coalesced (20 ms).
    expect(own.length - before).toBeLessThanOrEqual(2);
    runUntil(clock, t0 + 1000);
    expect(own.length - before).toBeLessThanOrEqual(3);
    const last = own.at(-1);
    expect(new Set(last?.neighbors)).toEqual(new Set(['w', ...Array.from({ length: 20 }, (_, i) => `c${i}`)]));
    await router.close();
  });

  it('new links past the bucket are coalesced over 20 ms; a lost link goes out at once', async () => {
    const clock = new VirtualClock();
    const own: string[][] = [];
    const router = new CtpRouter<string>(
      () => {},
      (peer, frame) => {
        const f = JSON.parse(frame) as { t: string; adverts?: { origin: string; neighbors: string[] }[] };
        if (peer === null && f.t === 'REPORTNODE') for (const a of f.adverts ?? []) if (a.origin === 's') own.push([...a.neighbors].sort());
      },
      () => {},
      { id: 's', clock: clock.ctp(), minAdvertIntervalMs: 500 },
    );
    const t0 = clock.now;
    for (const id of ['a', 'b', 'c']) {
      router.peerUp(`p${id}`);
      router.receive(`p${id}`, JSON.stringify({ v: 1, t: 'UPDATENODE', from: id }));
    }
    expect(own).toEqual([['a'], ['a', 'b']]); // the bucket's two tokens
    runUntil(clock, t0 + 19);
    expect(own).toHaveLength(2);
    runUntil(clock, t0 + 20);
    expect(own.at(-1)).toEqual(['a', 'b', 'c']);
    router.peerUp('pd');
    router.receive('pd', JSON.stringify({ v: 1, t: 'UPDATENODE', from: 'd' }));
    expect(own).toHaveLength(3); // waits (no token)
    router.peerDown('pa'); // a lost link does not
    expect(own.at(-1)).toEqual(['b', 'c', 'd']);
    await router.close();
  });

  it('a lone new link still goes out at once', async () => {
    const clock = new VirtualClock();
    const own: string[][] = [];
    const router = new CtpRouter<string>(
      () => {},
      (peer, frame) => {
        const f = JSON.parse(frame) as { t: string; adverts?: { origin: string; neighbors: string[] }[] };
        if (peer === null && f.t === 'REPORTNODE') for (const a of f.adverts ?? []) if (a.origin === 'a') own.push(a.neighbors);
      },
      () => {},
      { id: 'a', clock: clock.ctp(), minAdvertIntervalMs: 500 },
    );
    router.peerUp('pb');
    router.receive('pb', JSON.stringify({ v: 1, t: 'UPDATENODE', from: 'b' }));
    expect(own.at(-1)).toEqual(['b']);
    runUntil(clock, clock.now + 5000);
    router.peerUp('pc');
    router.receive('pc', JSON.stringify({ v: 1, t: 'UPDATENODE', from: 'c' }));
    expect(own.at(-1)).toEqual(['b', 'c']);
    await router.close();
  });
});
