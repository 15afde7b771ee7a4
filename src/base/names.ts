/**
 * Node-name, router-id and virtual-node-name rules (PROTOCOL.md section 1).
 * Predicates with no I/O; two small bounded memo caches (valid router ids,
 * parsed virtual names) are their only state.
 */

/** Longest plain node name, in UTF-16 code units (PROTOCOL.md section 1). */
export const MAX_NODE_NAME_LENGTH = 256;
/** Longest router id (PROTOCOL.md section 1). */
export const MAX_ROUTER_ID_LENGTH = 128;

const ROUTER_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const CONTROLLER_PREFIX = 'controller[';
const MONITOR_PREFIX = 'monitor[';
// U+0000–U+001F and U+007F are never part of a name (PROTOCOL.md section 1):
// `/[\u0000-\u001f\u007f]/`, tested by hand (hasControlChar).
// The grammars, implemented by hand below (no backtracking):
//   virtual node  /^(controller|monitor)\[([^]+)\]@([A-Za-z0-9._:-]{1,128})$/  (parseVirtualName)
//   reserved form /^(?:controller|monitor)\[[^]*\]@/                          (isReservedName)
// The inner node is greedy: a router id has neither `]` nor `@`, so the last
// `]@` is the separator and the parse is unique even when the node name has `]@`.

/** The two kinds of registration, and of virtual node. */
export type CtpRegistrationType = 'controller' | 'monitor';

/** A parsed virtual node name `<type>[<node>]@<routerId>`. */
export interface CtpVirtualName {
  type: CtpRegistrationType;
  node: string;
  routerId: string;
}

/** True for a valid router id: 1–128 chars of `[A-Za-z0-9._:-]`. @example
 * {@includeCode ../../docs/api-examples/names.ts#isValidRouterId} */
export function isValidRouterId(id: unknown): id is string {
  if (typeof id !== 'string') return false;
  // A network has few routers, and their ids are checked in every frame:
  // remember the valid ones seen lately (bounded).
  if (validIds.has(id)) return true;
  if (!ROUTER_ID_RE.test(id)) return false;
  if (validIds.size >= VALID_IDS_MAX) validIds.clear();
  validIds.add(id);
  return true;
}

const VALID_IDS_MAX = 1024;
const validIds = new Set<string>();

/**
 * True for a name of the reserved virtual-node form (`controller[…]@…` or
 * `monitor[…]@…`), well-formed or not. `appendNodes` refuses these. @example
 * {@includeCode ../../docs/api-examples/names.ts#isReservedName}
 */
export function isReservedName(name: string): boolean {
  // The reserved form by hand (`[^]*` may be empty): names starting with c or m are common.
  const c = name.charCodeAt(0);
  if (c === 99 /* c */) return hasAt(name, CONTROLLER_PREFIX, 0) && name.indexOf(']@', 11) >= 0;
  return c === 109 /* m */ && hasAt(name, MONITOR_PREFIX, 0) && name.indexOf(']@', 8) >= 0;
}

/**
 * True for a plain node name a host may add: 1–256 characters, no control
 * characters, and not of the reserved virtual-node form. `controlFree`: the
 * caller knows the string holds no control character (the codec does for a
 * frame without a backslash or U+007F), so the scan is skipped. @example
 * {@includeCode ../../docs/api-examples/names.ts#isValidPlainNodeName}
 */
export function isValidPlainNodeName(name: unknown, controlFree = false): name is string {
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= MAX_NODE_NAME_LENGTH &&
    (controlFree || !hasControlChar(name)) &&
    !isReservedName(name)
  );
}

/** Does `s` hold U+0000–U+001F or U+007F? By hand: no regex call for the short names every request checks. */
function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Where the router id starts in `name` when `name` is a well-formed virtual
 * node of the plain node `node` (when `virtualParts(name)?.node === node`),
 * else -1: the same answer without the parse, the cache or an allocation
 * (every RESPONSE and EVENT is checked so, at every hop; by char codes: a
 * `startsWith` call costs more than this whole scan). `nodeValid`: the
 * caller has checked that `node` is a valid plain node name.
 * @internal
 */
export function virtualRouterAt(name: unknown, node: string, nodeValid = false): number {
  if (typeof name !== 'string' || (!nodeValid && !isValidPlainNodeName(node))) return -1;
  const c = name.charCodeAt(0);
  const prefix =
    c === 99 /* c */ ? CONTROLLER_PREFIX : c === 109 /* m */ ? MONITOR_PREFIX : undefined;
  if (prefix === undefined || !hasAt(name, prefix, 0) || !hasAt(name, node, prefix.length))
    return -1;
  // A router id has neither `]` nor `@`: a valid one after this `]@` makes it the last `]@`, the parse's separator.
  const at = prefix.length + node.length + 2;
  if (name.charCodeAt(at - 2) !== 93 /* ] */ || name.charCodeAt(at - 1) !== 64 /* @ */) return -1;
  return isRouterIdFrom(name, at) ? at : -1;
}

