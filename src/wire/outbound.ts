/**
 * Outbound: every frame the router sends goes through here — the host's
 * `send` callback, its failures (a throw or a rejected promise, reported as
 * `error`), and the frame counters.
 */
import createDebug from 'debug';
import { CtpCallbackError } from '../base/errors.js';
import type { CtpReport } from './report.js';
import type { CtpSendCallback, CtpSendInfo } from '../base/callbacks.js';
import type { CtpCodec, CtpMessage } from '../base/messages.js';
import { describeFrame, peerLabel } from './trace.js';
import { countFrame, frameTally } from '../metrics/meter.js';

const debug = createDebug('ctp:outbound');

/** Who is sending, for the debug lines: the router's id and the router id a peer is bound to. */
export interface CtpOutboundTrace<P> {
  readonly id: string;
  neighbor(peer: P): string | undefined;
}

/** Frame counters (`stats()`). */
export interface CtpCounters {
  framesIn: number;
  framesOut: number;
  forwarded: number;
}

export class CtpOutbound<P> {
  readonly counters: CtpCounters = { framesIn: 0, framesOut: 0, forwarded: 0 };
  /** Frames sent, by type (`ctp_frames_total`). */
  readonly sentByType = frameTally();
  /** Set by `close()`: nothing is sent any more. */
  closed = false;
  /**
   * `send` is declared with a third parameter: it wants `CtpSendInfo`. A
   * two-parameter `send` (PROTOCOL.md section 2) is always called with two.
   */
  private readonly wantsInfo: boolean;

  constructor(
    private readonly sendCb: CtpSendCallback<P>,
    readonly codec: CtpCodec,
    private readonly report: CtpReport<P>,
    /** Frames this router originates larger than this (UTF-8 bytes) are refused, not sent. */
    private readonly maxFrameBytes = Number.POSITIVE_INFINITY,
    private readonly trace?: CtpOutboundTrace<P>,
  ) {
    this.wantsInfo = sendCb.length >= 3;
  }

  /**
   * Encode and send `msg`; see `frame`. Returns false, sending nothing, when
   * the encoded frame is larger than `maxFrameBytes` (the receiver would drop
   * it as `too-large`): the caller answers `ERROR` reason `too-large` at once.
   */
  message(peer: P | null, msg: CtpMessage, onFail?: () => void): boolean {
    const frame = this.codec.encode(msg);
    if (tooLarge(frame, this.maxFrameBytes)) return false;
    if (debug.enabled && !this.closed)
      debug('%s -> %s peer=%s', this.trace?.id, describeFrame(msg), this.label(peer));
    this.frame(peer, frame, onFail, undefined, msg.t);
    return true;
  }

  /** Call `send`, reporting a throw or rejection as `error`; `onFail` runs then. `info` goes to `send` when given; `t`: the frame's type, for `ctp_frames_total`. */
  frame(
    peer: P | null,
    frame: string,
    onFail?: () => void,
    info?: CtpSendInfo<P>,
    t?: string,
  ): void {
    if (this.closed) return;
    if (info?.adverts !== undefined && debug.enabled)
      debug(
        '%s -> REPORTNODE adverts=%s peer=%s (%d bytes)',
        this.trace?.id,
        info.adverts.map((a) => `${a.origin}:${a.seq}`).join(','),
        this.label(peer),
        frame.length,
      );
    this.counters.framesOut++;
    if (t !== undefined) countFrame(this.sentByType, t);
    // No closure per frame: only a failure (or a promise) makes one.
    try {
      const r =
        info === undefined || !this.wantsInfo
          ? this.sendCb(peer, frame)
          : this.sendCb(peer, frame, info);
      if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function')
        (r as Promise<void>).then(undefined, (err: unknown) => this.failed(err, onFail));
    } catch (err) {
      this.failed(err, onFail);
    }
  }

  private label(peer: P | null): string {
    return peerLabel(peer === null ? undefined : this.trace?.neighbor(peer), peer === null);
  }

  private failed(err: unknown, onFail: (() => void) | undefined): void {
    debug('%s send failed: %s', this.trace?.id, err instanceof Error ? err.message : String(err));
    this.report.error(new CtpCallbackError('send', err));
    onFail?.();
  }
}

/**
 * Is `frame` larger than `max` UTF-8 bytes? A string of n UTF-16 units takes
 * at most 3n bytes: only a frame that could be too large is measured, so the
 * common small frame costs one comparison.
 */
export function tooLarge(frame: string, max: number): boolean {
  return frame.length * 3 > max && (frame.length > max || Buffer.byteLength(frame, 'utf8') > max);
}
