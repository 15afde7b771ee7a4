/**
 * Registration claims (PROTOCOL.md section 5, "Confirming a registrant"): a
 * REGISTER from a router says in `claim` the sequence number from which that
 * router's own advert lists the registering virtual node (and, with
 * identities, signs it). The host takes the claim as the registrant's word
 * until the table can speak for itself — so a registration answers within a
 * round trip instead of waiting for the registrant's paced advert:
 *
 * - confirmed: the virtual node becomes routable (its advert arrived);
 * - refuted: the origin is unreachable, or the host stores an advert of the
 *   origin at or above the claimed seq that does not list the virtual node,
 *   or `registrationWaitMs` passed first. A registration made on a refuted
 *   claim then runs the usual lease (`leaseGraceMs`) and is released.
 *
 * At most `claimsMax(maxWaitingRegistrations)` claims stand at once (4 096 by
 * default), shared fairly per origin as the waiting REGISTERs are (waiting.ts,
 * `fairAdmit`); past that, a REGISTER waits for the advert as before (and its
 * own share of the waiting list applies). The pool is four times the waiting
 * list's because a claim is cheap (a name, a seq, a timer: no message kept)
 * and a legitimate burst of one router — 1,000 registrations at once, the
 * `register` benchmark — must fit under half of it, the part one origin may
 * take past its share: with a pool of 1,024, half the burst waited for the
 * paced advert (about 1 s) instead of answering within a round trip.
 */
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';
import { fairAdmit, waitingShare } from './waiting.js';

/** Standing claims at once for a `maxWaitingRegistrations` of `maxWaiting`: four times it. */
export function claimsMax(maxWaiting: number): number {
  return maxWaiting * 4;
}

interface Claim {
  origin: string;
  seq: number;
  timer: CtpTimerHandle;
}

/** What the claims need of the table. */
export interface CtpClaimTable {
  isReachableName(name: string): boolean;
  isReachable(origin: string): boolean;
  stored(origin: string): { seq: number } | undefined;
}

export class CtpRegisterClaims {
  private readonly claims = new Map<string, Claim>();
  /** Standing claims per origin. */
  private readonly perOrigin = new Map<string, number>();
  private readonly share: number;

  constructor(
    private readonly timers: CtpTimers,
    private readonly max: number,
    private readonly waitMs: number,
    /** A claim that was refuted, or ran out (the virtual node may be routable by then: check). */
    private readonly refuted: (name: string) => void,
  ) {
    this.share = waitingShare(max);
  }

  /** Claims standing now for `origin`. */
  heldBy(origin: string): number {
    return this.perOrigin.get(origin) ?? 0;
  }

  get size(): number {
    return this.claims.size;
  }

  /** Does a claim stand for `name`? */
  has(name: string): boolean {
    return this.claims.has(name);
  }

  /**
   * Can a claim that `origin` lists `name` from `seq` on stand now? Only for
   * a reachable origin whose stored advert is older than `seq`, and while
   * there is room.
   */
  admissible(table: CtpClaimTable, name: string, origin: string, seq: number): boolean {
    if (
      !this.claims.has(name) &&
      !fairAdmit(this.heldBy(origin), this.claims.size, this.max, this.share)
    )
      return false;
    if (!table.isReachable(origin)) return false;
    return (table.stored(origin)?.seq ?? -1) < seq;
  }

  /** Record the claim (a newer claim for the same name replaces the older). */
  add(name: string, origin: string, seq: number): void {
    const old = this.claims.get(name);
    if (old !== undefined) {
      this.timers.clear(old.timer);
      this.count(old.origin, -1);
    }
    this.count(origin, 1);
    const timer = this.timers.set(() => this.end(name, true), this.waitMs);
    this.claims.set(name, { origin, seq, timer });
  }

  /** The table changed: end the claims it now confirms or refutes. */
  review(table: CtpClaimTable): void {
    if (this.claims.size === 0) return;
    for (const [name, c] of this.claims) {
      if (table.isReachableName(name)) this.end(name, false);
      else if (!table.isReachable(c.origin) || (table.stored(c.origin)?.seq ?? -1) >= c.seq)
        this.end(name, true);
    }
  }

  private end(name: string, refuted: boolean): void {
    const c = this.claims.get(name);
    if (c === undefined) return;
    this.timers.clear(c.timer);
    this.claims.delete(name);
    this.count(c.origin, -1);
    if (refuted) this.refuted(name);
  }

  clear(): void {
    for (const c of this.claims.values()) this.timers.clear(c.timer);
    this.claims.clear();
    this.perOrigin.clear();
  }

  private count(origin: string, by: number): void {
    const n = this.heldBy(origin) + by;
    if (n > 0) this.perOrigin.set(origin, n);
    else this.perOrigin.delete(origin);
  }
}
