/**
 * The transport's dialling: one dialer (dialer.ts) per `connect` address,
 * which dialer made which connection, and what a dialled connection's close
 * means for its dialer — a dial that did not get through (reported as
 * `dialError`, dial-errors.ts), a stable link (the backoff starts again), a
 * duplicate of a live link (the dialer parks until that link is gone).
 */
import createDebug from 'debug';
import type { Socket } from 'node:net';
import type { TcpConnection } from './connection.js';
import { dialFailure } from './dial-errors.js';
import { TcpDialer, type TcpDialerHost } from './dialer.js';
import type { TcpLinks } from './links.js';
import type { TcpResolvedOptions } from './options.js';
import { openSocket } from './tls.js';

const debug = createDebug('ctp:tcp');

/** A dialled link that lived this long resets its dialler's backoff when it closes (a refused newcomer lives far shorter). */
const STABLE_LINK_MS = 1000;

/** What the dialling needs from the transport. @internal */
export interface TcpDiallingHost {
  /** A dial connected: turn the socket into a connection (undefined when the transport is closing). */
  adopt(socket: Socket, dialer: TcpDialer): TcpConnection | undefined;
  /** A dial attempt failed: emit `dialError`. */
  dialError(target: string, err: Error): void;
}

/** The transport's dialers and the connections they made. @internal */
export class TcpDialling {
  private readonly dialerOf = new Map<TcpConnection, TcpDialer>();
  private readonly dialerHost: TcpDialerHost;

  constructor(
    /** The transport's dialers, filled by `start`. */
    private readonly dialers: TcpDialer[],
    private readonly opts: TcpResolvedOptions,
    private readonly links: TcpLinks<TcpConnection>,
    private readonly counters: { dialFailures: number },
    private readonly host: TcpDiallingHost,
  ) {
    this.dialerHost = {
      adopt: (socket, dialer) => host.adopt(socket, dialer),
      dialFailed: (dialer, err) => this.dialFailed(dialer, err),
    };
  }

  /** Dial every `connect` address. */
  start(): void {
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
  }

  /** `c` is the connection dialer `d` made. */
  adopted(c: TcpConnection, d: TcpDialer): void {
    this.dialerOf.set(c, d);
  }

  /** The dialer `c` came from, when it was dialled. */
  of(c: TcpConnection): TcpDialer | undefined {
    return this.dialerOf.get(c);
  }

  /** The link to router `rid` is gone: dialers parked on it dial again. */
  unlinked(rid: string): void {
    for (const d of this.dialers) if (d.parkedOn === rid) d.unpark();
  }

  /** A connection closed (the router has let it go); `closing`: the transport is closing. */
  closed(c: TcpConnection, closing: boolean): void {
    const rid = c.routerId;
    const d = this.dialerOf.get(c);
    if (d === undefined) return;
    this.dialerOf.delete(c);
    // Closed before it became a link (no line, a refusal): the dial did not get through.
    const failure = !closing
      ? dialFailure(c, d.target, this.opts.tls !== undefined, this.opts.handshakeTimeoutMs)
      : undefined;
    if (failure !== undefined) this.dialFailed(d, failure);
    else if (c.heard && Date.now() - c.upAt >= STABLE_LINK_MS) d.resetBackoff();
    // Closed by the other side while another link to the same router lives
    // (it settled the duplicate first): wait for that link instead of redialling.
    if (rid !== undefined && this.links.has(rid) && d.parkedOn === undefined) d.park(rid);
    d.connectionClosed(c);
  }

  /** Stop every dialer. */
  stop(): void {
    for (const d of this.dialers) d.stop();
  }

  /** A dial attempt failed (every one is reported, with its cause); the dialler retries per `reconnect`. */
  private dialFailed(d: TcpDialer, err: Error): void {
    this.counters.dialFailures++;
    debug('dial %s failed: %s', d.target, err.message);
    this.host.dialError(d.target, err);
  }
}
