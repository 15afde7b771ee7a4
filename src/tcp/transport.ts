/**
 * `TcpTransport`: the reference stream transport. Listens and/or dials, frames
 * by newline (PROTOCOL.md section 6) and wires itself to a router: a line in →
 * `receive(peer, frame)`, a connection up → `peerUp`, closed → `peerDown`.
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CtpSendInfo } from '../base/callbacks.js';
import { argumentError, CtpArgumentError } from '../base/errors.js';
import { isValidRouterId } from '../base/names.js';
import type { TcpAddress } from './address.js';
import { TcpConnection, type TcpCloseReason, type TcpPeer } from './connection.js';
import { dialErr, dialFailure } from './dial-errors.js';
import { TcpDialer, type TcpDialerHost } from './dialer.js';
import { claimsOtherFrom } from './frame-from.js';
import { byeFrame, helloFrame, parseBye, parseHello } from './hello.js';
import { TcpLinks } from './links.js';
import { TcpGuards } from './guards.js';
import { resolveTcpOptions, type TcpResolvedOptions, type TcpTransportOptions } from './options.js';
import { listenServer } from './server.js';
import { openSocket, peerCertificateId, type TcpRefusedReason, type TcpTlsServer } from './tls.js';
import type { TcpAttachOptions, TcpHost, TcpStats, TcpTransportEvents } from './types.js';

export type { TcpAttachOptions, TcpHost, TcpStats, TcpTransportEvents } from './types.js';

const debug = createDebug('ctp:tcp');

/** A dialled link that lived this long resets its dialler's backoff when it closes (a refused newcomer lives far shorter). */
const STABLE_LINK_MS = 1000;

/**
 * The TCP transport. Construct it, hand its `send` to the router, then
 * `attach(router)`:
 *
 * ```ts
 * const transport = new TcpTransport({ listen: { port: 7000 } });
 * const router = new CtpRouter<TcpPeer>(onReceived, transport.send, onNodesUpdated, { id: 'station' });
 * transport.attach(router);
 * await transport.listening();
 * ```
 */
