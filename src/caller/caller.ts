/**
 * The caller role: this router's own registrations and requests. It owns the
 * request pipeline (requests.ts) over the pending map keyed by node
 * (pending.ts, held by the router), the registrations (registrant.ts), the
 * persistent ones (persistent.ts), `waitForNode` and event streams. Its
 * doors: `onResponse`, `onEvent` and `settle` (frames and outcomes for this
 * router's virtual nodes, from routing), and `onTableChange`.
 */
import type { CtpReceivedCallback } from '../base/callbacks.js';
import { checkNode } from '../base/checks.js';
import { CtpTimers, type CtpClock } from '../base/clock.js';
import {
  resultOf,
  ReturnCode,
  type CtpEvent,
  type CtpRegister,
  type CtpRequestMessage,
  type CtpResponse,
  type CtpResult,
} from '../base/messages.js';
import { virtualName, type CtpRegistrationType } from '../base/names.js';
import type { CtpEmit, CtpLostEvent, CtpTimeoutEvent } from '../events.js';
import type { CtpFlooding } from '../link-state/flooding.js';
import type { CtpTableListener } from '../link-state/link-state.js';
import type { CtpAdvertAuth } from '../link-state/signing.js';
import type { CtpCallerDoor, CtpCallerRouting, CtpSource } from '../link-state/routing.js';
import type { CtpTable, CtpTableDelta } from '../link-state/table.js';
import { resolveRequestOptions } from '../options.js';
import type { CtpReporter } from '../wire/report.js';
import { CtpEventStreams, type CtpEventStream, type CtpEventsOptions } from './event-stream.js';
import type { CtpPendingMap } from './pending.js';
import { CtpPersistence, type CtpPersistenceHooks, type CtpRegisterOptions } from './persistent.js';
import { CtpRegistrant, type CtpRegistrantHooks, type CtpRegistrantOptions } from './registrant.js';
import {
  CtpRequests,
  type CtpRequest,
  type CtpRequestHooks,
  type CtpOp,
  type CtpRequestSpec,
  type CtpRunOptions,
} from './requests.js';
import { CtpNodeWaits, type CtpWaitForNodeOptions } from './wait-node.js';

/** Link state as the caller uses it (CtpLinkState is one). */
export interface CtpCallerLinks<P> {
  readonly table: CtpTable<P>;
  readonly routing: CtpCallerRouting<P>;
  /** The own advert's room and contents: a registration's virtual node joins and leaves it. */
  readonly flooding: Pick<CtpFlooding<P>, 'hasRoom' | 'addOwn' | 'removeOwn'>;
  readonly auth: Pick<CtpAdvertAuth<P>, 'signClaim'>;
  /** Settle a change of the own nodes. */
  update(): void;
  /** The seq from which the own advert lists what was just added (a REGISTER's `claim`). */
  claimSeq(): number;
}

/** The host role as the caller sees it: who controls a local node. */
export interface CtpHostView {
  controllerOf(node: string): string | undefined;
}

export interface CtpCallerOptions extends CtpRegistrantOptions {
  id: string;
  clock: CtpClock;
  responseTimeoutMs: number;
}

