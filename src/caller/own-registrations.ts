/**
 * The registrations this router holds once made (PROTOCOL.md section 5,
 * registrant side): recorded, re-evaluated when the table changes (a gap in
 * the host's advert starts the lost timer; the node moving to another router
 * ends them), refreshed after a gap and re-sent until the host answers,
 * given up when lost, and their idle timeouts watched (issue 10). The
 * registrant (registrant.ts) makes the requests and reads the answers.
 */
import createDebug from 'debug';
import { CtpTimers, type CtpTimerHandle } from '../base/clock.js';
import type { CtpEmit, CtpLostEvent } from '../events.js';
import { CtpIdleWatch } from '../host/idle-locks.js';
import { ReturnCode, type CtpRegister } from '../base/messages.js';
import type { CtpRegistrationType } from '../base/names.js';
import type { CtpCallerRouting } from '../link-state/routing.js';
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

/** What the held registrations ask of the router (a part of `CtpRegistrantHooks`). */
export interface CtpOwnRegistrationHooks {
  closed(): boolean;
  nextId(): number;
  removeVirtual(name: string): void;
  /** Add this router's claim (and its signature) to a REGISTER (PROTOCOL.md section 5, "Confirming a registrant"). */
  claim?(msg: CtpRegister): void;
}

/** This router's registrations, by virtual node, from recorded to forgotten or lost. */
export class CtpOwnRegistrations<P> {
  private readonly regs = new Map<string, CtpOwnRegistration>();
  /** The controller registrations of `regs` by node: what control requests look up (no virtual name built per request). */
  private readonly controllers = new Map<string, CtpOwnRegistration>();
  /** Lock timeouts of own controller registrations (idle-locks.ts). */
  private readonly idle: CtpIdleWatch;

  constructor(
    private readonly table: CtpTable<P>,
    private readonly routing: CtpCallerRouting<P>,
    private readonly timers: CtpTimers,
    private readonly opts: CtpRegistrantOptions,
    private readonly hooks: CtpOwnRegistrationHooks,
    private readonly emit: CtpEmit<P>,
  ) {
    this.idle = new CtpIdleWatch(new CtpTimers(timers.clock), opts.leaseGraceMs, (virtual) => {
      const reg = this.regs.get(virtual);
      if (reg !== undefined) this.lose(reg, 'idle');
    });
  }

  get(virtual: string): CtpOwnRegistration | undefined {
    return this.regs.get(virtual);
  }

  has(virtual: string): boolean {
    return this.regs.has(virtual);
  }

  list(): CtpOwnRegistration[] {
    return [...this.regs.values()];
  }

  /** This router's controller registration of `node`, if any. */
  controllerOf(node: string): CtpOwnRegistration | undefined {
    return this.controllers.get(node);
  }

  /**
   * A REGISTER succeeded: record `reg`, watch its idle timeout (`requested`,
   * or the one the host's answer `content` applied), emit `registered`.
   */
  record(reg: CtpOwnRegistration, requested: number | undefined, content: unknown): void {
    const { node, type, virtual, host } = reg;
    this.regs.set(virtual, reg);
    if (type === 'controller') this.controllers.set(node, reg);
    if (type === 'controller') this.watchIdle(reg, requested, content);
    this.emit('registered', { node, type, virtualNode: virtual, host });
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

  // ---- leases and refreshes -------------------------------------------------

  /** The table changed: re-evaluate every registration (leases, moves, refreshes). */
  onTableChange(): void {
    for (const reg of [...this.regs.values()])
      if (this.regs.get(reg.virtual) === reg) this.evaluate(reg);
  }

  /** Is `reg`'s node advertised by its host: end or start its gap; lose it when the node moved. */
  evaluate(reg: CtpOwnRegistration): void {
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
  sendRefresh(reg: CtpOwnRegistration): void {
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

  /** The host answered `reg`'s refresh with `code` (SUCCESS, NOT_ASSIGNED or ALREADY_ASSIGNED). */
  refreshAnswered(reg: CtpOwnRegistration, code: ReturnCode): void {
    reg.refreshId = undefined;
    reg.refreshTimer = this.timers.clear(reg.refreshTimer);
    // PROTOCOL.md section 5: a refresh refused ends the registration; no answer changes nothing.
    if (code !== ReturnCode.SUCCESS) this.lose(reg, 'refused', code);
  }

  // ---- ending ---------------------------------------------------------------

  /** The registration ends as the caller asked (`unregistered`, with the host's answer `code` if any). */
  forget(reg: CtpOwnRegistration, code: ReturnCode | undefined): void {
    this.remove(reg);
    this.emit(
      'unregistered',
      code === undefined
        ? { node: reg.node, type: reg.type }
        : { node: reg.node, type: reg.type, code },
    );
  }

  /** The registration is lost for `reason` (`lost`, with the host's answer `code` if any). */
  lose(reg: CtpOwnRegistration, reason: CtpLostEvent['reason'], code?: ReturnCode): void {
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
