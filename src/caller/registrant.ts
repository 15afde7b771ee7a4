/**
 * The registrant side (PROTOCOL.md section 5): the specs of the requests made
 * on this router's registrations (register, unregister, start, stop,
 * command), the answers that come outside them (refresh answers, release
 * notices) and EVENT delivery. The registrations once made — their gap and
 * lost timers, refreshes and their retries, idle timeouts — are kept in
 * own-registrations.ts.
 */
import { isThenable } from '../base/callbacks.js';
import type { CtpTimers } from '../base/clock.js';
import { CtpCallbackError } from '../base/errors.js';
import type { CtpEmit } from '../events.js';
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
import { CtpRequest, type CtpOp, type CtpRequestSpec } from './requests.js';
import { LOCAL, type CtpCallerRouting, type CtpSource } from '../link-state/routing.js';
import type { CtpTable } from '../link-state/table.js';
import {
  CtpOwnRegistrations,
  type CtpOwnRegistration,
  type CtpOwnRegistrationHooks,
  type CtpRegistrantOptions,
} from './own-registrations.js';

export type { CtpOwnRegistration, CtpRegistrantOptions } from './own-registrations.js';

export interface CtpRegistrantHooks extends CtpOwnRegistrationHooks {
  /** Add an own virtual node (advertised); false when the own advert has no room. */
  addVirtual(name: string): boolean;
  /** The controller a local node has at this router as its host. */
  hostedController(node: string): string | undefined;
  /** Hand an EVENT to the host app (`onReceived`); may throw or return a promise that rejects. */
  event(msg: CtpEvent): unknown;
}

type ControlType = 'START' | 'STOP' | 'COMMAND';
const OPS: Record<ControlType, CtpOp> = { START: 'start', STOP: 'stop', COMMAND: 'command' };

export class CtpRegistrant<P> {
  /** The registrations this router holds (own-registrations.ts). */
  private readonly own: CtpOwnRegistrations<P>;
  /** Virtual nodes whose REGISTER was answered, not yet recorded (the answer's continuation is to come). */
  private readonly unrecorded = new Set<string>();
  /** Release notices that came after such an answer, before the registration was recorded (a burst after a stall). */
  private readonly early = new Map<string, CtpResponse>();

  constructor(
    private readonly table: CtpTable<P>,
    routing: CtpCallerRouting<P>,
    timers: CtpTimers,
    opts: CtpRegistrantOptions,
    private readonly hooks: CtpRegistrantHooks,
    emit: CtpEmit<P>,
    private readonly report: CtpReport<P>,
  ) {
    this.own = new CtpOwnRegistrations(table, routing, timers, opts, hooks, emit);
  }

  get(virtual: string): CtpOwnRegistration | undefined {
    return this.own.get(virtual);
  }

