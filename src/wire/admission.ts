/**
 * Inbound admission: one frame from a peer becomes a decoded message, or a
 * drop with its reason (PROTOCOL.md sections 6 and 8) — a peer that is down, a
 * frame too large or not UTF-8, a codec refusal, `authorize` saying no.
 */
import { isUtf8 } from 'node:buffer';
import { jsonCodec } from './codec.js';
import { CtpCallbackError, CtpDecodeError } from '../base/errors.js';
import type { DropReason } from '../events.js';
import type { CtpCodec, CtpMessage } from '../base/messages.js';
import type { CtpReport } from './outbound.js';

/**
 * Bytes to text: `isUtf8` (one SIMD pass) and `toString`, cheaper than a fatal
 * TextDecoder; a leading BOM is dropped as TextDecoder does.
 */
function utf8Text(raw: Uint8Array): string | undefined {
  if (!isUtf8(raw)) return undefined;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', bom);
}

export interface CtpAdmissionOptions<P> {
  maxFrameBytes: number;
  codec: CtpCodec;
  authorize: ((peer: P, msg: CtpMessage) => boolean) | undefined;
}

export class CtpAdmission<P> {
  /** The text of the frame last admitted (forwarding patches it instead of re-encoding). */
  text = '';
  /**
   * The messages admitted are as the default codec checked them (no custom
   * codec, no `authorize` that could change them): a RESPONSE's or EVENT's
   * destination is a well-formed virtual node of its node.
   */
  readonly checked: boolean;

  constructor(
    private readonly opts: CtpAdmissionOptions<P>,
    private readonly isDown: (peer: P) => boolean,
    private readonly report: CtpReport<P>,
  ) {
    this.checked = opts.codec === jsonCodec && opts.authorize === undefined;
  }

  /** The decoded message, or `undefined` once the drop is reported. */
  admit(peer: P, raw: string | Uint8Array): CtpMessage | undefined {
    this.text = '';
    if (this.isDown(peer)) return this.refuse(peer, 'peer-down');
    const max = this.opts.maxFrameBytes;
    let frame: string;
    if (typeof raw === 'string') {
      // A string's UTF-8 length is at most three bytes a code unit: measure only when it could matter.
      if (raw.length > max || (raw.length * 3 > max && Buffer.byteLength(raw) > max)) return this.refuse(peer, 'too-large');
      frame = raw;
    } else if (raw instanceof Uint8Array) {
      if (raw.byteLength > max) return this.refuse(peer, 'too-large');
      const text = utf8Text(raw);
      if (text === undefined) return this.refuse(peer, 'malformed', 'the frame is not UTF-8');
      frame = text;
    } else return this.refuse(peer, 'malformed', 'the frame is not text');

    let msg: CtpMessage;
    try {
      msg = this.opts.codec.decode(frame);
      if (typeof msg !== 'object' || msg === null || typeof msg.t !== 'string') throw new CtpDecodeError('malformed', 'the codec returned no message');
    } catch (err) {
      const reason = err instanceof CtpDecodeError ? (err.reason as DropReason) : 'malformed';
      return this.refuse(peer, reason, (err as Error)?.message);
    }
    const authorize = this.opts.authorize;
    if (authorize !== undefined) {
      let ok = false;
      try {
        ok = authorize(peer, msg) === true;
      } catch (err) {
        this.report.error(new CtpCallbackError('authorize', err));
      }
      if (!ok) {
        this.report.drop(peer, 'unauthorized', { t: msg.t });
        return undefined;
      }
    }
    this.text = frame;
    return msg;
  }

  private refuse(peer: P, reason: DropReason, message?: string): undefined {
    this.report.drop(peer, reason, message === undefined ? undefined : { message });
    return undefined;
  }
}
