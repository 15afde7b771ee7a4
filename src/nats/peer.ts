/**
 * `NatsPeer`: another router on the bus, as the router sees it (its `P`).
 */

/** Why a member is down: silent for `deadAfterMs`, it said goodbye (closed), it restarted (a new instance), or this transport closed. */
export type NatsDownReason = 'silent' | 'left' | 'restarted' | 'closing';

/**
 * One member of the bus: one router process (one `instance`), from the first
 * message heard until it goes silent, restarts or this transport closes. A
 * member that comes back is a new `NatsPeer`. @example
 * {@includeCode ../../docs/api-examples/nats.ts#NatsPeer}
 */
export class NatsPeer {
  /** Its random instance id, from its presence messages (`undefined` until the first one). */
  instance: string | undefined;
  private seen: number;
  /** What the last roster read from its head says of every member with an instance. @internal */
  floor: RosterFloor | undefined;
  /** When this router last heard it itself (its own message; 0: only through rosters). */
  heardAt = 0;
  /** Up: handed to the router and not yet taken down. */
  up = false;
  /** Its share of the roster digest (presence.ts `memberHash`), once its instance is known. @internal */
  hash: readonly [number, number] | undefined;
  /** When this router first heard of it (`Date.now()`). @internal */
  readonly since = Date.now();
  /** It reads rosters without entries (`"q":1` in its presence, roster-changes.ts). @internal */
  headsOnly = false;
  /** When this aggregator last sent it a whole roster it asked for. @internal */
  fullSentAt = 0;

  constructor(
    /** Its router id (from the subject it publishes on). */
    readonly routerId: string,
    /** Where frames for it are published. */
    readonly subject: string,
    now: number,
  ) {
    this.seen = now;
  }

  /** When it was last heard (`Date.now()`), by this router or, in a roster, by an aggregator. */
  get lastSeen(): number {
    const f = this.floor;
    return f !== undefined && f.at > this.seen && f.covers(this) ? f.at : this.seen;
  }

  set lastSeen(at: number) {
    this.seen = at;
  }

  /** The member for logs: `bus (<router id>)`. @example
   * {@includeCode ../../docs/api-examples/nats.ts#NatsPeer} */
  toString(): string {
    return `nats:${this.routerId}`;
  }
}

/**
 * The news of the last roster a member read from its head alone: every
 * member with an instance but `except` (late, or not listed) was heard by
 * `at`. Kept once for all members instead of stamped on each: a process
 * hosting N routers stamped N² members an interval. @internal
 */
export class RosterFloor {
  at = 0;
  private except = new Set<string>();

  covers(p: NatsPeer): boolean {
    return p.hash !== undefined && !this.except.has(p.routerId);
  }

  /** Members it does not cover, by id (with the members without an instance, the only ones that can be silent while `at` is recent). */
  uncovered(): ReadonlySet<string> {
    return this.except;
  }

  /** `p` is no longer covered (its instance just became known: no roster said so). */
  exclude(p: NatsPeer): void {
    const seen = p.lastSeen;
    this.except.add(p.routerId);
    p.lastSeen = seen;
  }

  /** A roster says every member of `members` but `except` was heard by `at`. */
  move(at: number, except: Set<string>, members: ReadonlyMap<string, NatsPeer>): void {
    if (at <= this.at) {
      // Older news: it covers only what the floor does not, and only up to `at`.
      for (const id of this.except) {
        const p = members.get(id);
        if (p?.hash !== undefined && !except.has(id) && p.lastSeen < at) p.lastSeen = at;
      }
      return;
    }
    for (const id of except) {
      const p = members.get(id);
      if (p !== undefined) p.lastSeen = p.lastSeen; // what the floor so far gave it, kept
    }
    this.at = at;
    this.except = except;
  }
}
