/**
 * Router options (PROTOCOL.md section 2), their defaults and validation.
 */
import { randomUUID } from 'node:crypto';
import { isClock, MAX_TIMER_MS, systemClock, type CtpClock } from './base/clock.js';
import { jsonCodec } from './wire/codec.js';
import { argumentError } from './base/errors.js';
import type { CtpCodec, CtpMessage } from './base/messages.js';
import { isValidRouterId } from './base/names.js';
import type { CtpRunOptions } from './caller/requests.js';
import {
  resolveIdentity,
  type CtpIdentity,
  type CtpResolvedIdentity,
} from './link-state/certificates.js';

export type { CtpIdentity } from './link-state/certificates.js';
import { CtpResolvedPolicy, type CtpPolicy } from './auth/policy.js';
import { checkOptionKeys, keysOf } from './base/suggest.js';

/**
 * Options of `new CtpRouter(onReceived, send, onNodesUpdated, options)` (and of `connectRouter`); every one has a default (`DEFAULTS`).
 * An unknown key or a bad value throws `CtpArgumentError` (docs/operations.md lists what each defends against).
 * @example
 * {@includeCode ../docs/api-examples/router-options.ts}
 */
export interface CtpRouterOptions<P = unknown> {
  /** Router id: 1–128 chars of `[A-Za-z0-9._:-]`. @default crypto.randomUUID() */
  id?: string;
  /** Initial local nodes. @default [] */
  nodes?: readonly string[];
  /** Include virtual nodes (`controller[…]@…`, `monitor[…]@…`) in `onNodesUpdated` and the `nodes` event; false: devices only. @default true */
  virtualNodes?: boolean;
  /** How long a request waits for its RESPONSE (seed `CTP_TIMEOUT`). @default 120000 */
  responseTimeoutMs?: number;
  /** How long a host waits for a registering virtual node to become routable (seed `WAIT_CONTROLLER_TIMEOUT`); with `identity`, also how long a frame from an origin not known yet waits for its signed advert. @default 10000 */
  registrationWaitMs?: number;
  /** How long a registration survives its other side being unreachable. @default 5000 */
  leaseGraceMs?: number;
  /** A routed frame is dropped after this many forwards. @default 16 */
  maxHops?: number;
  /** Larger inbound frames are dropped unparsed; outbound tables are split to stay under it. @default 8388608 */
  maxFrameBytes?: number;
  /**
   * REPORTNODE bytes one peer may send a second, on average (a burst of `maxFrameBytes` passes).
   * Past it, the peer's frames of 64 KiB and more wait, undecoded, until it is within budget again
   * (its small frames pass); past `maxFrameBytes` of them waiting, they are dropped unparsed
   * (`rate-limited`). 0: no budget. @default 2097152
   */
  maxAdvertBytesPerSecond?: number;
  /** Largest advert accepted, and the cap on this router's own advert. @default 50000 */
  maxNodesPerAdvert?: number;
  /** REGISTERs waiting for their virtual node at once (standing registration claims: four times it). @default 1024 */
  maxWaitingRegistrations?: number;
  /** Stored adverts. @default 10000 */
  maxRouters?: number;
  /**
   * An advert whose origin has been unreachable this long is deleted. With `identity`, also the
   * age limit of a signed advert's signed `time` (older: refused as `stale`, and deleted); the own
   * advert is then re-signed every quarter of it (PROTOCOL.md section 7, "Fresh adverts"). @default 600000
   */
  staleAdvertMs?: number;
  /** Frame codec. @default the JSON codec v1 */
  codec?: CtpCodec;
  /** Return `false` to drop an inbound frame (reason `unauthorized`). @default none */
  authorize?: (peer: P, msg: CtpMessage) => boolean;
  /** Where `now` and timers come from: tests and simulators inject virtual time here. @default the system clock */
  clock?: CtpClock;
  /** An origin's adverts are applied at most once per this interval (OSPF MinLSArrival); the own advert goes out at most as often, a medium's pseudo-node too (× N / 250 past 250 members). 0: off. @default 500 */
  minAdvertIntervalMs?: number;
  /**
   * Node names stored across all origins' adverts (pending ones included); adverts that would pass
   * it are dropped (`table-full`), and so is, past half of it, an advert holding more than its
   * origin's share, max(1024, maxTableNodes / 32) (issue 25). @default 1000000
   */
  maxTableNodes?: number;
  /** Monitors per local node; further monitor REGISTERs are answered REJECTED, reason `too-many-monitors`. @default 256 */
  maxMonitorsPerNode?: number;
  /** Cap on a controller's idle timeout at this host; a controller registering without one gets the cap. @default none */
  maxControlIdleMs?: number;
  /** Sign this router's adverts and verify every advert's signature (issue 9): PEM strings or KeyObjects. @default none */
  identity?: CtpIdentity;
  /** Which routers may control or monitor which local nodes (docs/hosting.md, "Policy"); a refused request is answered `REJECTED`, reason `policy`. @default none: everyone */
  policy?: CtpPolicy;
}

