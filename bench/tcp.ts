/**
 * Command → response round trips across two processes over ctp-router/tcp,
 * 1 and 1024 nodes in flight, with p50/p99 latency, interleaved in one run
 * with: the strongest raw pipeline (NDJSON over node:net, a callback per
 * request and no promise, writes batched per read — what a read produced is
 * written at its end — JSON per frame on both sides) — the baseline —, the
 * same pipeline batching per event-loop turn (`setImmediate`: the two
 * processes take turns; a diagnostic, issue 24), Moleculer 0.14 over its TCP transporter
 * (`await broker.call` per call), and two diagnostics (the raw client with a
 * promise per request; the same raw request/response over ctp-router/tcp
 * without a router). Same content (~100 B), same call shape for router and
 * Moleculer (`await` per call from 1 or 1,024 concurrent callers).
 * Targets: sequential ≥ 0.85× raw; 1024 in flight ≥ 0.5× raw and ≥ 2× Moleculer.
 */
import { performance } from 'node:perf_hooks';
import { ctpClient } from './lib/ctp-tcp.js';
import { spawnPeer, type Child } from './lib/child.js';
import { nodeNames, SMALL_CONTENT } from './lib/fixtures.js';
import { measuring, run, type RunResult } from './lib/rounds.js';
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
import { ensureMoleculer, freePort, moleculerClient } from './lib/moleculer.js';
import { RawClient, TransportEchoClient } from './lib/raw-ndjson.js';

const { quick, flags } = parseArgs();
const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);
const rounds = quick ? 2 : 7;
const roundMs = quick ? 150 : 1500;

/**
 * The strongest raw pipeline: `k` callers, each sending its next request from
 * the previous one's response callback — no promise, no async function.
 */
async function runPipelined(
  client: RawClient,
  nodes: readonly string[],
  k: number,
  ms: number,
  server: Child,
): Promise<RunResult> {
  const latencies: number[] = [];
  let ops = 0;
  const { end, close } = await measuring(server, ms);
  await new Promise<void>((resolve) => {
    let running = k;
    for (const node of nodes.slice(0, k)) {
      let s = performance.now();
      const next = (): void => {
        const now = performance.now();
        latencies.push(now - s);
        ops++;
        if (now >= end) {
          if (--running === 0) resolve();
          return;
        }
        s = now;
        client.send(node, next);
      };
      client.send(node, next);
    }
  });
  return close(ops, latencies);
}

type Which = 'pipe' | 'turn' | 'ctp' | 'mol' | 'raw' | 'bare';
const withMoleculer = !flags.has('no-moleculer') && ensureMoleculer();
if (!withMoleculer)
  process.stderr.write(
    'tcp: Moleculer rows skipped (bench/moleculer could not be installed, or --no-moleculer)\n',
  );