/**
 * Is `name` the controller virtual node of `node` (a `virtualParts(name)` of
 * type `controller` and node `node`)? Without the parse (virtualRouterAt).
 * @internal
 */
export function isControllerOf(name: unknown, node: string): boolean {
  return virtualRouterAt(name, node) >= 0 && (name as string).charCodeAt(0) === 99; /* c */
}

/** `s.startsWith(part, at)`, by char codes. @internal */
export function hasAt(s: string, part: string, at: number): boolean {
  if (s.length < at + part.length) return false;
  for (let i = 0; i < part.length; i++)
    if (s.charCodeAt(at + i) !== part.charCodeAt(i)) return false;
  return true;
}

/** `ROUTER_ID_RE.test(s.slice(from))` without the slice. */
function isRouterIdFrom(s: string, from: number): boolean {
  const n = s.length - from;
  if (n < 1 || n > MAX_ROUTER_ID_LENGTH) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // [A-Za-z0-9._:-]
    if (!(
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 58) ||
      c === 46 ||
      c === 95 ||
      c === 45
    ))
      return false;
  }
  return true;
}

/**
 * Parse a virtual node name; `undefined` when it is not well-formed. Same
 * language as the virtual-node grammar above, without the backtracking: a router id has neither
 * `]` nor `@`, so the separator is the last `]@` (this runs several times per
 * routed frame; see BENCHMARKS.md). @example
 * {@includeCode ../../docs/api-examples/names.ts#parseVirtualName}
 */
export function parseVirtualName(name: unknown): CtpVirtualName | undefined {
  const v = virtualParts(name);
  return v === undefined ? undefined : { type: v.type, node: v.node, routerId: v.routerId };
}

/**
 * `parseVirtualName` without the copy, for the router's own hot path: the
 * same few registrations are parsed at every hop of every response and event,
 * so recent answers are remembered (bounded) and shared, frozen.
 * @internal
 */
export function virtualParts(name: unknown): Readonly<CtpVirtualName> | undefined {
  if (typeof name !== 'string' || name.length > MAX_NODE_NAME_LENGTH + MAX_ROUTER_ID_LENGTH + 13)
    return undefined;
  let v = parsedVirtual.get(name);
  if (v === undefined) {
    const parsed = parseVirtualUncached(name);
    if (parsed === undefined) return undefined;
    v = Object.freeze(parsed);
    if (parsedVirtual.size >= PARSED_VIRTUAL_MAX) parsedVirtual.clear();
    parsedVirtual.set(name, v);
  }
  return v;
}

const PARSED_VIRTUAL_MAX = 4096;
const parsedVirtual = new Map<string, Readonly<CtpVirtualName>>();

function parseVirtualUncached(name: string): CtpVirtualName | undefined {
  let type: CtpRegistrationType;
  let start: number;
  if (name.startsWith('controller[')) {
    type = 'controller';
    start = 11;
  } else if (name.startsWith('monitor[')) {
    type = 'monitor';
    start = 8;
  } else return undefined;
  const sep = name.lastIndexOf(']@');
  if (sep <= start) return undefined;
  const routerId = name.slice(sep + 2);
  if (!ROUTER_ID_RE.test(routerId)) return undefined;
  const node = name.slice(start, sep);
  if (!isValidPlainNodeName(node)) return undefined;
  return { type, node, routerId };
}

/** True for a name that may appear in an advert: a plain node name or a well-formed virtual one. @example
 * {@includeCode ../../docs/api-examples/names.ts#virtualName} */
export function isValidAdvertName(name: unknown, controlFree = false): name is string {
  if (typeof name !== 'string') return false;
  if (isReservedName(name)) return parseVirtualName(name) !== undefined;
  // isValidPlainNodeName, knowing the name is not reserved (adverts list many names).
  return (
    name.length >= 1 &&
    name.length <= MAX_NODE_NAME_LENGTH &&
    (controlFree || !hasControlChar(name))
  );
}

/** The virtual node that stands for `routerId`'s registration of `type` on `node`. @example
 * {@includeCode ../../docs/api-examples/names.ts#virtualName} */
export function virtualName(type: CtpRegistrationType, node: string, routerId: string): string {
  return `${type}[${node}]@${routerId}`;
}
