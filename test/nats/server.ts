/**
 * Test helper: real `nats-server` processes on free loopback ports (one
 * server, or a cluster with routes). Tests skip, with one printed line, when
 * the binary is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { freePort } from '../tcp/procs.js';

/** The nats-server binary: `$NATS_SERVER`, on the PATH, or /usr/sbin/nats-server; `undefined` when missing. */
export function natsServerBinary(): string | undefined {
  const env = process.env.NATS_SERVER;
  if (env !== undefined && existsSync(env)) return env;
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  if (found.length > 0) return found;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined;
}

export const NATS_BIN = natsServerBinary();

/** Print the one skip line (at collection time) when the binary is missing. */
export function reportSkip(tests: string): void {
  if (NATS_BIN === undefined)
    console.warn(
      `[skipped] ${tests}: nats-server not found (not on the PATH, not /usr/sbin/nats-server, no $NATS_SERVER); .ci/run installs it`,
    );
}

const all = new Set<NatsServer>();

/** One nats-server process. */
export class NatsServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  log = '';

  private constructor(
    readonly port: number,
    readonly clusterPort: number | undefined,
    private readonly routes: number[],
    /** A configuration file (`-c`): users and permissions. */
    private readonly config?: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Start one server on a free port. */
  static async start(): Promise<NatsServer> {
    const s = new NatsServer(await freePort(), undefined, []);
    await s.run();
    return s;
  }

  /** Start one server on a free port with `config` (nats-server configuration text) as its file. */
  static async withConfig(config: string): Promise<NatsServer> {
    const file = join(mkdtempSync(join(tmpdir(), 'ctp-nats-')), 'server.conf');
    writeFileSync(file, config);
    const s = new NatsServer(await freePort(), undefined, [], file);
    await s.run();
    return s;
  }

  /** Start `n` servers routed to each other as one cluster. */
  static async cluster(n: number): Promise<NatsServer[]> {
    const ports: number[] = [];
    const cports: number[] = [];
    for (let i = 0; i < n; i++) {
      ports.push(await freePort());
      cports.push(await freePort());
    }
    const servers = ports.map(
      (p, i) =>
        new NatsServer(
          p,
          cports[i],
          cports.filter((_, j) => j !== i),
        ),
    );
    await Promise.all(servers.map((s) => s.run()));
    return servers;
  }

  /** (Re)start the process on the same ports; resolves once it accepts connections. */
  async run(): Promise<void> {
    const args = [
      ...(this.config === undefined ? [] : ['-c', this.config]),
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
    ];
    if (this.clusterPort !== undefined) {
      args.push('--cluster_name', 'ctp-test', '--cluster', `nats://127.0.0.1:${this.clusterPort}`);
      if (this.routes.length > 0)
        args.push('--routes', this.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    const child = spawn(NATS_BIN as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    all.add(this);
    child.stderr
      ?.setEncoding('utf8')
      .on('data', (s: string) => (this.log = (this.log + s).slice(-20_000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`nats-server on ${this.port} did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stop the process (SIGKILL by default) and wait for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (c !== undefined && c.exitCode === null && c.signalCode === null) c.kill(signal);
    await this.exited;
    all.delete(this);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Stop every server still running. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...all].map((s) => s.stop()));
}
