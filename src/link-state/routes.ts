/**
 * Pure algorithms of the link-state table (PROTOCOL.md section 7): two-way
 * breadth-first routes, list diffs and the sorted name list. No state.
 */
import { virtualParts } from '../base/names.js';

/** The first index of sorted `a` whose entry is not below `x` (UTF-16 code unit order, as `sort()`). */
export function lowerBound(a: readonly string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as string) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** PROTOCOL.md section 7: a virtual node whose @routerId is not its origin is ignored. */
export function isForeignVirtual(n: string, origin: string): boolean {
  const v =
    n.charCodeAt(n.length - 1) !== 93 /* ] */ && n.includes(']@') ? virtualParts(n) : undefined;
  return v !== undefined && v.routerId !== origin;
}

/**
 * Where two lists differ: `[head, aEnd, bEnd]` such that `a[0..head)` equals
 * `b[0..head)` and `a[aEnd..)` equals `b[bEnd..)`, both as long as possible.
 */
export function middle(a: readonly string[], b: readonly string[]): [number, number, number] {
  let head = 0;
  const min = Math.min(a.length, b.length);
  while (head < min && a[head] === b[head]) head++;
  let aEnd = a.length;
  let bEnd = b.length;
  while (aEnd > head && bEnd > head && a[aEnd - 1] === b[bEnd - 1]) {
    aEnd--;
    bEnd--;
  }
  return [head, aEnd, bEnd];
}

export function sameSet(a: readonly string[], b: ReadonlySet<string>): boolean {
  const s = new Set(a);
  if (s.size !== b.size) return false;
  for (const x of s) if (!b.has(x)) return false;
  return true;
}

/**
 * Keep sorted `s` in step with a small change (binary search and one splice
 * per name, no re-sort of a large table); false after a large one, when the
 * caller should drop the list and sort again when asked.
 */
export function updateSorted(
  s: string[],
  added: readonly string[],
  removed: readonly string[],
): boolean {
  if (added.length + removed.length > 64) return false;
  for (const n of removed) {
    const i = lowerBound(s, n);
    if (s[i] === n) s.splice(i, 1);
  }
  for (const n of added) {
    const i = lowerBound(s, n);
    if (s[i] !== n) s.splice(i, 0, n);
  }
  return true;
}

/** What the route search needs of a stored advert. */
interface Linked {
  neighbors: readonly string[];
  neighborSet: ReadonlySet<string>;
}

/**
 * Breadth-first search from router `id` over two-way links only (each side
 * lists the other): every reachable origin → the neighbor that is the first
 * hop toward it, in breadth-first order (nearest first).
 *
 * `attached`: pseudo-nodes of the broadcast media `id` is a member of
 * (src/link-state/media.ts). Through one of them, the first hop toward a member is the
 * member itself, when it is a bound neighbor (`bound`); a member not heard
 * directly is not reached through it.
 */