const rows: BenchRow[] = [];
for (const k of levels) {
  const nodes = nodeNames(k);
  const rawPeer = spawnPeer(['--mode=raw-server']);
  const turnPeer = spawnPeer(['--mode=raw-server-turns']);
  const ctpPeer = spawnPeer(['--mode=ctp-host', `--nodes=${k}`]);
  const tcpPeer = spawnPeer(['--mode=transport-server']);
  const [molPort, molClientPort] = [await freePort(), await freePort()];
  const molPeer = withMoleculer
    ? spawnPeer(['--mode=moleculer-server', `--port=${molPort}`, `--client-port=${molClientPort}`])
    : undefined;
  const raw = await RawClient.open(Number(await rawPeer.line('READY')));
  const turn = await RawClient.open(Number(await turnPeer.line('READY')), 'turn');
  const bare = await TransportEchoClient.open(Number(await tcpPeer.line('READY')));
  const ctp = await ctpClient(Number(await ctpPeer.line('READY')), nodes);
  if (molPeer !== undefined) await molPeer.line('READY');
  const mol = molPeer === undefined ? undefined : await moleculerClient(molClientPort, molPort);
  const calls: Record<Exclude<Which, 'pipe' | 'turn'>, (node: string) => Promise<unknown>> = {
    raw: (node) => raw.command(node),
    ctp: (node) => ctp.router.command(node, 'ptz', SMALL_CONTENT),
    bare: (node) => bare.command(node),
    mol: (_node) => (mol as NonNullable<typeof mol>).call('ptz.command', SMALL_CONTENT),
  };
  const servers: Record<Which, Child> = {
    pipe: rawPeer,
    turn: turnPeer,
    raw: rawPeer,
    ctp: ctpPeer,
    bare: tcpPeer,
    mol: molPeer ?? rawPeer,
  };
  const measure = (which: Which, ms: number): Promise<RunResult> =>
    which === 'pipe'
      ? runPipelined(raw, nodes, k, ms, rawPeer)
      : which === 'turn'
        ? runPipelined(turn, nodes, k, ms, turnPeer)
        : run(nodes, k, ms, calls[which], servers[which]);
  const subjects: Which[] = withMoleculer
    ? ['pipe', 'ctp', 'mol', 'turn', 'raw', 'bare']
    : ['pipe', 'ctp', 'turn', 'raw', 'bare'];
  // Warm up each, then interleave rounds (the diagnostics are measured less).
  for (const which of subjects) await measure(which, roundMs / 2);
  const res: Record<Which, RunResult[]> = {
    pipe: [],
    turn: [],
    ctp: [],
    mol: [],
    raw: [],
    bare: [],
  };
  for (let r = 0; r < rounds; r++) {
    const order =
      r % 2 === 0 ? subjects : [subjects[1] as Which, subjects[0] as Which, ...subjects.slice(2)];
    for (const which of order)
      res[which].push(
        await measure(
          which,
          which === 'bare' || which === 'raw' || which === 'turn' ? roundMs / 2 : roundMs,
        ),
      );
  }
  raw.close();
  turn.close();
  await bare.close();
  await ctp.router.close();
  await ctp.transport.close();
  await mol?.stop();
  await Promise.all([
    rawPeer.stop(),
    turnPeer.stop(),
    ctpPeer.stop(),
    tcpPeer.stop(),
    molPeer?.stop(),
  ]);

  const summary = (
    rs: RunResult[],
  ): { rate: number; p50: number; p99: number; cpuHere: number; cpuThere: number } => {
    const all = rs.flatMap((x) => x.latencies).sort((a, b) => a - b);
    return {
      rate: median(rs.map((x) => x.rate)),
      p50: quantile(all, 0.5),
      p99: quantile(all, 0.99),
      cpuHere: median(rs.map((x) => x.cpuHere)),
      cpuThere: median(rs.map((x) => x.cpuThere)),
    };
  };
  const c = summary(res.ctp);
  const b = summary(res.pipe);
  const p = summary(res.raw);
  const t = summary(res.bare);
  const u = summary(res.turn);
  const m = withMoleculer ? summary(res.mol) : undefined;
  const ratio = c.rate / b.rate;
  const target = k === 1 ? 0.85 : 0.5;
  const shape = k === 1 ? 'sequential (1 node in flight)' : `${k} nodes in flight`;
  const group = 'round trips, two processes over TCP';
  const lat = (x: { rate: number; p50: number; p99: number }): string =>
    `${fmtRate(x.rate)}, p50 ${fmtUs(x.p50)}, p99 ${fmtUs(x.p99)}`;
  rows.push({
    group,
    name: `${shape} vs the strongest raw pipeline`,
    value: lat(c),
    baseline: lat(b),
    ratio,
    target: `≥ ${target}×`,
    met: ratio >= target,
    cmd: reproduce('tcp', quick),
    note: `CPU per round trip: client ${c.cpuHere.toFixed(1)} µs + host ${c.cpuThere.toFixed(1)} µs (raw ${b.cpuHere.toFixed(1)} + ${b.cpuThere.toFixed(1)} µs)`,
  });
  if (m !== undefined)
    rows.push({
      group,
      name: `${shape} vs Moleculer 0.14 (TCP transporter, await broker.call)`,
      value: lat(c),
      baseline: lat(m),
      ratio: c.rate / m.rate,
      target: k === 1 ? '' : '≥ 2×',
      met: k === 1 ? undefined : c.rate / m.rate >= 2,
      cmd: reproduce('tcp', quick),
      note: `Moleculer CPU per round trip: client ${m.cpuHere.toFixed(1)} µs + server ${m.cpuThere.toFixed(1)} µs; Moleculer vs raw pipeline ${ratioText(m.rate / b.rate)}`,
    });
  rows.push({
    group,
    name: `diagnostic: the raw pipeline batching per event-loop turn (setImmediate), ${k === 1 ? 'sequential' : `${k} in flight`}`,
    value: lat(u),
    baseline: `${fmtRate(b.rate)} (raw pipeline, per read)`,
    ratio: u.rate / b.rate,
    target: '',
    cmd: reproduce('tcp', quick),
    note: `CPU per round trip: client ${u.cpuHere.toFixed(1)} µs + host ${u.cpuThere.toFixed(1)} µs; rate × CPU per round trip ${(u.rate * (u.cpuHere + u.cpuThere) * 1e-6).toFixed(2)} (per read: ${(b.rate * (b.cpuHere + b.cpuThere) * 1e-6).toFixed(2)}); ctp-router vs this ${ratioText(c.rate / u.rate)}`,
  });
  rows.push({
    group,
    name: `diagnostic: raw client with a promise per request, ${k === 1 ? 'sequential' : `${k} in flight`}`,
    value: lat(p),
    baseline: `${fmtRate(b.rate)} (raw pipeline)`,
    ratio: p.rate / b.rate,
    target: '',
    cmd: reproduce('tcp', quick),
    note: `CPU per round trip: client ${p.cpuHere.toFixed(1)} µs + host ${p.cpuThere.toFixed(1)} µs; ctp-router vs this ${ratioText(c.rate / p.rate)}`,
  });
  rows.push({
    group,
    name: `diagnostic: the same raw request/response over ctp-router/tcp without a router, ${k === 1 ? 'sequential' : `${k} in flight`}`,
    value: lat(t),
    baseline: `${fmtRate(b.rate)} (raw pipeline)`,
    ratio: t.rate / b.rate,
    target: '',
    cmd: reproduce('tcp', quick),
    note: `CPU per round trip: client ${t.cpuHere.toFixed(1)} µs + host ${t.cpuThere.toFixed(1)} µs`,
  });
  process.stderr.write(
    `tcp ${k} in flight: ctp ${lat(c)} vs raw pipeline ${lat(b)} = ${ratioText(ratio)}; CPU/RT client ${c.cpuHere.toFixed(1)}+host ${c.cpuThere.toFixed(1)} µs vs raw ${b.cpuHere.toFixed(1)}+${b.cpuThere.toFixed(1)} µs` +
      (m === undefined
        ? ''
        : `; Moleculer ${lat(m)}: ctp = ${ratioText(c.rate / m.rate)} Moleculer`) +
      `; turn-taking raw pipeline ${fmtRate(u.rate)}; raw with promises ${fmtRate(p.rate)}; transport alone ${fmtRate(t.rate)} = ${ratioText(t.rate / b.rate)}\n`,
  );
}
emitRows(rows);
