/**
 * Did this revision slow the round trip? This checkout's command round trips
 * beside an earlier revision's (`--against=REV`; default: the last commit
 * before the liveness wave of issue 10), built by `lib/revision.ts` and run
 * in the same process and the same minutes, interleaved: in one process on
 * the in-memory network (CPU time, with the raw baseline of inproc.ts as a
 * third party), and over TCP with each revision's host in its own child (wall
 * time, CPU of both processes). Each ratio is the median of per-round ratios
 * of neighbouring chunks. Target (issue 10): within 3 % of the earlier
 * revision, or faster. Skipped, with a line saying why, when the revision
 * cannot be built (no git history).
 */
import { SMALL_CONTENT } from './lib/fixtures.js';
import { spawnPeer } from './lib/child.js';
import { ctpClient } from './lib/ctp-tcp.js';
import {
  cpuMs,
  emitRows,
  fmtRate,
  median,
  parseArgs,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';
import { nodeNames, RawPair, routerPair, runInFlight } from './lib/pairs.js';
import { buildRevision, loadLibrary, type CtpLibrary } from './lib/revision.js';
import { run, type RunResult } from './lib/rounds.js';

/** The last commit before issue 10's wave (the start of the wave's BENCHMARKS.md figures). */
const WAVE_START = 'c0d9a2e';
const TARGET = 0.97;

const { quick, flags } = parseArgs();
const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);
const rev = flags.get('against') ?? WAVE_START;
const revision = buildRevision(rev);
if (typeof revision === 'string') {
  process.stderr.write(`against: skipped (${revision})\n`);
  emitRows([]);
  process.exit(0);
}
const built = revision;
const earlier = await loadLibrary(built.dist);
const extra = flags.has('against') ? ` --against=${rev}` : '';
const group = `round trips, this revision vs ${built.short} (same run)`;
const rows: BenchRow[] = [];

/** In one process: raw, earlier and this revision in rotating order, equal chunks; per-round ratios. */
async function inProcess(k: number, lib: CtpLibrary): Promise<void> {
  const nodes = nodeNames(k);
  const raw = new RawPair();
  const before = await routerPair(k, lib.CtpTestNetwork);
  const now = await routerPair(k);
  const bodies = [
    (n: number) => runInFlight(nodes, n, (node) => raw.command(node)),
    (n: number) =>
      runInFlight(nodes, n, (node) => before.client.command(node, 'ptz', SMALL_CONTENT)),
    (n: number) => runInFlight(nodes, n, (node) => now.client.command(node, 'ptz', SMALL_CONTENT)),
  ];
  const chunk = k > 1 ? (quick ? 10 : 40) * k : quick ? 5_000 : 20_000;
  const rounds = quick ? 6 : 45;
  for (const body of bodies) for (let i = 0; i < 2; i++) await body(chunk);
  const ratios: number[] = [];
  const total = [0, 0, 0];
  for (let r = 0; r < rounds; r++) {
    const t = [0, 0, 0];
    for (let j = 0; j < 3; j++) {
      const i = (r + (r % 2 === 0 ? j : 3 - j)) % 3;
      const c0 = cpuMs();
      await (bodies[i] as (n: number) => Promise<void>)(chunk);
      t[i] = cpuMs() - c0;
      total[i] = (total[i] as number) + (t[i] as number);
    }
    const [, tBefore, tNow] = t as [number, number, number];
    if (tBefore > 0 && tNow > 0) ratios.push(tBefore / tNow);
  }
  await before.net.close();
  await now.net.close();
  // Rates from the totals (CPU time); the ratio is the median of the rounds' ratios (compareRates does the same).
  const rate = (i: number): number => ((chunk * rounds) / (total[i] as number)) * 1000;
  const ratio = median(ratios);
  rows.push({
    group,
    name: `in-memory network, ${k} node${k === 1 ? '' : 's'} in flight, CPU time`,
    value: fmtRate(rate(2)),
    baseline: `${fmtRate(rate(1))} (${built.short})`,
    ratio,
    target: `≥ ${TARGET}×`,
    met: ratio >= TARGET,
    cmd: reproduce('against', quick, extra),
    note: `the raw pair of inproc in the same rounds: ${fmtRate(rate(0))}`,
  });
  process.stderr.write(
    `against, in-process ${k} in flight: this ${fmtRate(rate(2))}, ${built.short} ${fmtRate(rate(1))}, raw ${fmtRate(rate(0))}; this / ${built.short} = ${ratioText(ratio)}\n`,
  );
}

/** Over TCP: each revision's client here and host in a child, rounds alternating. */
async function overTcp(k: number, dist: string, lib: CtpLibrary): Promise<void> {
  const nodes = nodeNames(k);
  const hostBefore = spawnPeer(['--mode=ctp-host', `--nodes=${k}`, `--lib=${dist}`]);
  const hostNow = spawnPeer(['--mode=ctp-host', `--nodes=${k}`]);
  const before = await ctpClient(Number(await hostBefore.line('READY')), nodes, undefined, lib);
  const now = await ctpClient(Number(await hostNow.line('READY')), nodes);
  const roundMs = quick ? 300 : 1000;
  const rounds = quick ? 2 : 12;
  const measure = (which: 'before' | 'now', ms: number): Promise<RunResult> =>
    which === 'before'
      ? run(nodes, k, ms, (node) => before.router.command(node, 'ptz', SMALL_CONTENT), hostBefore)
      : run(nodes, k, ms, (node) => now.router.command(node, 'ptz', SMALL_CONTENT), hostNow);
  await measure('before', roundMs / 2);
  await measure('now', roundMs / 2);
  const res: { before: RunResult[]; now: RunResult[] } = { before: [], now: [] };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: ('before' | 'now')[] = r % 2 === 0 ? ['before', 'now'] : ['now', 'before'];
    for (const which of order) res[which].push(await measure(which, roundMs));
    ratios.push((res.now[r] as RunResult).rate / (res.before[r] as RunResult).rate);
  }
  for (const side of [before, now]) {
    await side.router.close();
    await side.transport.close();
  }
  await Promise.all([hostBefore.stop(), hostNow.stop()]);
  const fig = (rs: RunResult[]): string =>
    `${fmtRate(median(rs.map((x) => x.rate)))}, CPU per round trip ${median(rs.map((x) => x.cpuHere)).toFixed(1)} + ${median(rs.map((x) => x.cpuThere)).toFixed(1)} µs`;
  const ratio = median(ratios);
  rows.push({
    group,
    name: `two processes over TCP, ${k === 1 ? 'sequential (1 node in flight)' : `${k} nodes in flight`}, wall time (CPU: client + host)`,
    value: fig(res.now),
    baseline: `${fig(res.before)} (${built.short})`,
    ratio,
    target: `≥ ${TARGET}×`,
    met: ratio >= TARGET,
    cmd: reproduce('against', quick, extra),
  });
  process.stderr.write(
    `against, TCP ${k} in flight: this / ${built.short} = ${ratioText(ratio)}\n`,
  );
}

for (const k of levels) await inProcess(k, earlier);
if (!flags.has('no-tcp')) for (const k of levels) await overTcp(k, built.dist, earlier);
emitRows(rows);
