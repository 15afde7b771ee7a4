/**
 * Command → response round trips across two processes over ctp-router/tcp
 * with mutual TLS (`tls` option, the test certificates), 1 and 1024 nodes in
 * flight, beside the same raw NDJSON request/response over node:tls with
 * client certificates, in the same run: the strongest raw pipeline, whose
 * two ends write what a read produced at the end of that read (raw-ndjson.ts),
 * and as a diagnostic the same pair batching once per event-loop turn
 * (`setImmediate`), where the two processes take turns. CPU per round trip of
 * both processes in every row. Targets: sequential ≥ 0.9×; 1024 in flight
 * ≥ 0.5× (issue 24: against the per-read pair).
 */
import { performance } from 'node:perf_hooks';
import { ctpClient } from './lib/ctp-tcp.js';
import { spawnPeer, type Child } from './lib/child.js';
import { nodeNames, SMALL_CONTENT } from './lib/fixtures.js';
import { run, type RunResult } from './lib/rounds.js';
import {
  emitRows,
  fmtRate,
  fmtUs,
  median,
  parseArgs,
  quantile,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';
import { benchTls, rawTlsClient } from './lib/raw-tls.js';

const { quick, flags } = parseArgs();
const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);
const rounds = quick ? 2 : 7;
const roundMs = quick ? 150 : 1500;

function summary(rs: RunResult[]): {
  rate: number;
  p50: number;
  p99: number;
  cpuHere: number;
  cpuThere: number;
} {
  const all = rs.flatMap((x) => x.latencies).sort((a, b) => a - b);
  return {
    rate: median(rs.map((x) => x.rate)),
    p50: quantile(all, 0.5),
    p99: quantile(all, 0.99),
    cpuHere: median(rs.map((x) => x.cpuHere)),
    cpuThere: median(rs.map((x) => x.cpuThere)),
  };
}

const rows: BenchRow[] = [];
for (const k of levels) {
  const nodes = nodeNames(k);
  const rawPeer = spawnPeer(['--mode=raw-tls-server']);
  const turnPeer = spawnPeer(['--mode=raw-tls-server-turns']);
  const ctpPeer = spawnPeer(['--mode=ctp-tls-host', `--nodes=${k}`]);
  const raw = await rawTlsClient(Number(await rawPeer.line('READY')));
  const turn = await rawTlsClient(Number(await turnPeer.line('READY')), 'turn');
  const ctp = await ctpClient(Number(await ctpPeer.line('READY')), nodes, {
    id: 'console',
    tls: benchTls('console'),
  });
  const subjects = {
    raw: (node: string) => raw.command(node),
    ctp: (node: string) => ctp.router.command(node, 'ptz', SMALL_CONTENT),
    turn: (node: string) => turn.command(node),
  };
  const servers = { raw: rawPeer, ctp: ctpPeer, turn: turnPeer };
  await run(nodes, k, roundMs / 2, subjects.raw, rawPeer);
  await run(nodes, k, roundMs / 2, subjects.ctp, ctpPeer);
  await run(nodes, k, roundMs / 4, subjects.turn, turnPeer);
  const res = { raw: [] as RunResult[], ctp: [] as RunResult[], turn: [] as RunResult[] };
  for (let r = 0; r < rounds; r++)
    for (const which of r % 2 === 0
      ? (['raw', 'ctp', 'turn'] as const)
      : (['turn', 'ctp', 'raw'] as const))
      // The diagnostic pair in shorter windows: the suite stays a few minutes.
      res[which].push(
        await run(
          nodes,
          k,
          which === 'turn' ? roundMs / 2 : roundMs,
          subjects[which],
          servers[which],
        ),
      );
  raw.close();
  turn.close();
  await ctp.router.close();
  await ctp.transport.close();
  await Promise.all([rawPeer.stop(), turnPeer.stop(), ctpPeer.stop()]);

  const c = summary(res.ctp);
  const b = summary(res.raw);
  const u = summary(res.turn);
  const ratio = c.rate / b.rate;
  const target = k === 1 ? 0.9 : 0.5;
  rows.push({
    group: 'round trips, two processes over mutual TLS',
    name: k === 1 ? 'sequential (1 node in flight)' : `${k} nodes in flight`,
    value: `${fmtRate(c.rate)}, p50 ${fmtUs(c.p50)}, p99 ${fmtUs(c.p99)}`,
    baseline: `${fmtRate(b.rate)}, p50 ${fmtUs(b.p50)}, p99 ${fmtUs(b.p99)} (raw NDJSON over node:tls)`,
    ratio,
    target: `≥ ${target}×`,
    met: ratio >= target,
    cmd: reproduce('tls', quick),
    note: `CPU per round trip: client ${c.cpuHere.toFixed(1)} µs + host ${c.cpuThere.toFixed(1)} µs (raw TLS ${b.cpuHere.toFixed(1)} + ${b.cpuThere.toFixed(1)} µs)`,
  });
  rows.push({
    group: 'round trips, two processes over mutual TLS',
    name: `diagnostic: the raw TLS pipeline batching per event-loop turn (setImmediate), ${k === 1 ? 'sequential' : `${k} in flight`}`,
    value: `${fmtRate(u.rate)}, p50 ${fmtUs(u.p50)}, p99 ${fmtUs(u.p99)}`,
    baseline: `${fmtRate(b.rate)} (raw TLS pipeline, per read)`,
    ratio: u.rate / b.rate,
    target: '',
    cmd: reproduce('tls', quick),
    note: `CPU per round trip: client ${u.cpuHere.toFixed(1)} µs + host ${u.cpuThere.toFixed(1)} µs; ctp-router vs this ${ratioText(c.rate / u.rate)}`,
  });
  process.stderr.write(
    `tls ${k} in flight: ${fmtRate(c.rate)} (p50 ${fmtUs(c.p50)}, p99 ${fmtUs(c.p99)}) vs raw TLS ${fmtRate(b.rate)} (p50 ${fmtUs(b.p50)}, p99 ${fmtUs(b.p99)}) = ${ratioText(ratio)}; CPU/RT client ${c.cpuHere.toFixed(1)}+host ${c.cpuThere.toFixed(1)} µs vs raw ${b.cpuHere.toFixed(1)}+${b.cpuThere.toFixed(1)} µs; turn-taking raw TLS ${fmtRate(u.rate)}\n`,
  );
}
emitRows(rows);
