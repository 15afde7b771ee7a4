/**
 * The health section of the page model: per router requests/s, errors/s and
 * drops/s by reason; per link its heartbeat age and up/down history; per
 * node when its controller came and the last request and event seen. Built
 * from a `CtpHealthSource` (monotonic counters and last-seen times), so the
 * observer's own counters (src/ui/observer-health.ts) can be replaced by a
 * metrics snapshot without touching the page.
 */
import type { CtpNetworkView } from './model.js';

/** Monotonic totals of one router. */
export interface CtpHealthCounters {
  /** Requests (REGISTER, UNREGISTER, START, STOP, COMMAND) it made, as far as the source saw. */
  requests: number;
  /** Answers other than `SUCCESS` from its nodes, as far as the source saw. */
  errors: number;
  /** Frames it dropped, by reason. */
  dropped: Readonly<Record<string, number>>;
}

/** The last request a node got, as far as the source saw. */
export interface CtpRequestSeen {
  at: number;
  /** REGISTER, UNREGISTER, START, STOP or COMMAND. */
  type: string;
  /** The requesting router (from its virtual node), if known. */
  by: string | null;
  /** The answer's code, once seen. */
  code: string | null;
}

/** What a source saw of one node. */
export interface CtpNodeActivity {
  lastRequest?: CtpRequestSeen;
  /** When its last EVENT was seen (ms since the epoch). */
  lastEvent?: number;
}

/**
 * Where the page's health numbers come from. Today: the observer router's own
 * view of the frames it receives and drops (`observerHealth`); a router's
 * metrics snapshot can take its place.
 */
export interface CtpHealthSource {
  /** What the numbers describe, shown on the page (`observer`: what the ui's router saw). */
  readonly name: string;
  /** Monotonic totals per router id the source knows about. */
  counters(): Readonly<Record<string, CtpHealthCounters>>;
  /** When each neighbor of the observer was last heard, heartbeats included (ms since the epoch), by router id. */
  heard(): Readonly<Record<string, number>>;
  /** The last request and event seen per node. */
  activity(): Readonly<Record<string, CtpNodeActivity>>;
  /** Stop observing. */
  close(): void;
}

/** One router's rates over the window. */
export interface CtpRouterHealth {
  id: string;
  requestsPerSec: number;
  errorsPerSec: number;
  /** Drops per second by reason (reasons with none over the window left out). */
  dropsPerSec: Record<string, number>;
}

/** One link's health. */
export interface CtpLinkHealth {
  a: string;
  b: string;
  up: boolean;
  /** Since when it has been up (or down), as the observer saw it. */
  since: number;
  /** For the observer's own links: ms since its neighbor was last heard (whole seconds); otherwise null. */
  heartbeatAgeMs: number | null;
  /** Its last changes, oldest first (at most 10). */
  history: { at: number; up: boolean }[];
}

/** One node's health. */
export interface CtpNodeHealth {
  /** Since when its current controller has held it, as the observer saw it (null: no controller). */
  controllerSince: number | null;
  lastRequest: CtpRequestSeen | null;
  lastEvent: number | null;
}

/** The health section of the view. */
export interface CtpViewHealth {
  /** The source's name. */
  source: string;
  /** The window the rates are taken over (ms). */
  windowMs: number;
  /** Routers the source has counters for, by id. */
  routers: CtpRouterHealth[];
  /** Links seen (up now, or gone down), sorted. */
  links: CtpLinkHealth[];
  /** Nodes of the view, by name. */
  nodes: Record<string, CtpNodeHealth>;
}

/** The view with its health section, as `CtpLiveView` pushes it. */
export interface CtpHealthView extends CtpNetworkView {
  health: CtpViewHealth;
}

interface Sample {
  at: number;
  counters: Readonly<Record<string, CtpHealthCounters>>;
}

const HISTORY = 10;
/** A link down this long leaves the health section. */
const FORGET_MS = 10 * 60_000;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Keeps what health needs over time (samples for rates, link history, controller arrivals). */
export class CtpHealthTracker {
  private readonly samples: Sample[] = [];
  private readonly links = new Map<string, CtpLinkHealth>();
  private readonly controllers = new Map<string, { controller: string; since: number }>();

