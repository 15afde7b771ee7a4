/**
 * `CtpRouter`: the public API, events, and the wiring of the parts — the only place where they meet. The router holds
 * the OCM table (owners from the link-state `table`; controller and monitors
 * per local node in `host`; its own registrations in `registrant`), the
 * command `codec` and the `pending` response map keyed by node. README
 * "Architecture" maps each PROTOCOL.md rule to the file that holds it.
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { CtpAdmission } from './wire/admission.js';
import { checkControl, checkNode, checkNodeNames, checkType } from './base/checks.js';
import { CtpTimers } from './base/clock.js';
import { CtpStallMeter } from './caller/deadline.js';
import { receiveFrame, type CtpInboundParts } from './wire/dispatch.js';
import type { CtpDrainOptions } from './drain.js';
import { argumentError, CtpClosedError, CtpInternalError } from './base/errors.js';
import type { CtpEventStream, CtpEventsOptions } from './caller/event-stream.js';
import type { CtpRouterEvents } from './events.js';
import { CtpFlooding } from './link-state/flooding.js';
import type { CtpHandler } from './host/handlers.js';
import { CtpHost } from './host/host.js';
import { CtpHostApi } from './host-api.js';
import { CtpMedia, type CtpPeerInfo } from './link-state/media.js';
import { resultOf, ReturnCode, type CtpCodec, type CtpMessage, type CtpResult } from './base/messages.js';
import { CtpNeighbors } from './link-state/neighbors.js';
import { wantsVirtual, type CtpNodesOptions } from './link-state/node-list.js';
import type { CtpRegistrationType } from './base/names.js';
import { resolveOptions, resolveRequestOptions, type CtpRequestOptions, type CtpResolvedOptions, type CtpRouterOptions } from './options.js';
import type { CtpNodesUpdatedCallback, CtpReceivedCallback, CtpSendCallback } from './base/callbacks.js';
import { CtpOutbound, describeFrame } from './wire/outbound.js';
import { CtpReporter } from './wire/report.js';
import { CtpPendingMap } from './caller/pending.js';
import { checkPersistent, type CtpRegisterOptions } from './caller/persistent.js';
import { postTo, publishAt, respondAt, type CtpPublishingParts } from './host/publishing.js';
import { CtpRegistrant } from './caller/registrant.js';
import { CtpRequests, type CtpRequestSpec, type CtpRunOptions } from './caller/requests.js';
import { react, type CtpReactingParts } from './react.js';
import { CtpRouting } from './link-state/routing.js';
import { CtpAdvertAuth } from './link-state/signing.js';
import { takeSnapshot, type CtpSnapshot, type CtpStats } from './snapshot.js';
import { CtpTable } from './link-state/table.js';
import type { CtpWaitForNodeOptions } from './caller/wait-node.js';

export type { CtpNodesUpdatedCallback, CtpReceivedCallback, CtpSendCallback, CtpSendInfo } from './base/callbacks.js';
export type { CtpNodeSnapshot, CtpRouterSnapshot, CtpSnapshot, CtpStats } from './snapshot.js';

const debug = createDebug('ctp:router');

/**
 * Routes the Control Transfer Protocol between processes. Construct it
 * exactly as the seed: `new CtpRouter(onReceived, send, onNodesUpdated, options)`,
 * then feed every inbound frame to `receive(peer, frame)`.
 */
export class CtpRouter<P = unknown> extends EventEmitter<CtpRouterEvents<P>> {
  /** This router's id. */
  readonly id: string;
  /** OCM table, owners: link-state adverts, routes, the owner of every node. */
  private readonly table: CtpTable<P>;
  /** OCM table, at the host: controller, monitors and open request of each local node. */
  private readonly host: CtpHost<P>;
  /** OCM table, at the registrant: this router's own controller and monitor registrations. */
  private readonly registrant: CtpRegistrant<P>;
  /** The command codec (PROTOCOL.md section 6). */
  private readonly codec: CtpCodec;
  /** The pending-response map keyed by node (PROTOCOL.md section 5). */
  private readonly pending: CtpPendingMap;
  private readonly requests: CtpRequests;
  private readonly routing: CtpRouting<P>;
  private readonly flooding: CtpFlooding<P>;
  private readonly neighbors: CtpNeighbors<P>;
  private readonly admission: CtpAdmission<P>;
  private readonly out: CtpOutbound<P>;
  private readonly media: CtpMedia<P>;
  private readonly opts: CtpResolvedOptions<P>;
  /** Drops, errors and events, as the parts report them. */
  private readonly report: CtpReporter<P>;
  /** Stalls of this process, charged against request deadlines (deadline.ts). */
  private readonly stall: CtpStallMeter;
  /** Handlers, node waits, event streams, persistence, the node list, drain (host-api.ts). */
  private readonly api: CtpHostApi<P>;
  /** The parts as dispatch.ts and publishing.ts see them. */
  private readonly wired: CtpInboundParts<P> & CtpPublishingParts<P> & CtpReactingParts<P>;
  private closed = false;
  private updating = false;

