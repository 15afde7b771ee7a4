/**
 * The link-state role (PROTOCOL.md section 7): who hosts what, and how to
 * reach it. It owns the adverts and routes (`table`), the neighbors bound to
 * peers, broadcast media, flooding with its pacing, signatures, and the
 * routing of every frame that is not an advert. The wire hands it decoded
 * frames (`CtpWireHandler`); it delivers frames addressed to this router to
 * the host and caller roles (`CtpHostDoor`, `CtpCallerDoor`, routing.ts) and
 * announces every settled table change to them (`onTableChange`).
 */
import { CtpTimers, type CtpClock } from '../base/clock.js';
import { CtpStallMeter } from '../base/deadline.js';
import type {
  CtpHostBoundMessage,
  CtpRegistrantBoundMessage,
  CtpReportNode,
  CtpUpdateNode,
} from '../base/messages.js';
import type { CtpNodesUpdatedCallback } from '../base/callbacks.js';
import type { CtpWire, CtpWireHandler } from '../wire/wire.js';
import { CtpFlooding, type CtpFloodingHooks, type CtpFloodingOptions } from './flooding.js';
import { CtpMedia, type CtpPeerInfo } from './media.js';
import { CtpNeighbors, type CtpNeighborHooks } from './neighbors.js';
import { CtpNodeList, type CtpNodesAudience } from './node-list.js';
import { CtpRouting, type CtpCallerDoor, type CtpHostDoor } from './routing.js';
import type { CtpResolvedIdentity } from './certificates.js';
import { CtpAdvertAuth } from './signing.js';
import { CtpTable, type CtpTableDelta } from './table.js';
import { endpointGate } from '../auth/endpoint.js';
import type { CtpGate } from '../auth/gate.js';
import type { CtpResolvedPolicy } from '../auth/policy.js';

/** A role that acts on every settled table change. */
export interface CtpTableListener {
  onTableChange(delta: CtpTableDelta): void;
}

/** What the link-state role needs of the router's options. */
export interface CtpLinkStateOptions extends CtpFloodingOptions {
  id: string;
  clock: CtpClock;
  maxRouters: number;
  maxHops: number;
  identity: CtpResolvedIdentity | undefined;
  /** The operator's policy (`options.policy`), enforced at the host. */
  policy?: CtpResolvedPolicy | undefined;
  /** How long a frame from an origin not known yet waits for its signed advert (src/auth/origin-wait.ts). */
  registrationWaitMs?: number;
  /** Include virtual nodes in `onNodesUpdated` and the `nodes` event. */
  virtualNodes: boolean;
}

/** The roles that link state serves, attached once all are built. */
export interface CtpLinkStateRoles {
  host: CtpHostDoor;
  caller: CtpCallerDoor & CtpTableListener;
  /** Host after caller: the order in which they hear a table change. */
  hostListener: CtpTableListener;
}

export class CtpLinkState<P> implements CtpWireHandler<P>, CtpFloodingHooks<P>, CtpNeighborHooks {
  readonly table: CtpTable<P>;
  readonly media: CtpMedia<P>;
  readonly neighbors: CtpNeighbors<P>;
  readonly auth: CtpAdvertAuth<P>;
  readonly flooding: CtpFlooding<P>;
  readonly routing: CtpRouting<P>;
  /** The node list: `nodes()`, `onNodesUpdated` and the `nodes` event. */
  readonly nodeList: CtpNodeList<P>;
  /** Stalls of this process, charged against request deadlines (deadline.ts). */
  private readonly stall: CtpStallMeter;
  private roles: CtpLinkStateRoles | undefined;
  /** Origin authentication and policy (src/auth/gate.ts); none without `identity` or `policy`. */
  private readonly gate: CtpGate<P> | undefined;
  private updating = false;

  constructor(
    private readonly wire: CtpWire<P>,
    private readonly opts: CtpLinkStateOptions,
    onNodesUpdated: CtpNodesUpdatedCallback,
    /** Who may listen to the `nodes` event (the router). */
    audience: CtpNodesAudience,
  ) {
    const clock = opts.clock;
    const report = wire.report;
    this.table = new CtpTable<P>(opts.id, clock.now(), opts.maxRouters);
    if (opts.policy?.restrictsHosting === true)
      this.table.mayHost = (o, n) => (opts.policy as CtpResolvedPolicy).mayHost(o, n);
    this.media = new CtpMedia<P>(this.table);
    this.neighbors = new CtpNeighbors(this.table, this, report);
    this.auth = new CtpAdvertAuth(opts.identity, this.table, report, opts.maxRouters, opts);
    this.flooding = new CtpFlooding(
      this.table,
      wire.out,
      new CtpTimers(clock),
      opts,
      this,
      report,
      this.auth,
    );
    this.stall = new CtpStallMeter(new CtpTimers(clock));
    const gate = endpointGate(this.table, this.auth, opts, report, clock, () => this.routing);
    this.routing = new CtpRouting(this.table, wire.out, opts.maxHops, report, this.stall, gate);
    this.gate = gate;
    this.nodeList = new CtpNodeList(
      this.table,
      onNodesUpdated,
      opts.virtualNodes,
      audience,
      report.emit,
      report,
    );
  }

