/**
 * Advert storms (issue 10), as OSPF's MinLSArrival: an origin's adverts are
 * applied (stored and flooded on) at most once per `minAdvertIntervalMs`. A
 * newer advert arriving sooner is not applied at once: the newest one is
 * kept, one per origin, and applied when the interval has passed, so the
 * final table is right and a storm of rising sequence numbers costs one
 * table change and one flood per interval instead of one per advert.
 */
import createDebug from 'debug';
import type { CtpTimerHandle, CtpTimers } from './clock.js';
import type { CtpAdvert } from './messages.js';

const debug = createDebug('ctp:advert-pacing');

/** An advert held back, and the peer it came from (not flooded back to it). */
export interface CtpQueuedAdvert<P> {
  advert: CtpAdvert;
  peer: P;
}

export class CtpAdvertPacer<P> {
  /** origin → when its last advert was applied (only entries younger than the interval matter). */
  private readonly appliedAt = new Map<string, number>();
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
    const at = this.appliedAt.get(origin);
    return at !== undefined && now - at < this.intervalMs;
  }

  /** Hold `advert` back (replacing an older one of the same origin) until its interval has passed. */
  hold(advert: CtpAdvert, peer: P): void {
    const old = this.queue.get(advert.origin);
    if (old !== undefined) this.queuedNodes -= old.advert.nodes.length;
    // Re-inserted: the map stays in order of due time.
    this.queue.delete(advert.origin);
    this.queue.set(advert.origin, { advert, peer });
    this.queuedNodes += advert.nodes.length;
    this.schedule((this.appliedAt.get(advert.origin) ?? this.timers.now()) + this.intervalMs);
  }

  /** An advert of `origin` was applied now. */
  applied(origin: string, now: number): void {
    if (this.intervalMs === 0) return;
    this.appliedAt.delete(origin);
    this.appliedAt.set(origin, now);
    // Entries are in order of time: forget those older than the interval.
    for (const [o, at] of this.appliedAt) {
      if (now - at < this.intervalMs) break;
      if (!this.queue.has(o)) this.appliedAt.delete(o);
    }
  }

  private schedule(at: number): void {
    if (at >= this.timerAt) return;
    this.timers.clear(this.timer);
    this.timerAt = at;
    this.timer = this.timers.set(() => this.fire(), at - this.timers.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.timers.now();
    const due: CtpQueuedAdvert<P>[] = [];
    let next = Infinity;
    for (const [origin, q] of this.queue) {
      const at = (this.appliedAt.get(origin) ?? -Infinity) + this.intervalMs;
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
