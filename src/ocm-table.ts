/**
 * The OCM table (the seed's `OCMNetworkTable`): one object that answers, for
 * every node this router knows, its **o**wner (the next hop toward its host,
 * or `'local'`), its **c**ontroller and its **m**onitors. Owners come from
 * the link-state table; a local node's controller and monitors from the host
 * role; a remote node's from this router's own registrations (the caller
 * role), the only ones it can know.
 */
import { virtualName } from './base/names.js';
import type { CtpRegistrant } from './caller/registrant.js';
import type { CtpHost } from './host/host.js';
import type { CtpTable } from './link-state/table.js';
import { takeSnapshot, type CtpSnapshot } from './snapshot.js';

export class CtpOcmTable<P> {
  constructor(
    private readonly links: CtpTable<P>,
    private readonly host: CtpHost<P>,
    private readonly registrant: CtpRegistrant<P>,
  ) {}

  /** `'local'`, the peer toward the node's host, or `undefined` when the node is unknown. */
  owner(node: string): 'local' | P | undefined {
    const origin = this.links.ownerOf(node);
    if (origin === undefined) return undefined;
    return origin === this.links.id ? 'local' : this.links.peerToward(origin);
  }

  /** The controller's virtual node, where this router knows it. */
  controller(node: string): string | undefined {
    if (this.links.hasLocal(node)) return this.host.record(node)?.controller;
    return this.registrant.get(virtualName('controller', node, this.links.id))?.virtual;
  }

  /** The monitors' virtual nodes, as far as this router knows them. */
  monitors(node: string): readonly string[] {
    if (this.links.hasLocal(node)) return this.host.record(node)?.monitors ?? [];
    const own = this.registrant.get(virtualName('monitor', node, this.links.id));
    return own === undefined ? [] : [own.virtual];
  }

  /** A plain-data copy of the whole table (`router.snapshot()`). */
  snapshot(): CtpSnapshot {
    return takeSnapshot(this.links, this.host, this.registrant);
  }
}
