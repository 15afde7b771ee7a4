/**
 * `CtpRouter`: the public API and the dispatch of decoded frames. The table
 * (routes), the pending-response map and the codec live in their own files;
 * this file wires them and owns the timers.
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { jsonCodec, jsonProblem, withHops } from './codec.js';
import { argumentError, CtpArgumentError, CtpCallbackError, CtpClosedError, CtpDecodeError } from './errors.js';
import type { CtpDropped, CtpRouterEvents, DropReason, CtpLostEvent } from './events.js';
import {
  isReturnCode,
  ReturnCode,
  type CtpAdvert,
  type CtpControlMessage,
  type CtpEvent,
  type CtpHostBoundMessage,
  type CtpMessage,
  type CtpPost,
  type CtpRegister,
  type CtpRegistrantBoundMessage,
  type CtpRequestMessage,
  type CtpResponse,
  type CtpResult,
  type CtpUnregister,
} from './messages.js';
import {
  isReservedName,
  isValidPlainNodeName,
  parseVirtualName,
  virtualName,
  type CtpRegistrationType,
} from './names.js';
import { resolveOptions, resolveRequestOptions, type CtpRequestOptions, type CtpResolvedOptions, type CtpRouterOptions } from './options.js';
import { CtpPendingMap } from './pending.js';
import { CtpTable, type CtpTableDelta } from './table.js';

const debug = createDebug('ctp:router');

/** `onReceived`: START/STOP/COMMAND at the node's host, EVENT at a registrant (seed `ctpc_received_callback`). */
export type CtpReceivedCallback = (
  ...args: [name: 'START' | 'STOP' | 'COMMAND', msg: CtpControlMessage] | [name: 'EVENT', msg: CtpEvent]
) => void;
/**
 * `send`: deliver a frame to one peer, or to every peer when `peer` is `null`
 * (seed `ctpc_send_callback`). A throw, or a returned promise that rejects, is
 * reported as `error`; any other return value is ignored.
 */
export type CtpSendCallback<P> = (peer: P | null, frame: string) => unknown;
/** `onNodesUpdated`: the sorted list of reachable nodes, after every change (seed `node_updated_inform_callback`). */
export type CtpNodesUpdatedCallback = (nodes: string[]) => void;

/** `stats()`: plain counters. */
export interface CtpStats {
  framesIn: number;
  framesOut: number;
  forwarded: number;
  dropped: Record<string, number>;
  pending: number;
}

/** One node in `snapshot()`. */
export interface CtpNodeSnapshot {
  /** `'local'`, or the router id of the neighbor that is the next hop. */
  owner: string;
  /** The router that hosts it. */
  origin: string;
  /** Its controller's virtual node, where known (local nodes, and nodes this router controls). */
  controller?: string;
  /** Its monitors' virtual nodes, where known. */
  monitors?: string[];
}

/** `snapshot()`: a plain-data copy of the table. */
export interface CtpSnapshot {
  id: string;
  seq: number;
  nodes: Record<string, CtpNodeSnapshot>;
  routers: Record<string, { seq: number; reachable: boolean; nextHop?: string; nodes: number }>;
  neighbors: string[];
  registrations: { node: string; type: CtpRegistrationType; virtualNode: string; host: string }[];
}

/** A registration this router holds (as registrant). */
interface OwnRegistration {
  node: string;
  type: CtpRegistrationType;
  virtual: string;
  /** The host router it was made with; it stays bound to it. */
  host: string;
  /** The node is not advertised by the host right now. */
  gap: boolean;
  lostTimer: ReturnType<typeof setTimeout> | undefined;
  /** id of the newest refresh in flight. */
  refreshId: number | undefined;
  /** Sends the refresh again until the host answers it (a refresh can be lost). */
  refreshTimer?: ReturnType<typeof setTimeout> | undefined;
  refreshTries?: number;
}

/** Registrations held at the host for one local node. */
interface HostedNode {
  controller: string | undefined;
  monitors: Set<string>;
  /** The open control request: its id and the controller it came from. */
  open: { re: number; controller: string } | undefined;
  removalTimer: ReturnType<typeof setTimeout> | undefined;
}

interface WaitingRegister<P> {
  msg: CtpRegister;
  peer: P | typeof LOCAL;
  timer: ReturnType<typeof setTimeout>;
}

type ResolvedRequestOptions = ReturnType<typeof resolveRequestOptions>;
/** Builds a request's frame once its slot is held, or answers without sending. */
type RequestPrepare = (to: string, id: number) => CtpResult | RequestPlan;
/** A request's frame and what to do with its outcome. */
interface RequestPlan {
  msg: CtpRequestMessage;
  done: (r: CtpResult, msg: CtpRequestMessage) => void;
  aborted?: () => void;
}

const LOCAL: unique symbol = Symbol('local');
type Source<P> = P | typeof LOCAL;

// SPEC.md section 7: an advert more than 2^43 ms ahead of the clock is malformed.
const SEQ_AHEAD_LIMIT = 2 ** 43;
const HEAL_INTERVAL_MS = 1_000;
const HEAL_CONFLICT_INTERVAL_MS = 60_000;
const HEAL_WINDOW_MS = 10_000;
// Peers remembered as down (so their late frames are dropped); the oldest is forgotten past this.
const MAX_DOWN_PEERS = 10_000;
// A refresh is re-sent until answered, at most this many times, at this interval at least.
const REFRESH_TRIES = 10;
const REFRESH_RETRY_MIN_MS = 1_000;
// Released registrations remembered at a host (see rememberReleased); the oldest is forgotten past this.
const MAX_RELEASED = 10_000;
// Room for the REPORTNODE envelope around the own advert's lists.
const ADVERT_OVERHEAD_BYTES = 512;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function jsonBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s)) + 1;
}

function unref(t: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  (t as { unref?: () => void }).unref?.();
  return t;
}

/**
 * Routes the Control Transfer Protocol between processes. Construct it
 * exactly as the seed: `new CtpRouter(onReceived, send, onNodesUpdated, options)`,
 * then feed every inbound frame to `receive(peer, frame)`.
 */
