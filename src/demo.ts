/**
 * `npm run demo`: three real OS processes on loopback, each a `ctp-router`
 * CLI with its own router and TCP transport — a station hosting `cam1` and
 * `mic1`, a viewer that monitors them, a console that takes control and sends
 * start/command/stop — and a readable transcript of what happened. Ports are
 * chosen free at run time; every process is stopped before the demo exits.
 * `npm run demo -- --nats URL [--nats-prefix P]` runs the same three over a
 * NATS server instead (README "Scaling out on NATS").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./cli/index.js', import.meta.url));
const DEADLINE_MS = 20_000;

type Rec = Record<string, unknown> & { type: string };

const started = Date.now();
const children = new Set<ChildProcess>();
const width = 'console'.length;

function say(who: string, text: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(2).padStart(5);
  process.stdout.write(`${t}s  ${who.padEnd(width)} │ ${text}\n`);
}

function json(v: unknown): string {
  return v === undefined ? '' : JSON.stringify(v);
}

/** Start `ctp-router <args> --json`; `onRecord` gets every JSON line it prints. */
function run(who: string, args: string[], onRecord: (r: Rec) => void): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        onRecord(JSON.parse(line) as Rec);
      } catch {
        say(who, line);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    for (const line of s.split('\n')) if (line.trim() !== '') say(who, `(stderr) ${line}`);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  say(who, `started as process ${child.pid ?? '?'}: ctp-router ${args.join(' ')}`);
  return { child, exited };
}

function waitFor<T>(register: (resolve: (v: T) => void) => void, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** `--nats URL` (repeatable) and `--nats-prefix P` from the demo's own command line. */
function natsArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if ((a === '--nats' || a === '--nats-prefix') && next !== undefined) {
      out.push(a, next);
      i++;
    } else if (a.startsWith('--nats=') || a.startsWith('--nats-prefix=')) out.push(a);
    else throw new Error(`unknown argument \`${a}\` (the demo takes --nats URL and --nats-prefix P)`);
  }
  return out;
}

async function main(): Promise<number> {
  const nats = natsArgs(process.argv.slice(2));
  const onBus = nats.length > 0;
  process.stdout.write(
    onBus
      ? `ctp-router demo: a station, a viewer and a console, each its own process, on a NATS bus (${nats.join(' ')})\n\n`
      : 'ctp-router demo: a station, a viewer and a console, each its own process, over TCP on loopback\n\n',
  );

  // 1. The station hosts cam1 and mic1; its app echoes every request and publishes it as an event.
  let onListening: (port: number) => void = () => {};
  const stationNet = onBus ? nats : ['--listen', '127.0.0.1:0'];
  const station = run('station', ['peer', '--id', 'station', ...stationNet, '--node', 'cam1', '--node', 'mic1', '--echo'], (r) => {
    switch (r.type) {
      case 'bus':
        say('station', `on the bus ${String(r.prefix)} via ${String(r.server)}`);
        onListening(0);
        break;
      case 'listening':
        say('station', `listening on ${String(r.host)}:${String(r.port)}, hosting ${(r.nodes as string[]).join(', ')}`);
        onListening(r.port as number);
        break;
      case 'received':
        say('station', `got ${[r.t, r.node, r.app, json(r.content ?? r.optionals)].filter((x) => x !== undefined && x !== '').map(String).join(' ')} from ${String(r.from)} → answers SUCCESS, publishes it as an event`);
        break;
      case 'nodes':
        for (const n of r.added as string[]) say('station', `table: + ${n}`);
        for (const n of r.removed as string[]) say('station', `table: - ${n}`);
        break;
      case 'released':
        say('station', `released ${String(r.kind)} of ${String(r.node)}`);
        break;
      default:
        break;
    }
  });
  const port = await waitFor<number>((resolve) => (onListening = resolve), onBus ? 'the station to join the bus' : 'the station to listen');
  // The viewer and the console reach the station over TCP, or meet it on the bus.
  const net = onBus ? nats : ['--connect', `127.0.0.1:${port}`];

  // 2. The viewer monitors both nodes.
  let watching = 0;
  let onWatching: () => void = () => {};
  const viewer = run('viewer', ['watch', '--id', 'viewer', ...net, 'cam1', 'mic1'], (r) => {
    if (r.type === 'watching') {
      say('viewer', `monitoring ${String(r.node)}`);
      if (++watching === 2) onWatching();
    } else if (r.type === 'event') say('viewer', `event from ${String(r.node)}: ${json(r.content)}`);
    else if (r.type === 'result') say('viewer', `register ${json(r.args)} → ${String(r.code)}`);
  });
  await waitFor<void>((resolve) => (onWatching = resolve), 'the viewer to monitor cam1 and mic1');

  // 3. The console takes control of cam1, drives it, posts to mic1, lets go.
  const ops = [
    ['register', 'cam1', 'controller'],
    ['start', 'cam1', 'video', '{"fps":30}'],
    ['command', 'cam1', 'pan', '{"deg":30}'],
    ['command', 'cam1', 'zoom', '{"factor":2}'],
    ['post', 'mic1', '{"level_db":-12}'],
    ['stop', 'cam1', 'video'],
    ['unregister', 'cam1', 'controller'],
  ];
  const consoleProc = run('console', ['call', '--id', 'console', ...net, ...ops.flatMap((op, i) => (i === 0 ? op : ['--', ...op]))], (r) => {
    if (r.type === 'result') {
      const content = r.content === undefined ? '' : ` ${json(r.content)}`;
      say('console', `${String(r.op)} ${(r.args as string[]).join(' ')} → ${String(r.code)}${content}`);
    } else if (r.type === 'event') say('console', `event from ${String(r.node)}: ${json(r.content)}`);
  });
  const consoleCode = await consoleProc.exited;
  say('console', `exited with code ${String(consoleCode)}`);

  // 4. Stop the others.
  viewer.child.kill('SIGINT');
  const viewerCode = await viewer.exited;
  say('viewer', `stopped (SIGINT), exit code ${String(viewerCode)}`);
  station.child.kill('SIGTERM');
  const stationCode = await station.exited;
  say('station', `stopped (SIGTERM), exit code ${String(stationCode)}`);

  const ok = consoleCode === 0 && viewerCode === 0 && stationCode === 0;
  process.stdout.write(`\n${ok ? 'Done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s; no process left running.\n`);
  return ok ? 0 : 1;
}

const deadline = setTimeout(() => {
  process.stderr.write('demo: taking too long, stopping every process\n');
  killAll();
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });

main().then(
  (code) => {
    clearTimeout(deadline);
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    killAll();
    process.exitCode = 1;
  },
);
