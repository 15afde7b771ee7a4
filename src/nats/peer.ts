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
  /** When it was last heard (`Date.now()`), by this router or, in a roster, by an aggregator. */
  lastSeen: number;
  /** When this router last heard it itself (its own message; 0: only through rosters). */
  heardAt = 0;
  /** Up: handed to the router and not yet taken down. */
  up = false;
  /** Its share of the roster digest (presence.ts `memberHash`), once its instance is known. @internal */
  hash: readonly [number, number] | undefined;

  constructor(
    /** Its router id (from the subject it publishes on). */
    readonly routerId: string,
    /** Where frames for it are published. */
    readonly subject: string,
    now: number,
  ) {
    this.lastSeen = now;
  }

  /** The member for logs: `bus (<router id>)`. @example
   * {@includeCode ../../docs/api-examples/nats.ts#NatsPeer} */
  toString(): string {
    return `nats:${this.routerId}`;
  }
}
