/**
 * How a member reads a roster (docs/nats.md "Presence"): from its head alone
 * when its digest, with the head's changes, is the member's own
 * (roster-changes.ts `reconcile`); else from its entries; a head alone that
 * does not say enough makes it ask the aggregator for them.
 */
import type { NatsResolvedOptions } from './options.js';
import type { NatsPeer, RosterFloor } from './peer.js';
import { parseRoster, parseRosterHead, type RosterDigest, type RosterHead } from './presence.js';
import { reconcile } from './roster-changes.js';

/**
 * How a member was heard: its own message (`at`: when it came, if not now — an aggregator's roster
 * kept unread and read later), or an aggregator's roster (`at` is then when the aggregator heard it). @internal
 */
export type Heard = { direct: true; at?: number } | { direct: false; at: number };

/** What reading rosters needs from the members (members.ts). @internal */
export interface RosterReaderHost {
  /** This router's id on the bus. */
  self(): string | undefined;
  members(): ReadonlyMap<string, NatsPeer>;
  /** The digest of the members with an instance, and of this router, as they were at `at` (those taken down since, counted). */
  digest(at: number): RosterDigest;
  readonly floor: RosterFloor;
  /** Heard `id` (members.ts `heard`): its member, or `undefined` when not one. */
  heard(
    id: string,
    instance: string | undefined,
    hello?: boolean,
    how?: Heard,
  ): NatsPeer | undefined;
  /** Ask aggregator `id` for its whole roster. */
  askRoster(id: string): void;
  /** A roster told this member every member its sender heard: its entries were read, or its head matched. */
  named(): void;
}

/** Reads the rosters of one member. @internal */
export class RosterReader {
  /** When this member last asked each aggregator for entries (within an interval). */
  private readonly asked = new Map<string, number>();
  /** Aggregators asked that have not answered yet (with a roster read: entries, or a head that matched). */
  private readonly pending = new Set<string>();
  /** When a check last waited for entries. */
  private waitedAt = -Infinity;

  constructor(
    private readonly opts: NatsResolvedOptions,
    private readonly counters: { rostersIn: number; ignored: number },
    private readonly host: RosterReaderHost,
  ) {}

  /** A roster from `from` (its head, or all of it when the head does not say enough), received at `now`. */
  read(from: string | undefined, data: Uint8Array, now: number): void {
    const self = this.host.self();
    const head =
      from === undefined || from === self
        ? undefined
        : parseRosterHead(data, this.opts.maxMembers, (id) => this.host.members().has(id));
    if (from !== undefined && head !== undefined && this.sameMembers(from, head, now)) return;
    const roster =
      from === undefined
        ? undefined
        : parseRoster(data, this.opts.maxMembers, (id) => this.host.members().has(id));
    if (from === undefined || roster === undefined || from === self) {
      this.counters.ignored++;
      return;
    }
    this.counters.rostersIn++;
    const sender = this.host.heard(from, roster.i, false, { direct: true, at: now });
    if (sender === undefined) return;
    this.pending.delete(from);
    // A cold roster names only those its sender heard since it listens: it says nobody is missing.
    if (head?.c !== true) this.host.named();
    sender.headsOnly = head?.q === true;
    // Only news fresh enough that the member was alive within a heartbeat or two brings one up.
    const fresh = this.opts.deadAfterMs - this.opts.heartbeatMs;
    for (const [id, instance, age] of roster.r) {
      if (id === self || id === from) continue;
      const p = this.host.members().get(id);
      if (p === undefined ? age >= fresh : age >= this.opts.deadAfterMs) continue;
      const at = now - age;
      // The common case, kept cheap (a roster lists every member): a known member, same instance.
      if (p !== undefined && p.instance === instance) {
        if (at > p.lastSeen) p.lastSeen = at;
        continue;
      }
      this.host.heard(id, instance, false, { direct: false, at });
    }
  }

  /**
   * Entries asked for within an interval have not come yet: a check waits one round for them, at
   * most once an interval (several aggregators asked in turn kept every check waiting: seed 8690).
   */
  awaiting(now: number): boolean {
    const hb = this.opts.heartbeatMs;
    let last = -Infinity;
    for (const at of this.asked.values()) last = Math.max(last, at);
    if (this.pending.size === 0 || now - last >= hb || now - this.waitedAt < hb) return false;
    this.waitedAt = now;
    return true;
  }

  /** The sender of a roster with head `head` was heard (an aggregator sends no heartbeat: its rosters say whether it reads heads). */
  private sender(from: string, head: RosterHead, now: number): NatsPeer | undefined {
    const p = this.host.heard(from, head.i, false, { direct: true, at: now });
    if (p !== undefined) p.headsOnly = head.q;
    return p;
  }

  /**
   * A roster whose head's digest is this router's (the same members, the same instances, this
   * router and the sender included) says only who is late: the late entries are read, and every
   * other member was heard at most `a` ms before. No entry is parsed: one process hosting N
   * routers no longer reads N² entries an interval. False: it must be read in full.
   */
  private sameMembers(from: string, head: RosterHead, now: number): boolean {
    const mine = this.host.digest(now);
    const hb = this.opts.heartbeatMs;
    const same = head.d === mine.toString();
    const r = same
      ? undefined
      : reconcile(head, this.host.self() ?? '', from, this.host.members(), mine, now, 2 * hb);
    if (r === undefined && !same) {
      if (head.entries) return false;
      // A head alone that does not say enough: the entries, please (to this member alone).
      this.counters.rostersIn++;
      this.sender(from, head, now);
      // Each aggregator at most once an interval: while lower ids keep coming, the one asked first
      // may be a newcomer that heard few, and an older one's entries keep the others (seed 89).
      const t = Date.now();
      if (t - (this.asked.get(from) ?? -Infinity) < hb) return true;
      for (const [id, at] of this.asked) {
        if (t - at < hb) continue;
        this.asked.delete(id);
        this.pending.delete(id);
      }
      this.asked.set(from, t);
      this.pending.add(from);
      this.host.askRoster(from);
      return true;
    }
    this.counters.rostersIn++;
    if (this.sender(from, head, now) === undefined) return true;
    this.pending.delete(from);
    this.host.named();
    const self = this.host.self();
    for (const [id, instance, age] of r?.bring ?? [])
      if (id !== self && id !== from && age < this.opts.deadAfterMs - hb)
        this.host.heard(id, instance, false, { direct: false, at: now - age });
    // Every member with an instance (one heard by its frames alone is in no digest) but the late
    // and the unlisted was heard by `at`; the late ones when their entries say.
    const except = new Set(r?.unlisted);
    for (const [id] of head.l) except.add(id);
    this.host.floor.move(now - head.a, except, this.host.members());
    for (const [id, instance, age] of head.l) {
      const p = this.host.members().get(id);
      if (p === undefined || p.instance !== instance || age >= this.opts.deadAfterMs) continue;
      if (now - age > p.lastSeen) p.lastSeen = now - age;
    }
    return true;
  }
}
