/**
 * Shared helpers for the router tests: small topologies on the in-memory
 * network, a host app that answers commands, and event recorders.
 */
import { CtpTestNetwork, type CtpTestPeer, type CtpTestRouterOptions } from '../src/testing/index.js';
import type { CtpRouter } from '../src/router.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../src/messages.js';

export type TestRouter = CtpRouter<CtpTestPeer>;

/** What one router's `onReceived` saw. */
export interface Inbox {
  controls: { name: CtpReceivedName; msg: CtpControlMessage }[];
  events: CtpEvent[];
}

/** Host-app behaviour for START/STOP/COMMAND. */
export type HostApp = 'echo' | 'silent' | 'throw' | ((name: CtpReceivedName, msg: CtpControlMessage, r: TestRouter) => void);

/** A network whose routers record what they receive; hosts echo by default. */
export class TestNet extends CtpTestNetwork {
  readonly inbox = new Map<string, Inbox>();
  readonly apps = new Map<string, HostApp>();

  add(id: string, options: CtpTestRouterOptions & { app?: HostApp } = {}): TestRouter {
    const inbox: Inbox = { controls: [], events: [] };
    this.inbox.set(id, inbox);
    const { app, ...rest } = options;
    this.apps.set(id, app ?? 'echo');
    return this.addRouter(id, {
      ...rest,
      onReceived: (name, msg, r) => {
        if (name === 'EVENT') {
          inbox.events.push(msg as CtpEvent);
          return;
        }
        inbox.controls.push({ name, msg: msg as CtpControlMessage });
        const behaviour = this.apps.get(id);
        if (behaviour === 'echo') r.respond(msg.node, { echo: name, app: (msg as CtpControlMessage).app });
        else if (behaviour === 'throw') throw new Error('host app failure');
        else if (typeof behaviour === 'function') behaviour(name, msg as CtpControlMessage, r);
      },
    });
  }

  events(id: string): CtpEvent[] {
    return (this.inbox.get(id) as Inbox).events;
  }
  controls(id: string): Inbox['controls'] {
    return (this.inbox.get(id) as Inbox).controls;
  }
}

/** Build routers `ids` and link the pairs in `edges`, then settle. */
export async function topology(
  ids: string[],
  edges: [string, string][],
  options: (id: string) => CtpTestRouterOptions & { app?: HostApp } = () => ({}),
): Promise<TestNet> {
  const net = new TestNet();
  for (const id of ids) net.add(id, options(id));
  for (const [a, b] of edges) net.link(a, b);
  await net.settle();
  return net;
}

export function fullMesh(ids: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) out.push([ids[i] as string, ids[j] as string]);
  return out;
}
export function line(ids: string[]): [string, string][] {
  return ids.slice(1).map((id, i) => [ids[i] as string, id]);
}
export function ring(ids: string[]): [string, string][] {
  return [...line(ids), [ids[ids.length - 1] as string, ids[0] as string]];
}

/** Record every emission of `event` on `router`. */
export function record<T = unknown>(router: TestRouter, event: string): T[] {
  const out: T[] = [];
  (router as unknown as { on(e: string, f: (x: T) => void): void }).on(event, (x: T) => out.push(x));
  return out;
}

/** Wait for real time (small values only). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