  constructor(
    private readonly source: CtpHealthSource,
    private readonly windowMs = 5000,
  ) {}

  /** The health section for `view` at `now`. */
  update(view: CtpNetworkView, now: number): CtpViewHealth {
    this.samples.push({ at: now, counters: structuredClone(this.source.counters()) });
    // Keep one sample at or before the window's start.
    while (this.samples.length > 2 && (this.samples[1] as Sample).at <= now - this.windowMs)
      this.samples.shift();
    return {
      source: this.source.name,
      windowMs: this.windowMs,
      routers: this.rates(),
      links: this.linkHealth(view, now),
      nodes: this.nodeHealth(view, now),
    };
  }

  private rates(): CtpRouterHealth[] {
    const first = this.samples[0] as Sample;
    const last = this.samples[this.samples.length - 1] as Sample;
    const secs = (last.at - first.at) / 1000;
    const per = (a: number, b: number): number =>
      secs <= 0 ? 0 : round2(Math.max(0, a - b) / secs);
    return Object.keys(last.counters)
      .sort()
      .map((id) => {
        const now = last.counters[id] as CtpHealthCounters;
        const then = first.counters[id] ?? { requests: 0, errors: 0, dropped: {} };
        const dropsPerSec: Record<string, number> = {};
        for (const reason of Object.keys(now.dropped).sort()) {
          const r = per(now.dropped[reason] ?? 0, then.dropped[reason] ?? 0);
          if (r > 0) dropsPerSec[reason] = r;
        }
        return {
          id,
          requestsPerSec: per(now.requests, then.requests),
          errorsPerSec: per(now.errors, then.errors),
          dropsPerSec,
        };
      });
  }

  private linkHealth(view: CtpNetworkView, now: number): CtpLinkHealth[] {
    const upNow = new Set<string>();
    for (const l of view.links) {
      if (!l.twoWay) continue;
      const key = `${l.a}\u0000${l.b}`;
      upNow.add(key);
      const h = this.links.get(key);
      if (h === undefined)
        this.links.set(key, {
          a: l.a,
          b: l.b,
          up: true,
          since: now,
          heartbeatAgeMs: null,
          history: [{ at: now, up: true }],
        });
      else if (!h.up) flip(h, true, now);
    }
    for (const [key, h] of this.links) {
      if (h.up && !upNow.has(key)) flip(h, false, now);
      // A link down for long is forgotten (the map stays bounded).
      else if (!h.up && now - h.since > FORGET_MS) this.links.delete(key);
    }
    const heard = this.source.heard();
    const out: CtpLinkHealth[] = [];
    for (const h of this.links.values()) {
      const other = h.a === view.self ? h.b : h.b === view.self ? h.a : undefined;
      const at = other === undefined || !h.up ? undefined : heard[other];
      h.heartbeatAgeMs = at === undefined ? null : Math.floor(Math.max(0, now - at) / 1000) * 1000;
      out.push({ ...h, history: [...h.history] });
    }
    return out.sort((x, y) =>
      x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : x.b > y.b ? 1 : 0,
    );
  }

  private nodeHealth(view: CtpNetworkView, now: number): Record<string, CtpNodeHealth> {
    const activity = this.source.activity();
    const out: Record<string, CtpNodeHealth> = {};
    const seen = new Set<string>();
    for (const n of view.nodes) {
      seen.add(n.node);
      let since: number | null = null;
      if (n.controller !== null) {
        const c = this.controllers.get(n.node);
        if (c === undefined || c.controller !== n.controller)
          this.controllers.set(n.node, { controller: n.controller, since: now });
        since = this.controllers.get(n.node)?.since ?? now;
      } else this.controllers.delete(n.node);
      const a = activity[n.node];
      out[n.node] = {
        controllerSince: since,
        lastRequest: a?.lastRequest === undefined ? null : { ...a.lastRequest },
        lastEvent: a?.lastEvent ?? null,
      };
    }
    for (const node of this.controllers.keys()) if (!seen.has(node)) this.controllers.delete(node);
    return out;
  }
}

function flip(h: CtpLinkHealth, up: boolean, at: number): void {
  h.up = up;
  h.since = at;
  h.history.push({ at, up });
  if (h.history.length > HISTORY) h.history.splice(0, h.history.length - HISTORY);
}
