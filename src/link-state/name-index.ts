/**
 * The name half of the link-state table (PROTOCOL.md section 7): the own
 * nodes, the index of the names in other routers' stored adverts, which
 * reachable router hosts or owns a name under the current routes, and the
 * names the current batch touched. CtpTable (table.ts) extends it with the
 * neighbors, the stored adverts and the routes over them, and settles the
 * touched names into its delta. Pure data, as the table is.
 */
import type { CtpAdvert } from '../base/messages.js';
import { isForeignVirtual, middle } from './routes.js';

type IndexEntry = string | string[];

/**
 * The own nodes and the name index of a `CtpTable`, its only subclass: the
 * table computes `routes` and settles `before` into its delta at each commit.
 */
export abstract class CtpNameIndex {
  readonly id: string;
  protected readonly local = new Set<string>();
  /** Reachable origins (not self) → the neighbor id that is the first hop, in breadth-first order. */
  protected routes = new Map<string, string>();
  /** name → the origins (other than self) whose stored advert lists it. */
  private readonly index = new Map<string, IndexEntry>();
  ownDirty = false; // the own lists changed since the last origination (flooding.ts paces it)
  /** Names touched by the current batch → whether they were reachable before it. */
  protected before = new Map<string, boolean>();
  protected readonly conflictKeys = new Map<string, string>();
  protected sortedCache: string[] | undefined;
  /**
   * The operator's hosting rules (`policy` rules with role `host`,
   * src/auth/policy.ts): a name of another router's advert they refuse to
   * its origin is not indexed, as a foreign virtual node is not. Set once, before any advert.
   */
  mayHost: ((origin: string, name: string) => boolean) | undefined;

  constructor(id: string) {
    this.id = id;
  }

  // ---- own nodes ------------------------------------------------------------

  hasLocal(name: string): boolean {
    return this.local.has(name);
  }
  localCount(): number {
    return this.local.size;
  }
  /** Add own nodes; returns those that were not there. */
  addLocal(names: readonly string[]): string[] {
    const added: string[] = [];
    for (const n of names) {
      if (this.local.has(n)) continue;
      this.touch(n);
      this.local.add(n);
      added.push(n);
    }
    if (added.length > 0) this.ownDirty = true;
    return added;
  }
  /** Remove own nodes; returns those that were there. */
  removeLocal(names: readonly string[]): string[] {
    const removed: string[] = [];
    for (const n of names) {
      if (!this.local.has(n)) continue;
      this.touch(n);
      this.local.delete(n);
      removed.push(n);
    }
    if (removed.length > 0) this.ownDirty = true;
    return removed;
  }

  // ---- index ----------------------------------------------------------------

  protected touch(name: string): void {
    if (!this.before.has(name)) this.before.set(name, this.isReachableName(name));
  }
  protected indexAdd(name: string, origin: string): void {
    this.touch(name);
    const e = this.index.get(name);
    if (e === undefined) this.index.set(name, origin);
    else if (typeof e === 'string') {
      if (e !== origin) this.index.set(name, [e, origin]);
    } else if (!e.includes(origin)) e.push(origin);
  }
  protected unindex(name: string, origin: string): void {
    this.touch(name);
    const e = this.index.get(name);
    if (e === undefined) return;
    if (typeof e === 'string') {
      if (e === origin) this.index.delete(name);
      return;
    }
    const rest = e.filter((o) => o !== origin);
    if (rest.length === 1) this.index.set(name, rest[0] as string);
    else this.index.set(name, rest);
  }
  private indexedFor(name: string, origin: string): boolean {
    const e = this.index.get(name);
    return e === origin || (Array.isArray(e) && e.includes(origin));
  }

