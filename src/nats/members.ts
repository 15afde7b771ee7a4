/**
 * The members of the bus: every other router on the same `prefix`, known
 * from its presence (hellos, goodbyes, heartbeats, the aggregators' rosters:
 * presence.ts) and from its frames. A member is up from the first thing
 * heard of it, and down when it says goodbye (`left`), is silent for
 * `deadAfterMs` (`silent`), comes back as another process (`restarted`) or
 * this transport closes (`closing`). At most `maxMembers` are tracked.
 */
import type { Msg } from '@nats-io/transport-node';
import createDebug from 'debug';
import type { NatsResolvedOptions } from './options.js';
import { NatsPeer, RosterFloor, type NatsDownReason } from './peer.js';
import { AggregatorRole } from './aggregators.js';
import { memberHash, parsePresence, RosterDigest } from './presence.js';
import { RosterChanges, rosterOf } from './roster-changes.js';
import { RosterReader, type Heard } from './roster-read.js';
import { PhasedTimer } from '../base/phased-timer.js';
import { QueuedRead } from './queued-read.js';
import { BusSubjects } from './subjects.js';

const debug = createDebug('ctp:nats');

/** What the members need from the transport. @internal */
export interface NatsMembersHost {
  /** The bus's subjects (set by `attach`). */
  subjects(): BusSubjects | undefined;
  /** The transport is closing: nobody becomes a member any more. */
  leaving(): boolean;
  /** Hand `p` to the router (`peerUp`: it sends `p` its table), reporting a throw. */
  peerUp(p: NatsPeer): void;
  /** Ask `p` for its table (an UPDATENODE): it may not know this router saw it come (back). */
  ask(p: NatsPeer): void;
  /**
   * Everything the server sent this router so far has been read once this resolves (a PING
   * answered by its PONG, which comes after it); `undefined`: nothing to wait for.
   */
  readQueued(): Promise<void> | undefined;
  /** `p` was brought up: emit `connect`. */
  connected(p: NatsPeer): void;
  /** Take `p` from the router (`peerDown`) and emit `disconnect`. */
  disconnected(p: NatsPeer, reason: NatsDownReason): void;
  reportError(err: unknown): void;
  /** Connected to a server now (not between a disconnect and a reconnect). */
  online(): boolean;
  /** Ask aggregator `id` for its whole roster (a heartbeat with `full`). */
  askRoster(id: string): void;
  /** Send `p` this aggregator's whole roster (`fullRoster`), to it alone. */
  sendRoster(p: NatsPeer): void;
}

/** The transport's counters the members keep (part of `NatsStats`). */
export interface NatsMembersCounters {
  heartbeatsIn: number;
  rostersIn: number;
  ignored: number;
  membersRefused: number;
}

/** The members of the bus by router id. @internal */
export class NatsMembers {
  /** Members by router id. */
  private readonly members = new Map<string, NatsPeer>();
  /** Instances taken down lately, by router id: a roster's older news of them does not bring them back. */
  private readonly gone = new Map<string, { instance: string | undefined; at: number }>();
  /** Who aggregates: the lowest ids (aggregators.ts). */
  private readonly role: AggregatorRole;
  private checkTimer: PhasedTimer | undefined;
  /** A check waits for what is queued to be read before calling members silent. */
  private reading = false;
  private readonly queued: QueuedRead;
  /** Late checks of the last `deadAfterMs`: [when, how late]. */
  private readonly lags: [number, number][] = [];
  /** How late this aggregator heard the members at its last roster (roster-changes.ts `hearingLag`). */
  private hearingLag = 0;
  /** When this router last said hello: members learnt within `deadAfterMs` of it hear the hello. */
  private helloAt = 0;
  /** The last roster of each aggregator but the lowest, unread, with when it came: read only when a member would go silent (the lowest one stopped, say); reading both cost N routers 2N² entries. */
  private readonly unread = new Map<string, { data: Uint8Array; at: number }>();
  /** The digest of the members and their instances (presence.ts `RosterDigest`); late roster entries: older than 1.5 `heartbeatMs`. */
  private readonly digest = new RosterDigest();
  private ownHash: { id: string; hash: readonly [number, number] } | undefined;
  /** What this aggregator's rosters listed lately (roster-changes.ts). */
  private readonly changes = new RosterChanges();
  /** What the last roster read from its head says (peer.ts); members without an instance yet. */
  private readonly floor = new RosterFloor();
  private readonly unhashed = new Set<string>();
  /** When a roster last told this router every member its sender heard (`unnamed`). */
  private namedAt = 0;
  private readonly reader: RosterReader;

