/**
 * The registrant side (PROTOCOL.md section 5): this router's own registrations,
 * the specs of the requests made on them (register, unregister, start, stop,
 * command), their gap and lost timers, refreshes and their retries, release
 * notices, and EVENT delivery.
 */
import createDebug from 'debug';
import { CtpTimers, type CtpTimerHandle } from '../base/clock.js';
import { isThenable } from '../base/callbacks.js';
import { CtpCallbackError } from '../base/errors.js';
import type { CtpEmit, CtpLostEvent } from '../events.js';
import { CtpIdleWatch } from '../host/idle-locks.js';
import {
  ReturnCode,
  type CtpControlMessage,
  type CtpEvent,
  type CtpRegister,
  type CtpResponse,
  type CtpResult,
  type CtpUnregister,
} from '../base/messages.js';
import { virtualName, type CtpRegistrationType } from '../base/names.js';
import type { CtpReport } from '../wire/report.js';
import type { CtpOp, CtpRequestPlan, CtpRequestSpec } from './requests.js';
import { LOCAL, type CtpRouting, type CtpSource } from '../link-state/routing.js';
import type { CtpTable } from '../link-state/table.js';

const debug = createDebug('ctp:registrant');

// A refresh is re-sent until answered, at most this many times, at this interval at least.
const REFRESH_TRIES = 10;
const REFRESH_RETRY_MIN_MS = 1_000;

/** A registration this router holds. */
export interface CtpOwnRegistration {
  readonly node: string;
  readonly type: CtpRegistrationType;
  readonly virtual: string;
  /** The host router it was made with; it stays bound to it. */
  readonly host: string;
  /** The node is not advertised by the host right now. */
  gap: boolean;
  lostTimer: CtpTimerHandle | undefined;
  /** id of the newest refresh in flight. */
  refreshId: number | undefined;
  /** Sends the refresh again until the host answers it (a refresh can be lost). */
  refreshTimer: CtpTimerHandle | undefined;
  refreshTries: number;
  /** The idle timeout asked for (issue 10), sent again with refreshes. */
  idleTimeoutMs?: number;
}

export interface CtpRegistrantOptions {
  leaseGraceMs: number;
  registrationWaitMs: number;
}

export interface CtpRegistrantHooks {
  closed(): boolean;
  nextId(): number;
  /** Add an own virtual node (advertised); false when the own advert has no room. */
  addVirtual(name: string): boolean;
  removeVirtual(name: string): void;
  /** The controller a local node has at this router as its host. */
  hostedController(node: string): string | undefined;
  /** Hand an EVENT to the host app (`onReceived`); may throw or return a promise that rejects. */
  event(msg: CtpEvent): unknown;
  /** Add this router's claim (and its signature) to a REGISTER (PROTOCOL.md section 5, "Confirming a registrant"). */
  claim?(msg: CtpRegister): void;
}

type ControlType = 'START' | 'STOP' | 'COMMAND';
const OPS: Record<ControlType, CtpOp> = { START: 'start', STOP: 'stop', COMMAND: 'command' };

export class CtpRegistrant<P> {
  private readonly regs = new Map<string, CtpOwnRegistration>();
  /** The controller registrations of `regs` by node: what control requests look up (no virtual name built per request). */
  private readonly controllers = new Map<string, CtpOwnRegistration>();
  /** Virtual nodes whose REGISTER was answered, not yet recorded (the answer's continuation is to come). */
  private readonly unrecorded = new Set<string>();
  /** Release notices that came after such an answer, before the registration was recorded (a burst after a stall). */
  private readonly early = new Map<string, CtpResponse>();
  /** Lock timeouts of own controller registrations (idle-locks.ts). */
  private readonly idle: CtpIdleWatch;

