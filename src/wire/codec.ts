/**
 * The JSON codec v1 (PROTOCOL.md section 6): pure `encode` and strict `decode`
 * (the per-type field checks are in validate.ts), the `forward` hook that
 * patches `hops` and `ttl` into the received text, and `jsonProblem` for the
 * values a caller sends. A frame that fails any rule throws a `CtpDecodeError`
 * whose `reason` is the drop reason the router reports; decode never returns a
 * half-valid message.
 */
import createDebug from 'debug';
import { PROTOCOL_VERSION, type CtpCodec, type CtpMessage } from '../base/messages.js';
import {
  checkValue,
  CONTROL_FREE,
  fail,
  isObject,
  isSafeNonNegative,
  malformed,
  MAX_CONTENT_DEPTH,
  NO_FACTS,
  provablyShallow,
  SHALLOW,
  validate,
  type Obj,
} from './validate.js';
import { isTraceparent } from '../tracing/traceparent.js';

// The limit is the validation's; the codec has always exported it.
export { MAX_CONTENT_DEPTH };

const debug = createDebug('ctp:codec');

/**
 * Decode one frame strictly. Unknown extra fields are kept (forward
 * compatibility: a forwarded frame keeps them).
 * @throws CtpDecodeError with `reason` `malformed`, `unsupported-version` or `unknown-type`. @example
 * {@includeCode ../../docs/api-examples/codec.ts#decode}
 */
export function decode(frame: string): CtpMessage {
  if (typeof frame !== 'string') malformed('the frame is not text');
  let o: unknown;
  try {
    o = JSON.parse(frame);
  } catch (err) {
    debug('not JSON: %s', (err as Error).message);
    malformed('the frame is not JSON');
  }
  if (!isObject(o)) malformed('the frame is not a JSON object');
  const obj = o as Obj;
  if (Object.prototype.hasOwnProperty.call(obj, '__proto__'))
    malformed('the frame has a `__proto__` key');
  if (typeof obj.v !== 'number' || !Number.isInteger(obj.v) || obj.v < 1)
    malformed('`v` is missing or invalid');
  if ((obj.v as number) > PROTOCOL_VERSION)
    fail('unsupported-version', `version ${obj.v as number} is not supported`);
  if (typeof obj.t !== 'string') malformed('`t` is missing or not a string');
  if (obj.hops !== undefined && !isSafeNonNegative(obj.hops))
    malformed('`hops` is not a safe integer');
  const controlFree = frame.indexOf('\\') < 0 && frame.indexOf('\x7f') < 0;
  const facts = !controlFree ? NO_FACTS : provablyShallow(frame) ? SHALLOW : CONTROL_FREE;
  validate(obj, facts);
  // A frame that carries `traceparent` carries a valid one: relays forward the text as is.
  if (obj.traceparent !== undefined && !isTraceparent(obj.traceparent))
    malformed('`traceparent` is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)');
  // Every other field (adverts, unknown ones) is kept and re-encoded when the
  // frame is forwarded (PROTOCOL.md section 6): bound it as `content` is bounded,
  // so that no frame can overflow the encoder's stack or carry `__proto__`.
  if (!facts.shallow)
    for (const key in obj)
      if (key !== 'content' && key !== 'optionals') checkValue(obj[key], 1, key, facts);
  return obj as unknown as CtpMessage;
}

/** Encode one message as a JSON frame (never contains a raw line break). @example
 * {@includeCode ../../docs/api-examples/codec.ts#encode} */
export function encode(msg: CtpMessage): string {
  return JSON.stringify(msg);
}

/**
 * The frame to forward, patched from the text `frame` (which `decode`
 * accepted, with top-level `hops` equal to `had`) to carry `hops`, without
 * re-encoding it: only `hops` and `ttl` change (PROTOCOL.md section 6). `undefined` when
 * the text cannot be patched with certainty; the caller then re-encodes.
 */
