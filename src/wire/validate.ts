/**
 * Frame validation for the JSON codec v1 (PROTOCOL.md section 6): the bounds
 * on nested values, what the raw text proves about a frame, and the field
 * checks of each frame type. Every failure throws the `CtpDecodeError` that
 * `decode` (codec.ts) lets through.
 */
import { CtpDecodeError } from '../base/errors.js';
import { isReturnCode } from '../base/messages.js';
import {
  isValidAdvertName,
  isValidPlainNodeName,
  isValidRouterId,
  virtualRouterAt,
} from '../base/names.js';
import { MAX_CERT_CHARS, MAX_SIG_CHARS } from '../link-state/signing.js';

/** Deepest nesting of arrays and objects accepted in `content` and `optionals`. */
export const MAX_CONTENT_DEPTH = 64;

export function fail(reason: string, message: string): never {
  throw new CtpDecodeError(reason, message);
}
export const malformed = (message: string): never => fail('malformed', message);

export type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function isSafeNonNegative(v: unknown): v is number {
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
export interface FrameFacts {
  readonly shallow: boolean;
  readonly controlFree: boolean;
}
// The three possible facts, shared (no object per frame); shallow implies controlFree.
export const NO_FACTS: FrameFacts = Object.freeze({ shallow: false, controlFree: false });
export const CONTROL_FREE: FrameFacts = Object.freeze({ shallow: false, controlFree: true });
export const SHALLOW: FrameFacts = Object.freeze({ shallow: true, controlFree: true });

// `__proto__` keys are harmless inside a JSON.parse result, but a host that
// merges content with Object.assign or a spread into a prototype would be
// polluted; refuse them anywhere. Depth is bounded so that no consumer (our
// own re-encoding included) can be driven into a stack overflow.
export function checkValue(v: unknown, depth: number, field: string, facts: FrameFacts): void {
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
export function provablyShallow(frame: string): boolean {
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
    if (ad.time !== undefined && !isSafeNonNegative(ad.time))
      malformed('an advert `time` is not a safe integer');
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

export function validate(o: Obj, facts: FrameFacts): void {
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