  constructor(
    private readonly table: CtpTable<P>,
    private readonly routing: CtpRouting<P>,
    private readonly timers: CtpTimers,
    private readonly opts: CtpRegistrantOptions,
    private readonly hooks: CtpRegistrantHooks,
    private readonly emit: CtpEmit<P>,
    private readonly report: CtpReport<P>,
  ) {
    this.idle = new CtpIdleWatch(new CtpTimers(timers.clock), opts.leaseGraceMs, (virtual) => {
      const reg = this.regs.get(virtual);
      if (reg !== undefined) this.lose(reg, 'idle');
    });
  }

  get(virtual: string): CtpOwnRegistration | undefined {
    return this.regs.get(virtual);
  }

  list(): CtpOwnRegistration[] {
    return [...this.regs.values()];
  }

  // ---- request specs --------------------------------------------------------

  /** register(node, type): PROTOCOL.md section 5, steps 1–5. */
  register(node: string, type: CtpRegistrationType, idleTimeoutMs?: number): CtpRequestSpec {
    const virtual = virtualName(type, node, this.table.id);
    return {
      node,
      op: 'register',
      check: () => {
        const owner = this.table.ownerOf(node);
        if (owner === undefined) return { code: ReturnCode.NODE_UNFOUND };
        if (this.table.hostsOf(node).length > 1)
          return { code: ReturnCode.ERROR, reason: 'conflict' };
        if (this.regs.has(virtual)) return { code: ReturnCode.ALREADY_ASSIGNED };
        if (
          type === 'controller' &&
          this.table.hasLocal(node) &&
          this.hooks.hostedController(node) !== undefined
        )
          return { code: ReturnCode.ALREADY_ASSIGNED };
        return owner;
      },
      plan: (to, id) => {
        if (!this.hooks.addVirtual(virtual))
          return { code: ReturnCode.ERROR, reason: 'too-many-nodes' };
        const msg: CtpRegister = { v: 1, t: 'REGISTER', id, to, node, [type]: virtual };
        if (type === 'controller' && idleTimeoutMs !== undefined) msg.idleTimeoutMs = idleTimeoutMs;
        this.hooks.claim?.(msg);
        return {
          msg,
          done: (r) => {
            const early = this.early.get(virtual);
            this.early.delete(virtual);
            this.unrecorded.delete(virtual);
            if (r.code !== ReturnCode.SUCCESS || this.hooks.closed())
              return this.hooks.removeVirtual(virtual);
            const reg: CtpOwnRegistration = {
              node,
              type,
              virtual,
              host: to,
              gap: false,
              lostTimer: undefined,
              refreshId: undefined,
              refreshTimer: undefined,
              refreshTries: 0,
            };
            this.regs.set(virtual, reg);
            if (type === 'controller') this.controllers.set(node, reg);
            if (type === 'controller') this.watchIdle(reg, idleTimeoutMs, r.content);
            this.emit('registered', { node, type, virtualNode: virtual, host: to });
            if (early !== undefined) this.response(early, LOCAL);
            if (this.regs.get(virtual) === reg) this.evaluate(reg);
          },
        };
      },
    };
  }

  /** unregister(node, type): whatever the answer, the registration is forgotten here. */
  unregister(node: string, type: CtpRegistrationType): CtpRequestSpec {
    const virtual = virtualName(type, node, this.table.id);
    return {
      node,
      op: 'unregister',
      check: () => {
        const reg = this.regs.get(virtual);
        if (!this.nodeKnownFor(node, reg)) {
          // The caller wants the registration gone: forget it here; the host
          // releases its side after its grace.
          if (reg !== undefined) this.forget(reg, ReturnCode.NODE_UNFOUND);
          return { code: ReturnCode.NODE_UNFOUND };
        }
        if (reg === undefined) return { code: ReturnCode.NOT_ASSIGNED };
        return reg.host;
      },
      plan: (to, id) => ({
        msg: { v: 1, t: 'UNREGISTER', id, to, node, [type]: virtual } as CtpUnregister,
        done: (r) => {
          const reg = this.regs.get(virtual);
          if (reg === undefined) return;
          if (r.code === ReturnCode.NOT_ASSIGNED || r.code === ReturnCode.ALREADY_ASSIGNED)
            this.lose(reg, 'refused', r.code);
          else this.forget(reg, r.code);
        },
        aborted: () => {
          const reg = this.regs.get(virtual);
          if (reg !== undefined) this.forget(reg, undefined);
        },
      }),
    };
  }

