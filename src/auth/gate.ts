/**
 * The endpoint gate (issue 25): what routing asks before it hands a frame
 * addressed to this router to the host or the caller, and what it does to
 * a frame this router originates. With `identity`: the origin's `auth`
 * verifies (origin-auth.ts), and the origin is the router the frame speaks
 * for — a request's registrant's router, a RESPONSE's or EVENT's host (a
 * release notice's named host; any router for a bare NODE_UNFOUND, which a
 * relay that cannot route answers). Then, at the host, the `policy`. A
 * frame that fails is dropped (`bad-origin`, `replayed`); a request the
 * policy refuses is answered `REJECTED`, reason `policy`. A frame from an
 * origin whose signed advert is not held yet waits for it (origin-wait.ts).
 */
import createDebug from 'debug';
import {
  ReturnCode,
  type CtpHostBoundMessage,
  type CtpMessage,
  type CtpRegistrantBoundMessage,
} from '../base/messages.js';
import { virtualParts } from '../base/names.js';
import type { CtpReport } from '../wire/report.js';
import type { CtpOriginAuth, CtpOriginFields } from './origin-auth.js';
import type { CtpOriginWait } from './origin-wait.js';
import type { CtpPolicyRole, CtpResolvedPolicy } from './policy.js';

const debug = createDebug('ctp:gate');

/** What the gate needs of the table. */
export interface CtpGateTable {
  readonly id: string;
  hostsOf(name: string): string[];
}

/** Answer a request (routing's `answer`). */
export type CtpGateAnswer = (
  node: string,
  registrant: string,
  code: ReturnCode,
  re?: number,
  content?: unknown,
  reason?: string,
) => boolean;

/** The registrant a request speaks for, and the role it asks for (none for UNREGISTER). */
function requestOf(msg: CtpHostBoundMessage): { name: unknown; role?: CtpPolicyRole } {
  switch (msg.t) {
    case 'REGISTER':
      return msg.controller !== undefined
        ? { name: msg.controller, role: 'controller' }
        : { name: msg.monitor, role: 'monitor' };
    case 'UNREGISTER':
      return { name: msg.controller ?? msg.monitor };
    case 'POST':
      return { name: undefined };
    default:
      return { name: msg.controller, role: 'controller' };
  }
}

/** Why `origin` may not speak for `msg`, or `undefined`. */
export function originMismatch(
  msg: CtpMessage,
  origin: string,
  hostsOf: (node: string) => string[],
): string | undefined {
  if (msg.t === 'RESPONSE' || msg.t === 'EVENT') {
    if (msg.t === 'RESPONSE') {
      const host = (msg.content as { host?: unknown } | undefined)?.host;
      if (msg.reason === 'released' && typeof host === 'string')
        return host === origin ? undefined : 'the release notice names another host';
      if (msg.code === ReturnCode.NODE_UNFOUND && msg.content === undefined) return undefined;
    }
    return hostsOf(msg.node).includes(origin) ? undefined : 'the origin does not host the node';
  }
  const { name } = requestOf(msg as CtpHostBoundMessage);
  return virtualParts(name)?.routerId === origin
    ? undefined
    : "the origin is not the registrant's router";
}

export class CtpGate<P> {
  constructor(
    private readonly table: CtpGateTable,
    private readonly auth: CtpOriginAuth,
    private readonly policy: CtpResolvedPolicy | undefined,
    private readonly report: CtpReport<P>,
    private readonly answer: CtpGateAnswer,
    /** Frames from origins whose signed advert has not arrived yet wait here (origin-wait.ts). */
    private readonly waiting?: CtpOriginWait<P>,
  ) {}

  /** The table changed: frames waiting for an origin's advert that came go through again. */
  onTableChange(): void {
    this.waiting?.recheck();
  }

  /** Drop what waits. */
  close(): void {
    this.waiting?.close();
  }

  /** `msg`, originated here, as it goes toward the router `dest`. */
  seal<M extends CtpMessage>(msg: M, dest: string): M {
    return this.auth.active ? this.auth.seal(msg, dest) : msg;
  }

  /** May the RESPONSE or EVENT from `peer`, addressed to this router, go to the caller? */
  admitAnswer(msg: CtpRegistrantBoundMessage, peer: P): boolean {
    return !this.auth.active || this.verified(msg, peer) !== undefined;
  }

  /** May the request from `peer`, for a local node, go to the host? Reports the drop, or answers `REJECTED` (`policy`), when not. */
  admitRequest(msg: CtpHostBoundMessage, peer: P): boolean {
    if (msg.t === 'POST') return true;
    let origin: string | undefined;
    if (this.auth.active) {
      origin = this.verified(msg, peer);
      if (origin === undefined) return false;
    }
    const policy = this.policy;
    if (policy === undefined) return true;
    const { name, role } = requestOf(msg);
    if (role === undefined) return true;
    origin ??= virtualParts(name)?.routerId;
    if (origin !== undefined && policy.allows(origin, msg.node, role)) return true;
    debug('%s refuses %s of %s by %s as %s: policy', this.table.id, msg.t, msg.node, origin, role);
    if (typeof name === 'string')
      this.answer(msg.node, name, ReturnCode.REJECTED, msg.id, undefined, 'policy');
    return false;
  }

  /** The origin of `msg` when its authentication and claimed origin check; else reports the drop. */
  private verified(msg: CtpMessage, peer: P): string | undefined {
    const bad = this.auth.check(msg);
    const origin = (msg as CtpOriginFields).origin as string;
    const message = bad?.message ?? originMismatch(msg, origin, (n) => this.table.hostsOf(n));
    if (message === undefined) return origin;
    // Not known yet (no signed advert of the origin): wait for it, bounded (origin-wait.ts).
    const waiting = bad?.unknown === true ? this.waiting : undefined;
    const full = waiting === undefined ? message : waiting.hold(origin, msg, peer);
    if (full === undefined) return undefined;
    this.report.drop(peer, bad?.reason ?? 'bad-origin', {
      t: msg.t,
      node: (msg as { node?: string }).node,
      origin: typeof origin === 'string' ? origin : undefined,
      message: full,
    });
    return undefined;
  }
}
