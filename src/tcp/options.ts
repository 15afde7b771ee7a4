/**
 * `TcpTransport` options, their defaults and validation.
 */
import { argumentError } from '../base/errors.js';
import { isValidRouterId } from '../base/names.js';
import { checkOptionKeys, keysOf } from '../base/suggest.js';
import { parseTarget, type TcpAddress } from './address.js';
import { resolveTls, type TcpTlsOptions, type TcpTlsSetup } from './tls.js';

/** Where to listen. */
export interface TcpListenOptions {
  /** Interface to bind. Loopback by default: without `tls` there is no authentication on the wire. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (read it back with `address()`). @default 0 */
  port?: number;
}

/** Reconnection of dialled connections: exponential backoff with jitter. */
export interface TcpReconnectOptions {
  /** First delay after a failed dial or a lost connection. @default 100 */
  initialDelayMs?: number;
  /** Largest delay. @default 5000 */
  maxDelayMs?: number;
  /** Each failed attempt multiplies the delay by this. @default 2 */
  factor?: number;
  /** Random spread, 0–1: a delay `d` becomes uniform in `d·(1 ± jitter)` (never above `maxDelayMs`). @default 0.2 */
  jitter?: number;
}

/** Options of `new TcpTransport(options)` (or `connectRouter`'s `tcp`); an unknown key or a bad value throws `CtpArgumentError`. @example
 * {@includeCode ../../docs/api-examples/tcp.ts#options} */
export interface TcpTransportOptions {
  /** Listen for connections. @default none (dial only) */
  listen?: TcpListenOptions;
  /**
   * Addresses to dial, `'host:port'` (`'[::1]:7000'` for IPv6), or `'id@host:port'` to name the router
   * expected there (with `tls`, its certificate CN must be `id`; without, its hello must name `id`).
   * Each is redialled when it drops. @default []
   */
  connect?: readonly string[];
  /** Router id sent in the hello line (used to keep one link per pair of routers). @default the attached router's `id` */
  id?: string;
  /** Longest inbound line; longer ones are discarded without being buffered whole. @default 8388608 */
  maxFrameBytes?: number;
  /** Outbound bytes queued per connection (ours and the socket's) before it is closed as a slow consumer. @default 33554432 */
  maxQueuedBytes?: number;
  /** Reconnection backoff of dialled connections, or `false` to dial each address once. */
  reconnect?: TcpReconnectOptions | false;
  /** A dial that has not connected by then fails (and is retried). @default 10000 */
  connectTimeoutMs?: number;
  /** Inbound connections at once (TLS: those still in their handshake included); more are refused. @default 1024 */
  maxConnections?: number;
  /** TCP keep-alive initial delay; 0 turns keep-alive off. @default 15000 */
  keepAliveMs?: number;
  /** How long `close()` lets a connection flush before destroying it. @default 1000 */
  closeTimeoutMs?: number;
  /**
   * Mutual TLS for listening and dialling (node:tls options: `key`, `cert`, `ca`, ...). Both sides must
   * present a certificate chaining to `ca`; a link's router id is its certificate's subject CN.
   * @default none (plain TCP)
   */
  tls?: TcpTlsOptions;
  /**
   * Send a heartbeat (an empty line) on a connection to which nothing else was
   * written for this long; 0 sends none. Bounds: a peer frozen or gone without
   * a FIN (SIGSTOP, power loss) holding control or a route. @default 5000
   */
  heartbeatMs?: number;
  /**
   * Close a connection (reason `dead`) from which nothing at all (no frame, no
   * heartbeat, no byte) arrived for this long; 0 never does. Must exceed the
   * other end's `heartbeatMs`. @default 3 × heartbeatMs
   */
  deadAfterMs?: number;
  /**
   * Close a connection (reason `handshake-timeout`) that has not delivered its
   * first complete frame this long after it came up, or that holds a partial
   * frame without completing it for this long; 0 never does. Bounds slowloris
   * (many connections each holding half a frame). @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Budget for partial-frame bytes held across all connections; when passed,
   * the connections holding the largest partial frames are closed first
   * (reason `buffer-budget`) until it is met. Bounds memory against many large
   * partial lines. @default 67108864
   */
  maxBufferedBytes?: number;
}

