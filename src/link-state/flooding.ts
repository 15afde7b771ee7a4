/**
 * Flooding (PROTOCOL.md section 7): adverts from peers (store, flood, send the
 * newer copy back, heal the own origin), table exchange split into frames
 * under `maxFrameBytes`, regained adverts, and the expiry of stale ones. The
 * own advert (its room, pacing and healing with its rate limit) is a
 * CtpOwnAdvert (own-advert.ts), reached through this class.
 */
import createDebug from 'debug';
import { CtpAdvertPacer, type CtpQueuedAdvert } from './advert-pacing.js';
import { ADVERT_PACING, ADVERT_REFRESH, CtpTimers, type CtpTimerHandle } from '../base/clock.js';
import type { CtpAdvert } from '../base/messages.js';
import type { CtpOutbound } from '../wire/outbound.js';
import type { CtpReport } from '../wire/report.js';
import { CtpOwnAdvert } from './own-advert.js';
import { tableAdmit, tableShare } from './quotas.js';
import type { CtpTableSkip } from './media.js';
import type { CtpAdvertAuth } from './signing.js';
import type { CtpTable, CtpTableDelta } from './table.js';

/** A medium's pseudo-node advert of more members than this is originated less often than every `minAdvertIntervalMs` (`originate`). */
export const PSEUDO_NODE_PACED_MEMBERS = 250;

const debug = createDebug('ctp:flooding');

// PROTOCOL.md section 7: an advert more than 2^43 ms ahead of the clock is malformed.
const SEQ_AHEAD_LIMIT = 2 ** 43;

export interface CtpFloodingOptions {
  maxNodesPerAdvert: number;
  maxFrameBytes: number;
  staleAdvertMs: number;
  /** Issue 10: an origin's adverts applied at most once per interval; the own one sent at most as often. */
  minAdvertIntervalMs: number;
  /** Issue 10: node names stored across all origins (held adverts included); issue 25: past half of it, one origin holds at most its share (quotas.ts). */
  maxTableNodes: number;
}

export interface CtpFloodingHooks<P = unknown> {
  /** Settle the consequences of a table change (the router's update loop). */
  update(): void;
  /** The third heal within ten seconds: another router uses this id. */
  idConflict(): void;
  /**
   * A peer on the broadcast medium `origin` is a member (or the pseudo-node)
   * of (src/link-state/media.ts): every member has its advert from it directly, so a
   * regained copy is not sent on the medium again.
   */
  mediumPeer?(origin: string): P | undefined;
  /** The advert of `origin` just stored came from `peer` (media.ts `heard`: M6). */
  heard?(origin: string, peer: P): void;
}

export class CtpFlooding<P> {
  /** Origins whose advert the current update already flooded (a regained one is then not sent twice). */
  private readonly floodedNow = new Set<string>();
  private staleTimer: CtpTimerHandle | undefined;
  private staleAt = Infinity;
  /** Issue 10: other origins' adverts, at most one applied per interval each (advert-pacing.ts). */
  private readonly pacer: CtpAdvertPacer<P>;
  /**
   * Bound neighbors not reachable when stale adverts were deleted: once one
   * is, it is asked for its table (UPDATENODE). What lay behind it may be
   * among the deleted, and it would never send them again: it has seen no
   * change (simulator seed 1460: a bus whose DR stalled before listing a new
   * member, while that member's copies aged out).
   */
  private readonly askOnGain = new Set<string>();
  /** The own advert: its room, pacing and healing (own-advert.ts). */
  private readonly own: CtpOwnAdvert<P>;
  /** Pseudo-nodes originated here → when last (`originate` paces them). */
  private readonly originated = new Map<string, number>();
  private originTimer: CtpTimerHandle | undefined;

  constructor(
    private readonly table: CtpTable<P>,
    private readonly out: CtpOutbound<P>,
    private readonly timers: CtpTimers,
    private readonly opts: CtpFloodingOptions,
    private readonly hooks: CtpFloodingHooks<P>,
    private readonly report: CtpReport<P>,
    /** Signed adverts (issue 9): signs the own advert, checks and carries the others' signatures. */
    private readonly auth: CtpAdvertAuth<P>,
  ) {
    this.own = new CtpOwnAdvert(table, out, timers, opts, hooks, auth, (adverts) =>
      this.broadcast(adverts),
    );
    this.pacer = new CtpAdvertPacer<P>(
      new CtpTimers(timers.clock),
      opts.minAdvertIntervalMs,
      (due) => this.applyHeld(due),
    );
  }

