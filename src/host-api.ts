/**
 * The host-app conveniences around the seed-shaped core, in one part the
 * router delegates to: handlers (`handle`), node waits (`waitForNode`), event
 * streams (`events`), persistent registrations, the node list
 * (`onNodesUpdated`, `nodes`, `virtualNodes`) and `drain`. Each lives in its
 * own file; this one wires them to the router's parts.
 */
import type { CtpNodesUpdatedCallback, CtpReceivedCallback } from './base/callbacks.js';
import { checkNode } from './base/checks.js';
import { CtpTimers } from './base/clock.js';
import { drain, drainTimeout, type CtpDrainOptions } from './drain.js';
import { CtpEventStreams, type CtpEventStream, type CtpEventsOptions } from './caller/event-stream.js';
import type { CtpEmit, CtpLostEvent } from './events.js';
import { CtpHandlers } from './host/handlers.js';
import type { CtpOpenRequest } from './host/open-request.js';
import type { CtpHost } from './host/host.js';
import type { CtpControlMessage, CtpEvent, CtpResult } from './base/messages.js';
import { virtualName, type CtpRegistrationType } from './base/names.js';
import { CtpNodeList, resolveVirtualNodes } from './link-state/node-list.js';
import type { CtpResolvedOptions, CtpRouterOptions } from './options.js';
import type { CtpReport } from './wire/outbound.js';
import type { CtpPendingMap } from './caller/pending.js';
import { CtpPersistence } from './caller/persistent.js';
import type { CtpRegistrant } from './caller/registrant.js';
import type { CtpTable } from './link-state/table.js';
import { CtpNodeWaits } from './caller/wait-node.js';

/** What the host-app part needs of the router (parts built after it are reached lazily). */
export interface CtpHostApiParts<P> {
  readonly id: string;
  readonly table: CtpTable<P>;
  readonly pending: CtpPendingMap;
  readonly report: CtpReport<P>;
  readonly emit: CtpEmit<P>;
  host(): CtpHost<P>;
  registrant(): CtpRegistrant<P>;
  /** A plain `register` (persistence re-registers through it). */
  register(node: string, type: CtpRegistrationType): Promise<CtpResult>;
  unregister(node: string, type: CtpRegistrationType, opts: { timeoutMs: number; queue: boolean }): Promise<CtpResult>;
  close(): Promise<void>;
  /** Does anyone listen to the `nodes` event? */
  listening(): boolean;
}

/** The host-app conveniences of one router (see the file comment). */
export class CtpHostApi<P> {
  readonly handlers: CtpHandlers;
  readonly waits: CtpNodeWaits;
  readonly streams = new CtpEventStreams();
  readonly persistence: CtpPersistence<P>;
  readonly nodeList: CtpNodeList<P>;

  constructor(
    private readonly parts: CtpHostApiParts<P>,
    private readonly o: CtpResolvedOptions<P>,
    private readonly onReceived: CtpReceivedCallback,
    onNodesUpdated: CtpNodesUpdatedCallback,
    options: CtpRouterOptions<P> | undefined,
  ) {
    const { table, report } = parts;
    this.nodeList = new CtpNodeList(() => table.sortedNames(), onNodesUpdated, resolveVirtualNodes(options), parts.listening, parts.emit, report);
    this.waits = new CtpNodeWaits(new CtpTimers(o.clock), (n) => table.isReachableName(n));
    this.handlers = new CtpHandlers({
      respond: (node, content, code, re, reason) => parts.host().respond(node, content, code, re, reason),
    });
    this.persistence = new CtpPersistence(new CtpTimers(o.clock), {
      register: parts.register,
      holds: (node, type) => parts.registrant().get(virtualName(type, node, parts.id)) !== undefined,
      reachable: (node) => table.isReachableName(node),
    }, report);
  }

  /** A START/STOP/COMMAND for a local node: its handler, or else `onReceived` (README "Handlers"). */
  control(msg: CtpControlMessage, open: CtpOpenRequest): unknown {
    return this.handlers.has(msg.node) ? this.handlers.run(msg, open) : this.onReceived(msg.t, msg);
  }

  /** An EVENT for this router: every open stream, then `onReceived`. */
  event(msg: CtpEvent): unknown {
    this.streams.push(msg);
    return this.onReceived('EVENT', msg);
  }

  /** The registrant's events pass here: a `lost` persistent registration is renewed. */
  readonly emit: CtpEmit<P> = (event, ...args) => {
    this.parts.emit(event, ...args);
    if (event === 'lost') this.persistence.lost(args[0] as CtpLostEvent);
  };

  /** `register` with `persistent: true`: once held, the registration is kept (renewed after `lost`). */
  kept(r: Promise<CtpResult>, node: string, type: CtpRegistrationType, opts: { persistent?: boolean } | undefined): Promise<CtpResult> {
    if (opts?.persistent !== true) return r;
    return r.then((res) => (this.persistence.holdsOrKeeps(res, node, type), res));
  }

  /** The table changed. */
  onTableChange(): void {
    this.persistence.onTableChange();
  }

  /** Names were added or removed. */
  onNodes(added: readonly string[], removed: readonly string[]): void {
    this.waits.check();
    this.nodeList.changed(added, removed);
  }

  /** `router.events(node?, opts)`; a stream opened on a closed router is done at once. */
  events(node: string | undefined, opts: CtpEventsOptions | undefined, closed: boolean): CtpEventStream {
    if (node !== undefined) checkNode(node);
    const s = this.streams.open(node, opts);
    if (closed) s.end();
    return s;
  }

  /** `router.drain(opts)` (drain.ts). */
  drain(opts: CtpDrainOptions | undefined): Promise<void> {
    const { parts } = this;
    return drain({
      registrations: () => parts.registrant().list(),
      stopPersistent: () => this.persistence.close(),
      unregister: parts.unregister,
      busy: () => parts.pending.size > 0 || parts.host().busy > 0,
      close: parts.close,
    }, new CtpTimers(this.o.clock), drainTimeout(opts));
  }

  close(): void {
    this.persistence.close();
    this.waits.close();
    this.streams.close();
  }
}