/** Options with every default filled in. */
export interface CtpResolvedOptions<P> {
  id: string;
  nodes: readonly string[];
  responseTimeoutMs: number;
  registrationWaitMs: number;
  leaseGraceMs: number;
  maxHops: number;
  maxFrameBytes: number;
  maxAdvertBytesPerSecond: number;
  maxNodesPerAdvert: number;
  maxWaitingRegistrations: number;
  maxRouters: number;
  staleAdvertMs: number;
  codec: CtpCodec;
  authorize: ((peer: P, msg: CtpMessage) => boolean) | undefined;
  clock: CtpClock;
  /** The checked identity (`options.identity`), when adverts are signed. */
  identity: CtpResolvedIdentity | undefined;
  /** The checked `options.policy`. */
  policy: CtpResolvedPolicy | undefined;
  minAdvertIntervalMs: number;
  maxTableNodes: number;
  maxMonitorsPerNode: number;
  maxControlIdleMs: number | undefined;
}

/** The default of every numeric router option (see `CtpRouterOptions`). */
export const DEFAULTS = {
  responseTimeoutMs: 120_000,
  registrationWaitMs: 10_000,
  leaseGraceMs: 5_000,
  maxHops: 16,
  maxFrameBytes: 8 * 1024 * 1024,
  maxAdvertBytesPerSecond: 2 * 1024 * 1024,
  maxNodesPerAdvert: 50_000,
  maxWaitingRegistrations: 1024,
  maxRouters: 10_000,
  staleAdvertMs: 600_000,
  minAdvertIntervalMs: 500,
  maxTableNodes: 1_000_000,
  maxMonitorsPerNode: 256,
} as const;

function positiveInt(
  options: Record<string, unknown>,
  key: keyof typeof DEFAULTS,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = options[key];
  if (v === undefined) return DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw argumentError(`options.${key}`, `an integer from ${min} to ${max}`, v);
  return v;
}

/** An idle timeout: `undefined`, or an integer from 1 to MAX_TIMER_MS milliseconds. */
export function idleMs(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_TIMER_MS)
    throw argumentError(name, `an integer from 1 to ${MAX_TIMER_MS}`, v);
  return v;
}

/** Every key of `CtpRouterOptions`: any other throws (with a "did you mean"). */
const ROUTER_KEYS = keysOf<CtpRouterOptions>({
  id: true,
  nodes: true,
  virtualNodes: true,
  responseTimeoutMs: true,
  registrationWaitMs: true,
  leaseGraceMs: true,
  maxHops: true,
  maxFrameBytes: true,
  maxAdvertBytesPerSecond: true,
  maxNodesPerAdvert: true,
  maxWaitingRegistrations: true,
  maxRouters: true,
  staleAdvertMs: true,
  codec: true,
  authorize: true,
  clock: true,
  minAdvertIntervalMs: true,
  maxTableNodes: true,
  maxMonitorsPerNode: true,
  maxControlIdleMs: true,
  identity: true,
  policy: true,
});
/** Every key of `CtpIdentity`. */
const IDENTITY_KEYS = keysOf<CtpIdentity>({ key: true, cert: true, ca: true });

