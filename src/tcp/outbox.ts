/**
 * The transport's outbound side: `send` (its argument checks), frames queued
 * per connection (a REPORTNODE replaces the queued frames whose adverts it
 * all supersedes: supersede.ts), a connection whose queue would pass
 * `maxQueuedBytes` handed back as a slow consumer, and one write per
 * connection per batch: what a socket read produced is written at the end of
 * that read (`reading`/`endRead`), what is sent outside a read (timers, the
 * app) once the current tick's synchronous work and microtasks are done
 * (`process.nextTick`). Neither waits for a whole event-loop turn: with a
 * `setImmediate` flush the two ends of a link take turns, one idle while
 * the other works (issue 24).
 */
import type { CtpSendInfo } from '../base/callbacks.js';
import { argumentError } from '../base/errors.js';
import type { TcpConnection, TcpPeer } from './connection.js';

/** What the outbox needs from the transport. @internal */
export interface TcpOutboxHost {
  /** The connections handed to the router. */
  readonly live: ReadonlySet<TcpConnection>;
  /** `c` cannot keep up (its queue is full): close it as a slow consumer. */
  slowConsumer(c: TcpConnection): void;
}

/** The transport's counters the outbox keeps (part of `TcpStats`). */
export interface TcpOutboxCounters {
  framesOut: number;
  superseded: number;
}

/** The frames queued toward the transport's connections. @internal */
export class TcpOutbox {
  private readonly dirty = new Set<TcpConnection>();
  private flushScheduled = false;
  /** Socket reads being processed (nested: a read's handler may cause another). */
  private reads = 0;

  constructor(
    private readonly maxQueuedBytes: number,
    private readonly counters: TcpOutboxCounters,
    private readonly host: TcpOutboxHost,
  ) {}

  /** The transport's `send`: `frame` to `peer`, or to every live connection when `peer` is `null`. */
  send(peer: TcpPeer | null, frame: string, info: CtpSendInfo<TcpPeer> | undefined): void {
    if (typeof frame !== 'string') throw argumentError('frame', 'a string', frame);
    // A raw line break would split the frame in two on the wire.
    if (frame.includes('\n')) throw argumentError('frame', 'a frame without line breaks', frame);
    if (peer === null) {
      for (const c of this.host.live) this.enqueue(c, frame, info);
      return;
    }
    if (this.host.live.has(peer as TcpConnection)) this.enqueue(peer as TcpConnection, frame, info);
  }

  private enqueue(c: TcpConnection, frame: string, info?: CtpSendInfo<TcpPeer>): void {
    this.counters.framesOut++;
    const adverts = info?.adverts;
    const replaced =
      adverts === undefined || adverts.length === 0
        ? c.enqueue(frame, this.maxQueuedBytes)
          ? 0
          : -1
        : c.enqueueAdverts(frame, adverts, this.maxQueuedBytes);
    if (replaced > 0) this.counters.superseded += replaced;
    if (replaced < 0) {
      this.host.slowConsumer(c);
      return;
    }
    this.schedule(c);
  }

  /** Write what `c` has queued in the current batch's flush. */
  schedule(c: TcpConnection): void {
    this.dirty.add(c);
    // Inside a read: `endRead` writes it.
    if (this.flushScheduled || this.reads > 0) return;
    this.flushScheduled = true;
    process.nextTick(this.flushAll);
  }

  /** A socket read is being processed: what it sends is written by `endRead`. */
  beginRead(): void {
    this.reads++;
  }

  /** The read is processed: write every connection it queued frames for. */
  endRead(): void {
    if (--this.reads === 0 && this.dirty.size > 0) this.flushAll();
  }

  /** `c` is going: nothing more is written to it. */
  forget(c: TcpConnection): void {
    this.dirty.delete(c);
  }

  /** One write per connection per batch. */
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    for (const c of this.dirty) c.flush();
    this.dirty.clear();
  };
}