  constructor(
    onReceived: CtpReceivedCallback,
    send: CtpSendCallback<P>,
    onNodesUpdated: CtpNodesUpdatedCallback,
    options?: CtpRouterOptions<P>,
  ) {
    super();
    if (typeof onReceived !== 'function') throw argumentError('onReceived', 'a function', onReceived);
    if (typeof send !== 'function') throw argumentError('send', 'a function', send);
    if (typeof onNodesUpdated !== 'function') throw argumentError('onNodesUpdated', 'a function', onNodesUpdated);
    const o = (this.opts = resolveOptions(options));
    const clock = o.clock;
    this.id = o.id;
    this.report = new CtpReporter(this.id, this);
    const emit = this.report.emit;
    this.codec = o.codec;
    this.table = new CtpTable<P>(this.id, clock.now(), o.maxRouters);
    this.media = new CtpMedia<P>(this.table);
    this.pending = new CtpPendingMap(clock);
    this.out = new CtpOutbound(send, this.codec, this.report, o.maxFrameBytes, { id: this.id, neighbor: (p) => this.table.boundId(p) });
    this.api = new CtpHostApi<P>({
      id: this.id, table: this.table, pending: this.pending, report: this.report, emit, host: () => this.host, registrant: () => this.registrant,
      register: (node, type) => this.register(node, type), unregister: (node, type, opts) => this.unregister(node, type, opts),
      close: () => this.close(), listening: () => this.listenerCount('nodes') > 0,
    }, o, onReceived, onNodesUpdated, options);
    const idConflict = (): void => emit('conflict', { kind: 'router-id', id: this.id });
    this.neighbors = new CtpNeighbors(this.table, { idConflict, bound: () => (this.media.checkAdvertised(), this.flooding.flushOwn()) }, this.report);
    this.admission = new CtpAdmission(o, (peer) => this.neighbors.isDown(peer), this.report);
    const auth = new CtpAdvertAuth(o.identity, this.table, this.report, o.maxRouters);
    this.flooding = new CtpFlooding(this.table, this.out, new CtpTimers(clock), o, { update: () => this.update(), idConflict, mediumPeer: (o) => this.media.peerFor(o) }, this.report, auth);
    this.stall = new CtpStallMeter(new CtpTimers(clock));
    this.routing = new CtpRouting(this.table, this.out, o.maxHops, {
      host: (msg, from) => this.host.deliver(msg, from),
      // A RESPONSE settles the request in flight whose id it echoes; else the registrant looks at it.
      response: (msg, from) => void (this.pending.settle(msg.node, msg.re, resultOf(msg)) ? this.registrant.answered(msg) : this.registrant.response(msg, from)),
      event: (msg) => this.registrant.event(msg),
      settle: (node, id, result) => void this.pending.settle(node, id, result),
    }, this.report, this.stall);
    this.host = new CtpHost(this.table, this.routing, new CtpTimers(clock), o, {
      control: (msg, open) => this.api.control(msg, open),
      released: (e) => emit('released', e),
      claimProblem: (origin, msg) => auth.claimProblem(origin, msg, clock.now()),
    }, this.report);
    this.requests = new CtpRequests(this.pending, clock, {
      send: (msg, to) => this.routing.request(msg, to),
      closed: () => this.closed,
      timedOut: (e) => emit('timeout', e),
    });
    this.registrant = new CtpRegistrant(this.table, this.routing, new CtpTimers(clock), o, {
      closed: () => this.closed,
      nextId: () => this.requests.nextId(),
      // A registration's virtual node joins and leaves the own advert.
      addVirtual: (name) => this.flooding.hasRoom([name]) && (this.flooding.addOwn([name]), this.update(), true),
      removeVirtual: (name) => void (!this.closed && this.flooding.removeOwn([name]).length > 0 && this.update()),
      hostedController: (node) => this.host.controllerOf(node),
      // PROTOCOL.md section 5, "Confirming a registrant": the seq from which the own advert lists what was just added, signed with an identity.
      claim: (msg) => {
        msg.claim = this.table.ownDirty ? this.table.seq + 1 : this.table.seq;
        const sig = auth.signClaim(msg);
        if (sig !== undefined) msg.claimSig = sig;
      },
      event: (msg) => this.api.event(msg),
    }, this.api.emit, this.report);
    const { table, host, out, neighbors, flooding, routing, report, pending, registrant, api } = this;
    this.wired = { id: this.id, table, host, out, neighbors, flooding, routing, report, pending, registrant, api, update: () => this.update() };
    const initial = checkNodeNames(o.nodes, 'options.nodes');
    this.flooding.assertRoom(initial);
    this.flooding.addOwn(initial);
    // The constructor sends nothing (PROTOCOL.md section 2): the first advert
    // goes out on a change, `peerUp` or `resetTable`.
    this.table.reoriginate();
    this.table.commit(clock.now());
  }

