/**
 * The OCM table's routing half (PROTOCOL.md section 7): bound neighbors, the own
 * advert, other routers' stored adverts (eviction, staleness), the two-way
 * routes over them and the delta of each batch. The own nodes and the name
 * index are its base class, CtpNameIndex (name-index.ts). Pure data: no I/O
 * and no timers; the caller passes the clock in and turns the deltas it
 * returns into frames, callbacks and events.
 */
import createDebug from 'debug';
import type { CtpAdvert } from '../base/messages.js';
import {
  EarliestUnreachable,
  extendRoutes,
  routesUnchanged,
  sameSet,
  twoWayRoutes,
  updateSorted,
} from './routes.js';
import type { CtpMediaHooks } from './media.js';
import { CtpNameIndex } from './name-index.js';

const debug = createDebug('ctp:table');

/** One stored advert of another router. */
export interface CtpStoredAdvert {
  origin: string;
  seq: number;
  /** The node list exactly as advertised (re-flooded as is). */
  nodes: string[];
  neighbors: string[];
  /** Names indexed for this origin: `nodes` without duplicates and without foreign virtual nodes. */
  names: string[];
  neighborSet: Set<string>;
  /** When the origin became unreachable or, later, its newest advert arrived; `undefined` while reachable or bound. */
  unreachableSince: number | undefined;
}

/** What a batch of table changes did to the set of reachable nodes. */
export interface CtpTableDelta {
  added: string[];
  removed: string[];
  /** Names now hosted by two or more reachable routers, with the hosts, sorted. */
  conflicts: { node: string; hosts: string[] }[];
  /** Origins that became reachable / unreachable. */
  gained: string[];
  lost: string[];
  /** How many names the batch touched (their hosts may have changed even when their reachability did not). */
  touched: number;
}

/** How `applyAdvert` treated an advert. */
export type CtpAdvertOutcome =
  | 'stored' // new or newer: stored; flood it
  | 'equal' // same seq: ignored
  | 'older' // older: ignored; send the stored copy back
  | 'own-heal' // own origin, newer or equal with other contents: re-originate above it
  | 'own-ignore' // own origin, nothing to do
  | 'too-many-routers'; // table full and the origin is not reachable

/**
 * Link-state table. Own local nodes (virtual ones included) and bound
 * neighbors form the own advert; other routers' adverts are stored, routes
 * are a breadth-first search over two-way links.
 */
export class CtpTable<P> extends CtpNameIndex {
  /** The own advert's sequence number. */
  seq: number;
  /** peer → router id it is bound to. */
  private readonly bound = new Map<P, string>();
  /** router id → its bound peers (first one is used to send). */
  private readonly peersById = new Map<string, P[]>();
  private readonly adverts = new Map<string, CtpStoredAdvert>();
  /** Node names in the stored adverts (`maxTableNodes`), kept as they are stored and deleted. */
  storedNodes = 0;
  private topologyDirty = false;
  /** Since the last route search, a change may have taken a route away: the next commit searches. */
  private routesDirty = true;
  /** Origins whose list changed (`routesUnchanged` could not rule it out) → their list before; ids (un)bound: `extendRoutes`. */
  private readonly changes = new Map<string, readonly string[] | undefined>();
  private readonly boundNow = new Set<string>();
  /** The attached pseudo-nodes of the last route search. */
  private attachedKey = '';
  /** Origins stored, and ids bound or unbound, since `unreachableSince` was last set for all. */
  private readonly aging = new Set<string>();
  /** The earliest `unreachableSince` (`nextStaleAt`). */
  private readonly earliest = new EarliestUnreachable();
  /** Broadcast media (src/link-state/media.ts), set by the router once a peer is on one: the own neighbor list is theirs to say. */
  media: CtpMediaHooks<P> | undefined;

  constructor(
    id: string,
    now: number,
    readonly maxRouters: number,
  ) {
    super(id);
    this.seq = now;
  }

  // ---- neighbors ------------------------------------------------------------

