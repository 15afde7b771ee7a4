/**
 * The host side (PROTOCOL.md section 5): for each local node its controller,
 * monitors and open control request; REGISTERs waiting for their virtual
 * node; leases of unreachable registrants; the removal grace of removed
 * nodes; the memory of released registrations and the notice sent when they
 * return; `respond` and `publish`.
 */
import createDebug from 'debug';
import { CtpTimers, type CtpTimerHandle } from '../base/clock.js';
import { isThenable } from '../base/callbacks.js';
import { CtpCallbackError } from '../base/errors.js';
import type { CtpReceivedCallback } from '../base/callbacks.js';
import type { CtpEmit } from '../events.js';
import type { CtpTableListener } from '../link-state/link-state.js';
import type { CtpAdvertAuth } from '../link-state/signing.js';
import { CtpHandlers, type CtpHandlerHooks } from './handlers.js';
import { CtpHostedNode } from './hosted-node.js';
import { CtpIdleLocks } from './idle-locks.js';
import { CtpReleaseNotices } from './release-notices.js';
import {
  ReturnCode,
  type CtpControlMessage,
  type CtpEvent,
  type CtpHostBoundMessage,
  type CtpRegister,
  type CtpResult,
  type CtpUnregister,
} from '../base/messages.js';
import { eventTargets } from './fanout.js';
import { isControllerOf, virtualParts, type CtpRegistrationType } from '../base/names.js';
import type { CtpReport } from '../wire/report.js';
import { LOCAL, type CtpHostDoor, type CtpRouting, type CtpSource } from '../link-state/routing.js';
import type { CtpTable, CtpTableDelta } from '../link-state/table.js';
import { CtpWaitingRegisters } from './waiting.js';
import { CtpRegisterClaims } from './claims.js';
import type { CtpOpenRequest } from './open-request.js';

const debug = createDebug('ctp:host');

export interface CtpHostOptions {
  registrationWaitMs: number;
  leaseGraceMs: number;
  maxWaitingRegistrations: number;
  staleAdvertMs: number;
  /** Issue 10: further monitor REGISTERs are REJECTED (`too-many-monitors`). */
  maxMonitorsPerNode: number;
  /** Issue 10: the cap on (and default of) a controller's idle timeout. */
  maxControlIdleMs: number | undefined;
  /** An open control request expires (its handler's signal aborts) after this long. */
  responseTimeoutMs: number;
}

/** What the host role reports through: drops, errors and the `released` event. */
export interface CtpHostReport<P> extends CtpReport<P> {
  readonly emit: CtpEmit<P>;
}

/** Link state as the host sees it: the table, the routes, the signatures, the outbound edge. */
export interface CtpHostLinks<P> {
  readonly table: CtpTable<P>;
  readonly routing: CtpRouting<P>;
  readonly auth: CtpAdvertAuth<P>;
}

/**
 * The host role: the nodes this router hosts. Its doors: `onRequest` (a
 * frame for a local node), `onTableChange`, and the host app's calls
 * (`respond`, `publish`, `post`, `handle`, local nodes added and removed).
 */
export class CtpHost<P> implements CtpHostDoor<P>, CtpTableListener, CtpHandlerHooks {
  private readonly hosted = new Map<string, CtpHostedNode>();
  /** The handlers of local nodes (`router.handle`). */
  readonly handlers: CtpHandlers;
  private readonly table: CtpTable<P>;
  private readonly routing: CtpRouting<P>;
  private readonly leases = new Map<string, CtpTimerHandle>();
  private readonly waiting: CtpWaitingRegisters;
  /** Registrants taken at their router's word until its advert speaks (claims.ts). */
  private readonly claims: CtpRegisterClaims;
  /** What was released, and the notices to registrants that may still believe in it (release-notices.ts). */
  private readonly notices: CtpReleaseNotices<P>;
  /** Lock timeouts of controllers (idle-locks.ts). */
  private readonly idle: CtpIdleLocks;
  /** Open requests a handler is answering. */
  private handling = 0;

  constructor(
    private readonly links: CtpHostLinks<P>,
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
    this.idle = new CtpIdleLocks(
      new CtpTimers(timers.clock),
      opts.maxControlIdleMs,
      (node, controller) => this.idleRelease(node, controller),
    );
    this.waiting = new CtpWaitingRegisters(
      timers,
      opts.maxWaitingRegistrations,
      opts.registrationWaitMs,
    );
    this.claims = new CtpRegisterClaims(
      timers,
      opts.maxWaitingRegistrations,
      opts.registrationWaitMs,
      (name) => this.claimRefuted(name),
    );
    this.notices = new CtpReleaseNotices(table, routing, new CtpTimers(timers.clock), opts, this);
  }

