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
import type { TcpDialer } from './dialer.js';
import { TcpDialling } from './dialling.js';
import { helloFrame } from './hello.js';
import { TcpInbound } from './inbound.js';
import { TcpLinks } from './links.js';
import { TcpGuards } from './guards.js';
import { resolveTcpOptions, type TcpResolvedOptions, type TcpTransportOptions } from './options.js';
import { TcpOutbox } from './outbox.js';
import { listenServer } from './server.js';
import { peerCertificateId, type TcpRefusedReason, type TcpTlsServer } from './tls.js';
import type { TcpAttachOptions, TcpHost, TcpStats, TcpTransportEvents } from './types.js';
import { CtpLinkMeter } from '../metrics/links.js';
import type { CtpLinkMetrics } from '../metrics/metrics.js';

export type { TcpAttachOptions, TcpHost, TcpStats, TcpTransportEvents } from './types.js';

const debug = createDebug('ctp:tcp');

/**
 * The TCP transport. Construct it, hand its `send` to the router, then `attach(router)` (or let `connectRouter` do all three).
 * The constructor throws `CtpArgumentError` on a bad option; events: `listening`, `connect`, `disconnect`, `oversized`, `dialError`, ... ({@link TcpTransportEvents}).
 * @example
 * {@includeCode ../../docs/api-examples/tcp.ts#class}
 */
export class TcpTransport extends EventEmitter<TcpTransportEvents> {
  /**
   * Deliver `frame` to `peer`, or to every live connection when `peer` is
   * `null`. Bound: pass it as the router's `send`. Frames are written batched:
   * what a socket read produced at the end of that read, others on
   * `process.nextTick` (outbox.ts). Frames for a connection that is down are dropped.
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
  /** One per `connect` address (dialling.ts makes them). */
  private readonly dialers: TcpDialer[] = [];
  private readonly linkMeter = new CtpLinkMeter();
  /** The dialers, which connection each made, what its close means (dialling.ts). */
  private readonly dialling: TcpDialling;
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
  /** The lines connections read: hello, identity, one link per router, bye, oversized (inbound.ts). */
  private readonly inbound: TcpInbound;
  /** Frames queued per connection, written once per read or tick (outbox.ts). */
  private readonly outbox: TcpOutbox;