  /**
   * Index what changed between an origin's stored names and its new ones.
   * Names that stay are not touched, so a one-node change in a large advert
   * costs one pass over that origin's names and touches one name (BENCHMARKS.md).
   */
  protected reindex(origin: string, oldNames: readonly string[], names: readonly string[]): void {
    // Both lists are duplicate-free and usually keep their order: diff only the middle.
    const [head, oldEnd, newEnd] = middle(oldNames, names);
    const gone = new Set<string>();
    for (let i = head; i < oldEnd; i++) gone.add(oldNames[i] as string);
    for (let i = head; i < newEnd; i++) {
      const n = names[i] as string;
      if (!gone.delete(n)) this.indexAdd(n, origin);
    }
    for (const n of gone) this.unindex(n, origin);
  }

  /**
   * `a.nodes` itself when it is provably free of duplicates and of foreign
   * virtual nodes, judged against the stored advert of the same origin (itself
   * clean): only the entries that differ from it are checked, so a one-node
   * change does not build a set of the whole list. `undefined` otherwise.
   */
  protected namesBeside(
    a: CtpAdvert,
    old: { nodes: readonly string[]; names: readonly string[] },
  ): string[] | undefined {
    if (old.names !== old.nodes) return undefined;
    const mayHost = this.mayHost;
    const [head, oldEnd, newEnd] = middle(old.nodes, a.nodes);
    const oldMiddle = new Set<string>();
    for (let i = head; i < oldEnd; i++) oldMiddle.add(old.nodes[i] as string);
    const seen = new Set<string>();
    for (let i = head; i < newEnd; i++) {
      const n = a.nodes[i] as string;
      if (seen.has(n) || isForeignVirtual(n, a.origin)) return undefined;
      // A name the hosting rules refuse: `namesOf` leaves it out (the stored names then differ from the nodes).
      if (mayHost !== undefined && !n.includes(']@') && !mayHost(a.origin, n)) return undefined;
      seen.add(n);
      // Indexed for this origin and not in the old middle: it is in the
      // shared head or tail, so it appears twice.
      if (!oldMiddle.has(n) && this.indexedFor(n, a.origin)) return undefined;
    }
    return a.nodes;
  }

  protected namesOf(a: CtpAdvert): string[] {
    const seen = new Set<string>();
    const mayHost = this.mayHost;
    for (const n of a.nodes) {
      if (seen.has(n)) continue;
      if (isForeignVirtual(n, a.origin)) continue;
      if (mayHost !== undefined && !n.includes(']@') && !mayHost(a.origin, n)) continue;
      seen.add(n);
    }
    return seen.size === a.nodes.length ? a.nodes : [...seen];
  }

  // ---- queries --------------------------------------------------------------

  /** Does `origin` reachably advertise `name`? */
  advertises(origin: string, name: string): boolean {
    if (origin === this.id) return this.local.has(name);
    if (!this.routes.has(origin)) return false;
    const e = this.index.get(name);
    return e === origin || (Array.isArray(e) && e.includes(origin));
  }
  /** The reachable routers (self included) hosting `name`, sorted. */
  hostsOf(name: string): string[] {
    const out: string[] = [];
    if (this.local.has(name)) out.push(this.id);
    const e = this.index.get(name);
    if (e === undefined) return out;
    for (const o of typeof e === 'string' ? [e] : e) if (this.routes.has(o)) out.push(o);
    return out.length > 1 ? out.sort() : out;
  }
  /**
   * The router that owns `name`: self when local, else the reachable host
   * whose id sorts first (PROTOCOL.md section 7); `undefined` when unknown.
   */
  ownerOf(name: string): string | undefined {
    if (this.local.has(name)) return this.id;
    const e = this.index.get(name);
    if (e === undefined) return undefined;
    if (typeof e === 'string') return this.routes.has(e) ? e : undefined;
    let best: string | undefined;
    for (const o of e) if (this.routes.has(o) && (best === undefined || o < best)) best = o;
    return best;
  }
  isReachableName(name: string): boolean {
    return this.ownerOf(name) !== undefined;
  }
  /** Every reachable name, sorted by UTF-16 code units. */
  sortedNames(): string[] {
    if (this.sortedCache === undefined) {
      const out = [...this.local];
      for (const name of this.index.keys())
        if (!this.local.has(name) && this.isReachableName(name)) out.push(name);
      this.sortedCache = out.sort();
    }
    return this.sortedCache;
  }
}