/** Defaults of `TcpTransportOptions`. */
export const TCP_DEFAULTS = {
  host: '127.0.0.1',
  maxFrameBytes: 8 * 1024 * 1024,
  maxQueuedBytes: 32 * 1024 * 1024,
  initialDelayMs: 100,
  maxDelayMs: 5000,
  factor: 2,
  jitter: 0.2,
  connectTimeoutMs: 10_000,
  maxConnections: 1024,
  keepAliveMs: 15_000,
  closeTimeoutMs: 1000,
  heartbeatMs: 5000,
  handshakeTimeoutMs: 10_000,
  maxBufferedBytes: 64 * 1024 * 1024,
} as const;

/** Options with every default filled in. */
export interface TcpResolvedOptions {
  listen: TcpAddress | undefined;
  connect: { target: string; address: TcpAddress; expectedId: string | undefined }[];
  id: string | undefined;
  tls: TcpTlsSetup | undefined;
  maxFrameBytes: number;
  maxQueuedBytes: number;
  reconnect: Required<TcpReconnectOptions> | undefined;
  connectTimeoutMs: number;
  maxConnections: number;
  keepAliveMs: number;
  closeTimeoutMs: number;
  heartbeatMs: number;
  deadAfterMs: number;
  handshakeTimeoutMs: number;
  maxBufferedBytes: number;
}

function positive(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  )
    throw argumentError(name, allowZero ? 'a non-negative number' : 'a positive number', value);
  return value;
}

/** Every key of `TcpTransportOptions` and of its nested objects: any other throws (with a "did you mean"). */
const TCP_KEYS = keysOf<TcpTransportOptions>({
  listen: true,
  connect: true,
  id: true,
  maxFrameBytes: true,
  maxQueuedBytes: true,
  reconnect: true,
  connectTimeoutMs: true,
  maxConnections: true,
  keepAliveMs: true,
  closeTimeoutMs: true,
  tls: true,
  heartbeatMs: true,
  deadAfterMs: true,
  handshakeTimeoutMs: true,
  maxBufferedBytes: true,
});
const LISTEN_KEYS = keysOf<TcpListenOptions>({ host: true, port: true });
const RECONNECT_KEYS = keysOf<TcpReconnectOptions>({
  initialDelayMs: true,
  maxDelayMs: true,
  factor: true,
  jitter: true,
});

