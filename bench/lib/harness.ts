/**
 * Shared benchmark helpers: argument parsing, interleaved timing of a subject
 * beside its baseline (these machines are noisy: only ratios measured in the
 * same run mean much), percentiles, and the row format the runner collects.
 */
import { performance } from 'node:perf_hooks';

/** One line of the BENCHMARKS.md table. */
export interface BenchRow {
  /** Benchmark group (the table rows). */
  group: string;
  /** What this row measures. */
  name: string;
  /** The subject's figure, formatted. */
  value: string;
  /** The baseline's figure, formatted ('' when there is none). */
  baseline: string;
  /** subject / baseline (higher is better for rates; for costs the row says). */
  ratio?: number;
  /** The target, as text ('' when there is none). */
  target: string;
  /** Whether the target is met; undefined when there is no target. */
  met?: boolean;
  /** The command that reproduces the row. */
  cmd: string;
  /** Extra numbers for the notes. */
  note?: string;
  /** Points this row adds to a curve of BENCHMARKS.md (bench/lib/curves.ts). */
  curve?: CurvePoint[];
}

/** One point of one series of a chart (charts and series by title, in first-seen order). */
export interface CurvePoint {
  chart: string;
  series: string;
  x: number;
  y: number;
}

export interface BenchArgs {
  quick: boolean;
  /** Remaining `--key=value` flags. */
  flags: Map<string, string>;
}

export function parseArgs(argv: string[] = process.argv.slice(2)): BenchArgs {
  const flags = new Map<string, string>();
  let quick = false;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq < 0) flags.set(a.slice(2), 'true');
      else flags.set(a.slice(2, eq), a.slice(eq + 1));
    }
  }
  return { quick, flags };
}

/** Print rows for the runner (one marked line, JSON). */
export function emitRows(rows: BenchRow[]): void {
  process.stdout.write(`BENCH_ROWS ${JSON.stringify(rows)}\n`);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The q-quantile (0..1) of sorted-or-not samples, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = xs instanceof Float64Array ? xs : [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i] as number;
}

/** A synchronous or asynchronous body that performs `n` operations. */
export type Body = (n: number) => void | Promise<void>;

/**
 * What a rate is measured against. `cpu`: the process's CPU time (user +
 * system, every thread), for benchmarks that never wait on I/O — time spent
 * descheduled by other load on a shared machine does not count. `wall`: real
 * time, for benchmarks that wait on another process.
 */
export type Clock = 'cpu' | 'wall';

/** This process's CPU time so far (user + system, every thread), in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function clockMs(clock: Clock): number {
  return clock === 'wall' ? performance.now() : cpuMs();
}

/**
 * Operations per second of `body`: batches grow until one takes ~`minMs / 8`,
 * then batches run until `minMs` has passed on the chosen clock.
 */
export async function opsPerSec(body: Body, minMs: number, clock: Clock = 'cpu'): Promise<number> {
  let n = 1;
  for (;;) {
    const t0 = clockMs(clock);
    await body(n);
    const dt = clockMs(clock) - t0;
    if (dt >= minMs / 8 || n >= 1 << 24) break;
    n *= dt < minMs / 64 ? 8 : 2;
  }
  let ops = 0;
  const t0 = clockMs(clock);
  let dt = 0;
  do {
    await body(n);
    ops += n;
    dt = clockMs(clock) - t0;
  } while (dt < minMs);
  return (ops / dt) * 1000;
}

export interface Comparison {
  subject: number;
  baseline: number;
  ratio: number;
}

/** Time (ms on `clock`) of one call `body(n)`. */
async function timeOf(body: Body, n: number, clock: Clock): Promise<number> {
  const t0 = clockMs(clock);
  await body(n);
  return clockMs(clock) - t0;
}

/**
 * Compare subject and baseline in many short, alternating chunks of the same
 * number of operations (about `chunkMs` each), `rounds × minMs` per side in
 * all: a neighbour's load on a shared machine then falls on both alike. The
 * ratio is the median of the per-pair ratios; the rates come from the totals.
 */
export async function compareRates(
  baseline: Body,
  subject: Body,
  rounds: number,
  minMs: number,
  clock: Clock = 'cpu',
  chunkMs = 10,
): Promise<Comparison> {
  // Warm up both (JIT), then size the chunk on the baseline.
  await opsPerSec(baseline, Math.max(chunkMs, minMs / 2), clock);
  await opsPerSec(subject, Math.max(chunkMs, minMs / 2), clock);
  let n = 1;
  while (n < 1 << 24 && (await timeOf(baseline, n, clock)) < chunkMs) n *= 2;
  const pairs = Math.max(rounds, Math.round((rounds * minMs) / chunkMs));
  const ratios: number[] = [];
  let sumB = 0;
  let sumS = 0;
  for (let i = 0; i < pairs; i++) {
    let tb: number;
    let ts: number;
    if (i % 2 === 0) {
      tb = await timeOf(baseline, n, clock);
      ts = await timeOf(subject, n, clock);
    } else {
      ts = await timeOf(subject, n, clock);
      tb = await timeOf(baseline, n, clock);
    }
    sumB += tb;
    sumS += ts;
    if (tb > 0 && ts > 0) ratios.push(tb / ts);
  }
  return {
    subject: ((n * pairs) / sumS) * 1000,
    baseline: ((n * pairs) / sumB) * 1000,
    ratio: median(ratios),
  };
}

export function fmtRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k/s`;
  return `${x.toFixed(1)} /s`;
}

export function fmtUs(ms: number): string {
  const us = ms * 1000;
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

export function fmtBytes(b: number): string {
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b.toFixed(0)} B`;
}

export function ratioText(r: number): string {
  return `${r.toFixed(2)}×`;
}

/** `npm run bench -- --only=<suite> [--quick]`, the reproduction command of a row. */
export function reproduce(suite: string, quick: boolean, extra = ''): string {
  return `npm run bench -- --only=${suite}${quick ? ' --quick' : ''}${extra}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