  // ---- requests ---------------------------------------------------------------
  // Misuse rejects, never throws synchronously; no async wrappers (each would
  // add microtask hops to every request, BENCHMARKS.md).

  /**
   * Become `node`'s controller, or one of its monitors (seed `CTPC_REGISTER`).
   * With `persistent: true`, once it succeeds the router registers again
   * after every `lost` (backoff, persistent.ts) until `unregister` or `close`.
   */
  register(node: string, type: CtpRegistrationType, opts?: CtpRegisterOptions): Promise<CtpResult> {
    return this.api.kept(this.run(opts, (o) => (checkNode(node), checkType(type), checkPersistent(opts), this.registrant.register(node, type, o.idleTimeoutMs))), node, type, opts);
  }

  /** End this router's registration of `type` on `node` (seed `CTPC_UNREGISTER`); a persistent one is not renewed. */
  unregister(node: string, type: CtpRegistrationType, opts?: CtpRequestOptions): Promise<CtpResult> {
    return this.run(opts, () => (checkNode(node), checkType(type), this.api.persistence.forget(node, type), this.registrant.unregister(node, type)));
  }

  /** Controller only: START `app` on `node` and wait for the host's response (seed `CTPC_START`). */
  start(node: string, app: string, optionals?: Record<string, unknown>, opts?: CtpRequestOptions): Promise<CtpResult> {
    return this.control('START', node, app, optionals, opts);
  }

  /** Controller only: STOP `app` on `node` and wait for the host's response (seed `CTPC_STOP`). */
  stop(node: string, app: string, optionals?: Record<string, unknown>, opts?: CtpRequestOptions): Promise<CtpResult> {
    return this.control('STOP', node, app, optionals, opts);
  }

  /** Controller only: send `content` to `app` on `node` and wait for the host's response (seed `CTPC_COMMAND`). */
  command(node: string, app: string, content: unknown, opts?: CtpRequestOptions): Promise<CtpResult> {
    return this.control('COMMAND', node, app, content, opts);
  }

