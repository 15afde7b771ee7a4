/**
 * Routing (PROTOCOL.md section 5, Forwarding): host-bound frames travel toward
 * the router named in `to` (or by node name, from simple peers), RESPONSEs
 * and EVENTs toward the `@id` of their destination virtual node. A frame
 * that cannot go on is dropped (`no-route`, `hop-limit`), and a request whose
 * registrant is routable is answered NODE_UNFOUND first.
 */
import createDebug from 'debug';
import { remainingTtl, type CtpStallAge } from '../base/deadline.js';
import type { DropReason } from '../events.js';
import {
  ReturnCode,
  type CtpEvent,
  type CtpHostBoundMessage,
  type CtpMessage,
  type CtpRegistrantBoundMessage,
  type CtpRequestMessage,
  type CtpResponse,
  type CtpResult,
} from '../base/messages.js';
import { hasAt, isReservedName, virtualParts, virtualRouterAt } from '../base/names.js';
import type { CtpOutbound } from '../wire/outbound.js';
import type { CtpReport } from '../wire/report.js';
import type { CtpTable } from './table.js';
import type { CtpGate } from '../auth/gate.js';
import { describeFrame } from '../wire/trace.js';

const debug = createDebug('ctp:routing');

/** Where a frame came from: a peer, or this router itself. */
export const LOCAL: unique symbol = Symbol('local');
export type CtpSource<P> = P | typeof LOCAL;

/** The host role's door: frames for a local node. */
export interface CtpHostDoor<P = unknown> {
  /** REGISTER, UNREGISTER, START, STOP, COMMAND, POST for a local node. */
  onRequest(msg: CtpHostBoundMessage, from: CtpSource<P>): void;
}

/** The caller role's door: answers and events for this router's virtual nodes. */
export interface CtpCallerDoor<P = unknown> {
  /** A RESPONSE to one of this router's virtual nodes. */
  onResponse(msg: CtpResponse, from: CtpSource<P>): void;
  /** An EVENT to one of this router's virtual nodes. */
  onEvent(msg: CtpEvent): void;
  /** A request this router made ended before it left: resolve it. */
  settle(node: string, id: number, result: CtpResult): void;
}

/** Routing as the host role uses it: answers and events toward registrants. */
export type CtpHostRouting<P> = Pick<
  CtpRouting<P>,
  'answer' | 'answerController' | 'registrantBound'
>;

/** Routing as the caller role uses it: requests toward hosts. */
export type CtpCallerRouting<P> = Pick<CtpRouting<P>, 'request' | 'toRouter'>;

/** A RESPONSE of `node` to `registrant`, with the optional fields that are given. */
function responseTo(
  node: string,
  registrant: string,
  code: ReturnCode,
  re: number | undefined,
  content: unknown,
  reason: string | undefined,
): CtpResponse {
  const msg: CtpResponse = { v: 1, t: 'RESPONSE', node, controller: registrant, code };
  if (re !== undefined) msg.re = re;
  if (content !== undefined) msg.content = content;
  if (reason !== undefined) msg.reason = reason;
  return msg;
}

const NODE_UNFOUND: CtpResult = Object.freeze({ code: ReturnCode.NODE_UNFOUND });
const SEND_FAILED: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'send-failed' });
const TOO_LARGE: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'too-large' });

export class CtpRouting<P> {
  private host: CtpHostDoor<P> | undefined;
  private caller: CtpCallerDoor<P> | undefined;

  constructor(
    private readonly table: CtpTable<P>,
    private readonly out: CtpOutbound<P>,
    private readonly maxHops: number,
    private readonly report: CtpReport<P>,
    /** Request deadlines (deadline.ts): how long a frame processed now may have waited unseen. */
    private readonly stall: CtpStallAge = { age: () => 0 },
    /** Origin authentication and policy at the endpoints (src/auth/gate.ts); none: nothing is checked. */
    private readonly gate?: CtpGate<P>,
  ) {}

  /** Frames addressed to this router go to these roles. */
  attach(host: CtpHostDoor<P>, caller: CtpCallerDoor<P>): void {
    this.host = host;
    this.caller = caller;
  }

