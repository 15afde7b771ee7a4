/**
 * One-line descriptions of frames and peers for the `ctp:*` debug lines, so
 * that a person can follow one request from router to router: its type, node,
 * `id`/`re`, destination router, code, registrant and hops. Only called when
 * a debug namespace is enabled (callers guard with `debug.enabled`).
 */
import type { CtpMessage } from '../base/messages.js';
import { parseVirtualName } from '../base/names.js';

/** How many adverts a REPORTNODE description lists before it says "+n". */
const MAX_ADVERTS_SHOWN = 4;

/** The fields of `msg` that identify it, as `t node key=value …` (e.g. `COMMAND cam1 id=7 to=station app=pan by=controller[cam1]@console`). */
export function describeFrame(msg: CtpMessage): string {
  const parts: string[] = [msg.t];
  switch (msg.t) {
    case 'REPORTNODE': {
      parts.push(`from=${msg.from}`);
      const shown = msg.adverts
        .slice(0, MAX_ADVERTS_SHOWN)
        .map((a) => `${a.origin}:${a.seq}(${a.nodes.length})`);
      if (msg.adverts.length > MAX_ADVERTS_SHOWN)
        shown.push(`+${msg.adverts.length - MAX_ADVERTS_SHOWN}`);
      parts.push(`adverts=${shown.join(',')}`);
      break;
    }
    case 'UPDATENODE':
      parts.push(`from=${msg.from}`);
      break;
    case 'RESPONSE':
      parts.push(msg.node, `code=${msg.code}`);
      if (msg.re !== undefined) parts.push(`re=${msg.re}`);
      if (msg.reason !== undefined) parts.push(`reason=${msg.reason}`);
      parts.push(`for=${msg.controller}`);
      break;
    case 'EVENT':
      parts.push(msg.node, `for=${msg.monitor}`);
      break;
    case 'POST':
      parts.push(msg.node);
      if (msg.to !== undefined) parts.push(`to=${msg.to}`);
      break;
    default: {
      parts.push(msg.node, `id=${msg.id}`);
      if (msg.to !== undefined) parts.push(`to=${msg.to}`);
      if ('app' in msg) parts.push(`app=${msg.app}`);
      if (msg.t === 'REGISTER' && msg.refresh === true) parts.push('refresh');
      const by = msg.controller ?? ('monitor' in msg ? msg.monitor : undefined);
      if (by !== undefined) parts.push(`by=${by}`);
    }
  }
  if (msg.hops !== undefined) parts.push(`hops=${msg.hops}`);
  return parts.join(' ');
}

/** The router a request frame comes from: the `@id` of its registrant, or `?`. */
export function requesterOf(msg: CtpMessage): string {
  const by = 'controller' in msg ? msg.controller : 'monitor' in msg ? msg.monitor : undefined;
  return (by !== undefined ? parseVirtualName(by)?.routerId : undefined) ?? '?';
}

/** A peer for a debug line: the router id it is bound to, `*` for a broadcast, `?` when not bound yet. */
export function peerLabel(id: string | undefined, broadcast = false): string {
  return broadcast ? '*' : (id ?? '?');
}