  constructor(
    private readonly opts: NatsResolvedOptions,
    /** This transport's instance id (its presence messages carry it). */
    private readonly instance: string,
    private readonly counters: NatsMembersCounters,
    private readonly host: NatsMembersHost,
  ) {
    this.role = new AggregatorRole(opts);
    this.queued = new QueuedRead(
      opts.deadAfterMs,
      () => host.online(),
      () => this.checkTimer !== undefined,
      (ms) => debug('%s: no PONG for %d ms, connected: members kept', host.subjects()?.id, ms),
    );
    this.reader = new RosterReader(opts, counters, {
      self: () => host.subjects()?.id,
      members: () => this.members,
      digest: (at) => this.digestAt(at),
      floor: this.floor,
      heard: (id, instance, hello, how) => this.heard(id, instance, hello, how),
      askRoster: (id) => host.askRoster(id),
      named: () => (this.namedAt = Date.now()),
    });
  }

  /** The member with router id `id`, up or not yet taken down. */
  get(id: string): NatsPeer | undefined {
    return this.members.get(id);
  }

  /** The members that are up. */
  up(): NatsPeer[] {
    return [...this.members.values()].filter((p) => p.up);
  }

  /** Is this router one of the `AGGREGATORS` lowest ids among the members it knows and itself? */
  aggregating(): boolean {
    return this.role.aggregating(this.host.subjects()?.id);
  }

  /** Publish a roster this interval (and listen to the heartbeats): an aggregator, or one lately (aggregators.ts). */
  rostering(): boolean {
    return this.role.rostering(this.host.subjects()?.id, Date.now());
  }

  /**
   * This aggregator's roster of the interval: every member it heard itself within `deadAfterMs`;
   * without its entries (its head and changes, roster-changes.ts) when every one it lists reads
   * heads alone and few changed. `full`: with its entries always (one asked).
   */
  roster(full = false): string {
    const changes = full ? undefined : this.changes;
    const cold = this.role.cold(Date.now());
    const r = rosterOf(
      this.members.values(),
      this.instance,
      this.selfHash(),
      this.opts,
      changes,
      cold,
    );
    this.hearingLag = r.lag;
    return r.text;
  }

  /** The digest of the members and of this router as they were at `at`: those taken down since count (a roster read late was made while they were members: seed 17). */
  private digestAt(at: number): RosterDigest {
    const d = this.digest.copy();
    d.add(this.selfHash());
    for (const [id, g] of this.gone) if (g.at > at && g.instance) d.add(memberHash(id, g.instance));
    return d;
  }

  private selfHash(): readonly [number, number] {
    const id = this.host.subjects()?.id ?? '';
    if (this.ownHash?.id !== id) this.ownHash = { id, hash: memberHash(id, this.instance) };
    return this.ownHash.hash;
  }

  /** `p`'s instance is `instance` (the digest follows while `p` is a member). */
  private setInstance(p: NatsPeer, instance: string | undefined): void {
    if (instance === undefined || (p.instance === instance && p.hash !== undefined)) return;
    const counted = this.members.get(p.routerId) === p;
    if (counted && p.hash !== undefined) this.digest.remove(p.hash);
    if (p.hash === undefined) this.floor.exclude(p);
    this.unhashed.delete(p.routerId);
    p.instance = instance;
    p.hash = memberHash(p.routerId, instance);
    if (counted) this.digest.add(p.hash);
  }

  /** This router said hello (its first connection, a reconnect). */
  saidHello(): void {
    this.helloAt = Date.now();
  }

  /** Check for silent members every `every` ms from now on. */
  watch(every: number): void {
    this.checkTimer = new PhasedTimer(every, (late) => this.checkSilent(late));
  }

  /** The transport closes: stop the checks, take every member down (`closing`). */
  close(): void {
    this.checkTimer = this.checkTimer?.stop();
    this.queued.close();
    this.unread.clear();
    for (const p of [...this.members.values()]) this.takeDown(p, 'closing');
  }

