/**
 * The two sides of a command round trip, in one process: a host router whose
 * local nodes answer every command, and a client router that controls them;
 * plus the raw baseline (JSON per hop over the same microtask delivery).
 */
import { CtpTestNetwork, type CtpTestPeer } from '../../src/testing/index.js';
import type { CtpRouter } from '../../src/router.js';
import { nodeNames, REPLY, SMALL_CONTENT } from './fixtures.js';

export { nodeNames, REPLY };

/**
 * Two routers on the in-memory network; the client controls `cam0..cam{n-1}`.
 * `Network`: this checkout's test network, or a built revision's (bench/against.ts).
 */
export async function routerPair(
  n: number,
  Network = CtpTestNetwork,
  /** `'handle'`: the host answers through `router.handle` (a synchronous handler) instead of `onReceived` + `respond`. */
  answer: 'respond' | 'handle' = 'respond',
): Promise<{ net: CtpTestNetwork; client: CtpRouter<CtpTestPeer>; host: CtpRouter<CtpTestPeer> }> {
  const net = new Network();
  const host = net.addRouter('host', {
    nodes: nodeNames(n),
    onReceived: (name, msg, r) => {
      if (name !== 'EVENT') r.respond(msg.node, REPLY);
    },
  });
  if (answer === 'handle') for (const node of nodeNames(n)) host.handle(node, () => REPLY);
  const client = net.addRouter('client');
  net.link('host', 'client');
  await net.settle();
  await Promise.all(
    nodeNames(n).map(async (node) => {
      const r = await client.register(node, 'controller');
      if (r.code !== 'SUCCESS') throw new Error(`register ${node}: ${JSON.stringify(r)}`);
    }),
  );
  return { net, client, host };
}

/**
 * Run `total` round trips with `inFlight` outstanding (one per node): each
 * of `inFlight` workers sends commands for its own node one after another.
 */
export async function runInFlight(
  nodes: readonly string[],
  total: number,
  command: (node: string) => Promise<unknown>,
): Promise<void> {
  let left = total;
  const worker = async (node: string): Promise<void> => {
    while (left > 0) {
      left--;
      await command(node);
    }
  };
  const k = Math.min(nodes.length, total);
  const ws: Promise<void>[] = [];
  for (let i = 0; i < k; i++) ws.push(worker(nodes[i] as string));
  await Promise.all(ws);
}

interface RawRequest {
  v: 1;
  t: 'COMMAND';
  id: number;
  to: string;
  node: string;
  controller: string;
  app: string;
  content: unknown;
}
interface RawResponse {
  v: 1;
  t: 'RESPONSE';
  node: string;
  controller: string;
  code: string;
  re: number;
  content?: unknown;
}

/**
 * The baseline: the same request and response objects, `JSON.stringify` and
 * `JSON.parse` at each hop, delivered as microtasks as the in-memory network
 * does, correlated by id in a Map. No validation, no routing, no timeouts.
 */
export class RawPair {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: unknown) => void>();
  inFlight = 0;

  command(node: string, content: unknown = SMALL_CONTENT): Promise<unknown> {
    const id = this.nextId++;
    const frame = JSON.stringify({
      v: 1,
      t: 'COMMAND',
      id,
      to: 'host',
      node,
      controller: `controller[${node}]@client`,
      app: 'ptz',
      content,
    });
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.deliver(() => this.atHost(frame));
    });
  }

  private atHost(frame: string): void {
    const req = JSON.parse(frame) as RawRequest;
    const res: RawResponse = {
      v: 1,
      t: 'RESPONSE',
      node: req.node,
      controller: req.controller,
      code: 'SUCCESS',
      re: req.id,
      content: REPLY,
    };
    const out = JSON.stringify(res);
    this.deliver(() => this.atClient(out));
  }

  private atClient(frame: string): void {
    const res = JSON.parse(frame) as RawResponse;
    const resolve = this.waiting.get(res.re);
    if (resolve === undefined) return;
    this.waiting.delete(res.re);
    resolve({ code: res.code, content: res.content });
  }

  private deliver(fn: () => void): void {
    this.inFlight++;
    queueMicrotask(() => {
      this.inFlight--;
      fn();
    });
  }
}
