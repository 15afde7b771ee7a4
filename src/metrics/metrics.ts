/**
 * `router.metrics()` and a transport's `metrics()`: the metrics as plain data,
 * keyed by their Prometheus names (docs/operations.md#metrics), and the
 * description of every metric family (`CTP_METRIC_FAMILIES`) an exposition
 * needs. Read at scrape time: a snapshot allocates, counting does not.
 */
import { deviceNames } from '../link-state/node-list.js';
import {
  REQUEST_DURATION_BUCKETS,
  type CtpCodeCounts,
  type CtpCount,
  type CtpRequestType,
} from './meter.js';

/** One labelled value of a counter. */
export type CtpMetricSample<L> = L & { value: number };

/** One `type` of `ctp_request_duration_seconds`. */
export interface CtpDurationSample {
  type: CtpRequestType;
  /** Cumulative counts: `buckets[i]` requests took at most `REQUEST_DURATION_BUCKETS[i]` seconds. */
  buckets: number[];
  /** All of them (the `+Inf` bucket). */
  count: number;
  /** Their total, in seconds. */
  sum: number;
}

/** `router.metrics()`: the router's metrics by Prometheus name; labels as fields of each sample. */
export interface CtpMetrics {
  /** Requests this router made, by `type` and result `code` (`rejected`: the promise rejected, e.g. aborted). */
  ctp_requests_total: CtpMetricSample<{ type: CtpRequestType; code: string }>[];
  /** Their time from the call to the result, by `type` (buckets: `REQUEST_DURATION_BUCKETS`). */
  ctp_request_duration_seconds: CtpDurationSample[];
  /** Requests this router's hosted nodes answered, by `type` and the `code` answered. */
  ctp_handled_total: CtpMetricSample<{ type: CtpRequestType; code: string }>[];
  /** Frames received (`in`) and sent (`out`) by type `t` (`other`: not decoded, or of no known type). */
  ctp_frames_total: CtpMetricSample<{ direction: 'in' | 'out'; t: string }>[];
  /** Inbound frames dropped, by `reason` (the `dropped` event's). */
  ctp_dropped_total: CtpMetricSample<{ reason: string }>[];
  /** Frames this router passed on toward another router. */
  ctp_forwarded_total: number;
  /** EVENTs `published` by this router's hosted nodes, and `received` by this router. */
  ctp_events_total: CtpMetricSample<{ direction: 'published' | 'received' }>[];
  /** Links up and bound to a neighbor router. */
  ctp_links: number;
  /** Other routers reachable now. */
  ctp_routers_reachable: number;
  /** Nodes reachable now (this router's own included, virtual nodes not). */
  ctp_nodes_reachable: number;
  /** Nodes this router hosts. */
  ctp_nodes_hosted: number;
  /** Nodes this router is the controller of. */
  ctp_nodes_controlled: number;
  /** Requests this router made that wait for their answer now. */
  ctp_pending_requests: number;
}

/** A transport's `metrics()`: its links' events and liveness. */
export interface CtpLinkMetrics {
  /**
   * Link events: `event="up"`; `event="down"` with the close `reason` (`dead`, `closed`, ...);
   * `event="refused"` (an inbound connection refused before it reached the router) with its `reason`.
   */
  ctp_link_events_total: CtpMetricSample<{ event: 'up' | 'down' | 'refused'; reason?: string }>[];
  /** The longest time since anything arrived on a live link (0 without links). */
  ctp_heartbeat_age_seconds: number;
}

/** One metric family: what an exposition declares (prom-client's `name`, `help`, `labelNames`). */
export interface CtpMetricFamily {
  name: keyof CtpMetrics | keyof CtpLinkMetrics;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: string[];
}

/** Every metric, router's then transport's, with its help text and labels. */
export const CTP_METRIC_FAMILIES: readonly CtpMetricFamily[] = Object.freeze([
  fam(
    'ctp_requests_total',
    'counter',
    'Requests this router made, by result code.',
    'type',
    'code',
  ),
  fam('ctp_request_duration_seconds', 'histogram', 'Round trips of those requests.', 'type'),
  fam(
    'ctp_handled_total',
    'counter',
    "Requests this router's hosted nodes answered.",
    'type',
    'code',
  ),
  fam('ctp_frames_total', 'counter', 'Frames in and out, by type.', 'direction', 't'),
  fam('ctp_dropped_total', 'counter', 'Inbound frames dropped, by reason.', 'reason'),
  fam('ctp_forwarded_total', 'counter', 'Frames passed on toward another router.'),
  fam('ctp_events_total', 'counter', 'EVENTs published here and received here.', 'direction'),
  fam('ctp_links', 'gauge', 'Links up and bound to a neighbor router.'),
  fam('ctp_routers_reachable', 'gauge', 'Other routers reachable now.'),
  fam('ctp_nodes_reachable', 'gauge', 'Nodes reachable now.'),
  fam('ctp_nodes_hosted', 'gauge', 'Nodes this router hosts.'),
  fam('ctp_nodes_controlled', 'gauge', 'Nodes this router is the controller of.'),
  fam('ctp_pending_requests', 'gauge', 'Requests this router made that wait for their answer.'),
  fam('ctp_link_events_total', 'counter', 'Link events: up, down and refused.', 'event', 'reason'),
  fam('ctp_heartbeat_age_seconds', 'gauge', 'The longest silence among live links.'),
]);

