/**
 * Advert supersession for an outbound queue (issue 10, advert storms): a
 * REPORTNODE frame still queued toward a peer whose adverts are all
 * superseded by a newer frame's (same origins, seq not above the newer one's)
 * is replaced by that frame instead of queueing behind it. Link-state keeps
 * only the newest advert per origin, so the peer loses nothing, and a storm
 * of rising-seq adverts of one origin keeps one frame per origin in the queue
 * instead of growing it until the link is closed as a slow consumer. Pure: no I/O.
 */

/** One advert a frame carries: its origin and sequence number (`CtpSendInfo.adverts`). */
export interface AdvertKey {
  readonly origin: string;
  readonly seq: number;
}

/** Which queued frames (by queue position) carry which adverts. @internal */
export class AdvertQueueIndex {
  /** Queue position → the adverts of the REPORTNODE frame there. */
  private readonly frames = new Map<number, readonly AdvertKey[]>();
  /** Origin → queue positions of frames carrying one of its adverts (may name positions since replaced). */
  private readonly byOrigin = new Map<string, number[]>();

  /** Frames queued with adverts. */
  get size(): number {
    return this.frames.size;
  }

  /** The frame at `position` carries `adverts`. */
  add(position: number, adverts: readonly AdvertKey[]): void {
    if (adverts.length === 0) return;
    this.frames.set(position, adverts);
    for (const a of adverts) {
      const list = this.byOrigin.get(a.origin);
      if (list === undefined) this.byOrigin.set(a.origin, [position]);
      else list.push(position);
    }
  }

  /**
   * The queue positions (ascending) of the frames a frame carrying `adverts`
   * supersedes; they are forgotten here (the caller replaces them).
   */
  superseded(adverts: readonly AdvertKey[]): number[] {
    if (this.frames.size === 0 || adverts.length === 0) return [];
    const newest = new Map<string, number>();
    for (const a of adverts) {
      const seen = newest.get(a.origin);
      if (seen === undefined || a.seq > seen) newest.set(a.origin, a.seq);
    }
    const out: number[] = [];
    for (const origin of newest.keys()) {
      for (const pos of this.byOrigin.get(origin) ?? []) {
        const keys = this.frames.get(pos);
        if (keys === undefined) continue;
        if (keys.every((k) => k.seq <= (newest.get(k.origin) ?? -Infinity))) {
          this.frames.delete(pos);
          out.push(pos);
        }
      }
    }
    // Positions of replaced frames linger in `byOrigin` lists: drop them when a list grows.
    for (const origin of newest.keys()) {
      const list = this.byOrigin.get(origin);
      if (list !== undefined && list.length > 8)
        this.byOrigin.set(
          origin,
          [...new Set(list)].filter((p) => this.frames.has(p)),
        );
    }
    return out.sort((a, b) => a - b);
  }

  /** The queue was written or dropped. */
  clear(): void {
    if (this.frames.size === 0 && this.byOrigin.size === 0) return;
    this.frames.clear();
    this.byOrigin.clear();
  }
}
