/// <reference types="node" preserve="true" />
/**
 * ctp-router: the router (`CtpRouter`, `connectRouter`), its results, errors and events.
 * Public exports only.
 *
 * @packageDocumentation
 * @module ctp-router
 */
export { CtpRouter } from './router.js';
export { connectRouter } from './connect.js';
export type { CtpConnectOptions, CtpConnectedRouter } from './connect.js';
export type {
  CtpReceivedCallback,
  CtpSendCallback,
  CtpSendInfo,
  CtpNodesUpdatedCallback,
} from './base/callbacks.js';
export type { CtpStats, CtpSnapshot, CtpNodeSnapshot, CtpRouterSnapshot } from './snapshot.js';
export { CTP_METRIC_FAMILIES } from './metrics/metrics.js';
export type {
  CtpMetrics,
  CtpLinkMetrics,
  CtpMetricSample,
  CtpDurationSample,
  CtpMetricFamily,
} from './metrics/metrics.js';
export { REQUEST_DURATION_BUCKETS } from './metrics/meter.js';
export { registerCtpMetrics } from './metrics/prometheus.js';
export type { CtpMetricsReader, CtpPromClient } from './metrics/prometheus.js';
export type { CtpRequestType } from './metrics/meter.js';
export type { CtpRouterOptions, CtpRequestOptions, CtpIdentity } from './options.js';
export type { CtpPolicy, CtpPolicyRule, CtpPolicyRole } from './auth/policy.js';
export { canonicalAdvert } from './link-state/canonical.js';
export { CtpReply } from './host/handlers.js';
export type {
  CtpHandler,
  CtpHandlerRequest,
  CtpHandlerCommand,
  CtpHandlerStartStop,
} from './host/handlers.js';
export type { CtpRegisterOptions } from './caller/persistent.js';
export { PERSISTENT_BASE_MS, PERSISTENT_MAX_MS } from './caller/persistent.js';
export type { CtpWaitForNodeOptions } from './caller/wait-node.js';
export { CtpEventStream, DEFAULT_EVENT_BUFFER } from './caller/event-stream.js';
export type { CtpEventsOptions } from './caller/event-stream.js';
export type { CtpDrainOptions } from './drain.js';
export { DEFAULT_DRAIN_MS } from './drain.js';
export type { CtpNodesOptions } from './link-state/node-list.js';
export { systemClock } from './base/clock.js';
export type { CtpClock, CtpTimerHandle } from './base/clock.js';
export { DEFAULTS } from './options.js';
export { ReturnCode, CtpCommand, PROTOCOL_VERSION, isReturnCode } from './base/messages.js';
export type {
  CtpResult,
  CtpAdvert,
  CtpMessage,
  CtpCodec,
  CtpReportNode,
  CtpUpdateNode,
  CtpRegister,
  CtpUnregister,
  CtpStart,
  CtpStop,
  CtpCommandMessage,
  CtpPost,
  CtpResponse,
  CtpEvent,
  CtpControlMessage,
  CtpRequestMessage,
  CtpReceivedName,
} from './base/messages.js';
export { jsonCodec, encode, decode } from './wire/codec.js';
export { MAX_CONTENT_DEPTH } from './wire/validate.js';
export {
  CtpErrorCode,
  CtpError,
  CtpInternalError,
  CtpArgumentError,
  CtpClosedError,
  CtpDecodeError,
  CtpCallbackError,
  CtpTimeoutError,
} from './base/errors.js';
export { DropReason } from './events.js';
export type {
  CtpRouterEvents,
  CtpDropped,
  CtpConflict,
  CtpRegisteredEvent,
  CtpUnregisteredEvent,
  CtpReleasedEvent,
  CtpLostEvent,
  CtpTimeoutEvent,
} from './events.js';
export {
  isValidRouterId,
  isValidPlainNodeName,
  isValidAdvertName,
  isReservedName,
  parseVirtualName,
  virtualName,
  MAX_NODE_NAME_LENGTH,
  MAX_ROUTER_ID_LENGTH,
} from './base/names.js';
export type { CtpRegistrationType, CtpVirtualName } from './base/names.js';
export { joinSends } from './link-state/medium.js';
export type { CtpPeerInfo } from './link-state/media.js';
