/**
 * Requests: ONE pipeline for register, unregister, start, stop and command
 * (PROTOCOL.md section 5) — slot (IN_PROGRESS, or wait with `queue`) → plan (the
 * frame, or an answer without sending) → exchange (send, wait for the
 * RESPONSE whose `re` matches, TIMEOUT, abort) → outcome (the plan acts on
 * the result). What each request checks and does lives with its spec
 * (registrant.ts); this file knows only the machinery.
 *
 * No async function on the common path: each would add promises and
 * microtask hops to every request (BENCHMARKS.md).
 */
import createDebug from 'debug';
import type { CtpClock } from '../base/clock.js';
import type { CtpTimeoutEvent } from '../events.js';
import { ReturnCode, type CtpRequestMessage, type CtpResult } from '../base/messages.js';
import type { CtpPendingEntry, CtpPendingMap, CtpSlotHold, CtpWaitOutcome } from './pending.js';
import { requesterOf } from '../wire/trace.js';
import { traceRequest } from '../tracing/tracing.js';

const debug = createDebug('ctp:requests');

/** `register`, `unregister`, `start`, `stop` or `command`. */
export type CtpOp = 'register' | 'unregister' | 'start' | 'stop' | 'command';

/** A request's frame, and what to do with its outcome. */
export interface CtpRequestPlan {
  readonly msg: CtpRequestMessage;
  /** The result is known (an answer, TIMEOUT, NODE_UNFOUND, closed …). */
  done(r: CtpResult): void;
  /** The caller's signal aborted the wait; default: `done` with ERROR `aborted`. */
  aborted?(): void;
}

/** One request: its pre-checks and its plan. */
export interface CtpRequestSpec {
  readonly node: string;
  readonly op: CtpOp;
  /** The router to address, or the answer without sending. Runs again after a queued wait. */
  check(): CtpResult | string;
  /** With the node's slot held: the plan, or an answer without sending. */
  plan(to: string, id: number): CtpResult | CtpRequestPlan;
}

/** Resolved per-request options. */
export interface CtpRunOptions {
  signal: AbortSignal | undefined;
  timeoutMs: number;
  queue: boolean;
  /** A controller registration's idle timeout (register only). */
  idleTimeoutMs: number | undefined;
}

export interface CtpRequestHooks {
  /** Send a request toward router `to` (or handle it here). */
  send(msg: CtpRequestMessage, to: string): void;
  closed(): boolean;
  timedOut(e: CtpTimeoutEvent): void;
}

export class CtpRequests {
  private lastId = 0;

  constructor(
    private readonly pending: CtpPendingMap,
    private readonly clock: CtpClock,
    private readonly hooks: CtpRequestHooks,
  ) {}

  /** A new request id, unique per router (refreshes use them too). */
  nextId(): number {
    return ++this.lastId;
  }

  run(spec: CtpRequestSpec, o: CtpRunOptions): Promise<CtpResult> {
    const { signal } = o;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // One clock read: the deadline, and the wait's start (`exchange`).
    const now = this.clock.now();
    const deadline = now + o.timeoutMs;
    const to = spec.check();
    if (typeof to !== 'string') {
      if (debug.enabled)
        debug(
          '%s %s answered without sending: %s%s',
          spec.op,
          spec.node,
          to.code,
          to.reason !== undefined ? ` (${to.reason})` : '',
        );
      return Promise.resolve(to);
    }
    const slot = this.pending.tryHold(spec.node);
    if (slot !== undefined) return this.planned(spec, o, deadline, to, slot, now);
    if (!o.queue) {
      if (debug.enabled)
        debug('%s %s: IN_PROGRESS (a request for the node is in flight)', spec.op, spec.node);
      return Promise.resolve({ code: ReturnCode.IN_PROGRESS });
    }
    return this.queued(spec, o, deadline);
  }

  /** `queue: true` on a busy node: wait for the slot, then check again. */
  private async queued(
    spec: CtpRequestSpec,
    o: CtpRunOptions,
    deadline: number,
  ): Promise<CtpResult> {
    const slot = await this.pending.acquire(spec.node, { signal: o.signal, deadline });
    if (typeof slot !== 'function') {
      if (slot.timedOut) {
        debug('%s %s timed out waiting for its turn', spec.op, spec.node);
        this.hooks.timedOut({ node: spec.node, op: spec.op });
        return { code: ReturnCode.TIMEOUT };
      }
      return slot;
    }
    if (this.hooks.closed()) {
      slot();
      return { code: ReturnCode.ERROR, reason: 'closed' };
    }
    // The table may have moved while the request waited its turn.
    const to = spec.check();
    if (typeof to !== 'string') {
      slot();
      return to;
    }
    return this.planned(spec, o, deadline, to, { release: slot }, this.clock.now());
  }