/** Validate `options` and fill in the defaults; throws `CtpArgumentError` on misuse. */
export function resolveTcpOptions(options: TcpTransportOptions | undefined): TcpResolvedOptions {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) throw argumentError('options', 'an object', o);
  checkOptionKeys(o, TCP_KEYS, 'TcpTransport');
  let listen: TcpAddress | undefined;
  if (o.listen !== undefined) {
    if (typeof o.listen !== 'object' || o.listen === null)
      throw argumentError('options.listen', 'an object', o.listen);
    checkOptionKeys(o.listen, LISTEN_KEYS, 'TcpTransport', 'listen.');
    const host = o.listen.host ?? TCP_DEFAULTS.host;
    if (typeof host !== 'string' || host.length === 0)
      throw argumentError('options.listen.host', 'a host name or address', host);
    const port = o.listen.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw argumentError('options.listen.port', 'an integer from 0 to 65535', port);
    listen = { host, port };
  }
  const connect: TcpResolvedOptions['connect'] = [];
  if (o.connect !== undefined) {
    if (!Array.isArray(o.connect))
      throw argumentError('options.connect', "an array of '[id@]host:port' strings", o.connect);
    for (const target of o.connect as unknown[]) {
      const parsed = parseTarget(target);
      if (parsed === undefined)
        throw argumentError('options.connect', "an array of '[id@]host:port' strings", target);
      connect.push({ target: target as string, address: parsed.address, expectedId: parsed.id });
    }
  }
  if (o.id !== undefined && !isValidRouterId(o.id))
    throw argumentError('options.id', 'a router id (1–128 chars of [A-Za-z0-9._:-])', o.id);
  let reconnect: TcpResolvedOptions['reconnect'];
  if (o.reconnect !== false) {
    const r = o.reconnect ?? {};
    if (typeof r !== 'object' || r === null)
      throw argumentError('options.reconnect', 'an object or false', r);
    checkOptionKeys(r, RECONNECT_KEYS, 'TcpTransport', 'reconnect.');
    const initialDelayMs = positive(
      'options.reconnect.initialDelayMs',
      r.initialDelayMs,
      TCP_DEFAULTS.initialDelayMs,
      true,
    );
    const maxDelayMs = positive(
      'options.reconnect.maxDelayMs',
      r.maxDelayMs,
      Math.max(TCP_DEFAULTS.maxDelayMs, initialDelayMs),
      true,
    );
    if (maxDelayMs < initialDelayMs)
      throw argumentError(
        'options.reconnect.maxDelayMs',
        `at least initialDelayMs (${initialDelayMs})`,
        maxDelayMs,
      );
    const factor = positive('options.reconnect.factor', r.factor, TCP_DEFAULTS.factor);
    if (factor < 1)
      throw argumentError('options.reconnect.factor', 'a number of at least 1', factor);
    const jitter = positive('options.reconnect.jitter', r.jitter, TCP_DEFAULTS.jitter, true);
    if (jitter > 1) throw argumentError('options.reconnect.jitter', 'a number from 0 to 1', jitter);
    reconnect = { initialDelayMs, maxDelayMs, factor, jitter };
  }
  const maxFrameBytes = positive(
    'options.maxFrameBytes',
    o.maxFrameBytes,
    TCP_DEFAULTS.maxFrameBytes,
  );
  const connectTimeoutMs = positive(
    'options.connectTimeoutMs',
    o.connectTimeoutMs,
    TCP_DEFAULTS.connectTimeoutMs,
  );
  const handshakeTimeoutMs = positive(
    'options.handshakeTimeoutMs',
    o.handshakeTimeoutMs,
    TCP_DEFAULTS.handshakeTimeoutMs,
    true,
  );
  const tls = resolveTls(o.tls, handshakeTimeoutMs > 0 ? handshakeTimeoutMs : connectTimeoutMs);
  if (tls?.ownId !== undefined && o.id !== undefined && o.id !== tls.ownId)
    throw argumentError('options.id', `the id its certificate names (${tls.ownId})`, o.id);
  const heartbeatMs = positive(
    'options.heartbeatMs',
    o.heartbeatMs,
    TCP_DEFAULTS.heartbeatMs,
    true,
  );
  const deadAfterMs = positive('options.deadAfterMs', o.deadAfterMs, 3 * heartbeatMs, true);
  if (deadAfterMs > 0 && heartbeatMs > 0 && deadAfterMs <= heartbeatMs)
    throw argumentError(
      'options.deadAfterMs',
      `0 or more than heartbeatMs (${heartbeatMs})`,
      deadAfterMs,
    );
  return {
    listen,
    connect,
    id: o.id,
    tls,
    maxFrameBytes,
    maxQueuedBytes: positive(
      'options.maxQueuedBytes',
      o.maxQueuedBytes,
      TCP_DEFAULTS.maxQueuedBytes,
    ),
    reconnect,
    connectTimeoutMs,
    maxConnections: positive(
      'options.maxConnections',
      o.maxConnections,
      TCP_DEFAULTS.maxConnections,
    ),
    keepAliveMs: positive('options.keepAliveMs', o.keepAliveMs, TCP_DEFAULTS.keepAliveMs, true),
    closeTimeoutMs: positive(
      'options.closeTimeoutMs',
      o.closeTimeoutMs,
      TCP_DEFAULTS.closeTimeoutMs,
      true,
    ),
    heartbeatMs,
    deadAfterMs,
    handshakeTimeoutMs,
    maxBufferedBytes: positive(
      'options.maxBufferedBytes',
      o.maxBufferedBytes,
      TCP_DEFAULTS.maxBufferedBytes,
    ),
  };
}

/** The delay before reconnection attempt `attempt` (0-based): exponential, jittered, bounded. @example
 * {@includeCode ../../docs/api-examples/tcp-helpers.ts#backoffDelay} */
export function backoffDelay(
  r: Required<TcpReconnectOptions>,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(r.maxDelayMs, r.initialDelayMs * r.factor ** Math.min(attempt, 64));
  const spread = base * r.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(r.maxDelayMs, Math.round(base + spread)));
}