  /** Heard `id`: its member, made (and brought up) when new; `undefined` when not a member. */
  heard(
    id: string,
    instance: string | undefined,
    hello = false,
    how: Heard = { direct: true },
  ): NatsPeer | undefined {
    const s = this.host.subjects() as BusSubjects;
    if (this.host.leaving()) return undefined;
    const now = Date.now();
    const at = how.at ?? now;
    let p = this.members.get(id);
    let restarted = false;
    if (
      p !== undefined &&
      instance !== undefined &&
      p.instance !== undefined &&
      p.instance !== instance
    ) {
      // News older than what this router knows of the member (a roster's, one read late) is not a restart.
      if (how.at !== undefined && at <= p.lastSeen) return p;
      this.takeDown(p, 'restarted');
      [p, restarted] = [undefined, true];
    }
    if (p !== undefined) {
      if (at > p.lastSeen) p.lastSeen = at;
      if (how.direct && at > p.heardAt) p.heardAt = at;
      this.setInstance(p, instance);
      // A member back from a reconnect: what was published meanwhile never reached it.
      const known = p;
      if (hello) this.host.peerUp(known);
      return known;
    }
    if (how.at !== undefined) {
      // Not a member brought back by news that predates its going (a goodbye, silence).
      const g = this.gone.get(id);
      if (g !== undefined && g.instance === instance && at <= g.at + this.opts.heartbeatMs)
        return undefined;
    }
    if (this.members.size >= this.opts.maxMembers) {
      this.counters.membersRefused++;
      return undefined;
    }
    p = new NatsPeer(id, s.unicastTo(id), at);
    p.floor = this.floor;
    if (how.direct) p.heardAt = at;
    this.members.set(id, p);
    this.setInstance(p, instance);
    if (p.hash === undefined) this.unhashed.add(id);
    this.gone.delete(id);
    this.role.add(id);
    p.up = true;
    debug('%s: member %s up', s.id, id);
    this.host.peerUp(p);
    // Not by its hello: it may hold this router up all along and never send its table unasked (a restart seen late: its table went to the old instance, seed 461).
    if (p.up && !hello && (restarted || now - this.helloAt > this.opts.deadAfterMs))
      this.host.ask(p);
    if (p.up) this.host.connected(p);
    return p;
  }

  private takeDown(p: NatsPeer, reason: NatsDownReason): void {
    if (!p.up) return;
    p.up = false;
    this.unread.delete(p.routerId);
    if (this.members.get(p.routerId) === p) {
      this.members.delete(p.routerId);
      this.unhashed.delete(p.routerId);
      if (p.hash !== undefined) this.digest.remove(p.hash);
      this.role.remove(p.routerId, () => this.members.keys());
      if (this.gone.size < this.opts.maxMembers)
        this.gone.set(p.routerId, { instance: p.instance, at: Date.now() });
    }
    debug('%s: member %s down (%s)', this.host.subjects()?.id, p.routerId, reason);
    this.host.disconnected(p, reason);
  }

  /**
   * No roster told whom its sender hears since `p` was first heard, and `p` is known from its frames
   * alone or this router is no aggregator (it hears no heartbeat): it waits for one (at most
   * `2 × deadAfterMs`). A newcomer hears every member's table before a roster names them (600
   * routers in one process: over `deadAfterMs`); so do lower ids joining one after another (seed 89).
   */
  private unnamed(p: NatsPeer, now: number): boolean {
    if (this.namedAt >= p.since || now - p.since >= 2 * this.opts.deadAfterMs) return false;
    return p.hash === undefined || !this.aggregating();
  }

