/**
 * Which `Host` headers the page of `ctp-router ui` answers (no DNS rebinding):
 * loopback names always, the address it is bound to, the local interface
 * addresses when bound to a wildcard (`0.0.0.0`, `::`), and the names given
 * with `--http-allow-host`. A page elsewhere reaching the port under a name of
 * its own (a rebinding attack) sends that name as `Host` and is refused.
 */
import { networkInterfaces } from 'node:os';

/** Is `host` a loopback name or address? */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host);
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === '::ffff:127.0.0.1'
  );
}

/** `[v6]` → `v6`, lower case. */
function bare(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.toLowerCase();
}

/** Is `host` the wildcard address (every interface)? */
export function isWildcardHost(host: string): boolean {
  const h = bare(host);
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), bare and lower case. */
export function hostOf(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return bare(end < 0 ? header : header.slice(0, end + 1));
  }
  const colon = header.lastIndexOf(':');
  return bare(colon < 0 ? header : header.slice(0, colon));
}

/**
 * The check of `Host` headers for a server bound to `bound`: loopback names,
 * `bound` itself (every local interface address when it is a wildcard), and `allow`.
 */
export function hostCheck(
  bound: string,
  allow: readonly string[] = [],
): (header: string) => boolean {
  const names = new Set(allow.map(bare));
  if (isWildcardHost(bound)) {
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) names.add(bare(a.address));
  } else names.add(bare(bound));
  return (header) => {
    const h = hostOf(header);
    return h !== '' && (isLoopbackHost(h) || names.has(h));
  };
}
