/**
 * Requests: ONE pipeline for register, unregister, start, stop and command
 * (PROTOCOL.md section 5) — slot (IN_PROGRESS, or wait with `queue`) → plan (the
 * frame, or an answer without sending) → exchange (send, wait for the
 * RESPONSE whose `re` matches, TIMEOUT, abort) → outcome (the request acts on
 * the result). What each request checks and does lives with its spec
 * (registrant.ts); this file knows only the machinery.
 *
 * One object per request: a `CtpRequest` is its spec, its plan, the node's
 * slot, its in-flight entry, its deadline and its outcome (pending-request.ts).
 * Every request that was sent ends in `CtpRequest.settled` (a result) or
 * `CtpRequest.failed` (aborted). No async function on the common path: each
 * would add promises and microtask hops to every request (BENCHMARKS.md).
 */
import createDebug from 'debug';
import type { CtpClock } from '../base/clock.js';
import type { CtpTimeoutEvent } from '../events.js';
import { ReturnCode, type CtpRequestMessage, type CtpResult } from '../base/messages.js';
import type { CtpPendingMap } from './pending.js';
import { CtpPendingRequest, TIMED_OUT } from './pending-request.js';
import { requesterOf } from '../wire/trace.js';
import { traceRequest, type CtpClientTrace } from '../tracing/tracing.js';

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

/** One request: its pre-checks and its plan (register and unregister; control requests are `CtpRequest`s). */
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
  /** A request's result is known (`rejected`: its promise rejects), `ms` after the call (metrics). */
  measured(op: CtpOp, code: string, ms: number): void;
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

  run(spec: CtpRequestSpec | CtpRequest, o: CtpRunOptions): Promise<CtpResult> {
    const { signal } = o;
    const req = spec instanceof CtpRequest ? spec : new SpecRequest(spec);
    if (signal?.aborted) {
      this.hooks.measured(req.op, 'rejected', 0);
      return Promise.reject(signal.reason);
    }
    // One clock read: the deadline, and the wait's start (`exchange`).
    const now = this.clock.now();
    const deadline = now + o.timeoutMs;
    req.clock = this.clock;
    req.started = now;
    const to = req.check();
    if (typeof to !== 'string') {
      this.hooks.measured(req.op, to.code, 0);
      if (debug.enabled)
        debug(
          '%s %s answered without sending: %s%s',
          req.op,
          req.node,
          to.code,
          to.reason !== undefined ? ` (${to.reason})` : '',
        );
      return Promise.resolve(to);
    }
    if (this.pending.hold(req)) return this.planned(req, o, deadline, to, now);
    if (!o.queue) {
      if (debug.enabled)
        debug('%s %s: IN_PROGRESS (a request for the node is in flight)', req.op, req.node);
      this.hooks.measured(req.op, ReturnCode.IN_PROGRESS, 0);
      return Promise.resolve({ code: ReturnCode.IN_PROGRESS });
    }
    return this.queued(req, o, deadline).then(
      (r) => this.answered(req, r),
      (err: unknown) => {
        if (!req.measured) this.hooks.measured(req.op, 'rejected', this.clock.now() - req.started);
        throw err;
      },
    );
  }

  /** A request answered without its frame's exchange (metrics): `r` itself. */
  private answered(req: CtpRequest, r: CtpResult): CtpResult {
    if (!req.measured) this.hooks.measured(req.op, r.code, this.clock.now() - req.started);
    return r;
  }

  /** `queue: true` on a busy node: wait for the slot, then check again. */
  private async queued(req: CtpRequest, o: CtpRunOptions, deadline: number): Promise<CtpResult> {
    const slot = await this.pending.acquire(req.node, { signal: o.signal, deadline });
    if (typeof slot !== 'function') {
      if (slot.timedOut) {
        debug('%s %s timed out waiting for its turn', req.op, req.node);
        this.hooks.timedOut({ node: req.node, op: req.op });
        return { code: ReturnCode.TIMEOUT };
      }
      return slot;
    }
    if (this.hooks.closed()) {
      slot();
      return { code: ReturnCode.ERROR, reason: 'closed' };
    }
    // The table may have moved while the request waited its turn.
    const to = req.check();
    if (typeof to !== 'string') {
      slot();
      return to;
    }
    req.releaser = slot;
    return this.planned(req, o, deadline, to, this.clock.now());
  }

  /** With the slot held: plan, then exchange or answer at once. `now`: the clock, read a moment ago. */
  private planned(
    req: CtpRequest,
    o: CtpRunOptions,
    deadline: number,
    to: string,
    now: number,
  ): Promise<CtpResult> {
    let answer: CtpResult | undefined;
    try {
      answer = req.plan(to, this.nextId());
    } catch (err) {
      req.release();
      this.hooks.measured(req.op, 'rejected', now - req.started);
      req.measured = true;
      return Promise.reject(err);
    }
    if (answer !== undefined) {
      req.release();
      this.hooks.measured(req.op, answer.code, now - req.started);
      req.measured = true; // a queued request's `answered` must not count it again
      return Promise.resolve(answer);
    }
    return this.exchange(req, o, deadline, to, now);
  }

  /** Send the request and wait for its answer; the request acts on the outcome and releases its slot. */
  private exchange(
    req: CtpRequest,
    o: CtpRunOptions,
    deadline: number,
    to: string,
    now: number,
  ): Promise<CtpResult> {
    const msg = req.msg;
    const remaining = deadline - now;
    // Issue 10: a control request carries the caller's remaining time (`ttl`, deadline.ts).
    if (msg.t === 'START' || msg.t === 'STOP' || msg.t === 'COMMAND')
      msg.ttl = Math.max(0, Math.floor(remaining));
    req.id = msg.id;
    req.to = to;
    req.hooks = this.hooks;
    req.measured = true;
    req.trace = traceRequest(msg); // a START, STOP or COMMAND's CLIENT span and `traceparent` (tracing off: none)
    if (debug.enabled) {
      debug(
        '%s %s %s id=%d to=%s: waiting up to %d ms',
        requesterOf(msg),
        req.op,
        req.node,
        msg.id,
        to,
        Math.max(0, remaining),
      );
    }
    if (remaining <= 0) return Promise.resolve(req.settled({ ...TIMED_OUT }));
    // The request is the entry too, and sends itself once it is registered (`send`).
    return this.pending.exchange(req, remaining, o.signal, now);
  }
}