function fam(
  name: CtpMetricFamily['name'],
  type: CtpMetricFamily['type'],
  help: string,
  ...labelNames: string[]
): CtpMetricFamily {
  return { name, help, type, labelNames };
}

/** What `readMetrics` reads: the router's parts, as narrow views. @internal */
export interface CtpMetricSources {
  readonly report: {
    readonly meter: import('./meter.js').CtpMeter;
    readonly drops: Readonly<Record<string, number>>;
  };
  readonly wire: {
    readonly receivedByType: ReadonlyMap<string, CtpCount>;
    readonly out: {
      readonly sentByType: ReadonlyMap<string, CtpCount>;
      readonly counters: { framesIn: number; framesOut: number; forwarded: number };
    };
  };
  readonly pending: { readonly size: number };
  readonly linkState: {
    readonly table: {
      readonly id: string;
      boundPeers(): ReadonlyMap<string, readonly unknown[]>;
      reachableOrigins(): Iterable<string>;
      sortedNames(): readonly string[];
      hasLocal(name: string): boolean;
    };
  };
  readonly caller: { readonly registrant: { list(): readonly { type: string }[] } };
}

function codeSamples(
  counts: ReadonlyMap<string, CtpCodeCounts>,
): CtpMetricSample<{ type: CtpRequestType; code: string }>[] {
  const out: CtpMetricSample<{ type: CtpRequestType; code: string }>[] = [];
  for (const [type, c] of counts)
    for (const [code, { n: value }] of c.codes)
      out.push({ type: type as CtpRequestType, code, value });
  return out;
}

function frameSamples(
  direction: 'in' | 'out',
  tally: ReadonlyMap<string, CtpCount>,
  total: number,
): CtpMetricSample<{ direction: 'in' | 'out'; t: string }>[] {
  const out: CtpMetricSample<{ direction: 'in' | 'out'; t: string }>[] = [];
  let known = 0;
  for (const [t, { n: value }] of tally) {
    known += value;
    if (value > 0) out.push({ direction, t, value });
  }
  if (total > known) out.push({ direction, t: 'other', value: total - known });
  return out;
}

/** `router.metrics()`. @internal */
export function readMetrics(
  report: CtpMetricSources['report'],
  wire: CtpMetricSources['wire'],
  pending: CtpMetricSources['pending'],
  linkState: CtpMetricSources['linkState'],
  caller: CtpMetricSources['caller'],
): CtpMetrics {
  const s: CtpMetricSources = { report, wire, pending, linkState, caller };
  const { meter, drops } = s.report;
  const { counters } = s.wire.out;
  const table = s.linkState.table;
  const durations: CtpDurationSample[] = [];
  for (const [type, r] of meter.requests) {
    if (r.count === 0) continue;
    let acc = 0;
    const buckets = REQUEST_DURATION_BUCKETS.map((_, i) => (acc += r.buckets[i] as number));
    durations.push({ type, buckets, count: r.count, sum: r.sum });
  }
  let links = 0;
  for (const peers of table.boundPeers().values()) links += peers.length;
  let routers = 0;
  for (const origin of table.reachableOrigins()) if (origin !== table.id) routers++;
  const nodes = deviceNames(table.sortedNames());
  return {
    ctp_requests_total: codeSamples(meter.requests),
    ctp_request_duration_seconds: durations,
    ctp_handled_total: codeSamples(meter.handled as ReadonlyMap<string, CtpCodeCounts>),
    ctp_frames_total: [
      ...frameSamples('in', s.wire.receivedByType, counters.framesIn),
      ...frameSamples('out', s.wire.out.sentByType, counters.framesOut),
    ],
    ctp_dropped_total: Object.entries(drops).map(([reason, value]) => ({ reason, value })),
    ctp_forwarded_total: counters.forwarded,
    ctp_events_total: [
      { direction: 'published', value: meter.eventsPublished },
      { direction: 'received', value: meter.eventsReceived },
    ],
    ctp_links: links,
    ctp_routers_reachable: routers,
    ctp_nodes_reachable: nodes.length,
    ctp_nodes_hosted: nodes.filter((n) => table.hasLocal(n)).length,
    ctp_nodes_controlled: s.caller.registrant.list().filter((r) => r.type === 'controller').length,
    ctp_pending_requests: s.pending.size,
  };
}

/** `router.stats()`: the plain counters it has always given. @internal */
export function readStats(
  report: CtpMetricSources['report'],
  wire: CtpMetricSources['wire'],
  pending: CtpMetricSources['pending'],
): {
  framesIn: number;
  framesOut: number;
  forwarded: number;
  dropped: Record<string, number>;
  pending: number;
} {
  return { ...wire.out.counters, dropped: { ...report.drops }, pending: pending.size };
}