  /** start, stop, command: only through this router's controller registration. */
  control(t: ControlType, node: string, app: string, payload: unknown): CtpRequestSpec {
    return new ControlRequest(this, t, node, app, payload);
  }

  /** This router's controller registration of `node`, which a control request goes through, or why there is none usable. */
  controlHost(node: string): CtpOwnRegistration | CtpResult {
    const reg = this.controllers.get(node);
    if (!this.nodeKnownFor(node, reg)) return { code: ReturnCode.NODE_UNFOUND };
    if (reg === undefined) return { code: ReturnCode.NOT_ASSIGNED };
    return reg;
  }

  /** Issue 10: the idle timeout the host applied (its answer's content) or the one asked for. */
  private watchIdle(
    reg: CtpOwnRegistration,
    requested: number | undefined,
    content: unknown,
  ): void {
    const applied = (content as { idleTimeoutMs?: unknown } | undefined)?.idleTimeoutMs;
    const ms =
      Number.isSafeInteger(applied) && (applied as number) > 0 ? (applied as number) : requested;
    if (requested !== undefined) reg.idleTimeoutMs = requested;
    this.idle.watch(reg.virtual, ms);
  }

  /** A control request goes out on `virtual`: its idle time starts again. */
  touchIdle(virtual: string): void {
    this.idle.touch(virtual);
  }

  /** PROTOCOL.md section 5: a host that answers NOT_ASSIGNED or REJECTED no longer holds the registration. */
  afterControl(r: CtpResult, virtual: string): void {
    if (r.code !== ReturnCode.NOT_ASSIGNED && r.code !== ReturnCode.REJECTED) return;
    const reg = this.regs.get(virtual);
    if (reg !== undefined) this.lose(reg, 'refused', r.code);
  }

  /** Is `node` known for a request? Bound to its host when this router holds a registration. */
  private nodeKnownFor(node: string, reg: CtpOwnRegistration | undefined): boolean {
    return reg === undefined
      ? this.table.isReachableName(node)
      : this.table.advertises(reg.host, node);
  }

  // ---- inbound --------------------------------------------------------------

  /** A RESPONSE that answers no request in flight: a refresh's answer, a release notice, or stale. */
  response(msg: CtpResponse, from: CtpSource<P>): void {
    const reg = this.regs.get(msg.controller);
    if (reg !== undefined && msg.re !== undefined && reg.refreshId === msg.re) {
      // NODE_UNFOUND (a router on the way had no route yet) and the like did
      // not reach the host: the retry timer sends the refresh again.
      if (
        msg.code !== ReturnCode.SUCCESS &&
        msg.code !== ReturnCode.NOT_ASSIGNED &&
        msg.code !== ReturnCode.ALREADY_ASSIGNED
      )
        return;
      reg.refreshId = undefined;
      reg.refreshTimer = this.timers.clear(reg.refreshTimer);
      // PROTOCOL.md section 5: a refresh refused ends the registration; no answer changes nothing.
      if (msg.code !== ReturnCode.SUCCESS) this.lose(reg, 'refused', msg.code);
      return;
    }
    // A release notice from the host it was made with (host.ts,
    // returnAfterRelease): the host dropped it while this router saw no gap.
    if (
      reg !== undefined &&
      msg.re === undefined &&
      msg.code === ReturnCode.NOT_ASSIGNED &&
      msg.reason === 'released' &&
      (msg.content as { host?: unknown } | undefined)?.host === reg.host
    ) {
      if (reg.type === 'monitor') this.sendRefresh(reg);
      else this.lose(reg, 'refused', msg.code);
      return;
    }
    // Issue 10: the host released this controller for idleness (host.ts, idleRelease).
    if (
      reg?.type === 'controller' &&
      msg.re === undefined &&
      msg.code === ReturnCode.NOT_ASSIGNED &&
      msg.reason === 'idle' &&
      (msg.content as { host?: unknown } | undefined)?.host === reg.host
    )
      return this.lose(reg, 'idle', msg.code);
    // A release notice for a registration this router no longer (or not yet) holds: nothing to do —
    // unless its REGISTER's answer came in the same burst and is not recorded yet (found by the simulator, seed 1865).
    if (
      reg === undefined &&
      msg.re === undefined &&
      (msg.reason === 'released' || msg.reason === 'idle')
    ) {
      if (this.unrecorded.has(msg.controller)) this.early.set(msg.controller, msg);
      return;
    }
    if (from !== LOCAL) this.report.drop(from, 'stale', { t: 'RESPONSE', node: msg.node });
  }