export function withHops(frame: string, had: number | undefined, hops: number): string | undefined {
  // A frame with raw line breaks (whitespace JSON allows) is re-encoded:
  // stream transports frame by newline (PROTOCOL.md section 6).
  if (frame.indexOf('\n') >= 0 || frame.indexOf('\r') >= 0) return undefined;
  if (had === undefined) {
    // Nothing but whitespace can follow the top-level object, whose last
    // key is then a new `hops` (no key decoded to `hops`, escaped or not).
    const end = frame.lastIndexOf('}');
    return end < 0 ? undefined : `${frame.slice(0, end)},"hops":${hops}}`;
  }
  return withNumber(frame, '"hops"', had, hops);
}

/**
 * `frame` with the top-level number field `key` (quoted), now `had`, set to
 * `value`; `undefined` unless the text proves where that field is.
 */
function withNumber(frame: string, key: string, had: number, value: number): string | undefined {
  // Without a backslash every key is spelled literally: a single `key`
  // in the text is the top-level key. Anything else, re-encode.
  const at = frame.indexOf(key);
  if (at < 0 || frame.indexOf(key, at + key.length) >= 0 || frame.indexOf('\\') >= 0)
    return undefined;
  let i = at + key.length;
  while (frame.charCodeAt(i) === 32) i++;
  if (frame.charCodeAt(i) !== 58 /* : */) return undefined;
  i++;
  while (frame.charCodeAt(i) === 32) i++;
  const old = String(had);
  const next = frame.charCodeAt(i + old.length);
  if (!frame.startsWith(old, i) || (next !== 44 /* , */ && next !== 125) /* } */) return undefined;
  return `${frame.slice(0, i)}${value}${frame.slice(i + old.length)}`;
}

/**
 * `withHops`, and when `ttl` is given (the frame's decoded `ttl` was
 * `hadTtl`), `ttl` patched too; `undefined` when either cannot be patched.
 */
export function withHopsAndTtl(
  frame: string,
  had: number | undefined,
  hops: number,
  hadTtl: number | undefined,
  ttl: number | undefined,
): string | undefined {
  const patched = withHops(frame, had, hops);
  if (patched === undefined || ttl === undefined || ttl === hadTtl) return patched;
  return hadTtl === undefined ? undefined : withNumber(patched, '"ttl"', hadTtl, ttl);
}

/**
 * The default codec: JSON v1. Its `forward` hook patches `hops` (and `ttl`) into the text
 * it received instead of re-encoding the frame.
 */
export const jsonCodec: CtpCodec = Object.freeze({
  encode,
  decode,
  forward: (frame: string, msg: CtpMessage, hops: number, ttl?: number): string | undefined =>
    withHopsAndTtl(frame, msg.hops, hops, (msg as { ttl?: number }).ttl, ttl),
});

/**
 * Validate a value the caller wants to send as `content` or `optionals`: it
 * must be what JSON carries unchanged. Returns a message describing the first
 * problem, or `undefined` when the value is fine.
 */
export function jsonProblem(value: unknown, depth = 1, ancestors?: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `a non-finite number (${value})`;
    case 'object': {
      if (value === null) return undefined;
      if (depth > MAX_CONTENT_DEPTH) return `a value nested deeper than ${MAX_CONTENT_DEPTH}`;
      // The chain of enclosing objects (at most MAX_CONTENT_DEPTH): a cycle
      // is an object that encloses itself. No Set per call, and no array
      // either until a nested object needs the chain: this runs on every
      // command and response.
      if (ancestors !== undefined && ancestors.includes(value)) return 'a cycle';
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null)
        return 'an object that is not plain data';
      let seen = ancestors;
      let pushed = false;
      if (Array.isArray(value)) {
        for (const item of value) {
          if (!pushed && typeof item === 'object' && item !== null) {
            (seen ??= []).push(value);
            pushed = true;
          }
          const p = jsonProblem(item, depth + 1, seen);
          if (p !== undefined) return p;
        }
      } else {
        // Own enumerable keys in Object.keys order, without its array (the prototype is a plain object's or null).
        for (const key in value) {
          if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
          if (key === '__proto__') return 'a `__proto__` key';
          const item = (value as Obj)[key];
          if (!pushed && typeof item === 'object' && item !== null) {
            (seen ??= []).push(value);
            pushed = true;
          }
          const p = jsonProblem(item, depth + 1, seen);
          if (p !== undefined) return p;
        }
      }
      if (pushed) seen?.pop();
      return undefined;
    }
    default:
      return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
  }
}
