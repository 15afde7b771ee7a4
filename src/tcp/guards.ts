/**
 * The transport's guards against peers that hold resources without using
 * them (issue 10): the liveness sweep (heartbeats, `dead`, `handshake-timeout`),
 * the partial-frame budget (`buffer-budget`) and eviction of unproven
 * connections when the server is full (`evicted`), with their counters. The
 * transport feeds it inbound chunks and connection events; it decides which
 * connection to close and why.
 */
import { TcpBufferBudget } from './budget.js';
import type { TcpCloseReason, TcpConnection } from './connection.js';
import { TcpLiveness, type TcpLivenessOptions } from './liveness.js';

/** What the guards need from the transport. @internal */
export interface TcpGuardsHost {
  /** The connections handed to the router. */
  readonly live: ReadonlySet<TcpConnection>;
  /** Close `c` at once and take it from the router (`peerDown`, `disconnect` with `reason`). */
  condemn(c: TcpConnection, reason: TcpCloseReason): void;
}

/** Counters of the guards (part of `TcpStats`). */
export interface TcpGuardCounters {
  /** Heartbeats (empty lines) written to idle connections (one byte each, not in `bytesOut`). */
  heartbeatsOut: number;
  /** Connections closed as `dead`: nothing arrived for `deadAfterMs`. */
  dead: number;
  /** Connections closed for `handshake-timeout`: no first frame, or a partial frame not completed, within `handshakeTimeoutMs`. */
  handshakeTimeouts: number;
  /** Connections closed for `buffer-budget`: they held the largest partial frames when `maxBufferedBytes` was passed. */
  bufferBudget: number;
  /** Connections closed as `evicted`: the server was full and they had not delivered a frame yet. */
  evicted: number;
}

/** @internal */
export class TcpGuards {
  readonly counters: TcpGuardCounters = {
    heartbeatsOut: 0,
    dead: 0,
    handshakeTimeouts: 0,
    bufferBudget: 0,
    evicted: 0,
  };
  readonly liveness: TcpLiveness;
  private readonly budget: TcpBufferBudget;

  constructor(
    o: TcpLivenessOptions & { maxBufferedBytes: number },
    private readonly host: TcpGuardsHost,
  ) {
    const kill = (c: TcpConnection, reason: TcpCloseReason): void => this.kill(c, reason);
    this.liveness = new TcpLiveness(o, {
      connections: () => host.live,
      kill,
      heartbeatSent: () => this.counters.heartbeatsOut++,
    });
    this.budget = new TcpBufferBudget(o.maxBufferedBytes, kill);
  }

  /** Partial-frame bytes held now. */
  get bufferedBytes(): number {
    return this.budget.total;
  }

  /** An inbound chunk for a connection that is up. */
  push(c: TcpConnection, chunk: Buffer): void {
    this.budget.push(c, chunk);
  }

  /** A connection came up. */
  up(): void {
    this.liveness.start();
  }

  /** A socket closed: its partial line no longer counts. */
  closed(c: TcpConnection): void {
    this.budget.release(c);
  }

  /** The transport closes: no timer left. */
  stop(): void {
    this.liveness.stop();
  }

  /** The server is full and refused a connection: close the oldest accepted one that never sent a frame. */
  evictUnproven(): void {
    let oldest: TcpConnection | undefined;
    for (const c of this.host.live)
      if (c.direction === 'in' && c.firstLine && (oldest === undefined || c.id < oldest.id))
        oldest = c;
    if (oldest !== undefined) this.kill(oldest, 'evicted');
  }

  private kill(c: TcpConnection, reason: TcpCloseReason): void {
    if (reason === 'dead') this.counters.dead++;
    else if (reason === 'handshake-timeout') this.counters.handshakeTimeouts++;
    else if (reason === 'buffer-budget') this.counters.bufferBudget++;
    else if (reason === 'evicted') this.counters.evicted++;
    this.host.condemn(c, reason);
  }
}
