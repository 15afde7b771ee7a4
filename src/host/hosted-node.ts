/**
 * One hosted node's registrations as a small state machine (PROTOCOL.md
 * section 5; drawn in docs/ARCHITECTURE.md):
 *
 * ```
 *            REGISTER controller                 START/STOP/COMMAND
 *   FREE ------------------------> CONTROLLED ------------------------> REQUEST_OPEN
 *    ^  <------------------------   |    ^   <------------------------   |    |
 *    |   unregister, released,      |    |    answered, expired,         |    | a newer request:
 *    |   idle, removal grace over   |    |    failed                     |    | superseded (stays open)
 *    |                              |    |                               |    v
 *    |        removeNodes           v    |   appendNodes within grace    | unregister, released,
 *    +---------------------- REMOVAL_GRACE  (registrations kept)         | idle, removed
 *                                                                        +--> FREE / REMOVAL_GRACE
 *
 *   close(): the open request ends (`closed`); the router is done.
 * ```
 *
 * Every transition is a method: `control`, `openFor`, `endOpen`,
 * `dropController`, `startGrace`, `endGrace`; the state is read, never set.
 *
 * Monitors come and go in any state. The open request lives here and only
 * here (open-request.ts): every transition out of REQUEST_OPEN ends it, which
 * aborts its handler's signal once. Leases of registrants that went
 * unreachable run beside it (registrations.ts) and end in `released`.
 */
import type { CtpTimerHandle } from '../base/clock.js';
import { CtpOpenRequest, type CtpOpenEnd } from './open-request.js';

/** The states of a hosted node. */
export const HostedNodeState = {
  /** No controller (monitors may listen). */
  FREE: 'free',
  /** A controller holds it; no request open. */
  CONTROLLED: 'controlled',
  /** The controller's START, STOP or COMMAND waits for the host app's answer. */
  REQUEST_OPEN: 'request-open',
  /** Removed from the local nodes: its registrations wait `leaseGraceMs` for it to come back. */
  REMOVAL_GRACE: 'removal-grace',
} as const;
export type HostedNodeState = (typeof HostedNodeState)[keyof typeof HostedNodeState];

export class CtpHostedNode {
  readonly monitors = new Set<string>();
  private holder: string | undefined;
  private grace: CtpTimerHandle | undefined;
  private openRequest: CtpOpenRequest | undefined;

  constructor(readonly node: string) {}

  /** The controller's virtual node, when one holds the node. */
  get controller(): string | undefined {
    return this.holder;
  }

  /** The removal grace's timer, while the node is not local. */
  get removalTimer(): CtpTimerHandle | undefined {
    return this.grace;
  }

  /** `name` controls the node now (CONTROLLED). */
  control(name: string): void {
    this.holder = name;
  }

  /** The node was removed: its registrations wait for `timer` (REMOVAL_GRACE); a grace already running stays. */
  startGrace(timer: () => CtpTimerHandle): void {
    this.grace ??= timer();
  }

  /** The node is back (or its grace ran out): returns the grace's timer, for clearing. */
  endGrace(): CtpTimerHandle | undefined {
    const t = this.grace;
    this.grace = undefined;
    return t;
  }

  get state(): HostedNodeState {
    if (this.removalTimer !== undefined) return HostedNodeState.REMOVAL_GRACE;
    if (this.controller === undefined) return HostedNodeState.FREE;
    return this.openRequest === undefined
      ? HostedNodeState.CONTROLLED
      : HostedNodeState.REQUEST_OPEN;
  }

  /** The open request, in REQUEST_OPEN. */
  get open(): CtpOpenRequest | undefined {
    return this.openRequest;
  }

  /** Nothing left to remember: no controller, no monitor, no grace running. */
  get empty(): boolean {
    return (
      this.controller === undefined && this.monitors.size === 0 && this.removalTimer === undefined
    );
  }

  /** Is `name` its controller or one of its monitors? */
  holds(name: string): boolean {
    return this.controller === name || this.monitors.has(name);
  }

  /** A control request from the controller: it is the open one now (a former one ends `superseded`). */
  openFor(re: number): { opened: CtpOpenRequest; superseded: CtpOpenRequest | undefined } {
    const superseded = this.endOpen('superseded');
    const opened = new CtpOpenRequest(this.node, re, this.controller as string);
    this.openRequest = opened;
    return { opened, superseded };
  }

  /** End the open request, if any, for `why` (its signal aborts once); returns it. */
  endOpen(why: CtpOpenEnd): CtpOpenRequest | undefined {
    const open = this.openRequest;
    if (open === undefined) return undefined;
    this.openRequest = undefined;
    open.end(why);
    return open;
  }

  /** The controller goes (`why`: how); its open request ends the same way. */
  dropController(why: CtpOpenEnd): CtpOpenRequest | undefined {
    this.holder = undefined;
    return this.endOpen(why);
  }
}
