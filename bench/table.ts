/**
 * The table at scale (run with `--expose-gc`): memory per remote node at 10^5
 * and 10^6 nodes beside a plain `Map` of `{ owner, controller, monitors }`;
 * the time to apply an advert of 10^5 nodes; and the cost of a one-node
 * change in a 10^6-node table — the table update, and separately the sorted
 * list handed to `onNodesUpdated`. Target: memory ≤ 1.25× the plain map; the
 * update costs O(nodes of that origin), not O(all nodes).
 */
import { performance } from 'node:perf_hooks';
import { CtpRouter } from '../src/router.js';
import { CtpTable } from '../src/link-state/table.js';
import type { CtpAdvert } from '../src/base/messages.js';
import {
  emitRows,
  fmtBytes,
  fmtUs,
  median,
  parseArgs,
  reproduce,
  type BenchRow,
} from './lib/harness.js';

const { quick } = parseArgs();
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const PER_ORIGIN = 50_000; // the default maxNodesPerAdvert
const SELF = 'bench';
const HUB = 'hub';

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function originId(i: number): string {
  return `station-${String(i).padStart(3, '0')}`;
}
/** The adverts of `total` nodes: `total / PER_ORIGIN` origins behind one hub, as frames (JSON text). */
function advertFrames(total: number): string[] {
  const k = Math.max(1, Math.ceil(total / PER_ORIGIN));
  const per = Math.min(total, PER_ORIGIN);
  const origins = Array.from({ length: k }, (_, i) => originId(i));
  const frames = [
    JSON.stringify({
      v: 1,
      t: 'REPORTNODE',
      from: HUB,
      adverts: [{ origin: HUB, seq: 1, nodes: [], neighbors: [SELF, ...origins] }],
    }),
  ];
  for (let o = 0; o < k; o++) {
    const nodes = Array.from(
      { length: per },
      (_, i) => `${origins[o]}/cam-${String(i).padStart(6, '0')}`,
    );
    frames.push(
      JSON.stringify({
        v: 1,
        t: 'REPORTNODE',
        from: HUB,
        adverts: [{ origin: origins[o], seq: 1, nodes, neighbors: [HUB] }],
      }),
    );
  }
  return frames;
}

interface Held {
  value: unknown;
}

/** Bytes per node of the baseline: the same names, parsed from the same frames, in a plain Map. */
function baselineBytes(frames: string[], total: number, held: Held): number {
  const before = heap();
  const map = new Map<
    string,
    { owner: string; controller: string | undefined; monitors: string[] }
  >();
  for (const f of frames) {
    for (const a of (JSON.parse(f) as { adverts: CtpAdvert[] }).adverts) {
      for (const n of a.nodes) map.set(n, { owner: HUB, controller: undefined, monitors: [] });
    }
  }
  held.value = map;
  return (heap() - before) / total;
}

/** Bytes per node of a whole router fed the same frames. */
function routerBytes(frames: string[], total: number, held: Held): number {
  const before = heap();
  let seen = 0;
  const router = new CtpRouter<string>(
    () => {},
    () => {},
    (nodes) => (seen = nodes.length),
    // Not the defaults' bounds: one peer hands over a table of up to 10^6 names (about 30 MB) at
    // once, past twice maxFrameBytes (the case docs/operations.md, "Advert storms and budgets", says
    // to raise maxAdvertBytesPerSecond for), from 20 origins of 50,000 names, past the per-origin
    // share that applies beyond half of maxTableNodes (10^6 by default). This suite measures the
    // memory of such a table, not those bounds (bench/big-adverts does).
    { id: SELF, maxRouters: 100_000, maxAdvertBytesPerSecond: 0, maxTableNodes: 2_000_000 },
  );
  router.peerUp(HUB);
  for (const f of frames) router.receive(HUB, f);
  if (seen !== total) throw new Error(`router sees ${seen} nodes, expected ${total}`);
  held.value = router;
  return (heap() - before) / total;
}