  boundId(peer: P): string | undefined {
    return this.bound.get(peer);
  }
  /** Bind `peer` to router `id`; a change of the neighbor set marks the own advert dirty. */
  bind(peer: P, id: string): void {
    const old = this.bound.get(peer);
    if (old === id) return;
    if (old !== undefined) this.unbind(peer);
    this.bound.set(peer, id);
    this.media?.changed(id);
    const list = this.peersById.get(id);
    if (list === undefined) {
      this.peersById.set(id, [peer]);
      if (this.media === undefined) this.ownDirty = true;
      this.bindingChanged(id);
    } else {
      list.push(peer);
      // On a medium a second peer of one router id changes what the media part advertises (a
      // member heard on the bus too, seed 900608): let the next commit reconcile it.
      if (this.media !== undefined) this.topologyDirty = true;
    }
  }
  /** Forget `peer`'s binding; returns the id it was bound to. */
  unbind(peer: P): string | undefined {
    const id = this.bound.get(peer);
    if (id === undefined) return undefined;
    this.bound.delete(peer);
    this.media?.changed(id);
    const rest = (this.peersById.get(id) ?? []).filter((p) => p !== peer);
    if (rest.length === 0) {
      this.peersById.delete(id);
      if (this.media === undefined) this.ownDirty = true;
      this.bindingChanged(id);
    } else {
      this.peersById.set(id, rest);
      // A neighbor still heard on the bus after its link went (or the other way round): the same.
      if (this.media !== undefined) this.topologyDirty = true;
    }
    return id;
  }
  /** A first peer of `id` came, or its last one went: a search only when its advert is stored. */
  private bindingChanged(id: string): void {
    this.topologyDirty = true;
    this.aging.add(id);
    if (this.adverts.has(id)) this.boundNow.add(id);
  }
  /** Router id → its bound peers. */
  boundPeers(): ReadonlyMap<string, readonly P[]> {
    return this.peersById;
  }
  neighborIds(): string[] {
    return this.media?.advertised(this.peersById) ?? [...this.peersById.keys()];
  }
  touchOwn(): void {
    this.ownDirty = true;
  }
  /** Let the next update reconcile the media (a paced pseudo-node advert is due). */
  touchTopology(): void {
    this.topologyDirty = true;
  }

  // ---- own advert -----------------------------------------------------------

  /** The own advert as it stands (not re-originated). */
  ownAdvert(): CtpAdvert {
    return {
      origin: this.id,
      seq: this.seq,
      nodes: [...this.local],
      neighbors: this.neighborIds(),
    };
  }
  /** When the own lists changed since the last origination: bump `seq` and return the new advert. */
  reoriginate(): CtpAdvert | undefined {
    if (!this.ownDirty) return undefined;
    this.ownDirty = false;
    this.seq += 1;
    return this.ownAdvert();
  }
  /** Set the own seq above `seq` (restart healing) and return the new advert. */
  healAbove(seq: number): CtpAdvert {
    this.ownDirty = false;
    this.seq = Math.max(this.seq, seq) + 1;
    return this.ownAdvert();
  }

  // ---- adverts --------------------------------------------------------------

  stored(origin: string): CtpStoredAdvert | undefined {
    return this.adverts.get(origin);
  }
  storedAdverts(): IterableIterator<CtpStoredAdvert> {
    return this.adverts.values();
  }
  /** Is there anything for `commit` (or, unless `own` is false, `reoriginate`) to do? */
  dirty(own = true): boolean {
    return (own && this.ownDirty) || this.topologyDirty || this.before.size > 0;
  }

