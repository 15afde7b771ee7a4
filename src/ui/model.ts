/**
 * The network as one router sees it, in the shape a picture needs: routers,
 * their two-way links, each router's hosted nodes, and per node its
 * controller and monitors. Pure: built from `snapshot()` alone (the public
 * surface), shared by `ctp-router ui` and `ctp-router nodes --dot`.
 *
 * Registrants: an observer knows the controller and monitors of its own
 * nodes (and its own registrations) directly, but of nodes hosted elsewhere
 * only through the virtual nodes every registrant advertises:
 * `controller[cam1]@c` in the table means router `c` controls `cam1`. Those
 * are read back here, so the view shows who controls what across the network.
 */
import { parseVirtualName } from '../base/names.js';
import type { CtpSnapshot } from '../snapshot.js';

/** One router in the view. */
export interface CtpViewRouter {
  id: string;
  /** The observing router itself. */
  self: boolean;
  /** Is there a route to it? (Always true for `self`.) */
  reachable: boolean;
  /** The plain nodes it hosts (its advert's names without virtual nodes), sorted. */
  nodes: string[];
  /** A broadcast medium's pseudo-node (`bus:<medium>:<dr>`, src/link-state/media.ts): a bus, not a router. */
  bus?: true;
}

/** A link between two routers, `a < b`. */
export interface CtpViewLink {
  a: string;
  b: string;
  /** Both ends advertise each other (only two-way links carry traffic). */
  twoWay: boolean;
}

/** One reachable node: a row of the node table. */
export interface CtpViewNode {
  node: string;
  /** The router hosting it. */
  host: string;
  /** The neighbor that is the next hop toward it (`'local'` for the observer's own nodes). */
  via: string;
  /** The router id of its controller, or `null`. */
  controller: string | null;
  /** The router ids of its monitors, sorted. */
  monitors: string[];
}

/** The whole view. */
export interface CtpNetworkView {
  /** The observing router's id. */
  self: string;
  /** Reachable routers (the observer first, then by id). */
  routers: CtpViewRouter[];
  /** Links between reachable routers, sorted by `a`, then `b`. */
  links: CtpViewLink[];
  /** Reachable nodes, sorted by name. */
  nodes: CtpViewNode[];
  /** Routers whose adverts are stored but that have no route: shown apart, with the nodes they last advertised. */
  unreachable: CtpViewRouter[];
}

const byString = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

function plainNames(names: readonly string[]): string[] {
  return names.filter((n) => parseVirtualName(n) === undefined).sort(byString);
}

/** Build the view from a snapshot. */
export function networkView(snap: CtpSnapshot): CtpNetworkView {
  const selfNodes = Object.keys(snap.nodes).filter((n) => snap.nodes[n]?.owner === 'local');
  const routers: CtpViewRouter[] = [
    { id: snap.id, self: true, reachable: true, nodes: plainNames(selfNodes) },
  ];
  const unreachable: CtpViewRouter[] = [];
  const adjacency = new Map<string, Set<string>>([[snap.id, new Set(snap.neighbors)]]);
  for (const id of Object.keys(snap.routers).sort(byString)) {
    const r = snap.routers[id];
    if (r === undefined || id === snap.id) continue;
    const view: CtpViewRouter = {
      id,
      self: false,
      reachable: r.reachable,
      nodes: plainNames(r.hosted),
    };
    if (id.startsWith('bus:')) view.bus = true;
    if (r.reachable) {
      routers.push(view);
      adjacency.set(id, new Set(r.neighbors));
    } else unreachable.push(view);
  }
  return { self: snap.id, routers, links: linksOf(adjacency), nodes: nodeRows(snap), unreachable };
}

/** Every advertised link between two known reachable routers, once. */
function linksOf(adjacency: ReadonlyMap<string, ReadonlySet<string>>): CtpViewLink[] {
  const links = new Map<string, CtpViewLink>();
  for (const [from, list] of adjacency) {
    for (const to of list) {
      if (to === from || !adjacency.has(to)) continue;
      const [a, b] = from < to ? [from, to] : [to, from];
      const key = `${a}\u0000${b}`;
      if (links.has(key)) continue;
      links.set(key, { a, b, twoWay: adjacency.get(to)?.has(from) === true });
    }
  }
  return [...links.values()].sort((x, y) => byString(x.a, y.a) || byString(x.b, y.b));
}

/** The node table: plain nodes, with registrants from virtual nodes and the observer's own records. */
function nodeRows(snap: CtpSnapshot): CtpViewNode[] {
  const rows = new Map<string, CtpViewNode>();
  const registrants: string[] = [];
  for (const name of Object.keys(snap.nodes).sort(byString)) {
    const entry = snap.nodes[name];
    if (entry === undefined) continue;
    if (parseVirtualName(name) !== undefined) {
      registrants.push(name);
      continue;
    }
    rows.set(name, {
      node: name,
      host: entry.origin,
      via: entry.owner,
      controller: null,
      monitors: [],
    });
    if (entry.controller !== undefined) registrants.push(entry.controller);
    registrants.push(...(entry.monitors ?? []));
  }
  for (const r of snap.registrations) registrants.push(r.virtualNode);
  for (const name of registrants) {
    const v = parseVirtualName(name);
    const row = v === undefined ? undefined : rows.get(v.node);
    if (v === undefined || row === undefined) continue;
    if (v.type === 'controller') row.controller ??= v.routerId;
    else if (!row.monitors.includes(v.routerId)) row.monitors.push(v.routerId);
  }
  for (const row of rows.values()) row.monitors.sort(byString);
  return [...rows.values()];
}