  // ---- the own advert (own-advert.ts) ----------------------------------------

  /** The own lists changed and their advert waits for the interval: `table.ownAdvert()` is not what peers know. */
  get ownPaced(): boolean {
    return this.own.ownPaced;
  }
  /** Add own nodes (devices or virtual nodes); returns those that were new. */
  addOwn(names: readonly string[]): string[] {
    return this.own.addOwn(names);
  }
  /** Remove own nodes; returns those that were there. */
  removeOwn(names: readonly string[]): string[] {
    return this.own.removeOwn(names);
  }
  /** Would the own advert stay within `maxNodesPerAdvert` and `maxFrameBytes` with `names` added? */
  hasRoom(names: readonly string[]): boolean {
    return this.own.hasRoom(names);
  }
  /** `hasRoom`, or a `CtpArgumentError` naming the limits. */
  assertRoom(names: readonly string[]): void {
    this.own.assertRoom(names);
  }
  /** Broadcast the own advert when it changed, paced by the own token bucket (`CtpOwnAdvert.flushOwn`). */
  flushOwn(): void {
    this.own.flushOwn();
  }

  /**
   * Adverts this router originates for another origin (a broadcast medium's
   * pseudo-node, src/link-state/media.ts): store and broadcast, at most once per
   * `minAdvertIntervalMs` each, as the own advert. One due sooner waits: the
   * next update re-originates it with every join or leave of the interval (a
   * bus forming: one advert of N members to N members per interval, not per join).
   * Past `PSEUDO_NODE_PACED_MEMBERS` members it grows with them (N ids to N members: N² decoded).
   */
  originate(adverts: readonly CtpAdvert[]): void {
    const now = this.timers.now();
    const due = adverts.filter((a) => {
      const gap =
        this.opts.minAdvertIntervalMs * Math.max(1, a.neighbors.length / PSEUDO_NODE_PACED_MEMBERS);
      const wait = (this.originated.get(a.origin) ?? -Infinity) + gap - now;
      if (wait > 0)
        this.originTimer ??= this.timers.set(
          () => {
            this.originTimer = undefined;
            this.table.touchTopology();
            this.hooks.update();
          },
          wait,
          false,
          ADVERT_PACING,
        );
      return wait <= 0;
    });
    // Signed with this router's identity, when it has one (the pseudo-node's id names its DR: signing.ts).
    const stored = due
      .map((a) => this.auth.signed(a))
      .filter((a) => this.table.applyAdvert(a, now) === 'stored');
    for (const a of stored) {
      this.auth.stored(a);
      this.floodedNow.add(a.origin);
      this.originated.set(a.origin, now);
    }
    if (stored.length > 0) this.broadcast(stored);
  }

  // ---- adverts from peers ---------------------------------------------------