export class TcpTransport extends EventEmitter<TcpTransportEvents> {
  /**
   * Deliver `frame` to `peer`, or to every live connection when `peer` is
   * `null`. Bound: pass it as the router's `send`. Frames are written batched,
   * once per event-loop turn. Frames for a connection that is down are dropped.
   * `info.adverts` (the router's `CtpSendInfo`) marks a REPORTNODE: it replaces
   * the frames still queued toward that peer whose adverts it all supersedes.
   */
  readonly send: (peer: TcpPeer | null, frame: string, info?: CtpSendInfo<TcpPeer>) => void;
  private readonly opts: TcpResolvedOptions;
  private host: TcpHost | undefined;
  private readonly server: Server | undefined;
  private readonly tlsServer: TcpTlsServer | undefined;
  private readonly listenPromise: Promise<void>;
  private boundAddress: TcpAddress | undefined;
  /** Every adopted socket not yet closed. */
  private readonly conns = new Set<TcpConnection>();
  /** Connections handed to the host. */
  private readonly live = new Set<TcpConnection>();
  private readonly links = new TcpLinks<TcpConnection>();
  private readonly dialers: TcpDialer[] = [];
  private readonly dialerOf = new Map<TcpConnection, TcpDialer>();
  private readonly dirty = new Set<TcpConnection>();
  private flushScheduled = false;
  private nextConnId = 1;
  private readonly instance = randomUUID();
  private closing: Promise<void> | undefined;
  private readonly counters = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    oversized: 0,
    slowConsumers: 0,
    duplicates: 0,
    identityMismatches: 0,
    refused: 0,
    dialFailures: 0,
    superseded: 0,
  };
  /** Heartbeats, dead links, handshake timeout, partial-frame budget, eviction. */
  private readonly guards: TcpGuards;
  private readonly dialerHost: TcpDialerHost = {
    adopt: (socket, dialer) => this.adopt(socket, 'out', dialer),
    dialFailed: (dialer, err) => this.dialFailed(dialer, err),
  };

  constructor(options?: TcpTransportOptions) {
    super();
    this.opts = resolveTcpOptions(options);
    // Three parameters: the router passes `CtpSendInfo` (the adverts a REPORTNODE carries).
    this.send = (peer, frame, info) => this.sendFrame(peer, frame, info);
    this.guards = new TcpGuards(this.opts, {
      live: this.live,
      condemn: (c, reason) => this.condemn(c, reason),
    });
    const listen = listenServer(this.opts, {
      adopt: (socket) => this.adopt(socket, 'in', undefined),
      refuse: (remote, reason, err) => this.refuse(remote, reason, err),
      full: () => this.guards.evictUnproven(),
      error: (err) => this.reportError(err),
      bound: (address) => {
        this.boundAddress = address;
        this.emit('listening', { ...address });
      },
    });
    this.server = listen.server;
    this.tlsServer = listen.tlsServer;
    this.listenPromise = listen.ready;
  }

  /**
   * Wire the transport to its router (or any `TcpHost`): connections already
   * accepted are handed over, and the `connect` addresses are dialled. With
   * `closeWith: true` the transport closes when the router does.
   */
  attach(host: TcpHost, opts?: TcpAttachOptions): this {
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
    const own = this.opts.tls?.ownId;
    if (own !== undefined && typeof host.id === 'string' && host.id !== own)
      throw new CtpArgumentError(
        `Expected the router id to be the one its TLS certificate names (${own}), got ${host.id}`,
      );
    const closeWith = opts?.closeWith ?? false;
    if (typeof closeWith !== 'boolean')
      throw argumentError('opts.closeWith', 'a boolean', closeWith);
    if (closeWith && typeof host.once !== 'function')
      throw argumentError('host', 'a router with a `close` event (for closeWith)', host);
    this.host = host;
    if (closeWith) host.once?.('close', () => void this.close());
    if (this.closing !== undefined) return this;
    for (const c of this.conns) if (!c.up && c.isOpen) this.bringUp(c);
    for (const { target, address, expectedId } of this.opts.connect) {
      const open = () => openSocket(address, this.opts.tls, expectedId);
      const d = new TcpDialer(
        target,
        address,
        this.opts.reconnect,
        this.opts.connectTimeoutMs,
        this.dialerHost,
        open,
      );
      d.expectedId = expectedId;
      this.dialers.push(d);
      d.start();
    }
    return this;
  }

  /** Resolves once the server is bound (at once without `listen`); rejects when it cannot bind. */
  listening(): Promise<void> {
    return this.listenPromise;
  }

  /** The listening socket's `{ host, port }`; throws when not listening. */
  address(): TcpAddress {
    if (this.boundAddress === undefined) throw new Error('The transport is not listening');
    return { ...this.boundAddress };
  }

  /** The connections that are up. */
  peers(): TcpPeer[] {
    return [...this.live];
  }

  /** Plain counters. */
  stats(): TcpStats {
    let bytesOut = this.counters.bytesOut;
    for (const c of this.conns) bytesOut += c.socket.bytesWritten;
    return {
      connections: this.live.size,
      ...this.counters,
      ...this.guards.counters,
      bufferedBytes: this.guards.bufferedBytes,
      bytesOut,
    };
  }

  /**
   * Stop listening and dialling, end every connection (flushing what is
   * queued, destroying what does not close within `closeTimeoutMs`), clear
   * every timer. Resolves when every socket is closed. The host gets `peerDown`
   * for each connection that was up.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      this.guards.stop();
      for (const d of this.dialers) d.stop();
      this.tlsServer?.dropHandshaking();
      const waits: Promise<unknown>[] = [];
      for (const c of this.conns) {
        waits.push(new Promise((resolve) => c.socket.once('close', resolve)));
        c.end('closing', this.opts.closeTimeoutMs);
      }
      if (this.server !== undefined) {
        const server = this.server;
        await this.listenPromise.catch(() => {});
        if (server.listening)
          waits.push(new Promise<void>((resolve) => server.close(() => resolve())));
      }
      await Promise.all(waits);
      debug('closed');
    })();
    return this.closing;
  }

  private adopt(
    socket: Socket,
    direction: 'in' | 'out',
    dialer: TcpDialer | undefined,
  ): TcpConnection | undefined {
    if (this.closing !== undefined) {
      socket.destroy();
      return undefined;
    }
    socket.setNoDelay(true);
    if (this.opts.keepAliveMs > 0) socket.setKeepAlive(true, this.opts.keepAliveMs);
    const c = new TcpConnection(
      this.nextConnId++,
      direction,
      socket,
      dialer?.target,
      this.opts.maxFrameBytes,
      (conn, line) => this.onLine(conn, line),
      (conn, bytes) => this.onOversized(conn, bytes),
    );
    this.conns.add(c);
    if (dialer !== undefined) this.dialerOf.set(c, dialer);
    if (this.opts.tls !== undefined) {
      // Verified by the handshake (`checkServerIdentity`, or the server's check): the CN is a router id.
      c.identity = peerCertificateId((socket as TLSSocket).getPeerCertificate());
      c.routerId = c.identity;
      if (c.identity === undefined) c.destroy('identity-mismatch'); // never: the handshake checked it
    }
    c.expectedId = c.identity ?? dialer?.expectedId;
    debug('connection %s', c);
    socket.on('data', (chunk: Buffer) => {
      this.counters.bytesIn += chunk.length;
      if (c.up) this.guards.push(c, chunk);
    });
    socket.on('drain', () => {
      c.drained();
      c.flush();
    });
    socket.on('error', (err) => {
      c.lastError = err;
      debug('connection %s: %s', c, err.message);
    });
    socket.on('close', () => this.onClose(c));
    if (this.host !== undefined && c.isOpen) this.bringUp(c);
    else socket.pause();
    return c;
  }

  /** A dial attempt failed (every one is reported, with its cause); the dialler retries per `reconnect`. */
  private dialFailed(d: TcpDialer, err: Error): void {
    this.counters.dialFailures++;
    debug('dial %s failed: %s', d.target, err.message);
    this.emit('dialError', d.target, err);
  }

  /** An inbound connection refused before it reached the router. */
  private refuse(remote: string, reason: TcpRefusedReason, err: Error): void {
    this.counters.refused++;
    debug('refused %s (%s): %s', remote, reason, err.message);
    this.emit('refused', remote, reason, err);
  }

  /** Hand a connection to the host: hello first, then `peerUp` (the router sends its table). */
  private bringUp(c: TcpConnection): void {
    const host = this.host as TcpHost;
    const self = this.selfId();
    if (self !== undefined) c.enqueue(helloFrame(self, this.instance), Infinity);
    c.up = true;
    c.upAt = Date.now();
    this.live.add(c);
    this.schedule(c);
    try {
      host.peerUp(c);
    } catch (err) {
      this.reportError(err);
    }
    this.guards.up();
    if (c.socket.isPaused()) c.socket.resume();
    if (c.up) this.emit('connect', c);
  }

  /** Take a connection from the host (once): `peerDown`, `disconnect`. */
  private takeDown(c: TcpConnection, reason: TcpCloseReason): void {
    if (!c.up) return;
    c.up = false;
    this.live.delete(c);
    this.dirty.delete(c);
    debug('connection %s down: %s', c, reason);
    try {
      this.host?.peerDown(c);
    } catch (err) {
      this.reportError(err);
    }
    this.emit('disconnect', c, reason);
    const rid = c.routerId;
    if (rid !== undefined && this.links.remove(rid, c)) {
      // The link a parked dialer duplicated is gone: dial again.
      if (this.closing === undefined)
        for (const d of this.dialers) if (d.parkedOn === rid) d.unpark();
    }
  }

  private onClose(c: TcpConnection): void {
    // Open connections' bytes are counted by their sockets (stats()); keep a closed one's.
    if (this.conns.has(c)) this.counters.bytesOut += c.socket.bytesWritten;
    this.guards.closed(c);
    c.closed();
    this.conns.delete(c);
    this.takeDown(c, c.closeReason ?? 'closed');
    const rid = c.routerId;
    const d = this.dialerOf.get(c);
    if (d === undefined) return;
    this.dialerOf.delete(c);
    // Closed before it became a link (no line, a refusal): the dial did not get through.
    const failure =
      this.closing === undefined
        ? dialFailure(c, d.target, this.opts.tls !== undefined, this.opts.handshakeTimeoutMs)
        : undefined;
    if (failure !== undefined) this.dialFailed(d, failure);
    else if (c.heard && Date.now() - c.upAt >= STABLE_LINK_MS) d.resetBackoff();
    // Closed by the other side while another link to the same router lives
    // (it settled the duplicate first): wait for that link instead of redialling.
    if (rid !== undefined && this.links.has(rid) && d.parkedOn === undefined) d.park(rid);
    d.connectionClosed(c);
  }

  private onLine(c: TcpConnection, line: Buffer): boolean {
    if (!c.up || !c.isOpen) return false;
    if (c.firstLine) {
      c.firstLine = false;
      c.heard = true;
      const hello = parseHello(line);
      if (hello !== undefined) {
        this.settle(c, hello.id, hello.instance);
        return c.up && c.isOpen;
      }
      // A TLS peer without a hello: its certificate names it.
      if (c.identity !== undefined && !this.settle(c, c.identity, undefined)) return false;
    }
    // The other end refuses a link we dialled, and says why before closing it.
    if (c.direction === 'out') {
      const bye = parseBye(line);
      if (bye !== undefined) {
        this.refusedBy(c, bye);
        return false;
      }
    }
    // Every frame of a TLS link must speak for its certificate's router.
    if (c.identity !== undefined && claimsOtherFrom(line, c.identity)) {
      this.identityMismatch(c, 'a frame');
      return false;
    }
    this.counters.framesIn++;
    try {
      (this.host as TcpHost).receive(c, line);
    } catch (err) {
      this.reportError(err);
    }
    return c.up && c.isOpen;
  }

  /**
   * The other end is router `rid` (its hello, or its certificate): check it
   * against the certificate or the `id@` target (`identity-mismatch`), refuse
   * a link to this router itself (`self`), and keep one link per router
   * (`links.ts`: an established link is never displaced by a newcomer, but
   * for two routers dialling each other at once). False when `c` was closed.
   */
  private settle(c: TcpConnection, rid: string, instance: string | undefined): boolean {
    if (c.expectedId !== undefined && rid !== c.expectedId) {
      c.refusal = dialErr(
        'ERR_CTP_IDENTITY_MISMATCH',
        `${c.target ?? 'the other end'} answered as router ${rid}, expected ${c.expectedId}`,
      );
      this.identityMismatch(c, `hello from ${rid}`);
      return false;
    }
    const self = this.selfId();
    if (rid === self) {
      debug('connection %s is to this router itself', c);
      c.refusal = dialErr(
        'ERR_CTP_SELF',
        `${c.target ?? 'the other end'} is this router itself (${rid}): not redialled`,
      );
      this.dialerOf.get(c)?.park(rid);
      this.retire(c, 'self');
      return false;
    }
    c.routerId = rid;
    c.instance = instance;
    c.linkedAt = Date.now();
    const { refused, displaced } = this.links.settle(self, rid, c);
    if (refused) {
      debug('connection %s duplicates a live link to %s: refused', c, rid);
      // Say why before closing (a bye line), so its dialler sees `duplicate`, not a bare close. Only the
      // refused newcomer hears it: it follows our hello on its own socket, so the other end has settled
      // the link first; a displaced link's other end reaches the same decision by itself.
      if (self !== undefined) c.enqueue(byeFrame(self, 'duplicate'), Infinity);
      this.retire(c, 'duplicate');
      return false;
    }
    for (const old of displaced) this.retire(old, 'duplicate');
    return true;
  }

  /**
   * The other end refused dialled link `c` for `reason` (its bye line): take
   * it down as `duplicate` (another reason: `closed`) and close it. Its
   * dialler reports the refusal as `dialError` and redials with backoff.
   */
  private refusedBy(c: TcpConnection, reason: string): void {
    debug('connection %s refused by the other end: %s', c, reason);
    const self = this.selfId();
    const why =
      reason === 'duplicate'
        ? `it has a live link with router id ${self ?? '(this one)'} already (duplicate)`
        : reason;
    c.refusal = dialErr(
      'ERR_CTP_LINK_REFUSED',
      `${c.target ?? 'the other end'} refused the link: ${why}`,
      reason,
    );
    const closeReason: TcpCloseReason = reason === 'duplicate' ? 'duplicate' : 'closed';
    this.takeDown(c, closeReason);
    c.end(closeReason, this.opts.closeTimeoutMs);
  }

  /** Its hello or a frame names a router other than its certificate (or its `id@` target): close it. */
  private identityMismatch(c: TcpConnection, what: string): void {
    this.counters.identityMismatches++;
    debug('connection %s: %s does not match its identity %s: closing it', c, what, c.expectedId);
    this.takeDown(c, 'identity-mismatch');
    c.destroy('identity-mismatch');
  }

  /** Close a connection the transport itself decided to end. */
  private retire(c: TcpConnection, reason: 'duplicate' | 'self'): void {
    if (reason === 'duplicate') {
      this.counters.duplicates++;
      const d = this.dialerOf.get(c);
      if (d !== undefined && c.routerId !== undefined) d.park(c.routerId);
    }
    this.takeDown(c, reason);
    c.end(reason, this.opts.closeTimeoutMs);
  }

  private onOversized(c: TcpConnection, bytes: number): void {
    this.counters.oversized++;
    debug(
      'connection %s: discarding a line of %d+ bytes (maxFrameBytes %d)',
      c,
      bytes,
      this.opts.maxFrameBytes,
    );
    this.emit('oversized', c, bytes);
  }

  private sendFrame(
    peer: TcpPeer | null,
    frame: string,
    info: CtpSendInfo<TcpPeer> | undefined,
  ): void {
    if (typeof frame !== 'string') throw argumentError('frame', 'a string', frame);
    // A raw line break would split the frame in two on the wire.
    if (frame.includes('\n')) throw argumentError('frame', 'a frame without line breaks', frame);
    if (peer === null) {
      for (const c of this.live) this.enqueue(c, frame, info);
      return;
    }
    if (this.live.has(peer as TcpConnection)) this.enqueue(peer as TcpConnection, frame, info);
  }

  private enqueue(c: TcpConnection, frame: string, info?: CtpSendInfo<TcpPeer>): void {
    this.counters.framesOut++;
    const adverts = info?.adverts;
    const replaced =
      adverts === undefined || adverts.length === 0
        ? c.enqueue(frame, this.opts.maxQueuedBytes)
          ? 0
          : -1
        : c.enqueueAdverts(frame, adverts, this.opts.maxQueuedBytes);
    if (replaced > 0) this.counters.superseded += replaced;
    if (replaced < 0) {
      this.slowConsumer(c);
      return;
    }
    this.schedule(c);
  }

  private schedule(c: TcpConnection): void {
    this.dirty.add(c);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushAll);
  }

  /** One write per connection per event-loop turn. */
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    for (const c of this.dirty) c.flush();
    this.dirty.clear();
  };

  private slowConsumer(c: TcpConnection): void {
    this.counters.slowConsumers++;
    debug('connection %s is a slow consumer: closing it', c);
    // No more frames for it from now on...
    this.live.delete(c);
    this.dirty.delete(c);
    c.destroy('slow-consumer');
    // ...but we are inside the router's `send`: tell it once that returns.
    queueMicrotask(() => this.takeDown(c, 'slow-consumer'));
  }

  /** Close a connection the guards condemned (dead, handshake timeout, buffer budget, evicted). */
  private condemn(c: TcpConnection, reason: TcpCloseReason): void {
    this.live.delete(c);
    this.dirty.delete(c);
    c.destroy(reason);
    this.takeDown(c, reason);
  }

  /** The id announced in the hello: the `id` option, the certificate's CN, or the host's id. */
  private selfId(): string | undefined {
    const id = this.host?.id;
    return this.opts.id ?? this.opts.tls?.ownId ?? (isValidRouterId(id) ? id : undefined);
  }

  private reportError(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    debug('error: %s', e.message);
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
