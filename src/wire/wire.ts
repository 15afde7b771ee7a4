/**
 * The wire role: the edge every frame crosses. Inbound, a frame from a peer
 * is admitted (its peer's advert budget: advert-budget.ts; size, UTF-8),
 * decoded by the codec, authorized, and handed to
 * the one `CtpWireHandler` by its kind (`onAdverts`, `onTableRequest`,
 * `onHostBound`, `onRegistrantBound`), or dropped with its reason.
 * Outbound, every frame goes through `out` (the `send` callback, its
 * failures, the counters). Drops, errors and events go through `report`.
 */
import createDebug from 'debug';
import { CtpCallbackError, CtpDecodeError, CtpInternalError } from '../base/errors.js';
import type { CtpSendCallback } from '../base/callbacks.js';
import type {
  CtpCodec,
  CtpHostBoundMessage,
  CtpMessage,
  CtpRegistrantBoundMessage,
  CtpReportNode,
  CtpUpdateNode,
} from '../base/messages.js';
import type { DropReason } from '../events.js';
import { frameText } from './admission.js';
import { BULK_FRAME_BYTES, CtpAdvertBudget, frameSize } from './advert-budget.js';
import { systemClock, type CtpClock } from '../base/clock.js';
import { jsonCodec } from './codec.js';
import { CtpOutbound } from './outbound.js';
import { countFrame, frameTally } from '../metrics/meter.js';
import type { CtpReporter } from './report.js';
import { describeFrame } from './trace.js';

const debug = createDebug('ctp:router');

/** Where decoded frames go (the link-state role: it floods adverts and routes the rest). */
export interface CtpWireHandler<P> {
  /** Frames from `peer` are refused until its next `peerUp` (`peer-down`). */
  isDown(peer: P): boolean;
  /** The router id `peer` is bound to, for debug lines. */
  neighborOf(peer: P): string | undefined;
  /** REPORTNODE. */
  onAdverts(peer: P, msg: CtpReportNode): void;
  /** UPDATENODE. */
  onTableRequest(peer: P, msg: CtpUpdateNode): void;
  /** REGISTER, UNREGISTER, START, STOP, COMMAND, POST (`text`: the frame as it came, for forwarding). */
  onHostBound(msg: CtpHostBoundMessage, peer: P, text: string): void;
  /** RESPONSE, EVENT; `checked`: as the default codec checked it (the destination is a well-formed virtual node). */
  onRegistrantBound(msg: CtpRegistrantBoundMessage, peer: P, text: string, checked: boolean): void;
}

export interface CtpWireOptions<P> {
  id: string;
  maxFrameBytes: number;
  /** The advert budget's rate (advert-budget.ts); absent: none. */
  maxAdvertBytesPerSecond?: number;
  /** The budget's clock; absent: the system clock. */
  clock?: CtpClock;
  authorize: ((peer: P, msg: CtpMessage) => boolean) | undefined;
}

export class CtpWire<P> {
  /** Every frame the router sends. */
  readonly out: CtpOutbound<P>;
  /** Frames received, by type (`ctp_frames_total`). */
  readonly receivedByType = frameTally();
  /**
   * The messages admitted are as the default codec checked them (no custom
   * codec, no `authorize` that could change them).
   */
  private readonly checked: boolean;
  private handler: CtpWireHandler<P> | undefined;
  /** Each peer's advert bytes: bulk frames of a peer over it wait (advert-budget.ts). */
  readonly budget: CtpAdvertBudget<P>;

  constructor(
    /** The codec every frame goes through, both ways. */
    readonly codec: CtpCodec,
    send: CtpSendCallback<P>,
    readonly report: CtpReporter<P>,
    private readonly opts: CtpWireOptions<P>,
  ) {
    this.checked = codec === jsonCodec && opts.authorize === undefined;
    this.out = new CtpOutbound(send, codec, report, opts.maxFrameBytes, this);
    this.budget = new CtpAdvertBudget(
      opts.clock ?? systemClock,
      opts.maxAdvertBytesPerSecond ?? 0,
      opts.maxFrameBytes,
      this,
    );
  }

  /** Inbound frames go to `handler` from now on. */
  attach(handler: CtpWireHandler<P>): void {
    this.handler = handler;
  }

  get id(): string {
    return this.opts.id;
  }

