/**
 * The protocol's vocabulary: return codes, command names and the `CtpMessage`
 * union discriminated on `t` (PROTOCOL.md sections 4 and 6).
 */

/**
 * Return codes (seed `ReturnCode`, PROTOCOL.md section 4): the `code` of every `CtpResult`. `SUCCESS`; `ERROR` (see `reason`: `closed`, `stale`,
 * `too-large`, `host-callback-failed`, ...); `TIMEOUT` (no response within `timeoutMs`); `IN_PROGRESS` (a request for the node already in flight, without `queue`);
 * `NODE_UNFOUND` (no router hosts it); `ALREADY_ASSIGNED` (held, or another controller); `NOT_ASSIGNED` (not registered as needed);
 * `REJECTED` (the node is not hosted there, or the frame's controller is not the registered one). See docs/PROTOCOL.md section 4.
 * @example
 * {@includeCode ../../docs/api-examples/return-code.ts}
 */
export const ReturnCode = {
  SUCCESS: 'SUCCESS',
  ERROR: 'ERROR',
  TIMEOUT: 'TIMEOUT',
  IN_PROGRESS: 'IN_PROGRESS',
  NODE_UNFOUND: 'NODE_UNFOUND',
  ALREADY_ASSIGNED: 'ALREADY_ASSIGNED',
  NOT_ASSIGNED: 'NOT_ASSIGNED',
  REJECTED: 'REJECTED',
} as const;
export type ReturnCode = (typeof ReturnCode)[keyof typeof ReturnCode];

const RETURN_CODES: ReadonlySet<string> = new Set(Object.values(ReturnCode));
/** True for one of the eight return codes (`ReturnCode` example). @example
 * {@includeCode ../../docs/api-examples/return-code.ts} */
export function isReturnCode(value: unknown): value is ReturnCode {
  return typeof value === 'string' && RETURN_CODES.has(value);
}

/** What every request method resolves to. */
export interface CtpResult<T = unknown> {
  code: ReturnCode;
  /** The host's content (a reply's `T` when the code is SUCCESS; unchecked: the wire carries any JSON). */
  content?: T;
  reason?: string;
}

/** The result a RESPONSE carries. */
export function resultOf(msg: { code: ReturnCode; content?: unknown; reason?: string }): CtpResult {
  const r: CtpResult = { code: msg.code };
  if (msg.content !== undefined) r.content = msg.content;
  if (msg.reason !== undefined) r.reason = msg.reason;
  return r;
}

/** Frame types (`t`), PROTOCOL.md section 6. */
export const CtpCommand = {
  REPORTNODE: 'REPORTNODE',
  UPDATENODE: 'UPDATENODE',
  REGISTER: 'REGISTER',
  UNREGISTER: 'UNREGISTER',
  START: 'START',
  STOP: 'STOP',
  COMMAND: 'COMMAND',
  POST: 'POST',
  RESPONSE: 'RESPONSE',
  EVENT: 'EVENT',
} as const;
export type CtpCommand = (typeof CtpCommand)[keyof typeof CtpCommand];

/** The codec version this package speaks. */
export const PROTOCOL_VERSION = 1;

/** One router's link-state advert (PROTOCOL.md section 7). */
export interface CtpAdvert {
  origin: string;
  seq: number;
  nodes: string[];
  neighbors: string[];
  /** Base64 signature of the origin over `canonicalAdvert` (signed adverts, issue 9); travels as received. */
  sig?: string;
  /** Base64 DER certificate of the signer (subject CN = `origin`); travels with `sig`. */
  cert?: string;
  /**
   * When the origin signed it (ms since the epoch, its clock; issue 25): covered by `sig`.
   * A signing router refuses (`stale`) an advert signed more than `staleAdvertMs` ago.
   */
  time?: number;
}

interface Base {
  v: 1;
  /** Forwards so far; absent means 0. */
  hops?: number;
}

