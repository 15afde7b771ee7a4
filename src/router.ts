/**
 * `CtpRouter`: the public API, and the wiring of the four roles (wire, link state, host, caller);
 * no protocol rule lives here (docs/ARCHITECTURE.md). Examples: docs/api-examples/router*.ts.
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import type {
  CtpNodesUpdatedCallback,
  CtpReceivedCallback,
  CtpSendCallback,
} from './base/callbacks.js';
import { checkControl, checkNode, checkNodeNames, checkType } from './base/checks.js';
import { CtpTimers } from './base/clock.js';
import { CtpClosedError, CtpInternalError, argumentError } from './base/errors.js';
import { ReturnCode, type CtpCodec, type CtpResult } from './base/messages.js';
import type { CtpRegistrationType } from './base/names.js';
import { CtpCaller } from './caller/caller.js';
import type { CtpEventStream, CtpEventsOptions } from './caller/event-stream.js';
import { CtpPendingMap } from './caller/pending.js';
import { checkPersistent, type CtpRegisterOptions } from './caller/persistent.js';
import type { CtpWaitForNodeOptions } from './caller/wait-node.js';
import { drain, drainTimeout, type CtpDrainOptions } from './drain.js';
import type { CtpRouterEvents } from './events.js';
import type { CtpHandler } from './host/handlers.js';
import { CtpHost } from './host/host.js';
import { postTo, publishAt, respondAt, type CtpPublishingParts } from './host/publishing.js';
import { CtpLinkState } from './link-state/link-state.js';
import type { CtpPeerInfo } from './link-state/media.js';
import { resolveVirtualNodes, wantsVirtual, type CtpNodesOptions } from './link-state/node-list.js';
import { CtpOcmTable } from './ocm-table.js';
import {
  resolveOptions,
  resolveRequestOptions,
  type CtpRequestOptions,
  type CtpResolvedOptions,
  type CtpRouterOptions,
} from './options.js';
import type { CtpSnapshot, CtpStats } from './snapshot.js';
import { readMetrics, readStats, type CtpMetrics } from './metrics/metrics.js';
import { CtpReporter } from './wire/report.js';
import { CtpWire } from './wire/wire.js';

const debug = createDebug('ctp:router');

/**
 * Routes the Control Transfer Protocol between processes: hosts nodes, registers as their controller or monitor, sends them requests and receives their events.
 * On TCP, `connectRouter(options)` builds one with its transport in one call; on any other transport, construct it as the seed does,
 * `new CtpRouter(onReceived, send, onNodesUpdated, options)`, and feed every inbound frame to `receive(peer, frame)`.
 * Events (`on(name, listener)`): see {@link CtpRouterEvents}.
 * @example
 * {@includeCode ../docs/api-examples/connect.ts}
 */
export class CtpRouter<P = unknown> extends EventEmitter<CtpRouterEvents<P>> {
  /** This router's id. */
  readonly id: string;
  // table: the OCM table (owner, controller, monitors of every node); codec: every frame's (PROTOCOL.md
  // section 6); pending: the response map keyed by node (section 5); wire: the edge (admission, decoding,
  // dispatch, outbound); linkState: adverts, routes, neighbors, media, flooding, signatures, routing;
  // host: the nodes hosted here (registrations, open requests, leases, handlers); caller: this router's
  // registrations and requests; report: drops, errors and events, as the roles report them.
  private readonly table: CtpOcmTable<P>;
  private readonly codec: CtpCodec;
  private readonly pending: CtpPendingMap;
  private readonly wire: CtpWire<P>;
  private readonly linkState: CtpLinkState<P>;
  private readonly host: CtpHost<P>;
  private readonly caller: CtpCaller<P>;
  private readonly report: CtpReporter<P>;
  private readonly opts: CtpResolvedOptions<P>;
  /** The parts the host app's synchronous calls use (publishing.ts). */
  private readonly publishing: CtpPublishingParts<P>;
  private closed = false;

