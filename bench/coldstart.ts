/**
 * Cold start to the first answered command, two processes: spawn the host,
 * wait until it listens, spawn the client, which connects, learns the node,
 * registers as controller and sends one command; stop the clock when its
 * answer arrives. Beside the raw pair (a raw NDJSON server and a client that
 * sends one request). Target ≤ 2×.
 */
import { performance } from 'node:perf_hooks';
import { spawnPeer } from './lib/child.js';
import { emitRows, fmtUs, median, parseArgs, ratioText, reproduce, type BenchRow } from './lib/harness.js';

const { quick } = parseArgs();
const reps = quick ? 2 : 9;

async function once(kind: 'raw' | 'ctp'): Promise<number> {
  const t0 = performance.now();
  const server = spawnPeer([kind === 'raw' ? '--mode=raw-server' : '--mode=ctp-host', '--nodes=1']);
  const port = await server.line('READY');
  const client = spawnPeer([kind === 'raw' ? '--mode=raw-client' : '--mode=ctp-client', `--port=${port}`]);
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
emitRows(rows);
