/**
 * Broadcast media (docs/nats.md "Broadcast media"): peers that a transport reports
 * as members of one shared medium (a NATS bus) are modelled as OSPF models a
 * broadcast network (RFC 2328, section 12.4.2): a designated router (DR)
 * originates a pseudo-node advert for the medium listing its members, and
 * each member's own advert lists the pseudo-node instead of every other
 * member. A member joining or leaving changes one advert (the pseudo-node's)
 * and its own, not every member's.
 *
 * The pseudo-node of medium `m` with DR `d` is the router id
 * `bus:<m>:<d>` (hashed when longer than a router id may be). Routes through
 * it: a member reaches the other members it hears directly (the first hop is
 * the member itself); every other router goes through whichever member it
 * reaches first. When the DR leaves, the members choose another one and each
 * lists the new pseudo-node once (as in OSPF); the old one, no longer listed,
 * becomes unreachable and expires as any stale advert.
 */
import createDebug from 'debug';
import { createHash } from 'node:crypto';
import { argumentError } from '../base/errors.js';
import type { CtpAdvert } from '../base/messages.js';
import { MAX_ROUTER_ID_LENGTH } from '../base/names.js';
import { CtpMediaIndex, type CtpMediaIndexTable, type CtpMediumMembers } from './media-index.js';

const debug = createDebug('ctp:media');

/** What a transport may say about a peer with `peerUp`. */
export interface CtpPeerInfo {
  /**
   * The peer is a member of this broadcast medium (the same string at every
   * member, e.g. the bus's subject prefix; 1–64 chars of [A-Za-z0-9._:-]).
   * Members list the medium's pseudo-node instead of each other.
   */
  medium?: string;
}

const MEDIUM_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Is `m` a usable medium id? */
export function isValidMedium(m: unknown): m is string {
  return typeof m === 'string' && MEDIUM_RE.test(m);
}

/** The pseudo-node router id of medium `medium` whose DR is `dr`. */
export function pseudoNodeId(medium: string, dr: string): string {
  const id = `bus:${medium}:${dr}`;
  return id.length <= MAX_ROUTER_ID_LENGTH
    ? id
    : `bus:${medium}:#${createHash('sha256').update(dr).digest('hex').slice(0, 32)}`;
}

/** What the media part reads of the table. */
export interface CtpMediaTable<P> extends CtpMediaIndexTable<P> {
  /** The stored advert of `origin`. */
  stored(
    origin: string,
  ): { seq: number; neighbors: readonly string[]; neighborSet: ReadonlySet<string> } | undefined;
  /** The own advert's neighbor list (through `advertised`). */
  neighborIds(): string[];
  /** Mark the own advert for re-origination. */
  touchOwn(): void;
  /** The neighbor id that is the first hop toward `origin`. */
  firstHop(origin: string): string | undefined;
}

/** What the table asks of the media part (set on the table once a medium is known). */
export interface CtpMediaHooks<P> {
  advertised(peersById: ReadonlyMap<string, readonly P[]>): string[];
  attached(): ReadonlySet<string>;
  /** The bindings or the stored advert of router `id` changed. */
  changed(id: string): void;
}

/** What a member leaves out of the table it sends a member that just came up (`CtpMedia.tableSkip`). */
export interface CtpTableSkip {
  /** Is the advert of `origin` left out? */
  skips(origin: string): boolean;
  /** The reachable origins not left out, in the routes' order, when that is quick to say. */
  only: readonly string[] | undefined;
}

interface MediumState {
  /** The DR chosen last time. */
  dr: string | undefined;
}

export class CtpMedia<P> implements CtpMediaHooks<P> {
  /** Peers on a medium → the medium. */
  private readonly peerMedium = new Map<P, string>();
  private readonly media = new Map<string, MediumState>();
  /** Peers on each medium. */
  private readonly peersOn = new Map<string, number>();
  /** Each medium's members, kept up to date as bindings and adverts change (media-index.ts). */
  private readonly index: CtpMediaIndex<P>;
  /** The own neighbor list last originated (the table no longer re-originates on every binding). */
  private lastAdvertised = '';
  /** Bumped at each change of a DR: with the index's `p2pGen`, when `advertised` may differ. */
  private drGen = 0;
  private checkedGen = '';
  private cached: { gen: string; list: string[] } | undefined;
  /** A medium was seen: from now on the table leaves the own neighbor list to this part. */
  private engaged = false;
  /** Origin → the peer on a medium its stored advert came from (M6: published again when that peer goes). */
  private readonly heardFrom = new Map<string, P>();