  /** start, stop, command: no closure per request (the hot path, BENCHMARKS.md). */
  private control(t: 'START' | 'STOP' | 'COMMAND', node: string, app: string, payload: unknown, opts: CtpRequestOptions | undefined): Promise<CtpResult> {
    try {
      this.assertOpen();
      checkControl(t, node, app, payload);
      return this.requests.run(this.registrant.control(t, node, app, payload), resolveRequestOptions(opts, this.opts.responseTimeoutMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Check the arguments (`spec` throws on misuse), then run the request pipeline. */
  private run(opts: CtpRequestOptions | undefined, spec: (o: CtpRunOptions) => CtpRequestSpec): Promise<CtpResult> {
    return this.rejecting(() => {
      const o = resolveRequestOptions(opts, this.opts.responseTimeoutMs);
      return this.requests.run(spec(o), o);
    });
  }

  // ---- synchronous ------------------------------------------------------------

  /**
   * At the node's host: answer the open request (seed `CTPC_RESPONSE`).
   * `re` (optional): the `id` of the request being answered (`msg.id` as
   * `onReceived` got it). When given and another request is open now (a newer
   * one replaced it), nothing is sent: `ERROR`, reason `stale`, so a host app's
   * late answer never resolves the caller's next request.
   */
  respond(node: string, content?: unknown, code: ReturnCode = ReturnCode.SUCCESS, re?: number): CtpResult {
    this.assertOpen();
    return respondAt(this.wired, node, content, code, re);
  }

  /** From anywhere: have the node's host publish `content` as the node's event (seed `CTPC_POST`); ERROR `too-large` sends nothing. */
  post(node: string, content: unknown): CtpResult {
    this.assertOpen();
    return postTo(this.wired, node, content);
  }

  /** At the node's host: send the node's EVENT to its controller and monitors, once per router (seed `CTPC_EVENT`). */
  publish(node: string, content: unknown): CtpResult {
    this.assertOpen();
    return publishAt(this.wired, node, content);
  }

  /** Add local nodes (a name or an array): all or none. */
  appendNodes(names: string | readonly string[]): void {
    this.assertOpen();
    const list = checkNodeNames(names, 'names');
    this.flooding.assertRoom(list);
    const added = this.flooding.addOwn(list);
    this.host.added(added);
    if (added.length > 0) this.update();
  }

  /** Remove local nodes (a name or an array); names that are not local are ignored. */
  removeNodes(names: string | readonly string[]): void {
    this.assertOpen();
    const removed = this.flooding.removeOwn(checkNodeNames(names, 'names'));
    this.host.removed(removed);
    if (removed.length > 0) this.update();
  }

  /** Re-advertise and ask every peer for its table (seed `reset_ocm_table`). */
  resetTable(): void {
    this.assertOpen();
    this.update();
    this.flooding.broadcastOwn();
    this.out.message(null, { v: 1, t: 'UPDATENODE', from: this.id });
  }

  /** Every reachable node name, sorted; virtual ones too unless `{ virtual: false }`. */
  nodes(opts?: CtpNodesOptions): string[] {
    return this.api.nodeList.list(wantsVirtual(opts));
  }

  // ---- host app and lifecycle helpers (handlers.ts, wait-node.ts, event-stream.ts, drain.ts) ----

  /** Answer `node`'s START/STOP/COMMAND with `handler` instead of `onReceived`; returns the disposer. */
  handle(node: string, handler: CtpHandler): () => void {
    this.assertOpen();
    return this.api.handlers.handle(node, handler);
  }

  /** Resolves when `node` is reachable; rejects on `timeoutMs` (`ERR_CTP_TIMEOUT`), abort or close. */
  waitForNode(node: string, opts?: CtpWaitForNodeOptions): Promise<void> {
    return this.rejecting(() => this.api.waits.wait(node, opts));
  }

  /** The EVENTs this router receives (for `node`, or all) as an `AsyncIterable`; bounded, drops the oldest. */
  events(node?: string, opts?: CtpEventsOptions): CtpEventStream {
    return this.api.events(node, opts, this.closed);
  }

  /** Unregister everything, let requests in flight finish (up to `timeoutMs`), then close. */
  drain(opts?: CtpDrainOptions): Promise<void> {
    return this.rejecting(() => this.api.drain(opts));
  }

  // ---- transport --------------------------------------------------------------

  /**
   * The transport reports a link up: send the peer the full table and an
   * UPDATENODE. `info.medium`: the peer is a member of that broadcast medium
   * (src/link-state/media.ts; no UPDATENODE: its transport reports us up there as well);
   * an invalid one is reported as `error` and the peer ignored.
   */
  peerUp(peer: P, info?: CtpPeerInfo): void {
    this.guard('peerUp', () => {
      const medium = this.media.up(peer, info?.medium);
      if (medium) this.table.media ??= this.media;
      this.neighbors.up(peer);
      this.update();
      this.flooding.sendTable(peer, this.media.tableSkip(peer));
      // A member of a medium got its own peerUp and sends its table unasked (without what others send).
      if (!medium) this.out.message(peer, { v: 1, t: 'UPDATENODE', from: this.id });
    });
  }

  /** The transport reports a link down: forget the neighbor, re-originate. */
  peerDown(peer: P): void {
    this.guard('peerDown', () => {
      const changed = this.neighbors.downed(peer);
      this.media.down(peer);
      if (changed) this.update();
    });
  }

  /** Process one inbound frame. Never throws. */
  receive(peer: P, frame: string | Uint8Array): void {
    if (!this.closed) receiveFrame(this.wired, this.admission, peer, frame);
  }

  /** Resolve every pending request with `ERROR` (reason `closed`) and clear every timer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.out.closed = true;
    this.pending.close();
    this.host.close();
    this.registrant.close();
    this.flooding.close();
    this.stall.close();
    this.api.close();
    debug('%s closed', this.id);
    this.report.emit('close');
  }

  /** Has `close()` been called? */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- introspection ----------------------------------------------------------

  /** Plain counters. */
  stats(): CtpStats {
    return { ...this.out.counters, dropped: { ...this.report.drops }, pending: this.pending.size };
  }

  /** A plain-data copy of the table. */
  snapshot(): CtpSnapshot {
    return takeSnapshot(this.table, this.host, this.registrant);
  }

  /**
   * Settle every consequence of table changes: re-originate, recompute
   * routes, then let each part react. Re-entrant calls (a callback that
   * changes nodes) loop here.
   */
  private update(): void {
    if (this.updating || this.closed) return;
    this.updating = true;
    try {
      for (let round = 0; round < 64 && this.table.dirty(!this.flooding.ownPaced); round++) {
        if (this.table.media !== undefined) this.flooding.originate(this.media.reconcile(this.opts.clock.now()));
        this.flooding.flushOwn();
        const delta = this.table.commit(this.opts.clock.now());
        react(this.wired, delta);
      }
    } finally {
      this.updating = false;
    }
    this.flooding.settled();
  }

  /** Run a transport entry point: a no-op once closed, and an internal fault is reported, never thrown. */
  private guard(operation: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.report.error(new CtpInternalError(operation, err));
    }
  }

  /** Run `fn` when open; a throw (misuse, closed) becomes a rejection. */
  private rejecting<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      return fn();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new CtpClosedError();
  }
}
