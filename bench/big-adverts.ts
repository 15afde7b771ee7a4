/**
 * Big signed adverts from an insider (issue 25): a controller's command round
 * trips to a station (p50, p99), quiet and while an insider linked to the
 * station floods it with its own genuinely signed adverts of 50,000 names.
 * Two settings, default options in both (`--budget=N` sets
 * `maxAdvertBytesPerSecond`; 0 is the behaviour before the advert budget):
 * - three signing routers in one process on asynchronous in-memory links
 *   (one delivery per macrotask, as sockets deliver; one peer object per
 *   link end, as a transport keeps one per connection), the insider's frames
 *   made and signed beforehand and fed one per macrotask, so what the storm
 *   costs is the station's work on them;
 * - the issue's own: `ctp-router peer` with TLS as the station, the insider
 *   (bench/lib/advert-storm.ts) and the console in three processes over TCP.
 * Target: p50 within 2 × quiet.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { CtpAdvert } from '../src/base/messages.js';
import { canonicalAdvert } from '../src/link-state/signing.js';
import { CtpRouter } from '../src/router.js';
import { TcpTransport, type TcpPeer } from '../src/tcp/index.js';
import { spawnPeer } from './lib/child.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
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
const STORM = fileURLToPath(new URL('./lib/advert-storm.js', import.meta.url));

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
// The console hears the insider's adverts the station floods on: what it drops of them.
const consoleDrops = new Map<string, number>();
consoleR.on('dropped', (e) => consoleDrops.set(e.reason, (consoleDrops.get(e.reason) ?? 0) + 1));
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
    'station: insider names stored, drops by reason; the console: drops by reason',
    `${storedInsider}; ${JSON.stringify(Object.fromEntries(drops))}; ${JSON.stringify(Object.fromEntries(consoleDrops))}`,
  ),
];
for (const r of byId.values()) await r.close();
rows.push(...(await overTcp()));
emitRows(rows);

/**
 * The issue's own setting: the station is `ctp-router peer` (mutual TLS, signed adverts, default
 * options) in a process of its own, the insider another (bench/lib/advert-storm.ts: the `relay`
 * certificate), the console this process, all over TCP on 127.0.0.1; the console's commands,
 * quiet and while the insider sends its signed adverts as fast as the station reads them.
 */
async function overTcp(): Promise<BenchRow[]> {
  const cli = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));
  const tls = (n: string): string[] => [
    '--tls-cert',
    `${dir}${n}.crt`,
    '--tls-key',
    `${dir}${n}.key`,
    '--tls-ca',
    `${dir}ca.crt`,
  ];
  const budgetFlag = flags.has('budget')
    ? [`--max-advert-bytes-per-second=${String(flags.get('budget'))}`]
    : [];
  const stationArgs = ['peer', '--json', ...tls('station'), '--listen', '127.0.0.1:0'];
  const proc = spawn(
    process.execPath,
    [cli, ...stationArgs, '--node', 'cam1', '--echo', ...budgetFlag],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const tcpDrops = new Map<string, number>();
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`station exited (${String(code)})`)));
    createInterface({ input: proc.stdout }).on('line', (l) => {
      if (!l.startsWith('{"type":"listening"') && !l.startsWith('{"type":"dropped"')) return;
      const rec = JSON.parse(l) as { type: string; port?: number; reason?: string };
      if (rec.type === 'listening') resolve(rec.port as number);
      else tcpDrops.set(rec.reason as string, (tcpDrops.get(rec.reason as string) ?? 0) + 1);
    });
  });
  const identity = { key: pem('console.key'), cert: pem('console.crt'), ca: CA };
  const transport = new TcpTransport({ connect: [`station@127.0.0.1:${port}`], tls: identity });
  const consoleT = new CtpRouter<TcpPeer>(
    () => {},
    transport.send,
    () => {},
    {
      id: 'console',
      identity,
    },
  );
  transport.attach(consoleT);
  await consoleT.waitForNode('cam1', { timeoutMs: 20_000 });
  const reg = await consoleT.register('cam1', 'controller');
  if (reg.code !== 'SUCCESS') throw new Error(`register over TCP: ${reg.code}`);
  const trips = async (n: number): Promise<number[]> => {
    const us: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await consoleT.command('cam1', 'x', { i });
      if (r.code !== 'SUCCESS') throw new Error(`command over TCP: ${r.code}`);
      us.push(performance.now() - t0);
    }
    return us;
  };
  await trips(50);
  const quietTcp = await trips(COMMANDS);
  const stormer = spawnPeer([`--port=${port}`, `--names=${NAMES}`], [], STORM);
  await stormer.line('READY');
  await new Promise((r) => setTimeout(r, 1000)); // the storm under way, past its burst
  const cpu0 = stationCpuMs(proc.pid);
  const t0 = performance.now();
  const loadedTcp = await trips(COMMANDS);
  const wall = performance.now() - t0;
  const stationCpu = ((stationCpuMs(proc.pid) - cpu0) / wall) * 100;
  await consoleT.close();
  await transport.close();
  proc.stdout.removeAllListeners();
  const stopped = stormer.line('SENT');
  stormer.proc.stdin?.end();
  const stormSent = await stopped;
  await stormer.stop();
  proc.removeAllListeners('exit');
  proc.kill('SIGTERM');
  const r = quantile(loadedTcp, 0.5) / quantile(quietTcp, 0.5);
  const g = `${group}, over TCP (real processes: \`peer\` with TLS, the insider, the console)`;
  return [
    { ...row('command round trip p50, quiet', fmtUs(quantile(quietTcp, 0.5))), group: g },
    {
      ...row('command round trip p50, under the storm', fmtUs(quantile(loadedTcp, 0.5)), {
        baseline: fmtUs(quantile(quietTcp, 0.5)),
        ratio: r,
        target: 'p50 ≤ 2 × quiet',
        met: r <= 2,
      }),
      group: g,
    },
    {
      ...row(
        'command round trip p99, quiet / under the storm',
        `${fmtUs(quantile(quietTcp, 0.99))} / ${fmtUs(quantile(loadedTcp, 0.99))}`,
      ),
      group: g,
    },
    {
      ...row(
        'station: CPU during the measurement; insider adverts sent in all; drops by reason',
        `${Number.isFinite(stationCpu) ? `${stationCpu.toFixed(0)} %` : 'n/a'}; ${stormSent}; ${JSON.stringify(Object.fromEntries(tcpDrops))}`,
      ),
      group: g,
    },
  ];
}

/** CPU time (user + system) a process has used, in ms, from /proc (NaN elsewhere). */
function stationCpuMs(pid: number | undefined): number {
  try {
    const f =
      readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
        .split(') ')[1]
        ?.split(' ') ?? [];
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks: 100 a second on Linux
  } catch {
    return Number.NaN;
  }
}
