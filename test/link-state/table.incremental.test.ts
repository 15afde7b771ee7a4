/**
 * The table's incremental paths (diffing a re-advertised origin, keeping the
 * sorted list in step) must give exactly what a table built from scratch
 * gives. Random advert sequences, replayable from the printed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CtpTable } from '../../src/link-state/table.js';
import type { CtpAdvert } from '../../src/base/messages.js';

const ORIGINS = ['a', 'b', 'c'];
const name = fc.constantFrom(
  'n1',
  'n2',
  'n3',
  'n4',
  'n5',
  'n6',
  'controller[n1]@a',
  'monitor[n2]@b',
  'monitor[n3]@c',
  'controller[n4]@b',
);
const step = fc.record({
  origin: fc.constantFrom(...ORIGINS),
  nodes: fc.array(name, { maxLength: 8 }),
  linked: fc.boolean(),
});

function fresh(adverts: Map<string, CtpAdvert>, linked: Map<string, boolean>): CtpTable<string> {
  const t = new CtpTable<string>('self', 0, 100);
  t.bind('hub', 'hub');
  const nbs = ORIGINS.filter((o) => linked.get(o) === true);
  t.applyAdvert({ origin: 'hub', seq: 1, nodes: [], neighbors: ['self', ...nbs] }, 0);
  for (const a of adverts.values()) t.applyAdvert(a, 0);
  t.commit(0);
  return t;
}

function view(t: CtpTable<string>): unknown {
  const names = t.sortedNames().slice();
  const stored = [...t.storedAdverts()].map((ad) => [ad.origin, [...ad.names].sort()]).sort();
  return {
    names,
    hosts: names.map((n) => t.hostsOf(n)),
    owners: names.map((n) => t.ownerOf(n)),
    stored,
  };
}

describe('table incremental updates', () => {
  it('match a table built from scratch', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
        const t = new CtpTable<string>('self', 0, 100);
        t.bind('hub', 'hub');
        const adverts = new Map<string, CtpAdvert>();
        const linked = new Map<string, boolean>();
        let hubSeq = 1;
        let seq = 1;
        const hub = (): CtpAdvert => ({
          origin: 'hub',
          seq: hubSeq++,
          nodes: [],
          neighbors: ['self', ...ORIGINS.filter((o) => linked.get(o) === true)],
        });
        t.applyAdvert(hub(), 0);
        t.commit(0);
        t.sortedNames();
        for (const s of steps) {
          // Re-advertise either a fresh list or the stored one with one edit, in order.
          const prev = adverts.get(s.origin)?.nodes ?? [];
          const nodes =
            s.nodes.length % 3 === 0 && prev.length > 0
              ? [...prev.slice(0, -1), ...s.nodes.slice(0, 1)]
              : s.nodes;
          const a: CtpAdvert = { origin: s.origin, seq: ++seq, nodes, neighbors: ['hub'] };
          adverts.set(s.origin, a);
          t.applyAdvert(a, 0);
          if (linked.get(s.origin) !== s.linked) {
            linked.set(s.origin, s.linked);
            t.applyAdvert(hub(), 0);
          }
          t.commit(0);
          expect(view(t)).toEqual(view(fresh(adverts, linked)));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the earliest unreachable advert, kept as adverts come and go', () => {
  it('is what a scan of every stored advert gives (`nextStaleAt`)', () => {
    const origins = ['a', 'b', 'c', 'd', 'e'];
    const op = fc.record({
      origin: fc.constantFrom(...origins),
      linked: fc.boolean(),
      dt: fc.integer({ min: 0, max: 700 }),
      expire: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const t = new CtpTable<string>('self', 0, 100);
        t.bind('hub', 'hub');
        const linked = new Set<string>();
        let now = 0;
        let seq = 1;
        const hub = (): CtpAdvert => ({
          origin: 'hub',
          seq: seq++,
          nodes: [],
          neighbors: ['self', ...linked],
        });
        t.applyAdvert(hub(), now);
        t.commit(now);
        for (const o of ops) {
          now += o.dt;
          t.applyAdvert(
            { origin: o.origin, seq: seq++, nodes: [o.origin], neighbors: ['hub'] },
            now,
          );
          if (linked.has(o.origin) !== o.linked) {
            if (o.linked) linked.add(o.origin);
            else linked.delete(o.origin);
            t.applyAdvert(hub(), now);
          }
          t.commit(now);
          if (o.expire) t.expireStale(now, 1000);
          let scan: number | undefined;
          for (const ad of t.storedAdverts())
            if (ad.unreachableSince !== undefined)
              scan = Math.min(scan ?? Infinity, ad.unreachableSince + 1000);
          expect(t.nextStaleAt(1000)).toBe(scan);
        }
      }),
      { numRuns: 500 },
    );
  });
});