  /** A RESPONSE settled a request in flight: a REGISTER's SUCCESS is recorded only in its continuation. */
  answered(msg: CtpResponse): void {
    if (
      msg.code === ReturnCode.SUCCESS &&
      !this.regs.has(msg.controller) &&
      this.table.hasLocal(msg.controller)
    )
      this.unrecorded.add(msg.controller);
  }

  event(msg: CtpEvent): void {
    try {
      const r = this.hooks.event(msg);
      if (isThenable(r))
        r.then(undefined, (err: unknown) =>
          this.report.error(new CtpCallbackError('onReceived', err)),
        );
    } catch (err) {
      this.report.error(new CtpCallbackError('onReceived', err));
    }
  }

  // ---- leases and refreshes -------------------------------------------------

  /** The table changed: re-evaluate every registration (leases, moves, refreshes). */
  onTableChange(): void {
    for (const reg of [...this.regs.values()])
      if (this.regs.get(reg.virtual) === reg) this.evaluate(reg);
  }

  private evaluate(reg: CtpOwnRegistration): void {
    if (this.table.advertises(reg.host, reg.node)) {
      if (!reg.gap) return;
      reg.gap = false;
      reg.lostTimer = this.timers.clear(reg.lostTimer);
      this.sendRefresh(reg);
      return;
    }
    // The node moved: the bound host stopped advertising it while another router does.
    if (this.table.ownerOf(reg.node) !== undefined) return this.lose(reg, 'moved');
    if (reg.gap) return;
    reg.gap = true;
    // A refresh in flight is moot now; the return sends a new one.
    reg.refreshTimer = this.timers.clear(reg.refreshTimer);
    reg.lostTimer = this.timers.set(() => {
      reg.lostTimer = undefined;
      if (this.regs.get(reg.virtual) === reg && !this.table.advertises(reg.host, reg.node))
        this.lose(reg, 'unreachable');
    }, this.opts.leaseGraceMs);
  }

  /** PROTOCOL.md section 5: after a gap, say again that the registration is still wanted. */
  private sendRefresh(reg: CtpOwnRegistration): void {
    const id = this.hooks.nextId();
    reg.refreshId = id;
    reg.refreshTries = 0;
    this.sendRefreshFrame(reg, id);
  }

