/**
 * The bus's incremental paths (bench/bus-scale.ts made them necessary) must
 * give exactly what recomputing from scratch gives: `routesUnchanged` (a
 * route search skipped) against the search itself, the table's routes and
 * ages after skipped searches against a search over its final state, and the
 * media part's DR (kept up to date by media-index.ts) against the rule
 * computed from every binding and advert. Random sequences, replayable from
 * the printed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CtpMedia, pseudoNodeId } from '../../src/link-state/media.js';
import { extendRoutes, routesUnchanged, twoWayRoutes } from '../../src/link-state/routes.js';
import { CtpTable } from '../../src/link-state/table.js';

// This router's id sorts in the middle: a lower member may take the DR over (M2).
const SELF = 'c';
const P = 'bus:m:b';
const IDS = ['a', 'b', 'd', 'e', 'f'];
const PSEUDO = [P, 'bus:m:a', 'bus:m:c', 'bus:m:d', 'bus:m:x'];
const ALL = [SELF, ...PSEUDO, ...IDS];
const list = fc.array(fc.constantFrom(...ALL), { maxLength: 6 });

interface Linked {
  neighbors: string[];
  neighborSet: Set<string>;
}
const linked = (l: string[]): Linked => ({ neighbors: l, neighborSet: new Set(l) });
/** Random stored lists, attached pseudo-nodes and bound ids of router SELF. */
const graph = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...PSEUDO, ...IDS), list),
    fc.subarray(PSEUDO),
    fc.subarray(IDS),
  )
  .map(([lists, attached, bound]) => ({
    adverts: new Map(Object.entries(lists).map(([o, l]) => [o, linked(l)])),
    att: new Set(attached),
    b: new Map(bound.map((id) => [id, [id]])),
  }));

describe('routesUnchanged', () => {
  it('true only when the route search gives the same routes in the same order', () => {
    let skipped = 0;
    fc.assert(
      fc.property(
        graph,
        fc.constantFrom(...PSEUDO, ...IDS),
        fc.option(list, { nil: undefined }),
        ({ adverts, att, b }, x, after) => {
          const search = (): [string, string][] => [
            ...twoWayRoutes(SELF, b.keys(), adverts, att, b),
          ];
          const before = search();
          const old = adverts.get(x)?.neighbors;
          const root = b.has(x) || att.has(x);
          const same = routesUnchanged(x, old, after, SELF, adverts, root);
          if (after === undefined) adverts.delete(x);
          else adverts.set(x, linked(after));
          if (same) {
            skipped++;
            expect(search()).toEqual(before);
          }
        },
      ),
      { numRuns: 3000 },
    );
    // It does rule searches out (else it would be no use).
    expect(skipped).toBeGreaterThan(300);
  });
});

