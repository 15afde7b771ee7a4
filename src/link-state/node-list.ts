/**
 * The node list the host sees: `onNodesUpdated` and the `nodes` event after
 * every change, and `router.nodes({ virtual })`. With the router option
 * `virtualNodes: false` the list holds devices only (no `controller[…]@…` /
 * `monitor[…]@…` virtual nodes), and a change that touched only virtual
 * nodes calls nothing.
 */
import { isThenable, type CtpNodesUpdatedCallback } from '../base/callbacks.js';
import { argumentError, CtpCallbackError } from '../base/errors.js';
import type { CtpEmit } from '../events.js';
import { isReservedName } from '../base/names.js';
import type { CtpReport } from '../wire/report.js';

/** Options of `router.nodes()`. */
export interface CtpNodesOptions {
  /** Include the virtual nodes of registrations. @default true */
  virtual?: boolean;
}

/** The names that are not virtual nodes. */
export function deviceNames(list: readonly string[]): string[] {
  return list.filter((n) => !isReservedName(n));
}

/** `virtual` of `nodes(opts)`, checked. */
export function wantsVirtual(opts: CtpNodesOptions | undefined): boolean {
  if (opts === undefined) return true;
  if (typeof opts !== 'object' || opts === null) throw argumentError('opts', 'an object', opts);
  if (opts.virtual !== undefined && typeof opts.virtual !== 'boolean')
    throw argumentError('opts.virtual', 'a boolean', opts.virtual);
  return opts.virtual ?? true;
}

/** The router option `virtualNodes`, checked. */
export function resolveVirtualNodes(options: { virtualNodes?: unknown } | undefined): boolean {
  const v = options?.virtualNodes;
  if (v !== undefined && typeof v !== 'boolean')
    throw argumentError('options.virtualNodes', 'a boolean', v);
  return v ?? true;
}

/** Tells the host app about node-list changes (`onNodesUpdated`, the `nodes` event). */
/** Where the names come from (the link-state table). */
export interface CtpNameSource {
  sortedNames(): string[];
}

/** Who may listen to the `nodes` event (the router). */
export interface CtpNodesAudience {
  listenerCount(event: 'nodes'): number;
}

export class CtpNodeList<P> {
  constructor(
    private readonly names: CtpNameSource,
    private readonly onNodesUpdated: CtpNodesUpdatedCallback,
    /** Include virtual nodes in `onNodesUpdated` and the `nodes` event. */
    readonly virtualNodes: boolean,
    private readonly audience: CtpNodesAudience,
    private readonly emit: CtpEmit<P>,
    private readonly report: CtpReport<P>,
  ) {}

  /** `nodes(opts)`. */
  list(virtual: boolean): string[] {
    const names = this.names.sortedNames();
    return virtual ? names.slice() : deviceNames(names);
  }

  /** Names were added or removed: tell the host (not when only virtual nodes moved and it asked for devices only). */
  changed(added: readonly string[], removed: readonly string[]): void {
    if (
      !this.virtualNodes &&
      !added.some((n) => !isReservedName(n)) &&
      !removed.some((n) => !isReservedName(n))
    )
      return;
    const list = this.list(this.virtualNodes);
    try {
      const r = this.onNodesUpdated(list) as unknown;
      if (isThenable(r))
        r.then(undefined, (err: unknown) =>
          this.report.error(new CtpCallbackError('onNodesUpdated', err)),
        );
    } catch (err) {
      this.report.error(new CtpCallbackError('onNodesUpdated', err));
    }
    // A copy of a 10^6-name list costs milliseconds: only when someone listens.
    if (this.audience.listenerCount('nodes') > 0) this.emit('nodes', list.slice());
  }
}
