/**
 * Liveness of a transport's connections (issue 10): heartbeats on idle links,
 * `dead` links, and the handshake / partial-frame timeout. One unref'ed timer
 * per transport sweeps every live connection; nothing is added to the data
 * path (activity is read from the socket's byte counters at each sweep).
 *
 * On the wire a heartbeat is an empty line: newline framing (PROTOCOL.md section
 * 6) makes it no frame at all, so a router never sees it and a plain peer
 * that skips empty lines ignores it.
 */
import createDebug from 'debug';
import { performance } from 'node:perf_hooks';
import type { TcpCloseReason, TcpConnection } from './connection.js';

const debug = createDebug('ctp:tcp:liveness');

/** What the sweep needs from its transport. @internal */
export interface TcpLivenessHost {
  /** The connections handed to the router. */
  connections(): Iterable<TcpConnection>;
  /** Close `c` at once for `reason` (the router gets `peerDown`). */
  kill(c: TcpConnection, reason: TcpCloseReason): void;
  /** A heartbeat was written to `c`. */
  heartbeatSent(c: TcpConnection): void;
}

/** Timing options (see `TcpTransportOptions`). @internal */
export interface TcpLivenessOptions {
  heartbeatMs: number;
  deadAfterMs: number;
  handshakeTimeoutMs: number;
}

/** Per-connection bookkeeping of the sweep. */
interface Seen {
  /** When the sweep first saw the connection up. */
  upAt: number;
  /** Last sweep that saw bytes arrive / leave. */
  lastIn: number;
  lastOut: number;
  bytesRead: number;
  bytesWritten: number;
  lineEnds: number;
  /** Since when it holds a partial line, if it does. */
  partialSince: number | undefined;
}

/** The sweep period for these options: a quarter of the shortest interval it serves, within 5–1000 ms. */
export function sweepPeriod(o: TcpLivenessOptions): number {
  const spans = [o.heartbeatMs / 4, o.deadAfterMs / 6, o.handshakeTimeoutMs / 4].filter(
    (x) => x > 0,
  );
  return spans.length === 0 ? 0 : Math.max(5, Math.min(1000, ...spans));
}

/** @internal */
export class TcpLiveness {
  readonly period: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastSweep = 0;
  private readonly seen = new WeakMap<TcpConnection, Seen>();
  /** Sweeps that found this process had stalled (the timer ran late): no link was judged on them. */
  stalls = 0;

  constructor(
    private readonly o: TcpLivenessOptions,
    private readonly host: TcpLivenessHost,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.period = sweepPeriod(o);
  }

  /** A connection came up: make sure the sweep runs. */
  start(): void {
    if (this.period === 0 || this.timer !== undefined) return;
    this.lastSweep = this.now();
    this.timer = setInterval(() => this.sweep(), this.period);
    this.timer.unref();
  }

  /** Stop sweeping (`close()`, or no connection left). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over the live connections. Public for tests. */
  sweep(): void {
    const now = this.now();
    const late = now - this.lastSweep - this.period;
    this.lastSweep = now;
    // This process did not run for a while (SIGSTOP, a long GC, a blocked
    // loop): the bytes that arrived meanwhile are still unread, so silence
    // proves nothing. Judge no link on this sweep, and excuse the stall.
    const stalled = late > Math.max(2 * this.period, 250);
    if (stalled) {
      this.stalls++;
      debug('sweep ran %d ms late: this process stalled; no link judged', Math.round(late));
    }
    let any = false;
    for (const c of this.host.connections()) {
      any = true;
      const s = this.track(c, now, stalled ? late : 0);
      if (!stalled && this.judge(c, s, now)) continue;
      // Idle for heartbeatMs at least (`lastOut` is when a sweep first saw the last write, never
      // before it), so a peer sees a byte every heartbeatMs + 2 sweep periods at most (1.5 × heartbeatMs).
      if (this.o.heartbeatMs > 0 && now - s.lastOut >= this.o.heartbeatMs && c.heartbeat()) {
        s.lastOut = now;
        s.bytesWritten = c.socket.bytesWritten;
        this.host.heartbeatSent(c);
      }
    }
    if (!any) this.stop();
  }

  /**
   * The longest time (ms) since bytes (a frame or a heartbeat) arrived on a
   * live connection, as the sweeps saw it (their period is the resolution):
   * 0 without connections, or when bytes arrived since the last sweep.
   */
  oldestSilence(): number {
    const now = this.now();
    let max = 0;
    for (const c of this.host.connections()) {
      const s = this.seen.get(c);
      if (s !== undefined && c.socket.bytesRead === s.bytesRead)
        max = Math.max(max, now - s.lastIn);
    }
    return max;
  }

  /** Update what the sweep knows of `c` from its counters; `excuse` ms of stall are forgiven. */
  private track(c: TcpConnection, now: number, excuse: number): Seen {
    let s = this.seen.get(c);
    const sock = c.socket;
    if (s === undefined) {
      s = {
        upAt: now,
        lastIn: now,
        lastOut: now,
        bytesRead: sock.bytesRead,
        bytesWritten: sock.bytesWritten,
        lineEnds: c.splitter.lineEnds,
        partialSince: undefined,
      };
      this.seen.set(c, s);
    }
    if (excuse > 0) {
      s.lastIn = now;
      s.upAt += excuse;
      if (s.partialSince !== undefined) s.partialSince += excuse;
    }
    if (sock.bytesRead !== s.bytesRead) {
      s.bytesRead = sock.bytesRead;
      s.lastIn = now;
    }
    if (sock.bytesWritten !== s.bytesWritten) {
      s.bytesWritten = sock.bytesWritten;
      s.lastOut = now;
    }
    const sp = c.splitter;
    if (sp.buffered === 0 && !sp.isDiscarding) s.partialSince = undefined;
    else if (s.partialSince === undefined || sp.lineEnds !== s.lineEnds) s.partialSince = now;
    s.lineEnds = sp.lineEnds;
    return s;
  }

  /** Close `c` when it is dead or past its handshake / partial-frame time; true when closed. */
  private judge(c: TcpConnection, s: Seen, now: number): boolean {
    const o = this.o;
    let reason: TcpCloseReason | undefined;
    if (o.handshakeTimeoutMs > 0 && c.firstLine && now - s.upAt >= o.handshakeTimeoutMs)
      reason = 'handshake-timeout';
    else if (
      o.handshakeTimeoutMs > 0 &&
      s.partialSince !== undefined &&
      now - s.partialSince >= o.handshakeTimeoutMs
    )
      reason = 'handshake-timeout';
    else if (o.deadAfterMs > 0 && now - s.lastIn >= o.deadAfterMs) reason = 'dead';
    if (reason === undefined) return false;
    debug('connection %s: %s', c, reason);
    this.host.kill(c, reason);
    return true;
  }
}
