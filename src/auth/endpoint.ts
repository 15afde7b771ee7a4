/**
 * Building the endpoint gate (gate.ts) for the link-state role: one only
 * when there is something to check (an identity or a policy).
 */
import { CtpTimers, type CtpClock } from '../base/clock.js';
import type { CtpMessage } from '../base/messages.js';
import type { CtpResolvedIdentity } from '../link-state/certificates.js';
import type { CtpReport } from '../wire/report.js';
import { CtpGate, type CtpGateAnswer, type CtpGateTable } from './gate.js';
import { CtpOriginAuth, type CtpPeerKeys } from './origin-auth.js';
import { CtpOriginWait } from './origin-wait.js';
import type { CtpResolvedPolicy } from './policy.js';

/** What the gate needs of routing: answer a request, deliver a frame that waited again. */
export interface CtpGateRouting<P> {
  answer: CtpGateAnswer;
  /** Route `msg` from `peer` as if it arrived now. */
  deliver(msg: CtpMessage, peer: P): void;
}

/** The gate of a router with these options, or `undefined` when it has neither `identity` nor `policy`. */
export function endpointGate<P>(
  table: CtpGateTable,
  keys: CtpPeerKeys,
  opts: {
    identity: CtpResolvedIdentity | undefined;
    policy?: CtpResolvedPolicy | undefined;
    maxRouters: number;
    /** How long a frame from an origin not known yet waits for its advert. @default 10000 */
    registrationWaitMs?: number;
  },
  report: CtpReport<P>,
  clock: CtpClock,
  routing: () => CtpGateRouting<P>,
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
  const waiting =
    opts.identity === undefined
      ? undefined
      : new CtpOriginWait<P>(
          new CtpTimers(clock),
          opts.registrationWaitMs ?? 10_000,
          report,
          (origin) => keys.peerCertText?.(origin) !== undefined,
          (msg, peer) => routing().deliver(msg, peer),
        );
  return new CtpGate(table, auth, opts.policy, report, answer, waiting);
}
