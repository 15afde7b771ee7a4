/**
 * `node <out>/test/sim/same.js OTHER FROM-TO [--steps K] [--bus] [--identities] [--no-stalls]`:
 * does this compile of the simulator run every seed of the range exactly as
 * another compile does (OTHER: its output directory) — the same trace
 * fingerprint, frames sent, virtual time and outcome? A change meant to make
 * the router faster and to change nothing else is checked this way against
 * the code the earlier sweeps ran: where every seed runs the same, those
 * sweeps hold for the new code (docs/testing.md "Same runs, other code").
 * Compile an older commit with `npx tsc -p test/sim/tsconfig.json --outDir
 * DIR --tsBuildInfoFile DIR/.tsbuildinfo` in its worktree (DIR under
 * node_modules/, so that its imports resolve). Exit code 1 when a seed differs.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { fingerprint, runSeed, type RunOptions } from './runner.js';
import type { SimOutcome } from './sim.js';
import { parseRange } from './sweep.js';

/** What two runs of one seed must share. */
export function runKey(o: SimOutcome, print: (o: SimOutcome) => string = fingerprint): string {
  return `${print(o)} frames ${o.framesSent} virtual ${o.virtualMs} ms ${o.violation?.message ?? 'ok'}`;
}

async function main(): Promise<void> {
  const [other, range] = process.argv.slice(2);
  const seeds = range === undefined ? undefined : parseRange(range);
  if (other === undefined || seeds === undefined) {
    console.error(
      'usage: same.js OTHER-OUT-DIR FROM-TO [--steps K] [--bus] [--identities] [--no-stalls]',
    );
    process.exit(2);
  }
  const flag = (f: string): boolean => process.argv.includes(`--${f}`);
  const steps = process.argv.indexOf('--steps');
  const opts: RunOptions = { steps: steps >= 0 ? Number(process.argv[steps + 1]) : 300 };
  if (flag('bus')) opts.medium = 'always';
  if (flag('identities')) opts.identities = true;
  if (flag('no-stalls')) opts.stalls = false;
  const them = (await import(
    pathToFileURL(resolve(other, 'test/sim/runner.js')).href
  )) as typeof import('./runner.js');
  let same = 0;
  const differ: number[] = [];
  const started = Date.now();
  const stop = (): void => {
    console.log(
      `same ${seeds[0]}-${seeds[1]}: ${same} seeds the same, ${differ.length} different${differ.length > 0 ? ` (${differ.join(', ')})` : ''}, ${Math.round((Date.now() - started) / 1000)} s`,
    );
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(differ.length > 0 ? 1 : 130);
  });
  for (let seed = seeds[0]; seed <= seeds[1]; seed++) {
    const mine = runKey(await runSeed(seed, opts));
    const theirs = runKey(await them.runSeed(seed, opts), them.fingerprint);
    if (mine === theirs) same++;
    else {
      differ.push(seed);
      console.log(`seed ${seed} differs:\n  this:  ${mine}\n  other: ${theirs}`);
    }
    if ((same + differ.length) % 100 === 0) stop();
  }
  stop();
  if (differ.length > 0) process.exitCode = 1;
}

await main();