export class CtpRouter<P = unknown> extends EventEmitter<CtpRouterEvents<P>> {
  /** This router's id. */
  readonly id: string;
  private readonly opts: CtpResolvedOptions<P>;
  private readonly onReceived: CtpReceivedCallback;
  private readonly sendCb: CtpSendCallback<P>;
  private readonly onNodesUpdated: CtpNodesUpdatedCallback;
  private readonly table: CtpTable<P>;
  private readonly pending = new CtpPendingMap();
  private readonly regs = new Map<string, OwnRegistration>();
  private readonly hosted = new Map<string, HostedNode>();
  private readonly hostLeases = new Map<string, ReturnType<typeof setTimeout>>();
  /** At a host: registrations released while their registrant was unreachable → when (oldest first). */
  private readonly releasedAt = new Map<string, number>();
  private readonly waiting = new Map<string, WaitingRegister<P>[]>();
  private waitingCount = 0;
  private readonly downPeers = new Set<P>();
  /** Peers whose next `from` may rebind them (after a new `peerUp`). */
  private readonly rebindable = new Set<P>();
  private readonly idConflictPeers = new Set<P>();
  private nextId = 1;
  private closed = false;
  private updating = false;
  private ownNodeBytes = 0;
  private staleTimer: ReturnType<typeof setTimeout> | undefined;
  private staleAt = Infinity;
  private healTimer: ReturnType<typeof setTimeout> | undefined;
  private healFloor = 0;
  private lastHealAt = -Infinity;
  private healHistory: number[] = [];
  private idConflict = false;
  private readonly counters = { framesIn: 0, framesOut: 0, forwarded: 0 };
  /** Origins whose advert the current update already flooded (a regained one is then not sent twice). */
  private readonly floodedNow = new Set<string>();
  private readonly drops: Record<string, number> = {};
  /** The frame being received and its decoded message (`forward` patches it). */
  private inMsg: CtpMessage | undefined;
  private inFrame = '';

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
    this.opts = resolveOptions(options);
    this.id = this.opts.id;
    this.onReceived = onReceived;
    this.sendCb = send;
    this.onNodesUpdated = onNodesUpdated;
    this.table = new CtpTable<P>(this.id, Date.now(), this.opts.maxRouters);
    const initial = this.checkNodeNames(this.opts.nodes, 'options.nodes');
    this.checkAdvertRoom(initial);
    this.addOwnNodes(initial);
    // The constructor sends nothing (SPEC.md section 2): the first advert
    // goes out on a change, `peerUp` or `resetTable`.
    this.table.reoriginate();
    this.table.commit(Date.now());
  }

  // =========================================================================
  // Public API: requests
  // =========================================================================

  /** Become `node`'s controller, or one of its monitors (seed `CTPC_REGISTER`). */
  async register(node: string, type: CtpRegistrationType, opts?: CtpRequestOptions): Promise<CtpResult> {
    const { o, virtual } = this.registrationArgs(node, type, opts);
    const check = (): CtpResult | string => {
      const owner = this.table.ownerOf(node);
      if (owner === undefined) return { code: ReturnCode.NODE_UNFOUND };
      if (this.table.hostsOf(node).length > 1) return { code: ReturnCode.ERROR, reason: 'conflict' };
      if (this.regs.has(virtual)) return { code: ReturnCode.ALREADY_ASSIGNED };
      if (type === 'controller' && this.table.hasLocal(node) && this.hosted.get(node)?.controller !== undefined)
        return { code: ReturnCode.ALREADY_ASSIGNED };
      return owner;
    };
    return this.request(node, 'register', o, check, (to, id) => {
      if (!this.hasAdvertRoom([virtual])) return { code: ReturnCode.ERROR, reason: 'too-many-nodes' };
      this.addOwnNodes([virtual]);
      this.update();
      const msg: CtpRegister = { v: 1, t: 'REGISTER', id, to, node, [type]: virtual };
      return {
        msg,
        done: (r) => {
          if (r.code === ReturnCode.SUCCESS && !this.closed) {
            this.regs.set(virtual, { node, type, virtual, host: to, gap: false, lostTimer: undefined, refreshId: undefined });
            this.safeEmit('registered', { node, type, virtualNode: virtual, host: to });
            this.evaluateRegistration(virtual);
          } else this.dropOwnVirtual(virtual);
        },
      };
    });
  }

  /** End this router's registration of `type` on `node` (seed `CTPC_UNREGISTER`). */
  async unregister(node: string, type: CtpRegistrationType, opts?: CtpRequestOptions): Promise<CtpResult> {
    const { o, virtual } = this.registrationArgs(node, type, opts);
    const check = (): CtpResult | string => {
      const reg = this.regs.get(virtual);
      if (!this.nodeKnownFor(node, reg)) {
        // The caller wants the registration gone: forget it here; the host
        // releases its side after its grace.
        if (reg !== undefined) this.forgetRegistration(reg, ReturnCode.NODE_UNFOUND);
        return { code: ReturnCode.NODE_UNFOUND };
      }
      if (reg === undefined) return { code: ReturnCode.NOT_ASSIGNED };
      return reg.host;
    };
    return this.request(node, 'unregister', o, check, (to, id) => ({
      msg: { v: 1, t: 'UNREGISTER', id, to, node, [type]: virtual } as CtpUnregister,
      done: (r) => {
        const reg = this.regs.get(virtual);
        if (reg === undefined) return;
        if (r.code === ReturnCode.NOT_ASSIGNED || r.code === ReturnCode.ALREADY_ASSIGNED) this.loseRegistration(reg, 'refused', r.code);
        else this.forgetRegistration(reg, r.code);
      },
      aborted: () => {
        const reg = this.regs.get(virtual);
        if (reg !== undefined) this.forgetRegistration(reg, undefined);
      },
    }));
  }

  /** Validate the arguments of register/unregister; the options resolved and the virtual node's name. */
  private registrationArgs(node: string, type: CtpRegistrationType, opts: CtpRequestOptions | undefined) {
    this.assertOpen();
    this.checkNode(node);
    this.checkType(type);
    return { o: resolveRequestOptions(opts, this.opts.responseTimeoutMs), virtual: virtualName(type, node, this.id) };
  }

  // start/stop/command return control's promise as is, and control returns
  // request's (misuse still rejects, never throws): each async wrapper would
  // add microtask hops to every request (BENCHMARKS.md).

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

  private control(
    t: 'START' | 'STOP' | 'COMMAND',
    node: string,
    app: string,
    payload: unknown,
    opts: CtpRequestOptions | undefined,
  ): Promise<CtpResult> {
    let o: ResolvedRequestOptions;
    // Misuse rejects, never throws synchronously (not an async function: see request()).
    try {
      this.assertOpen();
      this.checkNode(node);
      if (typeof app !== 'string') throw argumentError('app', 'a string', app);
      if (t === 'COMMAND') this.checkJson('content', payload, false);
      else if (payload !== undefined) {
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
          throw argumentError('optionals', 'a plain object', payload);
        this.checkJson('optionals', payload, false);
      }
      o = resolveRequestOptions(opts, this.opts.responseTimeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    if (o.signal?.aborted) return Promise.reject(o.signal.reason);
    const virtual = virtualName('controller', node, this.id);
    const host = this.controlHost(node, virtual);
    if (typeof host !== 'string') return Promise.resolve(host);
    const op = t === 'START' ? 'start' : t === 'STOP' ? 'stop' : 'command';
    const build = (to: string, id: number): CtpControlMessage =>
      t === 'COMMAND'
        ? { v: 1, t, id, to, node, controller: virtual, app, content: payload }
        : payload === undefined
          ? { v: 1, t, id, to, node, controller: virtual, app }
          : { v: 1, t, id, to, node, controller: virtual, app, optionals: payload as Record<string, unknown> };
    const deadline = Date.now() + o.timeoutMs;
    const release = this.pending.tryAcquire(node);
    // The common path: no check or plan closures (BENCHMARKS.md).
    if (release !== undefined) return this.exchange(node, op, o, deadline, host, { msg: build(host, this.nextId++), done: this.afterControl }, release);
    if (!o.queue) return Promise.resolve({ code: ReturnCode.IN_PROGRESS });
    return this.queuedRequest(node, op, o, deadline, () => this.controlHost(node, virtual), (to, id) => ({ msg: build(to, id), done: this.afterControl }));
  }

  /** Where a control request for `node` goes (the host of this router's controller registration), or why not. */
  private controlHost(node: string, virtual: string): CtpResult | string {
    const reg = this.regs.get(virtual);
    if (!this.nodeKnownFor(node, reg)) return { code: ReturnCode.NODE_UNFOUND };
    if (reg === undefined) return { code: ReturnCode.NOT_ASSIGNED };
    return reg.host;
  }

  /** SPEC.md section 5: a host that answers NOT_ASSIGNED or REJECTED no longer holds this registration. */
  private readonly afterControl = (r: CtpResult, msg: CtpRequestMessage): void => {
    if (r.code !== ReturnCode.NOT_ASSIGNED && r.code !== ReturnCode.REJECTED) return;
    const reg = this.regs.get((msg as CtpControlMessage).controller);
    if (reg !== undefined) this.loseRegistration(reg, 'refused', r.code);
  };

  /**
   * The request machinery shared by every request method: pre-checks, the
   * node's slot (IN_PROGRESS or queue), the frame, the wait, the outcome.
   * No async function on the common path: each would add promises and
   * microtask hops to every request (BENCHMARKS.md).
   */
  private request(node: string, op: string, o: ResolvedRequestOptions, check: () => CtpResult | string, prepare: RequestPrepare): Promise<CtpResult> {
    const { signal } = o;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const deadline = Date.now() + o.timeoutMs;
    const to = check();
    if (typeof to !== 'string') return Promise.resolve(to);
    const release = this.pending.tryAcquire(node);
    if (release !== undefined) return this.exchangeWith(node, op, o, deadline, to, prepare, release);
    if (!o.queue) return Promise.resolve({ code: ReturnCode.IN_PROGRESS });
    return this.queuedRequest(node, op, o, deadline, check, prepare);
  }

  /** `queue: true` on a busy node: wait for the slot, then check again. */
  private async queuedRequest(
    node: string,
    op: string,
    o: ResolvedRequestOptions,
    deadline: number,
    check: () => CtpResult | string,
    prepare: RequestPrepare,
  ): Promise<CtpResult> {
    const slot = await this.pending.acquire(node, { queue: true, signal: o.signal, deadline });
    if (typeof slot !== 'function') {
      if (slot.timedOut) {
        this.safeEmit('timeout', { node, op });
        return { code: ReturnCode.TIMEOUT };
      }
      return slot;
    }
    if (this.closed) {
      slot();
      return { code: ReturnCode.ERROR, reason: 'closed' };
    }
    // Re-check: the table may have moved while the request waited its turn.
    const to = check();
    if (typeof to !== 'string') {
      slot();
      return to;
    }
    return this.exchangeWith(node, op, o, deadline, to, prepare, slot);
  }

  /** `prepare` once the slot is held: build the frame, or answer without sending. */
  private exchangeWith(node: string, op: string, o: ResolvedRequestOptions, deadline: number, to: string, prepare: RequestPrepare, release: () => void): Promise<CtpResult> {
    let plan: ReturnType<RequestPrepare>;
    try {
      plan = prepare(to, this.nextId++);
    } catch (err) {
      release();
      return Promise.reject(err);
    }
    if (!('msg' in plan)) {
      release();
      return Promise.resolve(plan);
    }
    return this.exchange(node, op, o, deadline, to, plan, release);
  }

  /** With the node's slot held: send the request and wait for its answer. */
  private exchange(node: string, op: string, o: ResolvedRequestOptions, deadline: number, to: string, plan: RequestPlan, release: () => void): Promise<CtpResult> {
    const { msg, done } = plan;
    const id = msg.id;
    const remaining = deadline - Date.now();
    const waiting =
      remaining <= 0
        ? Promise.resolve<CtpResult & { timedOut?: boolean }>({ code: ReturnCode.TIMEOUT, timedOut: true })
        : this.pending.wait({ id, node, op, to }, remaining, o.signal, () => this.routeOwnRequest(msg, to));
    return waiting.then(
      (result) => {
        try {
          if (result.timedOut) {
            debug('%s: %s %s timed out', this.id, op, node);
            this.safeEmit('timeout', { node, op, id });
          }
          const out: CtpResult = { code: result.code };
          if (result.content !== undefined) out.content = result.content;
          if (result.reason !== undefined) out.reason = result.reason;
          done(out, msg);
          return out;
        } finally {
          release();
        }
      },
      (err: unknown) => {
        try {
          if (plan.aborted !== undefined) plan.aborted();
          else done({ code: ReturnCode.ERROR, reason: 'aborted' }, msg);
        } finally {
          release();
        }
        throw err;
      },
    );
  }

  // =========================================================================
  // Public API: synchronous
  // =========================================================================

  /**
   * At the node's host: answer the open request (seed `CTPC_RESPONSE`).
   * `re` (optional): the `id` of the request being answered (`msg.id` as
   * `onReceived` got it). When given and another request is open now (a newer
   * one replaced it), nothing is sent: `ERROR`, reason `stale`, so a host app's
   * late answer never resolves the caller's next request.
   */
  respond(node: string, content?: unknown, code: ReturnCode = ReturnCode.SUCCESS, re?: number): CtpResult {
    this.assertOpen();
    this.checkNode(node);
    if (!isReturnCode(code)) throw argumentError('code', 'a ReturnCode', code);
    if (re !== undefined && !Number.isSafeInteger(re)) throw argumentError('re', 'a request id', re);
    if (content !== undefined) this.checkJson('content', content, false);
    if (!this.table.isReachableName(node)) return { code: ReturnCode.NODE_UNFOUND };
    if (!this.table.hasLocal(node)) return { code: ReturnCode.REJECTED };
    const h = this.hosted.get(node);
    if (h?.controller === undefined) return { code: ReturnCode.NOT_ASSIGNED };
    // SPEC.md section 10: nothing is sent when nothing is open (it would be dropped as stale).
    if (h.open === undefined) return { code: ReturnCode.ERROR, reason: 'no-open-request' };
    if (re !== undefined && re !== h.open.re) return { code: ReturnCode.ERROR, reason: 'stale' };
    const open = h.open;
    h.open = undefined;
    this.answer(node, h.controller, code, open.re, content);
    this.pruneHosted(node);
    return { code: ReturnCode.SUCCESS };
  }

  /** From anywhere: have the node's host publish `content` as the node's event (seed `CTPC_POST`). */
  post(node: string, content: unknown): CtpResult {
    this.assertOpen();
    this.checkNode(node);
    this.checkJson('content', content, true);
    const owner = this.table.ownerOf(node);
    if (owner === undefined) return { code: ReturnCode.NODE_UNFOUND };
    if (this.table.hostsOf(node).length > 1) return { code: ReturnCode.ERROR, reason: 'conflict' };
    if (owner === this.id) this.publishLocal(node, content);
    else {
      const msg: CtpPost = { v: 1, t: 'POST', to: owner, node, content };
      const peer = this.table.peerToward(owner);
      if (peer === undefined) return { code: ReturnCode.NODE_UNFOUND };
      this.sendFrame(peer, this.opts.codec.encode(msg));
    }
    return { code: ReturnCode.SUCCESS };
  }

  /** At the node's host: send an EVENT to its controller and every monitor (seed `CTPC_EVENT`). */
  publish(node: string, content: unknown): CtpResult {
    this.assertOpen();
    this.checkNode(node);
    this.checkJson('content', content, true);
    if (!this.table.isReachableName(node)) return { code: ReturnCode.NODE_UNFOUND };
    if (!this.table.hasLocal(node)) return { code: ReturnCode.REJECTED };
    return this.publishLocal(node, content) ? { code: ReturnCode.SUCCESS } : { code: ReturnCode.NOT_ASSIGNED };
  }

  /** Add local nodes (a name or an array): all or none. */
  appendNodes(names: string | readonly string[]): void {
    this.assertOpen();
    const list = this.checkNodeNames(typeof names === 'string' ? [names] : names, 'names');
    this.checkAdvertRoom(list);
    const added = this.addOwnNodes(list);
    for (const n of added) {
      // A node re-added within its grace keeps its controller and monitors.
      const h = this.hosted.get(n);
      if (h?.removalTimer !== undefined) {
        clearTimeout(h.removalTimer);
        h.removalTimer = undefined;
        // Its registrations may have been released meanwhile: an empty record
        // would stay forever (found by the simulator, seed 21290).
        this.pruneHosted(n);
      }
    }
    if (added.length > 0) this.update();
  }

  /** Remove local nodes (a name or an array); names that are not local are ignored. */
  removeNodes(names: string | readonly string[]): void {
    this.assertOpen();
    const list = this.checkNodeNames(typeof names === 'string' ? [names] : names, 'names');
    const removed = this.removeOwnNodes(list);
    for (const n of removed) {
      const h = this.hosted.get(n);
      if (h === undefined) continue;
      h.open = undefined;
      // SPEC.md section 5: a removed node keeps its registrations for the grace.
      if (h.removalTimer === undefined)
        h.removalTimer = unref(setTimeout(() => this.dropHosted(n), this.opts.leaseGraceMs));
    }
    if (removed.length > 0) this.update();
  }

  /** Re-advertise and ask every peer for its table (seed `reset_ocm_table`). */
  resetTable(): void {
    this.assertOpen();
    this.update();
    this.broadcastAdverts([this.table.ownAdvert()]);
    this.sendFrame(null, this.opts.codec.encode({ v: 1, t: 'UPDATENODE', from: this.id }));
  }

  /** Every reachable node name, virtual ones included, sorted. */
  nodes(): string[] {
    return this.table.sortedNames().slice();
  }

  // =========================================================================
  // Public API: transport
  // =========================================================================

  /** The transport reports a link up: send the peer the full table and an UPDATENODE. */
  peerUp(peer: P): void {
    if (this.closed) return;
    try {
      this.downPeers.delete(peer);
      if (this.table.boundId(peer) !== undefined) this.rebindable.add(peer);
      this.update();
      this.sendTable(peer);
      this.sendFrame(peer, this.opts.codec.encode({ v: 1, t: 'UPDATENODE', from: this.id }));
    } catch (err) {
      this.reportError('peerUp', err);
    }
  }

  /** The transport reports a link down: forget the neighbor, re-originate. */
  peerDown(peer: P): void {
    if (this.closed) return;
    try {
      this.rebindable.delete(peer);
      this.idConflictPeers.delete(peer);
      this.downPeers.delete(peer);
      this.downPeers.add(peer);
      if (this.downPeers.size > MAX_DOWN_PEERS) this.downPeers.delete(this.downPeers.values().next().value as P);
      if (this.table.unbind(peer) !== undefined) this.update();
    } catch (err) {
      this.reportError('peerDown', err);
    }
  }

  /** Process one inbound frame. Never throws. */
  receive(peer: P, frame: string | Uint8Array): void {
    if (this.closed) return;
    try {
      this.receiveFrame(peer, frame);
    } catch (err) {
      this.reportError('receive', err);
    } finally {
      this.inMsg = undefined;
      this.inFrame = '';
    }
  }

  /** Resolve every pending request with `ERROR` (reason `closed`) and clear every timer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.close();
    for (const list of this.waiting.values()) for (const w of list) clearTimeout(w.timer);
    this.waiting.clear();
    this.waitingCount = 0;
    for (const t of this.hostLeases.values()) clearTimeout(t);
    this.hostLeases.clear();
    this.releasedAt.clear();
    for (const h of this.hosted.values()) if (h.removalTimer !== undefined) clearTimeout(h.removalTimer);
    for (const r of this.regs.values()) {
      if (r.lostTimer !== undefined) clearTimeout(r.lostTimer);
      if (r.refreshTimer !== undefined) clearTimeout(r.refreshTimer);
    }
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    if (this.healTimer !== undefined) clearTimeout(this.healTimer);
    this.staleTimer = undefined;
    this.healTimer = undefined;
    debug('%s closed', this.id);
  }

  /** Has `close()` been called? */
  get isClosed(): boolean {
    return this.closed;
  }

  // =========================================================================
  // Public API: introspection
  // =========================================================================

  /** Plain counters. */
  stats(): CtpStats {
    return { ...this.counters, dropped: { ...this.drops }, pending: this.pending.size };
  }

  /** A plain-data copy of the table. */
  snapshot(): CtpSnapshot {
    const nodes: Record<string, CtpNodeSnapshot> = {};
    const define = <T>(obj: Record<string, T>, key: string, value: T): void => {
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    };
    for (const name of this.table.sortedNames()) {
      const origin = this.table.ownerOf(name) as string;
      const entry: CtpNodeSnapshot = {
        owner: origin === this.id ? 'local' : (this.table.firstHop(origin) as string),
        origin,
      };
      const h = origin === this.id ? this.hosted.get(name) : undefined;
      if (origin === this.id) {
        // A local node shows the host's records only: this router's own
        // registration of a same-named node elsewhere (a conflict) is another
        // node's (found by the simulator, seed 26); it is in `registrations`.
        if (h?.controller !== undefined) entry.controller = h.controller;
        if (h !== undefined && h.monitors.size > 0) entry.monitors = [...h.monitors];
      } else {
        const c = this.regs.get(virtualName('controller', name, this.id));
        if (c !== undefined) entry.controller = c.virtual;
        const m = this.regs.get(virtualName('monitor', name, this.id));
        if (m !== undefined) entry.monitors = [m.virtual];
      }
      define(nodes, name, entry);
    }
    const routers: CtpSnapshot['routers'] = {};
    for (const ad of this.table.storedAdverts()) {
      const hop = this.table.firstHop(ad.origin);
      const r: CtpSnapshot['routers'][string] = { seq: ad.seq, reachable: hop !== undefined, nodes: ad.names.length };
      if (hop !== undefined) r.nextHop = hop;
      define(routers, ad.origin, r);
    }
    return {
      id: this.id,
      seq: this.table.seq,
      nodes,
      routers,
      neighbors: this.table.neighborIds(),
      registrations: [...this.regs.values()].map((r) => ({ node: r.node, type: r.type, virtualNode: r.virtual, host: r.host })),
    };
  }

  // =========================================================================
  // Inbound dispatch
  // =========================================================================

  private receiveFrame(peer: P, raw: string | Uint8Array): void {
    this.counters.framesIn++;
    if (this.downPeers.has(peer)) return this.drop(peer, 'peer-down');
    const max = this.opts.maxFrameBytes;
    let frame: string;
    if (typeof raw === 'string') {
      if (raw.length > max || (raw.length * 3 > max && Buffer.byteLength(raw) > max)) return this.drop(peer, 'too-large');
      frame = raw;
    } else if (raw instanceof Uint8Array) {
      if (raw.byteLength > max) return this.drop(peer, 'too-large');
      try {
        frame = utf8.decode(raw);
      } catch {
        return this.drop(peer, 'malformed', { message: 'the frame is not UTF-8' });
      }
    } else return this.drop(peer, 'malformed', { message: 'the frame is not text' });

    let msg: CtpMessage;
    try {
      msg = this.opts.codec.decode(frame);
      if (typeof msg !== 'object' || msg === null || typeof msg.t !== 'string') throw new CtpDecodeError('malformed', 'the codec returned no message');
      this.inMsg = msg;
      this.inFrame = frame;
    } catch (err) {
      const reason = err instanceof CtpDecodeError ? (err.reason as DropReason) : 'malformed';
      return this.drop(peer, reason, { message: (err as Error)?.message });
    }
    if (this.opts.authorize !== undefined) {
      let ok = false;
      try {
        ok = this.opts.authorize(peer, msg) === true;
      } catch (err) {
        this.reportError('authorize', err);
      }
      if (!ok) return this.drop(peer, 'unauthorized', { t: msg.t });
    }
    if (debug.enabled) debug('%s <- %s', this.id, msg.t);
    switch (msg.t) {
      case 'REPORTNODE':
      case 'UPDATENODE': {
        if (!this.bindFrom(peer, msg.from, msg.t)) return;
        if (msg.t === 'UPDATENODE') {
          this.update();
          this.sendTable(peer);
        } else this.onAdverts(peer, msg.adverts);
        return;
      }
      case 'REGISTER':
      case 'UNREGISTER':
      case 'START':
      case 'STOP':
      case 'COMMAND':
      case 'POST':
        return this.routeHostBound(msg, peer);
      case 'RESPONSE':
      case 'EVENT':
        return this.routeRegistrantBound(msg, peer);
      default:
        return this.drop(peer, 'unknown-type');
    }
  }

  /** SPEC.md section 7, Neighbors: bind the peer to the first `from` heard on it. */
  private bindFrom(peer: P, from: string, t: string): boolean {
    if (from === this.id) {
      this.drop(peer, 'duplicate-id', { t });
      if (!this.idConflictPeers.has(peer)) {
        this.idConflictPeers.add(peer);
        this.safeEmit('conflict', { kind: 'router-id', id: this.id });
      }
      return false;
    }
    const bound = this.table.boundId(peer);
    if (bound === from) {
      this.rebindable.delete(peer);
      return true;
    }
    if (bound !== undefined && !this.rebindable.has(peer)) {
      this.drop(peer, 'from-mismatch', { t });
      return false;
    }
    this.rebindable.delete(peer);
    this.table.bind(peer, from);
    // "When one frame both teaches a new neighbor and carries adverts,
    // re-originate first, then flood the adverts."
    this.flushOwnAdvert();
    return true;
  }

  private onAdverts(peer: P, adverts: CtpAdvert[]): void {
    const now = Date.now();
    const flood: CtpAdvert[] = [];
    const back: CtpAdvert[] = [];
    for (const a of adverts) {
      if (a.nodes.length > this.opts.maxNodesPerAdvert) {
        this.drop(peer, 'too-many-nodes', { t: 'REPORTNODE', origin: a.origin });
        continue;
      }
      if (a.seq - now > SEQ_AHEAD_LIMIT) {
        this.drop(peer, 'malformed', { t: 'REPORTNODE', origin: a.origin, message: '`seq` is too far ahead of the clock' });
        continue;
      }
      switch (this.table.applyAdvert(a, now)) {
        case 'stored':
          flood.push(a);
          this.floodedNow.add(a.origin);
          break;
        case 'older': {
          // As OSPF does: send the newer stored copy back, so a restarted
          // router learns its old sequence number.
          const s = this.table.stored(a.origin);
          if (s !== undefined) back.push({ origin: s.origin, seq: s.seq, nodes: s.nodes, neighbors: s.neighbors });
          break;
        }
        case 'own-heal':
          this.heal(a.seq);
          break;
        case 'too-many-routers':
          this.drop(peer, 'too-many-routers', { t: 'REPORTNODE', origin: a.origin });
          break;
        default:
          break;
      }
    }
    if (flood.length > 0) this.broadcastAdverts(flood);
    if (back.length > 0) this.sendAdverts(peer, back);
    this.update();
  }

  /** Restart healing, rate limited (SPEC.md section 7). */
  private heal(seq: number): void {
    this.healFloor = Math.max(this.healFloor, seq);
    if (this.healTimer !== undefined) return;
    const interval = this.idConflict ? HEAL_CONFLICT_INTERVAL_MS : HEAL_INTERVAL_MS;
    const wait = this.lastHealAt + interval - Date.now();
    if (wait <= 0) this.doHeal();
    else this.healTimer = unref(setTimeout(() => this.doHeal(), wait));
  }

  private doHeal(): void {
    this.healTimer = undefined;
    if (this.closed || this.healFloor < this.table.seq) return;
    const now = Date.now();
    this.lastHealAt = now;
    this.healHistory = this.healHistory.filter((t) => now - t < HEAL_WINDOW_MS);
    this.healHistory.push(now);
    const advert = this.table.healAbove(this.healFloor);
    debug('%s heals its advert to seq %d', this.id, advert.seq);
    this.broadcastAdverts([advert]);
    if (!this.idConflict && this.healHistory.length >= 3) {
      // The third heal within ten seconds: another router is using this id.
      this.idConflict = true;
      this.safeEmit('conflict', { kind: 'router-id', id: this.id });
    }
  }

  // ---- routed frames ------------------------------------------------------

  /** REGISTER, UNREGISTER, START, STOP, COMMAND, POST: toward the node's host. */
  private routeHostBound(msg: CtpHostBoundMessage, from: Source<P>): void {
    const dest = msg.to ?? this.table.ownerOf(msg.node);
    if (dest === this.id) {
      if (!this.table.hasLocal(msg.node) || isReservedName(msg.node)) return this.unroutable(msg, from, 'no-route');
      return this.deliverHostBound(msg, from);
    }
    if (dest === undefined) return this.unroutable(msg, from, 'no-route');
    this.forward(msg, dest, from);
  }

  /** RESPONSE, EVENT: toward the router of the destination virtual node. */
  private routeRegistrantBound(msg: CtpRegistrantBoundMessage, from: Source<P>): void {
    const dest = msg.t === 'RESPONSE' ? msg.controller : msg.monitor;
    const v = parseVirtualName(dest);
    if (v === undefined || v.node !== msg.node) {
      if (from !== LOCAL) this.drop(from, 'malformed', { t: msg.t, message: 'the destination is not a virtual node' });
      return;
    }
    if (v.routerId === this.id) {
      if (!this.table.hasLocal(dest)) {
        if (from !== LOCAL) this.drop(from, 'no-route', { t: msg.t, node: msg.node });
        return;
      }
      return msg.t === 'RESPONSE' ? this.onResponse(msg, from) : this.onEvent(msg);
    }
    this.forward(msg, v.routerId, from);
  }

  private forward(msg: CtpMessage, dest: string, from: Source<P>): void {
    const peer = this.table.peerToward(dest);
    if (peer === undefined) return this.unroutable(msg, from, 'no-route');
    if (from === LOCAL) {
      this.sendFrame(peer, this.opts.codec.encode(msg));
      return;
    }
    const hops = msg.hops ?? 0;
    if (hops >= this.opts.maxHops) return this.unroutable(msg, from, 'hop-limit');
    this.counters.forwarded++;
    // The frame keeps every field it arrived with; only `hops` changes. The
    // JSON codec patches the text it received rather than re-encode it.
    const patched = msg === this.inMsg && this.opts.codec === jsonCodec ? withHops(this.inFrame, msg.hops, hops + 1) : undefined;
    this.sendFrame(peer, patched ?? this.opts.codec.encode({ ...msg, hops: hops + 1 }));
  }

  /**
   * A frame that cannot go on. A request whose registrant is routable is
   * answered NODE_UNFOUND first, so its caller does not wait for a timeout.
   */
  private unroutable(msg: CtpMessage, from: Source<P>, reason: DropReason): void {
    if ('id' in msg && typeof msg.id === 'number') {
      const req = msg as CtpRequestMessage;
      const registrant = req.t === 'REGISTER' || req.t === 'UNREGISTER' ? (req.controller ?? req.monitor) : req.controller;
      if (from === LOCAL && this.table.hasLocal(registrant as string)) {
        this.pending.settle(req.node, req.id, { code: ReturnCode.NODE_UNFOUND });
      } else if (registrant !== undefined && parseVirtualName(registrant)?.node === req.node && this.table.isReachableName(registrant)) {
        this.answer(req.node, registrant, ReturnCode.NODE_UNFOUND, req.id);
      }
    }
    if (from !== LOCAL) this.drop(from, reason, { t: msg.t, node: 'node' in msg ? msg.node : undefined });
  }

  // ---- at the node's host ----------------------------------------------------

  private deliverHostBound(msg: CtpHostBoundMessage, from: Source<P>): void {
    switch (msg.t) {
      case 'REGISTER':
        return this.hostRegister(msg, from);
      case 'UNREGISTER':
        return this.hostUnregister(msg, from);
      case 'POST':
        this.publishLocal(msg.node, msg.content);
        return;
      default:
        return this.hostControl(msg, from);
    }
  }

  /** The registrant named in a REGISTER/UNREGISTER, when well-formed for this node and type. */
  private registrantOf(msg: CtpRegister | CtpUnregister, from: Source<P>): { type: CtpRegistrationType; name: string } | undefined {
    const type: CtpRegistrationType = msg.controller !== undefined ? 'controller' : 'monitor';
    const name = (msg.controller ?? msg.monitor) as string;
    const v = parseVirtualName(name);
    if (v === undefined || v.type !== type || v.node !== msg.node) {
      if (from !== LOCAL) this.drop(from, 'bad-registrant', { t: msg.t, node: msg.node });
      return undefined;
    }
    return { type, name };
  }

  private hostRegister(msg: CtpRegister, from: Source<P>): void {
    const r = this.registrantOf(msg, from);
    if (r === undefined) return;
    if (this.table.isReachableName(r.name)) return this.completeRegister(msg, r.type, r.name);
    // SPEC.md section 5: wait (event-driven, not the seed's sleep loop) for
    // the registrant's advert, which can arrive after the request.
    if (this.waitingCount >= this.opts.maxWaitingRegistrations) {
      if (from !== LOCAL) this.drop(from, 'too-many-waiting', { t: msg.t, node: msg.node });
      return;
    }
    const entry: WaitingRegister<P> = {
      msg,
      peer: from,
      timer: unref(
        setTimeout(() => {
          if (!this.removeWaiting(r.name, entry)) return;
          if (from !== LOCAL) this.drop(from, 'registrant-unknown', { t: msg.t, node: msg.node });
        }, this.opts.registrationWaitMs),
      ),
    };
    const list = this.waiting.get(r.name);
    if (list === undefined) this.waiting.set(r.name, [entry]);
    else list.push(entry);
    this.waitingCount++;
  }

  private removeWaiting(name: string, entry: WaitingRegister<P>): boolean {
    const list = this.waiting.get(name);
    const i = list?.indexOf(entry) ?? -1;
    if (list === undefined || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.waiting.delete(name);
    this.waitingCount--;
    clearTimeout(entry.timer);
    return true;
  }

  private completeRegister(msg: CtpRegister, type: CtpRegistrationType, name: string): void {
    if (!this.table.hasLocal(msg.node)) return this.answer(msg.node, name, ReturnCode.NODE_UNFOUND, msg.id);
    const h = this.hostedNode(msg.node);
    let code: ReturnCode;
    if (type === 'controller') {
      if (msg.refresh === true && h.controller !== name) code = ReturnCode.NOT_ASSIGNED;
      else if (h.controller !== undefined && h.controller !== name) code = ReturnCode.ALREADY_ASSIGNED;
      else {
        h.controller = name;
        code = ReturnCode.SUCCESS;
      }
    } else {
      h.monitors.add(name);
      code = ReturnCode.SUCCESS;
    }
    if (code === ReturnCode.SUCCESS) {
      this.clearHostLease(name);
      this.releasedAt.delete(name);
    }
    else this.pruneHosted(msg.node);
    debug('%s: %s of %s by %s -> %s', this.id, type, msg.node, name, code);
    this.answer(msg.node, name, code, msg.id);
  }

  private hostUnregister(msg: CtpUnregister, from: Source<P>): void {
    const r = this.registrantOf(msg, from);
    if (r === undefined) return;
    const h = this.hosted.get(msg.node);
    let code: ReturnCode;
    if (r.type === 'controller') {
      if (h?.controller === undefined) code = ReturnCode.NOT_ASSIGNED;
      else if (h.controller !== r.name) code = ReturnCode.ALREADY_ASSIGNED;
      else {
        h.controller = undefined;
        h.open = undefined;
        code = ReturnCode.SUCCESS;
      }
    } else if (h === undefined || !h.monitors.delete(r.name)) code = ReturnCode.NOT_ASSIGNED;
    else code = ReturnCode.SUCCESS;
    if (code === ReturnCode.SUCCESS) this.clearHostLease(r.name);
    this.pruneHosted(msg.node);
    this.answer(msg.node, r.name, code, msg.id);
  }

  private hostControl(msg: CtpControlMessage, from: Source<P>): void {
    const v = parseVirtualName(msg.controller);
    if (v === undefined || v.type !== 'controller' || v.node !== msg.node) {
      if (from !== LOCAL) this.drop(from, 'bad-registrant', { t: msg.t, node: msg.node });
      return;
    }
    const h = this.hosted.get(msg.node);
    if (h?.controller === undefined) return this.answer(msg.node, msg.controller, ReturnCode.NOT_ASSIGNED, msg.id);
    if (h.controller !== msg.controller) return this.answer(msg.node, msg.controller, ReturnCode.REJECTED, msg.id);
    // One open request per node: a newer one replaces it.
    const open = { re: msg.id, controller: msg.controller };
    h.open = open;
    try {
      this.onReceived(msg.t, msg);
    } catch (err) {
      this.reportError('onReceived', err);
      // SPEC.md section 8: answer ERROR so the caller does not wait for its
      // timeout, without leaking the error's text.
      if (h.open === open) {
        h.open = undefined;
        this.answer(msg.node, msg.controller, ReturnCode.ERROR, msg.id, undefined, 'host-callback-failed');
      }
    }
  }

  /** Send one EVENT to the controller and each monitor; false when there is none. */
  private publishLocal(node: string, content: unknown): boolean {
    const h = this.hosted.get(node);
    if (h === undefined || !this.table.hasLocal(node)) return false;
    const targets = h.controller === undefined ? [...h.monitors] : [h.controller, ...h.monitors];
    for (const monitor of targets) this.routeRegistrantBound({ v: 1, t: 'EVENT', node, monitor, content } as CtpEvent, LOCAL);
    return targets.length > 0;
  }

  /** Send a RESPONSE to `registrant` (routed like any frame toward its `@id`). */
  private answer(node: string, registrant: string, code: ReturnCode, re: number, content?: unknown, reason?: string): void {
    const msg: CtpResponse = { v: 1, t: 'RESPONSE', node, controller: registrant, code, re };
    if (content !== undefined) msg.content = content;
    if (reason !== undefined) msg.reason = reason;
    this.routeRegistrantBound(msg, LOCAL);
  }

  private hostedNode(node: string): HostedNode {
    let h = this.hosted.get(node);
    if (h === undefined) {
      h = { controller: undefined, monitors: new Set(), open: undefined, removalTimer: undefined };
      this.hosted.set(node, h);
    }
    return h;
  }

  private pruneHosted(node: string): void {
    const h = this.hosted.get(node);
    if (h !== undefined && h.controller === undefined && h.monitors.size === 0 && h.removalTimer === undefined) this.hosted.delete(node);
  }

  /** A removed node's grace ran out: drop its registrations silently. */
  private dropHosted(node: string): void {
    const h = this.hosted.get(node);
    if (h === undefined || this.table.hasLocal(node)) return;
    if (h.controller !== undefined) this.clearHostLease(h.controller);
    for (const m of h.monitors) this.clearHostLease(m);
    this.hosted.delete(node);
  }

  private clearHostLease(name: string): void {
    const t = this.hostLeases.get(name);
    if (t !== undefined) {
      clearTimeout(t);
      this.hostLeases.delete(name);
    }
  }

  /** At a host: a registrant's virtual node stayed unreachable for the grace. */
  private releaseRegistration(name: string): void {
    this.hostLeases.delete(name);
    if (this.table.isReachableName(name)) return;
    const v = parseVirtualName(name);
    const h = v === undefined ? undefined : this.hosted.get(v.node);
    if (v === undefined || h === undefined) return;
    if (v.type === 'controller' && h.controller === name) {
      h.controller = undefined;
      h.open = undefined;
    } else if (!(v.type === 'monitor' && h.monitors.delete(name))) return;
    this.pruneHosted(v.node);
    debug('%s released %s', this.id, name);
    this.rememberReleased(name);
    this.safeEmit('released', { node: v.node, type: v.type, registrant: name });
  }

  /**
   * The two sides' graces run on different clocks, and the registrant may see
   * no gap at all while the host saw its virtual node unreachable past the
   * grace (a path that broke here while another one was still unknown): then
   * no refresh ever comes, and it would believe forever in a registration the
   * host dropped. So the host remembers what it released (bounded, up to
   * `staleAdvertMs`) and acts when the virtual node is back (found by the
   * simulator, seed 5481).
   */
  private rememberReleased(name: string): void {
    const now = Date.now();
    this.releasedAt.delete(name);
    for (const [n, at] of this.releasedAt) {
      if (now - at <= this.opts.staleAdvertMs && this.releasedAt.size < MAX_RELEASED) break;
      this.releasedAt.delete(n);
    }
    this.releasedAt.set(name, now);
  }

  /**
   * A released registrant is reachable again and advertises its virtual node:
   * it may still believe in the registration. Tell it with a release notice, a
   * RESPONSE without `re`, code NOT_ASSIGNED, reason `released`, content
   * `{ host }` (the virtual node's name does not say which host it was made
   * with when two routers host the node's name). The registrant checks the
   * host: a controller ends it (`lost`: control that lapsed is not handed
   * back), a monitor sends a refresh (it is added back).
   */
  private returnAfterRelease(name: string): void {
    this.releasedAt.delete(name);
    const v = parseVirtualName(name);
    if (v === undefined || !this.table.hasLocal(v.node)) return;
    const h = this.hosted.get(v.node);
    if (h?.controller === name || h?.monitors.has(name) === true) return;
    debug('%s: %s is back, told it was released', this.id, name);
    const notice: CtpResponse = { v: 1, t: 'RESPONSE', node: v.node, controller: name, code: ReturnCode.NOT_ASSIGNED, reason: 'released', content: { host: this.id } };
    this.routeRegistrantBound(notice, LOCAL);
  }

  // ---- at the registrant ----------------------------------------------------

  private onResponse(msg: CtpResponse, from: Source<P>): void {
    const result: CtpResult = { code: msg.code };
    if (msg.content !== undefined) result.content = msg.content;
    if (msg.reason !== undefined) result.reason = msg.reason;
    if (this.pending.settle(msg.node, msg.re, result)) return;
    const reg = this.regs.get(msg.controller);
    if (reg !== undefined && msg.re !== undefined && reg.refreshId === msg.re) {
      // NODE_UNFOUND (a router on the way had no route yet) and the like did
      // not reach the host: the retry timer sends the refresh again.
      if (msg.code !== ReturnCode.SUCCESS && msg.code !== ReturnCode.NOT_ASSIGNED && msg.code !== ReturnCode.ALREADY_ASSIGNED) return;
      reg.refreshId = undefined;
      if (reg.refreshTimer !== undefined) clearTimeout(reg.refreshTimer);
      reg.refreshTimer = undefined;
      // SPEC.md section 5: a refresh refused ends the registration; no answer changes nothing.
      if (msg.code === ReturnCode.NOT_ASSIGNED || msg.code === ReturnCode.ALREADY_ASSIGNED)
        this.loseRegistration(reg, 'refused', msg.code);
      return;
    }
    // A release notice from the host it was made with (see returnAfterRelease):
    // the host dropped it while this router saw no gap.
    if (
      reg !== undefined &&
      msg.re === undefined &&
      msg.code === ReturnCode.NOT_ASSIGNED &&
      msg.reason === 'released' &&
      (msg.content as { host?: unknown } | undefined)?.host === reg.host
    ) {
      if (reg.type === 'monitor') this.sendRefresh(reg);
      else this.loseRegistration(reg, 'refused', msg.code);
      return;
    }
    if (from !== LOCAL) this.drop(from, 'stale', { t: 'RESPONSE', node: msg.node });
  }

  private onEvent(msg: CtpEvent): void {
    try {
      this.onReceived('EVENT', msg);
    } catch (err) {
      this.reportError('onReceived', err);
    }
  }

  /** Send a locally made request toward `to` (or handle it here). */
  private routeOwnRequest(msg: CtpRequestMessage, to: string): void {
    if (to === this.id) return this.deliverHostBound(msg, LOCAL);
    const peer = this.table.peerToward(to);
    if (peer === undefined) {
      this.pending.settle(msg.node, msg.id, { code: ReturnCode.NODE_UNFOUND });
      return;
    }
    this.sendFrame(peer, this.opts.codec.encode(msg), () =>
      this.pending.settle(msg.node, msg.id, { code: ReturnCode.ERROR, reason: 'send-failed' }),
    );
  }

  /** Is `node` known for a request? Bound to its host when this router holds a registration. */
  private nodeKnownFor(node: string, reg: OwnRegistration | undefined): boolean {
    return reg === undefined ? this.table.isReachableName(node) : this.table.advertises(reg.host, node);
  }

  /** Re-evaluate one own registration against the table (leases, moves, refreshes). */
  private evaluateRegistration(virtual: string): void {
    const reg = this.regs.get(virtual);
    if (reg === undefined) return;
    if (this.table.advertises(reg.host, reg.node)) {
      if (!reg.gap) return;
      reg.gap = false;
      if (reg.lostTimer !== undefined) clearTimeout(reg.lostTimer);
      reg.lostTimer = undefined;
      this.sendRefresh(reg);
      return;
    }
    // The node moved: the bound host stopped advertising it while another router does.
    if (this.table.ownerOf(reg.node) !== undefined) return this.loseRegistration(reg, 'moved');
    if (reg.gap) return;
    reg.gap = true;
    // A refresh in flight is moot now; the return sends a new one.
    if (reg.refreshTimer !== undefined) clearTimeout(reg.refreshTimer);
    reg.refreshTimer = undefined;
    reg.lostTimer = unref(
      setTimeout(() => {
        reg.lostTimer = undefined;
        if (this.regs.get(virtual) === reg && !this.table.advertises(reg.host, reg.node)) this.loseRegistration(reg, 'unreachable');
      }, this.opts.leaseGraceMs),
    );
  }

  /** SPEC.md section 5: after a gap, say again that the registration is still wanted. */
  private sendRefresh(reg: OwnRegistration): void {
    const id = this.nextId++;
    reg.refreshId = id;
    reg.refreshTries = 0;
    this.sendRefreshFrame(reg, id);
  }

  /**
   * Send (or send again, with the same id) the refresh `id`. A refresh lost on
   * the way (a link that drops while it travels, a route still converging)
   * would leave this router believing in a registration its host may have
   * dropped: so it is re-sent until the host answers it, and after
   * REFRESH_TRIES unanswered ones the registration is given up (`lost`,
   * `unreachable`) rather than believed (found by the simulator, seed 21095).
   */
  private sendRefreshFrame(reg: OwnRegistration, id: number): void {
    if (reg.refreshTimer !== undefined) clearTimeout(reg.refreshTimer);
    reg.refreshTimer = unref(
      setTimeout(() => {
        reg.refreshTimer = undefined;
        if (this.closed || this.regs.get(reg.virtual) !== reg || reg.refreshId !== id || reg.gap) return;
        reg.refreshTries = (reg.refreshTries ?? 0) + 1;
        if (reg.refreshTries >= REFRESH_TRIES) return this.loseRegistration(reg, 'unreachable');
        this.sendRefreshFrame(reg, id);
      }, Math.max(REFRESH_RETRY_MIN_MS, this.opts.registrationWaitMs)),
    );
    const msg: CtpRegister = { v: 1, t: 'REGISTER', id, to: reg.host, node: reg.node, [reg.type]: reg.virtual, refresh: true };
    debug('%s refreshes %s', this.id, reg.virtual);
    if (reg.host === this.id) this.deliverHostBound(msg, LOCAL);
    else {
      const peer = this.table.peerToward(reg.host);
      if (peer !== undefined) this.sendFrame(peer, this.opts.codec.encode(msg));
    }
  }

  private forgetRegistration(reg: OwnRegistration, code: ReturnCode | undefined): void {
    this.removeRegistration(reg);
    this.safeEmit('unregistered', code === undefined ? { node: reg.node, type: reg.type } : { node: reg.node, type: reg.type, code });
  }

  private loseRegistration(reg: OwnRegistration, reason: CtpLostEvent['reason'], code?: ReturnCode): void {
    this.removeRegistration(reg);
    debug('%s lost %s (%s)', this.id, reg.virtual, reason);
    this.safeEmit('lost', code === undefined ? { node: reg.node, type: reg.type, reason } : { node: reg.node, type: reg.type, reason, code });
  }

  private removeRegistration(reg: OwnRegistration): void {
    if (this.regs.get(reg.virtual) !== reg) return;
    this.regs.delete(reg.virtual);
    if (reg.lostTimer !== undefined) clearTimeout(reg.lostTimer);
    reg.lostTimer = undefined;
    if (reg.refreshTimer !== undefined) clearTimeout(reg.refreshTimer);
    reg.refreshTimer = undefined;
    this.dropOwnVirtual(reg.virtual);
  }

  private dropOwnVirtual(virtual: string): void {
    if (this.closed) return;
    if (this.removeOwnNodes([virtual]).length > 0) this.update();
  }

  // =========================================================================
  // Table changes
  // =========================================================================

  private addOwnNodes(names: readonly string[]): string[] {
    const added = this.table.addLocal(names);
    for (const n of added) this.ownNodeBytes += jsonBytes(n);
    return added;
  }

  private removeOwnNodes(names: readonly string[]): string[] {
    const removed = this.table.removeLocal(names);
    for (const n of removed) this.ownNodeBytes -= jsonBytes(n);
    return removed;
  }

  /** Would the own advert stay within `maxNodesPerAdvert` and `maxFrameBytes` with `names` added? */
  private hasAdvertRoom(names: readonly string[]): boolean {
    let count = this.table.localCount();
    let bytes = this.ownNodeBytes;
    for (const n of names) {
      if (this.table.hasLocal(n)) continue;
      count++;
      bytes += jsonBytes(n);
    }
    const neighborBytes = this.table.neighborIds().reduce((s, id) => s + id.length + 3, 0);
    return count <= this.opts.maxNodesPerAdvert && bytes + neighborBytes + ADVERT_OVERHEAD_BYTES <= this.opts.maxFrameBytes;
  }

  private checkAdvertRoom(names: readonly string[]): void {
    if (!this.hasAdvertRoom(names))
      throw argumentError('names', `within the own advert's limits (too-many-nodes: maxNodesPerAdvert ${this.opts.maxNodesPerAdvert}, maxFrameBytes ${this.opts.maxFrameBytes})`, `${names.length} more names`);
  }

  /** Broadcast the own advert when it changed. */
  private flushOwnAdvert(): void {
    const advert = this.table.reoriginate();
    if (advert !== undefined) this.broadcastAdverts([advert]);
  }

  /**
   * Settle every consequence of table changes: re-originate, recompute routes,
   * then inform the host and act on pending requests, leases and waiting
   * registrations. Re-entrant calls (a callback that changes nodes) loop here.
   */
  private update(): void {
    if (this.updating || this.closed) return;
    this.updating = true;
    try {
      for (let round = 0; round < 64 && this.table.dirty(); round++) {
        this.flushOwnAdvert();
        const delta = this.table.commit(Date.now());
        this.applyDelta(delta);
      }
    } finally {
      this.updating = false;
      this.floodedNow.clear();
    }
    this.scheduleStale();
  }

  private applyDelta(delta: CtpTableDelta): void {
    const changed = delta.added.length > 0 || delta.removed.length > 0;
    // Origins that became reachable again: send their stored adverts on. A
    // neighbor whose table exchange happened while they were unreachable here
    // (a partition healing through a new link) has never been sent them, and
    // nothing else would: an unchanged advert is never flooded again (found by
    // the simulator, seed 144; SPEC.md section 7 assumed no re-flooding was needed).
    if (delta.gained.length > 0) {
      const regained: CtpAdvert[] = [];
      for (const o of delta.gained) {
        const s = this.floodedNow.has(o) ? undefined : this.table.stored(o);
        if (s !== undefined) regained.push({ origin: s.origin, seq: s.seq, nodes: s.nodes, neighbors: s.neighbors });
      }
      if (regained.length > 0) this.broadcastAdverts(regained);
    }
    // A name's hosts can change without its reachability changing (a node
    // that moves, a conflict that ends): look again whenever anything moved.
    if (delta.touched > 0 || delta.gained.length > 0 || delta.lost.length > 0) {
      // Pending requests whose node is no longer advertised by the router they
      // were addressed to resolve at once (SPEC.md section 5).
      if (this.pending.size > 0)
        this.pending.failWhere((e) => !this.table.advertises(e.to, e.node), { code: ReturnCode.NODE_UNFOUND });
      for (const reg of [...this.regs.values()]) this.evaluateRegistration(reg.virtual);
    }
    for (const name of delta.removed) {
      const v = parseVirtualName(name);
      if (v === undefined) continue;
      const h = this.hosted.get(v.node);
      const held = h !== undefined && (h.controller === name || h.monitors.has(name));
      if (held && !this.hostLeases.has(name))
        this.hostLeases.set(name, unref(setTimeout(() => this.releaseRegistration(name), this.opts.leaseGraceMs)));
    }
    for (const name of delta.added) {
      this.clearHostLease(name);
      if (this.releasedAt.has(name)) this.returnAfterRelease(name);
      const list = this.waiting.get(name);
      if (list === undefined) continue;
      for (const w of [...list]) {
        this.removeWaiting(name, w);
        const r = (w.msg.controller !== undefined ? 'controller' : 'monitor') as CtpRegistrationType;
        this.completeRegister(w.msg, r, name);
      }
    }
    for (const c of delta.conflicts) {
      debug('%s: node %s is hosted by %o', this.id, c.node, c.hosts);
      this.safeEmit('conflict', { kind: 'node', node: c.node, hosts: c.hosts });
    }
    if (changed) {
      const list = this.nodes();
      try {
        this.onNodesUpdated(list);
      } catch (err) {
        this.reportError('onNodesUpdated', err);
      }
      // A copy of a 10^6-name list costs milliseconds: only when someone listens.
      if (this.listenerCount('nodes') > 0) this.safeEmit('nodes', list.slice());
    }
  }

  private scheduleStale(): void {
    if (this.closed) return;
    const at = this.table.nextStaleAt(this.opts.staleAdvertMs);
    if (at === this.staleAt) return;
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    this.staleAt = at ?? Infinity;
    if (at === undefined) return;
    this.staleTimer = unref(
      setTimeout(() => {
        this.staleTimer = undefined;
        this.staleAt = Infinity;
        const gone = this.table.expireStale(Date.now(), this.opts.staleAdvertMs);
        if (gone.length > 0) debug('%s deleted stale adverts of %o', this.id, gone);
        this.update();
        this.scheduleStale();
      }, Math.max(0, at - Date.now())),
    );
  }

  // =========================================================================
  // Outbound
  // =========================================================================

  /** Own advert first, then every reachable stored advert, nearest first. */
  private sendTable(peer: P): void {
    const list: CtpAdvert[] = [this.table.ownAdvert()];
    for (const origin of this.table.reachableOrigins()) {
      const s = this.table.stored(origin);
      if (s !== undefined) list.push({ origin: s.origin, seq: s.seq, nodes: s.nodes, neighbors: s.neighbors });
    }
    this.sendAdverts(peer, list);
  }

  private broadcastAdverts(adverts: CtpAdvert[]): void {
    this.sendAdverts(null, adverts);
  }

  /** Send adverts in as many REPORTNODE frames as `maxFrameBytes` needs. */
  private sendAdverts(peer: P | null, adverts: CtpAdvert[]): void {
    for (const frame of this.reportFrames(adverts)) this.sendFrame(peer, frame);
  }

  private reportFrames(adverts: CtpAdvert[]): string[] {
    const codec = this.opts.codec;
    const max = this.opts.maxFrameBytes;
    const whole = codec.encode({ v: 1, t: 'REPORTNODE', from: this.id, adverts });
    if (adverts.length <= 1 || (whole.length * 3 <= max || Buffer.byteLength(whole) <= max)) return [whole];
    const half = Math.ceil(adverts.length / 2);
    return [...this.reportFrames(adverts.slice(0, half)), ...this.reportFrames(adverts.slice(half))];
  }

  /** Call `send`, reporting a throw or rejection as `error`; `onFail` runs then. */
  private sendFrame(peer: P | null, frame: string, onFail?: () => void): void {
    if (this.closed) return;
    this.counters.framesOut++;
    // No closure per frame: only a failure (or a promise) makes one.
    try {
      const r = this.sendCb(peer, frame);
      if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function')
        (r as Promise<void>).then(undefined, (err: unknown) => this.sendFailed(err, onFail));
    } catch (err) {
      this.sendFailed(err, onFail);
    }
  }

  private sendFailed(err: unknown, onFail: (() => void) | undefined): void {
    this.reportError('send', err);
    onFail?.();
  }

  // =========================================================================
  // Helpers
  // =========================================================================

  private drop(peer: P, reason: DropReason, extra?: Omit<CtpDropped<P>, 'reason' | 'peer'>): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    debug('%s dropped a frame: %s %o', this.id, reason, extra ?? {});
    const e: CtpDropped<P> = { reason, peer };
    if (extra !== undefined) for (const [k, v] of Object.entries(extra)) if (v !== undefined) (e as unknown as Record<string, unknown>)[k] = v;
    this.safeEmit('dropped', e);
  }

  private reportError(callback: string, err: unknown): void {
    const e = new CtpCallbackError(callback, err);
    debug('%s: %s', this.id, e.message);
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', e);
    } catch (inner) {
      debug('%s: an error listener threw: %o', this.id, inner);
    }
  }

  /** Emit without letting a throwing listener break the router's state. */
  private safeEmit<K extends keyof CtpRouterEvents<P>>(event: K, ...args: Parameters<CtpRouterEvents<P>[K]>): void {
    try {
      (this.emit as (e: K, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.reportError(`${String(event)} listener`, err);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new CtpClosedError();
  }

  private checkNode(node: unknown): asserts node is string {
    if (!isValidPlainNodeName(node)) throw argumentError('node', 'a node name (1–256 characters, no control characters, not a virtual-node name)', node);
  }

  private checkType(type: unknown): asserts type is CtpRegistrationType {
    if (type !== 'controller' && type !== 'monitor') throw argumentError('type', "'controller' or 'monitor'", type);
  }

  private checkJson(name: string, value: unknown, required: boolean): void {
    if (value === undefined) {
      if (required) throw argumentError(name, 'a JSON value', value);
      return;
    }
    const problem = jsonProblem(value);
    if (problem !== undefined) throw new CtpArgumentError(`Expected \`${name}\` to be a JSON value, got ${problem}`);
  }

  private checkNodeNames(names: unknown, what: string): string[] {
    if (!Array.isArray(names)) throw argumentError(what, 'a node name or an array of node names', names);
    for (const n of names) this.checkNode(n);
    return names as string[];
  }
}
