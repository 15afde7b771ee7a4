/**
 * An in-memory network of routers for tests (ours and the host's): FIFO per
 * link, asynchronous delivery, links that go up and down, routers that crash
 * and restart. No sockets, no timers of its own.
 */
import { CtpRouter, type CtpReceivedCallback, type CtpNodesUpdatedCallback } from '../router.js';
import type { CtpRouterOptions } from '../options.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../messages.js';

// Captured at load time, so that tests using fake timers can still settle.
const realSetImmediate = globalThis.setImmediate;

/** The peer handle a router of the test network sees: the router at the other end of one link. */
export interface CtpTestPeer {
  /** The router that holds this handle. */
  readonly local: string;
  /** The router at the other end. */
  readonly remote: string;
  /** The link's number (a new one every time two routers are linked). */
  readonly link: number;
}

/** Options of `CtpTestNetwork.addRouter`. */
export interface CtpTestRouterOptions extends Omit<CtpRouterOptions<CtpTestPeer>, 'id'> {
  /** START/STOP/COMMAND at the host, EVENT at a registrant; gets the router too. */
  onReceived?: (name: CtpReceivedName, msg: CtpControlMessage | CtpEvent, router: CtpRouter<CtpTestPeer>) => void;
  /** The reachable nodes changed; gets the router too. */
  onNodesUpdated?: (nodes: string[], router: CtpRouter<CtpTestPeer>) => void;
}

interface Link {
  id: number;
  a: string;
  b: string;
  /** The handle router `a` uses for `b`, and the reverse. */
  atA: CtpTestPeer;
  atB: CtpTestPeer;
  up: boolean;
}

/** A frame seen on the wire, for `onFrame` taps. */
export interface CtpTestFrame {
  from: string;
  to: string;
  frame: string;
}

/**
 * An in-memory network. Frames are delivered asynchronously (as microtasks),
 * in order per link direction; `settle()` waits until nothing is in flight.
 */
export class CtpTestNetwork {
  /** Live routers by id. */
  readonly routers = new Map<string, CtpRouter<CtpTestPeer>>();
  /** Frames delivered so far. */
  delivered = 0;
  /** Frames sent so far (a broadcast counts once per link). */
  sent = 0;
  /** Called for every frame put on a link. */
  onFrame: ((f: CtpTestFrame) => void) | undefined;
  private readonly links = new Map<number, Link>();
  private readonly options = new Map<string, CtpTestRouterOptions>();
  private readonly remembered = new Map<string, string[]>();
  private nextLink = 1;
  private inFlight = 0;

  /** Add a router with id `id`. */
  addRouter(id: string, options: CtpTestRouterOptions = {}): CtpRouter<CtpTestPeer> {
    if (this.routers.has(id)) throw new Error(`router ${id} exists already`);
    this.options.set(id, options);
    const { onReceived, onNodesUpdated, ...routerOptions } = options;
    let router: CtpRouter<CtpTestPeer> | undefined;
    const received: CtpReceivedCallback = (name, msg) => onReceived?.(name, msg, router as CtpRouter<CtpTestPeer>);
    const updated: CtpNodesUpdatedCallback = (nodes) => onNodesUpdated?.(nodes, router as CtpRouter<CtpTestPeer>);
    // Instant flooding unless a test asks otherwise: `settle()` waits for frames, not for paced adverts (issue 10).
    router = new CtpRouter<CtpTestPeer>(received, (peer, frame) => this.send(id, peer, frame), updated, { minAdvertIntervalMs: 0, ...routerOptions, id });
    this.routers.set(id, router);
    return router;
  }

  /** The live router `id` (throws when there is none). */
  router(id: string): CtpRouter<CtpTestPeer> {
    const r = this.routers.get(id);
    if (r === undefined) throw new Error(`no router ${id}`);
    return r;
  }