  /** The host and caller roles: frames for this router and table changes go to them from now on. */
  attach(roles: CtpLinkStateRoles): void {
    this.roles = roles;
    this.routing.attach(roles.host, roles.caller);
  }

  // ---- the wire's doors (CtpWireHandler) --------------------------------------

  isDown(peer: P): boolean {
    return this.neighbors.isDown(peer);
  }

  neighborOf(peer: P): string | undefined {
    return this.table.boundId(peer);
  }

  onAdverts(peer: P, msg: CtpReportNode): void {
    if (this.neighbors.bindFrom(peer, msg.from, msg.t)) this.flooding.onAdverts(peer, msg.adverts);
  }

  onTableRequest(peer: P, msg: CtpUpdateNode): void {
    if (!this.neighbors.bindFrom(peer, msg.from, msg.t)) return;
    this.update();
    this.flooding.sendTable(peer);
  }

  onHostBound(msg: CtpHostBoundMessage, peer: P, text: string): void {
    this.routing.hostBound(msg, peer, text);
  }

  onRegistrantBound(msg: CtpRegistrantBoundMessage, peer: P, text: string, checked: boolean): void {
    this.routing.registrantBound(msg, peer, text, checked);
  }

  // ---- flooding's and neighbors' hooks ------------------------------------------

  /** The third heal within ten seconds, or a peer using this router's id. */
  idConflict(): void {
    this.wire.report.emit('conflict', { kind: 'router-id', id: this.opts.id });
  }

  /** A peer was bound to a new router id: re-originate before its adverts are flooded. */
  bound(): void {
    this.media.checkAdvertised();
    this.flooding.flushOwn();
  }

  mediumPeer(origin: string): P | undefined {
    return this.media.peerFor(origin);
  }

  heard(origin: string, peer: P): void {
    this.media.heard(origin, peer);
  }

  // ---- links and local nodes ----------------------------------------------------

  /**
   * A link is up: send the peer the full table and an UPDATENODE.
   * `info.medium`: the peer is a member of that broadcast medium (media.ts;
   * no UPDATENODE: its transport reports us up there as well).
   */
  peerUp(peer: P, info: CtpPeerInfo | undefined): void {
    const medium = this.media.up(peer, info?.medium);
    if (medium) this.table.media ??= this.media;
    this.neighbors.up(peer);
    this.update();
    this.flooding.sendTable(peer, this.media.tableSkip(peer));
    // A member of a medium got its own peerUp and sends its table unasked (without what others send).
    if (!medium) this.wire.out.message(peer, { v: 1, t: 'UPDATENODE', from: this.opts.id });
  }

  /** A link is down: forget the neighbor, re-originate. */
  peerDown(peer: P): void {
    const behind = this.media.beforeDown(peer, this.table.reachableOrigins());
    const changed = this.neighbors.downed(peer);
    this.media.down(peer);
    if (changed) this.update();
    if (behind !== undefined) this.flooding.sendStored(null, behind());
  }

  /**
   * The seq from which the own advert lists what was just added (a
   * REGISTER's `claim`, PROTOCOL.md section 5): the next advert's while a
   * change waits to go out, else the one just sent.
   */
  claimSeq(): number {
    return this.table.ownDirty ? this.table.seq + 1 : this.table.seq;
  }

  /** Re-advertise and ask every peer for its table. */
  resetTable(): void {
    this.update();
    this.flooding.broadcastOwn();
    this.wire.out.message(null, { v: 1, t: 'UPDATENODE', from: this.opts.id });
  }

  /**
   * Settle every consequence of table changes: re-originate, recompute
   * routes, then let each role react. Re-entrant calls (a callback that
   * changes nodes) loop here.
   */
  update(): void {
    if (this.updating || this.wire.out.closed) return;
    this.updating = true;
    try {
      const clock = this.opts.clock;
      for (let round = 0; round < 64 && this.table.dirty(!this.flooding.ownPaced); round++) {
        if (this.table.media !== undefined)
          this.flooding.originate(this.media.reconcile(clock.now()));
        this.flooding.flushOwn();
        this.react(this.table.commit(clock.now()));
      }
    } finally {
      this.updating = false;
    }
    this.flooding.settled();
    // Frames that waited for an origin's signed advert (src/auth/origin-wait.ts).
    this.gate?.onTableChange();
  }

  /** Let every role act on what one commit of the table did. */
  private react(delta: CtpTableDelta): void {
    this.flooding.onDelta(delta);
    const roles = this.roles;
    roles?.caller.onTableChange(delta);
    roles?.hostListener.onTableChange(delta);
    for (const c of delta.conflicts)
      this.wire.report.emit('conflict', { kind: 'node', node: c.node, hosts: c.hosts });
    if (delta.added.length > 0 || delta.removed.length > 0)
      this.nodeList.changed(delta.added, delta.removed);
  }

  close(): void {
    this.flooding.close();
    this.stall.close();
    this.gate?.close();
  }
}
