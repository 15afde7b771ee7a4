/**
 * After a table change, each part reacts through one call (router.ts
 * `update`, once per round of the loop that settles a change).
 */
import type { CtpHostApi } from './host-api.js';
import type { CtpFlooding } from './link-state/flooding.js';
import type { CtpHost } from './host/host.js';
import { ReturnCode } from './base/messages.js';
import type { CtpPendingMap } from './caller/pending.js';
import type { CtpRegistrant } from './caller/registrant.js';
import type { CtpReporter } from './wire/report.js';
import type { CtpTable, CtpTableDelta } from './link-state/table.js';

/** The parts that react to a table change. */
export interface CtpReactingParts<P> {
  readonly table: CtpTable<P>;
  readonly flooding: CtpFlooding<P>;
  readonly pending: CtpPendingMap;
  readonly registrant: CtpRegistrant<P>;
  readonly api: CtpHostApi<P>;
  readonly host: CtpHost<P>;
  readonly report: CtpReporter<P>;
}

/** Let every part act on what one commit of the table did. */
export function react<P>(parts: CtpReactingParts<P>, delta: CtpTableDelta): void {
  const { table, pending } = parts;
  parts.flooding.onDelta(delta);
  // A name's hosts can change without its reachability changing (a node
  // that moves, a conflict that ends): look again whenever anything moved.
  if (delta.touched > 0 || delta.gained.length > 0 || delta.lost.length > 0) {
    // PROTOCOL.md section 5: pending requests whose node is no longer
    // advertised by the router they were addressed to resolve at once.
    if (pending.size > 0) pending.failWhere((e) => !table.advertises(e.to, e.node), { code: ReturnCode.NODE_UNFOUND });
    parts.registrant.onTableChange();
    parts.api.onTableChange();
  }
  parts.host.onDelta(delta);
  for (const c of delta.conflicts) parts.report.emit('conflict', { kind: 'node', node: c.node, hosts: c.hosts });
  if (delta.added.length > 0 || delta.removed.length > 0) parts.api.onNodes(delta.added, delta.removed);
}
