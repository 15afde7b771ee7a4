/**
 * The host's callbacks, injected exactly as the seed's constructor takes them
 * (PROTOCOL.md section 2).
 */
import type { CtpControlMessage, CtpEvent } from './messages.js';

/**
 * `onReceived`: START/STOP/COMMAND at the node's host, EVENT at a registrant
 * (seed `ctpc_received_callback`). It may be `async`: a throw, or a returned
 * promise that rejects, is reported as `error` (and a control request still
 * open is answered `ERROR` reason `host-callback-failed`).
 */
export type CtpReceivedCallback = (
  ...args:
    [name: 'START' | 'STOP' | 'COMMAND', msg: CtpControlMessage] | [name: 'EVENT', msg: CtpEvent]
) => void;
/**
 * `onNodesUpdated`: the sorted list of reachable nodes, after every change
 * (seed `node_updated_inform_callback`); without virtual nodes when the
 * router's `virtualNodes` option is false. A throw or a rejected promise is
 * reported as `error`.
 */
export type CtpNodesUpdatedCallback = (nodes: string[]) => void;

/** Is `value` a promise (or any thenable)? */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * `send`: deliver a frame to one peer, or to every peer when `peer` is `null`
 * (seed `ctpc_send_callback`). A throw, or a returned promise that rejects, is
 * reported as `error`; any other return value is ignored.
 */
export type CtpSendCallback<P> = (peer: P | null, frame: string, info?: CtpSendInfo<P>) => unknown;

/**
 * What the router says about a frame beside its text, for transports that
 * can use it: the third `send` argument, passed only to a `send` declared
 * with three parameters (`send.length >= 3`) and only when there is
 * something to say. A two-parameter `send` is called as PROTOCOL.md section 2
 * says, with `(peer, frame)`.
 */
export interface CtpSendInfo<P> {
  /**
   * A REPORTNODE: the adverts it carries. A transport may drop a frame still
   * queued toward a peer when a newer one carries newer adverts of the same
   * origins (so an advert storm cannot queue up behind a slow link).
   */
  adverts?: readonly { readonly origin: string; readonly seq: number }[];
  /**
   * A broadcast (`peer` null) flooding what arrived from this peer: a
   * transport on a shared medium (a bus) where that peer already heard it
   * need not send it there again. Point-to-point transports send to every
   * peer as usual (the sender ignores the copy it already has).
   */
  except?: P;
}
