/**
 * Rosters without their entries (docs/nats.md "Presence"). A roster of N
 * entries to N members an interval is N² bytes a second: 106 MB/s for 1,000
 * routers, more than one process hosting them reads. So while every member
 * it lists reads heads alone (`"q":1` in its heartbeats), an aggregator
 * publishes only the head, with what it listed lately and no longer lists
 * (`RosterChanges`); a member whose own members, with those changes, give
 * the head's digest reads the head alone (`reconcile`), and one still apart
 * asks the aggregator for the entries, which come to it alone.
 */
import type { NatsPeer } from './peer.js';
import {
  formatRoster,
  memberHash,
  RosterDigest,
  type RosterChangeLists,
  type RosterEntry,
  type RosterHead,
} from './presence.js';

/** More changes than this in one head, and than half its entries: the entries go instead (an aggregator that just started, a split healing). @internal */
export const MAX_HEAD_CHANGES = 32;

/** The aggregator's side: what its rosters listed lately and no longer list. @internal */
export class RosterChanges {
  /** What the last roster listed: instance by id. */
  private listed = new Map<string, string>();
  /** Listed since `at` (this instance), by id. */
  private readonly added = new Map<string, { instance: string; at: number }>();
  /** No longer listed since `at` (this instance), by id. */
  private readonly removed = new Map<string, { instance: string; at: number }>();

  /**
   * This roster lists `entries` at `now`: the changes of the last `windowMs`
   * against what is listed now, or `undefined` when there are more than
   * `MAX_HEAD_CHANGES` (the entries must go).
   */
  update(
    entries: readonly RosterEntry[],
    now: number,
    windowMs: number,
  ): RosterChangeLists | undefined {
    const current = new Map<string, RosterEntry>();
    for (const e of entries) {
      current.set(e.id, e);
      const before = this.listed.get(e.id);
      if (before === e.instance) continue;
      this.added.set(e.id, { instance: e.instance, at: now });
      if (before !== undefined) this.removed.set(e.id, { instance: before, at: now });
    }
    for (const [id, instance] of this.listed)
      if (!current.has(id)) this.removed.set(id, { instance, at: now });
    this.listed = new Map(entries.map((e) => [e.id, e.instance]));
    const n: [string, string, number][] = [];
    const g: [string, string][] = [];
    for (const [id, c] of this.added) {
      const e = current.get(id);
      if (now - c.at > windowMs || e?.instance !== c.instance) this.added.delete(id);
      else n.push([id, e.instance, e.age]);
    }
    for (const [id, c] of this.removed) {
      if (now - c.at > windowMs || current.get(id)?.instance === c.instance)
        this.removed.delete(id);
      else g.push([id, c.instance]);
    }
    // Worth it while the changes are fewer than half the entries (a bus forming: one join after another).
    const most = Math.max(MAX_HEAD_CHANGES, entries.length / 2);
    return n.length + g.length > most ? undefined : { n, g };
  }
}

/** How a member reads a head whose digest is not its own (`reconcile`). @internal */
export interface RosterReconciled {
  /** Entries of `n` this member does not have (to bring up, or to learn the instance of). */
  bring: (readonly [string, string, number])[];
  /** Members the roster does not list: not kept alive by it. */
  unlisted: Set<string>;
}

/**
 * Does `head` list this member's members (`members`, whose digest with
 * itself, `self`, is `digest`) once its changes are applied (`sender`: its aggregator)? First with `n` and `g`;
 * then also without the members this member heard first within `youngMs`
 * (a hello that crossed the roster). `undefined`: still apart — the entries
 * must be read.
 */
