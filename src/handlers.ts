/**
 * The handler API: `router.handle(node, handler)`. A handler answers the
 * control requests (START, STOP, COMMAND) of one local node by returning (or
 * resolving) the SUCCESS content, or by throwing a `CtpReply` with another
 * code; any other throw or rejection answers `ERROR` reason
 * `host-callback-failed` (host.ts) and is reported as `error`. Each request
 * carries an `AbortSignal` that aborts when the request is superseded,
 * expires (after `responseTimeoutMs` at the host), its controller goes, the
 * node is removed, or the router closes.
 *
 * Precedence: a node with a handler never reaches `onReceived` for START,
 * STOP and COMMAND; every other node's requests, and every EVENT, still do.
 */
import createDebug from 'debug';
import { checkJson, checkNode } from './checks.js';
import type { CtpTimerHandle, CtpTimers } from './clock.js';
import { argumentError, CtpArgumentError, CtpCallbackError, CtpClosedError, CtpTimeoutError } from './errors.js';
import { isReturnCode, ReturnCode, type CtpControlMessage, type CtpResult } from './messages.js';

const debug = createDebug('ctp:handlers');

/**
 * Thrown (or rejected with) by a handler to answer with a code other than
 * SUCCESS, or with a reason: `throw new CtpReply(ReturnCode.ERROR, { why }, 'busy')`.
 */
export class CtpReply extends Error {
  override name = 'CtpReply';
  /**
   * @param code - the RESPONSE's return code
   * @param content - the RESPONSE's content (any JSON value)
   * @param reason - the RESPONSE's `reason`
   */
  constructor(
    readonly code: ReturnCode,
    readonly content?: unknown,
    readonly reason?: string,
  ) {
    super(`reply ${code}${reason === undefined ? '' : ` (${reason})`}`);
    if (!isReturnCode(code)) throw argumentError('code', 'a ReturnCode', code);
    if (reason !== undefined && typeof reason !== 'string') throw argumentError('reason', 'a string', reason);
  }
}

/** What every control request handed to a handler carries. */
interface CtpHandlerRequestBase {
  /** The local node the request is for. */
  readonly node: string;
  /** The app named in the request. */
  readonly app: string;
  /** The controller's virtual node (`controller[node]@router`). */
  readonly controller: string;
  /** The request's id (the `re` its RESPONSE carries). */
  readonly id: number;
  /**
   * Aborts when the request is superseded (a newer control request for the
   * node replaces it), expires (`responseTimeoutMs` at the host), its
   * controller unregisters or is released, the node is removed, or the
   * router closes. An answer after that sends nothing.
   */
  readonly signal: AbortSignal;
}

/** A COMMAND handed to a handler. */
export interface CtpHandlerCommand extends CtpHandlerRequestBase {
  readonly type: 'COMMAND';
  /** The command's content (any JSON value). */
  readonly content: unknown;
}

/** A START or STOP handed to a handler. */
export interface CtpHandlerStartStop extends CtpHandlerRequestBase {
  readonly type: 'START' | 'STOP';
  /** The request's optionals, when it carried any. */
  readonly optionals?: Record<string, unknown>;
}

/** A control request handed to a handler; narrows on `type`. */
export type CtpHandlerRequest = CtpHandlerCommand | CtpHandlerStartStop;

/**
 * A node's handler: returns (or resolves to) the SUCCESS content; throws (or
 * rejects with) a `CtpReply` to answer another code; any other throw or
 * rejection answers `ERROR` reason `host-callback-failed`.
 */
export type CtpHandler = (req: CtpHandlerRequest) => unknown;

/** How the handlers answer, through the host. */
export interface CtpHandlerHooks {
  /** `respond` at the host (`re`: the request answered; nothing is sent when another one is open). */
  respond(node: string, content: unknown, code: ReturnCode, re: number, reason?: string): CtpResult;
}

/** The request a handler is working on. */
interface Active {
  readonly re: number;
  readonly ac: AbortController;
  timer: CtpTimerHandle | undefined;
}

/** The handlers of the local nodes and the requests they are answering (one per node). */
export class CtpHandlers {
  private readonly handlers = new Map<string, CtpHandler>();
  private readonly active = new Map<string, Active>();

  constructor(
    private readonly timers: CtpTimers,
    /** How long a request stays valid at the host (its signal then aborts). */
    private readonly expireMs: number,
    private readonly hooks: CtpHandlerHooks,
  ) {}

  /** Install `handler` for `node`; the returned function removes it. A second handler for a node throws. */
  handle(node: string, handler: CtpHandler): () => void {
    checkNode(node);
    if (typeof handler !== 'function') throw argumentError('handler', 'a function', handler);
    if (this.handlers.has(node)) throw new CtpArgumentError(`Expected one handler for node ${JSON.stringify(node)}, got a second one`);
    this.handlers.set(node, handler);
    return () => {
      if (this.handlers.get(node) === handler) this.handlers.delete(node);
    };
  }