/** A table (the routing half alone) with the same adverts. */
function buildTable(frames: string[]): CtpTable<string> {
  const t = new CtpTable<string>(SELF, 0, 100_000);
  t.bind(HUB, HUB);
  for (const f of frames)
    for (const a of (JSON.parse(f) as { adverts: CtpAdvert[] }).adverts) t.applyAdvert(a, 0);
  t.commit(0);
  return t;
}
function tableBytes(frames: string[], total: number, held: Held): number {
  const before = heap();
  const t = buildTable(frames);
  t.sortedNames();
  held.value = t;
  return (heap() - before) / total;
}

const rows: BenchRow[] = [];
const cmd = reproduce('table', quick);
const sizes = quick ? [100_000] : [100_000, 1_000_000];
const held: Held = { value: undefined };

for (const total of sizes) {
  const frames = advertFrames(total);
  const reps = quick ? 1 : 3;
  const b: number[] = [];
  const r: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    b.push(baselineBytes(frames, total, held));
    held.value = undefined;
    r.push(routerBytes(frames, total, held));
    held.value = undefined;
    t.push(tableBytes(frames, total, held));
    held.value = undefined;
  }
  const bm = median(b);
  const rm = median(r);
  const tm = median(t);
  const label = total >= 1e6 ? '10^6' : '10^5';
  rows.push({
    group: 'table memory',
    name: `bytes per remote node, whole router, ${label} nodes`,
    value: fmtBytes(rm),
    baseline: fmtBytes(bm),
    ratio: rm / bm,
    target: '≤ 1.25×',
    met: rm / bm <= 1.25,
    cmd,
  });
  rows.push({
    group: 'table memory',
    name: `bytes per remote node, table alone, ${label} nodes`,
    value: fmtBytes(tm),
    baseline: fmtBytes(bm),
    ratio: tm / bm,
    target: '≤ 1.25×',
    met: tm / bm <= 1.25,
    cmd,
  });
  process.stderr.write(
    `table ${label}: router ${rm.toFixed(0)} B, table ${tm.toFixed(0)} B, map ${bm.toFixed(0)} B per node\n`,
  );
}

// ---- applying an advert of 10^5 nodes --------------------------------------
{
  const n = 100_000;
  const nodes = Array.from({ length: n }, (_, i) => `big/cam-${String(i).padStart(6, '0')}`);
  const frame = JSON.stringify({
    v: 1,
    t: 'REPORTNODE',
    from: HUB,
    adverts: [{ origin: HUB, seq: 1, nodes, neighbors: [SELF] }],
  });
  const reps = quick ? 2 : 7;
  const rt: number[] = [];
  const bt: number[] = [];
  for (let i = 0; i < reps; i++) {
    heap();
    let t0 = performance.now();
    const map = new Map<
      string,
      { owner: string; controller: string | undefined; monitors: string[] }
    >();
    for (const a of (JSON.parse(frame) as { adverts: CtpAdvert[] }).adverts)
      for (const x of a.nodes) map.set(x, { owner: HUB, controller: undefined, monitors: [] });
    bt.push(performance.now() - t0);
    heap();
    const router = new CtpRouter<string>(
      () => {},
      () => {},
      () => {},
      // The same advert of n names, again and again: the budget would hold the repeats (see above).
      { id: SELF, maxNodesPerAdvert: n, maxAdvertBytesPerSecond: 0 },
    );
    router.peerUp(HUB);
    t0 = performance.now();
    router.receive(HUB, frame);
    rt.push(performance.now() - t0);
    if (router.nodes().length !== n) throw new Error('advert not applied');
    void router.close();
  }
  const rm = median(rt);
  const bm = median(bt);
  rows.push({
    group: 'table time',
    name: 'apply one advert of 10^5 nodes (receive: decode, validate, index, routes, onNodesUpdated)',
    value: fmtUs(rm),
    baseline: `${fmtUs(bm)} (JSON.parse + Map.set)`,
    ratio: rm / bm,
    target: '',
    cmd,
    note: 'ratio is a cost: lower is better',
  });
  process.stderr.write(`apply 10^5 advert: ${fmtUs(rm)} vs ${fmtUs(bm)}\n`);
}

