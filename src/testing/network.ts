/**
 * An in-memory network of routers for tests (ours and the host's): FIFO per
 * link, asynchronous delivery, links that go up and down, routers that crash
 * and restart. No sockets. The routers run their defaults (advert pacing
 * included) on the network's clock (testing/clock.ts), which `settle()`
 * moves past paced adverts.
 *
 * Links are configured connections, as a transport's `connect` list is:
 * - `link(a, b)` configures the link and brings it up (both see `peerUp`);
 * - `unlink(a, b)` takes it down (frames in flight are lost, both see
 *   `peerDown`); it stays configured: `link(a, b)` again, or a restart of
 *   either end, brings it back up. `unlink(a, b, { forget: true })` removes
 *   it for good;
 * - `crash(id)` closes the router (its state is lost) and takes its links down;
 * - `restart(id)` starts it again with the same id (and options) and brings
 *   up every configured link whose other end is running — as a restarted
 *   process dials its peers again;
 * - `inject(from, to, frame)` needs the link up (it throws otherwise).
 */
import type { CtpNodesUpdatedCallback, CtpReceivedCallback } from '../base/callbacks.js';
import { CtpRouter } from '../router.js';
import type { CtpRouterOptions } from '../options.js';
import type { CtpControlMessage, CtpEvent } from '../base/messages.js';
import { CtpTestClock } from './clock.js';

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

/**
 * The test network's `onReceived`: the router's `CtpReceivedCallback` with
 * the router as a third argument. `msg` narrows on `name` exactly as the
 * router's (`CtpControlMessage` for START/STOP/COMMAND, `CtpEvent` for
 * EVENT), whether it declares two parameters or three; it may be `async`
 * (a rejection is reported as the router reports its own).
 */
export type CtpTestReceivedCallback =
  | ((
      ...args:
        | [
            name: 'START' | 'STOP' | 'COMMAND',
            msg: CtpControlMessage,
            router: CtpRouter<CtpTestPeer>,
          ]
        | [name: 'EVENT', msg: CtpEvent, router: CtpRouter<CtpTestPeer>]
    ) => void)
  // A callback that declares two parameters narrows too.
  | ((
      ...args:
        | [name: 'START' | 'STOP' | 'COMMAND', msg: CtpControlMessage]
        | [name: 'EVENT', msg: CtpEvent]
    ) => void);

/** The test network's `onNodesUpdated`: the router's, with the router as a second argument. */
export type CtpTestNodesUpdatedCallback = (nodes: string[], router: CtpRouter<CtpTestPeer>) => void;

