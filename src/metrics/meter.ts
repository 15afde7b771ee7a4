/**
 * The counters behind `router.metrics()` (docs/operations.md#metrics): plain
 * numbers and Maps, bumped where a request this router made settles, where a
 * hosted node answers, where an EVENT is published or received; the frame
 * tallies live with the wire (`frameTally`). Nothing per node: every label
 * takes a small, fixed set of values.
 */
import { isReturnCode } from '../base/messages.js';

/** The requests `ctp_requests_total` and `ctp_handled_total` count, by `type`. */
export type CtpRequestType = 'REGISTER' | 'UNREGISTER' | 'START' | 'STOP' | 'COMMAND';

/**
 * The upper bounds (seconds) of `ctp_request_duration_seconds`'s buckets, `+Inf` aside:
 * 1 ms to 120 s (the default `responseTimeoutMs`), about ×2.5 apart.
 */
export const REQUEST_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
]);

/** The frame types `ctp_frames_total` counts by `t` (anything else is `other`). */
const FRAME_TYPES = [
  'REPORTNODE',
  'UPDATENODE',
  'REGISTER',
  'UNREGISTER',
  'START',
  'STOP',
  'COMMAND',
  'POST',
  'RESPONSE',
  'EVENT',
] as const;

/** One counter: a cell bumped in place (one `Map` lookup per count, none to store it back). */
export interface CtpCount {
  n: number;
}

/** Frames by type: the ten types, each from 0 (a frame of another type is not counted here). */
export function frameTally(): Map<string, CtpCount> {
  return new Map(FRAME_TYPES.map((t) => [t, { n: 0 }]));
}

/** Count one frame of type `t` in `tally`, when `t` is one of the ten (no key is ever added). */
export function countFrame(tally: Map<string, CtpCount>, t: string): void {
  const c = tally.get(t);
  if (c !== undefined) c.n++;
}

/** Counts by result code; a code that is not a return code counts as `other` (a custom codec's). */
export class CtpCodeCounts {
  /** By code, in the order first seen. */
  readonly codes = new Map<string, CtpCount>();

  add(code: string): void {
    // A code seen before: one lookup (a key is a return code, `rejected` or `other`, so a
    // code found here is counted under itself — `other` included).
    const c = this.codes.get(code);
    if (c !== undefined) return void c.n++;
    const key = isReturnCode(code) || code === 'rejected' ? code : 'other';
    const k = this.codes.get(key);
    if (k !== undefined) k.n++;
    else this.codes.set(key, { n: 1 });
  }
}

/** One request type's results and round trips. */
export class CtpRequestRecord extends CtpCodeCounts {
  /** Per bucket of `REQUEST_DURATION_BUCKETS`, then `+Inf`: not cumulative. */
  readonly buckets = new Float64Array(REQUEST_DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  /** A request ended with `code` after `ms`. */
  settled(code: string, ms: number): void {
    this.add(code);
    const s = ms > 0 ? ms / 1000 : 0;
    let i = 0;
    while (i < REQUEST_DURATION_BUCKETS.length && s > (REQUEST_DURATION_BUCKETS[i] as number)) i++;
    (this.buckets[i] as number)++;
    this.sum += s;
    this.count++;
  }
}

/** The caller's request names (`CtpOp`) and their `type` labels. */
const OP_TYPES: Readonly<Record<string, CtpRequestType>> = {
  register: 'REGISTER',
  unregister: 'UNREGISTER',
  start: 'START',
  stop: 'STOP',
  command: 'COMMAND',
};

/** The router's metric counters (held by its reporter, which every role reports through). */
export class CtpMeter {
  /** Requests this router made, by type. */
  readonly requests = new Map<CtpRequestType, CtpRequestRecord>();
  /** Requests this router's hosted nodes answered, by type. */
  readonly handled = new Map<string, CtpCodeCounts>();
  /** EVENTs this router's hosted nodes published. */
  eventsPublished = 0;
  /** EVENTs delivered to this router (as a controller or monitor). */
  eventsReceived = 0;

  /** The same records by `op` (one property read per request, not a name and a `Map` lookup). */
  private readonly byOp: Readonly<Record<string, CtpRequestRecord>>;

  constructor() {
    const byOp: Record<string, CtpRequestRecord> = {};
    for (const [op, t] of Object.entries(OP_TYPES)) {
      const r = new CtpRequestRecord();
      this.requests.set(t, r);
      byOp[op] = r;
    }
    this.byOp = byOp;
  }

  /**
   * A request this router made (`op`: register, unregister, start, stop,
   * command) has its result: `code`, or `rejected` when its promise rejects
   * (aborted), `ms` after the call (requests.ts reports every outcome once).
   */
  measured(op: string, code: string, ms: number): void {
    (this.byOp[op] ?? (this.requests.get('COMMAND') as CtpRequestRecord)).settled(code, ms);
  }

  /** A hosted node answered a request of type `t` with `code`. */
  answered(t: string, code: string): void {
    let c = this.handled.get(t);
    if (c === undefined) this.handled.set(t, (c = new CtpCodeCounts()));
    c.add(code);
  }
}
