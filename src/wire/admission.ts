/**
 * Inbound admission, the checks before decoding (PROTOCOL.md sections 6 and
 * 8): a frame too large or not UTF-8 is refused with its drop reason.
 */
import { isUtf8 } from 'node:buffer';
import type { DropReason } from '../events.js';

/** Why a frame was refused before decoding. */
export interface CtpRefusal {
  readonly reason: DropReason;
  readonly message?: string;
}

const TOO_LARGE: CtpRefusal = Object.freeze({ reason: 'too-large' });
const NOT_UTF8: CtpRefusal = Object.freeze({
  reason: 'malformed',
  message: 'the frame is not UTF-8',
});
const NOT_TEXT: CtpRefusal = Object.freeze({
  reason: 'malformed',
  message: 'the frame is not text',
});

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

/** The frame as text within `max` UTF-8 bytes, or why it is refused. */
export function frameText(raw: unknown, max: number): string | CtpRefusal {
  if (typeof raw === 'string') {
    // A string's UTF-8 length is at most three bytes a code unit: measure only when it could matter.
    if (raw.length > max || (raw.length * 3 > max && Buffer.byteLength(raw) > max))
      return TOO_LARGE;
    return raw;
  }
  if (!(raw instanceof Uint8Array)) return NOT_TEXT;
  if (raw.byteLength > max) return TOO_LARGE;
  return utf8Text(raw) ?? NOT_UTF8;
}
