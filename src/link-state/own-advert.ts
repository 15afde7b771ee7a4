/**
 * The own advert (PROTOCOL.md section 7), for flooding.ts: its room under
 * `maxNodesPerAdvert` and `maxFrameBytes`, when a change of it goes out (the
 * own token bucket, new links coalesced, the copy last sent while a change
 * waits), and restart healing with its rate limit (the third heal within ten
 * seconds is an id conflict).
 */
import createDebug from 'debug';
import { CtpTokenBucket } from './advert-pacing.js';
import {
  ADVERT_PACING,
  ADVERT_REFRESH,
  type CtpTimerHandle,
  type CtpTimers,
} from '../base/clock.js';
import { argumentError } from '../base/errors.js';
import { sameSet } from './routes.js';
import type { CtpAdvert } from '../base/messages.js';
import type { CtpOutbound } from '../wire/outbound.js';
import { refreshMs, type CtpAdvertAuth } from './signing.js';
import type { CtpTable } from './table.js';

// Heals are logged under flooding, as they were before this part had a module.
const debug = createDebug('ctp:flooding');

const HEAL_INTERVAL_MS = 1_000;
const HEAL_CONFLICT_INTERVAL_MS = 60_000;
const HEAL_WINDOW_MS = 10_000;
// New links past the own bucket's burst wait at most this long: a storm of them is coalesced, a link is not held up.
const NEW_LINKS_COALESCE_MS = 20;
// Room for the REPORTNODE envelope around the own advert's lists.
const ADVERT_OVERHEAD_BYTES = 512;

function jsonBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s)) + 1;
}

/** The own advert of a `CtpFlooding`, which holds one and sends what it publishes. */
export class CtpOwnAdvert<P> {
  private ownNodeBytes = 0;
  private healTimer: CtpTimerHandle | undefined;
  private healFloor = 0;
  private lastHealAt = -Infinity;
  private healHistory: number[] = [];
  private idConflict = false;
  /** The own advert last sent, and when: changes within the interval wait for it to pass. */
  private published: CtpAdvert | undefined;
  private publishedAt = -Infinity;
  private ownTimer: CtpTimerHandle | undefined;
  private ownTimerAt = Infinity;
  /** Signed adverts (issue 25): the own advert is re-signed (new seq and time) when this fires. */
  private refreshTimer: CtpTimerHandle | undefined;
  /** New links past the own bucket go out by then (coalesced). */
  private linksDueAt: number | undefined;
  /** The own adverts' token bucket (neighbor changes wait for a token). */
  private readonly ownBucket: CtpTokenBucket;
  /** The own lists changed and their advert waits for the interval: `table.ownAdvert()` is not what peers know. */
  ownPaced = false;

  constructor(
    private readonly table: CtpTable<P>,
    private readonly out: CtpOutbound<P>,
    private readonly timers: CtpTimers,
    /** `CtpFloodingOptions` (flooding.ts): the own advert's limits and interval. */
    private readonly opts: {
      maxNodesPerAdvert: number;
      maxFrameBytes: number;
      minAdvertIntervalMs: number;
      staleAdvertMs: number;
    },
    /** `CtpFloodingHooks` (flooding.ts): the update loop, and an id conflict found by healing. */
    private readonly hooks: { update(): void; idConflict(): void },
    /** Signs the own advert (issue 9); its signature's bytes count against `maxFrameBytes`. */
    private readonly auth: CtpAdvertAuth<P>,
    /** Sends adverts to every peer (flooding.ts, in frames under `maxFrameBytes`). */
    private readonly broadcast: (adverts: CtpAdvert[]) => void,
  ) {
    this.ownBucket = new CtpTokenBucket(opts.minAdvertIntervalMs);
  }

  /** Add own nodes (devices or virtual nodes); returns those that were new. */
  addOwn(names: readonly string[]): string[] {
    const added = this.table.addLocal(names);
    for (const n of added) this.ownNodeBytes += jsonBytes(n);
    return added;
  }

  /** Remove own nodes; returns those that were there. */
  removeOwn(names: readonly string[]): string[] {
    const removed = this.table.removeLocal(names);
    for (const n of removed) this.ownNodeBytes -= jsonBytes(n);
    return removed;
  }

  /** Would the own advert stay within `maxNodesPerAdvert` and `maxFrameBytes` with `names` added? */
  hasRoom(names: readonly string[]): boolean {
    let count = this.table.localCount();
    let bytes = this.ownNodeBytes;
    for (const n of names) {
      if (this.table.hasLocal(n)) continue;
      count++;
      bytes += jsonBytes(n);
    }
    const neighborBytes = this.table.neighborIds().reduce((s, id) => s + id.length + 3, 0);
    const signature = this.auth.ownOverheadBytes;
    return (
      count <= this.opts.maxNodesPerAdvert &&
      bytes + neighborBytes + ADVERT_OVERHEAD_BYTES + signature <= this.opts.maxFrameBytes
    );
  }

  /** `hasRoom`, or a `CtpArgumentError` naming the limits. */
  assertRoom(names: readonly string[]): void {
    if (!this.hasRoom(names))
      throw argumentError(
        'names',
        `within the own advert's limits (too-many-nodes: maxNodesPerAdvert ${this.opts.maxNodesPerAdvert}, maxFrameBytes ${this.opts.maxFrameBytes})`,
        `${names.length} more names`,
      );
  }

