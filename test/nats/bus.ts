/**
 * Test helper: routers in this process on a NATS bus (and TCP links beside it).
 */
import { CtpRouter } from '../../src/router.js';
import { joinSends } from '../../src/link-state/medium.js';
import type { CtpIdentity } from '../../src/link-state/certificates.js';
import type { CtpControlMessage, CtpEvent } from '../../src/base/messages.js';
import { NatsTransport, type NatsPeer, type NatsTransportOptions } from '../../src/nats/index.js';
import { TcpTransport, type TcpPeer } from '../../src/tcp/index.js';

export type AnyPeer = NatsPeer | TcpPeer;

/** One router with its bus (and optional TCP) transport and what its host app saw. */
export interface BusRouter {
  router: CtpRouter<AnyPeer>;
  bus: NatsTransport;
  tcp: TcpTransport | undefined;
  controls: CtpControlMessage[];
  events: CtpEvent[];
  errors: Error[];
  close(): Promise<void>;
}

const open = new Set<BusRouter>();

export interface BusRouterOptions {
  nodes?: string[];
  bus?: Partial<NatsTransportOptions>;
  /** Also on TCP: listen, and/or dial these addresses. */
  tcp?: { listen?: boolean; connect?: string[] };
  leaseGraceMs?: number;
  /** The router's certified identity (signed adverts, end-to-end origin authentication). */
  identity?: CtpIdentity;
}

/** A router on the bus at `servers` whose host app echoes every request; resolves once connected. */
export async function busRouter(
  servers: string | string[],
  id: string,
  o: BusRouterOptions = {},
): Promise<BusRouter> {
  const bus = new NatsTransport({ servers, ...o.bus });
  const tcp =
    o.tcp === undefined
      ? undefined
      : new TcpTransport({
          ...(o.tcp.listen === true ? { listen: { port: 0 } } : {}),
          connect: o.tcp.connect ?? [],
        });
  const controls: CtpControlMessage[] = [];
  const events: CtpEvent[] = [];
  const errors: Error[] = [];
  const send =
    tcp === undefined
      ? bus.send
      : joinSends<AnyPeer>(
          bus.send as (p: AnyPeer | null, f: string) => void,
          tcp.send as (p: AnyPeer | null, f: string) => void,
        );
  const router: CtpRouter<AnyPeer> = new CtpRouter<AnyPeer>(
    (name, msg) => {
      if (name === 'EVENT') {
        events.push(msg as CtpEvent);
        return;
      }
      const m = msg as CtpControlMessage;
      controls.push(m);
      router.respond(m.node, { echo: name, app: m.app }, undefined, m.id);
      router.publish(m.node, { t: name, app: m.app });
    },
    send as (p: AnyPeer | null, f: string) => void,
    () => {},
    // A request lost on the bus (a failover, a restart) ends TIMEOUT after 5 s, and the test fails on the
    // step that lost it; with the default (2 minutes) the test would only time out.
    {
      id,
      nodes: o.nodes ?? [],
      responseTimeoutMs: 5000,
      ...(o.leaseGraceMs === undefined ? {} : { leaseGraceMs: o.leaseGraceMs }),
      ...(o.identity === undefined ? {} : { identity: o.identity }),
    },
  );
  router.on('error', (e) => errors.push(e));
  bus.on('error', (e) => errors.push(e));
  bus.attach(router as CtpRouter<NatsPeer>);
  if (tcp !== undefined) {
    tcp.attach(router as CtpRouter<TcpPeer>);
    await tcp.listening();
  }
  await bus.ready();
  const r: BusRouter = {
    router,
    bus,
    tcp,
    controls,
    events,
    errors,
    close: async () => {
      open.delete(r);
      await bus.close();
      await tcp?.close();
      await router.close();
    },
  };
  open.add(r);
  return r;
}

/** Close every router still open. */
export async function closeAllRouters(): Promise<void> {
  await Promise.all([...open].map((r) => r.close()));
}

/** Poll `pred` every 10 ms until it holds; rejects after `ms`. */
export async function until(pred: () => boolean, ms = 5000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
