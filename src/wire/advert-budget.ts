/**
 * The advert byte budget (issue 25, "Big signed adverts"; PROTOCOL.md
 * section 2). Decoding costs a frame's size — `JSON.parse` of one signed
 * 50,000-name advert (about 1 MB) takes tens of milliseconds — so a peer that
 * sends adverts faster than `maxAdvertBytesPerSecond` must not take the
 * router's time from the other peers. Each peer has a token bucket of bytes
 * (rate: that option; depth: `maxFrameBytes`, so a table exchange at link-up
 * passes at once), charged after decoding for every REPORTNODE and every
 * bulk frame that was dropped (it cost its decoding for nothing). While a
 * peer's bucket is in debt, its bulk frames (`BULK_FRAME_BYTES` and more) are
 * held undecoded, in arrival order, up to `maxFrameBytes` of them, and
 * decoded as the bucket refills; past that they are dropped unparsed
 * (`rate-limited`). Its small frames (control traffic) pass at once.
 *
 * A peer is the transport's peer object (one per link), as everywhere in the
 * router. Only peers in debt or with held frames cost memory for long: the
 * rest are forgotten once their bucket is full again.
 */
import { ADVERT_PACING, type CtpClock, CtpTimers, type CtpTimerHandle } from '../base/clock.js';

/** Frames of this many bytes or more are "bulk": held while their peer is over its budget. */
export const BULK_FRAME_BYTES = 64 * 1024;

// Past this many remembered peers, those with a full bucket and nothing held are forgotten.
const PRUNE_AT = 1024;

/** What the budget needs of the wire. */
export interface CtpBudgetDoor<P> {
  /** Admit a held frame now (its peer may have gone down since). */
  release(peer: P, raw: string | Uint8Array): void;
  /** Report a bulk frame dropped unparsed (`rate-limited`). */
  refuse(peer: P): void;
}

interface Bucket {
  tokens: number;
  at: number;
  held: (string | Uint8Array)[];
  heldBytes: number;
  timer: CtpTimerHandle | undefined;
}

/**
 * A frame's size as the budget counts it (UTF-16 code units for a string: its
 * bytes for ASCII JSON); 0 for what is not a frame (admission drops it).
 */
export function frameSize(raw: unknown): number {
  if (typeof raw === 'string') return raw.length;
  return raw instanceof Uint8Array ? raw.byteLength : 0;
}

export class CtpAdvertBudget<P> {
  private readonly buckets = new Map<P, Bucket>();
  private readonly timers: CtpTimers;

  constructor(
    clock: CtpClock,
    /** Bytes a second; 0: no budget. */
    private readonly rate: number,
    /** The bucket's depth and the most a peer may have held (`maxFrameBytes`). */
    private readonly depth: number,
    private readonly door: CtpBudgetDoor<P>,
  ) {
    this.timers = new CtpTimers(clock);
  }

  /**
   * True when `raw` (of `size`) must not be decoded now: held for later, or
   * dropped (reported). Small frames, frames over the depth (`too-large`
   * anyway) and peers within budget pass.
   */
  hold(peer: P, raw: string | Uint8Array, size: number): boolean {
    if (this.rate === 0 || size < BULK_FRAME_BYTES || size > this.depth) return false;
    const b = this.buckets.get(peer);
    if (b === undefined) return false;
    this.refill(b);
    if (b.tokens >= 0 && b.held.length === 0) return false;
    if (b.heldBytes + size > this.depth) {
      this.door.refuse(peer);
      return true;
    }
    b.held.push(raw);
    b.heldBytes += size;
    this.schedule(peer, b);
    return true;
  }

  /** `size` bytes of adverts (or of a bulk frame that was dropped) came from `peer`. */
  charge(peer: P, size: number): void {
    if (this.rate === 0) return;
    let b = this.buckets.get(peer);
    if (b === undefined) {
      if (this.buckets.size >= PRUNE_AT) this.prune();
      b = { tokens: this.depth, at: this.timers.now(), held: [], heldBytes: 0, timer: undefined };
      this.buckets.set(peer, b);
    } else this.refill(b);
    b.tokens -= size;
  }

  /** Frames held now, over every peer (for tests and debugging). */
  get heldFrames(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.held.length;
    return n;
  }

  /** Drop everything held; no timer stays set. */
  close(): void {
    this.timers.clearAll();
    this.buckets.clear();
  }

  private refill(b: Bucket): void {
    const now = this.timers.now();
    if (now > b.at) b.tokens = Math.min(this.depth, b.tokens + ((now - b.at) * this.rate) / 1000);
    b.at = now;
  }

  /** Release `b`'s held frames when its debt is paid. */
  private schedule(peer: P, b: Bucket): void {
    if (b.timer !== undefined) return;
    const wait = b.tokens >= 0 ? 0 : Math.ceil((-b.tokens * 1000) / this.rate);
    b.timer = this.timers.set(() => this.releaseHeld(peer, b), wait, false, ADVERT_PACING);
  }

  private releaseHeld(peer: P, b: Bucket): void {
    b.timer = undefined;
    this.refill(b);
    while (b.held.length > 0 && b.tokens >= 0 && this.buckets.get(peer) === b) {
      const raw = b.held.shift() as string | Uint8Array;
      b.heldBytes -= frameSize(raw);
      this.door.release(peer, raw); // charges `b` again when it was an advert
      this.refill(b);
    }
    if (b.held.length > 0 && this.buckets.get(peer) === b) this.schedule(peer, b);
  }

  private prune(): void {
    for (const [peer, b] of this.buckets) {
      if (b.held.length > 0) continue;
      this.refill(b);
      if (b.tokens >= this.depth) this.buckets.delete(peer);
    }
  }
}