  constructor(options?: TcpTransportOptions) {
    super();
    this.opts = resolveTcpOptions(options);
    // Three parameters: the router passes `CtpSendInfo` (the adverts a REPORTNODE carries).
    this.send = (peer, frame, info) => this.outbox.send(peer, frame, info);
    this.guards = new TcpGuards(this.opts, {
      live: this.live,
      condemn: (c, reason) => this.condemn(c, reason),
    });
    this.inbound = new TcpInbound(this.links, this.opts, this.counters, {
      selfId: () => this.selfId(),
      receive: (c, line) => this.receive(c, line),
      takeDown: (c, reason) => this.takeDown(c, reason),
      dialerOf: (c) => this.dialling.of(c),
      oversized: (c, bytes) => this.emit('oversized', c, bytes),
    });
    this.dialling = new TcpDialling(this.dialers, this.opts, this.links, this.counters, {
      adopt: (socket, dialer) => this.adopt(socket, 'out', dialer),
      dialError: (target, err) => this.emit('dialError', target, err),
    });
    this.outbox = new TcpOutbox(this.opts.maxQueuedBytes, this.counters, {
      live: this.live,
      slowConsumer: (c) => this.slowConsumer(c),
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
   * `closeWith: true` the transport closes when the router does. Throws `CtpArgumentError`
   * on a second call, a bad host or option, or a router id its TLS certificate does not name. @example
   * {@includeCode ../../docs/api-examples/tcp.ts#attach}
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
    this.dialling.start();
    return this;
  }

  /** Resolves once the server is bound (at once without `listen`); rejects with the bind error (`EADDRINUSE`, ...). @example
   * {@includeCode ../../docs/api-examples/tcp.ts#listening} */
  listening(): Promise<void> {
    return this.listenPromise;
  }

  /** The listening socket's `{ host, port }`; throws when not listening. @example
   * {@includeCode ../../docs/api-examples/tcp.ts#address} */
  address(): TcpAddress {
    if (this.boundAddress === undefined) throw new Error('The transport is not listening');
    return { ...this.boundAddress };
  }

  /** The connections that are up. @example
   * {@includeCode ../../docs/api-examples/tcp.ts#peers} */
  peers(): TcpPeer[] {
    return [...this.live];
  }

  /** Plain counters. @example
   * {@includeCode ../../docs/api-examples/tcp.ts#stats} */
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

  /** Link metrics (docs/operations.md#metrics): links up, down and refused, by reason; the longest silence among live links. @example
   * {@includeCode ../../docs/api-examples/tcp.ts#metrics} */
  metrics(): CtpLinkMetrics {
    return this.linkMeter.read(this.guards.liveness.oldestSilence());
  }

  /**
   * Stop listening and dialling, end every connection (flushing what is
   * queued, destroying what does not close within `closeTimeoutMs`), clear
   * every timer. Resolves when every socket is closed (never rejects). The host gets `peerDown`
   * for each connection that was up, and the transport emits `disconnect`. @example
   * {@includeCode ../../docs/api-examples/tcp.ts#close}
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      this.guards.stop();
      this.dialling.stop();
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
      (conn, line) => this.inbound.line(conn, line),
      (conn, bytes) => this.inbound.oversized(conn, bytes),
    );
    this.conns.add(c);
    if (dialer !== undefined) this.dialling.adopted(c, dialer);
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
      if (!c.up) return;
      // Every complete line first, then one write per connection they answered (outbox.ts).
      this.outbox.beginRead();
      try {
        this.guards.push(c, chunk);
      } finally {
        this.outbox.endRead();
      }
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

  /** An inbound connection refused before it reached the router. */
  private refuse(remote: string, reason: TcpRefusedReason, err: Error): void {
    this.counters.refused++;
    this.linkMeter.linkRefused(reason);
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
    this.outbox.schedule(c);
    try {
      host.peerUp(c);
    } catch (err) {
      this.reportError(err);
    }
    this.guards.up();
    if (c.socket.isPaused()) c.socket.resume();
    if (c.up) this.linkMeter.linkUp();
    if (c.up) this.emit('connect', c);
  }

  /** Take a connection from the host (once): `peerDown`, `disconnect`. */
  private takeDown(c: TcpConnection, reason: TcpCloseReason): void {
    if (!c.up) return;
    c.up = false;
    this.live.delete(c);
    this.outbox.forget(c);
    debug('connection %s down: %s', c, reason);
    try {
      this.host?.peerDown(c);
    } catch (err) {
      this.reportError(err);
    }
    this.linkMeter.linkDown(reason);
    this.emit('disconnect', c, reason);
    const rid = c.routerId;
    if (rid !== undefined && this.links.remove(rid, c)) {
      // The link a parked dialer duplicated is gone: dial again.
      if (this.closing === undefined) this.dialling.unlinked(rid);
    }
  }

  private onClose(c: TcpConnection): void {
    // Open connections' bytes are counted by their sockets (stats()); keep a closed one's.
    if (this.conns.has(c)) this.counters.bytesOut += c.socket.bytesWritten;
    this.guards.closed(c);
    c.closed();
    this.conns.delete(c);
    this.takeDown(c, c.closeReason ?? 'closed');
    this.dialling.closed(c, this.closing !== undefined);
  }

  /** A frame for the router. */
  private receive(c: TcpConnection, line: Buffer): void {
    try {
      (this.host as TcpHost).receive(c, line);
    } catch (err) {
      this.reportError(err);
    }
  }

  private slowConsumer(c: TcpConnection): void {
    this.counters.slowConsumers++;
    debug('connection %s is a slow consumer: closing it', c);
    // No more frames for it from now on...
    this.live.delete(c);
    this.outbox.forget(c);
    c.destroy('slow-consumer');
    // ...but we are inside the router's `send`: tell it once that returns.
    queueMicrotask(() => this.takeDown(c, 'slow-consumer'));
  }

  /** Close a connection the guards condemned (dead, handshake timeout, buffer budget, evicted). */
  private condemn(c: TcpConnection, reason: TcpCloseReason): void {
    this.live.delete(c);
    this.outbox.forget(c);
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
