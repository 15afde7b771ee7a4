/**
 * The synchronous host-app calls `respond`, `post` and `publish`: their
 * argument checks (`CtpArgumentError`) and what they do. A frame that would exceed `maxFrameBytes` is not sent:
 * they return `ERROR` reason `too-large` at once (the receiver would drop it
 * and nobody would know).
 */
import { checkJson, checkNode } from '../base/checks.js';
import { argumentError } from '../base/errors.js';
import { isReturnCode, ReturnCode, type CtpResult } from '../base/messages.js';
import type { CtpHost } from './host.js';
import type { CtpOutbound } from '../wire/outbound.js';
import type { CtpTable } from '../link-state/table.js';

const TOO_LARGE: CtpResult = Object.freeze({ code: ReturnCode.ERROR, reason: 'too-large' });

/** The parts these calls use. */
export interface CtpPublishingParts<P> {
  readonly table: CtpTable<P>;
  readonly host: CtpHost<P>;
  readonly out: CtpOutbound<P>;
}

/** `respond(node, content, code, re)`. */
export function respondAt<P>(
  p: CtpPublishingParts<P>,
  node: string,
  content: unknown,
  code: ReturnCode,
  re: number | undefined,
): CtpResult {
  checkNode(node);
  if (!isReturnCode(code)) throw argumentError('code', 'a ReturnCode', code);
  if (re !== undefined && !Number.isSafeInteger(re)) throw argumentError('re', 'a request id', re);
  checkJson('content', content, false);
  // A local node is reachable (its owner is this router): one lookup for the common case.
  if (p.table.hasLocal(node)) return p.host.respond(node, content, code, re);
  return { code: p.table.isReachableName(node) ? ReturnCode.REJECTED : ReturnCode.NODE_UNFOUND };
}

/** `post(node, content)`: toward the node's host, which publishes it. */
export function postTo<P>(p: CtpPublishingParts<P>, node: string, content: unknown): CtpResult {
  checkNode(node);
  checkJson('content', content, true);
  const { table } = p;
  const owner = table.ownerOf(node);
  if (owner === undefined) return { code: ReturnCode.NODE_UNFOUND };
  if (table.hostsOf(node).length > 1) return { code: ReturnCode.ERROR, reason: 'conflict' };
  if (owner === table.id) {
    if (p.host.publish(node, content) === 'too-large') return { ...TOO_LARGE };
  } else {
    const peer = table.peerToward(owner);
    if (peer === undefined) return { code: ReturnCode.NODE_UNFOUND };
    if (!p.out.message(peer, { v: 1, t: 'POST', to: owner, node, content }))
      return { ...TOO_LARGE };
  }
  return { code: ReturnCode.SUCCESS };
}

/** `publish(node, content)`: at the node's host, one EVENT per registrant router. */
export function publishAt<P>(p: CtpPublishingParts<P>, node: string, content: unknown): CtpResult {
  checkNode(node);
  checkJson('content', content, true);
  if (!p.table.isReachableName(node)) return { code: ReturnCode.NODE_UNFOUND };
  if (!p.table.hasLocal(node)) return { code: ReturnCode.REJECTED };
  const r = p.host.publish(node, content);
  if (r === 'too-large') return { ...TOO_LARGE };
  return { code: r ? ReturnCode.SUCCESS : ReturnCode.NOT_ASSIGNED };
}