  /**
   * `onReceived`: START/STOP/COMMAND for local nodes without a `handle()` handler, and EVENTs; `send(peer, frame)`: to one peer, or every link when `peer` is `null`;
   * `onNodesUpdated`: the sorted reachable nodes after each change. Sends nothing until `peerUp`, a change or `resetTable`. Throws `CtpArgumentError` on a bad option or callback. @example
   * {@includeCode ../docs/api-examples/router-constructor.ts#constructor}
   */
  constructor(
    onReceived: CtpReceivedCallback,
    send: CtpSendCallback<P>,
    onNodesUpdated: CtpNodesUpdatedCallback,
    options?: CtpRouterOptions<P>,
  ) {
    super();
    for (const [k, f] of Object.entries({ onReceived, send, onNodesUpdated }))
      if (typeof f !== 'function') throw argumentError(k, 'a function', f);
    const o = (this.opts = resolveOptions(options));
    this.id = o.id;
    this.report = new CtpReporter(this.id, this);
    this.codec = o.codec;
    this.pending = new CtpPendingMap(o.clock);
    this.wire = new CtpWire(this.codec, send, this.report, o);
    const linkOpts = { ...o, virtualNodes: resolveVirtualNodes(options) };
    this.linkState = new CtpLinkState(this.wire, linkOpts, onNodesUpdated, this);
    this.host = new CtpHost(this.linkState, new CtpTimers(o.clock), o, onReceived, this.report);
    const [linkState, report] = [this.linkState, this.report];
    this.caller = new CtpCaller(linkState, this.host, this.pending, o, onReceived, report);
    this.table = new CtpOcmTable(this.linkState.table, this.host, this.caller.registrant);
    this.publishing = { table: this.linkState.table, host: this.host, out: this.wire.out };
    // The doors: the wire hands frames to link state, which hands this router's to the host and the caller.
    this.wire.attach(this.linkState);
    this.linkState.attach({ host: this.host, caller: this.caller, hostListener: this.host });
    const initial = checkNodeNames(o.nodes, 'options.nodes');
    this.linkState.flooding.assertRoom(initial);
    this.linkState.flooding.addOwn(initial);
    // The constructor sends nothing (PROTOCOL.md section 2): the first advert
    // goes out on a change, `peerUp` or `resetTable`.
    this.linkState.table.reoriginate();
    this.linkState.table.commit(o.clock.now());
  }

  // ---- requests: misuse rejects, never throws; no async wrappers (microtask hops, BENCHMARKS.md) ----

  /**
   * Become `node`'s controller, or one of its monitors (seed `CTPC_REGISTER`); emits `registered`. With `persistent: true`, once it succeeds the router
   * registers again after every `lost` (backoff) until `unregister` or `close`. Outcomes: `SUCCESS`; `ALREADY_ASSIGNED` (held already, or another router
   * controls it), `NODE_UNFOUND`, `TIMEOUT` (emits `timeout`), `ERROR` reason `closed`, ...; rejects with `CtpArgumentError` on misuse, `CtpClosedError` once closed. @example
   * {@includeCode ../docs/api-examples/register.ts}
   */
  register(node: string, type: CtpRegistrationType, opts?: CtpRegisterOptions): Promise<CtpResult> {
    return this.rejecting(() => {
      checkNode(node);
      checkType(type);
      checkPersistent(opts);
      const o = resolveRequestOptions(opts, this.opts.responseTimeoutMs);
      return this.caller.register(node, type, o, opts);
    });
  }

  /**
   * End this router's registration of `type` on `node` (seed `CTPC_UNREGISTER`); a persistent one is not renewed. Emits `unregistered`.
   * Outcomes: `SUCCESS`, `NOT_ASSIGNED`, `NODE_UNFOUND`, `TIMEOUT`, `ERROR` reason `closed`; rejects like `register`. @example
   * {@includeCode ../docs/api-examples/router.ts#unregister}
   */
  unregister(
    node: string,
    type: CtpRegistrationType,
    opts?: CtpRequestOptions,
  ): Promise<CtpResult> {
    return this.rejecting(() => {
      const o = resolveRequestOptions(opts, this.opts.responseTimeoutMs);
      checkNode(node);
      checkType(type);
      this.caller.persistence.forget(node, type);
      return this.caller.run(this.caller.registrant.unregister(node, type), o);
    });
  }

  /** Controller only: START `app` on `node` and wait for the host's response (seed `CTPC_START`). Outcomes and rejections: as `command`. @example
   * {@includeCode ../docs/api-examples/router.ts#start} */
  start(
    node: string,
    app: string,
    optionals?: Record<string, unknown>,
    opts?: CtpRequestOptions,
  ): Promise<CtpResult> {
    return this.control('START', node, app, optionals, opts);
  }

  /** Controller only: STOP `app` on `node` and wait for the host's response (seed `CTPC_STOP`). Outcomes and rejections: as `command`. @example
   * {@includeCode ../docs/api-examples/router.ts#stop} */
  stop(
    node: string,
    app: string,
    optionals?: Record<string, unknown>,
    opts?: CtpRequestOptions,
  ): Promise<CtpResult> {
    return this.control('STOP', node, app, optionals, opts);
  }