  /** The controller and monitors of a local node, where it has any. */
  record(
    node: string,
  ): { controller: string | undefined; monitors: readonly string[] } | undefined {
    const h = this.hosted.get(node);
    return h === undefined ? undefined : { controller: h.controller, monitors: [...h.monitors] };
  }

  /** Is the registrant `name` routable: advertised, or claimed by its router (claims.ts)? */
  private present(name: string): boolean {
    return this.table.isReachableName(name) || this.claims.has(name);
  }

  controllerOf(node: string): string | undefined {
    return this.hosted.get(node)?.controller;
  }

  /** A frame for a local node. */
  onRequest(msg: CtpHostBoundMessage, from: CtpSource<P>): void {
    switch (msg.t) {
      case 'REGISTER':
        return this.register(msg, from);
      case 'UNREGISTER':
        return this.unregister(msg, from);
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
    const h = this.hosted.get(node);
    if (h?.controller === undefined) return { code: ReturnCode.NOT_ASSIGNED };
    // PROTOCOL.md section 10: nothing is sent when nothing is open (it would be dropped as stale).
    if (h.open === undefined) return { code: ReturnCode.ERROR, reason: 'no-open-request' };
    if (re !== undefined && re !== h.open.re) return { code: ReturnCode.ERROR, reason: 'stale' };
    if (!this.routing.answerController(node, h.controller, code, h.open.re, content, reason))
      return { code: ReturnCode.ERROR, reason: 'too-large' };
    this.ended(h.endOpen('answered'));
    this.prune(node);
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
    const h = this.hosted.get(node);
    if (h === undefined || !this.table.hasLocal(node)) return false;
    const targets = eventTargets(h.controller, h.monitors, (v) => this.present(v));
    for (const monitor of targets)
      if (
        !this.routing.registrantBound(
          { v: 1, t: 'EVENT', node, monitor, content } as CtpEvent,
          LOCAL,
        )
      )
        return 'too-large';
    return targets.length > 0;
  }

  /** Local nodes added: a node re-added within its grace keeps its controller and monitors. */
  added(nodes: readonly string[]): void {
    for (const n of nodes) {
      // Back after its grace: registrants that never saw it go (its removal still waited in a paced advert) hear so.
      this.notices.nodeBack(n);
      const h = this.hosted.get(n);
      if (h?.removalTimer === undefined) continue;
      h.removalTimer = this.timers.clear(h.removalTimer);
      // Its registrations may have been released meanwhile: an empty record
      // would stay forever (found by the simulator, seed 21290).
      this.prune(n);
    }
  }

  /** Local nodes removed: PROTOCOL.md section 5, their registrations are kept for the grace. */
  removed(nodes: readonly string[]): void {
    for (const n of nodes) {
      const h = this.hosted.get(n);
      if (h === undefined) continue;
      this.ended(h.endOpen('removed'));
      h.removalTimer ??= this.timers.set(() => this.dropRecord(n), this.opts.leaseGraceMs);
    }
  }

  // ---- REGISTER, UNREGISTER, control ----------------------------------------

  /** The registrant named in a REGISTER/UNREGISTER, when well-formed for this node and type. */
  private registrantOf(
    msg: CtpRegister | CtpUnregister,
    from: CtpSource<P>,
  ): { type: CtpRegistrationType; name: string } | undefined {
    const type: CtpRegistrationType = msg.controller !== undefined ? 'controller' : 'monitor';
    const name = (msg.controller ?? msg.monitor) as string;
    const v = virtualParts(name);
    if (v === undefined || v.type !== type || v.node !== msg.node) {
      if (from !== LOCAL) this.report.drop(from, 'bad-registrant', { t: msg.t, node: msg.node });
      return undefined;
    }
    return { type, name };
  }

  private register(msg: CtpRegister, from: CtpSource<P>): void {
    const r = this.registrantOf(msg, from);
    if (r === undefined) return;
    if (this.table.isReachableName(r.name) || this.claimed(msg, r.name, from))
      return this.completeRegister(msg, r.type, r.name);
    // PROTOCOL.md section 5: wait (event-driven, not the seed's sleep loop) for
    // the registrant's advert, which can arrive after the request.
    const waiting = this.waiting.add(r.name, msg, () => {
      if (from !== LOCAL)
        this.report.drop(from, 'registrant-unknown', { t: msg.t, node: msg.node });
    });
    if (!waiting && from !== LOCAL)
      this.report.drop(from, 'too-many-waiting', { t: msg.t, node: msg.node });
  }

  /**
   * PROTOCOL.md section 5, "Confirming a registrant": a REGISTER from the
   * registrant's own router (signed, with identities) that claims its advert
   * lists the virtual node from a seq this host has not stored yet stands in
   * for that advert until it arrives.
   */
  private claimed(msg: CtpRegister, name: string, from: CtpSource<P>): boolean {
    if (msg.claim === undefined || from === LOCAL) return false;
    const origin = (virtualParts(name) as { routerId: string }).routerId;
    if (!this.claims.admissible(this.table, name, origin, msg.claim)) return false;
    const problem = this.links.auth.claimProblem(origin, msg, this.timers.now());
    if (problem !== undefined) {
      debug('%s: the claim of %s does not stand: %s', this.table.id, name, problem);
      return false;
    }
    this.claims.add(name, origin, msg.claim);
    return true;
  }

  /** A claim was refuted or ran out: a registration made on it runs its lease like any registrant that went. */
  private claimRefuted(name: string): void {
    if (this.table.isReachableName(name) || this.leases.has(name)) return;
    const v = virtualParts(name);
    if (v !== undefined && this.isRecorded(name, v.node))
      this.leases.set(
        name,
        this.timers.set(() => this.release(name), this.opts.leaseGraceMs),
      );
  }

  private completeRegister(msg: CtpRegister, type: CtpRegistrationType, name: string): void {
    if (!this.table.hasLocal(msg.node))
      return void this.routing.answer(msg.node, name, ReturnCode.NODE_UNFOUND, msg.id);
    const h = this.recordFor(msg.node);
    let code: ReturnCode;
    let reason: string | undefined;
    let content: { idleTimeoutMs: number } | undefined;
    if (type === 'controller') {
      if (msg.refresh === true && h.controller !== name) code = ReturnCode.NOT_ASSIGNED;
      else if (h.controller !== undefined && h.controller !== name)
        code = ReturnCode.ALREADY_ASSIGNED;
      else {
        // A refresh keeps the idle timeout (and its timer); a new REGISTER (re)starts it.
        const ms =
          msg.refresh === true
            ? this.idle.current(msg.node, name)
            : this.idle.arm(msg.node, name, msg.idleTimeoutMs);
        if (ms !== undefined) content = { idleTimeoutMs: ms };
        h.controller = name;
        code = ReturnCode.SUCCESS;
      }
    } else if (!h.monitors.has(name) && h.monitors.size >= this.opts.maxMonitorsPerNode) {
      code = ReturnCode.REJECTED;
      reason = 'too-many-monitors';
    } else {
      h.monitors.add(name);
      code = ReturnCode.SUCCESS;
    }
    if (code === ReturnCode.SUCCESS) {
      this.clearLease(name);
      this.notices.recorded(name);
    } else this.prune(msg.node);
    debug('%s: %s of %s by %s -> %s', this.table.id, type, msg.node, name, code);
    this.routing.answer(msg.node, name, code, msg.id, content, reason);
  }

  private unregister(msg: CtpUnregister, from: CtpSource<P>): void {
    const r = this.registrantOf(msg, from);
    if (r === undefined) return;
    const h = this.hosted.get(msg.node);
    let code: ReturnCode;
    if (r.type === 'controller') {
      if (h?.controller === undefined) code = ReturnCode.NOT_ASSIGNED;
      else if (h.controller !== r.name) code = ReturnCode.ALREADY_ASSIGNED;
      else {
        this.ended(h.dropController('unregistered'));
        this.idle.disarm(msg.node);
        code = ReturnCode.SUCCESS;
      }
    } else if (h === undefined || !h.monitors.delete(r.name)) code = ReturnCode.NOT_ASSIGNED;
    else code = ReturnCode.SUCCESS;
    if (code === ReturnCode.SUCCESS) this.clearLease(r.name);
    this.prune(msg.node);
    this.routing.answer(msg.node, r.name, code, msg.id);
  }

  private control(msg: CtpControlMessage, from: CtpSource<P>): void {
    const h = this.hosted.get(msg.node);
    // The node's controller was checked as its controller virtual node when it registered: a request from it needs no parse.
    if (h?.controller === undefined || h.controller !== msg.controller) {
      if (!isControllerOf(msg.controller, msg.node))
        return void (
          from !== LOCAL && this.report.drop(from, 'bad-registrant', { t: msg.t, node: msg.node })
        );
      return void this.routing.answer(
        msg.node,
        msg.controller,
        h?.controller === undefined ? ReturnCode.NOT_ASSIGNED : ReturnCode.REJECTED,
        msg.id,
      );
    }
    this.idle.touch(msg.node, msg.controller);
    // One open request per node: a newer one replaces it.
    const { opened: open, superseded } = h.openFor(msg.id);
    this.ended(superseded);
    open.timer = this.timers.set(() => {
      open.timer = undefined;
      if (h.open === open) this.ended(h.endOpen('expired'));
    }, this.opts.responseTimeoutMs);
    try {
      const r = this.handlers.has(msg.node)
        ? this.handlers.run(msg, open)
        : this.onReceived(msg.t, msg);
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

  /** An open request ended (hosted-node.ts): clear its expiry, count it off. */
  private ended(open: CtpOpenRequest | undefined): void {
    if (open === undefined) return;
    open.timer = this.timers.clear(open.timer);
    if (open.counted) {
      open.counted = false;
      this.handling--;
    }
  }

  /** Open requests a handler is answering (drain waits for them). */
  get busy(): number {
    return this.handling;
  }

  // ---- records and leases ---------------------------------------------------

  private recordFor(node: string): CtpHostedNode {
    let h = this.hosted.get(node);
    if (h === undefined) {
      h = new CtpHostedNode(node);
      this.hosted.set(node, h);
    }
    return h;
  }

  private prune(node: string): void {
    if (this.hosted.get(node)?.empty === true) this.hosted.delete(node);
  }

  /** A removed node's grace ran out: drop its registrations silently. */
  private dropRecord(node: string): void {
    const h = this.hosted.get(node);
    if (h === undefined || this.table.hasLocal(node)) return;
    this.idle.disarm(node);
    for (const name of h.controller === undefined ? h.monitors : [h.controller, ...h.monitors]) {
      this.clearLease(name);
      this.notices.released(name);
    }
    this.hosted.delete(node);
  }

  private clearLease(name: string): void {
    const t = this.leases.get(name);
    if (t === undefined) return;
    this.timers.clear(t);
    this.leases.delete(name);
  }

  /** The table changed: start leases of registrants that went, end those that came back, complete waiting REGISTERs. */
  onTableChange(delta: CtpTableDelta): void {
    for (const name of delta.removed) {
      const v = virtualParts(name);
      if (v === undefined) continue;
      const h = this.hosted.get(v.node);
      const held = h !== undefined && (h.controller === name || h.monitors.has(name));
      if (held && !this.leases.has(name))
        this.leases.set(
          name,
          this.timers.set(() => this.release(name), this.opts.leaseGraceMs),
        );
    }
    const gained = delta.gained.length > 0 ? new Set(delta.gained) : undefined;
    for (const name of delta.added) {
      this.clearLease(name);
      this.notices.added(name, gained);
      for (const m of this.waiting.take(name))
        this.completeRegister(m, m.controller !== undefined ? 'controller' : 'monitor', name);
    }
    this.claims.review(this.table);
  }

  /** Does `node` hold `name` as its controller or a monitor? (release-notices.ts) */
  isRecorded(name: string, node: string): boolean {
    return this.hosted.get(node)?.holds(name) === true;
  }

  /** Does a REGISTER of `name` wait for its advert? (release-notices.ts) */
  isWaiting(name: string): boolean {
    return this.waiting.has(name);
  }

  /** A registrant's virtual node stayed unreachable for the grace. */
  private release(name: string): void {
    this.leases.delete(name);
    if (this.present(name)) return;
    const v = virtualParts(name);
    const h = v === undefined ? undefined : this.hosted.get(v.node);
    if (v === undefined || h === undefined) return;
    if (v.type === 'controller' && h.controller === name) {
      this.ended(h.dropController('released'));
      this.idle.disarm(v.node);
    } else if (!(v.type === 'monitor' && h.monitors.delete(name))) return;
    this.prune(v.node);
    debug('%s released %s', this.table.id, name);
    this.notices.released(name);
    this.report.emit('released', { node: v.node, type: v.type, registrant: name });
  }

  /**
   * A controller's idle timeout ran out (idle-locks.ts): release control,
   * emit `released` (reason `idle`) and send the registrant a release notice
   * like release-notices.ts's, reason `idle`.
   */
  private idleRelease(node: string, controller: string): void {
    const h = this.hosted.get(node);
    if (h?.controller !== controller) return;
    this.ended(h.dropController('idle'));
    this.clearLease(controller);
    this.prune(node);
    debug('%s released %s (idle)', this.table.id, controller);
    this.report.emit('released', {
      node,
      type: 'controller',
      registrant: controller,
      reason: 'idle',
    });
    if (this.present(controller))
      this.routing.answer(
        node,
        controller,
        ReturnCode.NOT_ASSIGNED,
        undefined,
        { host: this.table.id },
        'idle',
      );
  }

  close(): void {
    for (const h of this.hosted.values()) this.ended(h.endOpen('closed'));
    this.timers.clearAll();
    this.idle.close();
    this.waiting.clear();
    this.claims.clear();
    this.notices.close();
    this.leases.clear();
  }
}
