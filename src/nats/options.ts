/**
 * `NatsTransport` options, their defaults and validation. The client's own
 * options (`NATS_CLIENT_KEYS`: `tls`, `user`, `pass`, `token`,
 * `authenticator`, `name`, `maxReconnectAttempts`, ...) go to the NATS
 * client's `connect()` as they are; any other key throws.
 */
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { argumentError } from '../base/errors.js';
import { isValidMedium } from '../link-state/media.js';
import { isValidRouterId } from '../base/names.js';
import { checkOptionKeys, keysOf } from '../base/suggest.js';
import { isValidPrefix } from './subjects.js';

/** Options of `new NatsTransport(options)`. */
export interface NatsTransportOptions extends Omit<NodeConnectionOptions, 'servers' | 'noEcho'> {
  /** NATS server URLs (`nats://host:port`, `host:port`); one seed is enough in a cluster (the client learns the others). */
  servers: string | readonly string[];
  /** First token(s) of every subject: routers on the same prefix form one bus. @default 'ctp' */
  prefix?: string;
  /** Presence heartbeat interval. @default 1000 */
  heartbeatMs?: number;
  /** A member silent this long is `peerDown` (checked every `deadAfterMs / 10`). @default 3 × heartbeatMs */
  deadAfterMs?: number;
  /**
   * At most this many members are tracked (a presence flood of made-up ids
   * stops here; more are counted in `stats().membersRefused`). @default 2048
   */
  maxMembers?: number;
  /** Router id on the bus. @default the attached router's `id` */
  id?: string;
  /** The content of a NATS `.creds` file (JWT + nkey seed): sets the client's `authenticator`. @default none */
  creds?: string | Uint8Array;
  /**
   * The bus as a broadcast medium (docs/nats.md "Broadcast media"): members list one
   * pseudo-node instead of each other. The same id at every member (1–64
   * chars of [A-Za-z0-9._:-]); `false`: members are plain peers that list each other.
   * @default the prefix
   */
  medium?: string | false;
}

/** Defaults of `NatsTransportOptions`. */
export const NATS_DEFAULTS = {
  prefix: 'ctp',
  heartbeatMs: 1000,
  maxMembers: 2048,
  /** Passed to the client unless given: reconnect quickly, within `deadAfterMs`. */
  reconnectTimeWait: 250,
  /** Passed to the client unless given: keep reconnecting. */
  maxReconnectAttempts: -1,
} as const;

/** Options with every default filled in. */
export interface NatsResolvedOptions {
  servers: string[];
  prefix: string;
  heartbeatMs: number;
  deadAfterMs: number;
  maxMembers: number;
  id: string | undefined;
  creds: Uint8Array | undefined;
  medium: string | undefined;
  /** Everything else, for the client's `connect()`. */
  client: Omit<NodeConnectionOptions, 'servers'>;
}

/**
 * The NATS client's `connect()` options the transport passes through as they
 * are (docs/nats.md lists them): every key of the client's
 * `NodeConnectionOptions` but `servers` (ours) and `noEcho` (always set).
 * The compiler keeps this list equal to the client's type.
 */
export const NATS_CLIENT_KEYS = keysOf<Omit<NodeConnectionOptions, 'servers' | 'noEcho'>>({
  authenticator: true,
  debug: true,
  ignoreAuthErrorAbort: true,
  ignoreClusterUpdates: true,
  inboxPrefix: true,
  maxPingOut: true,
  maxReconnectAttempts: true,
  name: true,
  noAsyncTraces: true,
  noRandomize: true,
  pass: true,
  pedantic: true,
  pingInterval: true,
  port: true,
  reconnect: true,
  reconnectDelayHandler: true,
  reconnectJitter: true,
  reconnectJitterTLS: true,
  reconnectTimeWait: true,
  reconnectToServer: true,
  resolve: true,
  timeout: true,
  tls: true,
  token: true,
  user: true,
  verbose: true,
  waitOnFirstConnect: true,
});

/** The transport's own options, then the client's: any other key throws (with a "did you mean"). */
const NATS_KEYS = [
  ...keysOf<
    Omit<NatsTransportOptions, keyof NodeConnectionOptions> & Pick<NatsTransportOptions, 'servers'>
  >({
    servers: true,
    prefix: true,
    heartbeatMs: true,
    deadAfterMs: true,
    maxMembers: true,
    id: true,
    creds: true,
    medium: true,
  }),
  ...NATS_CLIENT_KEYS,
];

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw argumentError(name, 'a positive number', value);
  return value;
}

/** Validate `options` and fill in the defaults; throws `CtpArgumentError` on misuse. */
export function resolveNatsOptions(options: NatsTransportOptions): NatsResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw argumentError('options', 'an object with `servers`', options);
  if ('noEcho' in (options as object))
    throw argumentError(
      'options.noEcho',
      'not given (the transport sets it)',
      (options as { noEcho?: unknown }).noEcho,
    );
  checkOptionKeys(options, NATS_KEYS, 'NatsTransport');
  const { servers, prefix, heartbeatMs, deadAfterMs, maxMembers, id, creds, medium, ...client } =
    options;
  const list =
    typeof servers === 'string'
      ? [servers]
      : Array.isArray(servers)
        ? [...(servers as string[])]
        : undefined;
  if (
    list === undefined ||
    list.length === 0 ||
    list.some((s) => typeof s !== 'string' || s.length === 0)
  )
    throw argumentError('options.servers', 'a NATS URL or a non-empty array of them', servers);
  const p = prefix ?? NATS_DEFAULTS.prefix;
  if (!isValidPrefix(p))
    throw argumentError(
      'options.prefix',
      'subject tokens of [A-Za-z0-9_-] joined by `.` (no wildcards)',
      prefix,
    );
  const hb = positive('options.heartbeatMs', heartbeatMs, NATS_DEFAULTS.heartbeatMs);
  const dead = positive('options.deadAfterMs', deadAfterMs, 3 * hb);
  if (dead <= hb)
    throw argumentError('options.deadAfterMs', `more than heartbeatMs (${hb})`, deadAfterMs);
  const max = positive('options.maxMembers', maxMembers, NATS_DEFAULTS.maxMembers);
  if (!Number.isSafeInteger(max))
    throw argumentError('options.maxMembers', 'a positive integer', maxMembers);
  if (id !== undefined && !isValidRouterId(id))
    throw argumentError('options.id', 'a router id (1–128 chars of [A-Za-z0-9._:-])', id);
  if (creds !== undefined && typeof creds !== 'string' && !(creds instanceof Uint8Array))
    throw argumentError('options.creds', 'the text of a .creds file', creds);
  const m = medium === undefined ? p : medium;
  if (m !== false && !isValidMedium(m))
    throw argumentError(
      'options.medium',
      'false or a medium id (1–64 chars of [A-Za-z0-9._:-]; give one when the prefix is longer)',
      medium,
    );
  return {
    servers: list,
    prefix: p,
    heartbeatMs: hb,
    deadAfterMs: dead,
    maxMembers: max,
    id,
    creds: typeof creds === 'string' ? new TextEncoder().encode(creds) : creds,
    medium: m === false ? undefined : m,
    client: {
      reconnectTimeWait: NATS_DEFAULTS.reconnectTimeWait,
      maxReconnectAttempts: NATS_DEFAULTS.maxReconnectAttempts,
      // Notice a dead server about as fast as a dead member.
      pingInterval: Math.max(hb, 250),
      maxPingOut: 2,
      ...client,
    },
  };
}
