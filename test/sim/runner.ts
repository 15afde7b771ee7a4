/**
 * Runs seeds, and shrinks a failing one: first to the shortest prefix of
 * steps that still fails, then by skipping single steps (each step draws from
 * its own generator, so the others keep their choices), until no step can go.
 */
import { createHash } from 'node:crypto';
import { Simulation, type SimOutcome } from './sim.js';

export interface RunOptions {
  /** Steps per seed. */
  steps: number;
  /** Nodes probed per mid-run quiet check. */
  probeNodes?: number;
  /** Nodes probed at the final check (default: all). */
  finalProbeNodes?: number;
  log?: (line: string) => void;
  /** Every router signs its adverts, and forged adverts are injected (issue 9). */
  identities?: boolean;
  /** Draw choices as before issue 10 (see `SimConfig.legacy`). */
  legacy?: boolean;
  /** Some seeds get a broadcast medium (false: none, as before the medium existed; 'always': every seed of 3 routers or more). @default true */
  medium?: boolean | 'always';
  /** Draw stall steps. @default true */
  stalls?: boolean;
  /** Every router's `staleAdvertMs`, instead of the one drawn. */
  staleAdvertMs?: number;
}

/** Run one seed (optionally with some steps skipped). */
export async function runSeed(
  seed: number,
  opts: RunOptions,
  skip?: ReadonlySet<number>,
): Promise<SimOutcome> {
  const config: ConstructorParameters<typeof Simulation>[0] = { seed, steps: opts.steps };
  if (skip !== undefined) config.skip = skip;
  if (opts.probeNodes !== undefined) config.probeNodes = opts.probeNodes;
  if (opts.finalProbeNodes !== undefined) config.finalProbeNodes = opts.finalProbeNodes;
  if (opts.log !== undefined) config.log = opts.log;
  if (opts.identities === true) config.identities = true;
  if (opts.legacy === true) config.legacy = true;
  if (opts.medium !== undefined) config.medium = opts.medium;
  if (opts.stalls === false) config.stalls = false;
  if (opts.staleAdvertMs !== undefined) config.staleAdvertMs = opts.staleAdvertMs;
  return new Simulation(config).run();
}

export interface Shrunk {
  outcome: SimOutcome;
  steps: number;
  skip: number[];
  replays: number;
}

/** Shrink a failing run of `seed`: fewer steps, then single steps skipped, within a budget of replays and time. */
export async function shrink(
  seed: number,
  failing: SimOutcome,
  opts: RunOptions,
  budget = { replays: 300, ms: 60_000 },
): Promise<Shrunk> {
  const started = Date.now();
  const invariant = failing.violation?.invariant;
  let best: Shrunk = { outcome: failing, steps: opts.steps, skip: [], replays: 0 };
  let replays = 0;
  const fails = async (steps: number, skip: number[]): Promise<SimOutcome | undefined> => {
    replays++;
    const o = await runSeed(seed, { ...opts, steps, log: undefined }, new Set(skip));
    return o.violation !== undefined && o.violation.invariant === invariant ? o : undefined;
  };
  const inBudget = (): boolean => replays < budget.replays && Date.now() - started < budget.ms;
  // 1. The shortest prefix: a violation at step k needs at most k + 1 steps.
  const firstTry = Math.min(opts.steps, Math.max(0, failing.lastStep + 1));
  if (firstTry < opts.steps) {
    const o = await fails(firstTry, []);
    if (o !== undefined) best = { outcome: o, steps: firstTry, skip: [], replays };
  }
  // Then halve the prefix while it still fails.
  let lo = 0;
  let hi = best.steps;
  while (lo < hi && inBudget()) {
    const mid = Math.floor((lo + hi) / 2);
    const o = await fails(mid, []);
    if (o !== undefined) {
      best = { outcome: o, steps: mid, skip: [], replays };
      hi = mid;
    } else lo = mid + 1;
  }
  // 2. Skip steps: chunks first, then single steps, from the end.
  const skip = new Set<number>();
  for (
    let chunk = Math.max(1, Math.floor(best.steps / 4));
    chunk >= 1 && inBudget();
    chunk = Math.floor(chunk / 2)
  ) {
    for (let end = best.steps; end > 0 && inBudget(); end -= chunk) {
      const candidate = new Set(skip);
      for (let i = Math.max(0, end - chunk); i < end; i++) candidate.add(i);
      if (candidate.size === skip.size) continue;
      const o = await fails(best.steps, [...candidate]);
      if (o !== undefined) {
        for (const i of candidate) skip.add(i);
        best = { outcome: o, steps: best.steps, skip: [...skip].sort((a, b) => a - b), replays };
      }
    }
    if (chunk === 1) break;
  }
  best.replays = replays;
  return best;
}

/**
 * What a run did, in one string: its trace's line count and a hash of the
 * trace (topology, every step's choices, virtual times and results). Two runs
 * with the same fingerprint ran the same scenario; a recorded replay whose
 * fingerprint changed no longer replays what was recorded (the simulator
 * draws its choices differently, or the routers behave differently).
 */
export function fingerprint(o: Pick<SimOutcome, 'trace'>): string {
  const hash = createHash('sha256').update(o.trace.join('\n')).digest('hex').slice(0, 16);
  return `${o.trace.length}:${hash}`;
}

/** The command that replays a run (`opts`: the flags it ran with). */
export function reproCommand(
  seed: number,
  steps: number,
  skip: readonly number[],
  opts: boolean | Pick<RunOptions, 'identities' | 'medium' | 'stalls'> = false,
): string {
  const o = typeof opts === 'boolean' ? { identities: opts } : opts;
  const flags = `${o.identities === true ? ' --identities' : ''}${o.medium === 'always' ? ' --bus' : ''}${o.stalls === false ? ' --no-stalls' : ''}`;
  return `npm run sim -- --seed ${seed} --steps ${steps}${skip.length > 0 ? ` --skip ${compact(skip)}` : ''}${flags} --verbose`;
}

/** `1,2,3,7` → `1-3,7` */
export function compact(list: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < list.length;) {
    let j = i;
    while (j + 1 < list.length && (list[j + 1] as number) === (list[j] as number) + 1) j++;
    out.push(j > i ? `${list[i]}-${list[j]}` : `${list[i]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** Parse `1-3,7` into `[1,2,3,7]`. */
export function expand(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** A report of a failure: seed, topology, violation, the shrunk trace and the repro command. */
export function report(
  seed: number,
  shrunk: Shrunk,
  identities: boolean | Pick<RunOptions, 'identities' | 'medium' | 'stalls'> = false,
): string {
  const o = shrunk.outcome;
  const lines = [
    `VIOLATION at seed ${seed}: ${o.violation?.message ?? '?'}`,
    `topology: ${o.topology}`,
    `shrunk to ${shrunk.steps} steps${shrunk.skip.length > 0 ? `, ${shrunk.skip.length} skipped` : ''} (${shrunk.replays} replays); trace:`,
    ...o.trace.map((l) => `  ${l}`),
    `state at the violation:`,
    o.dump,
    `repro: ${reproCommand(seed, shrunk.steps, shrunk.skip, identities)}`,
  ];
  return lines.join('\n');
}
