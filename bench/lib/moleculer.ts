/**
 * Moleculer 0.14 (the last line that runs on Node 20) over its TCP
 * transporter, as the peer a user would otherwise pick: a `ptz.command`
 * action answering like the CTP host, called with `broker.call`. A bench-only
 * dependency in bench/moleculer/ (installed by `npm run bench` on first use),
 * never a dependency of the package.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { REPLY } from './fixtures.js';

const DIR = fileURLToPath(new URL('../../../bench/moleculer/', import.meta.url));

/** Install bench/moleculer's pinned dependency when missing; false when it cannot be had. */
export function ensureMoleculer(): boolean {
  if (existsSync(`${DIR}node_modules/moleculer/package.json`)) return true;
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', DIR], { stdio: 'ignore' });
    return existsSync(`${DIR}node_modules/moleculer/package.json`);
  } catch {
    return false;
  }
}

interface Broker {
  start(): Promise<void>;
  stop(): Promise<void>;
  createService(schema: unknown): unknown;
  waitForServices(name: string, timeout?: number): Promise<void>;
  call(action: string, params: unknown): Promise<unknown>;
}

function broker(nodeID: string, port: number, other: { port: number; nodeID: string }): Broker {
  const require = createRequire(`${DIR}package.json`);
  const { ServiceBroker } = require('moleculer') as { ServiceBroker: new (o: unknown) => Broker };
  return new ServiceBroker({
    nodeID,
    logger: false,
    transporter: {
      type: 'TCP',
      options: { udpDiscovery: false, port, urls: [`127.0.0.1:${other.port}/${other.nodeID}`] },
    },
  });
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** The server process's broker: answers `ptz.command` with the host's reply. */
export async function moleculerServer(port: number, clientPort: number): Promise<Broker> {
  const b = broker('server', port, { port: clientPort, nodeID: 'client' });
  b.createService({ name: 'ptz', actions: { command: () => REPLY } });
  await b.start();
  return b;
}

/** The client's broker, once it sees the server's service. */
export async function moleculerClient(port: number, serverPort: number): Promise<Broker> {
  const b = broker('client', port, { port: serverPort, nodeID: 'server' });
  await b.start();
  await b.waitForServices('ptz', 20_000);
  return b;
}