  constructor(private readonly table: CtpMediaTable<P>) {
    this.index = new CtpMediaIndex(table, this.peerMedium, pseudoNodeId);
  }

  /** The table's report: router `id`'s bindings or stored advert changed. */
  changed(id: string): void {
    this.index.changed(id);
  }

  private setMedium(peer: P, medium: string | undefined): void {
    const was = this.peerMedium.get(peer);
    if (was === medium) return;
    if (was !== undefined) this.peersOn.set(was, (this.peersOn.get(was) ?? 1) - 1);
    if (medium === undefined) this.peerMedium.delete(peer);
    else {
      this.peerMedium.set(peer, medium);
      this.peersOn.set(medium, (this.peersOn.get(medium) ?? 0) + 1);
    }
    this.index.markPeer(peer);
  }

  /** A peer came up: on `medium` (true), or point-to-point (false). Throws `CtpArgumentError` for an invalid medium id. */
  up(peer: P, medium: string | undefined): boolean {
    if (medium === undefined) {
      this.setMedium(peer, undefined);
      return false;
    }
    if (!isValidMedium(medium))
      throw argumentError('info.medium', 'a medium id (1–64 chars of [A-Za-z0-9._:-])', medium);
    this.setMedium(peer, medium);
    // The table reports changes from now on: what is bound already, the index looks at once.
    if (!this.engaged) for (const id of this.table.boundPeers().keys()) this.index.changed(id);
    this.engaged = true;
    if (!this.media.has(medium)) {
      this.media.set(medium, { dr: undefined });
      this.index.add(medium);
    }
    return true;
  }

  /** A peer went down. */
  down(peer: P): void {
    this.setMedium(peer, undefined);
  }

  /** Is `peer` a member of a medium? */
  onMedium(peer: P): boolean {
    return this.peerMedium.has(peer);
  }

  /**
   * The own advert's neighbor list: routers bound through at least one
   * point-to-point peer, and the pseudo-node of each medium with another member.
   */
  advertised(peersById: ReadonlyMap<string, readonly P[]>): string[] {
    this.index.sync();
    const gen = `${this.index.p2pGen}:${this.drGen}`;
    if (this.cached?.gen !== gen) {
      const list: string[] = [];
      if (this.index.p2p.size > 0)
        for (const [id, peers] of peersById)
          if (peers.some((p) => !this.peerMedium.has(p))) list.push(id);
      for (const [m, st] of this.media) if (st.dr !== undefined) list.push(pseudoNodeId(m, st.dr));
      this.cached = { gen, list };
    }
    return this.cached.list.slice();
  }

  /** The pseudo-nodes this router is attached to (its routes through them start at the members themselves). */
  attached(): Set<string> {
    const out = new Set<string>();
    for (const [m, st] of this.media) if (st.dr !== undefined) out.add(pseudoNodeId(m, st.dr));
    return out;
  }

  /**
   * For an origin that is a member of one of this router's media (bound
   * through a peer on it), or the pseudo-node of one: a peer on that medium
   * (the same one for every origin of the medium); otherwise `undefined`.
   */
  peerFor(origin: string): P | undefined {
    if (!this.engaged) return undefined;
    let medium: string | undefined;
    for (const [m, st] of this.media) {
      // Its DR publishes the pseudo-node's advert on the medium: that is how the members get it.
      if (st.dr !== undefined && pseudoNodeId(m, st.dr) === origin) {
        if (st.dr === this.table.id) return undefined;
        medium = m;
      }
    }
    if (medium === undefined) {
      // The medium of the first peer (in `peerMedium` order) bound to `origin`: one, as a rule.
      const media = new Set<string>();
      for (const p of this.table.boundPeers().get(origin) ?? []) {
        const m = this.peerMedium.get(p);
        if (m !== undefined) media.add(m);
      }
      if (media.size === 1) medium = media.values().next().value as string;
      else if (media.size > 1)
        for (const [p, m] of this.peerMedium)
          if (medium === undefined && this.table.boundId(p) === origin) medium = m;
    }
    if (medium === undefined) return undefined;
    for (const [p, m] of this.peerMedium)
      if (m === medium && this.table.boundId(p) !== undefined) return p;
    return undefined;
  }

