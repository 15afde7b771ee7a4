/**
 * Failed dial attempts and refused connections, one line each: nothing
 * silent, nothing flooding. A repeat of the last line about the same target
 * (or remote address) with the same cause, within `REPEAT_QUIET_MS` of the
 * last one printed, is counted instead of printed; the next line printed
 * says how many were held back. The first is always printed.
 */
import type { TcpTransport } from '../tcp/transport.js';
import type { CliOutput } from './output.js';

/** Identical lines closer than this to the last one printed (same target, same cause) are counted instead. */
export const REPEAT_QUIET_MS = 3000;
/** Targets and addresses remembered at most (a flood from many addresses must not grow memory). */
const MAX_KEYS = 1024;

type CodedError = Error & { code?: unknown; reason?: unknown };

/**
 * An error on one line: `CODE (message)`, the code alone when the message is
 * OpenSSL's (several lines of library internals), the message alone without
 * a code.
 */
export function errorText(err: Error): string {
  const code = (err as CodedError).code;
  const message = (err.message.split('\n')[0] as string).trim();
  if (typeof code !== 'string') return message;
  return /:error:[0-9A-Fa-f]+:/.test(err.message) || message === '' ? code : `${code} (${message})`;
}

/** One line for a failed dial attempt of router `self` to `target`. */
export function dialLine(target: string, err: Error, self: string): string {
  const e = err as CodedError;
  if (e.code === 'ERR_CTP_LINK_REFUSED') {
    if (e.reason === 'duplicate')
      return `refused by ${target}: duplicate router id ${self} (a router with this id is linked there already; retrying with backoff)`;
    return `refused by ${target}: ${String(e.reason)} (${e.message})`;
  }
  return `dial ${target} failed: ${errorText(err)}`;
}

/** A failed dial's cause in a few words: a system or TLS code, else the message (the transport's own `ERR_CTP_*` codes say less than their messages). */
export function dialCause(err: Error): string {
  const { code, reason } = err as CodedError;
  if (code === 'ERR_CTP_LINK_REFUSED')
    return `refused (${reason === 'duplicate' ? 'duplicate router id' : String(reason)})`;
  return typeof code === 'string' && !code.startsWith('ERR_CTP_') ? code : err.message;
}

/** Decides which lines of a repeating run are printed. */
export class RepeatFilter {
  private readonly last = new Map<string, { cause: string; at: number; held: number }>();

  constructor(
    private readonly quietMs = REPEAT_QUIET_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A line about `key` with `cause` is due: returns how many identical lines
   * were held back since the last one printed (print this one, and say so),
   * or `undefined` to hold this one back.
   */
  admit(key: string, cause: string): number | undefined {
    const now = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && prev.cause === cause && now - prev.at < this.quietMs) {
      prev.held++;
      return undefined;
    }
    const held = prev !== undefined && prev.cause === cause ? prev.held : 0;
    // Re-inserted: the map's order is the order of use, oldest first.
    this.last.delete(key);
    if (this.last.size >= MAX_KEYS) this.last.delete(this.last.keys().next().value as string);
    this.last.set(key, { cause, at: now, held: 0 });
    return held;
  }
}

/** ` [n more like it not shown]`, or nothing. */
function heldBack(n: number): string {
  return n > 0 ? ` [${n} more like it not shown]` : '';
}

/** Print every failed dial attempt of `transport` on stderr (router `self` dials), repeats summarised. */
export function printDialErrors(transport: TcpTransport, out: CliOutput, self: string): void {
  const filter = new RepeatFilter();
  transport.on('dialError', (target, err) => {
    const held = filter.admit(target, `${String((err as CodedError).code)} ${err.message}`);
    if (held !== undefined) out.warn(`${dialLine(target, err, self)}${heldBack(held)}`);
  });
}

/** Print every inbound connection `transport` refused (TLS, server full) as a `refused` record, repeats from one address summarised. */
export function printRefused(transport: TcpTransport, out: CliOutput): void {
  const filter = new RepeatFilter();
  transport.on('refused', (remote, reason, err) => {
    const colon = remote.lastIndexOf(':');
    const held = filter.admit(
      colon < 0 ? remote : remote.slice(0, colon),
      `${reason} ${err.message}`,
    );
    if (held === undefined) return;
    const code = (err as CodedError).code;
    out.line('refused', `refused ${remote}: ${reason} (${errorText(err)})${heldBack(held)}`, {
      remote,
      reason,
      ...(typeof code === 'string' ? { code } : {}),
      message: err.message,
      ...(held > 0 ? { notShown: held } : {}),
    });
  });
}
