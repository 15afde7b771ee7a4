/**
 * The typed events of `CtpRouter` (eventemitter3 event-map form).
 */
import type { CtpError } from './base/errors.js';
import type { ReturnCode } from './base/messages.js';
import type { CtpRegistrationType } from './base/names.js';

/** Stable drop reasons (PROTOCOL.md section 3). */
export const DropReason = {
  MALFORMED: 'malformed',
  TOO_LARGE: 'too-large',
  UNSUPPORTED_VERSION: 'unsupported-version',
  UNKNOWN_TYPE: 'unknown-type',
  UNAUTHORIZED: 'unauthorized',
  NO_ROUTE: 'no-route',
  HOP_LIMIT: 'hop-limit',
  STALE: 'stale',
  REGISTRANT_UNKNOWN: 'registrant-unknown',
  BAD_REGISTRANT: 'bad-registrant',
  TOO_MANY_WAITING: 'too-many-waiting',
  FROM_MISMATCH: 'from-mismatch',
  DUPLICATE_ID: 'duplicate-id',
  PEER_DOWN: 'peer-down',
  TOO_MANY_ROUTERS: 'too-many-routers',
  TOO_MANY_NODES: 'too-many-nodes',
  BAD_SIGNATURE: 'bad-signature',
  /** With `identity`: a frame whose origin authentication fails, or whose origin may not speak for it (issue 25). */
  BAD_ORIGIN: 'bad-origin',
  /** With `identity`: an authenticated frame seen already, or whose counter is outside the skew tolerance (issue 25). */
  REPLAYED: 'replayed',
  /** A request whose caller's deadline (`ttl`) passed before it reached the host's app (issue 10). */
  EXPIRED: 'expired',
  /** An advert that would take the stored names past `maxTableNodes` (issue 10). */
  TABLE_FULL: 'table-full',
  /** A bulk frame from a peer past `maxAdvertBytesPerSecond` with `maxFrameBytes` of its frames waiting already, unparsed (issue 25). */
  RATE_LIMITED: 'rate-limited',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** An inbound frame (or, for adverts, one advert of it) that was not processed. */
export interface CtpDropped<P = unknown> {
  reason: DropReason;
  /** The peer it came from. */
  peer: P;
  /** The frame type, when it was decoded far enough to know. */
  t?: string;
  /** The node it concerned, when known. */
  node?: string;
  /** For advert drops: the advert's origin. */
  origin?: string;
  /** A human-readable detail (never the frame itself). */
  message?: string;
}

/** One node name hosted by two routers, or another router using this router's id. */
export type CtpConflict =
  { kind: 'node'; node: string; hosts: string[] } | { kind: 'router-id'; id: string };

/** Payload of `registered`. */
export interface CtpRegisteredEvent {
  node: string;
  type: CtpRegistrationType;
  /** The virtual node that stands for the registration. */
  virtualNode: string;
  /** The host router the registration was made with. */
  host: string;
}
/** Payload of `unregistered`. */
export interface CtpUnregisteredEvent {
  node: string;
  type: CtpRegistrationType;
  /** The host's answer (`TIMEOUT`/`NODE_UNFOUND` included); absent when the request was aborted. */
  code?: ReturnCode;
}
/** Payload of `released`. */
export interface CtpReleasedEvent {
  node: string;
  type: CtpRegistrationType;
  /** The virtual node of the registration that was dropped. */
  registrant: string;
  /** `idle`: a controller's idle timeout ran out (issue 10); absent: its registrant stayed unreachable for the grace. */
  reason?: 'idle';
}
/** Payload of `lost`. */
export interface CtpLostEvent {
  node: string;
  type: CtpRegistrationType;
  /**
   * `unreachable` (grace ran out), `moved` (another router hosts the node
   * now), `refused` (the host no longer held it) or `idle` (the controller
   * sent no control request for its idle timeout, issue 10).
   */
  reason: 'unreachable' | 'moved' | 'refused' | 'idle';
  /** The host's answer, for `refused`. */
  code?: ReturnCode;
}
/** Payload of `timeout`. */
export interface CtpTimeoutEvent {
  node: string;
  /** `register`, `unregister`, `start`, `stop` or `command`. */
  op: string;
  /** The request's frame id (absent when it timed out waiting for its turn). */
  id?: number;
}

/** Event map of `CtpRouter`. */
export interface CtpRouterEvents<P = unknown> {
  /** The set of reachable nodes changed; the sorted list, as `onNodesUpdated` gets it. @example
   * {@includeCode ../docs/api-examples/router-events.ts#nodes} */
  nodes: (nodes: string[]) => void;
  /** This router became the controller or a monitor of a node. @example
   * {@includeCode ../docs/api-examples/router-events.ts#registered} */
  registered: (e: CtpRegisteredEvent) => void;
  /** This router ended one of its registrations with `unregister`. @example
   * {@includeCode ../docs/api-examples/router-events.ts#unregistered} */
  unregistered: (e: CtpUnregisteredEvent) => void;
  /** At a host: a registration dropped because its virtual node stayed unreachable for `leaseGraceMs`. @example
   * {@includeCode ../docs/api-examples/router-events.ts#released} */
  released: (e: CtpReleasedEvent) => void;
  /** At a registrant: a registration the other side ended. @example
   * {@includeCode ../docs/api-examples/router-events.ts#lost} */
  lost: (e: CtpLostEvent) => void;
  /** A request timed out. @example
   * {@includeCode ../docs/api-examples/router-events.ts#timeout} */
  timeout: (e: CtpTimeoutEvent) => void;
  /** An inbound frame was not processed. @example
   * {@includeCode ../docs/api-examples/router-events.ts#dropped} */
  dropped: (e: CtpDropped<P>) => void;
  /** One node name hosted by two routers, or another router uses this router's id. @example
   * {@includeCode ../docs/api-examples/router-events.ts#conflict} */
  conflict: (e: CtpConflict) => void;
  /**
   * A host callback, a listener or `send` threw (or its promise rejected), or
   * the router itself failed; the router carries on. Without a listener the
   * error goes to `process.emitWarning` (once per code and callback). @example
   * {@includeCode ../docs/api-examples/router-events.ts#error}
   */
  error: (err: CtpError) => void;
  /** `close()` was called (a transport attached with `closeWith: true` closes with it). @example
   * {@includeCode ../docs/api-examples/router-events.ts#close} */
  close: () => void;
}

/** Emit one of the router's events (the parts report through it; a throwing listener never breaks them). */
export type CtpEmit<P = unknown> = <K extends keyof CtpRouterEvents<P>>(
  event: K,
  ...args: Parameters<CtpRouterEvents<P>[K]>
) => void;
