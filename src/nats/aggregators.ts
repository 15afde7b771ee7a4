/**
 * Who aggregates presence (docs/nats.md "Presence"): the `AGGREGATORS`
 * lowest router ids a member knows, itself included. One that stops being an
 * aggregator (lower ids came) keeps publishing rosters for `deadAfterMs`:
 * the newcomers have heard nobody yet (presence simulator seed 71). A roster
 * made before its sender had listened to the heartbeats for a whole interval
 * is `cold`: it lists only those heard since, so it tells nobody who is
 * missing (seed 1846). @internal
 */
import { AGGREGATORS } from './presence.js';

export class AggregatorRole {
  /** The `AGGREGATORS` lowest member ids, ascending. */
  private low: string[] = [];
  /** When this router last was one of the lowest. */
  private aggregatedAt = -Infinity;
  /** Since when it has published rosters without a pause; `undefined`: it does not. */
  private since: number | undefined;

  constructor(private readonly opts: { heartbeatMs: number; deadAfterMs: number }) {}

  /** The lowest member id known. */
  get lowest(): string | undefined {
    return this.low[0];
  }

  /** Is `self` one of the `AGGREGATORS` lowest ids among the members and itself? */
  aggregating(self: string | undefined): boolean {
    return self !== undefined && this.low.filter((id) => id < self).length < AGGREGATORS;
  }

  /** Each interval: publish a roster (and listen to the heartbeats) now? */
  rostering(self: string | undefined, now: number): boolean {
    if (this.aggregating(self)) this.aggregatedAt = now;
    const on = now - this.aggregatedAt < this.opts.deadAfterMs;
    this.since = on ? (this.since ?? now) : undefined;
    return on;
  }

  /** Publishing rosters now (an aggregator, or one lately): it answers a member that asks for its entries. */
  active(self: string | undefined, now: number): boolean {
    return this.aggregating(self) || now - this.aggregatedAt < this.opts.deadAfterMs;
  }

  /** A roster made now is cold: this router has not listened to the heartbeats for an interval yet. */
  cold(now: number): boolean {
    return this.since === undefined || now - this.since < this.opts.heartbeatMs / 2;
  }

  /** Member `id` came. */
  add(id: string): void {
    const last = this.low[this.low.length - 1];
    if (this.low.length >= AGGREGATORS && last !== undefined && id >= last) return;
    this.low = [...this.low, id].sort().slice(0, AGGREGATORS);
  }

  /** Member `id` went; `ids`: the members left. */
  remove(id: string, ids: () => Iterable<string>): void {
    if (!this.low.includes(id)) return;
    this.low = [...ids()].sort().slice(0, AGGREGATORS);
  }
}
