/**
 * The broadcast media's bookkeeping, kept up to date as bindings and stored
 * adverts change (media.ts reads it): each medium's members in view, sorted,
 * which of them declare themselves DR, which list a pseudo-node of the
 * medium at all, and the router ids bound through a point-to-point peer.
 * The table reports every router id whose bindings or stored advert changed
 * (`changed`); `sync` then looks at those ids only. Recomputing all of this
 * from every binding and advert on each received frame made a bus of N
 * routers in one process cost N³ as it formed (bench/bus-scale.ts). Pure
 * data; the rules it serves are media.ts's (docs/PROTOCOL.md, M1–M3).
 */
import { lowerBound } from './routes.js';

/** What the index reads of the table. */
export interface CtpMediaIndexTable<P> {
  readonly id: string;
  stored(
    origin: string,
  ): { neighbors: readonly string[]; neighborSet: ReadonlySet<string> } | undefined;
  boundPeers(): ReadonlyMap<string, readonly P[]>;
  boundId(peer: P): string | undefined;
}

/** One medium's members as this router hears them. */
export class CtpMediumMembers {
  /** The view (M1): this router and the ids bound through a peer on the medium, sorted. */
  readonly view: string[];
  /** The members other than this router. */
  readonly ids = new Set<string>();
  /** Pseudo-node id → the member (this router included) whose DR-ship it names. */
  readonly pseudo = new Map<string, string>();
  /** Members (not this router) whose stored advert lists their own pseudo-node. */
  readonly declared = new Set<string>();
  /** Members (not this router) whose stored advert lists some pseudo-node of the medium. */
  readonly listers = new Set<string>();

  constructor(
    readonly medium: string,
    self: string,
    private readonly pseudoOf: (medium: string, dr: string) => string,
  ) {
    this.view = [self];
    this.pseudo.set(pseudoOf(medium, self), self);
  }

  /** `id` is (or is no longer) a member, its stored advert listing `neighbors`. */
  set(id: string, member: boolean, neighbors: readonly string[] | undefined): void {
    const q = this.pseudoOf(this.medium, id);
    if (!member) {
      if (!this.ids.delete(id)) return;
      this.view.splice(lowerBound(this.view, id), 1);
      this.pseudo.delete(q);
      this.declared.delete(id);
      this.listers.delete(id);
      return;
    }
    if (!this.ids.has(id)) {
      this.ids.add(id);
      this.view.splice(lowerBound(this.view, id), 0, id);
      this.pseudo.set(q, id);
    }
    const head = `bus:${this.medium}:`;
    let lists = false;
    let declares = false;
    for (const nb of neighbors ?? []) {
      if (!nb.startsWith(head)) continue;
      lists = true;
      if (nb === q) declares = true;
    }
    if (declares) this.declared.add(id);
    else this.declared.delete(id);
    if (lists) this.listers.add(id);
    else this.listers.delete(id);
  }
}

/** Every medium's members, and the point-to-point neighbors. */
export class CtpMediaIndex<P> {
  /** Medium → its members. */
  readonly media = new Map<string, CtpMediumMembers>();
  /** Router ids bound through at least one peer that is on no medium. */
  readonly p2p = new Set<string>();
  /** Bumped whenever a point-to-point id changed (its bindings or its advert). */
  p2pGen = 0;
  private readonly dirty = new Set<string>();

  constructor(
    private readonly table: CtpMediaIndexTable<P>,
    private readonly peerMedium: ReadonlyMap<P, string>,
    private readonly pseudoOf: (medium: string, dr: string) => string,
  ) {}

  /** Start following `medium`: its members are every id bound through a peer on it. */
  add(medium: string): CtpMediumMembers {
    const st = new CtpMediumMembers(medium, this.table.id, this.pseudoOf);
    this.media.set(medium, st);
    for (const [p, m] of this.peerMedium) if (m === medium) this.markPeer(p);
    return st;
  }

  /** Stop following `medium` (it has no peer left). */
  delete(medium: string): void {
    this.media.delete(medium);
  }

  /** `id`'s bindings or stored advert changed. */
  changed(id: string): void {
    this.dirty.add(id);
  }

  /** Every id bound through `peer` (its medium changed). */
  markPeer(peer: P): void {
    const id = this.table.boundId(peer);
    if (id !== undefined) this.dirty.add(id);
  }

  /** Bring every medium up to date with the ids changed since the last call. */
  sync(): void {
    if (this.dirty.size === 0) return;
    const bound = this.table.boundPeers();
    for (const id of this.dirty) {
      const peers = bound.get(id) ?? [];
      const p2p = peers.some((p) => !this.peerMedium.has(p));
      // Any change of a point-to-point id (not only joining or leaving the set) may move it in
      // the own neighbor list (re-bound: last in the table's order): the list is made again.
      if (p2p || this.p2p.has(id)) this.p2pGen++;
      if (p2p) this.p2p.add(id);
      else this.p2p.delete(id);
      const neighbors = this.table.stored(id)?.neighbors;
      for (const [m, st] of this.media)
        st.set(
          id,
          peers.some((p) => this.peerMedium.get(p) === m),
          neighbors,
        );
    }
    this.dirty.clear();
  }
}
