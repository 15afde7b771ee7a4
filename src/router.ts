/**
 * `CtpRouter`: the public API, the dispatch of decoded frames, events, and
 * the wiring of the parts — the only place where they meet. The router holds
 * the OCM table (owners from the link-state `table`; controller and monitors
 * per local node in `host`; its own registrations in `registrant`), the
 * command `codec` and the `pending` response map keyed by node. README
 * "Architecture" maps each SPEC.md rule to the file that holds it.
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { CtpAdmission } from './admission.js';
import { checkControl, checkJson, checkNode, checkNodeNames, checkType } from './checks.js';
import { CtpTimers } from './clock.js';
import { argumentError, CtpCallbackError, CtpClosedError, CtpInternalError } from './errors.js';
import type { CtpRouterEvents } from './events.js';
import { CtpFlooding } from './flooding.js';
import { CtpHost } from './host.js';
import { CtpMedia, type CtpPeerInfo } from './media.js';
import { isReturnCode, resultOf, ReturnCode, type CtpCodec, type CtpMessage, type CtpResult } from './messages.js';
import { CtpNeighbors } from './neighbors.js';
import type { CtpRegistrationType } from './names.js';
import { resolveOptions, resolveRequestOptions, type CtpRequestOptions, type CtpResolvedOptions, type CtpRouterOptions } from './options.js';
import type { CtpNodesUpdatedCallback, CtpReceivedCallback, CtpSendCallback } from './callbacks.js';
import { CtpOutbound } from './outbound.js';
import { CtpReporter } from './report.js';
import { CtpPendingMap } from './pending.js';
import { CtpRegistrant } from './registrant.js';
import { CtpRequests, type CtpRequestSpec } from './requests.js';
import { CtpRouting } from './routing.js';
import { takeSnapshot, type CtpSnapshot, type CtpStats } from './snapshot.js';
import { CtpTable } from './table.js';

export type { CtpNodesUpdatedCallback, CtpReceivedCallback, CtpSendCallback, CtpSendInfo } from './callbacks.js';
export type { CtpNodeSnapshot, CtpSnapshot, CtpStats } from './snapshot.js';

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
  /** The command codec (SPEC.md section 6). */
  private readonly codec: CtpCodec;
  /** The pending-response map keyed by node (SPEC.md section 5). */
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
  private closed = false;
  private updating = false;

  constructor(
    private readonly onReceived: CtpReceivedCallback,
    send: CtpSendCallback<P>,
    private readonly onNodesUpdated: CtpNodesUpdatedCallback,
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
    this.out = new CtpOutbound(send, this.codec, this.report);
    const idConflict = (): void => emit('conflict', { kind: 'router-id', id: this.id });
    this.neighbors = new CtpNeighbors(this.table, { idConflict, bound: () => (this.media.checkAdvertised(), this.flooding.flushOwn()) }, this.report);
    this.admission = new CtpAdmission(o, (peer) => this.neighbors.isDown(peer), this.report);
    this.flooding = new CtpFlooding(this.table, this.out, new CtpTimers(clock), o, { update: () => this.update(), idConflict, mediumPeer: (o) => this.media.peerFor(o) }, this.report);
    this.routing = new CtpRouting(this.table, this.out, o.maxHops, {
      host: (msg, from) => this.host.deliver(msg, from),
      // A RESPONSE settles the request in flight whose id it echoes; else the registrant looks at it.
      response: (msg, from) => void (this.pending.settle(msg.node, msg.re, resultOf(msg)) || this.registrant.response(msg, from)),
      event: (msg) => this.registrant.event(msg),
      settle: (node, id, result) => void this.pending.settle(node, id, result),
    }, this.report);
    this.host = new CtpHost(this.table, this.routing, new CtpTimers(clock), o, {
      control: (msg) => this.onReceived(msg.t, msg),
      released: (e) => emit('released', e),
    }, this.report);
    this.requests = new CtpRequests(this.pending, clock, {
      send: (msg, to) => this.routing.request(msg, to),
      closed: () => this.closed,
      timedOut: (e) => emit('timeout', e),
    });
    this.registrant = new CtpRegistrant(this.table, this.routing, new CtpTimers(clock), o, {
      closed: () => this.closed,
      nextId: () => this.requests.nextId(),
      addVirtual: (name) => this.addVirtual(name),
      removeVirtual: (name) => this.removeVirtual(name),
      hostedController: (node) => this.host.controllerOf(node),
      event: (msg) => this.onReceived('EVENT', msg),
    }, emit, this.report);
    const initial = checkNodeNames(o.nodes, 'options.nodes');
    this.flooding.assertRoom(initial);
    this.flooding.addOwn(initial);
    // The constructor sends nothing (SPEC.md section 2): the first advert
    // goes out on a change, `peerUp` or `resetTable`.
    this.table.reoriginate();
    this.table.commit(clock.now());
  }

  // ---- requests ---------------------------------------------------------------
  // Misuse rejects, never throws synchronously; no async wrappers (each would
  // add microtask hops to every request, BENCHMARKS.md).

  /** Become `node`'s controller, or one of its monitors (seed `CTPC_REGISTER`). */
  register(node: string, type: CtpRegistrationType, opts?: CtpRequestOptions): Promise<CtpResult> {
    return this.run(opts, () => (checkNode(node), checkType(type), this.registrant.register(node, type)));
  }

  /** End this router's registration of `type` on `node` (seed `CTPC_UNREGISTER`). */
  unregister(node: string, type: CtpRegistrationType, opts?: CtpRequestOptions): Promise<CtpResult> {
    return this.run(opts, () => (checkNode(node), checkType(type), this.registrant.unregister(node, type)));
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
  private run(opts: CtpRequestOptions | undefined, spec: () => CtpRequestSpec): Promise<CtpResult> {
    try {
      this.assertOpen();
      const s = spec();
      return this.requests.run(s, resolveRequestOptions(opts, this.opts.responseTimeoutMs));
    } catch (err) {
      return Promise.reject(err);
    }
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
    checkNode(node);
    if (!isReturnCode(code)) throw argumentError('code', 'a ReturnCode', code);
    if (re !== undefined && !Number.isSafeInteger(re)) throw argumentError('re', 'a request id', re);
    checkJson('content', content, false);
    if (!this.table.isReachableName(node)) return { code: ReturnCode.NODE_UNFOUND };
    if (!this.table.hasLocal(node)) return { code: ReturnCode.REJECTED };
    return this.host.respond(node, content, code, re);
  }

  /** From anywhere: have the node's host publish `content` as the node's event (seed `CTPC_POST`). */
  post(node: string, content: unknown): CtpResult {
    this.assertOpen();
    checkNode(node);
    checkJson('content', content, true);
    const owner = this.table.ownerOf(node);
    if (owner === undefined) return { code: ReturnCode.NODE_UNFOUND };
    if (this.table.hostsOf(node).length > 1) return { code: ReturnCode.ERROR, reason: 'conflict' };
    if (owner === this.id) this.host.publish(node, content);
    else {
      const peer = this.table.peerToward(owner);
      if (peer === undefined) return { code: ReturnCode.NODE_UNFOUND };
      this.out.message(peer, { v: 1, t: 'POST', to: owner, node, content });
    }
    return { code: ReturnCode.SUCCESS };
  }

  /** At the node's host: send an EVENT to its controller and every monitor (seed `CTPC_EVENT`). */
  publish(node: string, content: unknown): CtpResult {
    this.assertOpen();
    checkNode(node);
    checkJson('content', content, true);
    if (!this.table.isReachableName(node)) return { code: ReturnCode.NODE_UNFOUND };
    if (!this.table.hasLocal(node)) return { code: ReturnCode.REJECTED };
    return { code: this.host.publish(node, content) ? ReturnCode.SUCCESS : ReturnCode.NOT_ASSIGNED };
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

  /** Every reachable node name, virtual ones included, sorted. */
  nodes(): string[] {
    return this.table.sortedNames().slice();
  }

  // ---- transport --------------------------------------------------------------

  /**
   * The transport reports a link up: send the peer the full table and an
   * UPDATENODE. `info.medium`: the peer is a member of that broadcast medium
   * (src/media.ts; no UPDATENODE: its transport reports us up there as well);
   * an invalid one is reported as `error` and the peer ignored.
   */
  peerUp(peer: P, info?: CtpPeerInfo): void {
    this.guard('peerUp', () => {
      const medium = this.media.up(peer, info?.medium);
      if (medium) this.table.media ??= this.media;
      this.neighbors.up(peer);
      this.update();
      this.flooding.sendTable(peer);
      // A member of a medium got its own peerUp and sends its table unasked.
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
    this.guard('receive', () => {
      this.out.counters.framesIn++;
      const msg = this.admission.admit(peer, frame);
      if (msg !== undefined) this.dispatch(peer, msg, this.admission.text);
    });
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
    debug('%s closed', this.id);
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

  // ---- inbound dispatch -------------------------------------------------------

  private dispatch(peer: P, msg: CtpMessage, text: string): void {
    if (debug.enabled) debug('%s <- %s', this.id, msg.t);
    switch (msg.t) {
      case 'REPORTNODE':
        if (this.neighbors.bindFrom(peer, msg.from, msg.t)) this.flooding.onAdverts(peer, msg.adverts);
        return;
      case 'UPDATENODE':
        if (!this.neighbors.bindFrom(peer, msg.from, msg.t)) return;
        this.update();
        this.flooding.sendTable(peer);
        return;
      case 'REGISTER':
      case 'UNREGISTER':
      case 'START':
      case 'STOP':
      case 'COMMAND':
      case 'POST':
        return this.routing.hostBound(msg, peer, text);
      case 'RESPONSE':
      case 'EVENT':
        return this.routing.registrantBound(msg, peer, text);
      default:
        return this.report.drop(peer, 'unknown-type');
    }
  }

  // ---- table changes ----------------------------------------------------------

  private addVirtual(name: string): boolean {
    if (!this.flooding.hasRoom([name])) return false;
    this.flooding.addOwn([name]);
    this.update();
    return true;
  }

  private removeVirtual(name: string): void {
    if (!this.closed && this.flooding.removeOwn([name]).length > 0) this.update();
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
      for (let round = 0; round < 64 && this.table.dirty(); round++) {
        if (this.table.media !== undefined) this.flooding.originate(this.media.reconcile(this.opts.clock.now()));
        this.flooding.flushOwn();
        const delta = this.table.commit(this.opts.clock.now());
        this.flooding.onDelta(delta);
        // A name's hosts can change without its reachability changing (a node
        // that moves, a conflict that ends): look again whenever anything moved.
        if (delta.touched > 0 || delta.gained.length > 0 || delta.lost.length > 0) {
          // SPEC.md section 5: pending requests whose node is no longer
          // advertised by the router they were addressed to resolve at once.
          if (this.pending.size > 0) this.pending.failWhere((e) => !this.table.advertises(e.to, e.node), { code: ReturnCode.NODE_UNFOUND });
          this.registrant.onTableChange();
        }
        this.host.onDelta(delta);
        for (const c of delta.conflicts) this.report.emit('conflict', { kind: 'node', node: c.node, hosts: c.hosts });
        if (delta.added.length > 0 || delta.removed.length > 0) this.nodesChanged();
      }
    } finally {
      this.updating = false;
    }
    this.flooding.settled();
  }

  private nodesChanged(): void {
    const list = this.nodes();
    try {
      this.onNodesUpdated(list);
    } catch (err) {
      this.report.error(new CtpCallbackError('onNodesUpdated', err));
    }
    // A copy of a 10^6-name list costs milliseconds: only when someone listens.
    if (this.listenerCount('nodes') > 0) this.report.emit('nodes', list.slice());
  }

  // ---- helpers ----------------------------------------------------------------

  /** Run a transport entry point: a no-op once closed, and an internal fault is reported, never thrown. */
  private guard(operation: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.report.error(new CtpInternalError(operation, err));
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new CtpClosedError();
  }
}
