/**
 * Cold start to the first answered command, two processes: spawn the host,
 * wait until it listens, spawn the client, which connects, learns the node,
 * registers as controller and sends one command; stop the clock when its
 * answer arrives. Beside the raw pair (a raw NDJSON server and a client that
 * sends one request). Target ≤ 2×.
 *
 * Then the command line, one process per call: `ctp-router call --connect …
 * register cam1 controller -- command cam1 x '{}'` against a running
 * `ctp-router peer --node cam1 --echo`, spawn to exit, beside the raw pair's
 * client process against a running raw server (spawn, connect, one request,
 * exit; target ≤ 1.5×) and beside `node -e ''`. Both with default options.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PEER_SCRIPT, spawnPeer } from './lib/child.js';
import {
  emitRows,
  fmtUs,
  median,
  parseArgs,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';

const { quick } = parseArgs();
const reps = quick ? 2 : 9;

async function once(kind: 'raw' | 'ctp'): Promise<number> {
  const t0 = performance.now();
  const server = spawnPeer([kind === 'raw' ? '--mode=raw-server' : '--mode=ctp-host', '--nodes=1']);
  const port = await server.line('READY');
  const client = spawnPeer([
    kind === 'raw' ? '--mode=raw-client' : '--mode=ctp-client',
    `--port=${port}`,
  ]);
  await client.line('ANSWERED');
  const dt = performance.now() - t0;
  await Promise.all([client.stop(), server.stop()]);
  return dt;
}

const raw: number[] = [];
const ctp: number[] = [];
await once('raw');
await once('ctp');
for (let i = 0; i < reps; i++) {
  if (i % 2 === 0) {
    raw.push(await once('raw'));
    ctp.push(await once('ctp'));
  } else {
    ctp.push(await once('ctp'));
    raw.push(await once('raw'));
  }
}
const c = median(ctp);
const b = median(raw);
const rows: BenchRow[] = [
  {
    group: 'cold start, two processes',
    name: 'spawn host and client → first answered command',
    value: fmtUs(c),
    baseline: fmtUs(b),
    ratio: c / b,
    target: '≤ 2× (a cost: lower is better)',
    met: c / b <= 2,
    cmd: reproduce('coldstart', quick),
  },
];
process.stderr.write(`coldstart: ${fmtUs(c)} vs raw ${fmtUs(b)} = ${ratioText(c / b)}\n`);

/** This checkout's CLI, compiled beside the benchmarks (tsconfig.bench.json). */
const CLI = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));

/** Wall ms from spawning `node ...args` to its exit; rejects unless it exits 0. */
function processMs(args: string[]): Promise<number> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { stdio: 'ignore' });
  return new Promise((resolve, reject) =>
    proc.once('exit', (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`node ${args.join(' ')} exited ${code}`)),
    ),
  );
}

const rawServer = spawnPeer(['--mode=raw-server']);
const rawPort = await rawServer.line('READY');
const peer = spawnPeer(['peer', '--listen', '127.0.0.1:0', '--node', 'cam1', '--echo'], [], CLI);
const peerPort = (await peer.line('listening')).split(' ')[0]?.split(':').pop() as string;
const kinds = {
  cli: [
    CLI,
    'call',
    '--connect',
    `127.0.0.1:${peerPort}`,
    'register',
    'cam1',
    'controller',
    '--',
    'command',
    'cam1',
    'x',
    '{}',
  ],
  raw: [PEER_SCRIPT, '--mode=raw-client', `--port=${rawPort}`],
  node: ['-e', ''],
};
const times: Record<keyof typeof kinds, number[]> = { cli: [], raw: [], node: [] };
const order = Object.keys(kinds) as (keyof typeof kinds)[];
for (const k of order) await processMs(kinds[k]);
for (let i = 0; i < reps; i++) {
  // A different order each time: the machine's drift falls on all three alike.
  for (let j = 0; j < order.length; j++) {
    const k = order[(i + j) % order.length] as keyof typeof kinds;
    times[k].push(await processMs(kinds[k]));
  }
}
peer.proc.kill('SIGINT');
await Promise.all([peer.stop(), rawServer.stop()]);
const cli = median(times.cli);
const rawClient = median(times.raw);
const bare = median(times.node);
const cliCmd =
  "ctp-router call --connect 127.0.0.1:PORT register cam1 controller -- command cam1 x '{}'";
const group = 'cold start, the command line';
rows.push(
  {
    group,
    name: `\`${cliCmd}\` against a running \`ctp-router peer --node cam1 --echo\`, spawn → exit (beside the raw pair's client against a running raw server: spawn, connect, one request, exit)`,
    value: fmtUs(cli),
    baseline: fmtUs(rawClient),
    ratio: cli / rawClient,
    target: '≤ 1.5× (a cost: lower is better)',
    met: cli / rawClient <= 1.5,
    cmd: reproduce('coldstart', quick),
    note: `median of ${times.cli.length}`,
  },
  {
    group,
    name: "the same call, beside `node -e ''` (Node's own start and exit)",
    value: fmtUs(cli),
    baseline: fmtUs(bare),
    ratio: cli / bare,
    target: '',
    cmd: reproduce('coldstart', quick),
  },
);
process.stderr.write(
  `coldstart cli call: ${fmtUs(cli)} vs raw client ${fmtUs(rawClient)} = ${ratioText(cli / rawClient)}; node -e '' ${fmtUs(bare)}\n`,
);
emitRows(rows);
