/**
 * One dialled address: connects, and reconnects with exponential backoff and
 * jitter when the dial fails or the connection drops. A dialer whose
 * connection was closed as a duplicate link "parks" until the link it
 * duplicated goes down, so two routers that dial each other keep one link.
 */
import createDebug from 'debug';
import type { Socket } from 'node:net';
import type { TcpAddress } from './address.js';
import type { TcpConnection } from './connection.js';
import { backoffDelay, type TcpReconnectOptions } from './options.js';
import { openSocket, type TcpOpening } from './tls.js';

const debug = createDebug('ctp:tcp');

/** What a dialer needs from its transport. @internal */
export interface TcpDialerHost {
  /** A dial connected: turn the socket into a connection (undefined when the transport is closing). */
  adopt(socket: Socket, dialer: TcpDialer): TcpConnection | undefined;
  /** A dial failed. */
  dialFailed(dialer: TcpDialer, err: Error): void;
}

/** @internal */
export class TcpDialer {
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private connecting: Socket | undefined;
  private connection: TcpConnection | undefined;
  private stopped = false;
  /** The router id whose live link this dialer's connection duplicated. */
  parkedOn: string | undefined;
  /** The router id expected at the target (`'id@host:port'`). */
  expectedId: string | undefined;

  constructor(
    readonly target: string,
    private readonly address: TcpAddress,
    private readonly reconnect: Required<TcpReconnectOptions> | undefined,
    private readonly connectTimeoutMs: number,
    private readonly host: TcpDialerHost,
    /** Opens the socket (plain TCP by default; TLS when the transport has `tls`). */
    private readonly open: () => TcpOpening = () => openSocket(address, undefined, undefined),
  ) {}

  /** Dial now. */
  start(): void {
    if (
      !this.stopped &&
      this.timer === undefined &&
      this.connecting === undefined &&
      this.connection === undefined
    )
      this.dial();
  }

  /** The peer answered (its first line arrived): the next failure starts from the initial delay again. */
  resetBackoff(): void {
    this.attempt = 0;
  }

  /** This dialer's connection was closed as a duplicate of a live link to `routerId`: wait for that link to end. */
  park(routerId: string): void {
    this.parkedOn = routerId;
  }

  /** The link this dialer parked on went down: dial again (after the initial delay). */
  unpark(): void {
    if (this.parkedOn === undefined) return;
    this.parkedOn = undefined;
    this.attempt = 0;
    if (this.connection === undefined) this.retry();
  }

  /** Its connection closed. */
  connectionClosed(c: TcpConnection): void {
    if (this.connection !== c) return;
    this.connection = undefined;
    this.retry();
  }

  /** Stop for good: clear the timer, abort a dial in progress. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.connecting?.destroy();
    this.connecting = undefined;
  }

  private dial(): void {
    this.timer = undefined;
    if (this.stopped) return;
    debug('dialling %s (attempt %d)', this.target, this.attempt + 1);
    const { socket, ready } = this.open();
    this.connecting = socket;
    const cleanup = (): void => {
      socket.removeListener('error', onError);
      socket.removeListener('timeout', onTimeout);
      socket.removeListener(ready, onConnect);
      socket.setTimeout(0);
      this.connecting = undefined;
    };
    const fail = (err: Error): void => {
      cleanup();
      socket.on('error', () => {});
      socket.destroy();
      if (this.stopped) return;
      this.host.dialFailed(this, err);
      this.retry();
    };
    const onError = (err: Error): void => fail(err);
    const onTimeout = (): void =>
      fail(Object.assign(new Error(`connect to ${this.target} timed out`), { code: 'ETIMEDOUT' }));
    const onConnect = (): void => {
      cleanup();
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.connection = this.host.adopt(socket, this);
    };
    socket.once('error', onError);
    socket.once(ready, onConnect);
    socket.setTimeout(this.connectTimeoutMs);
    socket.once('timeout', onTimeout);
  }

  private retry(): void {
    if (
      this.stopped ||
      this.parkedOn !== undefined ||
      this.reconnect === undefined ||
      this.timer !== undefined
    )
      return;
    const delay = backoffDelay(this.reconnect, this.attempt);
    this.attempt++;
    debug('redialling %s in %d ms', this.target, delay);
    // Ref'd on purpose: a process whose only job is this link stays up while it reconnects.
    this.timer = setTimeout(() => this.dial(), delay);
  }
}
