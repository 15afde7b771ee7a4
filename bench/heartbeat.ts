/**
 * Heartbeat overhead (issue 10): a station process with 1,000 idle links from
 * a second process, heartbeats at the default 5000 ms and at 500 ms, beside
 * the same 1,000 links with heartbeats off, in the same run (each setting in
 * its own pair of processes, measured in interleaved windows). Reports the CPU
 * of both processes (% of one core) and the heartbeat frames per second.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { emitRows, median, parseArgs, reproduce, sleep, type BenchRow } from './lib/harness.js';

const { quick, flags } = parseArgs();
const LINKS = Number(flags.get('links') ?? 1000);
const rounds = quick ? 1 : 3;
const windowMs = quick ? 2000 : 10_000;
const SCRIPT = fileURLToPath(new URL('./heartbeat-peer.js', import.meta.url));

interface Stats {
  cpu: number;
  heartbeats: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  connections: number;
}

/** One child process: its lines, and `stats()` on request. */
function child(args: string[]): {
  first(prefix: string): Promise<string>;
  stats(): Promise<Stats>;
  stop(): Promise<void>;
} {
  const proc = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: proc.stdout });
  const waiters: { prefix: string; resolve: (s: string) => void }[] = [];
  const seen: string[] = [];
  rl.on('line', (l) => {
    const i = waiters.findIndex((w) => l.startsWith(w.prefix));
    if (i < 0) return void seen.push(l);
    const [w] = waiters.splice(i, 1);
    w?.resolve(l.slice(w.prefix.length).trim());
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const first = (prefix: string): Promise<string> => {
    const i = seen.findIndex((l) => l.startsWith(prefix));
    if (i >= 0)
      return Promise.resolve((seen.splice(i, 1)[0] as string).slice(prefix.length).trim());
    return new Promise((resolve) => waiters.push({ prefix, resolve }));
  };
  return {
    first,
    async stats() {
      const p = first('STATS');
      proc.stdin.write('stats\n');
      return JSON.parse(await p) as Stats;
    },
    async stop() {
      proc.stdin.end();
      const t = setTimeout(() => proc.kill(), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

interface Arm {
  heartbeatMs: number;
  station: ReturnType<typeof child>;
  links: ReturnType<typeof child>;
  windows: { stationCpu: number; linksCpu: number; beatsPerSec: number; framesPerSec: number }[];
}

async function start(heartbeatMs: number): Promise<Arm> {
  const station = child(['--mode=station', `--heartbeat-ms=${heartbeatMs}`]);
  const port = Number(await station.first('READY'));
  const links = child([
    '--mode=links',
    `--port=${port}`,
    `--links=${LINKS}`,
    `--heartbeat-ms=${heartbeatMs}`,
  ]);
  // Fail instead of hanging when the links never all come up (refused, closed, out of descriptors).
  let timer: NodeJS.Timeout | undefined;
  const up = await Promise.race([
    links.first('UP').then(() => true),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), 120_000))),
  ]);
  clearTimeout(timer);
  if (!up)
    throw new Error(
      `heartbeatMs ${heartbeatMs}: ${LINKS} links not up within 120 s (station stats: ${JSON.stringify(await station.stats())})`,
    );
  return { heartbeatMs, station, links, windows: [] };
}

async function measure(arm: Arm): Promise<void> {
  const [s0, l0] = await Promise.all([arm.station.stats(), arm.links.stats()]);
  const t0 = performance.now();
  await sleep(windowMs);
  const [s1, l1] = await Promise.all([arm.station.stats(), arm.links.stats()]);
  const ms = performance.now() - t0;
  if (s1.connections !== LINKS || l1.connections !== LINKS)
    throw new Error(
      `heartbeatMs ${arm.heartbeatMs}: ${s1.connections}/${l1.connections} of ${LINKS} links up`,
    );
  arm.windows.push({
    stationCpu: ((s1.cpu - s0.cpu) / 1000 / ms) * 100,
    linksCpu: ((l1.cpu - l0.cpu) / 1000 / ms) * 100,
    beatsPerSec: ((s1.heartbeats - s0.heartbeats + l1.heartbeats - l0.heartbeats) / ms) * 1000,
    framesPerSec: ((s1.framesOut - s0.framesOut + l1.framesOut - l0.framesOut) / ms) * 1000,
  });
}

const arms: Arm[] = [];
for (const hb of [0, 5000, 500]) arms.push(await start(hb));
await sleep(quick ? 500 : 2000); // the table exchange of 1,000 new links settles
for (let r = 0; r < rounds; r++)
  for (const arm of r % 2 === 0 ? arms : [...arms].reverse()) await measure(arm);
await Promise.all(arms.flatMap((a) => [a.station.stop(), a.links.stop()]));

const sum = (arm: Arm): { station: number; links: number; beats: number; frames: number } => ({
  station: median(arm.windows.map((w) => w.stationCpu)),
  links: median(arm.windows.map((w) => w.linksCpu)),
  beats: median(arm.windows.map((w) => w.beatsPerSec)),
  frames: median(arm.windows.map((w) => w.framesPerSec)),
});
const off = sum(arms[0] as Arm);
const text = (x: ReturnType<typeof sum>): string =>
  `CPU station ${x.station.toFixed(2)} % + links ${x.links.toFixed(2)} %, ${x.beats.toFixed(0)} heartbeats/s`;
const rows: BenchRow[] = arms.slice(1).map((arm) => {
  const on = sum(arm);
  process.stderr.write(
    `heartbeat ${arm.heartbeatMs} ms, ${LINKS} idle links: ${text(on)} vs off: ${text(off)}\n`,
  );
  return {
    group: `heartbeats, ${LINKS.toLocaleString('en')} idle links over TCP`,
    name: `heartbeatMs ${arm.heartbeatMs}${arm.heartbeatMs === 5000 ? ' (default)' : ''}`,
    value: text(on),
    baseline: `heartbeats off: ${text(off)}`,
    target: '',
    cmd: reproduce('heartbeat', quick),
    note: `CPU % of one core over ${windowMs / 1000} s windows, median of ${rounds}; other frames/s ${Math.max(0, on.frames).toFixed(1)} (off ${off.frames.toFixed(1)})`,
  };
});
emitRows(rows);
