/**
 * The transport's optional hello line (PROTOCOL.md section 6 says nothing of it):
 * a valid UPDATENODE with two extra fields, so a plain section-6 peer that
 * reads it just answers with its table. Only the first line of a connection
 * can be a hello, and the transport strips it before the router would see it.
 *
 * And its farewell, the bye line: a REPORTNODE without adverts naming why the
 * sender is about to close a link it refused (`duplicate`), so the dialler
 * learns why instead of seeing a bare close. A plain peer that reads it
 * binds the link to `from`, as the hello did, and stores nothing.
 */
import { isValidRouterId } from '../base/names.js';

const HELLO_MARK = 'ctp-tcp/1';
const HELLO_NEEDLE = Buffer.from(`"hello":"${HELLO_MARK}"`);
const MAX_HELLO_BYTES = 512;
/** How a bye line ends (its empty `adverts`, written last): the cheap test every inbound line of a dialled link takes. */
const BYE_TAIL = Buffer.from('"adverts":[]}');
const MAX_REASON_LENGTH = 64;

/** A parsed hello: the sender's router id and its transport instance. */
export interface TcpHello {
  id: string;
  instance: string | undefined;
}

/**
 * The hello line of router `id`. `instance` is random per transport: a new one
 * on a known router id means that router restarted.
 */
export function helloFrame(id: string, instance: string): string {
  return JSON.stringify({ v: 1, t: 'UPDATENODE', from: id, hello: HELLO_MARK, instance });
}

/** The hello in `line`, or `undefined` when the line is not one. */
export function parseHello(line: Buffer): TcpHello | undefined {
  if (line.length > MAX_HELLO_BYTES || line.indexOf(HELLO_NEEDLE) < 0) return undefined;
  try {
    const o = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    if (o !== null && o.t === 'UPDATENODE' && o.hello === HELLO_MARK && isValidRouterId(o.from))
      return { id: o.from, instance: typeof o.instance === 'string' ? o.instance : undefined };
  } catch {
    // Not JSON: not a hello; the router reports it.
  }
  return undefined;
}

/** The bye line router `id` writes before closing a link it refused for `reason` (`adverts` last: see `parseBye`). */
export function byeFrame(id: string, reason: string): string {
  return JSON.stringify({ v: 1, t: 'REPORTNODE', bye: reason, from: id, adverts: [] });
}

/**
 * The reason a bye line names, or `undefined` when `line` is not one. Cheap
 * for other lines: only a short line ending with `"adverts":[]}` is parsed.
 */
export function parseBye(line: Buffer): string | undefined {
  const n = line.length;
  if (
    n > MAX_HELLO_BYTES ||
    n < BYE_TAIL.length ||
    line[n - 1] !== 0x7d ||
    line[n - 2] !== 0x5d ||
    line.indexOf(BYE_TAIL, n - BYE_TAIL.length) < 0
  )
    return undefined;
  try {
    const o = JSON.parse(line.toString('utf8')) as Record<string, unknown> | null;
    const bye = o?.bye;
    if (
      o !== null &&
      o.t === 'REPORTNODE' &&
      typeof bye === 'string' &&
      bye.length > 0 &&
      bye.length <= MAX_REASON_LENGTH &&
      Array.isArray(o.adverts) &&
      o.adverts.length === 0
    )
      return bye;
  } catch {
    // Not JSON: not a bye; the router reports it.
  }
  return undefined;
}
