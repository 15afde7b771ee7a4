/**
 * `node --cpu-prof dist-bench/bench/profile-inproc.js [--inflight=1024] [--ms=4000]`:
 * the in-process round trip of `inproc.ts` (two routers on the in-memory
 * network) alone, without its baseline, so that the profile holds only the
 * router's own frames (`node dist-bench/bench/lib/top-frames.js FILE.cpuprofile`).
 */
import { SMALL_CONTENT } from './lib/fixtures.js';
import { cpuMs, parseArgs } from './lib/harness.js';
import { nodeNames, routerPair, runInFlight } from './lib/pairs.js';

const { flags } = parseArgs();
const k = Number(flags.get('inflight') ?? 1024);
const ms = Number(flags.get('ms') ?? 4000);
const { net, client } = await routerPair(k);
const nodes = nodeNames(k);
const chunk = k > 1 ? 100 * k : 20_000;
const end = performance.now() + ms;
const cpu0 = cpuMs();
let ops = 0;
while (performance.now() < end) {
  await runInFlight(nodes, chunk, (node) => client.command(node, 'ptz', SMALL_CONTENT));
  ops += chunk;
}
const spent = cpuMs() - cpu0;
process.stderr.write(
  `${k} in flight: ${((ops / spent) * 1000).toFixed(0)} round trips per CPU second (${((spent * 1000) / ops).toFixed(2)} µs each)\n`,
);
await net.close();
