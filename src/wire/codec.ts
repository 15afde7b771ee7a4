/**
 * The JSON codec v1 (PROTOCOL.md section 6): pure `encode` and strict `decode`.
 * A frame that fails any rule throws a `CtpDecodeError` whose `reason` is the
 * drop reason the router reports; decode never returns a half-valid message.
 */
import createDebug from 'debug';
import { CtpDecodeError } from '../base/errors.js';
import {
  isReturnCode,
  PROTOCOL_VERSION,
  type CtpCodec,
  type CtpMessage,
} from '../base/messages.js';
import {
  isValidAdvertName,
  isValidPlainNodeName,
  isValidRouterId,
  virtualRouterAt,
} from '../base/names.js';
import { MAX_CERT_CHARS, MAX_SIG_CHARS } from '../link-state/signing.js';

const debug = createDebug('ctp:codec');

/** Deepest nesting of arrays and objects accepted in `content` and `optionals`. */
export const MAX_CONTENT_DEPTH = 64;

function fail(reason: string, message: string): never {
  throw new CtpDecodeError(reason, message);
}
const malformed = (message: string): never => fail('malformed', message);

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isSafeNonNegative(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
function isSafePositive(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

/**
 * What `decode` learnt of one frame's text, passed down to the checks (decode
 * keeps no state between calls). `shallow`: the text alone proves what
 * `checkValue` checks, so its walks are skipped (they cost as much as
 * JSON.parse on a small frame). `controlFree`: no string in the frame can
 * hold a control character (JSON strings cannot hold raw U+0000–U+001F, only
 * escapes, which need a backslash, and a raw U+007F), so the node-name scans
 * are skipped.
 */
interface FrameFacts {
  readonly shallow: boolean;
  readonly controlFree: boolean;
}
// The three possible facts, shared (no object per frame); shallow implies controlFree.
const NO_FACTS: FrameFacts = Object.freeze({ shallow: false, controlFree: false });
const CONTROL_FREE: FrameFacts = Object.freeze({ shallow: false, controlFree: true });
const SHALLOW: FrameFacts = Object.freeze({ shallow: true, controlFree: true });

// `__proto__` keys are harmless inside a JSON.parse result, but a host that
// merges content with Object.assign or a spread into a prototype would be
// polluted; refuse them anywhere. Depth is bounded so that no consumer (our
// own re-encoding included) can be driven into a stack overflow.
function checkValue(v: unknown, depth: number, field: string, facts: FrameFacts): void {
  if (typeof v !== 'object' || v === null || facts.shallow) return;
  if (depth > MAX_CONTENT_DEPTH)
    malformed(`\`${field}\` is nested deeper than ${MAX_CONTENT_DEPTH}`);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkValue(v[i], depth + 1, field, facts);
    return;
  }
  for (const key in v) {
    if (key === '__proto__') malformed(`\`${field}\` has a \`__proto__\` key`);
    checkValue((v as Obj)[key], depth + 1, field, facts);
  }
}

const advertNameControlFree = (s: unknown): boolean => isValidAdvertName(s, true);

/**
 * Does the raw text prove that no key is `__proto__` and nothing nests deeper
 * than `MAX_CONTENT_DEPTH`? Without a backslash every key is spelled
 * literally, so no `__proto__` in the text means no such key; and every
 * level of nesting needs an opening bracket, so few brackets (the frame's own
 * included, those inside strings counted too) mean shallow values.
 */
function provablyShallow(frame: string): boolean {
  // (The caller has checked that there is no backslash.)
  if (frame.indexOf('__proto__') >= 0) return false;
  // Too nested a field needs MAX_CONTENT_DEPTH + 1 containers inside the
  // frame's own: twice that many brackets. Small frames cannot hold them.
  if (frame.length < 2 * (MAX_CONTENT_DEPTH + 2)) return true;
  let n = 0;
  for (let i = frame.indexOf('{'); i >= 0; i = frame.indexOf('{', i + 1))
    if (++n > MAX_CONTENT_DEPTH) return false;
  for (let i = frame.indexOf('['); i >= 0; i = frame.indexOf('[', i + 1))
    if (++n > MAX_CONTENT_DEPTH) return false;
  return true;
}

function nodeField(o: Obj, facts: FrameFacts): string {
  if (!isValidPlainNodeName(o.node, facts.controlFree))
    malformed('`node` is not a valid node name');
  return o.node as string;
}
function optionalTo(o: Obj): void {
  if (o.to !== undefined && !isValidRouterId(o.to)) malformed('`to` is not a valid router id');
}
function requestId(o: Obj): void {
  if (!isSafePositive(o.id)) malformed('`id` is not a positive safe integer');
}
function ttlField(o: Obj): void {
  if (o.ttl !== undefined && !isSafeNonNegative(o.ttl))
    malformed('`ttl` is not a non-negative safe integer');
}
function stringField(o: Obj, key: string): void {
  if (typeof o[key] !== 'string') malformed(`\`${key}\` is not a string`);
}
function registrantField(o: Obj): void {
  const hasC = o.controller !== undefined;
  const hasM = o.monitor !== undefined;
  if (hasC === hasM) malformed('exactly one of `controller` or `monitor` is required');
  stringField(o, hasC ? 'controller' : 'monitor');
}
function destinationField(o: Obj, key: 'controller' | 'monitor', node: string): void {
  // PROTOCOL.md section 5: a RESPONSE or EVENT whose destination is not a
  // well-formed virtual node (of this very node, which nodeField checked) is malformed.
  if (virtualRouterAt(o[key], node, true) < 0)
    malformed(`\`${key}\` is not a well-formed virtual node of \`node\``);
}
function contentField(o: Obj, required: boolean, facts: FrameFacts): void {
  if (!Object.prototype.hasOwnProperty.call(o, 'content')) {
    if (required) malformed('`content` is missing');
    return;
  }
  checkValue(o.content, 1, 'content', facts);
}
function fromField(o: Obj): void {
  if (!isValidRouterId(o.from)) malformed('`from` is not a valid router id');
}
function checkStringArray(v: unknown, valid: (s: unknown) => boolean, what: string): void {
  if (!Array.isArray(v)) malformed(`\`${what}\` is not an array`);
  const a = v as unknown[];
  for (let i = 0; i < a.length; i++)
    if (!valid(a[i])) malformed(`\`${what}\` has an invalid entry`);
}

function validateAdverts(o: Obj, facts: FrameFacts): void {
  if (!Array.isArray(o.adverts)) malformed('`adverts` is not an array');
  for (const a of o.adverts as unknown[]) {
    if (!isObject(a)) malformed('an advert is not an object');
    const ad = a as Obj;
    if (!isValidRouterId(ad.origin)) malformed('an advert `origin` is not a valid router id');
    if (!isSafeNonNegative(ad.seq)) malformed('an advert `seq` is not a safe integer');
    checkStringArray(
      ad.nodes,
      facts.controlFree ? advertNameControlFree : isValidAdvertName,
      'nodes',
    );
    checkStringArray(ad.neighbors, isValidRouterId, 'neighbors');
    if (ad.sig !== undefined || ad.cert !== undefined) signatureFields(ad);
  }
}

// Signed adverts (issue 9): `sig` and `cert` come together, as bounded base64.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
function signatureFields(ad: Obj): void {
  if (typeof ad.sig !== 'string' || ad.sig.length > MAX_SIG_CHARS || !BASE64.test(ad.sig))
    malformed(`an advert \`sig\` is not base64 of at most ${MAX_SIG_CHARS} characters`);
  if (typeof ad.cert !== 'string' || ad.cert.length > MAX_CERT_CHARS || !BASE64.test(ad.cert))
    malformed(`an advert \`cert\` is not base64 of at most ${MAX_CERT_CHARS} characters`);
}

function validate(o: Obj, facts: FrameFacts): void {
  switch (o.t) {
    case 'REPORTNODE':
      fromField(o);
      return validateAdverts(o, facts);
    case 'UPDATENODE':
      fromField(o);
      return;
    case 'REGISTER':
    case 'UNREGISTER':
      requestId(o);
      optionalTo(o);
      nodeField(o, facts);
      registrantField(o);
      if (o.t === 'REGISTER' && o.refresh !== undefined && o.refresh !== true)
        malformed('`refresh` is not `true`');
      if (o.t === 'REGISTER' && o.idleTimeoutMs !== undefined && !isSafePositive(o.idleTimeoutMs))
        malformed('`idleTimeoutMs` is not a positive safe integer');
      if (o.t === 'REGISTER' && o.claim !== undefined && !isSafePositive(o.claim))
        malformed('`claim` is not a positive safe integer');
      if (
        o.t === 'REGISTER' &&
        o.claimSig !== undefined &&
        (typeof o.claimSig !== 'string' ||
          o.claimSig.length > MAX_SIG_CHARS ||
          !BASE64.test(o.claimSig))
      )
        malformed(`\`claimSig\` is not base64 of at most ${MAX_SIG_CHARS} characters`);
      return;
    case 'START':
    case 'STOP':
      requestId(o);
      optionalTo(o);
      nodeField(o, facts);
      stringField(o, 'controller');
      stringField(o, 'app');
      ttlField(o);
      if (o.optionals !== undefined) {
        if (!isObject(o.optionals)) malformed('`optionals` is not an object');
        checkValue(o.optionals, 1, 'optionals', facts);
      }
      return;
    case 'COMMAND':
      requestId(o);
      optionalTo(o);
      nodeField(o, facts);
      stringField(o, 'controller');
      stringField(o, 'app');
      ttlField(o);
      contentField(o, true, facts);
      return;
    case 'POST':
      optionalTo(o);
      nodeField(o, facts);
      contentField(o, true, facts);
      return;
    case 'RESPONSE': {
      const node = nodeField(o, facts);
      destinationField(o, 'controller', node);
      if (!isReturnCode(o.code)) malformed('`code` is not a return code');
      if (o.re !== undefined && !isSafePositive(o.re))
        malformed('`re` is not a positive safe integer');
      if (o.reason !== undefined && typeof o.reason !== 'string')
        malformed('`reason` is not a string');
      contentField(o, false, facts);
      return;
    }
    case 'EVENT': {
      const node = nodeField(o, facts);
      destinationField(o, 'monitor', node);
      contentField(o, true, facts);
      return;
    }
    default:
      fail('unknown-type', `unknown frame type ${JSON.stringify(String(o.t)).slice(0, 40)}`);
  }
}

/**
 * Decode one frame strictly. Unknown extra fields are kept (forward
 * compatibility: a forwarded frame keeps them).
 * @throws CtpDecodeError with `reason` `malformed`, `unsupported-version` or `unknown-type`.
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
  // Every other field (adverts, unknown ones) is kept and re-encoded when the
  // frame is forwarded (PROTOCOL.md section 6): bound it as `content` is bounded,
  // so that no frame can overflow the encoder's stack or carry `__proto__`.
  if (!facts.shallow)
    for (const key in obj)
      if (key !== 'content' && key !== 'optionals') checkValue(obj[key], 1, key, facts);
  return obj as unknown as CtpMessage;
}

/** Encode one message as a JSON frame (never contains a raw line break). */
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
