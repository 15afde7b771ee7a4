/**
 * The live feed of `ctp-router ui`: what changed between two views (table,
 * routers, links, registrations) as one line each. Pure.
 */
import type { CtpNetworkView } from './model.js';

/** What a feed entry is about. */
export type CtpFeedKind =
  'table' | 'router' | 'link' | 'register' | 'release' | 'drop' | 'conflict';

/** One line of the live feed. */
export interface CtpFeedEntry {
  /** When it was seen (ms since the epoch). */
  at: number;
  kind: CtpFeedKind;
  text: string;
}

function added<T>(before: ReadonlySet<T>, after: ReadonlySet<T>): T[] {
  return [...after].filter((x) => !before.has(x));
}

function registrants(v: CtpNetworkView): Map<string, string> {
  // key → text; a registration is (type, node, router).
  const m = new Map<string, string>();
  for (const n of v.nodes) {
    if (n.controller !== null)
      m.set(
        `controller\u0000${n.node}\u0000${n.controller}`,
        `${n.controller} controller of ${n.node}`,
      );
    for (const r of n.monitors)
      m.set(`monitor\u0000${n.node}\u0000${r}`, `${r} monitor of ${n.node}`);
  }
  return m;
}

/** The feed entries that lead from `before` to `after` (none when `before` is undefined: the first view is no change). */
export function diffViews(
  before: CtpNetworkView | undefined,
  after: CtpNetworkView,
  at: number,
): CtpFeedEntry[] {
  if (before === undefined) return [];
  const out: CtpFeedEntry[] = [];
  const push = (kind: CtpFeedKind, text: string): number => out.push({ at, kind, text });

  const routersBefore = new Set(before.routers.map((r) => r.id));
  const routersAfter = new Set(after.routers.map((r) => r.id));
  for (const id of added(routersBefore, routersAfter)) push('router', `router ${id} reachable`);
  const gone = new Set(after.unreachable.map((r) => r.id));
  for (const id of added(routersAfter, routersBefore))
    push('router', `router ${id} ${gone.has(id) ? 'unreachable' : 'gone'}`);

  const linkKey = (l: { a: string; b: string; twoWay: boolean }): string =>
    `${l.a} — ${l.b}${l.twoWay ? '' : ' (one-way)'}`;
  const linksBefore = new Set(before.links.map(linkKey));
  const linksAfter = new Set(after.links.map(linkKey));
  for (const l of added(linksBefore, linksAfter)) push('link', `link up ${l}`);
  for (const l of added(linksAfter, linksBefore)) push('link', `link down ${l}`);

  const hostOf = (v: CtpNetworkView): Map<string, string> =>
    new Map(v.nodes.map((n) => [n.node, n.host]));
  const nodesBefore = hostOf(before);
  const nodesAfter = hostOf(after);
  for (const [node, host] of nodesAfter) {
    const was = nodesBefore.get(node);
    if (was === undefined) push('table', `node +${node} at ${host}`);
    else if (was !== host) push('table', `node ${node} moved ${was} → ${host}`);
  }
  for (const [node, host] of nodesBefore)
    if (!nodesAfter.has(node)) push('table', `node -${node} (was at ${host})`);

  const regBefore = registrants(before);
  const regAfter = registrants(after);
  for (const [key, text] of regAfter)
    if (!regBefore.has(key)) push('register', `registered ${text}`);
  for (const [key, text] of regBefore) if (!regAfter.has(key)) push('release', `released ${text}`);
  return out;
}
