/**
 * The handler API: `router.handle(node, handler)`. A handler answers the
 * control requests (START, STOP, COMMAND) of one local node by returning (or
 * resolving) the SUCCESS content, or by throwing a `CtpReply` with another
 * code; any other throw or rejection answers `ERROR` reason
 * `host-callback-failed` (host.ts) and is reported as `error`. Each request
 * carries an `AbortSignal` that aborts exactly once when the request ends:
 * answered, superseded, expired (after `responseTimeoutMs` at the host),
 * its controller unregistered or released (also as idle), the node removed,
 * the handler failed, or the router closed (open-request.ts).
 *
 * Precedence: a node with a handler never reaches `onReceived` for START,
 * STOP and COMMAND; every other node's requests, and every EVENT, still do.
 */
import createDebug from 'debug';
import { checkJson, checkNode } from '../base/checks.js';
import { argumentError, CtpArgumentError, CtpCallbackError } from '../base/errors.js';
import type { CtpOpenRequest } from './open-request.js';
import {
  isReturnCode,
  ReturnCode,
  type CtpControlMessage,
  type CtpResult,
} from '../base/messages.js';

const debug = createDebug('ctp:handlers');

/**
 * Thrown (or rejected with) by a handler to answer with a code other than
 * SUCCESS, or with a reason: `throw new CtpReply(ReturnCode.ERROR, { why }, 'busy')`.
 *
 * @example
 * {@includeCode ../../docs/api-examples/reply.ts}
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
    if (reason !== undefined && typeof reason !== 'string')
      throw argumentError('reason', 'a string', reason);
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
   * Aborts exactly once when the request ends: answered, superseded (a
   * newer control request for the node replaces it), expired
   * (`responseTimeoutMs` at the host), its controller unregistered or
   * released (also as idle), the node removed, the handler failed, or the
   * router closed. An answer after that sends nothing.
   */
  readonly signal: AbortSignal;
}

/** A COMMAND handed to a handler. */
export interface CtpHandlerCommand<C = unknown> extends CtpHandlerRequestBase {
  readonly type: 'COMMAND';
  /** The command's content (any JSON value; `C` is what the handler expects, unchecked). */
  readonly content: C;
}

/** A START or STOP handed to a handler. */
export interface CtpHandlerStartStop extends CtpHandlerRequestBase {
  readonly type: 'START' | 'STOP';
  /** The request's optionals, when it carried any. */
  readonly optionals?: Record<string, unknown>;
}

/** A control request handed to a handler; narrows on `type`. */
export type CtpHandlerRequest<C = unknown> = CtpHandlerCommand<C> | CtpHandlerStartStop;

/**
 * A node's handler: returns (or resolves to) the SUCCESS content; throws (or
 * rejects with) a `CtpReply` to answer another code; any other throw or
 * rejection answers `ERROR` reason `host-callback-failed`.
 */
export type CtpHandler<Req = unknown, Res = unknown> = (
  req: CtpHandlerRequest<Req>,
) => Res | PromiseLike<Res>;

/** How the handlers answer, through the host. */
export interface CtpHandlerHooks {
  /** `respond` at the host (`re`: the request answered; nothing is sent when another one is open). */
  respond(node: string, content: unknown, code: ReturnCode, re: number, reason?: string): CtpResult;
}

/**
 * The handlers of the local nodes. The request a handler works on is the
 * host's open request (open-request.ts): its one record, whose end aborts
 * `req.signal`.
 */
export class CtpHandlers {
  private readonly handlers = new Map<string, CtpHandler>();

  constructor(private readonly hooks: CtpHandlerHooks) {}

  /** Install `handler` for `node`; the returned function removes it. A second handler for a node throws. */
  handle(node: string, handler: CtpHandler): () => void {
    checkNode(node);
    if (typeof handler !== 'function') throw argumentError('handler', 'a function', handler);
    if (this.handlers.has(node))
      throw new CtpArgumentError(
        `Expected one handler for node ${JSON.stringify(node)}, got a second one`,
      );
    this.handlers.set(node, handler);
    return () => {
      if (this.handlers.get(node) === handler) this.handlers.delete(node);
    };
  }

  /** Does `node` have a handler? */
  has(node: string): boolean {
    return this.handlers.size > 0 && this.handlers.has(node);
  }

  /**
   * Run the node's handler on the open request `open`. A sync failure
   * throws, an async one rejects: the host reports it and answers `ERROR`
   * `host-callback-failed` while the request is open.
   */
  run(msg: CtpControlMessage, open: CtpOpenRequest): Promise<void> | undefined {
    const handler = this.handlers.get(msg.node) as CtpHandler;
    open.handled = true;
    const req = requestOf(msg, open);
    let r: unknown;
    try {
      r = handler(req);
    } catch (err) {
      return this.settle(msg, err, true) as undefined;
    }
    if (
      r === null ||
      typeof r !== 'object' ||
      typeof (r as PromiseLike<unknown>).then !== 'function'
    ) {
      this.reply(msg, ReturnCode.SUCCESS, r, undefined);
      return undefined;
    }
    return Promise.resolve(r as PromiseLike<unknown>).then(
      (content) => this.reply(msg, ReturnCode.SUCCESS, content, undefined),
      (err: unknown) => this.settle(msg, err, false),
    );
  }

  /** The handler threw: a `CtpReply` answers; anything else fails the request (rethrown for the host). */
  private settle(msg: CtpControlMessage, err: unknown, sync: boolean): void | Promise<never> {
    if (err instanceof CtpReply) return this.reply(msg, err.code, err.content, err.reason);
    const failure = new CtpCallbackError('handler', err);
    if (sync) throw failure;
    return Promise.reject(failure);
  }

  /**
   * Send the answer. Content JSON cannot carry fails the request (thrown for
   * the host); content too large to send answers ERROR `too-large` instead.
   */
  private reply(
    msg: CtpControlMessage,
    code: ReturnCode,
    content: unknown,
    reason: string | undefined,
  ): void {
    try {
      checkJson('content', content, false);
    } catch (err) {
      throw new CtpCallbackError('handler', err);
    }
    // With `re`, the host sends nothing when this request is no longer the
    // open one (superseded, its controller gone): ERROR `stale` here.
    const r = this.hooks.respond(msg.node, content, code, msg.id, reason);
    debug('%s answered request %d with %s -> %s', msg.node, msg.id, code, r.code);
    if (r.code === ReturnCode.ERROR && r.reason === 'too-large')
      this.hooks.respond(msg.node, undefined, ReturnCode.ERROR, msg.id, 'too-large');
  }
}

/** Where a handler's request keeps its open request (not enumerable). */
const OPEN = Symbol('open request');
/**
 * `signal`: ONE getter for every request (no closure, and the same property
 * shape for every request object: a getter per request gave each its own).
 */
const SIGNAL: PropertyDescriptor = {
  enumerable: true,
  get(this: { [OPEN]: CtpOpenRequest }): AbortSignal {
    return this[OPEN].signal;
  },
};

/** The handler's view of a control message: `signal` is the open request's, made when read. */
function requestOf(msg: CtpControlMessage, open: CtpOpenRequest): CtpHandlerRequest {
  const req = {
    type: msg.t,
    node: msg.node,
    app: msg.app,
    controller: msg.controller,
    id: msg.id,
  } as Record<string | symbol, unknown>;
  Object.defineProperty(req, OPEN, { value: open });
  Object.defineProperty(req, 'signal', SIGNAL);
  if (msg.t === 'COMMAND') req.content = msg.content;
  else if (msg.optionals !== undefined) req.optionals = msg.optionals;
  return req as unknown as CtpHandlerRequest;
}