/** Check every option and fill in the defaults; throws `CtpArgumentError`. */
export function resolveOptions<P>(options: CtpRouterOptions<P> | undefined): CtpResolvedOptions<P> {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw argumentError('options', 'an object', options);
  const o = options as Record<string, unknown>;
  checkOptionKeys(o, ROUTER_KEYS, 'CtpRouter');
  if (typeof options.identity === 'object' && options.identity !== null)
    checkOptionKeys(options.identity, IDENTITY_KEYS, 'CtpRouter', 'identity.');
  // Certificate dates are checked on the router's clock (a bad clock is refused below).
  const identity =
    options.identity === undefined
      ? undefined
      : resolveIdentity(
          options.identity,
          (isClock(options.clock) ? options.clock : systemClock).now(),
        );
  const id = options.id ?? identity?.cn ?? randomUUID();
  if (!isValidRouterId(id))
    throw argumentError('options.id', '1–128 characters of [A-Za-z0-9._:-]', id);
  if (identity !== undefined && identity.cn !== id)
    throw argumentError('options.id', `the subject CN of \`identity.cert\` (${identity.cn})`, id);
  const nodes = options.nodes ?? [];
  if (!Array.isArray(nodes)) throw argumentError('options.nodes', 'an array of node names', nodes);
  const codec = options.codec ?? jsonCodec;
  if (
    typeof codec !== 'object' ||
    codec === null ||
    typeof codec.encode !== 'function' ||
    typeof codec.decode !== 'function'
  )
    throw argumentError('options.codec', 'an object with `encode` and `decode` functions', codec);
  if (options.authorize !== undefined && typeof options.authorize !== 'function')
    throw argumentError('options.authorize', 'a function', options.authorize);
  const clock = options.clock ?? systemClock;
  if (!isClock(clock))
    throw argumentError(
      'options.clock',
      'an object with `now`, `setTimeout` and `clearTimeout` functions',
      clock,
    );
  return {
    id,
    nodes,
    responseTimeoutMs: positiveInt(o, 'responseTimeoutMs', 1, MAX_TIMER_MS),
    registrationWaitMs: positiveInt(o, 'registrationWaitMs', 0, MAX_TIMER_MS),
    leaseGraceMs: positiveInt(o, 'leaseGraceMs', 0, MAX_TIMER_MS),
    maxHops: positiveInt(o, 'maxHops', 1, 1_000_000),
    maxFrameBytes: positiveInt(o, 'maxFrameBytes', 1024),
    maxAdvertBytesPerSecond: positiveInt(o, 'maxAdvertBytesPerSecond', 0),
    maxNodesPerAdvert: positiveInt(o, 'maxNodesPerAdvert', 1),
    maxWaitingRegistrations: positiveInt(o, 'maxWaitingRegistrations', 0),
    maxRouters: positiveInt(o, 'maxRouters', 1),
    staleAdvertMs: positiveInt(o, 'staleAdvertMs', 1, MAX_TIMER_MS),
    codec,
    authorize: options.authorize,
    clock,
    identity,
    policy: options.policy === undefined ? undefined : CtpResolvedPolicy.from(options.policy),
    minAdvertIntervalMs: positiveInt(o, 'minAdvertIntervalMs', 0, MAX_TIMER_MS),
    maxTableNodes: positiveInt(o, 'maxTableNodes', 1),
    maxMonitorsPerNode: positiveInt(o, 'maxMonitorsPerNode', 0),
    maxControlIdleMs: idleMs(o.maxControlIdleMs, 'options.maxControlIdleMs'),
  };
}

/** Per-request options: `{ signal, timeoutMs, queue }`. */
export interface CtpRequestOptions {
  /** Abort the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides `responseTimeoutMs` for this request. */
  timeoutMs?: number;
  /** Wait for the node's in-flight request to end instead of answering `IN_PROGRESS`. @default false */
  queue?: boolean;
  /**
   * `register(node, 'controller', …)` only (ignored elsewhere): ask the host
   * to release control when this router sent no control request for this
   * long (a lock timeout, SiLA 2 style; `lost` with reason `idle`). @default none
   */
  idleTimeoutMs?: number;
}

export function resolveRequestOptions(
  opts: CtpRequestOptions | undefined,
  defaultTimeout: number,
): CtpRunOptions {
  if (opts === undefined) return defaultRunOptions(defaultTimeout);
  if (typeof opts !== 'object' || opts === null) throw argumentError('opts', 'an object', opts);
  const { signal, timeoutMs, queue } = opts;
  const idleTimeoutMs = idleMs(opts.idleTimeoutMs, 'opts.idleTimeoutMs');
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw argumentError('opts.signal', 'an AbortSignal', signal);
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS)
  )
    throw argumentError('opts.timeoutMs', 'a positive number of milliseconds', timeoutMs);
  if (queue !== undefined && typeof queue !== 'boolean')
    throw argumentError('opts.queue', 'a boolean', queue);
  return { signal, timeoutMs: timeoutMs ?? defaultTimeout, queue: queue ?? false, idleTimeoutMs };
}

// The options of a request made without any, frozen and shared (one object per request less on the hot path).
let lastDefaults: Readonly<CtpRunOptions> | undefined;
function defaultRunOptions(timeoutMs: number): Readonly<CtpRunOptions> {
  if (lastDefaults?.timeoutMs !== timeoutMs)
    lastDefaults = Object.freeze({
      signal: undefined,
      timeoutMs,
      queue: false,
      idleTimeoutMs: undefined,
    });
  return lastDefaults;
}