  /** With the slot held: plan, then exchange or answer at once. `now`: the clock, read a moment ago. */
  private planned(
    spec: CtpRequestSpec,
    o: CtpRunOptions,
    deadline: number,
    to: string,
    slot: CtpSlotHold,
    now: number,
  ): Promise<CtpResult> {
    let plan: CtpResult | CtpRequestPlan;
    try {
      plan = spec.plan(to, this.nextId());
    } catch (err) {
      slot.release();
      return Promise.reject(err);
    }
    if (!('msg' in plan)) {
      slot.release();
      return Promise.resolve(plan);
    }
    return this.exchange(spec, o, deadline, to, plan, slot, now);
  }

  /** Send the request and wait for its answer; the plan acts on the outcome; the slot is released. */
  private exchange(
    spec: CtpRequestSpec,
    o: CtpRunOptions,
    deadline: number,
    to: string,
    plan: CtpRequestPlan,
    slot: CtpSlotHold,
    now: number,
  ): Promise<CtpResult> {
    const { msg } = plan;
    const remaining = deadline - now;
    // Issue 10: a control request carries the caller's remaining time (`ttl`, deadline.ts).
    if (msg.t === 'START' || msg.t === 'STOP' || msg.t === 'COMMAND')
      msg.ttl = Math.max(0, Math.floor(remaining));
    plan = traceRequest(plan); // a START, STOP or COMMAND's CLIENT span and `traceparent` (tracing off: `plan`)
    const tracing = debug.enabled;
    if (tracing)
      debug(
        '%s %s %s id=%d to=%s: waiting up to %d ms',
        requesterOf(msg),
        spec.op,
        spec.node,
        msg.id,
        to,
        Math.max(0, remaining),
      );
    const outcome = new Exchange(
      spec,
      plan,
      slot,
      this.hooks,
      to,
      tracing ? this.clock : undefined,
    );
    if (remaining <= 0)
      return Promise.resolve(outcome.settled({ code: ReturnCode.TIMEOUT, timedOut: true }));
    // The exchange is the entry too, and sends the request once it is registered (`send`).
    return this.pending.wait(outcome, remaining, o.signal, undefined, outcome, now);
  }
}

/**
 * A request in flight: its pending entry, its send, and what happens when its
 * wait ends (one object, no closures per request).
 */
class Exchange implements CtpWaitOutcome, Omit<CtpPendingEntry, 'resolve'> {
  private readonly started: number;

  constructor(
    private readonly spec: CtpRequestSpec,
    private readonly plan: CtpRequestPlan,
    private readonly slot: CtpSlotHold,
    private readonly hooks: CtpRequestHooks,
    readonly to: string,
    /** Given when debug is on: the outcome's line says how long it took. */
    private readonly clock: CtpClock | undefined,
  ) {
    this.started = clock?.now() ?? 0;
  }

  get id(): number {
    return this.plan.msg.id;
  }
  get node(): string {
    return this.spec.node;
  }
  get op(): string {
    return this.spec.op;
  }

  send(): void {
    this.hooks.send(this.plan.msg, this.to);
  }

  settled(result: CtpResult & { timedOut?: boolean }): CtpResult {
    try {
      const { node, op } = this.spec;
      const msg = this.plan.msg;
      if (debug.enabled) {
        const how = result.timedOut
          ? 'timed out'
          : `-> ${result.code}${result.reason !== undefined ? ` (${result.reason})` : ''}`;
        debug(
          '%s %s %s id=%d to=%s %s after %d ms',
          requesterOf(msg),
          op,
          node,
          msg.id,
          this.to,
          how,
          (this.clock?.now() ?? 0) - this.started,
        );
      }
      if (result.timedOut) this.hooks.timedOut({ node, op, id: msg.id });
      const out: CtpResult = { code: result.code };
      if (result.content !== undefined) out.content = result.content;
      if (result.reason !== undefined) out.reason = result.reason;
      this.plan.done(out);
      return out;
    } finally {
      this.slot.release();
    }
  }

  failed(): void {
    if (debug.enabled)
      debug(
        '%s %s %s id=%d to=%s aborted',
        requesterOf(this.plan.msg),
        this.spec.op,
        this.spec.node,
        this.plan.msg.id,
        this.to,
      );
    try {
      if (this.plan.aborted !== undefined) this.plan.aborted();
      else this.plan.done({ code: ReturnCode.ERROR, reason: 'aborted' });
    } finally {
      this.slot.release();
    }
  }
}
