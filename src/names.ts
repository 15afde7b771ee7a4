/**
 * Node-name, router-id and virtual-node-name rules (SPEC.md section 1).
 * Pure predicates: no state, no I/O.
 */

/** Longest plain node name, in UTF-16 code units (SPEC.md section 1). */
export const MAX_NODE_NAME_LENGTH = 256;
/** Longest router id (SPEC.md section 1). */
export const MAX_ROUTER_ID_LENGTH = 128;

const ROUTER_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
// U+0000–U+001F and U+007F are never part of a name (SPEC.md section 1).
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
// The inner node is greedy: a router id has neither `]` nor `@`, so the last
// `]@` is the separator and the parse is unique even when the node name has `]@`.
const VIRTUAL_RE = /^(controller|monitor)\[([^]+)\]@([A-Za-z0-9._:-]{1,128})$/;
const RESERVED_RE = /^(?:controller|monitor)\[[^]*\]@/;

/** The two kinds of registration, and of virtual node. */
export type CtpRegistrationType = 'controller' | 'monitor';

/** A parsed virtual node name `<type>[<node>]@<routerId>`. */
export interface CtpVirtualName {
  type: CtpRegistrationType;
  node: string;
  routerId: string;
}

/** True for a valid router id: 1–128 chars of `[A-Za-z0-9._:-]`. */
export function isValidRouterId(id: unknown): id is string {
  return typeof id === 'string' && ROUTER_ID_RE.test(id);
}

/**
 * True for a name of the reserved virtual-node form (`controller[…]@…` or
 * `monitor[…]@…`), well-formed or not. `appendNodes` refuses these.
 */
export function isReservedName(name: string): boolean {
  return (name.charCodeAt(0) === 99 /* c */ || name.charCodeAt(0) === 109) /* m */ && RESERVED_RE.test(name);
}

/**
 * True for a plain node name a host may add: 1–256 characters, no control
 * characters, and not of the reserved virtual-node form.
 */
export function isValidPlainNodeName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length >= 1 &&
    name.length <= MAX_NODE_NAME_LENGTH &&
    !CONTROL_RE.test(name) &&
    !isReservedName(name)
  );
}

/** Parse a virtual node name; `undefined` when it is not well-formed. */
export function parseVirtualName(name: unknown): CtpVirtualName | undefined {
  if (typeof name !== 'string' || name.length > MAX_NODE_NAME_LENGTH + MAX_ROUTER_ID_LENGTH + 13) return undefined;
  const m = VIRTUAL_RE.exec(name);
  if (m === null) return undefined;
  const node = m[2] as string;
  if (!isValidPlainNodeName(node)) return undefined;
  return { type: m[1] as CtpRegistrationType, node, routerId: m[3] as string };
}

/** True for a name that may appear in an advert: a plain node name or a well-formed virtual one. */
export function isValidAdvertName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  return isReservedName(name) ? parseVirtualName(name) !== undefined : isValidPlainNodeName(name);
}

/** The virtual node that stands for `routerId`'s registration of `type` on `node`. */
export function virtualName(type: CtpRegistrationType, node: string, routerId: string): string {
  return `${type}[${node}]@${routerId}`;
}