/**
 * A request (start, stop, command; register and unregister through
 * `SpecRequest`): its checks and plan (a subclass's), and its slot, entry,
 * deadline and outcome (CtpPendingRequest), in one object.
 */
export abstract class CtpRequest extends CtpPendingRequest {
  /** The request's frame, set by `plan`. */
  msg!: CtpRequestMessage;
  /** Set when the request is sent. */
  hooks: CtpRequestHooks | undefined = undefined;
  /** The clock and the time of the call: the outcome's duration (metrics, debug). */
  clock: CtpClock | undefined = undefined;
  started = 0;
  /** Its result is measured already, or will be by `settled` or `failed` (it was sent). */
  measured = false;
  /** Its CLIENT span when tracing is on (tracing/tracing.ts). */
  trace: CtpClientTrace | undefined = undefined;

  declare readonly op: CtpOp;

  /** The router to address, or the answer without sending. Runs again after a queued wait. */
  abstract check(): CtpResult | string;
  /** With the node's slot held: set `msg` (and return nothing), or return the answer without sending. */
  abstract plan(to: string, id: number): CtpResult | undefined;
  /** The result is known (an answer, TIMEOUT, NODE_UNFOUND, closed …). */
  abstract done(r: CtpResult): void;
  /** The caller's signal aborted the wait; by default `done` with ERROR `aborted`. */
  aborted(): void {
    this.done({ code: ReturnCode.ERROR, reason: 'aborted' });
  }

  override send(): void {
    (this.hooks as CtpRequestHooks).send(this.msg, this.to);
  }

  /** Every request that was sent ends here with its result (or in `failed`). */
  override settled(result: CtpResult & { timedOut?: boolean }): CtpResult {
    try {
      const { node, op, msg } = this;
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
      if (result.timedOut) this.hooks?.timedOut({ node, op, id: msg.id });
      this.hooks?.measured(op, result.code, (this.clock?.now() ?? 0) - this.started);
      this.trace?.end(result.code, result.reason);
      let out: CtpResult = result;
      if (!this.owned) {
        // A shared result (a table change, close) or a TIMEOUT's: the caller gets its own copy.
        out = { code: result.code };
        if (result.content !== undefined) out.content = result.content;
        if (result.reason !== undefined) out.reason = result.reason;
      }
      this.done(out);
      return out;
    } finally {
      this.release();
    }
  }

  /** The caller's signal aborted the wait, or the send threw. */
  override failed(): void {
    if (debug.enabled)
      debug(
        '%s %s %s id=%d to=%s aborted',
        requesterOf(this.msg),
        this.op,
        this.node,
        this.msg.id,
        this.to,
      );
    this.hooks?.measured(this.op, 'rejected', (this.clock?.now() ?? 0) - this.started);
    this.trace?.end(ReturnCode.ERROR, 'aborted');
    try {
      this.aborted();
    } finally {
      this.release();
    }
  }
}

/** A request made of a `CtpRequestSpec` and its plan (register, unregister: not the hot path). */
class SpecRequest extends CtpRequest {
  private p: CtpRequestPlan | undefined = undefined;

  constructor(private readonly spec: CtpRequestSpec) {
    super(spec.node, spec.op);
  }

  check(): CtpResult | string {
    return this.spec.check();
  }

  plan(to: string, id: number): CtpResult | undefined {
    const p = this.spec.plan(to, id);
    if (!('msg' in p)) return p;
    this.p = p;
    this.msg = p.msg;
    return undefined;
  }

  done(r: CtpResult): void {
    this.p?.done(r);
  }

  override aborted(): void {
    const p = this.p as CtpRequestPlan;
    if (p.aborted !== undefined) p.aborted();
    else p.done({ code: ReturnCode.ERROR, reason: 'aborted' });
  }
}
