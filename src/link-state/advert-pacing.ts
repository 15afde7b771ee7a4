/**
 * Advert storms (issue 10), as OSPF's MinLSArrival: an origin's adverts are
 * applied (stored and flooded on) at most once per `minAdvertIntervalMs`,
 * with a burst of two (a token bucket: two tokens, one back per interval) —
 * a new link costs its far end two adverts in a row, its table's copy and
 * the one that lists the link, and holding the second would delay every
 * route over the link. A newer advert arriving sooner is not applied at
 * once: the newest one is kept, one per origin, and applied when a token is
 * back, so the final table is right and a storm of rising sequence numbers
 * costs one table change and one flood per interval instead of one per advert.
 */

const BURST = 2;
/** Rounding of the token arithmetic. */
const EPSILON = 1e-9;

/** An origin's tokens as of `at`. */
interface Bucket {
  tokens: number;
  at: number;
}
import createDebug from 'debug';
import { ADVERT_PACING, type CtpTimerHandle, type CtpTimers } from '../base/clock.js';
import type { CtpAdvert } from '../base/messages.js';

const debug = createDebug('ctp:advert-pacing');

/** An advert held back, and the peer it came from (not flooded back to it). */
export interface CtpQueuedAdvert<P> {
  advert: CtpAdvert;
  peer: P;
}

export class CtpAdvertPacer<P> {
  /** origin → its tokens (only origins whose bucket is not full matter). */
  private readonly buckets = new Map<string, Bucket>();
  private readonly queue = new Map<string, CtpQueuedAdvert<P>>();
  /** Node names held in the queue (they count toward `maxTableNodes`). */
  queuedNodes = 0;
  private timer: CtpTimerHandle | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly timers: CtpTimers,
    private readonly intervalMs: number,
    /** Apply adverts whose interval has passed (oldest first). */
    private readonly apply: (due: CtpQueuedAdvert<P>[]) => void,
  ) {}

  /** Is any advert held back? */
  get holding(): boolean {
    return this.queue.size > 0;
  }

  /** The advert held back for `origin`, if any. */
  queued(origin: string): CtpAdvert | undefined {
    return this.queue.get(origin)?.advert;
  }

  /** Must a newer advert of `origin`, arriving now, wait? (One already waiting: always.) */
  mustWait(origin: string, now: number): boolean {
    if (this.intervalMs === 0) return false;
    if (this.queue.has(origin)) return true;
    return this.tokens(origin, now) < 1 - EPSILON;
  }

  private tokens(origin: string, now: number): number {
    const b = this.buckets.get(origin);
    return b === undefined ? BURST : Math.min(BURST, b.tokens + (now - b.at) / this.intervalMs);
  }

  /** When `origin` has a token again. */
  private dueAt(origin: string, now: number): number {
    const t = this.tokens(origin, now);
    return t >= 1 - EPSILON ? now : now + (1 - t) * this.intervalMs;
  }

  /** Hold `advert` back (replacing an older one of the same origin) until its interval has passed. */
  hold(advert: CtpAdvert, peer: P): void {
    const old = this.queue.get(advert.origin);
    if (old !== undefined) this.queuedNodes -= old.advert.nodes.length;
    // Re-inserted: the map stays in order of due time.
    this.queue.delete(advert.origin);
    this.queue.set(advert.origin, { advert, peer });
    this.queuedNodes += advert.nodes.length;
    const now = this.timers.now();
    this.schedule(this.dueAt(advert.origin, now));
  }

  /** An advert of `origin` was applied now. */
  applied(origin: string, now: number): void {
    if (this.intervalMs === 0) return;
    const tokens = this.tokens(origin, now) - 1;
    this.buckets.delete(origin);
    this.buckets.set(origin, { tokens, at: now });
    // Entries are in order of time: forget those whose bucket is full again.
    for (const [o, b] of this.buckets) {
      if (b.tokens + (now - b.at) / this.intervalMs < BURST) break;
      if (!this.queue.has(o)) this.buckets.delete(o);
    }
  }

  private schedule(at: number): void {
    if (at >= this.timerAt) return;
    this.timers.clear(this.timer);
    this.timerAt = at;
    this.timer = this.timers.set(
      () => this.fire(),
      Math.ceil(at - this.timers.now()),
      false,
      ADVERT_PACING,
    );
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.timers.now();
    const due: CtpQueuedAdvert<P>[] = [];
    let next = Infinity;
    for (const [origin, q] of this.queue) {
      const at = this.dueAt(origin, now);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      due.push(q);
      this.queue.delete(origin);
      this.queuedNodes -= q.advert.nodes.length;
    }
    if (due.length > 0) debug('applies %d held adverts', due.length);
    if (due.length > 0) this.apply(due);
    if (next !== Infinity) this.schedule(next);
  }

  close(): void {
    this.timers.clearAll();
    this.timer = undefined;
    this.timerAt = Infinity;
    this.queue.clear();
    this.queuedNodes = 0;
  }
}

/**
 * The own adverts' bucket: two, one back per interval — what receivers allow
 * an origin — so that a burst of neighbor changes (a station taking many new
 * links at once) costs a few adverts, not one to every peer per new link
 * (the station's traffic grew as N² frames of N-long neighbor lists).
 */
export class CtpTokenBucket {
  private tokens = BURST;
  private at = -Infinity;

  constructor(private readonly intervalMs: number) {}

  /** Milliseconds until a token is there (0: now). */
  waitMs(now: number): number {
    if (this.intervalMs === 0) return 0;
    const t = this.level(now);
    return t >= 1 - EPSILON ? 0 : (1 - t) * this.intervalMs;
  }

  /** A token was spent now. */
  take(now: number): void {
    if (this.intervalMs === 0) return;
    // No debt: a burst past the bucket (new links coalesced) does not hold back what comes after it.
    this.tokens = Math.max(0, this.level(now) - 1);
    this.at = now;
  }

  private level(now: number): number {
    return this.at === -Infinity
      ? BURST
      : Math.min(BURST, this.tokens + (now - this.at) / this.intervalMs);
  }
}