  /**
   * Members silent for `deadAfterMs` are down. After a stall of this process (SIGSTOP), first read
   * what is queued; while this process lags (a saturated event loop: its checks come late), the
   * lag of the last `deadAfterMs` is added to it (at most `deadAfterMs` more): news it has not read
   * yet is not silence.
   */
  private checkSilent(late: number): void {
    const now = Date.now();
    const d = this.opts.deadAfterMs;
    if (late > d / 2) return; // stalled
    if (late > 0) this.lags.push([now, late]);
    while (this.lags.length > 0 && (this.lags[0] as [number, number])[0] <= now - d)
      this.lags.shift();
    let lag = 0;
    for (const [, l] of this.lags) lag += l;
    // An aggregator hearing everyone late: that lag too (its rosters leave it out of their ages).
    if (this.aggregating()) lag += this.hearingLag;
    const silentAfter = d + Math.min(lag, d);
    const cutoff = now - silentAfter;
    const isSilent = (p: NatsPeer): boolean => p.lastSeen <= cutoff && !this.unnamed(p, now);
    const silent = (): NatsPeer[] => {
      // A recent roster floor covers every member but a few: only those can be silent.
      if (now - this.floor.at >= silentAfter) return [...this.members.values()].filter(isSilent);
      const out = new Set<NatsPeer>();
      for (const ids of [this.floor.uncovered(), this.unhashed])
        for (const id of ids) {
          const p = this.members.get(id);
          if (p !== undefined && isSilent(p)) out.add(p);
        }
      return [...out];
    };
    let down = silent();
    if (down.length > 0 && this.unread.size > 0) {
      // Before calling anyone silent, what the other aggregators heard.
      const unread = [...this.unread];
      this.unread.clear();
      // Not one older than deadAfterMs: it can keep nobody, and its news is stale (seed 17).
      for (const [from, r] of unread) if (now - r.at < d) this.reader.read(from, r.data, r.at);
      down = silent();
    }
    for (const [id, g] of this.gone) if (now - g.at >= this.opts.deadAfterMs) this.gone.delete(id);
    if (down.length === 0 || this.reading) return;
    // First read what the server already sent (a process behind on its socket has not read the rosters
    // that keep them) and entries asked for within an interval (seed 52); those still unseen are silent.
    const takeDown = (): void => {
      this.reading = false;
      if (this.checkTimer === undefined || this.reader.awaiting(Date.now())) return;
      for (const p of [...this.members.values()]) if (isSilent(p)) this.takeDown(p, 'silent');
    };
    const read = this.host.readQueued();
    if (read === undefined) return takeDown();
    this.reading = true;
    void this.queued.wait(read).then(takeDown);
  }

  /** A presence message (a hello, a goodbye, or a heartbeat to this aggregator). */
  presence(m: Msg): void {
    const from = BusSubjects.sender(m.subject);
    const presence = parsePresence(m.data);
    if (from === undefined || presence === undefined) {
      this.counters.ignored++;
      return;
    }
    this.counters.heartbeatsIn++;
    if (from === this.host.subjects()?.id) {
      // noEcho: this is another process with the same router id.
      if (presence.i !== this.instance)
        this.host.reportError(
          new Error(`another router uses the id ${from} on the bus ${this.opts.prefix}`),
        );
      return;
    }
    if (presence.bye) {
      const p = this.members.get(from);
      if (p !== undefined && (p.instance === undefined || p.instance === presence.i))
        this.takeDown(p, 'left');
      return;
    }
    const p = this.heard(from, presence.i, presence.hello);
    if (p === undefined) return;
    p.headsOnly = presence.q;
    const now = Date.now();
    const self = this.host.subjects()?.id;
    if (presence.full !== self || !this.role.active(self, now)) return;
    // At most one whole roster per member and half interval: asking cannot flood.
    if (now - p.fullSentAt < this.opts.heartbeatMs / 2) return;
    p.fullSentAt = now;
    this.host.sendRoster(p);
  }

  /** A whole roster an aggregator sent this member alone (it asked). */
  fullRosterIn(m: Msg): void {
    this.reader.read(BusSubjects.sender(m.subject), m.data, Date.now());
  }

  /** An aggregator's roster: its sender is heard, and every member it lists as heard then. */
  rosterIn(m: Msg): void {
    const from = BusSubjects.sender(m.subject);
    const lowest = this.role.lowest;
    if (from !== undefined && lowest !== undefined && from > lowest && this.members.has(from)) {
      // Not the lowest aggregator's while that one is a member: kept, read if a member would go silent.
      this.counters.rostersIn++;
      this.unread.set(from, { data: m.data.slice(), at: Date.now() });
      this.heard(from, undefined);
      return;
    }
    this.reader.read(from, m.data, Date.now());
  }
}
