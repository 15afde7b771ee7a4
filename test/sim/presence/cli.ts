/**
 * `npm run sim:presence -- --seeds N [--first-seed S]`: presence simulator
 * runs (world.ts), stopping at the first violation with a one-command repro;
 * `--seed S [--verbose]` replays one run with its trace. `--large`: buses of
 * 30–48 routers (the same seed draws another run with it).
 */
import createDebug from 'debug';
import { format } from 'node:util';
import { runPresence } from './world.js';

// With DEBUG=ctp:*: each line on virtual time (ms since the run's start, as the trace).
const T0 = 1_800_000_000_000;
createDebug.log = (...args: unknown[]): void =>
  console.log(`${((Date.now() - T0) / 1000).toFixed(3)}s ${format(...(args as [string]))}`);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const one = arg('seed');
  const verbose = process.argv.includes('--verbose');
  const first = Number(one ?? arg('first-seed') ?? 1);
  const count = one === undefined ? Number(arg('seeds') ?? 200) : 1;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 1) {
    console.error('--seed, --first-seed and --seeds expect integers');
    process.exit(2);
  }
  const totals: Record<string, number> = {};
  // `--keep-going`: every seed of the range, then the failing ones by kind of violation.
  const keepGoing = process.argv.includes('--keep-going');
  const failing: Record<string, number[]> = {};
  const t0 = Date.now();
  for (let seed = first; seed < first + count; seed++) {
    const log = verbose ? (l: string) => console.log(l) : undefined;
    const r = await runPresence(seed, log, {}, process.argv.includes('--large'));
    for (const [k, v] of Object.entries(r.takedowns)) totals[k] = (totals[k] ?? 0) + v;
    if (verbose || r.violations.length > 0) {
      console.log(
        `seed ${seed}: ${r.members} members, faults:\n  ${r.faults.join('\n  ')}\n  idle ${r.idlePerInterval}/interval for ${r.liveAtEnd}`,
      );
    }
    if (r.violations.length > 0) {
      process.exitCode = 1;
      if (keepGoing) {
        for (const k of new Set(r.violations.map((v) => v.kind))) (failing[k] ??= []).push(seed);
        continue;
      }
      for (const v of r.violations)
        console.log(`  ${(v.at / 1000).toFixed(3)}s ${v.kind}: ${v.detail}`);
      console.log(`repro: npm run sim:presence -- --seed ${seed} --verbose`);
      return;
    }
  }
  if (keepGoing && process.exitCode === 1) {
    const bad = new Set(Object.values(failing).flat()).size;
    console.log(
      `${count} seeds (${first}–${first + count - 1}): ${count - bad} clean, ${bad} failing`,
    );
    for (const [k, seeds] of Object.entries(failing)) console.log(`  ${k}: ${seeds.join(' ')}`);
    return;
  }
  console.log(
    `${count} seeds (${first}–${first + count - 1}) clean in ${((Date.now() - t0) / 1000).toFixed(1)} s; takedowns ${JSON.stringify(totals)}`,
  );
}

await main();
