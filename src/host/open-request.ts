/**
 * A hosted node's open control request (PROTOCOL.md section 5): the one
 * record of it, kept by the host (host.ts). Every way it ends — answered,
 * superseded, expired, its controller unregistered or released (also as
 * idle), the node removed, the host app failed, the router closed — goes
 * through `end`, which aborts the handler's `signal` exactly once. The
 * `AbortController` is made only when `signal` is read.
 */
import type { CtpTimerHandle } from '../base/clock.js';
import { CtpClosedError, CtpTimeoutError } from '../base/errors.js';

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

export class CtpOpenRequest {
  private ac: AbortController | undefined;
  private why: CtpOpenEnd | undefined;
  /** The expiry (`responseTimeoutMs` at the host). */
  timer: CtpTimerHandle | undefined;
  /** A handler (not `onReceived`) is answering it. */
  handled = false;
  /** Counted among the requests handlers are busy with (host.ts). */
  counted = false;

  constructor(
    readonly node: string,
    /** The request's id: the `re` of its RESPONSE. */
    readonly re: number,
    readonly controller: string,
  ) {}

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