  /**
   * Send (or send again, with the same id) the refresh `id`. A refresh lost on
   * the way (a link that drops while it travels, a route still converging)
   * would leave this router believing in a registration its host may have
   * dropped: so it is re-sent until the host answers it, and after
   * REFRESH_TRIES unanswered ones the registration is given up (`lost`,
   * `unreachable`) rather than believed (found by the simulator, seed 21095).
   */
  private sendRefreshFrame(reg: CtpOwnRegistration, id: number): void {
    this.timers.clear(reg.refreshTimer);
    reg.refreshTimer = this.timers.set(
      () => {
        reg.refreshTimer = undefined;
        if (
          this.hooks.closed() ||
          this.regs.get(reg.virtual) !== reg ||
          reg.refreshId !== id ||
          reg.gap
        )
          return;
        reg.refreshTries++;
        if (reg.refreshTries >= REFRESH_TRIES) return this.lose(reg, 'unreachable');
        this.sendRefreshFrame(reg, id);
      },
      Math.max(REFRESH_RETRY_MIN_MS, this.opts.registrationWaitMs),
    );
    const msg: CtpRegister = {
      v: 1,
      t: 'REGISTER',
      id,
      to: reg.host,
      node: reg.node,
      [reg.type]: reg.virtual,
      refresh: true,
    };
    if (reg.idleTimeoutMs !== undefined) msg.idleTimeoutMs = reg.idleTimeoutMs;
    this.hooks.claim?.(msg);
    debug('%s refreshes %s (id %d)', this.table.id, reg.virtual, id);
    this.routing.toRouter(msg, reg.host);
  }

  // ---- ending ---------------------------------------------------------------

  private forget(reg: CtpOwnRegistration, code: ReturnCode | undefined): void {
    this.remove(reg);
    this.emit(
      'unregistered',
      code === undefined
        ? { node: reg.node, type: reg.type }
        : { node: reg.node, type: reg.type, code },
    );
  }

  private lose(reg: CtpOwnRegistration, reason: CtpLostEvent['reason'], code?: ReturnCode): void {
    this.remove(reg);
    debug('%s lost %s (%s)', this.table.id, reg.virtual, reason);
    this.emit(
      'lost',
      code === undefined
        ? { node: reg.node, type: reg.type, reason }
        : { node: reg.node, type: reg.type, reason, code },
    );
  }

  private remove(reg: CtpOwnRegistration): void {
    if (this.regs.get(reg.virtual) !== reg) return;
    this.regs.delete(reg.virtual);
    if (reg.type === 'controller') this.controllers.delete(reg.node);
    reg.lostTimer = this.timers.clear(reg.lostTimer);
    reg.refreshTimer = this.timers.clear(reg.refreshTimer);
    this.idle.unwatch(reg.virtual);
    this.hooks.removeVirtual(reg.virtual);
  }

  close(): void {
    this.timers.clearAll();
    this.idle.close();
  }
}

/**
 * START, STOP or COMMAND: spec and plan in one object, the only allocation a
 * control request adds beside its frame (the hot path, BENCHMARKS.md).
 */
class ControlRequest<P> implements CtpRequestSpec, CtpRequestPlan {
  readonly op: CtpOp;
  msg!: CtpControlMessage;
  /** The controller's virtual node (`controller[node]@id`), from the registration `check` found. */
  private virtual = '';

  constructor(
    private readonly owner: CtpRegistrant<P>,
    private readonly t: ControlType,
    readonly node: string,
    private readonly app: string,
    private readonly payload: unknown,
  ) {
    this.op = OPS[t];
  }

  check(): CtpResult | string {
    const r = this.owner.controlHost(this.node);
    if ('code' in r) return r;
    this.virtual = r.virtual;
    return r.host;
  }

  plan(to: string, id: number): this {
    const { t, node, virtual: controller, app, payload } = this;
    this.owner.touchIdle(controller);
    // `ttl` (last, as on the wire) is set when the request leaves (requests.ts): in the literal, it needs no property added later.
    this.msg =
      t === 'COMMAND'
        ? { v: 1, t, id, to, node, controller, app, content: payload, ttl: 0 }
        : payload === undefined
          ? { v: 1, t, id, to, node, controller, app, ttl: 0 }
          : {
              v: 1,
              t,
              id,
              to,
              node,
              controller,
              app,
              optionals: payload as Record<string, unknown>,
              ttl: 0,
            };
    return this;
  }

  done(r: CtpResult): void {
    this.owner.afterControl(r, this.virtual);
  }
}
