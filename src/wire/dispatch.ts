/**
 * Inbound dispatch: a decoded, admitted frame goes to the part that handles
 * its type — adverts and table requests to flooding, host-bound and
 * registrant-bound frames to routing.
 */
import createDebug from 'debug';
import type { CtpAdmission } from './admission.js';
import { CtpInternalError } from '../base/errors.js';
import type { CtpFlooding } from '../link-state/flooding.js';
import type { CtpMessage } from '../base/messages.js';
import type { CtpNeighbors } from '../link-state/neighbors.js';
import type { CtpOutbound, CtpReport } from './outbound.js';
import type { CtpRouting } from '../link-state/routing.js';
import type { CtpTable } from '../link-state/table.js';
import { describeFrame } from './trace.js';

const debug = createDebug('ctp:router');

/** The parts an inbound frame can go to. */
export interface CtpInboundParts<P> {
  readonly id: string;
  readonly table: CtpTable<P>;
  readonly neighbors: CtpNeighbors<P>;
  readonly flooding: CtpFlooding<P>;
  readonly routing: CtpRouting<P>;
  readonly report: CtpReport<P>;
  /** Settle the consequences of table changes (router.ts `update`). */
  update(): void;
}

/**
 * `router.receive` on an open router: admit one frame from `peer`, then
 * dispatch it. An internal fault is reported as `error`, never thrown. No
 * closure per frame (the hot path, BENCHMARKS.md).
 */
export function receiveFrame<P>(parts: CtpInboundParts<P> & { readonly out: CtpOutbound<P> }, admission: CtpAdmission<P>, peer: P, frame: string | Uint8Array): void {
  try {
    parts.out.counters.framesIn++;
    const msg = admission.admit(peer, frame);
    if (msg !== undefined) dispatch(parts, peer, msg, admission.text, admission.checked);
  } catch (err) {
    parts.report.error(new CtpInternalError('receive', err));
  }
}

/** Hand `msg` (as `text` arrived from `peer`) to its part; `checked`: as the default codec checked it (admission.ts). */
export function dispatch<P>(parts: CtpInboundParts<P>, peer: P, msg: CtpMessage, text: string, checked = false): void {
  if (debug.enabled) debug('%s <- %s peer=%s', parts.id, describeFrame(msg), parts.table.boundId(peer) ?? '?');
  switch (msg.t) {
    case 'REPORTNODE':
      if (parts.neighbors.bindFrom(peer, msg.from, msg.t)) parts.flooding.onAdverts(peer, msg.adverts);
      return;
    case 'UPDATENODE':
      if (!parts.neighbors.bindFrom(peer, msg.from, msg.t)) return;
      parts.update();
      parts.flooding.sendTable(peer);
      return;
    case 'REGISTER':
    case 'UNREGISTER':
    case 'START':
    case 'STOP':
    case 'COMMAND':
    case 'POST':
      return parts.routing.hostBound(msg, peer, text);
    case 'RESPONSE':
    case 'EVENT':
      return void parts.routing.registrantBound(msg, peer, text, checked);
    default:
      return parts.report.drop(peer, 'unknown-type');
  }
}
