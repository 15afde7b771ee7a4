/**
 * The registration rules at the host (PROTOCOL.md section 5): for each local
 * node its controller and monitors (`CtpHostedNode`s); REGISTER and
 * UNREGISTER; REGISTERs waiting for their virtual node; claims; leases of
 * unreachable registrants; the removal grace of removed nodes; releases (a
 * lease run out, an idle timeout) and the memory of released registrations
 * with the notice sent when they return. The host (host.ts) owns it and
 * answers control requests on its records.
 */
import createDebug from 'debug';
import { CtpTimers, type CtpTimerHandle } from '../base/clock.js';
import { ReturnCode, type CtpRegister, type CtpUnregister } from '../base/messages.js';
import { virtualParts, type CtpRegistrationType } from '../base/names.js';
import { LOCAL, type CtpHostRouting, type CtpSource } from '../link-state/routing.js';
import type { CtpTable, CtpTableDelta } from '../link-state/table.js';
import { claimsMax, CtpRegisterClaims } from './claims.js';
import { CtpHostedNode } from './hosted-node.js';
import { CtpIdleLocks } from './idle-locks.js';
import type { CtpOpenRequest } from './open-request.js';
import { CtpReleaseNotices, type CtpReleaseNoticeHost } from './release-notices.js';
import type { CtpHostLinks, CtpHostOptions, CtpHostReport } from './types.js';
import { CtpWaitingRegisters } from './waiting.js';

const debug = createDebug('ctp:host');

/** What the registration rules ask of the host. */
export interface CtpRegistrationHooks {
  /** An open request ended (hosted-node.ts): clear its expiry, count it off. */
  ended(open: CtpOpenRequest | undefined): void;
}

/** The registrations of the local nodes, and the rules that make and end them. */
export class CtpRegistrations<P> implements CtpReleaseNoticeHost {
  private readonly hosted = new Map<string, CtpHostedNode>();
  private readonly table: CtpTable<P>;
  private readonly routing: CtpHostRouting<P>;
  private readonly leases = new Map<string, CtpTimerHandle>();
  private readonly waiting: CtpWaitingRegisters;
  /** Registrants taken at their router's word until its advert speaks (claims.ts). */
  private readonly claims: CtpRegisterClaims;
  /** What was released, and the notices to registrants that may still believe in it (release-notices.ts). */
  private readonly notices: CtpReleaseNotices<P>;
  /** Lock timeouts of controllers (idle-locks.ts). */
  private readonly idle: CtpIdleLocks;

  constructor(
    private readonly links: CtpHostLinks<P>,
    private readonly timers: CtpTimers,
    private readonly opts: CtpHostOptions,
    private readonly report: CtpHostReport<P>,
    private readonly hooks: CtpRegistrationHooks,
  ) {
    const { table, routing } = links;
    this.table = table;
    this.routing = routing;
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
      claimsMax(opts.maxWaitingRegistrations),
      opts.registrationWaitMs,
      (name) => this.claimRefuted(name),
    );
    this.notices = new CtpReleaseNotices(table, routing, new CtpTimers(timers.clock), opts, this);
  }

  /** The registrations of local node `node`, where it has any. */
  get(node: string): CtpHostedNode | undefined {
    return this.hosted.get(node);
  }

  /** Every local node with registrations. */
  nodes(): IterableIterator<CtpHostedNode> {
    return this.hosted.values();
  }

  /** Is the registrant `name` routable: advertised, or claimed by its router (claims.ts)? */
  present(name: string): boolean {
    return this.table.isReachableName(name) || this.claims.has(name);
  }

  /** A control request from `controller` to `node`: its idle time starts again (idle-locks.ts). */
  touch(node: string, controller: string): void {
    this.idle.touch(node, controller);
  }

  /** Local nodes added: a node re-added within its grace keeps its controller and monitors. */
  added(nodes: readonly string[]): void {
    for (const n of nodes) {
      // Back after its grace: registrants that never saw it go (its removal still waited in a paced advert) hear so.
      this.notices.nodeBack(n);
      const h = this.hosted.get(n);
      if (h?.removalTimer === undefined) continue;
      this.timers.clear(h.endGrace());
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
      this.hooks.ended(h.endOpen('removed'));
      h.startGrace(() => this.timers.set(() => this.dropRecord(n), this.opts.leaseGraceMs));
    }
  }

  // ---- REGISTER, UNREGISTER -------------------------------------------------

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

  register(msg: CtpRegister, from: CtpSource<P>): void {
    const r = this.registrantOf(msg, from);
    if (r === undefined) return;
    if (this.table.isReachableName(r.name) || this.claimed(msg, r.name, from))
      return this.completeRegister(msg, r.type, r.name);
    // PROTOCOL.md section 5: wait (event-driven, not the seed's sleep loop) for
    // the registrant's advert, which can arrive after the request.
    // Shared fairly per origin (waiting.ts); origins the table does not know share one share.
    const origin = (virtualParts(r.name) as { routerId: string }).routerId;
    const share = this.table.isReachable(origin) ? origin : '';
    const waiting = this.waiting.add(
      r.name,
      msg,
      () => {
        if (from !== LOCAL)
          this.report.drop(from, 'registrant-unknown', { t: msg.t, node: msg.node });
      },
      share,
    );
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
    if (!this.table.hasLocal(msg.node)) {
      this.report.meter.answered('REGISTER', ReturnCode.NODE_UNFOUND);
      return void this.routing.answer(msg.node, name, ReturnCode.NODE_UNFOUND, msg.id);
    }
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
        h.control(name);
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
    this.report.meter.answered('REGISTER', code);
    this.routing.answer(msg.node, name, code, msg.id, content, reason);
  }

  unregister(msg: CtpUnregister, from: CtpSource<P>): void {
    const r = this.registrantOf(msg, from);
    if (r === undefined) return;
    const h = this.hosted.get(msg.node);
    let code: ReturnCode;
    if (r.type === 'controller') {
      if (h?.controller === undefined) code = ReturnCode.NOT_ASSIGNED;
      else if (h.controller !== r.name) code = ReturnCode.ALREADY_ASSIGNED;
      else {
        this.hooks.ended(h.dropController('unregistered'));
        this.idle.disarm(msg.node);
        code = ReturnCode.SUCCESS;
      }
    } else if (h === undefined || !h.monitors.delete(r.name)) code = ReturnCode.NOT_ASSIGNED;
    else code = ReturnCode.SUCCESS;
    if (code === ReturnCode.SUCCESS) this.clearLease(r.name);
    this.prune(msg.node);
    this.report.meter.answered('UNREGISTER', code);
    this.routing.answer(msg.node, r.name, code, msg.id);
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

  /** Forget the record of `node` when nothing is left in it. */
  prune(node: string): void {
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
      this.hooks.ended(h.dropController('released'));
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
    this.hooks.ended(h.dropController('idle'));
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

  /** The host closes (after clearing its timers, which these share): stop everything else. */
  close(): void {
    this.idle.close();
    this.waiting.clear();
    this.claims.clear();
    this.notices.close();
    this.leases.clear();
  }
}