  /** REGISTER, UNREGISTER, START, STOP, COMMAND, POST: toward the node's host. `frame`: the text it arrived as. */
  hostBound(msg: CtpHostBoundMessage, from: CtpSource<P>, frame?: string): void {
    const dest = msg.to ?? this.table.ownerOf(msg.node);
    if (dest === this.table.id) {
      if (!this.table.hasLocal(msg.node) || isReservedName(msg.node))
        return this.unroutable(msg, from, 'no-route');
      // Issue 10: the host's app never receives a request whose caller has given up.
      if (from !== LOCAL && 'ttl' in msg && (remainingTtl(msg, this.stall) ?? 1) <= 0)
        return this.expired(msg, from);
      if (from !== LOCAL && this.gate !== undefined && !this.gate.admitRequest(msg, from)) return;
      return this.host?.onRequest(msg, from);
    }
    if (dest === undefined) return this.unroutable(msg, from, 'no-route');
    this.forward(msg, dest, from, frame);
  }

  /** Route `msg` from `peer` as if it arrived now (a frame that waited for its origin's advert). */
  deliver(msg: CtpMessage, peer: P): void {
    if (msg.t === 'RESPONSE' || msg.t === 'EVENT') this.registrantBound(msg, peer);
    else this.hostBound(msg as CtpHostBoundMessage, peer);
  }

  /**
   * RESPONSE, EVENT: toward the router of the destination virtual node.
   * False only when a frame this router originates was refused as larger
   * than `maxFrameBytes` (nothing sent).
   */
  registrantBound(
    msg: CtpRegistrantBoundMessage,
    from: CtpSource<P>,
    frame?: string,
    checked = false,
  ): boolean {
    const dest = msg.t === 'RESPONSE' ? msg.controller : msg.monitor;
    // `checked`: the codec found `dest` a well-formed virtual node of `msg.node`, so its router id starts after `<type>[<node>]@`.
    const at = checked
      ? (dest.charCodeAt(0) === 99 /* c */ ? 11 : 8) + msg.node.length + 2
      : virtualRouterAt(dest, msg.node);
    if (at < 0) {
      if (from !== LOCAL)
        this.report.drop(from, 'malformed', {
          t: msg.t,
          message: 'the destination is not a virtual node',
        });
      return true;
    }
    const id = this.table.id;
    if (dest.length - at === id.length && hasAt(dest, id, at)) {
      if (!this.table.hasLocal(dest)) {
        if (from !== LOCAL) this.report.drop(from, 'no-route', { t: msg.t, node: msg.node });
        return true;
      }
      if (from !== LOCAL && this.gate !== undefined && !this.gate.admitAnswer(msg, from))
        return true;
      if (msg.t === 'RESPONSE') this.caller?.onResponse(msg, from);
      else this.caller?.onEvent(msg);
      return true;
    }
    return this.forward(msg, dest.slice(at), from, frame);
  }

  /** Send a RESPONSE to `registrant` (routed like any frame toward its `@id`); false when refused as too large. */
  answer(
    node: string,
    registrant: string,
    code: ReturnCode,
    re?: number,
    content?: unknown,
    reason?: string,
  ): boolean {
    return this.registrantBound(responseTo(node, registrant, code, re, content, reason), LOCAL);
  }

  /**
   * `answer` to the controller a host recorded for `node`: it was checked as
   * `node`'s controller virtual node when it registered, so its router id is
   * not parsed again (the hot path, BENCHMARKS.md).
   */
  answerController(
    node: string,
    controller: string,
    code: ReturnCode,
    re: number,
    content: unknown,
    reason: string | undefined,
  ): boolean {
    return this.registrantBound(
      responseTo(node, controller, code, re, content, reason),
      LOCAL,
      undefined,
      true,
    );
  }

  /** Send a request this router made toward the router `to` (or handle it here); a failure settles it. */
  request(msg: CtpRequestMessage, to: string): void {
    if (to === this.table.id) return this.host?.onRequest(msg, LOCAL);
    const peer = this.table.peerToward(to);
    if (peer === undefined) {
      if (debug.enabled)
        debug('%s has no route to %s for %s: NODE_UNFOUND', this.table.id, to, describeFrame(msg));
      return this.caller?.settle(msg.node, msg.id, NODE_UNFOUND);
    }
    const sealed = this.gate === undefined ? msg : this.gate.seal(msg, to);
    if (!this.out.message(peer, sealed, () => this.caller?.settle(msg.node, msg.id, SEND_FAILED)))
      this.caller?.settle(msg.node, msg.id, TOO_LARGE);
  }

