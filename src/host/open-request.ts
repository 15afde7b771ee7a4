/**
 * A hosted node's open control request (PROTOCOL.md section 5): the one
 * record of it, kept by the host (host.ts). Every way it ends — answered,
 * superseded, expired, its controller unregistered or released (also as
 * idle), the node removed, the host app failed, the router closed — goes
 * through `end`, which aborts the handler's `signal` exactly once. The
 * `AbortController` is made only when `signal` is read.
 */
import { CtpClosedError, CtpTimeoutError } from '../base/errors.js';
import type { CtpDeadline } from '../caller/deadline-sweep.js';
import type { CtpServerTrace } from '../tracing/tracing.js';

/** Why an open request ended. */
export type CtpOpenEnd =
  | 'answered'
  | 'superseded'
  | 'expired'
  | 'unregistered'
  | 'released'
  | 'idle'
  | 'removed'
  | 'failed'
  | 'closed';

/** Who is told when an open request's expiry is due (the host). */
export interface CtpOpenExpiry {
  expired(open: CtpOpenRequest, holder: CtpOpenHolder): void;
}

/** The hosted node whose open request it is (hosted-node.ts). */
export interface CtpOpenHolder {
  readonly open: CtpOpenRequest | undefined;
  endOpen(why: CtpOpenEnd): CtpOpenRequest | undefined;
}

/**
 * Also its own expiry (`responseTimeoutMs` at the host): a deadline of the
 * host's one sweep (caller/deadline-sweep.ts), no timer per request.
 */
export class CtpOpenRequest implements CtpDeadline {
  private ac: AbortController | undefined;
  private why: CtpOpenEnd | undefined;
  /** When it expires (the host's clock); set when the host watches it. */
  at = 0;
  tracked = false;
  prevDeadline: CtpDeadline | undefined = undefined;
  nextDeadline: CtpDeadline | undefined = undefined;
  /** Told when `at` is due, with `holder`. */
  expiry: CtpOpenExpiry | undefined = undefined;
  holder: CtpOpenHolder | undefined = undefined;
  /** A handler (not `onReceived`) is answering it. */
  handled = false;
  /** Counted among the requests handlers are busy with (host.ts). */
  counted = false;
  /** The request's type (`ctp_handled_total`). */
  t: 'START' | 'STOP' | 'COMMAND' = 'COMMAND';
  /** Its SERVER span when tracing is on (tracing/tracing.ts). */
  trace: CtpServerTrace | undefined = undefined;

  constructor(
    readonly node: string,
    /** The request's id: the `re` of its RESPONSE. */
    readonly re: number,
    readonly controller: string,
  ) {}

  /** The sweep found it due. */
  expire(): void {
    if (this.expiry !== undefined) this.expiry.expired(this, this.holder as CtpOpenHolder);
  }

  /** Aborts when the request ends, whatever ends it. */
  get signal(): AbortSignal {
    if (this.ac === undefined) {
      this.ac = new AbortController();
      if (this.why !== undefined) this.ac.abort(this.reason(this.why));
    }
    return this.ac.signal;
  }

  /** How it ended, once it has. */
  get ended(): CtpOpenEnd | undefined {
    return this.why;
  }

  /** End it (once: later calls do nothing); false when it had ended already. */
  end(why: CtpOpenEnd): boolean {
    if (this.why !== undefined) return false;
    this.why = why;
    this.ac?.abort(this.reason(why));
    return true;
  }

  private reason(why: CtpOpenEnd): unknown {
    if (why === 'closed') return new CtpClosedError();
    if (why === 'expired')
      return new CtpTimeoutError(`request ${this.re} for ${this.node} expired`);
    return new DOMException(`request ${this.re} for ${this.node} ${why}`, 'AbortError');
  }
}