  /** Link two routers; both see `peerUp`. */
  link(a: string, b: string): void {
    const ra = this.router(a);
    const rb = this.router(b);
    if (this.findLink(a, b) !== undefined) throw new Error(`${a} and ${b} are linked already`);
    const id = this.nextLink++;
    const link: Link = { id, a, b, atA: { local: a, remote: b, link: id }, atB: { local: b, remote: a, link: id }, up: true };
    this.links.set(id, link);
    ra.peerUp(link.atA);
    rb.peerUp(link.atB);
  }

  /** Cut the link between two routers: frames in flight on it are lost; both see `peerDown`. */
  unlink(a: string, b: string): void {
    const link = this.findLink(a, b);
    if (link === undefined) return;
    link.up = false;
    this.links.delete(link.id);
    this.routers.get(link.a)?.peerDown(link.atA);
    this.routers.get(link.b)?.peerDown(link.atB);
  }

  /** Is there a live link between `a` and `b`? */
  linked(a: string, b: string): boolean {
    return this.findLink(a, b) !== undefined;
  }

  /** The ids `id` is linked to. */
  neighbors(id: string): string[] {
    const out: string[] = [];
    for (const l of this.links.values()) {
      if (l.a === id) out.push(l.b);
      else if (l.b === id) out.push(l.a);
    }
    return out;
  }

  /** Crash a router: its state is lost (it is closed) and its links are cut. */
  crash(id: string): void {
    const r = this.router(id);
    this.remembered.set(id, this.neighbors(id));
    for (const other of this.neighbors(id)) this.unlink(id, other);
    void r.close();
    this.routers.delete(id);
  }

  /** Start a crashed router again with the same id and options (or new ones), linked to its former neighbors. */
  restart(id: string, options?: CtpTestRouterOptions): CtpRouter<CtpTestPeer> {
    if (this.routers.has(id)) throw new Error(`router ${id} is running`);
    this.options.delete(id);
    const r = this.addRouter(id, options ?? this.optionsOf(id));
    for (const other of this.remembered.get(id) ?? []) if (this.routers.has(other)) this.link(id, other);
    return r;
  }

  private optionsOf(id: string): CtpTestRouterOptions {
    return this.options.get(id) ?? {};
  }

  /** Put a raw frame on the link from `from` to `to`, as if `from` had sent it. */
  inject(from: string, to: string, frame: string): void {
    const link = this.findLink(from, to);
    if (link === undefined) throw new Error(`${from} and ${to} are not linked`);
    this.enqueue(link, from, frame);
  }

  /** Wait until no frame is in flight (and every continuation has run). */
  async settle(maxRounds = 10_000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      await new Promise<void>((r) => realSetImmediate(r));
      if (this.inFlight === 0) {
        await new Promise<void>((r) => realSetImmediate(r));
        if (this.inFlight === 0) return;
      }
    }
    throw new Error('the test network did not settle');
  }

  /** Close every router and cut every link. */
  async close(): Promise<void> {
    for (const l of [...this.links.values()]) l.up = false;
    this.links.clear();
    await Promise.all([...this.routers.values()].map((r) => r.close()));
    this.routers.clear();
  }

  private findLink(a: string, b: string): Link | undefined {
    for (const l of this.links.values()) if ((l.a === a && l.b === b) || (l.a === b && l.b === a)) return l;
    return undefined;
  }

  private send(from: string, peer: CtpTestPeer | null, frame: string): void {
    if (peer === null) {
      for (const l of this.links.values()) if (l.a === from || l.b === from) this.enqueue(l, from, frame);
      return;
    }
    const link = this.links.get(peer.link);
    if (link === undefined || !link.up) return; // the link is gone: the frame is lost
    this.enqueue(link, from, frame);
  }

  private enqueue(link: Link, from: string, frame: string): void {
    const to = link.a === from ? link.b : link.a;
    const handle = link.a === from ? link.atB : link.atA;
    this.sent++;
    this.onFrame?.({ from, to, frame });
    this.inFlight++;
    queueMicrotask(() => {
      this.inFlight--;
      if (!link.up) return;
      const r = this.routers.get(to);
      if (r === undefined) return;
      this.delivered++;
      r.receive(handle, frame);
    });
  }
}
