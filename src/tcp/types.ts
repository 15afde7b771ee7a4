/**
 * The public types of `TcpTransport`: the host it drives, `attach` options,
 * its events and its counters.
 */
import type { TcpAddress } from './address.js';
import type { TcpCloseReason, TcpPeer } from './connection.js';
import type { TcpGuardCounters } from './guards.js';
import type { TcpRefusedReason } from './tls.js';

/**
 * What the transport drives: a `CtpRouter<TcpPeer>` fits, as does any host
 * object with these methods. `id` (when a valid router id) is announced in
 * the hello line unless the transport has its own `id` option.
 */
export interface TcpHost {
  readonly id?: string;
  /** One inbound line, without its newline, as UTF-8 bytes (a `Buffer`; the router checks the UTF-8 strictly). */
  receive(peer: TcpPeer, frame: string | Uint8Array): void;
  /** A connection is up. */
  peerUp(peer: TcpPeer): void;
  /** A connection closed. */
  peerDown(peer: TcpPeer): void;
  /** A router's event subscription: with `attach(host, { closeWith: true })` the transport closes on its `close` event. */
  once?(event: 'close', fn: () => void): unknown;
}

/** Options of `attach`. */
export interface TcpAttachOptions {
  /**
   * Close the transport when the router closes (its `close` event: `close()`
   * or `drain()`), so one call shuts both down. @default false
   */
  closeWith?: boolean;
}

/** Typed events of `TcpTransport`. */
export interface TcpTransportEvents {
  /** The server is bound. */
  listening: (address: TcpAddress) => void;
  /** A connection is up (the host got `peerUp`). */
  connect: (peer: TcpPeer) => void;
  /** A connection is down (the host got `peerDown`). */
  disconnect: (peer: TcpPeer, reason: TcpCloseReason) => void;
  /** A line longer than `maxFrameBytes` is being discarded; `bytes` seen when it passed the limit. */
  oversized: (peer: TcpPeer, bytes: number) => void;
  /**
   * A dial attempt failed, one event per attempt: the socket's error (`err.code`
   * `ECONNREFUSED`, `ETIMEDOUT`, a TLS verification code, ...), or a dialled
   * link that never became one (`ERR_CTP_LINK_CLOSED`: closed before the other
   * end sent a line, e.g. a refused certificate; `ERR_CTP_HANDSHAKE_TIMEOUT`;
   * `ERR_CTP_CERT_ID`; `ERR_CTP_IDENTITY_MISMATCH`; `ERR_CTP_LINK_REFUSED`: the
   * other end refused it and said why, `err.reason`, e.g. `duplicate`;
   * `ERR_CTP_SELF`). It is retried per `reconnect` (a link to this router
   * itself is not).
   */
  dialError: (target: string, err: Error) => void;
  /** An inbound connection was refused before it reached the router (`remote` is `'address:port'`): TLS, or the server was full. */
  refused: (remote: string, reason: TcpRefusedReason, err: Error) => void;
  /** The server failed (e.g. the port is taken), or a host method threw. */
  error: (err: Error) => void;
}

/** `stats()`: plain counters. */
export interface TcpStats extends TcpGuardCounters {
  /** Connections up now. */
  connections: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Lines discarded for passing `maxFrameBytes`. */
  oversized: number;
  /** Connections closed as slow consumers. */
  slowConsumers: number;
  /** Connections closed as duplicate links (a newcomer for a router id with a live link). */
  duplicates: number;
  /** Connections closed because a hello or frame named another router than their certificate (`identity-mismatch`). */
  identityMismatches: number;
  /** Inbound connections refused before reaching the router (see the `refused` event). */
  refused: number;
  /** Dial attempts that failed. */
  dialFailures: number;
  /** Queued REPORTNODE frames replaced by a newer one carrying newer adverts of the same origins. */
  superseded: number;
  /** Partial-frame bytes held now, across connections (at most `maxBufferedBytes`). */
  bufferedBytes: number;
}
