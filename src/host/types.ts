/**
 * What the host role is built with: its options, its view of link state and
 * what it reports through. Shared by the host (host.ts) and its registration
 * rules (registrations.ts).
 */
import type { CtpEmit } from '../events.js';
import type { CtpAdvertAuth } from '../link-state/signing.js';
import type { CtpHostRouting } from '../link-state/routing.js';
import type { CtpTable } from '../link-state/table.js';
import type { CtpReport } from '../wire/report.js';
import type { CtpMeter } from '../metrics/meter.js';

export interface CtpHostOptions {
  registrationWaitMs: number;
  leaseGraceMs: number;
  maxWaitingRegistrations: number;
  staleAdvertMs: number;
  /** Issue 10: further monitor REGISTERs are REJECTED (`too-many-monitors`). */
  maxMonitorsPerNode: number;
  /** Issue 10: the cap on (and default of) a controller's idle timeout. */
  maxControlIdleMs: number | undefined;
  /** An open control request expires (its handler's signal aborts) after this long. */
  responseTimeoutMs: number;
}

/** What the host role reports through: drops, errors and the `released` event. */
export interface CtpHostReport<P> extends CtpReport<P> {
  readonly emit: CtpEmit<P>;
  /** Counts the answers of hosted nodes and the EVENTs they publish (src/metrics/). */
  readonly meter: CtpMeter;
}

/** Link state as the host sees it: the table, the routes, the signatures, the outbound edge. */
export interface CtpHostLinks<P> {
  readonly table: CtpTable<P>;
  readonly routing: CtpHostRouting<P>;
  readonly auth: CtpAdvertAuth<P>;
}