export function reconcile(
  head: RosterHead,
  self: string,
  sender: string,
  members: ReadonlyMap<string, NatsPeer>,
  digest: RosterDigest,
  now: number,
  youngMs: number,
): RosterReconciled | undefined {
  const d = digest.copy();
  const bring: (readonly [string, string, number])[] = [];
  const unlisted = new Set<string>();
  const fresh = new Set<string>([sender]); // the sender is in its digest: never young
  for (const [id, instance] of head.g) {
    const p = id === self ? undefined : members.get(id);
    if (p?.hash === undefined || p.instance !== instance) continue;
    d.remove(p.hash);
    unlisted.add(id);
  }
  for (const e of head.n) {
    const [id, instance] = e;
    if (id === self) continue; // in `digest` already
    fresh.add(id);
    const p = members.get(id);
    if (p?.hash !== undefined && p.instance === instance) continue;
    if (p?.hash !== undefined && !unlisted.has(id)) {
      d.remove(p.hash); // its other instance is not listed
      unlisted.add(id);
    }
    d.add(memberHash(id, instance));
    bring.push(e);
  }
  if (d.toString() === head.d) return { bring, unlisted };
  for (const p of members.values())
    if (
      p.hash !== undefined &&
      !fresh.has(p.routerId) &&
      !unlisted.has(p.routerId) &&
      now - p.since < youngMs
    ) {
      d.remove(p.hash);
      unlisted.add(p.routerId);
    }
  return d.toString() === head.d ? { bring, unlisted } : undefined;
}

/**
 * How late an aggregator hears the heartbeats (`rosterOf`): the lower quartile of its entries'
 * ages beyond one interval, at most `deadAfterMs`; 0 while a quarter of the members are heard
 * within an interval (members dying do not move it unless three quarters die at once). @internal
 */
export function hearingLag(
  ages: number[],
  opts: { heartbeatMs: number; deadAfterMs: number },
): number {
  // The lower quartile, not the median: with two members heard the median was the later one, so
  // the growing age of one that died passed for this process's lag, and its death was noticed up
  // to 2 deadAfterMs late (presence simulator, seed 2). With fewer than three heard, no lag.
  if (ages.length < 3) return 0;
  const sorted = ages.slice().sort((x, y) => x - y);
  const quartile = sorted[(sorted.length - 1) >> 2] as number;
  return Math.min(opts.deadAfterMs, Math.max(0, quartile - opts.heartbeatMs));
}

/**
 * An aggregator's roster (`instance`, its share of the digest `self`): every
 * member it heard itself within `deadAfterMs`; without its entries when every
 * one it lists reads heads alone and `changes` (updated here) are few. No
 * `changes`: with its entries (a member asked for them). While it hears every
 * member late (`hearingLag`: its own process saturated, the heartbeats queued
 * behind other work), the ages it publishes leave that lag out: a dead member
 * is still listed late, then dropped, at most `deadAfterMs` later than it
 * would be. `lag`: that lag (its own silence check allows it too). @internal
 */
export function rosterOf(
  members: Iterable<NatsPeer>,
  instance: string,
  self: readonly [number, number],
  opts: { heartbeatMs: number; deadAfterMs: number },
  changes: RosterChanges | undefined,
  /** Its sender has not listened to the heartbeats for an interval yet (aggregators.ts). */
  cold = false,
): { text: string; lag: number } {
  const now = Date.now();
  const heard: { p: NatsPeer; age: number }[] = [];
  for (const p of members) {
    const age = now - p.heardAt;
    // Over every member it heard itself within 2 deadAfterMs, not only within deadAfterMs: heard
    // 3 s late, an aggregator of 660 listed nobody, and every member took every other down.
    if (
      p.up &&
      p.instance !== undefined &&
      p.hash !== undefined &&
      p.heardAt > 0 &&
      age < 2 * opts.deadAfterMs
    )
      heard.push({ p, age });
  }
  const lag = hearingLag(
    heard.map((h) => h.age),
    opts,
  );
  const entries: RosterEntry[] = [];
  const listed = new RosterDigest();
  listed.add(self);
  let headsOnly = true;
  for (const { p, age } of heard) {
    if (age - lag >= opts.deadAfterMs) continue;
    entries.push({ id: p.routerId, instance: p.instance as string, age: Math.max(0, age - lag) });
    listed.add(p.hash as readonly [number, number]);
    headsOnly &&= p.headsOnly;
  }
  const lists = changes?.update(entries, now, 2 * opts.heartbeatMs);
  const late = opts.heartbeatMs * 1.5;
  const text = formatRoster(
    instance,
    entries,
    listed.toString(),
    late,
    headsOnly ? lists : undefined,
    cold,
  );
  return { text, lag };
}
