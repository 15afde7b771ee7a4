/**
 * A transport's link metrics (`ctp_link_events_total`, `ctp_heartbeat_age_seconds`):
 * counts of links up, down by reason and refused by reason, bumped where the
 * transport emits `connect`, `disconnect` and `refused`.
 */
import type { CtpLinkMetrics } from './metrics.js';

export class CtpLinkMeter {
  private up = 0;
  private readonly down = new Map<string, number>();
  private readonly refused = new Map<string, number>();

  /** A link came up. */
  linkUp(): void {
    this.up++;
  }

  /** A link went down for `reason`. */
  linkDown(reason: string): void {
    this.down.set(reason, (this.down.get(reason) ?? 0) + 1);
  }

  /** An inbound connection was refused for `reason`. */
  linkRefused(reason: string): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
  }

  /** The snapshot; `silenceMs`: the longest silence among live links now. */
  read(silenceMs: number): CtpLinkMetrics {
    const events: CtpLinkMetrics['ctp_link_events_total'] = [{ event: 'up', value: this.up }];
    for (const [reason, value] of this.down) events.push({ event: 'down', reason, value });
    for (const [reason, value] of this.refused) events.push({ event: 'refused', reason, value });
    return { ctp_link_events_total: events, ctp_heartbeat_age_seconds: silenceMs / 1000 };
  }
}
