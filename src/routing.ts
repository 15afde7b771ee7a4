/**
 * Routing (SPEC.md section 5, Forwarding): host-bound frames travel toward
 * the router named in `to` (or by node name, from simple peers), RESPONSEs
 * and EVENTs toward the `@id` of their destination virtual node. A frame
 * that cannot go on is dropped (`no-route`, `hop-limit`), and a request whose
 * registrant is routable is answered NODE_UNFOUND first.
 */
import createDebug from 'debug';
import type { DropReason } from './events.js';
import {
  ReturnCode,
  type CtpEvent,
  type CtpHostBoundMessage,
  type CtpMessage,
  type CtpRegistrantBoundMessage,
  type CtpRequestMessage,
  type CtpResponse,
  type CtpResult,
} from './messages.js';
import { isReservedName, virtualParts } from './names.js';
import type { CtpOutbound, CtpReport } from './outbound.js';
import type { CtpTable } from './table.js';

const debug = createDebug('ctp:routing');

/** Where a frame came from: a peer, or this router itself. */
export const LOCAL: unique symbol = Symbol('local');
export type CtpSource<P> = P | typeof LOCAL;

/** Where frames addressed to this router go. */
export interface CtpDelivery<P> {
  /** REGISTER, UNREGISTER, START, STOP, COMMAND, POST for a local node. */
  host(msg: CtpHostBoundMessage, from: CtpSource<P>): void;
  /** A RESPONSE to one of this router's virtual nodes. */
  response(msg: CtpResponse, from: CtpSource<P>): void;
  /** An EVENT to one of this router's virtual nodes. */
  event(msg: CtpEvent): void;
  /** A request this router made ended before it left: resolve it. */
  settle(node: string, id: number, result: CtpResult): void;
}

const NODE_UNFOUND: CtpResult = Object.freeze({ code: ReturnCode.NODE_UNFOUND });
const SEND_FAILED: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'send-failed' });

export class CtpRouting<P> {
  constructor(
    private readonly table: CtpTable<P>,
    private readonly out: CtpOutbound<P>,
    private readonly maxHops: number,
    private readonly deliver: CtpDelivery<P>,
    private readonly report: CtpReport<P>,
  ) {}

  /** REGISTER, UNREGISTER, START, STOP, COMMAND, POST: toward the node's host. `frame`: the text it arrived as. */
  hostBound(msg: CtpHostBoundMessage, from: CtpSource<P>, frame?: string): void {
    const dest = msg.to ?? this.table.ownerOf(msg.node);
    if (dest === this.table.id) {
      if (!this.table.hasLocal(msg.node) || isReservedName(msg.node)) return this.unroutable(msg, from, 'no-route');
      return this.deliver.host(msg, from);
    }
    if (dest === undefined) return this.unroutable(msg, from, 'no-route');
    this.forward(msg, dest, from, frame);
  }

  /** RESPONSE, EVENT: toward the router of the destination virtual node. */
  registrantBound(msg: CtpRegistrantBoundMessage, from: CtpSource<P>, frame?: string): void {
    const dest = msg.t === 'RESPONSE' ? msg.controller : msg.monitor;
    const v = virtualParts(dest);
    if (v === undefined || v.node !== msg.node) {
      if (from !== LOCAL) this.report.drop(from, 'malformed', { t: msg.t, message: 'the destination is not a virtual node' });
      return;
    }
    if (v.routerId === this.table.id) {
      if (!this.table.hasLocal(dest)) {
        if (from !== LOCAL) this.report.drop(from, 'no-route', { t: msg.t, node: msg.node });
        return;
      }
      return msg.t === 'RESPONSE' ? this.deliver.response(msg, from) : this.deliver.event(msg);
    }
    this.forward(msg, v.routerId, from, frame);
  }

  /** Send a RESPONSE to `registrant` (routed like any frame toward its `@id`). */
  answer(node: string, registrant: string, code: ReturnCode, re?: number, content?: unknown, reason?: string): void {
    const msg: CtpResponse = { v: 1, t: 'RESPONSE', node, controller: registrant, code };
    if (re !== undefined) msg.re = re;
    if (content !== undefined) msg.content = content;
    if (reason !== undefined) msg.reason = reason;
    this.registrantBound(msg, LOCAL);
  }

  /** Send a request this router made toward the router `to` (or handle it here); a failure settles it. */
  request(msg: CtpRequestMessage, to: string): void {
    if (to === this.table.id) return this.deliver.host(msg, LOCAL);
    const peer = this.table.peerToward(to);
    if (peer === undefined) return this.deliver.settle(msg.node, msg.id, NODE_UNFOUND);
    this.out.message(peer, msg, () => this.deliver.settle(msg.node, msg.id, SEND_FAILED));
  }

  /** Send a frame that nothing waits for (a refresh) toward `to`, if it can go. */
  toRouter(msg: CtpHostBoundMessage, to: string): void {
    if (to === this.table.id) return this.deliver.host(msg, LOCAL);
    const peer = this.table.peerToward(to);
    if (peer !== undefined) this.out.message(peer, msg);
  }

  private forward(msg: CtpMessage, dest: string, from: CtpSource<P>, frame: string | undefined): void {
    const peer = this.table.peerToward(dest);
    if (peer === undefined) return this.unroutable(msg, from, 'no-route');
    if (from === LOCAL) return this.out.message(peer, msg);
    const hops = msg.hops ?? 0;
    if (hops >= this.maxHops) return this.unroutable(msg, from, 'hop-limit');
    this.out.counters.forwarded++;
    if (debug.enabled) debug('%s forwards %s %s to %s (hops %d)', this.table.id, msg.t, 'node' in msg ? msg.node : '', dest, hops + 1);
    // The frame keeps every field it arrived with; only `hops` changes. A
    // codec that can patch the text it received saves the re-encode.
    const codec = this.out.codec;
    const patched = frame !== undefined && codec.forward !== undefined ? codec.forward(frame, msg, hops + 1) : undefined;
    this.out.frame(peer, patched ?? codec.encode({ ...msg, hops: hops + 1 }));
  }

  /**
   * A frame that cannot go on. A request whose registrant is routable is
   * answered NODE_UNFOUND first, so its caller does not wait for a timeout.
   */
  private unroutable(msg: CtpMessage, from: CtpSource<P>, reason: DropReason): void {
    if ('id' in msg && typeof msg.id === 'number') {
      const req = msg as CtpRequestMessage;
      const registrant = req.t === 'REGISTER' || req.t === 'UNREGISTER' ? (req.controller ?? req.monitor) : req.controller;
      if (from === LOCAL && this.table.hasLocal(registrant as string)) this.deliver.settle(req.node, req.id, NODE_UNFOUND);
      else if (registrant !== undefined && virtualParts(registrant)?.node === req.node && this.table.isReachableName(registrant))
        this.answer(req.node, registrant, ReturnCode.NODE_UNFOUND, req.id);
    }
    if (from !== LOCAL) this.report.drop(from, reason, { t: msg.t, node: 'node' in msg ? msg.node : undefined });
  }
}