  /** Outbound debug lines: the router id a peer is bound to. */
  neighbor(peer: P): string | undefined {
    return this.handler?.neighborOf(peer);
  }

  /**
   * `router.receive`: admit one frame from `peer`, decode it, hand it on.
   * Never throws: an internal fault is reported as `error`. No closure per
   * frame (the hot path, BENCHMARKS.md).
   */
  receive(peer: P, raw: string | Uint8Array): void {
    const handler = this.handler;
    if (handler === undefined || this.out.closed) return;
    try {
      this.out.counters.framesIn++;
      if (handler.isDown(peer)) return this.report.drop(peer, 'peer-down');
      const size = frameSize(raw);
      if (!this.budget.hold(peer, raw, size)) this.admit(handler, peer, raw, size);
    } catch (err) {
      this.report.error(new CtpInternalError('receive', err));
    }
  }

  /** A frame the advert budget held is due (`CtpBudgetDoor`). */
  release(peer: P, raw: string | Uint8Array): void {
    const handler = this.handler;
    if (handler === undefined || this.out.closed) return;
    try {
      if (handler.isDown(peer)) return this.report.drop(peer, 'peer-down');
      this.admit(handler, peer, raw, frameSize(raw));
    } catch (err) {
      this.report.error(new CtpInternalError('receive', err));
    }
  }

  /** A bulk frame of a peer past its advert budget, with `maxFrameBytes` held already (`CtpBudgetDoor`). */
  refuse(peer: P): void {
    this.report.drop(peer, 'rate-limited', {
      message: 'past maxAdvertBytesPerSecond with maxFrameBytes of frames waiting; not decoded',
    });
  }

  /** Size, UTF-8, decode, authorize, dispatch; then charge the advert budget. */
  private admit(handler: CtpWireHandler<P>, peer: P, raw: string | Uint8Array, size: number): void {
    const text = frameText(raw, this.opts.maxFrameBytes);
    if (typeof text !== 'string')
      return this.report.drop(
        peer,
        text.reason,
        text.message === undefined ? undefined : { message: text.message },
      );
    const drops = this.report.dropTotal;
    const msg = this.decode(peer, text);
    if (msg !== undefined) this.dispatch(handler, peer, msg, text);
    if (msg?.t === 'REPORTNODE' || (size >= BULK_FRAME_BYTES && this.report.dropTotal !== drops))
      this.budget.charge(peer, size);
  }

  /** The decoded, authorized message, or `undefined` once the drop is reported. */
  private decode(peer: P, text: string): CtpMessage | undefined {
    let msg: CtpMessage;
    try {
      msg = this.codec.decode(text);
      if (typeof msg !== 'object' || msg === null || typeof msg.t !== 'string')
        throw new CtpDecodeError('malformed', 'the codec returned no message');
    } catch (err) {
      const reason = err instanceof CtpDecodeError ? (err.reason as DropReason) : 'malformed';
      const message = (err as Error | undefined)?.message;
      this.report.drop(peer, reason, message === undefined ? undefined : { message });
      return undefined;
    }
    const authorize = this.opts.authorize;
    if (authorize === undefined) return msg;
    let ok = false;
    try {
      ok = authorize(peer, msg) === true;
    } catch (err) {
      this.report.error(new CtpCallbackError('authorize', err));
    }
    if (ok) return msg;
    this.report.drop(peer, 'unauthorized', { t: msg.t });
    return undefined;
  }

  private dispatch(handler: CtpWireHandler<P>, peer: P, msg: CtpMessage, text: string): void {
    if (debug.enabled)
      debug('%s <- %s peer=%s', this.opts.id, describeFrame(msg), handler.neighborOf(peer) ?? '?');
    countFrame(this.receivedByType, msg.t);
    switch (msg.t) {
      case 'REPORTNODE':
        return handler.onAdverts(peer, msg);
      case 'UPDATENODE':
        return handler.onTableRequest(peer, msg);
      case 'REGISTER':
      case 'UNREGISTER':
      case 'START':
      case 'STOP':
      case 'COMMAND':
      case 'POST':
        return handler.onHostBound(msg, peer, text);
      case 'RESPONSE':
      case 'EVENT':
        return handler.onRegistrantBound(msg, peer, text, this.checked);
      default:
        return this.report.drop(peer, 'unknown-type');
    }
  }

  /** Nothing is sent or received any more. */
  close(): void {
    this.out.closed = true;
    this.budget.close();
  }
}
