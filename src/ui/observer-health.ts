/**
 * The health source of `ctp-router ui` today: what its own observer router
 * sees. Every frame the router receives passes a tap first (the router's
 * `receive`, wrapped on the instance until `close()`): requests crossing it
 * count for the router that made them (read from the virtual node they carry),
 * answers other than `SUCCESS` for the router hosting the node; the last
 * request and EVENT per node are kept; drops are the router's own `stats()`.
 * A neighbor is heard when a frame arrives from it or its socket read bytes
 * (heartbeats are empty lines the router never sees) or, on a bus, its presence.
 * A metrics snapshot can take this source's place (`CtpHealthSource`).
 */
import { parseVirtualName } from '../base/names.js';
import type { CtpRouter } from '../router.js';
import type { CtpHealthCounters, CtpHealthSource, CtpNodeActivity } from './health.js';

const REQUESTS = new Set(['REGISTER', 'UNREGISTER', 'START', 'STOP', 'COMMAND']);
/** Frames worth parsing: requests, their answers, events. Adverts (the bulk) are not. */
const TYPE = /"t":"(REGISTER|UNREGISTER|START|STOP|COMMAND|RESPONSE|EVENT)"/;
/** Most nodes whose activity is kept (the oldest are forgotten first). */
const MAX_NODES = 10_000;
/** Most routers counters are kept for. */
const MAX_ROUTERS = 10_000;

interface Tapped {
  t?: unknown;
  node?: unknown;
  controller?: unknown;
  monitor?: unknown;
  code?: unknown;
}

/** What a transport's peer may tell: its router id, when it was last heard, bytes read. */
interface PeerLike {
  routerId?: unknown;
  lastSeen?: unknown;
  isOpen?: unknown;
  up?: unknown;
  socket?: { bytesRead?: unknown };
}

interface PeerSeen {
  heardAt: number;
  bytesRead: number;
}

/** Options of `observerHealth`. */
export interface CtpObserverHealthOptions<P> {
  /** The clock. @default Date.now */
  now?: () => number;
  /** The router id at the other end of a peer. @default its `routerId` field */
  peerRouter?: (peer: P) => string | undefined;
}

/** The observer router's own view of health; `close()` removes the tap. */
export function observerHealth<P>(
  router: CtpRouter<P>,
  options: CtpObserverHealthOptions<P> = {},
): CtpHealthSource {
  const now = options.now ?? Date.now;
  const routerOf =
    options.peerRouter ??
    ((peer: P): string | undefined => {
      const id = (peer as PeerLike).routerId;
      return typeof id === 'string' ? id : undefined;
    });
  const counters = new Map<string, { requests: number; errors: number }>();
  const activity = new Map<string, CtpNodeActivity>();
  const errorsByNode = new Map<string, number>();
  const peers = new Map<P, PeerSeen>();
  const count = (id: string): { requests: number; errors: number } => {
    let c = counters.get(id);
    if (c === undefined) {
      c = { requests: 0, errors: 0 };
      // Frames are tapped before the router checks them: a flood of made-up ids stays bounded.
      if (counters.size < MAX_ROUTERS) counters.set(id, c);
    }
    return c;
  };
  const touch = (node: string): CtpNodeActivity => {
    let a = activity.get(node);
    if (a === undefined) {
      if (activity.size >= MAX_NODES) activity.delete(activity.keys().next().value as string);
      activity.set(node, (a = {}));
    }
    return a;
  };
  const seeFrame = (frame: string | Uint8Array): void => {
    const text =
      typeof frame === 'string'
        ? frame
        : new TextDecoder().decode(frame.subarray(0, Math.min(frame.length, 1 << 16)));
    const head = TYPE.exec(text.slice(0, 64));
    if (head === null) return;
    let m: Tapped;
    try {
      m = JSON.parse(text) as Tapped;
    } catch {
      return; // the router drops it and counts it
    }
    if (typeof m.node !== 'string' || typeof m.t !== 'string') return;
    const at = now();
    const registrant = typeof m.controller === 'string' ? m.controller : m.monitor;
    const by =
      typeof registrant === 'string' ? (parseVirtualName(registrant)?.routerId ?? null) : null;
    if (REQUESTS.has(m.t)) {
      if (by !== null) count(by).requests++;
      touch(m.node).lastRequest = { at, type: m.t, by, code: null };
    } else if (m.t === 'RESPONSE' && typeof m.code === 'string') {
      const a = touch(m.node);
      if (a.lastRequest !== undefined && a.lastRequest.code === null && a.lastRequest.by === by)
        a.lastRequest.code = m.code;
      if (m.code !== 'SUCCESS') {
        // Counted for the node's host at the next look (one snapshot per look, not per frame).
        if (errorsByNode.size < MAX_NODES || errorsByNode.has(m.node))
          errorsByNode.set(m.node, (errorsByNode.get(m.node) ?? 0) + 1);
      }
    } else if (m.t === 'EVENT') touch(m.node).lastEvent = at;
  };
  const original = router.receive;
  const tapped = (peer: P, frame: string | Uint8Array): void => {
    const p = peers.get(peer);
    if (p === undefined) peers.set(peer, { heardAt: now(), bytesRead: -1 });
    else p.heardAt = now();
    try {
      seeFrame(frame);
    } catch {
      // Never let the tap stop a frame.
    }
    original.call(router, peer, frame);
  };
  router.receive = tapped;
  return {
    name: 'observer',
    counters() {
      if (errorsByNode.size > 0) {
        const nodes = router.snapshot().nodes;
        for (const [node, n] of errorsByNode) {
          const host = nodes[node]?.origin;
          if (host !== undefined) count(host).errors += n;
        }
        errorsByNode.clear();
      }
      const out: Record<string, CtpHealthCounters> = {};
      for (const [id, c] of counters) out[id] = { ...c, dropped: {} };
      const own = out[router.id] ?? { requests: 0, errors: 0, dropped: {} };
      out[router.id] = { ...own, dropped: { ...router.stats().dropped } };
      return out;
    },
    heard() {
      const out: Record<string, number> = {};
      for (const [peer, seen] of peers) {
        const p = peer as PeerLike;
        if (p.isOpen === false || p.up === false) {
          peers.delete(peer);
          continue;
        }
        // Heartbeats: bytes the socket read since the last look, or a bus member's presence.
        const read = p.socket?.bytesRead;
        if (typeof read === 'number') {
          if (read !== seen.bytesRead) {
            if (seen.bytesRead >= 0) seen.heardAt = now();
            seen.bytesRead = read;
          }
        }
        if (typeof p.lastSeen === 'number') seen.heardAt = Math.max(seen.heardAt, p.lastSeen);
        const id = routerOf(peer);
        if (id !== undefined) out[id] = Math.max(out[id] ?? 0, seen.heardAt);
      }
      return out;
    },
    activity() {
      return Object.fromEntries(activity);
    },
    close() {
      if (router.receive === tapped) Reflect.deleteProperty(router, 'receive');
    },
  };
}
