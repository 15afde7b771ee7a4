/**
 * `npm run sim -- --sweep FROM-TO [--jobs N]`: run every seed of a range (no
 * stop at the first violation, no shrinking) in N worker processes, and print
 * the counts and every failing seed with its violation and the command that
 * replays it. The flags of the run (`--steps`, `--identities`, `--bus`,
 * `--no-stalls`) go to every worker. Exit code 1 when any seed failed.
 * Interrupted (SIGINT, SIGTERM), it prints the counts so far and which seeds ran.
 */
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { compact, reproCommand, runSeed, type RunOptions } from './runner.js';

/** One failing seed of a sweep. */
export interface SweepFailure {
  seed: number;
  message: string;
}

/** Parse `FROM-TO` (inclusive) or a single seed. */
export function parseRange(spec: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (m === null) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return to >= from ? [from, to] : undefined;
}

/** A worker: the seeds `from + offset + k * stride` up to `to`, one JSON line per seed. */
export async function sweepWorker(
  from: number,
  to: number,
  offset: number,
  stride: number,
  opts: RunOptions,
): Promise<void> {
  // The sweep was interrupted: its pipe is gone, and so is the worker's purpose.
  process.stdout.on('error', () => process.exit(0));
  for (let seed = from + offset; seed <= to; seed += stride) {
    const o = await runSeed(seed, opts);
    const line =
      o.violation === undefined
        ? { seed, ok: true }
        : { seed, ok: false, message: o.violation.message, step: o.lastStep };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

/** Run the sweep in `jobs` workers (this same script, with `--sweep-worker`); returns the failures, by seed. */
export async function sweep(
  from: number,
  to: number,
  jobs: number,
  opts: RunOptions,
  workerArgs: readonly string[],
): Promise<SweepFailure[]> {
  const started = Date.now();
  const total = to - from + 1;
  const failures: SweepFailure[] = [];
  let done = 0;
  const ran: number[] = [];
  const summary = (): void => {
    const what = `${opts.identities === true ? ' --identities' : ''}${opts.medium === 'always' ? ' --bus' : ''}${opts.stalls === false ? ' --no-stalls' : ''}`;
    console.log(
      `sweep ${from}-${to} (--steps ${opts.steps}${what}): ${done} seeds, ${done - failures.length} ok, ${failures.length} failed, ${((Date.now() - started) / 1000).toFixed(0)} s with ${jobs} jobs`,
    );
    if (done < total) console.log(`interrupted: seeds run ${compactSeeds(ran)}`);
    if (failures.length > 0) {
      failures.sort((a, b) => a.seed - b.seed);
      console.log(`failing seeds: ${failures.map((f) => f.seed).join(' ')}`);
      for (const f of failures)
        console.log(`  ${f.seed}: ${f.message}\n    ${reproCommand(f.seed, opts.steps, [], opts)}`);
    }
  };
  const interrupted = (): void => {
    summary();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const script = fileURLToPath(new URL('./cli.js', import.meta.url));
  const one = (offset: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = fork(
        script,
        [
          ...workerArgs,
          '--sweep-worker',
          `${from}-${to}`,
          '--offset',
          `${offset}`,
          '--stride',
          `${jobs}`,
        ],
        // No source maps in workers: they cost a sixth of a run; a failing seed's replay has them.
        { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: [] },
      );
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (l) => {
        let r: { seed: number; ok: boolean; message?: string };
        try {
          r = JSON.parse(l) as typeof r;
        } catch {
          console.log(l);
          return;
        }
        done++;
        ran.push(r.seed);
        if (!r.ok) {
          failures.push({ seed: r.seed, message: r.message ?? '?' });
          console.log(`seed ${r.seed} FAILED: ${r.message ?? '?'}`);
        }
        if (done % 100 === 0)
          console.log(
            `${done}/${total} seeds, ${failures.length} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`,
          );
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`worker ${offset} exited with ${code}`)),
      );
    });
  await Promise.all(Array.from({ length: Math.min(jobs, total) }, (_, k) => one(k)));
  process.off('SIGINT', interrupted);
  process.off('SIGTERM', interrupted);
  summary();
  return failures;
}

/** The seeds run, as ranges (`1-40,42`). */
function compactSeeds(seeds: number[]): string {
  return compact([...seeds].sort((a, b) => a - b));
}
