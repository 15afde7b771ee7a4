/**
 * `npm run bench`: run every suite in its own process (a fresh heap and JIT
 * each, memory suites with --expose-gc), print the table, and on a full run
 * write BENCHMARKS.md with the machine, the Node version and the command that
 * reproduces each row.
 *
 *   npm run bench                       full run (minutes), writes BENCHMARKS.md
 *   npm run bench -- --quick            smoke run (< 30 s), prints only
 *   npm run bench -- --only=codec,tcp   some suites, prints only
 *   npm run bench -- --write            write BENCHMARKS.md even with --quick/--only
 *   npm run bench -- --render           rewrite BENCHMARKS.md from the last full run (after editing bench/NOTES.md)
 *   npm run bench -- --only=X --merge   run suite X again and put its rows in place of X's rows of the last
 *                                       full run (same groups), then write BENCHMARKS.md
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { curvesSection } from './lib/curves.js';
import { parseArgs, ratioText, type BenchRow } from './lib/harness.js';

interface Suite {
  name: string;
  script: string;
  nodeArgs?: string[];
  about: string;
}

const SUITES: Suite[] = [
  {
    name: 'codec',
    script: 'codec.js',
    about: 'codec encode+decode per frame type vs JSON.stringify+JSON.parse',
  },
  {
    name: 'inproc',
    script: 'inproc.js',
    about: 'round trips, two routers in one process, in-memory network',
  },
  { name: 'tcp', script: 'tcp.js', about: 'round trips, two processes over ctp-router/tcp' },
  {
    name: 'tls',
    script: 'tls.js',
    about: 'round trips, two processes over ctp-router/tcp with mutual TLS',
  },
  {
    name: 'coldstart',
    script: 'coldstart.js',
    about: 'cold start to the first answered command; the CLI `call` per process',
  },
  {
    name: 'register',
    script: 'register.js',
    about:
      'registration with default options over TCP: sequential register+unregister, a burst of 1,000',
  },
  {
    name: 'table',
    script: 'table.js',
    nodeArgs: ['--expose-gc'],
    about: 'table memory and update cost',
  },
  { name: 'fanout', script: 'fanout.js', about: 'publish fan-out' },
  { name: 'flood', script: 'flood.js', about: 'flooding cost of one change' },
  {
    name: 'signing',
    script: 'signing.js',
    about:
      'signed adverts: verify (cold, warm) and sign one advert, beside an unsigned advert applied',
  },
  {
    name: 'big-adverts',
    script: 'big-adverts.js',
    about:
      "a controller's command round trips while an insider floods the station with signed 50,000-name adverts (issue 25)",
  },
  {
    name: 'origin-auth',
    script: 'origin-auth.js',
    about:
      'origin authentication (issue 25): seal + check per frame (pair key, signatures), round trips with identities beside without',
  },
  {
    name: 'heartbeat',
    script: 'heartbeat.js',
    about: 'heartbeat overhead at 1,000 idle links, beside heartbeats off',
  },
  {
    name: 'tracing',
    script: 'tracing.js',
    about:
      'round trips with an OpenTelemetry SDK registered (spans sampled, or sampled out) beside none, same run',
  },
  {
    name: 'against',
    script: 'against.js',
    about:
      'round trips of this revision beside an earlier one (--against=REV; default the start of the liveness wave), same run',
  },
  {
    name: 'nats',
    script: 'nats.js',
    about:
      'round trips over ctp-router/nats vs raw NATS request/reply; frames per change, join and leave on a bus of N routers',
  },
  {
    name: 'bus-scale',
    script: 'bus-scale.js',
    nodeArgs: ['--expose-gc'],
    about:
      'a thousand routers: one bus of N = 100, 250 routers (500, 1,000 with --n) on one nats-server (/varz): formation, idle deliveries, change, join, leave, memory',
  },
];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { quick, flags } = parseArgs();
const only = flags.get('only')?.split(',');
const chosen = only === undefined ? SUITES : SUITES.filter((s) => only.includes(s.name));
if (chosen.length === 0)
  throw new Error(
    `no suite named ${only?.join(',')}; suites: ${SUITES.map((s) => s.name).join(', ')}`,
  );
const passThrough = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--only=') && a !== '--write' && a !== '--merge');

function runSuite(s: Suite): Promise<BenchRow[]> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL(`./${s.script}`, import.meta.url));
    const child = spawn(process.execPath, [...(s.nodeArgs ?? []), script, ...passThrough], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_ROWS '));
      if (code !== 0 || line === undefined)
        return reject(new Error(`suite ${s.name} failed (exit ${code})`));
      resolve(JSON.parse(line.slice('BENCH_ROWS '.length)) as BenchRow[]);
    });
  });
}

const LAST_RUN = `${ROOT}dist-bench/last-run.json`;
const render = flags.has('render');
const merge = flags.has('merge');
interface LastRun {
  header: string;
  rows: BenchRow[];
  full: boolean;
}
const last =
  render || merge
    ? existsSync(LAST_RUN)
      ? (JSON.parse(readFileSync(LAST_RUN, 'utf8')) as LastRun)
      : undefined
    : undefined;
if ((render || merge) && last === undefined)
  throw new Error(`no run to ${render ? 'render' : 'merge into'}: run \`npm run bench\` first`);
if (merge && (quick || last?.full === false))
  throw new Error(
    "--merge puts a full run's rows in place of the last full run's: without --quick, after a full `npm run bench`",
  );
const started = Date.now();
let rows: BenchRow[] = render ? (last as LastRun).rows : [];
for (const s of render ? [] : chosen) {
  const t0 = Date.now();
  process.stderr.write(`== ${s.name}: ${s.about}\n`);
  rows.push(...(await runSuite(s)));
  process.stderr.write(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
if (merge) rows = mergeRows((last as LastRun).rows, rows);

/** The last run's rows with those of the groups re-run replaced, in place (a new group goes at the end). */
function mergeRows(old: readonly BenchRow[], fresh: readonly BenchRow[]): BenchRow[] {
  const groups = new Set(fresh.map((r) => r.group));
  const out: BenchRow[] = [];
  let placed = false;
  for (const r of old) {
    if (!groups.has(r.group)) out.push(r);
    else if (!placed) {
      out.push(...fresh);
      placed = true;
    }
  }
  if (!placed) out.push(...fresh);
  return out;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');
/** `yes`, or `**no**` with how far short of a `≥ N×` target the ratio is. */
function metText(r: BenchRow): string {
  if (r.met === undefined) return '';
  if (r.met) return 'yes';
  const at = /^≥\s*([\d.]+)×$/.exec(r.target.trim());
  if (at === null || r.ratio === undefined) return '**no**';
  const short = Number(at[1]) - r.ratio;
  return `**no** (short by ${short < 0.005 ? '< 0.01' : short.toFixed(2)})`;
}
function table(rs: BenchRow[]): string {
  const lines = [
    '| benchmark | measure | ctp-router | baseline (same run) | ratio | target | met | reproduce |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rs) {
    const name = r.note === undefined ? r.name : `${r.name} — ${r.note}`;
    lines.push(
      `| ${cell(r.group)} | ${cell(name)} | ${cell(r.value)} | ${cell(r.baseline)} | ${r.ratio === undefined ? '' : ratioText(r.ratio)} | ${cell(r.target)} | ${metText(r)} | \`${r.cmd}\` |`,
    );
  }
  return lines.join('\n');
}

const cpus = os.cpus();
const machine = `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()} (${os.arch()})`;
const rerun = `${only?.join(', ')} re-run at ${new Date(started).toISOString()} (\`npm run bench -- --only=${only?.join(',')} --merge\`), ${((Date.now() - started) / 1000).toFixed(0)} s`;
const runFlags = [
  ...(quick ? ['--quick'] : []),
  ...(only === undefined ? [] : [`--only=${only.join(',')}`]),
];
const header = render
  ? (last as LastRun).header
  : merge
    ? `${(last as LastRun).header}  \n${rerun}`
    : [
        `Machine: ${machine}`,
        `Node: ${process.version}`,
        `Run: \`npm run bench${runFlags.length === 0 ? '' : ` -- ${runFlags.join(' ')}`}\` at ${new Date(started).toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
      ].join('  \n');
// Only a whole table is kept for --render and --merge: a partial or quick run must not replace it.
if (!render && (merge || (!quick && only === undefined)))
  writeFileSync(LAST_RUN, JSON.stringify({ header, rows, full: true }));
const tableText = table(rows);
process.stdout.write(`\n${header}\n\n${tableText}\n`);

if (flags.has('write') || render || merge || (!quick && only === undefined)) {
  const notes = readFileSync(new URL('../../bench/NOTES.md', import.meta.url), 'utf8');
  const doc = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts); do not edit by hand — the notes
below the table come from bench/NOTES.md. Every figure is beside a baseline
measured in the same run on the same machine: these machines are noisy, and
only the ratios carry over from one machine to another. Rates are medians of
interleaved rounds (baseline and subject alternate).

${header}

${tableText}

${curvesSection(rows)}
${notes}`;
  writeFileSync(`${ROOT}BENCHMARKS.md`, doc);
  process.stderr.write('wrote BENCHMARKS.md\n');
}