export function twoWayRoutes(
  id: string,
  neighbors: Iterable<string>,
  adverts: ReadonlyMap<string, Linked>,
  attached?: ReadonlySet<string>,
  bound?: ReadonlyMap<string, unknown>,
): Map<string, string> {
  const routes = new Map<string, string>();
  const queue: string[] = [];
  for (const nb of neighbors) {
    if (adverts.get(nb)?.neighborSet.has(id)) {
      routes.set(nb, nb);
      queue.push(nb);
    }
  }
  for (const q of attached ?? []) {
    if (!routes.has(q) && adverts.get(q)?.neighborSet.has(id)) {
      routes.set(q, q);
      queue.push(q);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const o = queue[i] as string;
    const ad = adverts.get(o) as Linked;
    const direct = attached !== undefined && attached.has(o) && routes.get(o) === o;
    const hop = routes.get(o) as string;
    for (const nb of ad.neighbors) {
      if (nb === id || routes.has(nb)) continue;
      if (direct && bound?.has(nb) !== true) continue;
      // PROTOCOL.md section 7: only two-way links count.
      if (adverts.get(nb)?.neighborSet.has(o)) {
        routes.set(nb, direct ? nb : hop);
        queue.push(nb);
      }
    }
  }
  return routes;
}

/**
 * Would `twoWayRoutes` give exactly the same routes, in the same order, if
 * origin `x`'s advert listed `after` instead of `before` (`undefined`: no
 * advert), everything else as it is? The search reads `x`'s list only through
 * the neighbors that list `x` back (in their order), and through `self` when
 * `x` is one of the first hops it starts from (`root`: a bound neighbor or an
 * attached pseudo-node). So most adverts a bus member hears (a pseudo-node
 * listing a member whose own advert has not come yet, and the other way
 * round) need no search over the whole table.
 */
export function routesUnchanged(
  x: string,
  before: readonly string[] | undefined,
  after: readonly string[] | undefined,
  self: string,
  adverts: ReadonlyMap<string, Linked>,
  root: boolean,
): boolean {
  const b = before ?? [];
  const a = after ?? [];
  if (root && b.includes(self) !== a.includes(self)) return false;
  const twoWay = (y: string): boolean =>
    y !== self && y !== x && adverts.get(y)?.neighborSet.has(x) === true;
  // Walk both lists side by side: an entry in both at the same place counts or not alike, so only
  // where they differ is it looked up (a pseudo-node gaining one member: one lookup, not N).
  let i = 0;
  let j = 0;
  for (;;) {
    if (i < b.length && j < a.length && b[i] === a[j]) {
      i++;
      j++;
    } else if (i < b.length && !twoWay(b[i] as string)) i++;
    else if (j < a.length && !twoWay(a[j] as string)) j++;
    else return i === b.length && j === a.length;
  }
}

/**
 * The earliest `unreachableSince` of the stored adverts (when the next one
 * becomes stale), kept as values come and go: a scan only after the earliest
 * one went. Scanning every advert at each settled update cost a bus member
 * O(N) per frame.
 */
export class EarliestUnreachable {
  private min: number | undefined;
  private exact = true;

  /** An advert's `unreachableSince` went from `before` to `after` (`undefined`: reachable, or no advert). */
  replaced(before: number | undefined, after: number | undefined): void {
    if (before === after) return;
    if (before !== undefined && before === this.min) this.exact = false;
    if (after !== undefined && this.exact && (this.min === undefined || after < this.min))
      this.min = after;
  }

  /** The earliest of `adverts` (every stored one). */
  of(adverts: Iterable<{ unreachableSince: number | undefined }>): number | undefined {
    if (!this.exact) {
      this.min = undefined;
      for (const ad of adverts) {
        const u = ad.unreachableSince;
        if (u !== undefined && (this.min === undefined || u < this.min)) this.min = u;
      }
      this.exact = true;
    }
    return this.min;
  }
}

/**
 * The routes `twoWayRoutes` would give after a batch of changes that only
 * adds to what is reached, as the entries to append (`[origin, first hop]`,
 * breadth-first), or `undefined` when the batch may do more and a full search
 * is needed. `changes`: each origin whose advert changed in a way
 * `routesUnchanged` could not rule out, with its list before the batch;
 * `boundNow`: ids whose first peer came or whose last went. The routes before
 * were exact, so a two-way edge between a reached router and one not reached
 * is new (it touches a changed origin). When each part of the routers not
 * reached that the changes touch has at most one such edge (`r`–`w`), and
 * none is a new root, what hangs off each `w` is reached, all through `r`'s
 * first hop (or `w` itself, off an attached pseudo-node), and nothing reached
 * before moves: its paths only gained dead ends. A join on a bus is that case at every member (the
 * newcomer's advert, its binding, the pseudo-node listing it): one lookup,
 * not a search over the whole table.
 */
export function extendRoutes(
  self: string,
  routes: ReadonlyMap<string, string>,
  adverts: ReadonlyMap<string, Linked>,
  attached: ReadonlySet<string> | undefined,
  bound: ReadonlyMap<string, unknown>,
  batch: {
    changes: ReadonlyMap<string, readonly string[] | undefined>;
    boundNow: ReadonlySet<string>;
  },
): [string, string][] | undefined {
  const { changes, boundNow } = batch;
  const direct = (r: string): boolean => attached?.has(r) === true && routes.get(r) === r;
  const listed = (x: string, y: string): boolean => adverts.get(x)?.neighborSet.has(y) === true;
  const seeds: string[] = [];
  for (const [c, before] of changes) {
    if (!routes.has(c)) {
      seeds.push(c);
      continue;
    }
    const after = adverts.get(c)?.neighbors;
    if (after === undefined) return undefined;
    const [head, bEnd, aEnd] = middle(before ?? [], after);
    const was = new Set((before ?? []).slice(head, bEnd));
    // An entry gone that may have been a two-way edge (both ends can drop it in one batch).
    for (const r of was) if (!listed(c, r) && (r === self || routes.has(r))) return undefined;
    for (const w of after.slice(head, aEnd)) {
      if (was.has(w)) continue;
      if (w === self) {
        if (bound.has(c) || attached?.has(c) === true) return undefined;
      } else if (routes.has(w)) {
        if (listed(w, c)) return undefined;
      } else seeds.push(w);
    }
  }
  for (const c of boundNow) {
    if (routes.has(c)) return undefined;
    seeds.push(c);
  }
  // The routers not reached that the changes touch, and what hangs off them: each such part's
  // edges to the reached (one each at most: through two, it could be a shortcut).
  const seen = new Set<string>();
  const edges: [string, string][] = [];
  for (const s of seeds) {
    if (seen.has(s) || s === self || routes.has(s)) continue;
    seen.add(s);
    const queue = [s];
    let edge: [string, string] | undefined;
    for (let i = 0; i < queue.length; i++) {
      const x = queue[i] as string;
      for (const nb of adverts.get(x)?.neighbors ?? []) {
        if (nb === self) {
          // A new root (a bound neighbor or an attached pseudo-node): it comes first in the search.
          if (bound.has(x) || attached?.has(x) === true) return undefined;
        } else if (routes.has(nb)) {
          if (listed(nb, x) && (!direct(nb) || bound.has(x))) {
            if (edge !== undefined || attached?.has(x) === true) return undefined;
            edge = [nb, x];
          }
        } else if (!seen.has(nb) && listed(nb, x)) {
          seen.add(nb);
          queue.push(nb);
        }
      }
    }
    if (edge !== undefined) edges.push(edge);
  }
  const out: [string, string][] = [];
  const reached = new Set<string>();
  for (const [r, w] of edges) {
    const hop = direct(r) ? w : (routes.get(r) as string);
    let i = out.length;
    out.push([w, hop]);
    reached.add(w);
    for (; i < out.length; i++) {
      const x = (out[i] as [string, string])[0];
      for (const nb of adverts.get(x)?.neighbors ?? [])
        if (nb !== self && !routes.has(nb) && !reached.has(nb) && listed(nb, x)) {
          reached.add(nb);
          out.push([nb, hop]);
        }
    }
  }
  return out;
}