  /**
   * The table a member of a medium sends another member that just came up
   * leaves out what that member gets from others anyway: the adverts whose
   * route here starts on the same medium (a member's own advert comes from
   * that member, what lies behind it from the member nearest to it) and the
   * medium's pseudo-node (its DR sends it). So a join costs each member
   * its own advert and what lies behind it, not its whole table: one process
   * hosting N routers no longer handles N³ adverts as the bus forms.
   * `undefined` for a point-to-point peer (it gets everything).
   */
  tableSkip(peer: P): CtpTableSkip | undefined {
    const m = this.peerMedium.get(peer);
    return m === undefined ? undefined : this.skipOn(m);
  }

  /** `tableSkip` for every member of medium `m`. */
  private skipOn(m: string): CtpTableSkip {
    this.index.sync();
    // The index's own set (read at once, before it changes: sendTable, beforeDown's callback).
    const members: ReadonlySet<string> = this.index.media.get(m)?.ids ?? new Set();
    const dr = this.media.get(m)?.dr;
    const current = dr === undefined ? undefined : pseudoNodeId(m, dr);
    const head = `bus:${m}:`;
    const skips = (origin: string): boolean => {
      // The medium's pseudo-node as this router sees it comes from its DR. Another one of
      // the same medium (the other side of a split, seed 1478) is an advert like any other.
      if (origin === current) return dr !== this.table.id;
      const hop = this.table.firstHop(origin);
      return hop !== undefined && (members.has(hop) || hop.startsWith(head));
    };
    // On this medium alone, with no point-to-point neighbor, every first hop is a member or
    // its pseudo-node (attached: the only roots besides bound ids): everything is left out but
    // the pseudo-node of a DR, found without asking each of N origins at each of N joins.
    const alone = this.index.p2p.size === 0 && this.media.size === 1;
    const own =
      current !== undefined && dr === this.table.id && this.table.firstHop(current) !== undefined;
    return { skips, only: alone ? (own ? [current] : []) : undefined };
  }

  /** The advert of `origin` just stored came from `peer`. */
  heard(origin: string, peer: P): void {
    if (!this.engaged) return;
    if (this.peerMedium.has(peer)) this.heardFrom.set(origin, peer);
    else this.heardFrom.delete(origin);
  }

  /**
   * Call before `peer` goes down; call what it returns once the routes are
   * recomputed: the origins to send the other members again. A member that
   * sent a newcomer its table left out what lay behind another member `x`
   * (`tableSkip`), counting on `x` to send it. When `x`'s peer on the medium
   * goes while that stays reachable (through a point-to-point link), `x` may
   * never have heard the newcomer (the events of a split reach each member in
   * its own order: simulator seed 305054). So what lay behind `x` and that
   * this router would now send a newcomer itself goes to the medium again
   * (equal adverts are ignored): nothing on a bus without other links,
   * where what lay behind `x` is gone with it. The adverts stored as they
   * came from `x` on the medium go again too: a split can take `x`'s pairs
   * one by one, so its last publish may have reached this member and not
   * another that stays beside it (simulator seed 104234), and the routes may
   * no longer start at `x` by the time its pair here goes.
   */
  beforeDown(peer: P, reachable: Iterable<string>): (() => string[]) | undefined {
    const m = this.peerMedium.get(peer);
    const x = this.table.boundId(peer);
    if (m === undefined || x === undefined) return undefined;
    const via: string[] = [];
    for (const o of reachable) if (this.table.firstHop(o) === x) via.push(o);
    for (const [o, p] of this.heardFrom) {
      if (p !== peer && this.table.stored(o) !== undefined) continue;
      this.heardFrom.delete(o);
      if (p === peer && this.table.firstHop(o) !== x) via.push(o);
    }
    if (via.length === 0) return undefined;
    return () => {
      if (!this.inUse(m)) return [];
      const skip = this.skipOn(m);
      return via.filter((o) => this.table.firstHop(o) !== undefined && !skip.skips(o));
    };
  }