/** REPORTNODE: link-state adverts from the neighbor `from` (PROTOCOL.md, "The table"). */
export interface CtpReportNode extends Base {
  t: 'REPORTNODE';
  from: string;
  adverts: CtpAdvert[];
}
/** UPDATENODE: the neighbor `from` asks for the whole table. */
export interface CtpUpdateNode extends Base {
  t: 'UPDATENODE';
  from: string;
}
/** REGISTER: make the virtual node `controller` or `monitor` a registration of `node` at its host `to`; `refresh` re-asserts one. */
export interface CtpRegister extends Base {
  t: 'REGISTER';
  id: number;
  to?: string;
  node: string;
  controller?: string;
  monitor?: string;
  refresh?: true;
  /** A controller's requested lock timeout (ms without a control request before the host releases it). */
  idleTimeoutMs?: number;
  /**
   * The registrant router's word that its own advert lists the virtual node
   * from this `seq` on: the host need not wait for that (paced) advert
   * (PROTOCOL.md section 5, "Confirming a registrant").
   */
  claim?: number;
  /** With identities: the registrant router's signature over the claim (base64, canonical.ts `canonicalClaim`). */
  claimSig?: string;
}
/** UNREGISTER: end the registration of the virtual node `controller` or `monitor`. */
export interface CtpUnregister extends Base {
  t: 'UNREGISTER';
  id: number;
  to?: string;
  node: string;
  controller?: string;
  monitor?: string;
}
/** START: the controller asks the host to start `app` on `node`. */
export interface CtpStart extends Base {
  t: 'START';
  id: number;
  to?: string;
  node: string;
  controller: string;
  app: string;
  optionals?: Record<string, unknown>;
  /** The caller's remaining time in ms when the frame was sent (each forwarder subtracts its residence); absent: no deadline. */
  ttl?: number;
  /** The caller's W3C trace context, `00-<trace id>-<span id>-<flags>` (PROTOCOL.md section 6); relays pass it unchanged. */
  traceparent?: string;
}
/** STOP: the controller asks the host to stop `app` on `node`. */
export interface CtpStop extends Base {
  t: 'STOP';
  id: number;
  to?: string;
  node: string;
  controller: string;
  app: string;
  optionals?: Record<string, unknown>;
  /** The caller's remaining time in ms when the frame was sent (each forwarder subtracts its residence); absent: no deadline. */
  ttl?: number;
  /** The caller's W3C trace context, `00-<trace id>-<span id>-<flags>` (PROTOCOL.md section 6); relays pass it unchanged. */
  traceparent?: string;
}
/** COMMAND: the controller sends `content` to `app` on `node`. */
export interface CtpCommandMessage extends Base {
  t: 'COMMAND';
  id: number;
  to?: string;
  node: string;
  controller: string;
  app: string;
  content: unknown;
  /** The caller's remaining time in ms when the frame was sent (each forwarder subtracts its residence); absent: no deadline. */
  ttl?: number;
  /** The caller's W3C trace context, `00-<trace id>-<span id>-<flags>` (PROTOCOL.md section 6); relays pass it unchanged. */
  traceparent?: string;
}
/** POST: have the host of `node` publish `content` as the node's event. */
export interface CtpPost extends Base {
  t: 'POST';
  to?: string;
  node: string;
  content: unknown;
}
/** RESPONSE: the answer to the request whose `id` is `re`, routed to the virtual node `controller`. */
export interface CtpResponse extends Base {
  t: 'RESPONSE';
  node: string;
  /** The destination virtual node (a controller's or a monitor's). */
  controller: string;
  code: ReturnCode;
  re?: number;
  content?: unknown;
  reason?: string;
}
/** EVENT: one event of `node`, routed to the virtual node `monitor` (a controller's or a monitor's). */
export interface CtpEvent extends Base {
  t: 'EVENT';
  node: string;
  /** The destination virtual node (a controller's or a monitor's). */
  monitor: string;
  content: unknown;
}

/** Every frame, discriminated on `t`. */
export type CtpMessage =
  | CtpReportNode
  | CtpUpdateNode
  | CtpRegister
  | CtpUnregister
  | CtpStart
  | CtpStop
  | CtpCommandMessage
  | CtpPost
  | CtpResponse
  | CtpEvent;

/** Requests: frames that carry an `id` and are answered by a RESPONSE. */
export type CtpRequestMessage =
  CtpRegister | CtpUnregister | CtpStart | CtpStop | CtpCommandMessage;
/** Control requests handed to the host app through `onReceived`. */
export type CtpControlMessage = CtpStart | CtpStop | CtpCommandMessage;
/** Frames routed toward a node's host router (by `to`, else by node name). */
export type CtpHostBoundMessage = CtpRequestMessage | CtpPost;
/** Frames routed toward the router of a destination virtual node. */
export type CtpRegistrantBoundMessage = CtpResponse | CtpEvent;

/** The names `onReceived` is called with. */
export type CtpReceivedName = 'START' | 'STOP' | 'COMMAND' | 'EVENT';

/** A pluggable frame codec (PROTOCOL.md section 2 option `codec`). */
export interface CtpCodec {
  /** Turn a message into a frame. */
  encode(msg: CtpMessage): string;
  /** Turn a frame into a message; throw (ideally a `CtpDecodeError` with a drop reason) on bad input. */
  decode(frame: string): CtpMessage;
  /**
   * Optional: the frame to forward for `msg`, decoded from `frame`, now
   * carrying `hops` (only `hops` and `ttl` may change, PROTOCOL.md section 6);
   * `undefined` to have the router re-encode `{ ...msg, hops }`. A codec
   * whose frames can be patched cheaply saves a re-encode per forwarded
   * frame. `ttl`, when passed, is the request's new remaining time, which the
   * frame must carry too; a hook declared with three parameters is never
   * called with a changed `ttl` (the router re-encodes those frames).
   */
  forward?(frame: string, msg: CtpMessage, hops: number, ttl?: number): string | undefined;
}
