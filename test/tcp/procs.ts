/**
 * Helpers for tests that run the CLI as real processes: build the dist when
 * it is stale, spawn, read JSON lines, wait for a record, kill everything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli/index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  try {
    const built = Math.min(
      statSync(CLI).mtimeMs,
      statSync(join(ROOT, 'dist/tcp/index.js')).mtimeMs,
      statSync(join(ROOT, 'dist/router.js')).mtimeMs,
    );
    return newestMtime(join(ROOT, 'src')) > built;
  } catch {
    return true;
  }
}

/** Build `dist` when it is missing or older than `src` (one build at a time across test workers). */
export async function ensureBuilt(): Promise<void> {
  if (!stale()) return;
  const lock = join(
    tmpdir(),
    `ctp-router-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}`,
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another worker builds: wait for it (a lock older than two minutes is stale).
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        /* gone already */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the build lock');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (stale())
      spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        { cwd: ROOT, stdio: 'ignore' },
      );
  } finally {
    rmdirSync(lock);
  }
}

/** A JSON-lines record printed by the CLI with `--json`. */
export type Rec = Record<string, unknown> & { type: string };

const running = new Set<Proc>();

/** A spawned CLI process and what it printed. */
export class Proc {
  readonly child: ChildProcess;
  readonly records: Rec[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { pred: (r: Rec) => boolean; resolve: (r: Rec) => void }[] = [];
  private buf = '';

  /** `script`: what node runs (default the CLI). */
  constructor(args: string[], script = CLI) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.buf += s;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let rec: Rec | undefined;
        try {
          rec = JSON.parse(line) as Rec;
        } catch {
          continue;
        }
        this.records.push(rec);
        for (const w of [...this.waiters]) {
          if (w.pred(rec)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(rec);
          }
        }
      }
    });
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
    });
  }

  /** The first record (already printed or to come) matching `pred`. */
  waitFor(pred: (r: Rec) => boolean, timeoutMs = 8000, what = 'a record'): Promise<Rec> {
    const seen = this.records.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `timed out waiting for ${what}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const done = (r: Rec): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /** Send a signal and wait for the exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Spawn `ctp-router <args>`. */
export function spawnCli(args: string[]): Proc {
  return new Proc(args);
}

/** Run `ctp-router <args>` to its end. */
export async function runCli(
  args: string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string; records: Rec[] }> {
  const p = new Proc(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  // Let the pipes drain.
  await new Promise((r) => setImmediate(r));
  return { code, stdout: p.stdout, stderr: p.stderr, records: p.records };
}

/** Start a station peer on a free loopback port; resolves once it listens. */
export async function startPeer(
  args: string[],
): Promise<{ proc: Proc; port: number; addr: string }> {
  const proc = spawnCli(['peer', '--json', ...args]);
  const rec = await proc.waitFor((r) => r.type === 'listening', 10_000, 'the peer to listen');
  const port = rec.port as number;
  return { proc, port, addr: `127.0.0.1:${port}` };
}

/** Kill every process still running (SIGKILL) and wait for the exits. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')));
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The TLS fixtures (test/fixtures/tls): one CA, a certificate and key per router name. */
export const TLS_FIX = join(ROOT, 'test/fixtures/tls');

/** The CLI's TLS options for the fixture router `name`. */
export function tlsArgs(name: string): string[] {
  return [
    '--tls-cert',
    join(TLS_FIX, `${name}.crt`),
    '--tls-key',
    join(TLS_FIX, `${name}.key`),
    '--tls-ca',
    join(TLS_FIX, 'ca.crt'),
  ];
}
