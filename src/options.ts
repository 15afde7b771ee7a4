/**
 * Router options (SPEC.md section 2), their defaults and validation.
 */
import { randomUUID } from 'node:crypto';
import { isClock, MAX_TIMER_MS, systemClock, type CtpClock } from './clock.js';
import { jsonCodec } from './codec.js';
import { argumentError } from './errors.js';
import type { CtpCodec, CtpMessage } from './messages.js';
import { isValidRouterId } from './names.js';
import type { CtpRunOptions } from './requests.js';

/** Options of `new CtpRouter(onReceived, send, onNodesUpdated, options)`. */
export interface CtpRouterOptions<P = unknown> {
  /** Router id: 1–128 chars of `[A-Za-z0-9._:-]`. @default crypto.randomUUID() */
  id?: string;
  /** Initial local nodes. @default [] */
  nodes?: readonly string[];
  /** Include virtual nodes (`controller[…]@…`, `monitor[…]@…`) in `onNodesUpdated` and the `nodes` event; false: devices only. @default true */
  virtualNodes?: boolean;
  /** How long a request waits for its RESPONSE (seed `CTP_TIMEOUT`). @default 120000 */
  responseTimeoutMs?: number;
  /** How long a host waits for a registering virtual node to become routable (seed `WAIT_CONTROLLER_TIMEOUT`). @default 10000 */
  registrationWaitMs?: number;
  /** How long a registration survives its other side being unreachable. @default 5000 */
  leaseGraceMs?: number;
  /** A routed frame is dropped after this many forwards. @default 16 */
  maxHops?: number;
  /** Larger inbound frames are dropped unparsed; outbound tables are split to stay under it. @default 8388608 */
  maxFrameBytes?: number;
  /** Largest advert accepted, and the cap on this router's own advert. @default 50000 */
  maxNodesPerAdvert?: number;
  /** REGISTERs waiting for their virtual node at once. @default 1024 */
  maxWaitingRegistrations?: number;
  /** Stored adverts. @default 10000 */
  maxRouters?: number;
  /** An advert whose origin has been unreachable this long is deleted. @default 600000 */
  staleAdvertMs?: number;
  /** Frame codec. @default the JSON codec v1 */
  codec?: CtpCodec;
  /** Return `false` to drop an inbound frame (reason `unauthorized`). @default none */
  authorize?: (peer: P, msg: CtpMessage) => boolean;
  /** Where `now` and timers come from: tests and simulators inject virtual time here. @default the system clock */
  clock?: CtpClock;
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
  maxNodesPerAdvert: number;
  maxWaitingRegistrations: number;
  maxRouters: number;
  staleAdvertMs: number;
  codec: CtpCodec;
  authorize: ((peer: P, msg: CtpMessage) => boolean) | undefined;
  clock: CtpClock;
}

export const DEFAULTS = {
  responseTimeoutMs: 120_000,
  registrationWaitMs: 10_000,
  leaseGraceMs: 5_000,
  maxHops: 16,
  maxFrameBytes: 8 * 1024 * 1024,
  maxNodesPerAdvert: 50_000,
  maxWaitingRegistrations: 1024,
  maxRouters: 10_000,
  staleAdvertMs: 600_000,
} as const;

function positiveInt(options: Record<string, unknown>, key: keyof typeof DEFAULTS, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = options[key];
  if (v === undefined) return DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw argumentError(`options.${key}`, `an integer from ${min} to ${max}`, v);
  return v;
}

/** Check every option and fill in the defaults; throws `CtpArgumentError`. */
export function resolveOptions<P>(options: CtpRouterOptions<P> | undefined): CtpResolvedOptions<P> {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw argumentError('options', 'an object', options);
  const o = options as Record<string, unknown>;
  const id = options.id ?? randomUUID();
  if (!isValidRouterId(id)) throw argumentError('options.id', '1–128 characters of [A-Za-z0-9._:-]', id);
  const nodes = options.nodes ?? [];
  if (!Array.isArray(nodes)) throw argumentError('options.nodes', 'an array of node names', nodes);
  const codec = options.codec ?? jsonCodec;
  if (typeof codec !== 'object' || codec === null || typeof codec.encode !== 'function' || typeof codec.decode !== 'function')
    throw argumentError('options.codec', 'an object with `encode` and `decode` functions', codec);
  if (options.authorize !== undefined && typeof options.authorize !== 'function')
    throw argumentError('options.authorize', 'a function', options.authorize);
  const clock = options.clock ?? systemClock;
  if (!isClock(clock)) throw argumentError('options.clock', 'an object with `now`, `setTimeout` and `clearTimeout` functions', clock);
  return {
    id,
    nodes,
    responseTimeoutMs: positiveInt(o, 'responseTimeoutMs', 1, MAX_TIMER_MS),
    registrationWaitMs: positiveInt(o, 'registrationWaitMs', 0, MAX_TIMER_MS),
    leaseGraceMs: positiveInt(o, 'leaseGraceMs', 0, MAX_TIMER_MS),
    maxHops: positiveInt(o, 'maxHops', 1, 1_000_000),
    maxFrameBytes: positiveInt(o, 'maxFrameBytes', 1024),
    maxNodesPerAdvert: positiveInt(o, 'maxNodesPerAdvert', 1),
    maxWaitingRegistrations: positiveInt(o, 'maxWaitingRegistrations', 0),
    maxRouters: positiveInt(o, 'maxRouters', 1),
    staleAdvertMs: positiveInt(o, 'staleAdvertMs', 1, MAX_TIMER_MS),
    codec,
    authorize: options.authorize,
    clock,
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
}

export function resolveRequestOptions(opts: CtpRequestOptions | undefined, defaultTimeout: number): CtpRunOptions {
  if (opts === undefined) return { signal: undefined, timeoutMs: defaultTimeout, queue: false };
  if (typeof opts !== 'object' || opts === null) throw argumentError('opts', 'an object', opts);
  const { signal, timeoutMs, queue } = opts;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw argumentError('opts.signal', 'an AbortSignal', signal);
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS))
    throw argumentError('opts.timeoutMs', 'a positive number of milliseconds', timeoutMs);
  if (queue !== undefined && typeof queue !== 'boolean') throw argumentError('opts.queue', 'a boolean', queue);
  return { signal, timeoutMs: timeoutMs ?? defaultTimeout, queue: queue ?? false };
}
