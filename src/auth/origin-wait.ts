/**
 * Frames from an origin not known yet (issue 25, PROTOCOL.md section 12,
 * "An origin not known yet"): with `identity`, a frame addressed to this
 * router can arrive before the originating router's signed advert does (a
 * router that joins and calls at once, its advert paced or on a slower
 * path). It has no key to verify yet, and no route back to answer it on
 * (routes come from signed adverts too), so it waits here — bounded per
 * origin, in all and in bytes, each for `registrationWaitMs` at most (or
 * its own `ttl`, less) — and is delivered again, and verified, as soon as
 * a table change brings the origin's advert. One that waits in vain is
 * dropped (`bad-origin`, or `expired` when its `ttl` ran out first).
 */
import createDebug from 'debug';
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';
import type { CtpMessage } from '../base/messages.js';
import type { CtpReport } from '../wire/report.js';

const debug = createDebug('ctp:origin-wait');

/** Frames that may wait for one origin's advert. */
export const ORIGIN_WAIT_PER_ORIGIN = 32;
/** Frames that may wait in all. */
export const ORIGIN_WAIT_TOTAL = 256;
/** Bytes (JSON characters) that may wait in all; a bigger frame never waits. */
export const ORIGIN_WAIT_BYTES = 4 * 1024 * 1024;

/** One waiting frame. */
interface Held<P> {
  msg: CtpMessage;
  peer: P;
  at: number;
  bytes: number;
  timer: CtpTimerHandle | undefined;
}

export class CtpOriginWait<P> {
  private readonly byOrigin = new Map<string, Held<P>[]>();
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly timers: CtpTimers,
    /** The longest a frame waits (`registrationWaitMs`). */
    private readonly waitMs: number,
    private readonly report: CtpReport<P>,
    /** Does this router now hold a signed advert of `origin`? */
    private readonly known: (origin: string) => boolean,
    /** Hand a frame whose origin became known to routing again (it is verified there). */
    private readonly redeliver: (msg: CtpMessage, peer: P) => void,
  ) {}

  /** Frames waiting now. */
  get size(): number {
    return this.count;
  }

  /** Let `msg` from `peer` wait for `origin`'s advert; a reason when it may not (full). */
  hold(origin: string, msg: CtpMessage, peer: P): string | undefined {
    const list = this.byOrigin.get(origin);
    if ((list?.length ?? 0) >= ORIGIN_WAIT_PER_ORIGIN)
      return 'no signed advert of the origin, and its frames waiting for one are at their cap';
    if (this.count >= ORIGIN_WAIT_TOTAL)
      return 'no signed advert of the origin, and the frames waiting for adverts are at their cap';
    const bytes = JSON.stringify(msg).length;
    if (this.bytes + bytes > ORIGIN_WAIT_BYTES)
      return 'no signed advert of the origin, and the bytes waiting for adverts are at their cap';
    const ttl = (msg as { ttl?: unknown }).ttl;
    const byTtl = typeof ttl === 'number' && ttl < this.waitMs;
    const h: Held<P> = { msg, peer, at: this.timers.now(), bytes, timer: undefined };
    h.timer = this.timers.set(
      () => this.expire(origin, h, byTtl),
      byTtl ? Math.max(0, ttl) : this.waitMs,
      false,
      'origin-wait',
    );
    if (list === undefined) this.byOrigin.set(origin, [h]);
    else list.push(h);
    this.count++;
    this.bytes += bytes;
    debug('%s from %s waits for its advert (%d waiting)', msg.t, origin, this.count);
    return undefined;
  }

  /** The table changed: deliver again, in arrival order, the frames whose origin is now known. */
  recheck(): void {
    if (this.count === 0) return;
    for (const [origin, list] of [...this.byOrigin]) {
      if (!this.known(origin)) continue;
      this.byOrigin.delete(origin);
      const now = this.timers.now();
      for (const h of list) {
        this.forget(h);
        const ttl = (h.msg as { ttl?: unknown }).ttl;
        // `ttl` is not covered by `auth`: the time spent waiting is charged as a relay's residence.
        const msg =
          typeof ttl === 'number' ? ({ ...h.msg, ttl: ttl - (now - h.at) } as CtpMessage) : h.msg;
        this.redeliver(msg, h.peer);
      }
    }
  }

  /** Drop every waiting frame (the router closes). */
  close(): void {
    for (const list of this.byOrigin.values()) for (const h of list) this.forget(h);
    this.byOrigin.clear();
  }

  private forget(h: Held<P>): void {
    h.timer = this.timers.clear(h.timer);
    this.count--;
    this.bytes -= h.bytes;
  }

  private expire(origin: string, h: Held<P>, byTtl: boolean): void {
    h.timer = undefined;
    const list = this.byOrigin.get(origin);
    const i = list?.indexOf(h) ?? -1;
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.byOrigin.delete(origin);
    this.count--;
    this.bytes -= h.bytes;
    this.report.drop(h.peer, byTtl ? 'expired' : 'bad-origin', {
      t: h.msg.t,
      node: (h.msg as { node?: string }).node,
      origin,
      message: byTtl
        ? "the request's ttl ran out while it waited for its origin's signed advert"
        : `no signed advert of the origin arrived within ${this.waitMs} ms`,
    });
  }
}