describe('extendRoutes', () => {
  it('what it appends is exactly what a search over the new state adds, and nothing reached moves', () => {
    let appended = 0;
    fc.assert(
      fc.property(
        graph,
        fc.array(
          fc.tuple(fc.constantFrom(...PSEUDO, ...IDS), fc.option(list, { nil: undefined })),
          {
            maxLength: 3,
          },
        ),
        fc.subarray(IDS),
        ({ adverts, att, b }, edits, rebind) => {
          const routes = twoWayRoutes(SELF, b.keys(), adverts, att, b);
          // The batch, as the table records it: every origin changed (with its list before), every binding flipped.
          const changes = new Map<string, string[] | undefined>();
          for (const [x, after] of edits) {
            if (!changes.has(x)) changes.set(x, adverts.get(x)?.neighbors);
            if (after === undefined) adverts.delete(x);
            else adverts.set(x, linked(after));
          }
          for (const id of rebind) {
            if (b.has(id)) b.delete(id);
            else b.set(id, [id]);
          }
          const out = extendRoutes(SELF, routes, adverts, att, b, {
            changes,
            boundNow: new Set(rebind.filter((id) => adverts.has(id))),
          });
          if (out === undefined) return;
          appended += out.length;
          const want = twoWayRoutes(SELF, b.keys(), adverts, att, b);
          const got = new Map([...routes, ...out]);
          expect(new Map([...got].sort())).toEqual(new Map([...want].sort()));
        },
      ),
      { numRuns: 5000 },
    );
    // It does extend on random graphs too (about 40 entries in 5,000 runs), not only on a bus.
    expect(appended).toBeGreaterThan(5);
  });

  it('a join on a bus is an extension at a member: the newcomer, reached directly, appended', () => {
    const adverts = new Map([
      [P, linked([SELF, 'a', 'd'])],
      ['a', linked([P])],
      ['d', linked([P])],
    ]);
    const att = new Set([P]);
    const b = new Map([
      ['a', ['a']],
      ['d', ['d']],
    ]);
    const routes = twoWayRoutes(SELF, b.keys(), adverts, att, b);
    expect([...routes]).toEqual([
      [P, P],
      ['a', 'a'],
      ['d', 'd'],
    ]);
    adverts.set('e', linked([P]));
    adverts.set(P, linked([SELF, 'a', 'd', 'e']));
    b.set('e', ['e']);
    const changes = new Map([
      ['e', undefined],
      [P, [SELF, 'a', 'd']],
    ]);
    expect(
      extendRoutes(SELF, routes, adverts, att, b, { changes, boundNow: new Set(['e']) }),
    ).toEqual([['e', 'e']]);
    // Not yet heard directly (no binding): not reached through the pseudo-node, nothing appended.
    b.delete('e');
    expect(extendRoutes(SELF, routes, adverts, att, b, { changes, boundNow: new Set() })).toEqual(
      [],
    );
    // A member leaving (the pseudo-node drops a reached one): a search.
    adverts.set(P, linked([SELF, 'a']));
    expect(
      extendRoutes(SELF, routes, adverts, att, b, {
        changes: new Map([[P, [SELF, 'a', 'd']]]),
        boundNow: new Set(),
      }),
    ).toBeUndefined();
  });
});

type Op =
  | { k: 'bind' | 'unbind'; id: string; bus: boolean }
  | { k: 'advert'; id: string; l: string[] }
  | { k: 'drop'; id: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('bind' as const), id: fc.constantFrom(...IDS), bus: fc.boolean() }),
  fc.record({ k: fc.constant('unbind' as const), id: fc.constantFrom(...IDS), bus: fc.boolean() }),
  fc.record({ k: fc.constant('advert' as const), id: fc.constantFrom(...PSEUDO, ...IDS), l: list }),
  fc.record({ k: fc.constant('drop' as const), id: fc.constantFrom(...PSEUDO, ...IDS) }),
);

/** A table of router `a` on medium `m`, with the media part wired as the router wires it. */
function busTable() {
  const t = new CtpTable<string>(SELF, 1000, 100);
  const media = new CtpMedia<string>(t);
  let seq = 1000;
  return {
    t,
    media,
    /** Apply `o`; commit unless `batch` (several changes in one commit, as one frame's adverts). */
    apply(o: Op, batch = false): void {
      const peer = `${o.id}-${'bus' in o && o.bus ? 'bus' : 'link'}`;
      if (o.k === 'bind') {
        media.up(peer, 'bus' in o && o.bus ? 'm' : undefined);
        t.media ??= media;
        t.bind(peer, o.id);
      } else if (o.k === 'unbind') {
        t.unbind(peer);
        media.down(peer);
      } else if (o.k === 'advert')
        t.applyAdvert({ origin: o.id, seq: ++seq, nodes: [], neighbors: o.l }, seq);
      else t.expireOrigins([o.id]);
      if (batch) return;
      media.reconcile(seq);
      t.commit(seq);
    },
  };
}

