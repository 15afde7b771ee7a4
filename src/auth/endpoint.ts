/**
 * Building the endpoint gate (gate.ts) for the link-state role: one only
 * when there is something to check (an identity or a policy).
 */
import type { CtpClock } from '../base/clock.js';
import type { CtpResolvedIdentity } from '../link-state/certificates.js';
import type { CtpReport } from '../wire/report.js';
import { CtpGate, type CtpGateAnswer, type CtpGateTable } from './gate.js';
import { CtpOriginAuth, type CtpPeerKeys } from './origin-auth.js';
import type { CtpResolvedPolicy } from './policy.js';

/** The gate of a router with these options, or `undefined` when it has neither `identity` nor `policy`. */
export function endpointGate<P>(
  table: CtpGateTable,
  keys: CtpPeerKeys,
  opts: {
    identity: CtpResolvedIdentity | undefined;
    policy?: CtpResolvedPolicy | undefined;
    maxRouters: number;
  },
  report: CtpReport<P>,
  clock: CtpClock,
  routing: () => { answer: CtpGateAnswer },
): CtpGate<P> | undefined {
  if (opts.identity === undefined && opts.policy === undefined) return undefined;
  const auth = new CtpOriginAuth(
    table.id,
    opts.identity,
    keys,
    () => clock.now(),
    opts.maxRouters + 64,
  );
  const answer: CtpGateAnswer = (...args) => routing().answer(...args);
  return new CtpGate(table, auth, opts.policy, report, answer);
}
