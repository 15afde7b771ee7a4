/**
 * The W3C `traceparent` frame field (PROTOCOL.md section 6): the one format
 * START, STOP and COMMAND carry, `00-<trace id>-<parent id>-<flags>` in
 * lowercase hex (https://www.w3.org/TR/trace-context/#traceparent-header).
 * Pure, no OpenTelemetry: the codec checks it on every frame that carries it.
 */

/** Version 00, 32 + 16 + 2 lowercase hex digits. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A `traceparent`'s parts. */
export interface CtpTraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** The sender's span: 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** The trace flags (bit 0: sampled). */
  readonly traceFlags: number;
}

/**
 * The parts of a valid `traceparent`, else `undefined`: not a string, not
 * version `00` with exactly 55 characters, uppercase hex, or an all-zero
 * trace or parent id (which W3C forbids).
 */
export function parseTraceparent(value: unknown): CtpTraceParent | undefined {
  if (typeof value !== 'string' || value.length !== 55) return undefined;
  const m = TRACEPARENT.exec(value);
  if (m === null) return undefined;
  const traceId = m[1] as string;
  const spanId = m[2] as string;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(m[3] as string, 16) };
}

/** Is `value` a valid `traceparent` (`parseTraceparent`)? */
export function isTraceparent(value: unknown): value is string {
  return parseTraceparent(value) !== undefined;
}

/** The `traceparent` of a span: its trace id, its own id and its flags. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  const flags = traceFlags & 0xff;
  return `00-${traceId}-${spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}
