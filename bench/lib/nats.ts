/**
 * The NATS benchmarks' shared parts: a nats-server on a free loopback port,
 * and a router on the bus whose host app echoes every command.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { CtpRouter } from '../../src/router.js';
import { NatsTransport, type NatsPeer, type NatsTransportOptions } from '../../src/nats/index.js';

/** The nats-server binary, or `undefined`. */
export function natsBinary(): string | undefined {
  const env = process.env.NATS_SERVER;
  if (env !== undefined && existsSync(env)) return env;
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** Start nats-server on a free loopback port. */
export async function startNats(bin: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; !(await accepts(port)); i++) {
    if (i > 400) throw new Error('nats-server did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

/** A router on the bus hosting `nodes`; its host app answers every command with its content. */
export async function busHost(
  url: string,
  id: string,
  nodes: readonly string[],
  opts: Partial<NatsTransportOptions> = {},
): Promise<{ router: CtpRouter<NatsPeer>; bus: NatsTransport; close(): Promise<void> }> {
  const bus = new NatsTransport({ servers: url, ...opts });
  const router: CtpRouter<NatsPeer> = new CtpRouter<NatsPeer>(
    (name, msg) => {
      if (msg.t === 'COMMAND') router.respond(msg.node, msg.content, 'SUCCESS', msg.id);
      else if (name !== 'EVENT') router.respond(msg.node, null, 'SUCCESS', msg.id);
    },
    bus.send,
    () => {},
    { id, nodes: [...nodes] },
  );
  await bus.attach(router).ready();
  return {
    router,
    bus,
    async close() {
      await bus.close();
      await router.close();
    },
  };
}