  /** Apply one advert heard from a peer (PROTOCOL.md section 7). */
  applyAdvert(a: CtpAdvert, now: number): CtpAdvertOutcome {
    if (a.origin === this.id) {
      if (a.seq > this.seq) return 'own-heal';
      if (
        a.seq === this.seq &&
        !(sameSet(a.nodes, this.local) && sameSet(a.neighbors, new Set(this.neighborIds())))
      )
        return 'own-heal';
      return 'own-ignore';
    }
    const old = this.adverts.get(a.origin);
    if (old !== undefined) {
      if (a.seq === old.seq) return 'equal';
      if (a.seq < old.seq) return 'older';
    } else if (this.adverts.size >= this.maxRouters) {
      if (!this.wouldBeReachable(a) || !this.evictOne()) return 'too-many-routers';
    }
    const names = (old !== undefined && this.namesBeside(a, old)) || this.namesOf(a);
    if (old === undefined) for (const n of names) this.indexAdd(n, a.origin);
    else this.reindex(a.origin, old.names, names);
    const neighborSet = new Set(a.neighbors);
    if (old === undefined || !sameSet(old.neighbors, neighborSet)) {
      this.topologyDirty = true;
      if (!this.unchanged(a.origin, old?.neighbors, a.neighbors) && !this.changes.has(a.origin))
        this.changes.set(a.origin, old?.neighbors);
    }
    this.aging.add(a.origin);
    this.storedNodes += a.nodes.length - (old?.nodes.length ?? 0);
    // A newer advert is news of its origin: its age starts again (seed 927); a bound
    // neighbor's never ages, even when its list does not name this router (yet).
    const { origin, seq, nodes, neighbors } = a;
    const unreachableSince =
      this.routes.has(origin) || this.peersById.has(origin) ? undefined : now;
    this.earliest.replaced(old?.unreachableSince, unreachableSince);
    const stored = { origin, seq, nodes, neighbors, names, neighborSet, unreachableSince };
    this.adverts.set(origin, stored);
    this.media?.changed(a.origin);
    return 'stored';
  }

  private wouldBeReachable(a: CtpAdvert): boolean {
    for (const nb of a.neighbors) {
      if (nb === this.id) {
        if (this.peersById.has(a.origin)) return true;
      } else if (this.routes.has(nb) && this.adverts.get(nb)?.neighborSet.has(a.origin))
        return true;
    }
    return false;
  }

  private evictOne(): boolean {
    let victim: CtpStoredAdvert | undefined;
    for (const ad of this.adverts.values()) {
      if (ad.unreachableSince === undefined) continue;
      if (victim === undefined || ad.unreachableSince < (victim.unreachableSince as number))
        victim = ad;
    }
    if (victim === undefined) return false;
    debug('%s evicts the advert of %s', this.id, victim.origin);
    this.deleteAdvert(victim);
    return true;
  }

  private deleteAdvert(ad: CtpStoredAdvert): void {
    if (!this.unchanged(ad.origin, ad.neighbors, undefined)) this.routesDirty = true;
    for (const n of ad.names) this.unindex(n, ad.origin);
    this.storedNodes -= ad.nodes.length;
    this.earliest.replaced(ad.unreachableSince, undefined);
    this.adverts.delete(ad.origin);
    this.media?.changed(ad.origin);
    this.topologyDirty = true;
  }

  /** Delete the stored advert of each of `origins` (signed too long ago: signing.ts `expired`). */
  expireOrigins(origins: readonly string[]): void {
    for (const o of origins) {
      const ad = this.adverts.get(o);
      if (ad !== undefined) this.deleteAdvert(ad);
    }
  }
  /** Delete adverts whose origin has been unreachable for `staleMs`; returns their origins. */
  expireStale(now: number, staleMs: number): string[] {
    const gone = [...this.adverts.values()].filter(
      (ad) => ad.unreachableSince !== undefined && now - ad.unreachableSince >= staleMs,
    );
    for (const ad of gone) this.deleteAdvert(ad);
    return gone.map((ad) => ad.origin);
  }
  /** When the next advert becomes stale, or `undefined` when every stored origin is reachable. */
  nextStaleAt(staleMs: number): number | undefined {
    const at = this.earliest.of(this.adverts.values());
    return at === undefined ? undefined : at + staleMs;
  }

  // ---- routes ---------------------------------------------------------------

