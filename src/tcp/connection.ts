/**
 * One TCP connection: the peer handle the router sees, its line splitter and
 * its outbound queue. The transport owns the lifecycle; this file holds the
 * per-connection state and the batched, bounded writer.
 */
import type { Socket } from 'node:net';
import { LineSplitter } from './line-splitter.js';
import { AdvertQueueIndex, type AdvertKey } from './supersede.js';

/** Why a connection ended. */
export type TcpCloseReason =
  | 'closed' // the other side closed it, or the socket failed
  | 'slow-consumer' // it did not drain and its queue passed `maxQueuedBytes`
  | 'duplicate' // a second link to the same router: the other one is kept
  | 'self' // a connection to this very router
  | 'identity-mismatch' // its hello or a frame names a router other than its certificate (or its `id@` target)
  | 'closing' // `close()`
  | 'dead' // nothing (no frame, no heartbeat) arrived for `deadAfterMs`
  | 'handshake-timeout' // no first complete frame, or a partial frame not completed, within `handshakeTimeoutMs`
  | 'buffer-budget' // it held one of the largest partial frames when `maxBufferedBytes` was passed
  | 'evicted'; // `maxConnections` was reached and it had not delivered a frame yet: room for a new one

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
  /** The router id the other end announced in its hello line, if it sent one (with TLS: its certificate's CN from the start). */
  readonly routerId: string | undefined;
  /** With TLS: the subject CN of the other end's verified certificate, its router id. `undefined` without TLS. */
  readonly identity: string | undefined;
  /** Is the connection still up? */
  readonly isOpen: boolean;
}

/** @internal */
export class TcpConnection implements TcpPeer {
  routerId: string | undefined;
  /** The verified certificate's CN (TLS only). */
  identity: string | undefined;
  /** The router id this link must speak for (its certificate's CN, or the `id@` of its target); `undefined`: any. */
  expectedId: string | undefined;
  /** When its router id was settled (hello, or first line with TLS), `Date.now()`. */
  linkedAt = 0;
  /** When it was handed to the host, `Date.now()`. */
  upAt = 0;
  /** Some line arrived. */
  heard = false;
  /** The socket's last error, for reports. */
  lastError: Error | undefined;
  /** Why it was refused before it became a link (the other end's bye, a hello naming another router, this router itself): reported as `dialError` when dialled. */
  refusal: Error | undefined;
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
  /** Queued REPORTNODE frames by the adverts they carry, for `supersede`. */
  private readonly advertIndex = new AdvertQueueIndex();
  /** Queued entries emptied by `supersede` (skipped by `flush`). */
  private holes = 0;
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

  /**
   * Queue a REPORTNODE frame carrying `adverts`: it takes the place of the
   * queued frames whose adverts it all supersedes (same origins, seq not
   * above its own), the others are dropped; without such a frame it is queued
   * at the end. Returns how many queued frames it replaced, or -1 when the
   * queue would pass `limit` (a slow consumer).
   */
  enqueueAdverts(frame: string, adverts: readonly AdvertKey[], limit: number): number {
    const replaced = this.advertIndex.superseded(adverts);
    if (replaced.length === 0) {
      this.advertIndex.add(this.out.length, adverts);
      return this.enqueue(frame, limit) ? 0 : -1;
    }
    const [first, ...rest] = replaced as [number, ...number[]];
    for (const i of replaced) {
      this.outBytes -= (this.out[i] as string).length + 1;
      this.out[i] = '';
    }
    this.holes += rest.length;
    this.out[first] = frame;
    this.outBytes += frame.length + 1;
    this.advertIndex.add(first, adverts);
    return this.outBytes + this.socket.writableLength <= limit ? replaced.length : -1;
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
  flush(): number {
    if (this.blocked || this.out.length === 0 || this.socket.destroyed || this.socket.writableEnded)
      return 0;
    const out = this.holes === 0 ? this.out : this.out.filter((f) => f !== '');
    const data = out.length === 1 ? `${out[0] as string}\n` : `${out.join('\n')}\n`;
    this.clearQueue();
    if (!this.socket.write(data)) this.blocked = true;
    return data.length;
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
    this.clearQueue();
    this.socket.destroy();
  }

  /** The socket closed: clear timers. */
  closed(): void {
    if (this.closeReason === undefined) this.closeReason = 'closed';
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.clearQueue();
    this.splitter.reset();
  }

  /** Write a heartbeat (an empty line) now, unless frames are queued or the socket is backed up. */
  heartbeat(): boolean {
    if (
      this.out.length > 0 ||
      this.blocked ||
      this.socket.destroyed ||
      this.socket.writableEnded ||
      this.socket.writableLength > 0
    )
      return false;
    if (!this.socket.write('\n')) this.blocked = true;
    return true;
  }

  private clearQueue(): void {
    this.out = [];
    this.outBytes = 0;
    this.holes = 0;
    this.advertIndex.clear();
  }

  toString(): string {
    return `#${this.id} ${this.direction === 'in' ? 'from' : 'to'} ${this.remoteAddress}:${this.remotePort}${this.routerId === undefined ? '' : ` (${this.routerId})`}`;
  }
}