  /**
   * Broadcast the own advert when it changed: at most once per twice
   * `minAdvertIntervalMs` (the last state wins), as OSPF's MinLSInterval
   * exceeds its MinLSArrival, so that despite the jitter of the paths
   * receivers do not hold the own adverts back (advert-pacing.ts). Node
   * changes may wait: registrations do not ride on them (PROTOCOL.md
   * section 5, "Confirming a registrant"). New links go out at once while
   * the own bucket has a token (two, one back per interval), else within
   * 20 ms: routes need both ends of a new link, but a burst of new links
   * costs an advert per 20 ms, not one per link to every peer. Other changes
   * of neighbors go out at once.
   */
  flushOwn(): void {
    if (!this.table.ownDirty) return;
    const now = this.timers.now();
    const published = this.published;
    let wait = 0;
    if (published !== undefined) {
      const neighbors = this.table.neighborIds();
      if (sameSet(published.neighbors, new Set(neighbors)))
        wait = Math.max(
          this.ownBucket.waitMs(now),
          this.publishedAt + 2 * this.opts.minAdvertIntervalMs - now,
        );
      else if (this.onlyNewLinks(published.neighbors, neighbors) && this.ownBucket.waitMs(now) > 0)
        wait = (this.linksDueAt ??= now + NEW_LINKS_COALESCE_MS) - now;
    }
    if (wait > 0) {
      this.ownPaced = true;
      if (this.ownTimer !== undefined && this.ownTimerAt <= now + wait) return;
      this.timers.clear(this.ownTimer);
      this.ownTimerAt = now + wait;
      this.ownTimer = this.timers.set(
        () => {
          this.ownTimer = undefined;
          this.ownTimerAt = Infinity;
          this.ownPaced = false;
          this.hooks.update();
        },
        Math.ceil(wait),
        false,
        ADVERT_PACING,
      );
      return;
    }
    this.ownPaced = false;
    const advert = this.table.reoriginate();
    if (advert !== undefined) this.publish(advert);
  }

  /**
   * Does `now` only add point-to-point neighbors to `before`? Only such a
   * change waits for a token: a lost neighbor must leave the routes at once,
   * and a medium's DR change must reach the members at once (delayed, the
   * members' choices went round in circles: simulator seed 468).
   */
  private onlyNewLinks(before: readonly string[], now: readonly string[]): boolean {
    const set = new Set(now);
    if (before.some((n) => !set.has(n))) return false;
    const pseudo = this.table.media?.attached();
    return pseudo === undefined || now.every((n) => !pseudo.has(n) || before.includes(n));
  }

  /** Send a new own advert to every peer. */
  private publish(advert: CtpAdvert): void {
    this.published = advert;
    this.publishedAt = this.timers.now();
    this.linksDueAt = undefined;
    this.ownBucket.take(this.publishedAt);
    this.broadcast([this.auth.own(advert)]);
    if (this.auth.signs) {
      // Re-originated well inside `staleAdvertMs`: others drop a copy signed longer ago.
      this.timers.clear(this.refreshTimer);
      this.refreshTimer = this.timers.set(
        () => {
          this.refreshTimer = undefined;
          this.table.touchOwn();
          this.hooks.update();
        },
        refreshMs(this.opts.staleAdvertMs),
        false,
        ADVERT_REFRESH,
      );
    }
  }

  /** The own advert as peers may know it: while a change waits (`ownPaced`), the one last sent. */
  ownForWire(): CtpAdvert {
    return this.ownPaced && this.published !== undefined ? this.published : this.table.ownAdvert();
  }

  /** Is `a` the own advert as last sent (same seq, same lists)? */
  isPublished(a: CtpAdvert): boolean {
    const p = this.published;
    return (
      p !== undefined &&
      a.seq === p.seq &&
      sameSet(a.nodes, new Set(p.nodes)) &&
      sameSet(a.neighbors, new Set(p.neighbors))
    );
  }

  /** Restart healing, rate limited (PROTOCOL.md section 7). */
  heal(seq: number): void {
    this.healFloor = Math.max(this.healFloor, seq);
    if (this.healTimer !== undefined) return;
    const interval = this.idConflict ? HEAL_CONFLICT_INTERVAL_MS : HEAL_INTERVAL_MS;
    const wait = this.lastHealAt + interval - this.timers.now();
    if (wait <= 0) this.doHeal();
    else this.healTimer = this.timers.set(() => this.doHeal(), wait);
  }

  private doHeal(): void {
    this.healTimer = undefined;
    if (this.out.closed || this.healFloor < this.table.seq) return;
    const now = this.timers.now();
    this.lastHealAt = now;
    this.healHistory = this.healHistory.filter((t) => now - t < HEAL_WINDOW_MS);
    this.healHistory.push(now);
    const advert = this.table.healAbove(this.healFloor);
    debug('%s heals its advert to seq %d', this.table.id, advert.seq);
    this.ownPaced = false;
    this.publish(advert);
    if (!this.idConflict && this.healHistory.length >= 3) {
      this.idConflict = true;
      this.hooks.idConflict();
    }
  }

  /** Forget the timers (`CtpFlooding.close` clears them all). */
  close(): void {
    this.healTimer = undefined;
    this.ownTimer = undefined;
    this.ownTimerAt = Infinity;
    this.refreshTimer = undefined;
  }
}
