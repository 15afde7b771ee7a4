/**
 * Command → response round trips across two processes over ctp-router/tcp,
 * 1 and 1024 nodes in flight, with p50/p99 latency, beside raw NDJSON
 * ping-pong over node:net between two processes (writes batched per turn).
 * Targets: sequential ≥ 0.9×; 1024 in flight ≥ 0.5×.
 */
import { performance } from 'node:perf_hooks';
import { ctpClient } from './lib/ctp-tcp.js';
import { spawnPeer, type Child } from './lib/child.js';
import { nodeNames, SMALL_CONTENT } from './lib/fixtures.js';
import { emitRows, fmtRate, fmtUs, median, parseArgs, quantile, ratioText, reproduce, type BenchRow } from './lib/harness.js';
import { RawClient, TransportEchoClient } from './lib/raw-ndjson.js';

const { quick, flags } = parseArgs();
const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);
const rounds = quick ? 2 : 7;
const roundMs = quick ? 150 : 1500;

interface RunResult {
  rate: number;
  latencies: number[];
  /** CPU µs per round trip in this process and in the server process. */
  cpuHere: number;
  cpuThere: number;
}

/** Keep `k` requests in flight (one per node) for `ms`; rate and per-request latencies. */
async function run(nodes: readonly string[], k: number, ms: number, command: (node: string) => Promise<unknown>, server: Child): Promise<RunResult> {
  const latencies: number[] = [];
  let ops = 0;
  const there0 = await server.cpu();
  const here0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + ms;
  const worker = async (node: string): Promise<void> => {
    for (;;) {
      const s = performance.now();
      if (s >= end) return;
      await command(node);
      latencies.push(performance.now() - s);
      ops++;
    }
  };
  await Promise.all(nodes.slice(0, k).map(worker));
  const rate = (ops / (performance.now() - t0)) * 1000;
  const here = process.cpuUsage(here0);
  const there = (await server.cpu()) - there0;
  return { rate, latencies, cpuHere: (here.user + here.system) / ops, cpuThere: there / ops };
}

const rows: BenchRow[] = [];
for (const k of levels) {
  const nodes = nodeNames(k);
  const rawPeer = spawnPeer(['--mode=raw-server']);
  const ctpPeer = spawnPeer(['--mode=ctp-host', `--nodes=${k}`]);
  const tcpPeer = spawnPeer(['--mode=transport-server']);
  const raw = await RawClient.open(Number(await rawPeer.line('READY')));
  const bare = await TransportEchoClient.open(Number(await tcpPeer.line('READY')));
  const ctp = await ctpClient(Number(await ctpPeer.line('READY')), nodes);
  const subjects = {
    raw: (node: string) => raw.command(node),
    ctp: (node: string) => ctp.router.command(node, 'ptz', SMALL_CONTENT),
    bare: (node: string) => bare.command(node),
  };
  const servers = { raw: rawPeer, ctp: ctpPeer, bare: tcpPeer };
  // Warm up each, then interleave rounds (the transport alone is a diagnostic, measured less).
  await run(nodes, k, roundMs / 2, subjects.raw, rawPeer);
  await run(nodes, k, roundMs / 2, subjects.ctp, ctpPeer);
  await run(nodes, k, roundMs / 2, subjects.bare, tcpPeer);
  const res = { raw: [] as RunResult[], ctp: [] as RunResult[], bare: [] as RunResult[] };
  for (let r = 0; r < rounds; r++) {
    const order: ('raw' | 'ctp' | 'bare')[] = r % 2 === 0 ? ['raw', 'ctp', 'bare'] : ['ctp', 'raw', 'bare'];
    for (const which of order) res[which].push(await run(nodes, k, which === 'bare' ? roundMs / 2 : roundMs, subjects[which], servers[which]));
  }
  raw.close();
  await bare.close();
  await ctp.router.close();
  await ctp.transport.close();
  await Promise.all([rawPeer.stop(), ctpPeer.stop(), tcpPeer.stop()]);

  const summary = (rs: RunResult[]): { rate: number; p50: number; p99: number; cpuHere: number; cpuThere: number } => {
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
  const b = summary(res.raw);
  const t = summary(res.bare);
  const ratio = c.rate / b.rate;
  const target = k === 1 ? 0.9 : 0.5;
  rows.push({
    group: 'round trips, two processes over TCP',
    name: k === 1 ? 'sequential (1 node in flight)' : `${k} nodes in flight`,
    value: `${fmtRate(c.rate)}, p50 ${fmtUs(c.p50)}, p99 ${fmtUs(c.p99)}`,
    baseline: `${fmtRate(b.rate)}, p50 ${fmtUs(b.p50)}, p99 ${fmtUs(b.p99)}`,
    ratio,
    target: `≥ ${target}×`,
    met: ratio >= target,
    cmd: reproduce('tcp', quick),
    note: `CPU per round trip: client ${c.cpuHere.toFixed(1)} µs + host ${c.cpuThere.toFixed(1)} µs (raw ${b.cpuHere.toFixed(1)} + ${b.cpuThere.toFixed(1)} µs)`,
  });
  rows.push({
    group: 'round trips, two processes over TCP',
    name: `diagnostic: the same raw request/response over ctp-router/tcp without a router, ${k === 1 ? 'sequential' : `${k} in flight`}`,
    value: `${fmtRate(t.rate)}, p50 ${fmtUs(t.p50)}, p99 ${fmtUs(t.p99)}`,
    baseline: `${fmtRate(b.rate)} (raw node:net)`,
    ratio: t.rate / b.rate,
    target: '',
    cmd: reproduce('tcp', quick),
    note: `CPU per round trip: client ${t.cpuHere.toFixed(1)} µs + host ${t.cpuThere.toFixed(1)} µs`,
  });
  process.stderr.write(`tcp ${k} in flight: ${fmtRate(c.rate)} (p50 ${fmtUs(c.p50)}, p99 ${fmtUs(c.p99)}) vs raw ${fmtRate(b.rate)} (p50 ${fmtUs(b.p50)}, p99 ${fmtUs(b.p99)}) = ${ratioText(ratio)}; CPU/RT client ${c.cpuHere.toFixed(1)}+host ${c.cpuThere.toFixed(1)} µs vs raw ${b.cpuHere.toFixed(1)}+${b.cpuThere.toFixed(1)} µs; transport alone ${fmtRate(t.rate)} = ${ratioText(t.rate / b.rate)}, CPU/RT ${t.cpuHere.toFixed(1)}+${t.cpuThere.toFixed(1)} µs\n`);
}
emitRows(rows);
