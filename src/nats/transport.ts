/**
 * `NatsTransport`: routers that meet on a NATS bus. Every other router on the
 * same `prefix` is a peer; presence heartbeats say who is there; a frame for
 * one router is one publish on its subject, a broadcast is one publish for
 * all (docs/nats.md).
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { randomUUID } from 'node:crypto';
import type { CtpSendInfo } from '../base/callbacks.js';
import type { CtpPeerInfo } from '../link-state/media.js';
import { argumentError, CtpArgumentError } from '../base/errors.js';
import { PhasedTimer } from '../base/phased-timer.js';
import { isValidRouterId } from '../base/names.js';
import { loadNatsClient } from './client.js';
import {
  resolveNatsOptions,
  type NatsResolvedOptions,
  type NatsTransportOptions,
} from './options.js';
import { NatsMembers } from './members.js';
import { NatsPeer } from './peer.js';
import { formatPresence, ROSTER_HEADER } from './presence.js';
import { BusSubjects } from './subjects.js';
import {
  zeroNatsCounters,
  type NatsHost,
  type NatsInternals,
  type NatsStats,
  type NatsTransportEvents,
} from './types.js';
import { CtpLinkMeter } from '../metrics/links.js';
import type { CtpLinkMetrics } from '../metrics/metrics.js';

const debug = createDebug('ctp:nats');

// The optional peer dependency: loading this module fails with the install hint without it.
const { connect, credsAuthenticator, headers } = loadNatsClient();

export type { NatsHost, NatsInternals, NatsStats, NatsTransportEvents } from './types.js';

/**
 * The NATS transport. Construct it, hand its `send` to the router, then `attach(router)` and wait for `ready()`,
 * which rejects when the first connection fails. The constructor throws `CtpArgumentError` on a bad option;
 * events: `connect`, `disconnect` (a router on the bus came or went), `status`, `error` ({@link NatsTransportEvents}).
 * @example
 * {@includeCode ../../docs/api-examples/nats.ts#class}
 */
export class NatsTransport extends EventEmitter<NatsTransportEvents> {
  /**
   * Publish `frame` to `peer`, or once to the whole bus when `peer` is
   * `null` — except a broadcast whose `info.except` is a member of this bus
   * (it came from the bus: every member already has it). Frames for peers
   * that are not members of this bus are ignored (another transport's).
   */
  readonly send: (peer: NatsPeer | null, frame: string, info?: CtpSendInfo<unknown>) => void;
  private readonly opts: NatsResolvedOptions;
  private host: NatsHost | undefined;
  private nc: NatsConnection | undefined;
  private subjects: BusSubjects | undefined;
  private readonly subs: Subscription[] = [];
  /** The subscription to every member's heartbeats, while this router is an aggregator. */
  private heartbeatSub: Subscription | undefined;
  /** The members of the bus, from presence and frames (members.ts). */
  private readonly members: NatsMembers;
  private readonly instance = randomUUID();
  private readyPromise: Promise<void> | undefined;
  private heartbeatTimer: PhasedTimer | undefined;
  /** Connected: set at connect and reconnect, cleared at a disconnect (queued-read.ts). */
  private online = false;
  private closing: Promise<void> | undefined;
  /** Set first thing in `close()`: nothing more is published but a goodbye. */
  private leaving = false;
  private readonly counters = zeroNatsCounters();
  private readonly encoder = new TextEncoder();
  private readonly peerInfo: CtpPeerInfo | undefined;
  private readonly linkMeter = new CtpLinkMeter();
  /** The client's `connect`, or a simulator's (`NatsInternals`). */
  private readonly connect: typeof connect;

  constructor(options: NatsTransportOptions, internals?: NatsInternals) {
    super();
    this.connect = internals?.connect ?? connect;
    this.opts = resolveNatsOptions(options);
    this.peerInfo = this.opts.medium === undefined ? undefined : { medium: this.opts.medium };
    // Declared with three parameters: the router passes `CtpSendInfo`.
    this.send = (peer, frame, info) => this.sendFrame(peer, frame, info);
    this.members = new NatsMembers(this.opts, this.instance, this.counters, {
      subjects: () => this.subjects,
      leaving: () => this.leaving,
      peerUp: (p) => this.call(() => this.host?.peerUp(p, this.peerInfo)),
      ask: (p) => this.askTable(p),
      readQueued: () => {
        const nc = this.nc;
        return nc === undefined || nc.isClosed() || this.leaving ? undefined : nc.flush();
      },
      connected: (p) => (this.linkMeter.linkUp(), this.emit('connect', p)),
      disconnected: (p, reason) => {
        this.linkMeter.linkDown(reason);
        this.call(() => this.host?.peerDown(p));
        this.emit('disconnect', p, reason);
      },
      reportError: (err) => this.reportError(err),
      online: () => this.online && this.nc?.isClosed() === false,
      askRoster: (id) => this.say(undefined, id),
      sendRoster: (p) => this.sendRoster(p),
    });
  }

