/**
 * `npm run sim -- [--seeds N] [--first-seed S] [--steps K]`: a sweep of
 * seeds, stopping at the first violation with its seed, topology, shrunk
 * trace and a one-command repro. `--seed S [--skip 3,5-9] [--verbose]`
 * replays one run. `--identities`: every router signs its adverts and
 * forged adverts are injected (issue 9). `--bus`: every seed of 3 routers or
 * more has a broadcast medium; `--no-stalls`: no stall steps.
 * `--no-verify-cache`: with identities, every signature checked afresh (verify-memo.ts).
 * `--sweep FROM-TO [--jobs N]`: every seed of the range in N processes, with
 * the counts and every failing seed (sweep.ts).
 */
import {
  compact,
  expand,
  fingerprint,
  report,
  runSeed,
  shrink,
  type RunOptions,
} from './runner.js';
import { stormBound } from './sim.js';
import { parseRange, sweep, sweepWorker } from './sweep.js';
import { cacheVerify } from './verify-memo.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function int(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} expects a non-negative integer, got ${v}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const steps = int('steps', 300);
  const opts: RunOptions = { steps };
  if (flag('verbose')) opts.log = (l) => console.log(l);
  const identities = flag('identities');
  if (identities) opts.identities = true;
  // Repeat signature checks answered from a cache (verify-memo.ts): same outcomes, a third less time.
  if (identities && !flag('no-verify-cache')) cacheVerify();
  if (flag('bus')) opts.medium = 'always';
  if (flag('no-stalls')) opts.stalls = false;
  const range = (name: string): [number, number] | undefined => {
    const spec = arg(name);
    if (spec === undefined) return undefined;
    const r = parseRange(spec);
    if (r === undefined) {
      console.error(`--${name} expects FROM-TO, got ${spec}`);
      process.exit(2);
    }
    return r;
  };
  const worker = range('sweep-worker');
  if (worker !== undefined) {
    await sweepWorker(worker[0], worker[1], int('offset', 0), Math.max(1, int('stride', 1)), opts);
    return;
  }
  const swept = range('sweep');
  if (swept !== undefined) {
    const passOn = process.argv
      .slice(2)
      .filter((a, i, all) => a !== '--sweep' && all[i - 1] !== '--sweep')
      .filter((a, i, all) => a !== '--jobs' && all[i - 1] !== '--jobs');
    const failures = await sweep(swept[0], swept[1], Math.max(1, int('jobs', 1)), opts, passOn);
    if (failures.length > 0) process.exitCode = 1;
    return;
  }
  const single = arg('seed');
  if (single !== undefined) {
    const seed = int('seed', 1);
    const skipSpec = arg('skip');
    const skip = skipSpec === undefined ? undefined : new Set(expand(skipSpec));
    const o = await runSeed(seed, opts, skip);
    if (o.violation === undefined) {
      console.log(
        `seed ${seed}: ok (${o.lastStep} steps, ${o.framesSent} frames, ${o.virtualMs} virtual ms, fingerprint ${fingerprint(o)})`,
      );
      return;
    }
    console.log(`seed ${seed}: VIOLATION ${o.violation.message}\ntopology: ${o.topology}`);
    if (!flag('verbose')) console.log(o.trace.map((l) => `  ${l}`).join('\n'));
    console.log(`state at the violation:\n${o.dump}`);
    if (flag('shrink')) {
      const s = await shrink(seed, o, opts, { replays: 1000, ms: 300_000 });
      console.log(report(seed, s, opts));
    }
    process.exitCode = 1;
    return;
  }
  const count = int('seeds', 1000);
  const first = int('first-seed', 1);
  const started = Date.now();
  let frames = 0;
  // The worst topology change seen, against its bound (invariant 5).
  let worst = { ratio: 0, seed: 0, text: '' };
  let worstBus = { ratio: 0, seed: 0, text: '' };
  let busChecks = 0;
  for (let seed = first; seed < first + count; seed++) {
    const o = await runSeed(seed, opts);
    frames += o.framesSent;
    for (const st of o.storms) {
      if (st.members !== undefined) {
        busChecks++;
        const r = st.frames / (st.bound ?? 1);
        if (r > worstBus.ratio)
          worstBus = {
            ratio: r,
            seed,
            text: `${st.frames} frames for ${st.members} members, ${st.links} links, ${st.routers} routers, ${st.registrations} registrations`,
          };
        continue;
      }
      const ratio = st.frames / stormBound(st.links, st.routers, st.registrations);
      if (ratio > worst.ratio)
        worst = {
          ratio,
          seed,
          text: `${st.frames} frames for ${st.links} links, ${st.routers} routers, ${st.registrations} registrations`,
        };
    }
    if (o.violation !== undefined) {
      console.log(
        `seed ${seed} failed after ${seed - first} passing seeds: ${o.violation.message}`,
      );
      console.log('shrinking...');
      const s = await shrink(seed, o, { ...opts, log: undefined });
      console.log(report(seed, s, opts));
      console.log(`skip list: ${compact(s.skip) || '(none)'}`);
      process.exitCode = 1;
      return;
    }
    if ((seed - first + 1) % 500 === 0)
      console.log(
        `${seed - first + 1} seeds ok (last ${seed}), ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
  }
  console.log(
    `${count} seeds ok (${first}..${first + count - 1})${identities ? ' with identities' : ''}, ${frames} frames, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(
    `worst topology change: ${(worst.ratio * 100).toFixed(0)}% of its bound (seed ${worst.seed}: ${worst.text})`,
  );
  console.log(
    `bus join/leave checks: ${busChecks}; worst ${(worstBus.ratio * 100).toFixed(0)}% of its bound (seed ${worstBus.seed}: ${worstBus.text})`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
