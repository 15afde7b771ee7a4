/**
 * The host's callbacks, injected exactly as the seed's constructor takes them
 * (SPEC.md section 2).
 */
import type { CtpControlMessage, CtpEvent } from './messages.js';

/** `onReceived`: START/STOP/COMMAND at the node's host, EVENT at a registrant (seed `ctpc_received_callback`). */
export type CtpReceivedCallback = (
  ...args: [name: 'START' | 'STOP' | 'COMMAND', msg: CtpControlMessage] | [name: 'EVENT', msg: CtpEvent]
) => void;
/** `onNodesUpdated`: the sorted list of reachable nodes, after every change (seed `node_updated_inform_callback`). */
export type CtpNodesUpdatedCallback = (nodes: string[]) => void;

/**
 * `send`: deliver a frame to one peer, or to every peer when `peer` is `null`
 * (seed `ctpc_send_callback`). A throw, or a returned promise that rejects, is
 * reported as `error`; any other return value is ignored.
 */
export type CtpSendCallback<P> = (peer: P | null, frame: string) => unknown;