  /** Wire the transport to its router and connect to NATS; see `ready()`. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods} */
  attach(host: NatsHost): this {
    if (this.host !== undefined)
      throw new CtpArgumentError('Expected `attach` to be called once, got a second call');
    if (
      typeof host !== 'object' ||
      host === null ||
      typeof host.receive !== 'function' ||
      typeof host.peerUp !== 'function' ||
      typeof host.peerDown !== 'function'
    )
      throw argumentError('host', 'a router (an object with receive, peerUp and peerDown)', host);
    const id = this.opts.id ?? host.id;
    if (!isValidRouterId(id))
      throw argumentError(
        'options.id',
        "a router id (the option, or the attached router's id)",
        id,
      );
    this.host = host;
    this.subjects = new BusSubjects(this.opts.prefix, id);
    this.readyPromise = this.start();
    // Reported through `ready()` and `error`; never an unhandled rejection.
    this.readyPromise.catch((err: unknown) => this.reportError(err));
    return this;
  }

  /** Resolves once connected and subscribed; rejects when the first connection fails. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods} */
  ready(): Promise<void> {
    return (
      this.readyPromise ?? Promise.reject(new CtpArgumentError('Expected `attach` before `ready`'))
    );
  }

  /** The members that are up. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods} */
  peers(): NatsPeer[] {
    return this.members.up();
  }

  /** The NATS server this transport is connected to now (`host:port`), if any. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods} */
  server(): string | undefined {
    return this.nc === undefined || this.nc.isClosed() ? undefined : this.nc.getServer();
  }

  /** Plain counters. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods} */
  stats(): NatsStats {
    return { peers: this.peers().length, ...this.counters };
  }

  /** Link metrics (docs/operations.md#metrics): members up and down (by reason); the longest silence of a live member. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods} */
  metrics(): CtpLinkMetrics {
    let silence = 0;
    for (const p of this.members.up()) silence = Math.max(silence, Date.now() - p.lastSeen);
    return this.linkMeter.read(silence);
  }

  /**
   * Take every member down (the host gets `peerDown` for each), stop the
   * timers, flush what is queued and close the NATS connection. @example
   * {@includeCode ../../docs/api-examples/nats.ts#methods}
   */
  close(): Promise<void> {
    if (!this.leaving) this.say('bye');
    this.leaving = true;
    this.closing ??= (async () => {
      this.heartbeatTimer = this.heartbeatTimer?.stop();
      // The router's reaction (a new advert without the bus) stays here: the members got the goodbye.
      this.members.close();
      await this.readyPromise?.catch(() => {});
      const nc = this.nc;
      if (nc !== undefined && !nc.isClosed()) {
        for (const s of this.subs) s.unsubscribe();
        this.heartbeatSub?.unsubscribe();
        await nc.flush().catch(() => {});
        await nc.close().catch(() => {});
      }
      debug('closed');
    })();
    return this.closing;
  }

  // ---- connection -------------------------------------------------------------

