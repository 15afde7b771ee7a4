/**
 * The host role (PROTOCOL.md section 5): the one class the other roles talk
 * to about the nodes this router hosts. It takes the frames for local nodes
 * and answers control requests (START, STOP, COMMAND: the open request, the
 * handlers, `respond`) and publishes events (`publish`); the registrations
 * those rest on — REGISTER and UNREGISTER, waiting REGISTERs, claims,
 * leases, releases and release notices, idle locks — are kept by its
 * registration rules (registrations.ts).
 */
import { idleTimersHarmless, type CtpClock, type CtpTimers } from '../base/clock.js';
import { CtpDeadlineSweep } from '../caller/deadline-sweep.js';
import { isThenable } from '../base/callbacks.js';
import { CtpCallbackError } from '../base/errors.js';
import type { CtpReceivedCallback } from '../base/callbacks.js';
import type { CtpTableListener } from '../link-state/link-state.js';
import { CtpHandlers, type CtpHandlerHooks } from './handlers.js';
import type { CtpHostedNode } from './hosted-node.js';
import {
  ReturnCode,
  type CtpControlMessage,
  type CtpEvent,
  type CtpHostBoundMessage,
  type CtpResult,
} from '../base/messages.js';
import { eventTargets } from './fanout.js';
import { traceAnswered, traceServer } from '../tracing/tracing.js';
import { isControllerOf } from '../base/names.js';
import {
  LOCAL,
  type CtpHostDoor,
  type CtpHostRouting,
  type CtpSource,
} from '../link-state/routing.js';
import type { CtpTable, CtpTableDelta } from '../link-state/table.js';
import type { CtpOpenExpiry, CtpOpenHolder, CtpOpenRequest } from './open-request.js';
import { CtpRegistrations, type CtpRegistrationHooks } from './registrations.js';
import type { CtpHostLinks, CtpHostOptions, CtpHostReport } from './types.js';

export type { CtpHostLinks, CtpHostOptions, CtpHostReport } from './types.js';

/**
 * The host role: the nodes this router hosts. Its doors: `onRequest` (a
 * frame for a local node), `onTableChange`, and the host app's calls
 * (`respond`, `publish`, `post`, `handle`, local nodes added and removed).
 */
