/**
 * ctp-router/nats on a local nats-server:
 * 1. Round trips, two processes: command → response through the bus, beside
 *    raw NATS request/reply with the same client (targets: sequential ≥ 0.8×,
 *    1,024 in flight ≥ 0.5×), CPU per round trip of both processes.
 * 2. Scale, N routers in this process, each with its own connection: frames
 *    delivered per node change (≤ 2N) and per router join and leave (≤ 4N),
 *    convergence time after a join, heartbeat traffic.
 * Skips (one row saying so) without nats-server.
 */
import { connect } from '@nats-io/transport-node';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawnPeer } from './lib/child.js';
import { nodeNames, SMALL_CONTENT } from './lib/fixtures.js';
import {
  emitRows,
  fmtRate,
  fmtUs,
  median,
  parseArgs,
  quantile,
  reproduce,
  sleep,
  type BenchRow,
  type CurvePoint,
} from './lib/harness.js';
import { busHost, natsBinary, startNats } from './lib/nats.js';
import { run, type RunResult } from './lib/rounds.js';

const { quick, flags } = parseArgs();
const PEER = fileURLToPath(new URL('./nats-peer.js', import.meta.url));
const rows: BenchRow[] = [];
const bin = natsBinary();

async function roundTrips(url: string): Promise<void> {
  const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);
  const rounds = quick ? 2 : 5;
  const roundMs = quick ? 200 : 1500;
  for (const k of levels) {
    const nodes = nodeNames(k);
    const rawPeer = spawnPeer([`--mode=raw`, `--url=${url}`], [], PEER);
    const ctpPeer = spawnPeer([`--mode=ctp`, `--url=${url}`, `--nodes=${k}`], [], PEER);
    await rawPeer.line('READY');
    await ctpPeer.line('READY');
    const nc = await connect({ servers: url });
    const payload = new TextEncoder().encode(JSON.stringify(SMALL_CONTENT));
    const client = await busHost(url, 'bench-client', [], { prefix: 'rt' });
    while (!nodes.every((n) => client.router.nodes().includes(n))) await sleep(10);
    for (let i = 0; i < nodes.length; i += 256)
      await Promise.all(
        nodes.slice(i, i + 256).map((n) => client.router.register(n, 'controller')),
      );
    const subjects = {
      raw: (node: string) => nc.request(`rawbench.${node}`, payload, { timeout: 10_000 }),
      ctp: (node: string) => client.router.command(node, 'ptz', SMALL_CONTENT),
    };
    const servers = { raw: rawPeer, ctp: ctpPeer };
    const once = (which: 'raw' | 'ctp', ms: number): Promise<RunResult> =>
      run(nodes, k, ms, subjects[which], servers[which]);
    await once('raw', roundMs / 2);
    await once('ctp', roundMs / 2);
    const res = { raw: [] as RunResult[], ctp: [] as RunResult[] };
    for (let r = 0; r < rounds; r++)
      for (const w of r % 2 === 0 ? (['raw', 'ctp'] as const) : (['ctp', 'raw'] as const))
        res[w].push(await once(w, roundMs));
    const sum = (
      xs: RunResult[],
    ): { rate: number; p50: number; p99: number; cpuHere: number; cpuThere: number } => {
      const all = xs.flatMap((x) => x.latencies).sort((a, b) => a - b);
      return {
        rate: median(xs.map((x) => x.rate)),
        p50: quantile(all, 0.5),
        p99: quantile(all, 0.99),
        cpuHere: median(xs.map((x) => x.cpuHere)),
        cpuThere: median(xs.map((x) => x.cpuThere)),
      };
    };
    const c = sum(res.ctp);
    const b = sum(res.raw);
    const target = k === 1 ? 0.8 : 0.5;
    rows.push({
      group: 'round trips, two processes over NATS (one local nats-server)',
      name: k === 1 ? 'sequential (1 node in flight)' : `${k} nodes in flight`,
      value: `${fmtRate(c.rate)}, p50 ${fmtUs(c.p50)}, p99 ${fmtUs(c.p99)}`,
      baseline: `raw NATS request/reply: ${fmtRate(b.rate)}, p50 ${fmtUs(b.p50)}, p99 ${fmtUs(b.p99)}`,
      ratio: c.rate / b.rate,
      target: `≥ ${target}×`,
      met: c.rate / b.rate >= target,
      cmd: reproduce('nats', quick),
      // The NATS client flushes on a microtask already (per read, in effect): no turn-taking pair to show.
      note: `CPU per round trip: client ${c.cpuHere.toFixed(1)} µs + host ${c.cpuThere.toFixed(1)} µs (raw NATS ${b.cpuHere.toFixed(1)} + ${b.cpuThere.toFixed(1)} µs; nats-server not counted)`,
    });
    process.stderr.write(
      `nats ${k} in flight: ${fmtRate(c.rate)} vs raw ${fmtRate(b.rate)} = ${(c.rate / b.rate).toFixed(2)}×\n`,
    );
    await client.close();
    await nc.close();
    await Promise.all([rawPeer.stop(), ctpPeer.stop()]);
  }
}

