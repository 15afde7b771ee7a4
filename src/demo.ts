/**
 * `npm run demo`: three real OS processes on loopback, each a `ctp-router`
 * CLI with its own router and TCP transport — a station hosting `cam1` and
 * `mic1`, a viewer that monitors them, a console that takes control and sends
 * start/command/stop — and a readable transcript of what happened. Ports are
 * chosen free at run time; every process is stopped before the demo exits.
 * `--tls`: the same over mutual TLS, with a throwaway CA (demo-tls.ts).
 * `--nats URL [--nats-prefix P]`: the same three over a NATS server instead
 * (docs/nats.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeDemoCerts, type DemoCerts } from './demo-tls.js';

const CLI = fileURLToPath(new URL('./cli/index.js', import.meta.url));
const DEADLINE_MS = 20_000;

type Rec = Record<string, unknown> & { type: string };

const started = Date.now();
const TLS = process.argv.includes('--tls');
/** `--nats URL` (repeatable) and `--nats-prefix P`: the same three on a NATS bus. */
const NATS = natsArgs(process.argv.slice(2));
const onBus = NATS.length > 0;

function natsArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if ((a === '--nats' || a === '--nats-prefix') && next !== undefined) {
      out.push(a, next);
      i++;
    } else if (a.startsWith('--nats=') || a.startsWith('--nats-prefix=')) out.push(a);
    else if (a !== '--tls')
      throw new Error(
        `unknown argument \`${a}\` (the demo takes --tls, --nats URL and --nats-prefix P)`,
      );
  }
  return out;
}
let certs: DemoCerts | undefined;
/** The TLS flags of router `id` (none without `--tls`). */
const tlsFlags = (id: string): string[] => certs?.flags(id) ?? [];
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
function run(
  who: string,
  args: string[],
  onRecord: (r: Rec) => void,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  certs?.remove();
}

type Running = ReturnType<typeof run>;

/** 1. The station hosts cam1 and mic1; its app echoes every request and publishes it as an event. */
async function startStation(): Promise<{ station: Running; addr: string }> {
  let onListening: (port: number) => void = () => {};
  const station = run(
    'station',
    [
      'peer',
      '--id',
      'station',
      ...tlsFlags('station'),
      ...(onBus ? NATS : ['--listen', '127.0.0.1:0']),
      '--node',
      'cam1',
      '--node',
      'mic1',
      '--echo',
    ],
    (r) => {
      switch (r.type) {
        case 'bus':
          say('station', `on the bus ${String(r.prefix)} via ${String(r.server)}`);
          if (!onBus) break;
          onListening(0);
          break;
        case 'listening':
          say(
            'station',
            `listening on ${String(r.host)}:${String(r.port)}, hosting ${(r.nodes as string[]).join(', ')}`,
          );
          onListening(r.port as number);
          break;
        case 'received':
          say(
            'station',
            `got ${[r.t, r.node, r.app, json(r.content ?? r.optionals)]
              .filter((x) => x !== undefined && x !== '')
              .map(String)
              .join(' ')} from ${String(r.from)} → answers SUCCESS, publishes it as an event`,
          );
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
    },
  );
  const port = await waitFor<number>(
    (resolve) => (onListening = resolve),
    onBus ? 'the station to join the bus' : 'the station to listen',
  );
  return { station, addr: `127.0.0.1:${port}` };
}

/** How the viewer and the console reach the station: over TCP, or they meet it on the bus. */
function reach(addr: string): string[] {
  return onBus ? NATS : ['--connect', addr];
}

/** 2. The viewer monitors both nodes; resolves once it does. */
async function startViewer(addr: string): Promise<Running> {
  let watching = 0;
  let onWatching: () => void = () => {};
  const viewer = run(
    'viewer',
    ['watch', '--id', 'viewer', ...tlsFlags('viewer'), ...reach(addr), 'cam1', 'mic1'],
    (r) => {
      if (r.type === 'watching') {
        say('viewer', `monitoring ${String(r.node)}`);
        if (++watching === 2) onWatching();
      } else if (r.type === 'event')
        say('viewer', `event from ${String(r.node)}: ${json(r.content)}`);
      else if (r.type === 'result') say('viewer', `register ${json(r.args)} → ${String(r.code)}`);
    },
  );
  await waitFor<void>((resolve) => (onWatching = resolve), 'the viewer to monitor cam1 and mic1');
  return viewer;
}

/** 3. The console takes control of cam1, drives it, posts to mic1, lets go; resolves to its exit code. */
async function runConsole(addr: string): Promise<number | null> {
  const ops = [
    ['register', 'cam1', 'controller'],
    ['start', 'cam1', 'video', '{"fps":30}'],
    ['command', 'cam1', 'pan', '{"deg":30}'],
    ['command', 'cam1', 'zoom', '{"factor":2}'],
    ['post', 'mic1', '{"level_db":-12}'],
    ['stop', 'cam1', 'video'],
    ['unregister', 'cam1', 'controller'],
  ];
  const consoleProc = run(
    'console',
    [
      'call',
      '--id',
      'console',
      ...tlsFlags('console'),
      ...reach(addr),
      ...ops.flatMap((op, i) => (i === 0 ? op : ['--', ...op])),
    ],
    (r) => {
      if (r.type === 'result') {
        const content = r.content === undefined ? '' : ` ${json(r.content)}`;
        say(
          'console',
          `${String(r.op)} ${(r.args as string[]).join(' ')} → ${String(r.code)}${content}`,
        );
      } else if (r.type === 'event')
        say('console', `event from ${String(r.node)}: ${json(r.content)}`);
    },
  );
  const code = await consoleProc.exited;
  say('console', `exited with code ${String(code)}`);
  return code;
}

/** Stop a process with `signal` and say how it ended. */
async function stop(who: string, p: Running, signal: 'SIGINT' | 'SIGTERM'): Promise<number | null> {
  p.child.kill(signal);
  const code = await p.exited;
  say(who, `stopped (${signal}), exit code ${String(code)}`);
  return code;
}

async function main(): Promise<number> {
  process.stdout.write(
    `ctp-router demo: a station, a viewer and a console, each its own process, ${onBus ? `on a NATS bus (${NATS.join(' ')})` : `over ${TLS ? 'mutual TLS' : 'TCP'} on loopback`}\n\n`,
  );
  if (TLS) {
    certs = makeDemoCerts(['station', 'viewer', 'console']);
    say('', `made a throwaway CA and certificates (CN = router id) in ${certs.dir}`);
  }
  const { station, addr } = await startStation();
  const viewer = await startViewer(addr);
  const consoleCode = await runConsole(addr);
  // 4. Stop the others.
  const viewerCode = await stop('viewer', viewer, 'SIGINT');
  const stationCode = await stop('station', station, 'SIGTERM');
  if (certs !== undefined) {
    certs.remove();
    say('', `removed ${certs.dir}`);
  }
  const ok = consoleCode === 0 && viewerCode === 0 && stationCode === 0;
  process.stdout.write(
    `\n${ok ? 'Done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s; no process left running.\n`,
  );
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