/** The table's routes are a search over its state (each origin's first hop; `extendRoutes` appends, so not the order), and so are the ages. */
function expectExact(t: CtpTable<string>, media: CtpMedia<string>): void {
  const adverts = new Map([...t.storedAdverts()].map((s) => [s.origin, s]));
  const want = twoWayRoutes(SELF, t.boundPeers().keys(), adverts, media.attached(), t.boundPeers());
  const sorted = (l: [string, string | undefined][]) => l.sort((x, y) => (x[0] < y[0] ? -1 : 1));
  expect(sorted([...t.reachableOrigins()].map((x) => [x, t.firstHop(x)]))).toEqual(
    sorted([...want]),
  );
  for (const s of t.storedAdverts())
    expect(s.unreachableSince === undefined).toBe(
      want.has(s.origin) || t.boundPeers().has(s.origin),
    );
}

describe('CtpTable and CtpMedia on a bus: incremental = from scratch', () => {
  it("the routes and ages after skipped or extended searches are a search over the final state's", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { t, media, apply } = busTable();
        for (const o of ops) {
          apply(o);
          expectExact(t, media);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the same with several changes in one commit (both ends of a link changing at once)', () => {
    let extended = 0;
    fc.assert(
      fc.property(
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { maxLength: 20 }),
        (batches) => {
          const { t, media, apply } = busTable();
          for (const b of batches) {
            const before = new Set(t.reachableOrigins());
            for (const o of b) apply(o, true);
            media.reconcile(2000);
            const d = t.commit(2000);
            if (
              d.gained.length > 0 &&
              d.lost.length === 0 &&
              [...before].every((o) => t.isReachable(o))
            )
              extended++;
            expectExact(t, media);
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(extended).toBeGreaterThan(100);
  });

  it("a bound neighbor's newer advert with the same list does not start to age (found by the property above)", () => {
    const { t, apply } = busTable();
    apply({ k: 'advert', id: 'f', l: [] });
    apply({ k: 'bind', id: 'f', bus: false });
    apply({ k: 'advert', id: 'f', l: [] });
    // f lists no one, so it is not routed to; but it is bound, and a bound neighbor's advert never goes stale.
    expect(t.firstHop('f')).toBeUndefined();
    const f = [...t.storedAdverts()].find((s) => s.origin === 'f');
    expect(f?.unreachableSince).toBeUndefined();
    expect(t.expireStale(1e12, 1)).toEqual([]);
  });

  it('the DR is the rule (M1, M2) over every binding and advert, with the sticky current DR', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { t, media, apply } = busTable();
        let current: string | undefined;
        for (const o of ops) {
          // The rule as written (the code before media-index.ts), over the state before reconciling.
          apply(o);
          const view = [SELF];
          for (const [id, peers] of t.boundPeers())
            if (peers.some((p) => p.endsWith('-bus'))) view.push(id);
          view.sort();
          let want: string | undefined;
          if (view.length >= 2) {
            let declared = current === SELF ? SELF : undefined;
            let unheard = 0;
            const pseudo = new Map(view.map((c) => [pseudoNodeId('m', c), c]));
            for (const id of view.filter((v) => v !== SELF))
              for (const nb of t.stored(id)?.neighbors ?? []) {
                if (!nb.startsWith('bus:m:')) continue;
                const c = pseudo.get(nb);
                if (c === undefined) unheard++;
                else if (c === id && (declared === undefined || id < declared)) declared = id;
              }
            want =
              declared ?? (current === undefined && unheard > 0 ? undefined : (view[0] as string));
          }
          const q = [...media.attached()][0];
          expect(q).toBe(want === undefined ? undefined : pseudoNodeId('m', want));
          // The own neighbor list, in the order it always had: linked ids as bound, then the pseudo-node.
          expect(t.neighborIds()).toEqual([
            ...[...t.boundPeers()]
              .filter(([, ps]) => ps.some((p) => p.endsWith('-link')))
              .map(([id]) => id),
            ...(q === undefined ? [] : [q]),
          ]);
          current = want;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
