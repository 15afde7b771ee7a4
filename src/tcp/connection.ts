/**
 * One TCP connection: the peer handle the router sees, its line splitter and
 * its outbound queue. The transport owns the lifecycle; this file holds the
 * per-connection state and the batched, bounded writer.
 */
import type { Socket } from 'node:net';
import { LineSplitter } from './line-splitter.js';

/** Why a connection ended. */
export type TcpCloseReason =
  | 'closed' // the other side closed it, or the socket failed
  | 'slow-consumer' // it did not drain and its queue passed `maxQueuedBytes`
  | 'duplicate' // a second link to the same router: the other one is kept
  | 'self' // a connection to this very router
  | 'closing'; // `close()`

/**
 * The peer handle `TcpTransport` gives the router: one TCP connection. The
 * router only compares it by identity; the fields are for logs and `authorize`.
 */
export interface TcpPeer {
  /** Connection number, unique per transport. */
  readonly id: number;
  /** `'in'`: accepted on the listening socket; `'out'`: dialled. */
  readonly direction: 'in' | 'out';
  /** The other end's address and port. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** For dialled connections: the `'host:port'` it was dialled as. */
  readonly target: string | undefined;
  /** The router id the other end announced in its hello line, if it sent one. */
  readonly routerId: string | undefined;
  /** Is the connection still up? */
  readonly isOpen: boolean;
}

/** @internal */
export class TcpConnection implements TcpPeer {
  routerId: string | undefined;
  /** The other end's transport instance, from its hello. */
  instance: string | undefined;
  /** Handed to the host (`peerUp` called, `peerDown` not yet). */
  up = false;
  /** No line has arrived yet: the first may be a hello. */
  firstLine = true;
  closeReason: TcpCloseReason | undefined;
  readonly splitter: LineSplitter;
  private out: string[] = [];
  private outBytes = 0;
  private blocked = false;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly id: number,
    readonly direction: 'in' | 'out',
    readonly socket: Socket,
    readonly target: string | undefined,
    maxFrameBytes: number,
    onLine: (c: TcpConnection, line: Buffer) => boolean,
    onOversized: (c: TcpConnection, bytes: number) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.splitter = new LineSplitter(
      maxFrameBytes,
      (line) => onLine(this, line),
      (bytes) => onOversized(this, bytes),
    );
  }

  readonly remoteAddress: string;
  readonly remotePort: number;

  get isOpen(): boolean {
    return this.closeReason === undefined;
  }

  /** Queue one frame; `false` when the queue would pass `limit` (a slow consumer). */
  enqueue(frame: string, limit: number): boolean {
    this.out.push(frame);
    // String length, not bytes: cheap, and within 3x of the UTF-8 size.
    this.outBytes += frame.length + 1;
    return this.outBytes + this.socket.writableLength <= limit;
  }

  /** Has queued frames that a flush would write. */
  get pending(): boolean {
    return this.out.length > 0 && !this.blocked;
  }

  /**
   * Write every queued frame in one `write` (unless the socket asked to wait
   * for `drain`). Bytes are counted by the socket (`bytesWritten`), not by
   * measuring the string again: that was a second pass over every byte sent.
   */
  flush(): void {
    if (this.blocked || this.out.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    const data = this.out.length === 1 ? `${this.out[0] as string}\n` : `${this.out.join('\n')}\n`;
    this.out = [];
    this.outBytes = 0;
    if (!this.socket.write(data)) this.blocked = true;
  }

  /** The socket drained: writing may go on. */
  drained(): void {
    this.blocked = false;
  }

  /** End gracefully (flushing what is queued), destroying after `timeoutMs`. */
  end(reason: TcpCloseReason, timeoutMs: number): void {
    if (this.closeReason === undefined) this.closeReason = reason;
    this.blocked = false;
    this.flush();
    this.socket.end();
    if (this.closeTimer === undefined && !this.socket.destroyed) {
      this.closeTimer = setTimeout(() => this.socket.destroy(), timeoutMs);
      this.closeTimer.unref();
    }
  }

  /** Close at once, dropping whatever is queued. */
  destroy(reason: TcpCloseReason): void {
    if (this.closeReason === undefined) this.closeReason = reason;
    this.out = [];
    this.outBytes = 0;
    this.socket.destroy();
  }

  /** The socket closed: clear timers. */
  closed(): void {
    if (this.closeReason === undefined) this.closeReason = 'closed';
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.out = [];
    this.outBytes = 0;
    this.splitter.reset();
  }

  toString(): string {
    return `#${this.id} ${this.direction === 'in' ? 'from' : 'to'} ${this.remoteAddress}:${this.remotePort}${this.routerId === undefined ? '' : ` (${this.routerId})`}`;
  }
}
