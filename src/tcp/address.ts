/**
 * `host:port` addresses, as the transport's `connect` option and the CLI's
 * `--listen`/`--connect` flags take them. Pure predicates and parsing.
 */
import { isIP } from 'node:net';
import { isValidRouterId } from '../base/names.js';

/** A host and a port. */
export interface TcpAddress {
  host: string;
  port: number;
}

// A DNS name or an IPv4 address: letters, digits, dots, hyphens.
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/**
 * Parse `host:port` (`[::1]:7000` for IPv6). Returns `undefined` when the
 * text is not an address; `allowZero` accepts port 0 (listen on any free port). @example
 * {@includeCode ../../docs/api-examples/tcp-helpers.ts#parseAddress}
 */
export function parseAddress(text: unknown, allowZero = false): TcpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']:');
    if (end < 0) return undefined;
    host = text.slice(1, end);
    portText = text.slice(end + 2);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (!HOSTNAME_RE.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowZero)) return undefined;
  return { host, port };
}

/** Format an address as `host:port` (`[::1]:7000` for IPv6). @example
 * {@includeCode ../../docs/api-examples/tcp-helpers.ts#formatAddress} */
export function formatAddress(a: TcpAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** A dial target: an address, and the router id expected there when the target names one. */
export interface TcpTarget {
  address: TcpAddress;
  /** From `'id@host:port'`: with TLS the server's certificate CN must be this id, and without it its hello must name it. */
  id: string | undefined;
}

/** Parse `[id@]host:port`; `undefined` when the text is not one. @example
 * {@includeCode ../../docs/api-examples/tcp-helpers.ts#parseTarget} */
export function parseTarget(text: unknown): TcpTarget | undefined {
  if (typeof text !== 'string') return undefined;
  const at = text.indexOf('@');
  const id = at < 0 ? undefined : text.slice(0, at);
  if (id !== undefined && !isValidRouterId(id)) return undefined;
  const address = parseAddress(at < 0 ? text : text.slice(at + 1));
  return address === undefined ? undefined : { address, id };
}