  /** Send a frame that nothing waits for (a refresh) toward `to`, if it can go. */
  toRouter(msg: CtpHostBoundMessage, to: string): void {
    if (to === this.table.id) return this.host?.onRequest(msg, LOCAL);
    const peer = this.table.peerToward(to);
    if (peer !== undefined) this.out.message(peer, this.gate?.seal(msg, to) ?? msg);
  }

  /** False only when a frame this router originates was refused as too large. */
  private forward(
    msg: CtpMessage,
    dest: string,
    from: CtpSource<P>,
    frame: string | undefined,
  ): boolean {
    const peer = this.table.peerToward(dest);
    if (peer === undefined) return (this.unroutable(msg, from, 'no-route'), true);
    if (from === LOCAL) return this.out.message(peer, this.gate?.seal(msg, dest) ?? msg);
    const hops = msg.hops ?? 0;
    if (hops >= this.maxHops) return (this.unroutable(msg, from, 'hop-limit'), true);
    // Issue 10: a request carries its caller's remaining time, less this router's residence.
    const ttl = 'ttl' in msg ? remainingTtl(msg, this.stall) : undefined;
    if (ttl !== undefined && ttl <= 0) return (this.expired(msg, from), true);
    this.out.counters.forwarded++;
    if (debug.enabled)
      debug(
        '%s forwards %s toward %s via %s',
        this.table.id,
        describeFrame({ ...msg, hops: hops + 1 }),
        dest,
        this.table.boundId(peer) ?? '?',
      );
    // The frame keeps every field it arrived with; only `hops` and `ttl`
    // change. A codec that can patch the text it received saves the re-encode.
    const codec = this.out.codec;
    const newTtl = ttl !== undefined && ttl !== (msg as { ttl?: number }).ttl ? ttl : undefined;
    let patched: string | undefined;
    if (frame !== undefined && codec.forward !== undefined) {
      if (newTtl === undefined) patched = codec.forward(frame, msg, hops + 1);
      else if (codec.forward.length >= 4) patched = codec.forward(frame, msg, hops + 1, newTtl);
    }
    this.out.frame(
      peer,
      patched ??
        codec.encode(
          newTtl === undefined
            ? { ...msg, hops: hops + 1 }
            : ({ ...msg, hops: hops + 1, ttl: newTtl } as CtpMessage),
        ),
      undefined,
      undefined,
      msg.t,
    );
    return true;
  }

  /** A request whose caller has given up (its `ttl` ran out here): dropped, never answered. */
  private expired(msg: CtpMessage, from: P): void {
    this.report.drop(from, 'expired', { t: msg.t, node: 'node' in msg ? msg.node : undefined });
  }

  /**
   * Can a RESPONSE reach `registrant`? It travels by the router id after its
   * `@`, so that router being reachable is enough: the registrant's virtual
   * node may still wait in a paced advert (a REGISTER need not wait for it:
   * PROTOCOL.md section 5, "Confirming a registrant").
   */
  private canAnswer(registrant: string, node: string): boolean {
    const v = virtualParts(registrant);
    return (
      v !== undefined &&
      v.node === node &&
      (this.table.isReachableName(registrant) || this.table.isReachable(v.routerId))
    );
  }

  /**
   * A frame that cannot go on. A request whose registrant is routable is
   * answered NODE_UNFOUND first, so its caller does not wait for a timeout.
   */
  private unroutable(msg: CtpMessage, from: CtpSource<P>, reason: DropReason): void {
    if (debug.enabled)
      debug(
        '%s cannot route %s (%s) from %s',
        this.table.id,
        describeFrame(msg),
        reason,
        from === LOCAL ? 'here' : (this.table.boundId(from) ?? '?'),
      );
    if ('id' in msg && typeof msg.id === 'number') {
      const req = msg as CtpRequestMessage;
      const registrant =
        req.t === 'REGISTER' || req.t === 'UNREGISTER'
          ? (req.controller ?? req.monitor)
          : req.controller;
      if (from === LOCAL && this.table.hasLocal(registrant as string))
        this.caller?.settle(req.node, req.id, NODE_UNFOUND);
      else if (registrant !== undefined && this.canAnswer(registrant, req.node)) {
        if (debug.enabled)
          debug(
            '%s answers NODE_UNFOUND to %s for %s id %d',
            this.table.id,
            registrant,
            req.node,
            req.id,
          );
        this.answer(req.node, registrant, ReturnCode.NODE_UNFOUND, req.id);
      }
    }
    if (from !== LOCAL)
      this.report.drop(from, reason, { t: msg.t, node: 'node' in msg ? msg.node : undefined });
  }
}
