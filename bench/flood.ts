/**
 * Flooding cost: frames sent for one change (a node added at one router) in
 * a random connected graph of 50 routers, beside the number of links.
 * Target: frames ≤ 2 × links.
 */
import { CtpTestNetwork } from '../src/testing/index.js';
import { emitRows, parseArgs, reproduce, type BenchRow } from './lib/harness.js';

const { quick, flags } = parseArgs();
const N = Number(flags.get('routers') ?? 50);
const seed = Number(flags.get('seed') ?? 42);
const extraLinks = Number(flags.get('extra') ?? N); // beyond the spanning tree

/** mulberry32: a small seeded PRNG, so every run measures the same graph. */
function prng(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(seed);
const net = new CtpTestNetwork();
const ids = Array.from({ length: N }, (_, i) => `r${i}`);
for (const id of ids) net.addRouter(id);
const edges = new Set<string>();
const link = (a: string, b: string): void => {
  const key = a < b ? `${a}|${b}` : `${b}|${a}`;
  if (a === b || edges.has(key)) return;
  edges.add(key);
  net.link(a, b);
};
// A random spanning tree, then random extra links.
for (let i = 1; i < N; i++) link(ids[i] as string, ids[Math.floor(rnd() * i)] as string);
for (let i = 0; i < extraLinks; i++)
  link(ids[Math.floor(rnd() * N)] as string, ids[Math.floor(rnd() * N)] as string);
await net.settle();
const links = edges.size;
for (const id of ids) if (net.router(id).nodes().length !== 0) throw new Error('unexpected nodes');

const rows: BenchRow[] = [];
const measure = async (label: string, change: () => void, check: () => boolean): Promise<void> => {
  await net.settle();
  const before = net.sent;
  const types = new Map<string, number>();
  net.onFrame = (f) => {
    const t = /"t":"([A-Z]+)"/.exec(f.frame)?.[1] ?? '?';
    types.set(t, (types.get(t) ?? 0) + 1);
  };
  change();
  await net.settle();
  net.onFrame = undefined;
  const frames = net.sent - before;
  if (!check()) throw new Error(`${label}: the change did not reach every router`);
  rows.push({
    group: 'flooding, 50-router random graph',
    name: `${label} (${N} routers, ${links} links, seed ${seed})`,
    value: `${frames} frames`,
    baseline: `${links} links`,
    ratio: frames / links,
    target: '≤ 2 × links',
    met: frames <= 2 * links,
    cmd: reproduce('flood', quick),
    note: [...types].map(([t, c]) => `${c} ${t}`).join(', '),
  });
  process.stderr.write(
    `flood ${label}: ${frames} frames for ${links} links (${(frames / links).toFixed(2)}×) ${[...types]}\n`,
  );
};
await measure(
  'one node added',
  () => net.router('r7').appendNodes('cam-new'),
  () => ids.every((id) => net.router(id).nodes().includes('cam-new')),
);
await measure(
  'one node removed',
  () => net.router('r7').removeNodes('cam-new'),
  () => ids.every((id) => !net.router(id).nodes().includes('cam-new')),
);
await net.close();

/**
 * A station taking `leaves` new links at once (issue 10, "noticed"): every new
 * link changes the station's own advert. Sent at once each time, that was one
 * advert per link to every peer, each listing all the station's neighbors so
 * far: frames ~ N², bytes ~ N³. New links now wait for a token of the own
 * bucket (two, one back per `minAdvertIntervalMs`). The floor is the leaves'
 * own adverts, which every other leaf must get: about N² frames of one
 * neighbor each.
 */
async function star(leaves: number): Promise<void> {
  const s = new CtpTestNetwork();
  s.addRouter('station', { nodes: ['cam'], minAdvertIntervalMs: 500 });
  let frames = 0;
  let bytes = 0;
  let own = 0;
  s.onFrame = (f) => {
    if (f.from !== 'station') return;
    frames++;
    bytes += Buffer.byteLength(f.frame);
    if (f.frame.includes('"origin":"station"')) own++;
  };
  for (let i = 0; i < leaves; i++) {
    s.addRouter(`leaf${i}`, { nodes: [`n${i}`], minAdvertIntervalMs: 500 });
    s.link('station', `leaf${i}`);
  }
  await s.settle(10_000_000);
  await new Promise((r) => setTimeout(r, 1600)); // the paced own adverts
  await s.settle(10_000_000);
  if (s.router('leaf0').nodes().length !== leaves + 1)
    throw new Error('star: leaf0 does not see every node');
  const before = (leaves * (leaves + 1)) / 2; // one own advert per new link, to every peer so far
  rows.push({
    group: 'flooding, a station taking new links at once',
    name: `${leaves} leaves linked to one station in one burst (minAdvertIntervalMs 500)`,
    value: `station sent ${frames} frames, ${(bytes / 1e6).toFixed(1)} MB; ${own} of them carried its own advert`,
    baseline: `one own advert per new link to every peer: ${before.toLocaleString('en')} own-advert frames`,
    target: '',
    cmd: reproduce('flood', quick),
    note: "the rest is the leaves' adverts each other leaf must get (about N² frames, the floor of link-state)",
  });
  process.stderr.write(
    `flood star ${leaves}: ${frames} frames, ${bytes} bytes, ${own} with the own advert\n`,
  );
  await s.close();
}
await star(quick ? 50 : 200);
emitRows(rows);