  /** A REPORTNODE's adverts from a bound peer. */
  onAdverts(peer: P, adverts: CtpAdvert[]): void {
    const now = this.timers.now();
    const flood: CtpAdvert[] = [];
    const back: CtpAdvert[] = [];
    let total: number | undefined;
    for (const a of adverts) {
      if (a.nodes.length > this.opts.maxNodesPerAdvert) {
        this.report.drop(peer, 'too-many-nodes', { t: 'REPORTNODE', origin: a.origin });
        continue;
      }
      if (a.seq - now > SEQ_AHEAD_LIMIT) {
        this.report.drop(peer, 'malformed', {
          t: 'REPORTNODE',
          origin: a.origin,
          message: '`seq` is too far ahead of the clock',
        });
        continue;
      }
      if (!this.auth.admit(peer, a, now)) continue;
      const stored = a.origin === this.table.id ? undefined : this.table.stored(a.origin);
      if (a.origin === this.table.id) {
        // Our own advert as last sent, while a change waits for its interval: nothing to heal.
        if (this.own.ownPaced && this.own.isPublished(a)) continue;
      } else if (stored === undefined || a.seq > stored.seq) {
        // Newer: held back when its origin's interval has not passed; bounded by `maxTableNodes`.
        const held = this.pacer.queued(a.origin);
        if (held !== undefined && a.seq <= held.seq) continue;
        const wait = this.pacer.mustWait(a.origin, now);
        const replaced = wait ? (held?.nodes.length ?? 0) : (stored?.nodes.length ?? 0);
        total ??= this.storedNames();
        // Per-origin shares of the pool (quotas.ts): a big advert only while the table is half empty.
        const max = this.opts.maxTableNodes;
        const after = total - replaced + a.nodes.length;
        if (a.nodes.length > replaced && !tableAdmit(a.nodes.length, after, max, tableShare(max))) {
          this.report.drop(peer, 'table-full', { t: 'REPORTNODE', origin: a.origin });
          continue;
        }
        total += a.nodes.length - replaced;
        if (wait) {
          this.pacer.hold(a, peer);
          continue;
        }
      }
      switch (this.table.applyAdvert(a, now)) {
        case 'stored':
          this.auth.stored(a);
          this.hooks.heard?.(a.origin, peer);
          flood.push(a);
          this.floodedNow.add(a.origin);
          this.pacer.applied(a.origin, now);
          break;
        case 'older': {
          // As OSPF does: send the newer stored copy back, so a restarted
          // router learns its old sequence number.
          const s = this.table.stored(a.origin);
          if (s !== undefined) back.push(this.auth.wire(s));
          break;
        }
        case 'own-heal':
          this.own.heal(a.seq);
          break;
        case 'too-many-routers':
          this.report.drop(peer, 'too-many-routers', { t: 'REPORTNODE', origin: a.origin });
          break;
        default:
          break;
      }
    }
    if (flood.length > 0) this.send(null, flood, peer);
    if (back.length > 0) this.send(peer, back);
    this.hooks.update();
  }

  /** Node names in every stored advert and every held one (`maxTableNodes`). */
  private storedNames(): number {
    return this.pacer.queuedNodes + this.table.storedNodes;
  }

  /** Held adverts whose interval has passed: apply and flood them (not back to their peer). */
  private applyHeld(due: CtpQueuedAdvert<P>[]): void {
    if (this.out.closed) return;
    const now = this.timers.now();
    for (const { advert, peer } of due) {
      if (this.table.applyAdvert(advert, now) !== 'stored') continue;
      this.auth.stored(advert);
      this.hooks.heard?.(advert.origin, peer);
      this.pacer.applied(advert.origin, now);
      this.floodedNow.add(advert.origin);
      // Not back to its peer — unless that peer went down meanwhile: then `except` would keep it
      // off a medium whose members it never reached (a bus split away its sender: seed 1478).
      this.send(null, [advert], this.table.boundId(peer) === undefined ? undefined : peer);
    }
    this.hooks.update();
  }

  // ---- table exchange -------------------------------------------------------

  /** Own advert first, then every reachable stored advert (but those `skip` names), nearest first. */
  sendTable(peer: P, skip?: CtpTableSkip): void {
    const list: CtpAdvert[] = [this.auth.own(this.own.ownForWire())];
    for (const origin of skip?.only ?? this.table.reachableOrigins()) {
      if (skip?.skips(origin) === true) continue;
      const s = this.table.stored(origin);
      if (s !== undefined) list.push(this.auth.wire(s));
    }
    this.send(peer, list);
  }

  /** The stored adverts of `origins` to `peer` (null: every peer); nothing when none is stored. */
  sendStored(peer: P | null, origins: readonly string[]): void {
    const list: CtpAdvert[] = [];
    for (const o of origins) {
      const s = this.table.stored(o);
      if (s !== undefined) list.push(this.auth.wire(s));
    }
    if (list.length > 0) this.send(peer, list);
  }

  /** The own advert to every peer (resetTable). */
  broadcastOwn(): void {
    this.broadcast([this.auth.own(this.own.ownForWire())]);
  }

  private broadcast(adverts: CtpAdvert[]): void {
    this.send(null, adverts);
  }