// ---- a one-node change ------------------------------------------------------
// The same origin size (50 000 nodes) in a table of 10^5 and of 10^6 nodes:
// an update that costs O(nodes of that origin) takes the same time in both.
{
  const changeSizes = quick ? [100_000, 200_000] : [100_000, 1_000_000];
  const results: { total: number; update: number; list: number; map: number }[] = [];
  for (const total of changeSizes) {
    const frames = advertFrames(total);
    const table = buildTable(frames);
    table.sortedNames();
    const first = (JSON.parse(frames[1] as string) as { adverts: CtpAdvert[] })
      .adverts[0] as CtpAdvert;
    const reps = quick ? 5 : 15;
    const up: number[] = [];
    const li: number[] = [];
    const mp: number[] = [];
    const map = new Map<
      string,
      { owner: string; controller: string | undefined; monitors: string[] }
    >();
    for (let i = 0; i < 1000; i++)
      map.set(`m${i}`, { owner: HUB, controller: undefined, monitors: [] });
    let seq = first.seq;
    for (let i = 0; i < reps; i++) {
      // Alternately add and remove one node of that origin (a new advert each time, as it arrives).
      const nodes = i % 2 === 0 ? [...first.nodes, `${first.origin}/extra`] : [...first.nodes];
      const advert: CtpAdvert = {
        origin: first.origin,
        seq: ++seq,
        nodes,
        neighbors: first.neighbors,
      };
      heap();
      let t0 = performance.now();
      table.applyAdvert(advert, 0);
      const delta = table.commit(0);
      up.push(performance.now() - t0);
      if (delta.added.length + delta.removed.length !== 1)
        throw new Error('expected a one-node change');
      t0 = performance.now();
      // What the router hands to onNodesUpdated: a copy of the sorted list.
      const list = table.sortedNames().slice();
      li.push(performance.now() - t0);
      if (list.length !== total + (i % 2 === 0 ? 1 : 0)) throw new Error(`list ${list.length}`);
      t0 = performance.now();
      if (i % 2 === 0) map.set('extra', { owner: HUB, controller: undefined, monitors: [] });
      else map.delete('extra');
      mp.push(performance.now() - t0);
    }
    results.push({ total, update: median(up), list: median(li), map: median(mp) });
    process.stderr.write(
      `one-node change at ${total}: update ${fmtUs(median(up))}, list ${fmtUs(median(li))}\n`,
    );
  }
  const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
  const growth = large.update / small.update;
  const sizeGrowth = large.total / small.total;
  const label = (n: number): string => (n === 1e6 ? '10^6' : n === 1e5 ? '10^5' : String(n));
  rows.push({
    group: 'table time',
    name: `one-node change, table update, in a ${label(large.total)}-node table (origin of ${PER_ORIGIN} nodes)`,
    value: fmtUs(large.update),
    baseline: `${fmtUs(large.map)} (Map.set)`,
    target: 'O(nodes of that origin)',
    met: growth < Math.sqrt(sizeGrowth),
    cmd,
    note: `${fmtUs(small.update)} at ${label(small.total)} nodes: ×${growth.toFixed(2)} for ×${sizeGrowth} the nodes`,
  });
  rows.push({
    group: 'table time',
    name: `one-node change, the onNodesUpdated list, in a ${label(large.total)}-node table`,
    value: fmtUs(large.list),
    baseline: '',
    target: '',
    cmd,
    note: `${fmtUs(small.list)} at ${label(small.total)} nodes (a copy of the whole sorted list: O(all nodes) by the API's contract)`,
  });
}
emitRows(rows);
