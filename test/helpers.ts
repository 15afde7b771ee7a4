/**
 * Shared helpers for the router tests: small topologies on the in-memory
 * network, a host app that answers commands, and event recorders.
 */
import {
  CtpTestNetwork,
  type CtpTestPeer,
  type CtpTestRouterOptions,
} from '../src/testing/index.js';
import type { CtpRouter } from '../src/router.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../src/base/messages.js';

export type TestRouter = CtpRouter<CtpTestPeer>;

/** What one router's `onReceived` saw. */
export interface Inbox {
  controls: { name: CtpReceivedName; msg: CtpControlMessage }[];
  events: CtpEvent[];
}

/** Host-app behaviour for START/STOP/COMMAND. */
export type HostApp =
  | 'echo'
  | 'silent'
  | 'throw'
  | ((name: CtpReceivedName, msg: CtpControlMessage, r: TestRouter) => void);

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
        if (behaviour === 'echo')
          r.respond(msg.node, { echo: name, app: (msg as CtpControlMessage).app });
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
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) out.push([ids[i] as string, ids[j] as string]);
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
  (router as unknown as { on(e: string, f: (x: T) => void): void }).on(event, (x: T) =>
    out.push(x),
  );
  return out;
}

// Captured at load time: `until` keeps polling in real time while a test fakes timers.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetImmediate = globalThis.setImmediate;

/**
 * Wait until `pred()` holds, and no longer: it is checked at once, after
 * every turn of the event loop for a while, then every few milliseconds.
 * Rejects (naming `what`) when it still does not hold after `timeoutMs` of
 * real time. For waits on a state, or on an event with `record`
 * (`await until(() => released.length > 0)`): never a guessed sleep.
 */
export async function until(
  pred: () => boolean,
  what = 'the condition',
  timeoutMs = 5000,
): Promise<void> {
  if (pred()) return;
  let expired = false;
  const timer = realSetTimeout(() => (expired = true), timeoutMs);
  try {
    for (let turn = 0; ; turn++) {
      // Frames and promise continuations need a few turns; timers need real time.
      await new Promise<void>((r) => (turn < 50 ? realSetImmediate(r) : realSetTimeout(r, 2)));
      if (pred()) return;
      if (expired) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
  } finally {
    realClearTimeout(timer);
  }
}