type Host = Awaited<ReturnType<typeof busHost>>;

/** Frames delivered to every member (bus framesIn summed), and publishes. */
function totals(hosts: readonly Host[]): {
  delivered: number;
  published: number;
  heartbeats: number;
} {
  let delivered = 0;
  let published = 0;
  let heartbeats = 0;
  for (const h of hosts) {
    const s = h.bus.stats();
    delivered += s.framesIn;
    published += s.framesOut;
    heartbeats += s.heartbeatsIn;
  }
  return { delivered, published, heartbeats };
}

/** Wait until `pred` holds (polling), then until no frame moved for `quietMs`; the ms until `pred` first held. */
async function converge(
  hosts: readonly Host[],
  pred: () => boolean,
  quietMs: number,
): Promise<number> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > 60_000) throw new Error('no convergence within 60 s');
    await sleep(5);
  }
  const took = performance.now() - t0;
  let last = totals(hosts).delivered;
  for (;;) {
    await sleep(quietMs);
    const now = totals(hosts).delivered;
    if (now === last) return took;
    last = now;
  }
}

async function scale(url: string): Promise<void> {
  const sizes = (flags.get('sizes') ?? (quick ? '10,20' : '10,50,100,200')).split(',').map(Number);
  // The transport's default presence interval: at 1000 ms, 200 routers in one process
  // (39,800 heartbeat deliveries a second on one core) starve their own event loop
  // past deadAfterMs and the bus never settles.
  const heartbeatMs = Number(flags.get('heartbeat-ms') ?? 5000);
  const deadAfterMs = 3 * heartbeatMs;
  for (const n of sizes) {
    const prefix = `scale${n}`;
    const opts = { prefix, heartbeatMs, deadAfterMs };
    const hosts: Host[] = [];
    const formedFrom = performance.now();
    for (let i = 0; i < n; i++)
      hosts.push(await busHost(url, `r${String(i).padStart(3, '0')}`, [`dev${i}`], opts));
    let formMs: number;
    try {
      formMs =
        (await converge(hosts, () => hosts.every((h) => h.router.nodes().length === n), 300)) +
        (performance.now() - formedFrom);
      const formed = totals(hosts);
      rows.push({
        group: 'NATS bus at scale: convergence and presence',
        name: `formation, N = ${n}: the routers started one after another in one process → every router sees every node`,
        value: `${formMs.toFixed(0)} ms, ${formed.delivered} deliveries (${(formed.delivered / n).toFixed(1)} per member)`,
        baseline: `N² = ${n * n}`,
        target: '',
        cmd: reproduce('nats', quick),
        note: 'each start is a join (≤ 4N deliveries): each member sends the joiner its own advert and what lies behind it, not its whole table (src/link-state/media.ts tableSkip), so the adverts handled grow as N², not N³',
        curve: [
          {
            chart: 'NATS bus: formation, ms (N routers started one after another in one process)',
            series: 'every router sees every node',
            x: n,
            y: Math.round(formMs),
          },
        ],
      });
    } catch (err) {
      const seen = hosts.map((h) => h.router.nodes().length).sort((a, b) => a - b);
      rows.push({
        group: 'NATS bus at scale: frames delivered',
        name: `N = ${n}: the bus did not form`,
        value: `${(err as Error).message}; nodes seen per router: min ${seen[0]}, max ${seen[seen.length - 1]}`,
        baseline: '',
        target: '',
        cmd: reproduce('nats', quick),
      });
      process.stderr.write(`nats scale N=${n}: the bus did not form (${(err as Error).message})\n`);
      for (const h of hosts) await h.close();
      break;
    }
    // One node change.
    let before = totals(hosts);
    (hosts[n - 1] as Host).router.appendNodes('changed');
    await converge(hosts, () => hosts.every((h) => h.router.nodes().includes('changed')), 300);
    let after = totals(hosts);
    const change = after.delivered - before.delivered;
    // A router joins.
    before = totals(hosts);
    const t0 = performance.now();
    const joiner = await busHost(url, 'r-joiner', ['joined'], opts);
    const all = [...hosts, joiner];
    const joinMs =
      (await converge(all, () => all.every((h) => h.router.nodes().length === n + 2), 300)) +
      (performance.now() - t0 - 0);
    after = totals(all);
    const join = after.delivered - before.delivered;
    // It leaves: its transport closes and publishes a goodbye (a silent one is noticed after deadAfterMs).
    before = totals(hosts);
    const joinerDelivered = joiner.bus.stats().framesIn;
    await joiner.close();
    const leaveMs = await converge(
      hosts,
      () => hosts.every((h) => !h.router.nodes().includes('joined')),
      300,
    );
    after = totals(hosts);
    const leave = after.delivered - before.delivered;
    // Heartbeat traffic over a window.
    const hb0 = totals(hosts).heartbeats;
    const w0 = performance.now();
    await sleep(quick ? 1000 : 2 * heartbeatMs); // two intervals: every member beats twice
    const hbRate = ((totals(hosts).heartbeats - hb0) / (performance.now() - w0)) * 1000;
    const note = `${n} routers, one connection each, one process; heartbeatMs ${heartbeatMs}`;
    const perEvent = 'NATS bus: frames delivered per event';
    const heartbeats = 'NATS bus: heartbeat deliveries per second';
    const hbBound = (n * (n - 1) * 1000) / heartbeatMs;
    const at = (chart: string, series: string, y: number): CurvePoint => ({
      chart,
      series,
      x: n,
      y: Math.round(y),
    });
    rows.push(
      {
        group: 'NATS bus at scale: frames delivered',
        name: `node change, N = ${n}`,
        value: `${change} deliveries (${(change / n).toFixed(2)} per member)`,
        baseline: `2N = ${2 * n}`,
        target: '≤ 2N',
        met: change <= 2 * n,
        cmd: reproduce('nats', quick),
        note,
        curve: [at(perEvent, 'node change', change), at(perEvent, '2N (its bound)', 2 * n)],
      },
      {
        group: 'NATS bus at scale: frames delivered',
        name: `router join, N = ${n}`,
        value: `${join} deliveries (${(join / n).toFixed(2)} per member; the joiner got ${joinerDelivered})`,
        baseline: `4N = ${4 * n}`,
        target: '≤ 4N',
        met: join <= 4 * n,
        cmd: reproduce('nats', quick),
        note,
        curve: [
          at(perEvent, 'router join', join),
          at(perEvent, '4N (the join and leave bound)', 4 * n),
        ],
      },
      {
        group: 'NATS bus at scale: frames delivered',
        name: `router leave (goodbye), N = ${n}`,
        value: `${leave} deliveries (${(leave / n).toFixed(2)} per member)`,
        baseline: `4N = ${4 * n}`,
        target: '≤ 4N',
        met: leave <= 4 * n,
        cmd: reproduce('nats', quick),
        note: `noticed after ${leaveMs.toFixed(0)} ms (deadAfterMs ${deadAfterMs})`,
        curve: [at(perEvent, 'router leave (goodbye)', leave)],
      },
      {
        group: 'NATS bus at scale: convergence and presence',
        name: `join → every member sees the joiner's node, N = ${n}`,
        value: `${joinMs.toFixed(0)} ms`,
        baseline: '',
        target: '',
        cmd: reproduce('nats', quick),
        note: 'from the start of the joiner (connect included)',
        curve: [
          at(
            'NATS bus: join → every member sees the joiner, ms',
            "from the joiner's start",
            joinMs,
          ),
        ],
      },
      {
        group: 'NATS bus at scale: convergence and presence',
        name: `heartbeat deliveries, N = ${n}`,
        value: `${fmtRate(hbRate)} (${(hbRate / n).toFixed(1)}/s per member)`,
        baseline: `N(N−1)/heartbeatMs = ${fmtRate(hbBound)}`,
        target: '',
        cmd: reproduce('nats', quick),
        note: 'each heartbeat is one ~45-byte publish, delivered to every other member',
        curve: [at(heartbeats, 'measured', hbRate), at(heartbeats, 'N(N−1)/heartbeatMs', hbBound)],
      },
    );
    process.stderr.write(
      `nats scale N=${n}: change ${change}, join ${join} (${joinMs.toFixed(0)} ms), leave ${leave}, heartbeats ${hbRate.toFixed(0)}/s\n`,
    );
    for (const h of hosts) await h.close();
  }
}

if (bin === undefined) {
  rows.push({
    group: 'NATS',
    name: 'skipped: nats-server not found',
    value: '',
    baseline: '',
    target: '',
    cmd: reproduce('nats', quick),
  });
  process.stderr.write(
    'nats: skipped (nats-server not found on the PATH or at /usr/sbin/nats-server)\n',
  );
} else {
  const server = await startNats(bin);
  try {
    if (flags.get('part') !== 'scale') await roundTrips(server.url);
    if (flags.get('part') !== 'rt') await scale(server.url);
  } finally {
    await server.stop();
  }
}
emitRows(rows);
process.exit(0);
