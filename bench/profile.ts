/**
 * `node --cpu-prof dist-bench/bench/profile.js`: the 1024-in-flight TCP round
 * trip of the router for a few seconds, with the host process profiled too
 * (`--cpu-prof` in its own process), for the profile summaries in
 * BENCHMARKS.md (`node dist-bench/bench/lib/top-frames.js FILE.cpuprofile`).
 */
import { ctpClient } from './lib/ctp-tcp.js';
import { spawnPeer } from './lib/child.js';
import { nodeNames, SMALL_CONTENT } from './lib/fixtures.js';
import { parseArgs } from './lib/harness.js';

const { flags } = parseArgs();
const k = Number(flags.get('inflight') ?? 1024);
const ms = Number(flags.get('ms') ?? 4000);
const dir = flags.get('dir') ?? '.';
const nodes = nodeNames(k);
const host = spawnPeer(
  ['--mode=ctp-host', `--nodes=${k}`],
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=host.cpuprofile'],
);
const ctp = await ctpClient(Number(await host.line('READY')), nodes);
const end = performance.now() + ms;
let ops = 0;
await Promise.all(
  nodes.map(async (node) => {
    while (performance.now() < end) {
      await ctp.router.command(node, 'ptz', SMALL_CONTENT);
      ops++;
    }
  }),
);
process.stderr.write(`${((ops / ms) * 1000).toFixed(0)} round trips/s, ${ops} round trips\n`);
await ctp.router.close();
await ctp.transport.close();
await host.stop();