  /** Does `node` have a handler? */
  has(node: string): boolean {
    return this.handlers.size > 0 && this.handlers.has(node);
  }

  /** Requests a handler is working on. */
  get busy(): number {
    return this.active.size;
  }

  /**
   * Run the node's handler on a control request. A sync failure throws, an
   * async one rejects: the host reports it and answers `ERROR`
   * `host-callback-failed` while the request is open.
   */
  run(msg: CtpControlMessage): Promise<void> | undefined {
    const handler = this.handlers.get(msg.node) as CtpHandler;
    const entry: Active = { re: msg.id, ac: new AbortController(), timer: undefined };
    this.abort(msg.node, undefined, 'superseded');
    this.active.set(msg.node, entry);
    entry.timer = this.timers.set(() => {
      entry.timer = undefined;
      this.end(msg.node, entry, new CtpTimeoutError(`request ${msg.id} for ${msg.node} expired`));
    }, this.expireMs);
    const req = requestOf(msg, entry.ac.signal);
    let r: unknown;
    try {
      r = handler(req);
    } catch (err) {
      return this.settle(msg, entry, err, true) as undefined;
    }
    if (r === null || typeof r !== 'object' || typeof (r as PromiseLike<unknown>).then !== 'function') {
      this.answer(msg, entry, r);
      return undefined;
    }
    return Promise.resolve(r as PromiseLike<unknown>).then(
      (content) => this.answer(msg, entry, content),
      (err: unknown) => this.settle(msg, entry, err, false),
    );
  }

  /** The host closed the node's open request `re` without an answer: its signal aborts. */
  openEnded(node: string, re: number, why: string): void {
    this.abort(node, re, why);
  }

  /** Abort every request in progress; handlers stay installed (the router is closing). */
  close(): void {
    for (const [node, entry] of [...this.active]) this.end(node, entry, new CtpClosedError());
    this.timers.clearAll();
  }

  private abort(node: string, re: number | undefined, why: string): void {
    const entry = this.active.get(node);
    if (entry === undefined || (re !== undefined && entry.re !== re)) return;
    debug('request %d for %s %s', entry.re, node, why);
    this.end(node, entry, new DOMException(`request ${entry.re} for ${node} ${why}`, 'AbortError'));
  }

  /** The request is over for the handler: clear its timer, abort its signal with `reason` if given. */
  private end(node: string, entry: Active, reason?: unknown): void {
    entry.timer = this.timers.clear(entry.timer);
    if (this.active.get(node) === entry) this.active.delete(node);
    if (reason !== undefined && !entry.ac.signal.aborted) entry.ac.abort(reason);
  }

  /** The handler's value: the SUCCESS content. */
  private answer(msg: CtpControlMessage, entry: Active, content: unknown): void {
    this.reply(msg, entry, ReturnCode.SUCCESS, content, undefined);
  }

  /** The handler threw: a `CtpReply` answers; anything else fails the request (rethrown for the host). */
  private settle(msg: CtpControlMessage, entry: Active, err: unknown, sync: boolean): void | Promise<never> {
    if (err instanceof CtpReply) return this.reply(msg, entry, err.code, err.content, err.reason);
    this.end(msg.node, entry);
    const failure = new CtpCallbackError('handler', err);
    if (sync) throw failure;
    return Promise.reject(failure);
  }

  /**
   * Send the answer. Content JSON cannot carry fails the request (thrown for
   * the host); content too large to send answers ERROR `too-large` instead.
   */
  private reply(msg: CtpControlMessage, entry: Active, code: ReturnCode, content: unknown, reason: string | undefined): void {
    this.end(msg.node, entry);
    try {
      checkJson('content', content, false);
    } catch (err) {
      throw new CtpCallbackError('handler', err);
    }
    // With `re`, the host sends nothing when this request is no longer the
    // open one (superseded, its controller gone): ERROR `stale` here.
    const r = this.hooks.respond(msg.node, content, code, msg.id, reason);
    debug('%s answered request %d with %s -> %s', msg.node, msg.id, code, r.code);
    if (r.code === ReturnCode.ERROR && r.reason === 'too-large') this.hooks.respond(msg.node, undefined, ReturnCode.ERROR, msg.id, 'too-large');
  }
}

/** The handler's view of a control message. */
function requestOf(msg: CtpControlMessage, signal: AbortSignal): CtpHandlerRequest {
  const base = { node: msg.node, app: msg.app, controller: msg.controller, id: msg.id, signal };
  if (msg.t === 'COMMAND') return { type: 'COMMAND', ...base, content: msg.content };
  return msg.optionals === undefined ? { type: msg.t, ...base } : { type: msg.t, ...base, optionals: msg.optionals };
}