  list(): CtpOwnRegistration[] {
    return this.own.list();
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
        if (this.own.has(virtual)) return { code: ReturnCode.ALREADY_ASSIGNED };
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
            this.own.record(reg, idleTimeoutMs, r.content);
            if (early !== undefined) this.response(early, LOCAL);
            if (this.own.get(virtual) === reg) this.own.evaluate(reg);
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
        const reg = this.own.get(virtual);
        if (!this.nodeKnownFor(node, reg)) {
          // The caller wants the registration gone: forget it here; the host
          // releases its side after its grace.
          if (reg !== undefined) this.own.forget(reg, ReturnCode.NODE_UNFOUND);
          return { code: ReturnCode.NODE_UNFOUND };
        }
        if (reg === undefined) return { code: ReturnCode.NOT_ASSIGNED };
        return reg.host;
      },
      plan: (to, id) => ({
        msg: { v: 1, t: 'UNREGISTER', id, to, node, [type]: virtual } as CtpUnregister,
        done: (r) => {
          const reg = this.own.get(virtual);
          if (reg === undefined) return;
          if (r.code === ReturnCode.NOT_ASSIGNED || r.code === ReturnCode.ALREADY_ASSIGNED)
            this.own.lose(reg, 'refused', r.code);
          else this.own.forget(reg, r.code);
        },
        aborted: () => {
          const reg = this.own.get(virtual);
          if (reg !== undefined) this.own.forget(reg, undefined);
        },
      }),
    };
  }

  /** start, stop, command: only through this router's controller registration. */
  control(t: ControlType, node: string, app: string, payload: unknown): CtpRequest {
    return new ControlRequest(this, t, node, app, payload);
  }

  /** This router's controller registration of `node`, which a control request goes through, or why there is none usable. */
  controlHost(node: string): CtpOwnRegistration | CtpResult {
    const reg = this.own.controllerOf(node);
    if (!this.nodeKnownFor(node, reg)) return { code: ReturnCode.NODE_UNFOUND };
    if (reg === undefined) return { code: ReturnCode.NOT_ASSIGNED };
    return reg;
  }

  /** A control request goes out on `virtual`: its idle time starts again. */
  touchIdle(virtual: string): void {
    this.own.touchIdle(virtual);
  }

  /** PROTOCOL.md section 5: a host that answers NOT_ASSIGNED or REJECTED no longer holds the registration. */
  afterControl(r: CtpResult, virtual: string): void {
    if (r.code !== ReturnCode.NOT_ASSIGNED && r.code !== ReturnCode.REJECTED) return;
    const reg = this.own.get(virtual);
    if (reg !== undefined) this.own.lose(reg, 'refused', r.code);
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
    const reg = this.own.get(msg.controller);
    if (reg !== undefined && msg.re !== undefined && reg.refreshId === msg.re) {
      // NODE_UNFOUND (a router on the way had no route yet) and the like did
      // not reach the host: the retry timer sends the refresh again.
      if (
        msg.code !== ReturnCode.SUCCESS &&
        msg.code !== ReturnCode.NOT_ASSIGNED &&
        msg.code !== ReturnCode.ALREADY_ASSIGNED
      )
        return;
      return this.own.refreshAnswered(reg, msg.code);
    }
    // A release notice from the host it was made with (release-notices.ts):
    // the host dropped it while this router saw no gap.
    if (
      reg !== undefined &&
      msg.re === undefined &&
      msg.code === ReturnCode.NOT_ASSIGNED &&
      msg.reason === 'released' &&
      (msg.content as { host?: unknown } | undefined)?.host === reg.host
    ) {
      if (reg.type === 'monitor') this.own.sendRefresh(reg);
      else this.own.lose(reg, 'refused', msg.code);
      return;
    }
    // Issue 10: the host released this controller for idleness (registrations.ts, idleRelease).
    if (
      reg?.type === 'controller' &&
      msg.re === undefined &&
      msg.code === ReturnCode.NOT_ASSIGNED &&
      msg.reason === 'idle' &&
      (msg.content as { host?: unknown } | undefined)?.host === reg.host
    )
      return this.own.lose(reg, 'idle', msg.code);
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
      !this.own.has(msg.controller) &&
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

  /** The table changed: re-evaluate every registration (leases, moves, refreshes). */
  onTableChange(): void {
    this.own.onTableChange();
  }

  close(): void {
    this.own.close();
  }
}

/**
 * START, STOP or COMMAND: spec, plan, slot, pending entry and outcome in one
 * object (CtpRequest), the only allocation a control request adds beside its
 * frame and its promise (the hot path, BENCHMARKS.md).
 */
class ControlRequest<P> extends CtpRequest {
  /** The controller's virtual node (`controller[node]@id`), from the registration `check` found. */
  private virtual = '';

  constructor(
    private readonly owner: CtpRegistrant<P>,
    private readonly t: ControlType,
    node: string,
    private readonly app: string,
    private readonly payload: unknown,
  ) {
    super(node, OPS[t]);
  }

  check(): CtpResult | string {
    const r = this.owner.controlHost(this.node);
    if ('code' in r) return r;
    this.virtual = r.virtual;
    return r.host;
  }

  plan(to: string, id: number): undefined {
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
    return undefined;
  }

  done(r: CtpResult): void {
    this.owner.afterControl(r, this.virtual);
  }
}
