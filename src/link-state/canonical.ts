/**
 * The canonical bytes a signature covers (issue 9): an advert's, and a
 * REGISTER claim's (PROTOCOL.md section 5), each behind its domain tag.
 * Signer and verifier (signing.ts, certificates.ts) build the same bytes from
 * the decoded fields, whatever the key order of the frame.
 */
import type { CtpAdvert } from '../base/messages.js';

/** Domain tag in the canonical bytes: a signature over an advert is good for nothing else. */
export const CANONICAL_TAG = 'ctp-advert/1';

/**
 * The bytes an advert's signature covers: independent of the JSON key order
 * of the frame it came in, as `JSON.stringify` of an array is. @example
 * {@includeCode ../../docs/api-examples/multi-transport.ts#canonicalAdvert}
 */
export function canonicalAdvert(
  a: Pick<CtpAdvert, 'origin' | 'seq' | 'nodes' | 'neighbors' | 'time'>,
): string {
  // The signed time (issue 25), when the advert has one, is the last element.
  return a.time === undefined
    ? JSON.stringify([CANONICAL_TAG, a.origin, a.seq, a.nodes, a.neighbors])
    : JSON.stringify([CANONICAL_TAG, a.origin, a.seq, a.nodes, a.neighbors, a.time]);
}

/** Domain tag of a REGISTER's claim (PROTOCOL.md section 5): good for nothing else. */
const CLAIM_TAG = 'ctp-claim/1';

/** What a REGISTER's claim signature covers. */
export interface CtpClaimFields {
  id: number;
  to?: string | undefined;
  node: string;
  controller?: string | undefined;
  monitor?: string | undefined;
  claim?: number | undefined;
}

/** The bytes a REGISTER's `claimSig` covers: the registrant, its node, host, request id and claimed seq. */
export function canonicalClaim(m: CtpClaimFields): string {
  return JSON.stringify([CLAIM_TAG, m.controller ?? m.monitor, m.node, m.to ?? '', m.id, m.claim]);
}