  /**
   * Send adverts in as many REPORTNODE frames as `maxFrameBytes` needs,
   * telling the transport which adverts each carries (and, for a flood, the
   * peer it came from: `CtpSendInfo`).
   */
  private send(peer: P | null, adverts: CtpAdvert[], except?: P): void {
    const max = this.opts.maxFrameBytes;
    const whole = this.out.codec.encode({ v: 1, t: 'REPORTNODE', from: this.table.id, adverts });
    if (adverts.length <= 1 || whole.length * 3 <= max || Buffer.byteLength(whole) <= max) {
      const info = {
        adverts: adverts.map((a) => ({ origin: a.origin, seq: a.seq })),
        ...(except === undefined ? {} : { except }),
      };
      return this.out.frame(peer, whole, undefined, info, 'REPORTNODE');
    }
    const half = Math.ceil(adverts.length / 2);
    this.send(peer, adverts.slice(0, half), except);
    this.send(peer, adverts.slice(half), except);
  }

  // ---- after a table change -------------------------------------------------

  /**
   * Origins that became reachable again: send their stored adverts on. A
   * neighbor whose table exchange happened while they were unreachable here
   * (a partition healing through a new link) has never been sent them, and
   * nothing else would: an unchanged advert is never flooded again (found by
   * the simulator, seed 144; PROTOCOL.md section 7 assumed no re-flooding was needed).
   */
  onDelta(delta: CtpTableDelta): void {
    if (delta.gained.length === 0) return;
    for (const o of this.askOnGain.size > 0 ? delta.gained : []) {
      const peer = this.askOnGain.delete(o) ? this.table.boundPeers().get(o)?.[0] : undefined;
      if (peer !== undefined)
        this.out.message(peer, { v: 1, t: 'UPDATENODE', from: this.table.id });
    }
    const regained: CtpAdvert[] = [];
    let onMedium: Map<P, CtpAdvert[]> | undefined;
    for (const o of delta.gained) {
      const s = this.floodedNow.has(o) ? undefined : this.table.stored(o);
      if (s === undefined) continue;
      const via = this.hooks.mediumPeer?.(o);
      if (via === undefined) regained.push(this.auth.wire(s));
      else (onMedium ??= new Map()).set(via, [...(onMedium.get(via) ?? []), this.auth.wire(s)]);
    }
    if (regained.length > 0) this.broadcast(regained);
    for (const [via, list] of onMedium ?? []) this.send(null, list, via);
  }

  private expired(gone: readonly string[]): void {
    debug('%s deleted stale adverts of %o', this.table.id, gone);
    const bound = this.table.boundPeers();
    for (const id of this.askOnGain) if (!bound.has(id)) this.askOnGain.delete(id);
    for (const id of bound.keys()) if (!this.table.isReachable(id)) this.askOnGain.add(id);
  }

  /** The update loop settled: forget what it flooded, re-arm the stale expiry. */
  settled(): void {
    this.floodedNow.clear();
    this.scheduleStale();
  }

  private scheduleStale(): void {
    if (this.out.closed) return;
    // Unreachable too long, or (signed adverts, issue 25) signed too long ago.
    const unreachable = this.table.nextStaleAt(this.opts.staleAdvertMs);
    const signed = this.auth.nextExpiry();
    const at =
      unreachable === undefined || signed === undefined
        ? (unreachable ?? signed)
        : Math.min(unreachable, signed);
    if (at === this.staleAt) return;
    this.staleTimer = this.timers.clear(this.staleTimer);
    this.staleAt = at ?? Infinity;
    if (at === undefined) return;
    this.staleTimer = this.timers.set(
      () => {
        this.staleTimer = undefined;
        this.staleAt = Infinity;
        // A held advert may make its origins reachable again (a link back while
        // the other end's advert waits): nothing is stale until it is applied.
        if (this.pacer.holding) {
          this.staleTimer = this.timers.set(
            () => this.scheduleStale(),
            this.opts.minAdvertIntervalMs,
          );
          return;
        }
        const now = this.timers.now();
        const old = this.auth.expired(now);
        this.table.expireOrigins(old);
        const gone = [...old, ...this.table.expireStale(now, this.opts.staleAdvertMs)];
        if (gone.length > 0) this.expired(gone);
        this.hooks.update();
        this.scheduleStale();
        // Only a signed advert's age (no unreachable origin due): housekeeping, as its refresh is.
      },
      at - this.timers.now(),
      false,
      unreachable === at ? undefined : ADVERT_REFRESH,
    );
  }

  close(): void {
    this.timers.clearAll();
    this.pacer.close();
    this.own.close();
    this.staleTimer = undefined;
    this.originTimer = undefined;
  }
}
