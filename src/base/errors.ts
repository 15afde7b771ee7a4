/**
 * Typed errors. Caller misuse throws (or rejects with) one of these; bad input
 * from the wire is never thrown, it is reported as a `dropped` event.
 */

/** Every error code this package throws or reports. */
export const CtpErrorCode = {
  /** An argument or option is invalid (a `TypeError`). */
  INVALID_ARG: 'ERR_CTP_INVALID_ARG',
  /** The router was closed. */
  CLOSED: 'ERR_CTP_CLOSED',
  /** A frame could not be decoded (carries the drop `reason`). */
  DECODE: 'ERR_CTP_DECODE',
  /** A host callback, a listener or the transport's `send` threw. */
  CALLBACK: 'ERR_CTP_CALLBACK',
  /** A fault inside the router itself (a bug): reported, never thrown into the host. */
  INTERNAL: 'ERR_CTP_INTERNAL',
  /** A wait (`waitForNode`) ran out of time. */
  TIMEOUT: 'ERR_CTP_TIMEOUT',
} as const;
export type CtpErrorCode = (typeof CtpErrorCode)[keyof typeof CtpErrorCode];

/**
 * The base of every error this package throws or reports, with a literal
 * `code`. `CtpArgumentError` must be a `TypeError` (PROTOCOL.md section 3), so it
 * cannot inherit from this class: `instanceof CtpError` accepts it too.
 * @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpError}
 */
export abstract class CtpError extends Error {
  abstract readonly code: CtpErrorCode;
  /** `instanceof` that also accepts `CtpArgumentError` for `CtpError` itself. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === CtpError && value instanceof CtpArgumentError) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** Invalid argument or option: a `TypeError` with `code: 'ERR_CTP_INVALID_ARG'` (also `instanceof CtpError`); synchronous calls throw it, requests reject with it. @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpArgumentError} */
export class CtpArgumentError extends TypeError {
  readonly code = CtpErrorCode.INVALID_ARG;
  override name = 'CtpArgumentError';
}

/** The router is closed: `code: 'ERR_CTP_CLOSED'`; every call after `close()` throws or rejects with it. @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpClosedError} */
export class CtpClosedError extends CtpError {
  readonly code = CtpErrorCode.CLOSED;
  override name = 'CtpClosedError';
  constructor(message = 'The router is closed') {
    super(message);
  }
}

/** A frame was refused by a codec (`code: 'ERR_CTP_DECODE'`); `reason` is the drop reason it reports. @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpDecodeError} */
export class CtpDecodeError extends CtpError {
  readonly code = CtpErrorCode.DECODE;
  override name = 'CtpDecodeError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A host callback, an event listener or `send` threw; reported through the `error` event, never thrown; `callback` names it, `cause` is what it threw. @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpCallbackError} */
export class CtpCallbackError extends CtpError {
  readonly code = CtpErrorCode.CALLBACK;
  override name = 'CtpCallbackError';
  constructor(
    readonly callback: string,
    cause: unknown,
  ) {
    super(`\`${callback}\` threw: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/**
 * A fault inside the router (a bug, not the host's doing): reported through
 * the `error` event with the operation it broke (`receive`, `peerUp`, …);
 * the router carries on.
 * @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpCallbackError}
 */
export class CtpInternalError extends CtpError {
  readonly code = CtpErrorCode.INTERNAL;
  override name = 'CtpInternalError';
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(
      `internal fault in \`${operation}\`: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** A wait ran out of time (`waitForNode`): `code: 'ERR_CTP_TIMEOUT'`. (A request's time-out is not an error: it resolves `TIMEOUT`.) @example
 * {@includeCode ../../docs/api-examples/errors.ts#CtpTimeoutError} */
export class CtpTimeoutError extends CtpError {
  readonly code = CtpErrorCode.TIMEOUT;
  override name = 'CtpTimeoutError';
  constructor(message = 'The wait timed out') {
    super(message);
  }
}

/** Describe a value for an error message, in the p-timeout template. */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value !== null && typeof value === 'object')
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** ``Expected `name` to be what, got `value` `` */
export function argumentError(name: string, what: string, value: unknown): CtpArgumentError {
  return new CtpArgumentError(`Expected \`${name}\` to be ${what}, got \`${describe(value)}\``);
}

/** ``Unknown option `key` of Owner; did you mean `other`?`` (`didYouMean` from src/base/suggest.ts, or empty). */
export function unknownOptionError(key: string, owner: string, didYouMean = ''): CtpArgumentError {
  return new CtpArgumentError(`Unknown option \`${key}\` of ${owner}${didYouMean}`);
}
