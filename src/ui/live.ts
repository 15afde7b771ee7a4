/**
 * Keeps a `CtpUiServer` in step with a router, through its public surface
 * only: `snapshot()` after every `nodes` event and on a short poll (adverts
 * that change links but no node raise no event), `dropped` and `conflict`
 * events straight into the feed.
 */
import createDebug from 'debug';
import type { CtpConflict, CtpDropped } from '../events.js';
import type { CtpRouter } from '../router.js';
import { diffViews, type CtpFeedEntry } from './feed.js';
import { CtpHealthTracker, type CtpHealthSource } from './health.js';
import { observerHealth } from './observer-health.js';
import { networkView, type CtpNetworkView } from './model.js';

const debug = createDebug('ctp:ui');

/** Where a `CtpLiveView` sends what it sees. */
export interface CtpViewSink {
  setView(view: CtpNetworkView): void;
  log(entries: readonly CtpFeedEntry[]): void;
}

/** Options of `CtpLiveView`. */
export interface CtpLiveViewOptions {
  /**
   * Shortest poll interval of `snapshot()`. A poll waits at least 20 times as
   * long as the last refresh took, so a huge table costs at most ~5% of a core.
   * @default 250
   */
  pollMs?: number;
  /** Describe a drop's peer (the transport's peer objects are opaque here). @default String(peer) */
  peerName?: (peer: unknown) => string;
  /**
   * Where the view's `health` section comes from: a source, or `false` for none.
   * @default observerHealth(router): what this router itself sees
   */
  health?: CtpHealthSource | false;
  /** The window health rates are taken over (ms). @default 5000 */
  healthWindowMs?: number;
}

/** Follows one router; `close()` detaches it. */
export class CtpLiveView<P> {
  private view: CtpNetworkView | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastCostMs = 0;
  private readonly detach: () => void;
  private readonly health: CtpHealthSource | undefined;
  private readonly tracker: CtpHealthTracker | undefined;

  constructor(
    private readonly router: CtpRouter<P>,
    private readonly sinks: readonly CtpViewSink[],
    options: CtpLiveViewOptions = {},
  ) {
    const name = options.peerName ?? ((p: unknown) => String(p));
    this.health = options.health === false ? undefined : (options.health ?? observerHealth(router));
    this.tracker =
      this.health === undefined
        ? undefined
        : new CtpHealthTracker(this.health, options.healthWindowMs ?? 5000);
    const onNodes = (): void => void this.refresh();
    const onDropped = (e: CtpDropped<P>): void => {
      const what = [e.t, e.node ?? e.origin].filter((x) => x !== undefined).join(' ');
      const detail = e.message === undefined ? '' : `: ${e.message}`;
      this.emit([
        {
          at: Date.now(),
          kind: 'drop',
          text: `dropped ${e.reason}${what === '' ? '' : ` ${what}`} from ${name(e.peer)}${detail}`,
        },
      ]);
    };
    const onConflict = (e: CtpConflict): void => {
      const text =
        e.kind === 'node'
          ? `conflict node ${e.node} hosted by ${e.hosts.join(', ')}`
          : `conflict router id ${e.id} used twice`;
      this.emit([{ at: Date.now(), kind: 'conflict', text }]);
    };
    router.on('nodes', onNodes);
    router.on('dropped', onDropped);
    router.on('conflict', onConflict);
    this.detach = () => {
      router.off('nodes', onNodes);
      router.off('dropped', onDropped);
      router.off('conflict', onConflict);
    };
    this.refresh();
    this.schedule(options.pollMs ?? 250);
  }

  /** The last view built. */
  current(): CtpNetworkView {
    return this.view ?? this.refresh();
  }

  /** Take a snapshot, push the view and what changed since the last one. */
  refresh(): CtpNetworkView {
    const started = performance.now();
    const next = networkView(this.router.snapshot());
    const now = Date.now();
    const entries = diffViews(this.view, next, now);
    if (this.tracker !== undefined) Object.assign(next, { health: this.tracker.update(next, now) });
    this.view = next;
    for (const s of this.sinks) s.setView(next);
    this.emit(entries);
    this.lastCostMs = performance.now() - started;
    return next;
  }

  /** Stop following the router. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.detach();
    this.health?.close();
    debug('closed');
  }

  private schedule(minMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(
      () => {
        this.refresh();
        this.schedule(minMs);
      },
      Math.max(minMs, 20 * this.lastCostMs),
    );
    this.timer.unref();
  }

  private emit(entries: CtpFeedEntry[]): void {
    if (entries.length === 0) return;
    for (const s of this.sinks) s.log(entries);
  }
}