export class CtpCaller<P>
  implements
    CtpCallerDoor<P>,
    CtpTableListener,
    CtpRegistrantHooks,
    CtpRequestHooks,
    CtpPersistenceHooks
{
  readonly requests: CtpRequests;
  readonly registrant: CtpRegistrant<P>;
  readonly persistence: CtpPersistence<P>;
  readonly waits: CtpNodeWaits;
  readonly streams = new CtpEventStreams();
  private closedFlag = false;

  constructor(
    private readonly links: CtpCallerLinks<P>,
    private readonly host: CtpHostView,
    /** The pending-response map keyed by node (the router's). */
    private readonly pending: CtpPendingMap,
    private readonly opts: CtpCallerOptions,
    /** EVENTs for this router (the seed's `ctpc_received_callback`). */
    private readonly onReceived: CtpReceivedCallback,
    private readonly report: CtpReporter<P>,
  ) {
    const clock = opts.clock;
    this.requests = new CtpRequests(pending, clock, this);
    this.registrant = new CtpRegistrant(
      links.table,
      links.routing,
      new CtpTimers(clock),
      opts,
      this,
      this.emit,
      report,
    );
    this.persistence = new CtpPersistence(new CtpTimers(clock), this, report);
    this.waits = new CtpNodeWaits(new CtpTimers(clock), links.table);
  }

  /** The registrant's events pass here: a `lost` persistent registration is renewed. */
  readonly emit: CtpEmit<P> = (event, ...args) => {
    this.report.emit(event, ...args);
    if (event === 'lost') this.persistence.lost(args[0] as CtpLostEvent);
  };

  // ---- requests ---------------------------------------------------------------

  /** Run a request whose arguments `spec` checked. */
  run(spec: CtpRequestSpec | CtpRequest, o: CtpRunOptions): Promise<CtpResult> {
    return this.requests.run(spec, o);
  }

  /** A plain `register` (persistence renews through it); `persistent`: keep it (persistent.ts). */
  register(
    node: string,
    type: CtpRegistrationType,
    o?: CtpRunOptions,
    opts?: CtpRegisterOptions,
  ): Promise<CtpResult> {
    const run = o ?? resolveRequestOptions(undefined, this.opts.responseTimeoutMs);
    const r = this.requests.run(this.registrant.register(node, type, run.idleTimeoutMs), run);
    if (opts?.persistent !== true) return r;
    return r.then((res) => (this.persistence.holdsOrKeeps(res, node, type), res));
  }

  /** `waitForNode` (arguments checked synchronously). */
  waitForNode(node: string, opts: CtpWaitForNodeOptions | undefined): Promise<void> {
    return this.waits.wait(node, opts);
  }

  /** `router.events(node?, opts)`; a stream opened on a closed router is done at once. */
  events(node: string | undefined, opts: CtpEventsOptions | undefined): CtpEventStream {
    if (node !== undefined) checkNode(node);
    const s = this.streams.open(node, opts);
    if (this.closedFlag) s.end();
    return s;
  }

  // ---- doors (CtpCallerDoor, CtpTableListener) ---------------------------------

  /** A RESPONSE settles the request in flight whose id it echoes; else the registrant looks at it. */
  onResponse(msg: CtpResponse, from: CtpSource<P>): void {
    // resultOf makes a fresh result: the request hands it to its caller as is.
    if (this.pending.settle(msg.node, msg.re, resultOf(msg), true)) this.registrant.answered(msg);
    else this.registrant.response(msg, from);
  }

  onEvent(msg: CtpEvent): void {
    this.registrant.event(msg);
  }

  settle(node: string, id: number, result: CtpResult): void {
    this.pending.settle(node, id, result);
  }

  onTableChange(delta: CtpTableDelta): void {
    const table = this.links.table;
    // A name's hosts can change without its reachability changing (a node
    // that moves, a conflict that ends): look again whenever anything moved.
    if (delta.touched > 0 || delta.gained.length > 0 || delta.lost.length > 0) {
      // PROTOCOL.md section 5: pending requests whose node is no longer
      // advertised by the router they were addressed to resolve at once.
      if (this.pending.size > 0)
        this.pending.failWhere((e) => !table.advertises(e.to, e.node), {
          code: ReturnCode.NODE_UNFOUND,
        });
      this.registrant.onTableChange();
      this.persistence.onTableChange();
    }
    if (delta.added.length > 0 || delta.removed.length > 0) this.waits.check();
  }

  // ---- the registrant's and the pipeline's hooks ----------------------------------

  closed(): boolean {
    return this.closedFlag;
  }

  nextId(): number {
    return this.requests.nextId();
  }

  /** A registration's virtual node joins the own advert; false when it has no room. */
  addVirtual(name: string): boolean {
    const flooding = this.links.flooding;
    if (!flooding.hasRoom([name])) return false;
    flooding.addOwn([name]);
    this.links.update();
    return true;
  }

  removeVirtual(name: string): void {
    if (!this.closedFlag && this.links.flooding.removeOwn([name]).length > 0) this.links.update();
  }

  hostedController(node: string): string | undefined {
    return this.host.controllerOf(node);
  }

  /** An EVENT for this router: every open stream, then `onReceived`. */
  event(msg: CtpEvent): unknown {
    this.report.meter.eventsReceived++;
    this.streams.push(msg);
    return this.onReceived('EVENT', msg);
  }

  /** PROTOCOL.md section 5, "Confirming a registrant": the seq from which the own advert lists what was just added, signed with an identity. */
  claim(msg: CtpRegister): void {
    msg.claim = this.links.claimSeq();
    const sig = this.links.auth.signClaim(msg);
    if (sig !== undefined) msg.claimSig = sig;
  }

  send(msg: CtpRequestMessage, to: string): void {
    this.links.routing.request(msg, to);
  }

  timedOut(e: CtpTimeoutEvent): void {
    this.report.emit('timeout', e);
  }

  measured(op: CtpOp, code: string, ms: number): void {
    this.report.meter.measured(op, code, ms);
  }

  // ---- persistence's hooks ----------------------------------------------------------

  holds(node: string, type: CtpRegistrationType): boolean {
    return this.registrant.get(virtualName(type, node, this.opts.id)) !== undefined;
  }

  reachable(node: string): boolean {
    return this.links.table.isReachableName(node);
  }

  /** Resolve every pending request with `ERROR` (reason `closed`), end every stream and wait. */
  close(): void {
    this.closedFlag = true;
    this.pending.close();
    this.registrant.close();
    this.persistence.close();
    this.waits.close();
    this.streams.close();
  }
}