  /**
   * Controller only: send `content` to `app` on `node` and wait for the host's response (seed `CTPC_COMMAND`); `Reply` types the result's `content` (unchecked).
   * Outcomes: the host's code and content (`SUCCESS`, or what its handler answered); `NODE_UNFOUND`, `NOT_ASSIGNED` (not the controller), `TIMEOUT` after `timeoutMs`, `ERROR` reason `closed`, ...;
   * rejects with the signal's reason when `signal` aborts, `CtpArgumentError` on misuse, `CtpClosedError` once closed. @example
   * {@includeCode ../docs/api-examples/command.ts}
   */
  command<Reply = unknown>(
    node: string,
    app: string,
    content: unknown,
    opts?: CtpRequestOptions,
  ): Promise<CtpResult<Reply>> {
    return this.control('COMMAND', node, app, content, opts) as Promise<CtpResult<Reply>>;
  }

  /** start, stop, command: no closure per request (the hot path, BENCHMARKS.md). */
  private control(
    t: 'START' | 'STOP' | 'COMMAND',
    node: string,
    app: string,
    payload: unknown,
    opts: CtpRequestOptions | undefined,
  ): Promise<CtpResult> {
    try {
      this.assertOpen();
      checkControl(t, node, app, payload);
      return this.caller.run(
        this.caller.registrant.control(t, node, app, payload),
        resolveRequestOptions(opts, this.opts.responseTimeoutMs),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // ---- synchronous ------------------------------------------------------------

  /**
   * At the node's host: answer the open request (seed `CTPC_RESPONSE`). `re`: the `id` of the request answered (`msg.id` as `onReceived` got it);
   * when another request is open now, nothing is sent: `ERROR` reason `stale`. Outcomes: `SUCCESS`; `ERROR` reason `no-open-request`, `stale` or `too-large`; `NOT_ASSIGNED` (no controller); `REJECTED` (not local), `NODE_UNFOUND`; throws `CtpArgumentError`, `CtpClosedError`. @example
   * {@includeCode ../docs/api-examples/router.ts#respond}
   */
  respond(
    node: string,
    content?: unknown,
    code: ReturnCode = ReturnCode.SUCCESS,
    re?: number,
  ): CtpResult {
    this.assertOpen();
    return respondAt(this.publishing, node, content, code, re);
  }

  /** From anywhere: have the node's host publish `content` as the node's event (seed `CTPC_POST`). Outcomes: `SUCCESS` (sent), `NODE_UNFOUND`, `ERROR` reason `conflict` (two hosts) or `too-large` (nothing sent); throws `CtpArgumentError`, `CtpClosedError`. @example
   * {@includeCode ../docs/api-examples/router.ts#post} */
  post(node: string, content: unknown): CtpResult {
    this.assertOpen();
    return postTo(this.publishing, node, content);
  }

  /** At the node's host: send the node's EVENT to its controller and monitors, once per router (seed `CTPC_EVENT`). Outcomes: `SUCCESS`; `NOT_ASSIGNED` (no controller or monitor), `REJECTED` (not local), `NODE_UNFOUND`, `ERROR` `too-large`; throws `CtpArgumentError`, `CtpClosedError`. @example
   * {@includeCode ../docs/api-examples/router.ts#publish} */
  publish(node: string, content: unknown): CtpResult {
    this.assertOpen();
    return publishAt(this.publishing, node, content);
  }

  /** Add local nodes (a name or an array): all or none; advertises them, emits `nodes`. Throws `CtpArgumentError` (bad name, too many nodes), `CtpClosedError`. @example
   * {@includeCode ../docs/api-examples/router.ts#appendNodes} */
  appendNodes(names: string | readonly string[]): void {
    this.assertOpen();
    const list = checkNodeNames(names, 'names');
    const { flooding } = this.linkState;
    flooding.assertRoom(list);
    const added = flooding.addOwn(list);
    this.host.added(added);
    if (added.length > 0) this.linkState.update();
  }

  /** Remove local nodes (a name or an array); names that are not local are ignored; emits `nodes`. Throws `CtpArgumentError`, `CtpClosedError`. @example
   * {@includeCode ../docs/api-examples/router.ts#removeNodes} */
  removeNodes(names: string | readonly string[]): void {
    this.assertOpen();
    const removed = this.linkState.flooding.removeOwn(checkNodeNames(names, 'names'));
    this.host.removed(removed);
    if (removed.length > 0) this.linkState.update();
  }

  /** Re-advertise and ask every peer for its table (seed `reset_ocm_table`). Throws `CtpClosedError` once closed. @example
   * {@includeCode ../docs/api-examples/router.ts#resetTable} */
  resetTable(): void {
    this.assertOpen();
    this.linkState.resetTable();
  }

  /** Every reachable node name, sorted; virtual ones too unless `{ virtual: false }`. Never throws. @example
   * {@includeCode ../docs/api-examples/router.ts#nodes} */
  nodes(opts?: CtpNodesOptions): string[] {
    return this.linkState.nodeList.list(wantsVirtual(opts));
  }

  // ---- host app and lifecycle helpers (handlers.ts, wait-node.ts, event-stream.ts, drain.ts) ----

  /**
   * Answer `node`'s START/STOP/COMMAND with `handler` instead of `onReceived`; returns the disposer. `Req` types a COMMAND's content, `Res` the reply (unchecked).
   * The handler's return value (or resolution) is the `SUCCESS` content; a thrown `CtpReply` answers its code; any other throw `ERROR` reason `host-callback-failed`.
   * A second handler for a node throws `CtpArgumentError`.
   * @example
   * {@includeCode ../docs/api-examples/handle.ts}
   */
  handle<Req = unknown, Res = unknown>(node: string, handler: CtpHandler<Req, Res>): () => void {
    this.assertOpen();
    return this.host.handlers.handle(node, handler as CtpHandler);
  }

  /** Resolves when `node` is reachable; rejects with `CtpTimeoutError` after `timeoutMs`, the signal's reason on abort, `CtpClosedError` on close. @example
   * {@includeCode ../docs/api-examples/router.ts#waitForNode} */
  waitForNode(node: string, opts?: CtpWaitForNodeOptions): Promise<void> {
    return this.rejecting(() => this.caller.waitForNode(node, opts));
  }

  /**
   * The EVENTs this router receives (for `node`, or all; as controller or monitor) as an `AsyncIterable`; bounded, drops the oldest.
   * @example
   * {@includeCode ../docs/api-examples/events.ts}
   */
  events(node?: string, opts?: CtpEventsOptions): CtpEventStream {
    return this.caller.events(node, opts);
  }

  /** Unregister everything (emits `unregistered`), let requests in flight finish (up to `timeoutMs`), then close (emits `close`); rejects with `CtpClosedError` once closed. @example
   * {@includeCode ../docs/api-examples/router.ts#drain} */
  drain(opts?: CtpDrainOptions): Promise<void> {
    const caller = this.caller;
    const parts: Parameters<typeof drain>[0] = {
      registrations: () => caller.registrant.list(),
      stopPersistent: () => caller.persistence.close(),
      unregister: (node, type, o) => this.unregister(node, type, o),
      busy: () => this.pending.size > 0 || this.host.busy > 0,
      close: () => this.close(),
    };
    return this.rejecting(() => drain(parts, new CtpTimers(this.opts.clock), drainTimeout(opts)));
  }

  // ---- transport --------------------------------------------------------------

  /**
   * The transport reports a link up: send the peer the full table and an UPDATENODE. `info.medium`: the peer is a member of that broadcast
   * medium (no UPDATENODE); an invalid one is reported as `error` and the peer ignored. Never throws; a no-op once closed. @example
   * {@includeCode ../docs/api-examples/router-constructor.ts#peerUp}
   */
  peerUp(peer: P, info?: CtpPeerInfo): void {
    this.guard('peerUp', () => this.linkState.peerUp(peer, info));
  }

  /** The transport reports a link down: forget the neighbor, re-originate (emits `nodes`, and later `lost`/`released`). Never throws. @example
   * {@includeCode ../docs/api-examples/router-constructor.ts#peerDown} */
  peerDown(peer: P): void {
    this.guard('peerDown', () => this.linkState.peerDown(peer));
  }

  /** Process one inbound frame. Never throws: a refused frame is a `dropped` event, a fault an `error` event. @example
   * {@includeCode ../docs/api-examples/router-constructor.ts#receive} */
  receive(peer: P, frame: string | Uint8Array): void {
    if (!this.closed) this.wire.receive(peer, frame);
  }

  /** Resolve every pending request with `ERROR` (reason `closed`), clear every timer, emit `close`; later calls reject or throw `CtpClosedError`. @example
   * {@includeCode ../docs/api-examples/router.ts#close} */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wire.close();
    this.caller.close();
    this.host.close();
    this.linkState.close();
    debug('%s closed', this.id);
    this.report.emit('close');
  }

  /** Has `close()` been called? (`close` example) */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- introspection ----------------------------------------------------------

  /** Plain counters: frames in, out and forwarded, drops by reason, pending requests. @example
   * {@includeCode ../docs/api-examples/router.ts#stats} */
  stats(): CtpStats {
    return readStats(this.report, this.wire, this.pending);
  }

  /** The metrics by Prometheus name (docs/operations.md#metrics), as plain data read when called. @example
   * {@includeCode ../docs/api-examples/router.ts#metrics} */
  metrics(): CtpMetrics {
    return readMetrics(this.report, this.wire, this.pending, this.linkState, this.caller);
  }

  /** A plain-data copy of the table: nodes, routers, neighbors, registrations. @example
   * {@includeCode ../docs/api-examples/router.ts#snapshot} */
  snapshot(): CtpSnapshot {
    return this.table.snapshot();
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