/** Options of `CtpTestNetwork.addRouter`. */
export interface CtpTestRouterOptions extends Omit<CtpRouterOptions<CtpTestPeer>, 'id'> {
  /** START/STOP/COMMAND at the host, EVENT at a registrant; gets the router too. */
  onReceived?: CtpTestReceivedCallback;
  onNodesUpdated?: CtpTestNodesUpdatedCallback;
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
 * in order per link direction; `settle()` waits until nothing is in flight
 * and no paced advert waits (moving the network's clock past them).
 *
 * @example
 * {@includeCode ../../docs/api-examples/test-network.ts}
 */
export class CtpTestNetwork {
  /** Live routers by id. */
  readonly routers = new Map<string, CtpRouter<CtpTestPeer>>();
  /**
   * The routers' clock (unless a router was given its own `clock`): the
   * system's time, which `settle()` moves forward past paced adverts and
   * `advance(ms)` moves forward by hand, firing the timers due on the way.
   */
  readonly clock = new CtpTestClock();
  /** Frames delivered so far. */
  delivered = 0;
  /** Frames sent so far (a broadcast counts once per link). */
  sent = 0;
  /** Called for every frame put on a link. */
  onFrame: ((f: CtpTestFrame) => void) | undefined;
  private readonly links = new Map<number, Link>();
  private readonly options = new Map<string, CtpTestRouterOptions>();
  /** Configured links, as `a\u0000b` with a < b: they come back up when a router restarts. */
  private readonly configured = new Set<string>();
  private nextLink = 1;
  private inFlight = 0;

  /** Add a router with id `id`. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#addRouter} */
  addRouter(id: string, options: CtpTestRouterOptions = {}): CtpRouter<CtpTestPeer> {
    if (this.routers.has(id)) throw new Error(`router ${id} exists already`);
    this.options.set(id, options);
    const { onReceived, onNodesUpdated, ...routerOptions } = options;
    let router: CtpRouter<CtpTestPeer> | undefined;
    // The callbacks' return values go back to the router, which reports a rejected promise.
    const received: CtpReceivedCallback = (...args) =>
      (onReceived as ((...a: unknown[]) => void) | undefined)?.(
        args[0],
        args[1],
        router as CtpRouter<CtpTestPeer>,
      );
    const updated: CtpNodesUpdatedCallback = (nodes) =>
      onNodesUpdated?.(nodes, router as CtpRouter<CtpTestPeer>);
    // The router defaults, advert pacing included, on the network's clock (unless the test brings its own):
    // `settle()` moves that clock past paced adverts.
    router = new CtpRouter<CtpTestPeer>(
      received,
      (peer, frame) => this.send(id, peer, frame),
      updated,
      { clock: this.clock, ...routerOptions, id },
    );
    this.routers.set(id, router);
    return router;
  }

  /** The live router `id` (throws when there is none). @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#addRouter} */
  router(id: string): CtpRouter<CtpTestPeer> {
    const r = this.routers.get(id);
    if (r === undefined) throw new Error(`no router ${id}`);
    return r;
  }

  /** Configure a link between two routers and bring it up; both see `peerUp`. Throws when it is up already. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#link} */
  link(a: string, b: string): void {
    const ra = this.router(a);
    const rb = this.router(b);
    if (a === b) throw new Error(`a router cannot be linked to itself (${a})`);
    if (this.findLink(a, b) !== undefined) throw new Error(`${a} and ${b} are linked already`);
    this.configured.add(pairKey(a, b));
    const id = this.nextLink++;
    const link: Link = {
      id,
      a,
      b,
      atA: { local: a, remote: b, link: id },
      atB: { local: b, remote: a, link: id },
      up: true,
    };
    this.links.set(id, link);
    ra.peerUp(link.atA);
    rb.peerUp(link.atB);
  }

  /**
   * Take the link between two routers down: frames in flight on it are lost;
   * both see `peerDown`. It stays configured (a restart of either end brings
   * it back up) unless `forget` is true. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#unlink}
   */
  unlink(a: string, b: string, opts?: { forget?: boolean }): void {
    if (opts?.forget === true) this.configured.delete(pairKey(a, b));
    const link = this.findLink(a, b);
    if (link === undefined) return;
    link.up = false;
    this.links.delete(link.id);
    this.routers.get(link.a)?.peerDown(link.atA);
    this.routers.get(link.b)?.peerDown(link.atB);
  }

  /** Is there a live link between `a` and `b`? @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#link} */
  linked(a: string, b: string): boolean {
    return this.findLink(a, b) !== undefined;
  }

  /** The ids `id` is linked to. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#link} */
  neighbors(id: string): string[] {
    const out: string[] = [];
    for (const l of this.links.values()) {
      if (l.a === id) out.push(l.b);
      else if (l.b === id) out.push(l.a);
    }
    return out;
  }

  /** Crash a router: its state is lost (it is closed) and its links go down (they stay configured). @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#crash} */
  crash(id: string): void {
    const r = this.router(id);
    for (const other of this.neighbors(id)) this.unlink(id, other);
    void r.close();
    this.routers.delete(id);
  }

  /**
   * Start a crashed router again with the same id and options (or new ones);
   * every configured link of it whose other end is running comes up. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#crash}
   */
  restart(id: string, options?: CtpTestRouterOptions): CtpRouter<CtpTestPeer> {
    if (this.routers.has(id)) throw new Error(`router ${id} is running`);
    if (!this.options.has(id)) throw new Error(`no router ${id} to restart`);
    const opts = options ?? this.optionsOf(id);
    this.options.delete(id);
    const r = this.addRouter(id, opts);
    for (const other of this.configuredPeers(id))
      if (this.routers.has(other) && this.findLink(id, other) === undefined) this.link(id, other);
    return r;
  }

  /** The routers `id` has a configured link with (up or down). */
  private configuredPeers(id: string): string[] {
    const out: string[] = [];
    for (const k of this.configured) {
      const [a, b] = k.split('\u0000') as [string, string];
      if (a === id) out.push(b);
      else if (b === id) out.push(a);
    }
    return out.sort();
  }

  private optionsOf(id: string): CtpTestRouterOptions {
    return this.options.get(id) ?? {};
  }

  /** Put a raw frame on the link from `from` to `to`, as if `from` had sent it. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#inject} */
  inject(from: string, to: string, frame: string): void {
    const link = this.findLink(from, to);
    if (link === undefined) throw new Error(`${from} and ${to} are not linked`);
    this.enqueue(link, from, frame);
  }

  /** Wait until no frame is in flight (and every continuation has run); rejects with an `Error` when it never goes quiet. @example
   * {@includeCode ../../docs/api-examples/test-network-time.ts#settle} */
  async settle(maxRounds = 10_000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      await this.quiet(maxRounds);
      // Nothing in flight: a paced advert may still wait for its interval. Move the clock to it
      // (one timer at a time, frames delivered in between).
      const at = this.clock.nextPacing();
      if (at === undefined) return;
      this.clock.step(at);
    }
    throw new Error('the test network did not settle');
  }

  /** Wait until no frame is in flight (the clock stands still). */
  private async quiet(maxRounds: number): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      await new Promise<void>((r) => realSetImmediate(r));
      if (this.inFlight === 0) {
        await new Promise<void>((r) => realSetImmediate(r));
        if (this.inFlight === 0) return;
      }
    }
    throw new Error('the test network did not settle');
  }

  /** Move the network's clock `ms` forward, timer by timer (frames are delivered between them), then settle: time-outs, leases and retries fire at once. @example
   * {@includeCode ../../docs/api-examples/test-network-time.ts#advance} */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await this.quiet(10_000);
    while (this.clock.step(target)) await this.quiet(10_000);
    this.clock.advance(Math.max(0, target - this.clock.now()));
    await this.settle();
  }

  /** Close every router and cut every link. @example
   * {@includeCode ../../docs/api-examples/test-network-methods.ts#close} */
  async close(): Promise<void> {
    for (const l of [...this.links.values()]) l.up = false;
    this.links.clear();
    await Promise.all([...this.routers.values()].map((r) => r.close()));
    this.routers.clear();
  }

  private findLink(a: string, b: string): Link | undefined {
    for (const l of this.links.values())
      if ((l.a === a && l.b === b) || (l.a === b && l.b === a)) return l;
    return undefined;
  }

  private send(from: string, peer: CtpTestPeer | null, frame: string): void {
    if (peer === null) {
      for (const l of this.links.values())
        if (l.a === from || l.b === from) this.enqueue(l, from, frame);
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

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
