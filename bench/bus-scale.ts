/**
 * "A thousand routers" (docs/nats.md "How big can a bus get"): one bus on
 * one local nats-server, N routers in this process, one NATS connection
 * each, N = 100 and 250 in a full run (`--n=500,1000` for the big ones,
 * bench/NOTES.md; `--quick`: N = 20, 50).
 * Deliveries are nats-server's own count (`/varz` `out_msgs`), beside the
 * frames our counters saw. Skips (one row saying so) without nats-server.
 */
import {
  busScale,
  presenceFlood,
  startMonitoredNats,
  type BusScaleResult,
} from './lib/bus-scale.js';
import { emitRows, parseArgs, reproduce, type BenchRow, type CurvePoint } from './lib/harness.js';
import { natsBinary } from './lib/nats.js';

const { quick, flags } = parseArgs();
const rows: BenchRow[] = [];
const bin = natsBinary();
// N = 500 and 1,000 take minutes each on a shared machine: `--n=500,1000` (bench/NOTES.md has them).
const ns = (flags.get('n') ?? (quick ? '20,50' : '100,250')).split(',').map(Number);
const cmd = reproduce('bus-scale', quick);
// How long formation may take before the run gives up (`--limit-s=240`), ms.
const limitMs = Number(flags.get('limit-s') ?? 600) * 1000;
const GROUP = 'NATS bus of N routers (one nats-server, one process)';

function rowsOf(r: BusScaleResult): BenchRow[] {
  const { n } = r;
  const at = (chart: string, series: string, y: number): CurvePoint => ({
    chart,
    series,
    x: n,
    y: Math.round(y),
  });
  const perEvent = 'NATS bus of N: nats-server deliveries per event';
  const times = 'NATS bus of N: convergence, ms';
  const formTarget = n <= 500 ? 60_000 : n <= 1000 ? 180_000 : undefined;
  const ev = (
    what: string,
    e: { varz: number; frames: number; ms: number },
    k: number,
    limitMs: number,
  ): BenchRow[] => [
    {
      group: GROUP,
      name: `${what}, N = ${n}: deliveries`,
      value: `${e.varz} (${(e.varz / n).toFixed(2)} per router; frames ${e.frames})`,
      baseline: `${k}N = ${k * n}`,
      target: `≤ ${k}N`,
      met: e.varz <= k * n,
      cmd,
      curve: [at(perEvent, what, e.varz), at(perEvent, `${k}N`, k * n)],
    },
    {
      group: GROUP,
      name: `${what}, N = ${n}: converged everywhere`,
      value: `${e.ms.toFixed(0)} ms`,
      baseline: '',
      target: `≤ ${limitMs} ms`,
      met: e.ms <= limitMs,
      cmd,
      curve: [at(times, what, e.ms)],
    },
  ];
  return [
    {
      group: GROUP,
      name: `formation, N = ${n} (started one after another → every router sees every node)`,
      value: `${(r.formationMs / 1000).toFixed(1)} s (CPU ${(r.formationCpuMs / 1000).toFixed(1)} s; members taken down: ${JSON.stringify(r.formationDrops)} while forming, ${JSON.stringify(r.drops)} by the end of the events)`,
      baseline: '',
      target: formTarget === undefined ? '' : `≤ ${formTarget / 1000} s`,
      ...(formTarget === undefined ? {} : { met: r.formationMs <= formTarget }),
      cmd,
      curve: [at('NATS bus of N: formation, s', 'formation', r.formationMs / 1000)],
    },
    {
      group: GROUP,
      name: `idle deliveries per heartbeat interval, N = ${n} (/varz)`,
      value: `${r.idlePerInterval.toFixed(0)} (${(r.idlePerInterval / n).toFixed(2)} per router)`,
      baseline: `N(N−1) = ${n * (n - 1)} before`,
      target: '≤ 4N',
      met: r.idlePerInterval <= 4 * n,
      cmd,
      curve: [
        at('NATS bus of N: idle deliveries per heartbeat interval', 'measured', r.idlePerInterval),
        at('NATS bus of N: idle deliveries per heartbeat interval', '4N', 4 * n),
      ],
    },
    ...ev('node change', r.change, 3, 2000),
    ...ev('join', r.join, 6, 3000),
    ...ev('leave', r.leave, 4, 3000),
    {
      group: GROUP,
      name: `memory per router, N = ${n}`,
      value: `RSS ${(r.rssPerRouter / 1024).toFixed(0)} KiB, heap ${(r.heapPerRouter / 1024).toFixed(0)} KiB`,
      baseline: '',
      target: '',
      cmd,
      curve: [at('NATS bus of N: RSS per router, KiB', 'RSS', r.rssPerRouter / 1024)],
    },
  ];
}

if (bin === undefined) {
  rows.push({
    group: GROUP,
    name: 'skipped: nats-server not found',
    value: '',
    baseline: '',
    target: '',
    cmd,
  });
  process.stderr.write('bus-scale: skipped (nats-server not found)\n');
} else if (flags.has('flood')) {
  // A presence flood of 2,000 made-up ids a second for 10 s, at the default cap and at a small one.
  for (const cap of [undefined, 256]) {
    const nats = await startMonitoredNats(bin);
    try {
      const f = await presenceFlood(nats, 2000, 10, cap);
      process.stderr.write(`${JSON.stringify(f)}\n`);
      rows.push({
        group: GROUP,
        name: `presence flood, ${f.idsPerSecond} made-up ids/s for ${f.seconds} s, maxMembers ${f.maxMembers}`,
        value: `CPU ${f.cpuPercent.toFixed(0)} %, RSS ${f.rssBeforeMb.toFixed(0)} → ${f.rssPeakMb.toFixed(0)} → ${f.rssAfterMb.toFixed(0)} MB; members ≤ ${f.membersPeak}, refused ${f.membersRefused}, ${f.membersAfter} left after`,
        baseline: '',
        target: `members ≤ maxMembers, back to 1`,
        met: f.membersPeak <= f.maxMembers && f.membersAfter === 1,
        cmd: `${cmd} --flood`,
      });
    } finally {
      await nats.stop();
    }
  }
} else {
  for (const n of ns) {
    const nats = await startMonitoredNats(bin);
    process.stderr.write(`bus-scale N=${n}\n`);
    try {
      const r = await busScale(nats, n, (s) => process.stderr.write(`${s}\n`), limitMs);
      process.stderr.write(`${JSON.stringify(r)}\n`);
      rows.push(...rowsOf(r));
    } catch (err) {
      process.stderr.write(`bus-scale N=${n}: ${(err as Error).message}\n`);
      rows.push({
        group: GROUP,
        name: `N = ${n}: ${(err as Error).message}`,
        value: '',
        baseline: '',
        target: '',
        cmd,
      });
    } finally {
      await nats.stop();
    }
  }
}
emitRows(rows);