  /** The members of `medium` this router hears (bound peers on it), itself included, sorted (the index's: do not change it). */
  private view(medium: string): readonly string[] {
    return this.index.media.get(medium)?.view ?? [this.table.id];
  }

  /**
   * Choose each medium's DR and return the pseudo-node adverts this router
   * must originate (as DR, when the stored one does not list its members).
   * The DR is sticky: the lowest member in view that declares itself DR
   * (`choose`); with none, the lowest id. A newcomer thus adopts the current
   * DR, whatever its own id.
   */
  reconcile(now: number): CtpAdvert[] {
    const out: CtpAdvert[] = [];
    this.index.sync();
    for (const [m, st] of this.media) {
      const view = this.view(m);
      const dr = view.length < 2 ? undefined : this.choose(m, view);
      const changed = dr !== st.dr;
      if (changed) {
        debug('%s: medium %s DR %s -> %s', this.table.id, m, st.dr, dr);
        st.dr = dr;
        this.drGen++;
        this.table.touchOwn();
      }
      if (dr !== this.table.id) continue;
      const q = pseudoNodeId(m, dr);
      const s = this.table.stored(q);
      // Becoming DR: originate afresh even when a stored copy matches (the members may never have had it).
      if (
        !changed &&
        s !== undefined &&
        s.neighbors.length === view.length &&
        view.every((id) => s.neighborSet.has(id))
      )
        continue;
      out.push({
        origin: q,
        seq: Math.max(now, (s?.seq ?? 0) + 1),
        nodes: [],
        neighbors: [...view],
      });
    }
    for (const [m, st] of this.media)
      if (st.dr === undefined && !this.inUse(m)) {
        this.media.delete(m);
        this.index.delete(m);
      }
    this.checkAdvertised();
    return out;
  }

  /** Mark the own advert for re-origination when its neighbor list changed (a no-op before any medium). */
  checkAdvertised(): void {
    if (!this.engaged) return;
    this.index.sync();
    const gen = `${this.index.p2pGen}:${this.drGen}`;
    if (gen === this.checkedGen) return;
    this.checkedGen = gen;
    const advertised = this.table.neighborIds().sort().join('\n');
    if (advertised === this.lastAdvertised) return;
    this.lastAdvertised = advertised;
    this.table.touchOwn();
  }

  /**
   * The DR of `medium` given the members in `view`, as OSPF keeps an elected
   * DR: a member *declares* itself DR when its own advert lists its own
   * pseudo-node, and the lowest declared id in view is the DR; with none
   * declared, the lowest id in view. A newcomer thus adopts the current DR,
   * whatever its own id, and two DRs meeting (a split bus healed) leave the
   * lower one. The choice depends only on declarations, which only the
   * higher of two DRs withdraws, so delayed adverts cannot send the members
   * round in circles (as counting who lists whom did: simulator seed 1544).
   * A router with no DR yet (it just joined) waits while members list a
   * pseudo-node of this medium whose DR it does not hear yet and it sees no
   * declared one: it is about to hear that DR.
   */
  private choose(medium: string, view: readonly string[]): string | undefined {
    const current = this.media.get(medium)?.dr;
    const members = this.index.media.get(medium);
    // This router declares itself when it is the DR; the others by their stored adverts (the index).
    let declared = current === this.table.id ? current : undefined;
    for (const id of members?.declared ?? [])
      if (declared === undefined || id < declared) declared = id;
    if (declared !== undefined) return declared;
    if (current === undefined && members !== undefined && this.unheard(members)) return undefined;
    return view[0] as string;
  }

  /** Does a member list a pseudo-node of the medium whose DR is not in view? */
  private unheard(members: CtpMediumMembers): boolean {
    const head = `bus:${members.medium}:`;
    for (const id of members.listers)
      for (const nb of this.table.stored(id)?.neighbors ?? [])
        if (nb.startsWith(head) && !members.pseudo.has(nb)) return true;
    return false;
  }

  private inUse(medium: string): boolean {
    return (this.peersOn.get(medium) ?? 0) > 0;
  }
}
