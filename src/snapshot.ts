/**
 * `snapshot()` and `stats()`: plain-data views of the router's state.
 */
import type { CtpHost } from './host/host.js';
import { virtualName, type CtpRegistrationType } from './base/names.js';
import type { CtpRegistrant } from './caller/registrant.js';
import type { CtpTable } from './link-state/table.js';

/** `stats()`: plain counters. */
export interface CtpStats {
  framesIn: number;
  framesOut: number;
  forwarded: number;
  dropped: Record<string, number>;
  pending: number;
}

/** One node in `snapshot()`. */
export interface CtpNodeSnapshot {
  /** `'local'`, or the router id of the neighbor that is the next hop. */
  owner: string;
  /** The router that hosts it. */
  origin: string;
  /** Its controller's virtual node, where known (local nodes, and nodes this router controls). */
  controller?: string;
  /** Its monitors' virtual nodes, where known. */
  monitors?: string[];
}

/** One other router in `snapshot()`: its stored advert, as this router sees it. */
export interface CtpRouterSnapshot {
  /** Its advert's sequence number. */
  seq: number;
  /** Is there a route to it (a path of two-way links)? */
  reachable: boolean;
  /** The neighbor that is the next hop toward it, while reachable. */
  nextHop?: string;
  /** How many names its advert indexes (`hosted.length`). */
  nodes: number;
  /**
   * The routers its advert lists as neighbors, sorted. A link is two-way when
   * both ends list each other (this router's own list is `CtpSnapshot.neighbors`).
   */
  neighbors: string[];
  /**
   * The names its advert indexes, sorted: its nodes and its own virtual nodes
   * (`controller[node]@origin`, `monitor[node]@origin` — its registrations).
   * Kept while it is unreachable, so a view can show what went away.
   */
  hosted: string[];
}

/** `snapshot()`: a plain-data copy of the table. */
export interface CtpSnapshot {
  id: string;
  seq: number;
  nodes: Record<string, CtpNodeSnapshot>;
  routers: Record<string, CtpRouterSnapshot>;
  neighbors: string[];
  registrations: { node: string; type: CtpRegistrationType; virtualNode: string; host: string }[];
}

// Node names are arbitrary strings (`__proto__` included): define, never assign.
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function takeSnapshot<P>(
  table: CtpTable<P>,
  host: CtpHost<P>,
  registrant: CtpRegistrant<P>,
): CtpSnapshot {
  const id = table.id;
  const nodes: Record<string, CtpNodeSnapshot> = {};
  for (const name of table.sortedNames()) {
    const origin = table.ownerOf(name) as string;
    const entry: CtpNodeSnapshot = {
      owner: origin === id ? 'local' : (table.firstHop(origin) as string),
      origin,
    };
    if (origin === id) {
      // A local node shows the host's records only: this router's own
      // registration of a same-named node elsewhere (a conflict) is another
      // node's (found by the simulator, seed 26); it is in `registrations`.
      const h = host.record(name);
      if (h?.controller !== undefined) entry.controller = h.controller;
      if (h !== undefined && h.monitors.length > 0) entry.monitors = [...h.monitors];
    } else {
      const c = registrant.get(virtualName('controller', name, id));
      if (c !== undefined) entry.controller = c.virtual;
      const m = registrant.get(virtualName('monitor', name, id));
      if (m !== undefined) entry.monitors = [m.virtual];
    }
    define(nodes, name, entry);
  }
  const routers: CtpSnapshot['routers'] = {};
  for (const ad of table.storedAdverts()) {
    const hop = table.firstHop(ad.origin);
    const r: CtpRouterSnapshot = {
      seq: ad.seq,
      reachable: hop !== undefined,
      nodes: ad.names.length,
      neighbors: [...ad.neighborSet].sort(),
      hosted: [...ad.names].sort(),
    };
    if (hop !== undefined) r.nextHop = hop;
    define(routers, ad.origin, r);
  }
  return {
    id,
    seq: table.seq,
    nodes,
    routers,
    neighbors: table.neighborIds(),
    registrations: registrant
      .list()
      .map((r) => ({ node: r.node, type: r.type, virtualNode: r.virtual, host: r.host })),
  };
}
