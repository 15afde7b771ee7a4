/**
 * The transport's optional hello line (PROTOCOL.md section 6 says nothing of it):
 * a valid UPDATENODE with two extra fields, so a plain section-6 peer that
 * reads it just answers with its table. Only the first line of a connection
 * can be a hello, and the transport strips it before the router would see it.
 */
import { isValidRouterId } from '../names.js';

const HELLO_MARK = 'ctp-tcp/1';
const HELLO_NEEDLE = Buffer.from(`"hello":"${HELLO_MARK}"`);
const MAX_HELLO_BYTES = 512;

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