  private async start(): Promise<void> {
    const o = this.opts;
    const s = this.subjects as BusSubjects;
    const nc = await this.connect({
      ...o.client,
      servers: o.servers,
      noEcho: true,
      ...(o.creds === undefined ? {} : { authenticator: credsAuthenticator(o.creds) }),
    });
    if (this.leaving) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.online = true;
    debug('%s connected to %s', s.id, nc.getServer());
    this.subs.push(
      nc.subscribe(s.inbox, { callback: (err, m) => void (err === null && this.onFrame(m)) }),
    );
    this.subs.push(
      nc.subscribe(s.allBroadcast, {
        callback: (err, m) => void (err === null && this.onFrame(m)),
      }),
    );
    this.subs.push(
      nc.subscribe(s.allPresence, {
        callback: (err, m) => void (err === null && this.members.presence(m)),
      }),
    );
    this.subs.push(
      nc.subscribe(s.allRosters, {
        callback: (err, m) => void (err === null && this.members.rosterIn(m)),
      }),
    );
    void this.watchStatus(nc);
    this.announce(true);
    // The first heartbeat an interval after the hello, not the PONG (seconds late when saturated).
    this.heartbeatTimer = new PhasedTimer(o.heartbeatMs, () => this.beat());
    this.members.watch(Math.max(5, Math.floor(o.deadAfterMs / 10)));
    await nc.flush().catch((err: unknown) => {
      this.heartbeatTimer = this.heartbeatTimer?.stop();
      this.members.close();
      throw err;
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const st of nc.status()) {
      debug('%s status %s', this.subjects?.id, st.type);
      if (st.type === 'disconnect' || st.type === 'reconnect')
        this.online = st.type === 'reconnect';
      if (st.type === 'reconnect') this.reconnected();
      if (!this.leaving || st.type === 'close') this.emit('status', st);
    }
  }

  /**
   * Back on NATS (the same server restarted, or another of the cluster): say
   * hello (every member that knows this router sends it its table again), and
   * send every member still up this router's table — what was published
   * while this connection was away never reached it, nor them.
   */
  private reconnected(): void {
    if (this.leaving) return;
    this.counters.reconnects++;
    this.announce(true);
    for (const p of this.peers()) this.call(() => this.host?.peerUp(p, this.peerInfo));
  }

  private announce(hello: boolean): void {
    if (this.leaving) return;
    if (hello) this.members.saidHello();
    this.say(hello ? 'hello' : undefined);
  }

  /** An UPDATENODE to `p` ("send me your table"), on this router's behalf. */
  private askTable(p: NatsPeer): void {
    const nc = this.nc;
    const s = this.subjects as BusSubjects;
    if (nc === undefined || nc.isClosed() || this.leaving) return;
    this.call(() =>
      nc.publish(p.subject, `{"v":1,"t":"UPDATENODE","from":${JSON.stringify(s.id)}}`),
    );
    this.counters.framesOut++;
  }

  /** Each interval: an aggregator (of the two lowest ids it knows) listens to every heartbeat and publishes its roster; any other member sends a heartbeat to them. Nothing while away from the server (the client would buffer it: a roster sent seconds late made its ages news again). */
  private beat(): void {
    const nc = this.nc;
    if (this.leaving || nc === undefined || nc.isClosed() || !this.online) return;
    const s = this.subjects as BusSubjects;
    const aggregating = this.members.rostering();
    if (aggregating && this.heartbeatSub === undefined)
      this.heartbeatSub = nc.subscribe(s.allHeartbeats, {
        callback: (err, m) => void (err === null && this.members.presence(m)),
      });
    else if (!aggregating && this.heartbeatSub !== undefined) {
      this.heartbeatSub.unsubscribe();
      this.heartbeatSub = undefined;
    }
    if (!aggregating) return this.announce(false);
    try {
      nc.publish(s.roster, this.members.roster());
      this.counters.rostersOut++;
    } catch (err) {
      this.reportError(err);
    }
  }

  /** Publish a presence message: a heartbeat (to the aggregators), a hello or a goodbye (to all). */
  private say(what: 'hello' | 'bye' | undefined, full?: string): void {
    const nc = this.nc;
    if (nc === undefined || nc.isClosed()) return;
    const s = this.subjects as BusSubjects;
    try {
      nc.publish(
        what === undefined ? s.heartbeat : s.presence,
        formatPresence(this.instance, what, full),
      );
      this.counters.heartbeatsOut++;
    } catch (err) {
      this.reportError(err);
    }
  }

  // ---- inbound ----------------------------------------------------------------

  private onFrame(m: Msg): void {
    const from = BusSubjects.sender(m.subject);
    if (from === undefined || from === this.subjects?.id) {
      this.counters.ignored++;
      return;
    }
    if (m.headers?.get(ROSTER_HEADER) === '1') return this.members.fullRosterIn(m);
    const p = this.members.heard(from, undefined);
    if (p === undefined) return;
    this.counters.framesIn++;
    this.counters.bytesIn += m.data.length;
    this.call(() => this.host?.receive(p, m.data));
  }

  // ---- outbound ---------------------------------------------------------------

  /** This aggregator's whole roster to `p` alone (it asked): on its unicast subject, with a header. */
  private sendRoster(p: NatsPeer): void {
    const nc = this.nc;
    if (nc === undefined || nc.isClosed() || this.leaving) return;
    const h = headers();
    this.call(
      () => (
        h.set(ROSTER_HEADER, '1'),
        nc.publish(p.subject, this.members.roster(true), { headers: h })
      ),
    );
    this.counters.rostersOut++;
  }

  private sendFrame(
    peer: NatsPeer | null,
    frame: string,
    info: CtpSendInfo<unknown> | undefined,
  ): void {
    if (typeof frame !== 'string') throw argumentError('frame', 'a string', frame);
    const nc = this.nc;
    if (nc === undefined || this.leaving) return;
    let subject: string;
    if (peer === null) {
      const except = info?.except;
      if (except instanceof NatsPeer && this.members.get(except.routerId) === except) {
        this.counters.notReflooded++;
        return;
      }
      subject = (this.subjects as BusSubjects).broadcast;
    } else {
      if (!(peer instanceof NatsPeer) || !peer.up || this.members.get(peer.routerId) !== peer)
        return;
      subject = peer.subject;
    }
    const data = this.encoder.encode(frame);
    // A throw (closed connection, a frame above the server's max_payload) reaches the router as `error`.
    nc.publish(subject, data);
    this.counters.framesOut++;
    this.counters.bytesOut += data.length;
  }

  // ---- helpers ----------------------------------------------------------------

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.reportError(err);
    }
  }

  private reportError(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    debug('error: %s', e.message);
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