export class CtpHost<P>
  implements CtpHostDoor<P>, CtpTableListener, CtpHandlerHooks, CtpRegistrationHooks, CtpOpenExpiry
{
  /** The registrations of the local nodes and their rules (registrations.ts). */
  private readonly registrations: CtpRegistrations<P>;
  /** The handlers of local nodes (`router.handle`). */
  readonly handlers: CtpHandlers;
  private readonly table: CtpTable<P>;
  private readonly routing: CtpHostRouting<P>;
  /** Open requests a handler is answering. */
  private handling = 0;
  /**
   * The open requests' expiries: ONE timer for all (caller/deadline-sweep.ts),
   * set through `timers` (unref'ed, cleared by `close`), not one per request;
   * left armed when no request is open (`keepWhenIdle`) unless the clock is
   * one that runs its timers until none is left (a simulator's).
   */
  private readonly expiries: CtpDeadlineSweep;

  constructor(
    links: CtpHostLinks<P>,
    private readonly timers: CtpTimers,
    private readonly opts: CtpHostOptions,
    /** START/STOP/COMMAND of nodes without a handler (the seed's `ctpc_received_callback`). */
    private readonly onReceived: CtpReceivedCallback,
    private readonly report: CtpHostReport<P>,
  ) {
    const { table, routing } = links;
    this.table = table;
    this.routing = routing;
    this.handlers = new CtpHandlers(this);
    this.registrations = new CtpRegistrations(links, timers, opts, report, this);
    const sweepClock: CtpClock = {
      now: () => timers.now(),
      setTimeout: (fn, ms) => timers.set(fn, ms),
      clearTimeout: (h) => void timers.clear(h),
    };
    this.expiries = new CtpDeadlineSweep(sweepClock, idleTimersHarmless(timers.clock));
  }

  /** The controller and monitors of a local node, where it has any. */
  record(
    node: string,
  ): { controller: string | undefined; monitors: readonly string[] } | undefined {
    const h = this.registrations.get(node);
    return h === undefined ? undefined : { controller: h.controller, monitors: [...h.monitors] };
  }

  controllerOf(node: string): string | undefined {
    return this.registrations.get(node)?.controller;
  }

  /** A frame for a local node. */
  onRequest(msg: CtpHostBoundMessage, from: CtpSource<P>): void {
    switch (msg.t) {
      case 'REGISTER':
        return this.registrations.register(msg, from);
      case 'UNREGISTER':
        return this.registrations.unregister(msg, from);
      case 'POST':
        this.publish(msg.node, msg.content);
        return;
      default:
        return this.control(msg, from);
    }
  }

  // ---- the host app's side --------------------------------------------------

  /**
   * `respond` once the caller's arguments are checked (PROTOCOL.md section 5).
   * A RESPONSE too large to send is not sent: `ERROR` reason `too-large`, and
   * the request stays open for a smaller answer.
   */
  respond(
    node: string,
    content: unknown,
    code: ReturnCode,
    re: number | undefined,
    reason?: string,
  ): CtpResult {
    const h = this.registrations.get(node);
    if (h?.controller === undefined) return { code: ReturnCode.NOT_ASSIGNED };
    // PROTOCOL.md section 10: nothing is sent when nothing is open (it would be dropped as stale).
    if (h.open === undefined) return { code: ReturnCode.ERROR, reason: 'no-open-request' };
    if (re !== undefined && re !== h.open.re) return { code: ReturnCode.ERROR, reason: 'stale' };
    if (!this.routing.answerController(node, h.controller, code, h.open.re, content, reason))
      return { code: ReturnCode.ERROR, reason: 'too-large' };
    this.report.meter.answered(h.open.t, code);
    h.open.trace?.answered(code, reason);
    this.ended(h.endOpen('answered'));
    this.registrations.prune(node);
    return { code: ReturnCode.SUCCESS };
  }

  /**
   * Send the node's EVENT to its controller and monitors: ONE EVENT per
   * destination router (a router holding the controller and a monitor
   * registration of the node gets it once, addressed to its controller's
   * virtual node, else to its first monitor's). False when nobody listens;
   * `too-large` (nothing sent) when the frame would exceed `maxFrameBytes`.
   */
  publish(node: string, content: unknown): boolean | 'too-large' {
    const h = this.registrations.get(node);
    if (h === undefined || !this.table.hasLocal(node)) return false;
    const targets = eventTargets(h.controller, h.monitors, (v) => this.registrations.present(v));
    for (const monitor of targets)
      if (
        !this.routing.registrantBound(
          { v: 1, t: 'EVENT', node, monitor, content } as CtpEvent,
          LOCAL,
        )
      )
        return 'too-large';
    if (targets.length > 0) this.report.meter.eventsPublished++;
    return targets.length > 0;
  }

  /** Local nodes added: a node re-added within its grace keeps its controller and monitors. */
  added(nodes: readonly string[]): void {
    this.registrations.added(nodes);
  }

  /** Local nodes removed: PROTOCOL.md section 5, their registrations are kept for the grace. */
  removed(nodes: readonly string[]): void {
    this.registrations.removed(nodes);
  }

  // ---- control requests -----------------------------------------------------

  private control(msg: CtpControlMessage, from: CtpSource<P>): void {
    const h = this.registrations.get(msg.node);
    // The node's controller was checked as its controller virtual node when it registered: a request from it needs no parse.
    if (h?.controller === undefined || h.controller !== msg.controller) {
      if (!isControllerOf(msg.controller, msg.node))
        return void (
          from !== LOCAL && this.report.drop(from, 'bad-registrant', { t: msg.t, node: msg.node })
        );
      const code = h?.controller === undefined ? ReturnCode.NOT_ASSIGNED : ReturnCode.REJECTED;
      this.report.meter.answered(msg.t, code);
      traceAnswered(msg, code);
      return void this.routing.answer(msg.node, msg.controller, code, msg.id);
    }
    this.registrations.touch(msg.node, msg.controller);
    // One open request per node: a newer one replaces it.
    const { opened: open, superseded } = h.openFor(msg.id);
    open.t = msg.t;
    this.ended(superseded);
    const now = this.timers.now();
    open.at = now + this.opts.responseTimeoutMs;
    open.expiry = this;
    open.holder = h;
    this.expiries.track(open, now);
    // Tracing on: the handler runs inside the request's SERVER span (tracing/tracing.ts).
    open.trace = traceServer(msg);
    try {
      const r =
        open.trace === undefined
          ? this.dispatch(msg, open)
          : open.trace.run(this.dispatch, this, msg, open);
      if (open.handled && open.ended === undefined) {
        open.counted = true;
        this.handling++;
      }
      // An async `onReceived` (or handler) that rejects fails like one that throws.
      if (isThenable(r)) r.then(undefined, (err: unknown) => this.controlFailed(h, open, msg, err));
    } catch (err) {
      this.controlFailed(h, open, msg, err);
    }
  }

  /** The node's handler, else `onReceived`, on its open request. */
  private dispatch(msg: CtpControlMessage, open: CtpOpenRequest): unknown {
    return this.handlers.has(msg.node) ? this.handlers.run(msg, open) : this.onReceived(msg.t, msg);
  }

  /**
   * The host app failed on a control request: report it and — SPEC.md
   * section 8 — answer ERROR while the request is still open, so the caller
   * does not wait for its timeout, without leaking the error's text.
   */
  private controlFailed(
    h: CtpHostedNode,
    open: CtpOpenRequest,
    msg: CtpControlMessage,
    err: unknown,
  ): void {
    this.report.error(
      err instanceof CtpCallbackError ? err : new CtpCallbackError('onReceived', err),
    );
    if (h.open !== open) return;
    this.report.meter.answered(msg.t, ReturnCode.ERROR);
    this.ended(h.endOpen('failed'));
    this.routing.answer(
      msg.node,
      msg.controller,
      ReturnCode.ERROR,
      msg.id,
      undefined,
      'host-callback-failed',
    );
  }

  /** An open request's expiry is due (the sweep): it ends `expired` if it is still the node's open one. */
  expired(open: CtpOpenRequest, h: CtpOpenHolder): void {
    this.expiries.untrack(open);
    if (h.open === open) this.ended(h.endOpen('expired'));
  }

  /** An open request ended (hosted-node.ts): stop watching its expiry, count it off. */
  ended(open: CtpOpenRequest | undefined): void {
    if (open === undefined) return;
    open.trace?.ended(open.ended);
    this.expiries.untrack(open);
    if (open.counted) {
      open.counted = false;
      this.handling--;
    }
  }

  /** Open requests a handler is answering (drain waits for them). */
  get busy(): number {
    return this.handling;
  }

  // ---- the registrations' side ---------------------------------------------

  /** The table changed: start leases of registrants that went, end those that came back, complete waiting REGISTERs. */
  onTableChange(delta: CtpTableDelta): void {
    this.registrations.onTableChange(delta);
  }

  /** Does `node` hold `name` as its controller or a monitor? */
  isRecorded(name: string, node: string): boolean {
    return this.registrations.isRecorded(name, node);
  }

  /** Does a REGISTER of `name` wait for its advert? */
  isWaiting(name: string): boolean {
    return this.registrations.isWaiting(name);
  }

  close(): void {
    for (const h of this.registrations.nodes()) this.ended(h.endOpen('closed'));
    this.expiries.close();
    this.timers.clearAll();
    this.registrations.close();
  }
}
