/**
 * Big signed adverts from an insider (issue 25): a controller's command round
 * trips to a station (p50, p99), quiet and while an insider linked to the
 * station floods it with its own genuinely signed adverts of 50,000 names, a
 * new seq each. Three signing routers (default options) in one process on
 * asynchronous in-memory links (one delivery per macrotask, as sockets
 * deliver); the insider's frames are made and signed beforehand, so what the
 * storm costs is the station's work on them. Target: p50 within 2 × quiet.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { CtpAdvert } from '../src/base/messages.js';
import { canonicalAdvert } from '../src/link-state/signing.js';
import { CtpRouter } from '../src/router.js';
import { emitRows, fmtUs, parseArgs, quantile, reproduce, type BenchRow } from './lib/harness.js';

const { quick, flags } = parseArgs();
const NAMES = Number(flags.get('names') ?? 50_000);
const COMMANDS = quick ? 100 : 400;
const FRAMES = quick ? 8 : 24;
// --budget=N sets maxAdvertBytesPerSecond (0: none, the behaviour before the advert budget); default options otherwise.
const budget = flags.has('budget') ? { maxAdvertBytesPerSecond: Number(flags.get('budget')) } : {};

const dir = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url));
const pem = (name: string): string => readFileSync(`${dir}${name}`, 'utf8');
const CA = pem('ca.crt');

interface Peer {
  at: string;
  remote: string;
}
const byId = new Map<string, CtpRouter<Peer>>();
const links = new Map<string, Peer[]>();
// One peer object per link end, as a transport keeps one per connection (the router keys peers by identity).
const ends = new Map<string, Peer>();
function end(at: string, remote: string): Peer {
  const key = `${at}>${remote}`;
  let p = ends.get(key);
  if (p === undefined) ends.set(key, (p = { at, remote }));
  return p;
}
function router(id: string, nodes: string[] = []): CtpRouter<Peer> {
  const r = new CtpRouter<Peer>(
    () => undefined,
    (peer, frame) => {
      for (const p of peer === null ? (links.get(id) ?? []) : [peer])
        setImmediate(() => byId.get(p.remote)?.receive(end(p.remote, id), frame));
    },
    () => undefined,
    { id, nodes, identity: { key: pem(`${id}.key`), cert: pem(`${id}.crt`), ca: CA }, ...budget },
  );
  byId.set(id, r);
  return r;
}
function link(a: string, b: string): void {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    links.set(x, [...(links.get(x) ?? []), end(x, y)]);
    byId.get(x)?.peerUp(end(x, y));
  }
}

const station = router('station', ['cam1']);
station.handle('cam1', () => ({ ok: true }));
const consoleR = router('console');
link('station', 'console');
await consoleR.waitForNode('cam1', { timeoutMs: 10_000 });
if ((await consoleR.register('cam1', 'controller')).code !== 'SUCCESS')
  throw new Error('register failed');

// The insider: a raw peer of the station with a genuine certificate (relay), signing its own adverts.
const relayKey = createPrivateKey(pem('relay.key'));
const relayDer = new X509Certificate(pem('relay.crt')).raw.toString('base64');
const names = Array.from({ length: NAMES }, (_, i) => `insider-node-${i}`);
const base = Date.now();
const frames: string[] = [];
for (let i = 0; i < FRAMES; i++) {
  const a: CtpAdvert = {
    origin: 'relay',
    // --same-seq: one advert sent again and again (ignored after the first: decode and validation only).
    seq: flags.has('same-seq') ? base : base + i,
    nodes: i % 2 === 0 ? names : names.slice(1),
    neighbors: ['station'],
    time: Date.now(),
  };
  a.sig = sign('sha256', Buffer.from(canonicalAdvert(a)), relayKey).toString('base64');
  a.cert = relayDer;
  frames.push(JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'relay', adverts: [a] }));
}
const insider = end('station', 'relay');
station.peerUp(insider);

async function roundTrips(n: number): Promise<number[]> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await consoleR.command('cam1', 'x', { i });
    if (r.code !== 'SUCCESS') throw new Error(`command: ${r.code}`);
    us.push(performance.now() - t0);
  }
  return us;
}

await roundTrips(50); // warm-up
const quiet = await roundTrips(COMMANDS);
let storming = true;
let sent = 0;
const drops = new Map<string, number>();
station.on('dropped', (e) => drops.set(e.reason, (drops.get(e.reason) ?? 0) + 1));
// One insider frame per macrotask, for as long as the measurement runs: as fast as the station reads.
const storm = (): void => {
  if (!storming) return;
  station.receive(insider, frames[sent++ % FRAMES] as string);
  setImmediate(storm);
};
setImmediate(storm);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const loaded = await roundTrips(COMMANDS);
const wallMs = performance.now() - t0;
storming = false;
const cpu = process.cpuUsage(cpu0);
const storedInsider = station.snapshot().routers.relay?.nodes ?? 0;

const cmd = reproduce('big-adverts', quick);
const ratio = quantile(loaded, 0.5) / quantile(quiet, 0.5);
const group = `big signed adverts (issue 25): ${NAMES} names per insider advert`;
const row = (name: string, value: string, extra: Partial<BenchRow> = {}): BenchRow => ({
  group,
  name,
  value,
  baseline: '',
  target: '',
  cmd,
  ...extra,
});
const rows: BenchRow[] = [
  row('command round trip p50, quiet', fmtUs(quantile(quiet, 0.5))),
  row('command round trip p50, under the storm', fmtUs(quantile(loaded, 0.5)), {
    baseline: fmtUs(quantile(quiet, 0.5)),
    ratio,
    target: 'p50 ≤ 2 × quiet',
    met: ratio <= 2,
  }),
  row(
    'command round trip p99, quiet / under the storm',
    `${fmtUs(quantile(quiet, 0.99))} / ${fmtUs(quantile(loaded, 0.99))}`,
  ),
  row(
    'insider frames received by the station during the measurement',
    `${sent} in ${wallMs.toFixed(0)} ms (process CPU ${(((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(0)} %)`,
  ),
  row(
    'station: insider names stored, drops by reason',
    `${storedInsider}; ${JSON.stringify(Object.fromEntries(drops))}`,
  ),
];
emitRows(rows);
for (const r of byId.values()) await r.close();
