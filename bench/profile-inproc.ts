/**
 * `node --cpu-prof dist-bench/bench/profile-inproc.js [--inflight=1024] [--ms=4000] [--lib=DIST]`:
 * the in-process round trip of `inproc.ts` (two routers on the in-memory
 * network) alone, without its baseline, so that the profile holds only the
 * router's own frames (`node dist-bench/bench/lib/top-frames.js FILE.cpuprofile`).
 * `--lib=DIST` runs another build of the library instead (e.g. the one
 * `--only=against` builds in `node_modules/.cache/ctp-against/SHA/dist`).
 */
import { SMALL_CONTENT } from './lib/fixtures.js';
import { cpuMs, parseArgs } from './lib/harness.js';
import { nodeNames, routerPair, runInFlight } from './lib/pairs.js';
import { loadLibrary } from './lib/revision.js';

const { flags } = parseArgs();
const k = Number(flags.get('inflight') ?? 1024);
const ms = Number(flags.get('ms') ?? 4000);
const lib = flags.get('lib');
const { net, client } = await routerPair(
  k,
  lib === undefined ? undefined : (await loadLibrary(lib)).CtpTestNetwork,
);
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