  /** Would the routes stay the same with `origin`'s advert listing `after` instead of `before`? */
  private unchanged(o: string, before?: readonly string[], after?: readonly string[]): boolean {
    const root = this.peersById.has(o) || this.media?.attached().has(o) === true;
    return routesUnchanged(o, before, after, this.id, this.adverts, root);
  }

  /** Is `origin` this router or reachable over two-way links? */
  isReachable(origin: string): boolean {
    return origin === this.id || this.routes.has(origin);
  }
  /** The neighbor id that is the first hop toward `origin`. */
  firstHop(origin: string): string | undefined {
    return this.routes.get(origin);
  }
  /** A live peer bound to the first hop toward `origin`. */
  peerToward(origin: string): P | undefined {
    const hop = this.routes.get(origin);
    return hop === undefined ? undefined : this.peersById.get(hop)?.[0];
  }
  /** Reachable origins, nearest first as of the last search (those `extendRoutes` added since: last). */
  reachableOrigins(): IterableIterator<string> {
    return this.routes.keys();
  }

  // ---- commit ---------------------------------------------------------------

  /** Recompute routes when the topology changed and report what the batch did to the reachable nodes. */
  commit(now: number): CtpTableDelta {
    const gained: string[] = [];
    const lost: string[] = [];
    if (this.topologyDirty) {
      this.topologyDirty = false;
      const attached = this.media?.attached();
      const key = attached === undefined ? '' : [...attached].join('\n');
      const extended =
        this.routesDirty || key !== this.attachedKey
          ? undefined
          : extendRoutes(this.id, this.routes, this.adverts, attached, this.peersById, {
              changes: this.changes,
              boundNow: this.boundNow,
            });
      let aged: Iterable<string>;
      if (extended !== undefined) {
        // Routes only added to (or none moved): only what was stored or (un)bound since needs its age set.
        for (const [o] of extended) {
          gained.push(o);
          for (const n of this.adverts.get(o)?.names ?? []) this.touch(n);
        }
        for (const [o, hop] of extended) this.routes.set(o, hop);
        aged = [...this.aging, ...gained];
      } else {
        const ids = this.peersById;
        const next = twoWayRoutes(this.id, ids.keys(), this.adverts, attached, ids);
        for (const o of this.routes.keys()) if (!next.has(o)) lost.push(o);
        for (const o of next.keys()) if (!this.routes.has(o)) gained.push(o);
        // Record the names of flipped origins as they were, under the old routes.
        for (const o of lost.concat(gained))
          for (const n of this.adverts.get(o)?.names ?? []) this.touch(n);
        this.routes = next;
        aged = this.adverts.keys();
      }
      this.routesDirty = false;
      this.attachedKey = key;
      this.changes.clear();
      this.boundNow.clear();
      this.aging.clear();
      // A bound neighbor's advert never goes stale: no one would send it again (seed 927).
      for (const o of aged) {
        const ad = this.adverts.get(o);
        if (ad === undefined) continue;
        const since =
          this.routes.has(o) || this.peersById.has(o) ? undefined : (ad.unreachableSince ?? now);
        this.earliest.replaced(ad.unreachableSince, since);
        ad.unreachableSince = since;
      }
    }
    const added: string[] = [];
    const removed: string[] = [];
    const conflicts: { node: string; hosts: string[] }[] = [];
    for (const [name, was] of this.before) {
      const is = this.isReachableName(name);
      if (is && !was) added.push(name);
      else if (was && !is) removed.push(name);
      const hosts = this.hostsOf(name);
      if (hosts.length > 1) {
        const key = hosts.join('\n');
        if (this.conflictKeys.get(name) !== key) {
          this.conflictKeys.set(name, key);
          conflicts.push({ node: name, hosts });
        }
      } else this.conflictKeys.delete(name);
    }
    const touched = this.before.size;
    this.before = new Map();
    if (
      (added.length > 0 || removed.length > 0) &&
      this.sortedCache !== undefined &&
      !updateSorted(this.sortedCache, added, removed)
    )
      this.sortedCache = undefined;
    return { added, removed, conflicts, gained, lost, touched };
  }
}
