/// <reference types="node" preserve="true" />
/**
 * ctp-router: public exports only.
 */
export { CtpRouter } from './router.js';
export type {
  CtpReceivedCallback,
  CtpSendCallback,
  CtpSendInfo,
  CtpNodesUpdatedCallback,
  CtpStats,
  CtpSnapshot,
  CtpNodeSnapshot,
  CtpRouterSnapshot,
} from './router.js';
export type { CtpRouterOptions, CtpRequestOptions, CtpIdentity } from './options.js';
export { canonicalAdvert } from './signing.js';
export { CtpReply } from './handlers.js';
export type { CtpHandler, CtpHandlerRequest, CtpHandlerCommand, CtpHandlerStartStop } from './handlers.js';
export type { CtpRegisterOptions } from './persistent.js';
export { PERSISTENT_BASE_MS, PERSISTENT_MAX_MS } from './persistent.js';
export type { CtpWaitForNodeOptions } from './wait-node.js';
export { CtpEventStream, DEFAULT_EVENT_BUFFER } from './event-stream.js';
export type { CtpEventsOptions } from './event-stream.js';
export type { CtpDrainOptions } from './drain.js';
export { DEFAULT_DRAIN_MS } from './drain.js';
export type { CtpNodesOptions } from './node-list.js';
export { systemClock } from './clock.js';
export type { CtpClock, CtpTimerHandle } from './clock.js';
export { DEFAULTS } from './options.js';
export { ReturnCode, CtpCommand, PROTOCOL_VERSION, isReturnCode } from './messages.js';
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
} from './messages.js';
export { jsonCodec, encode, decode, MAX_CONTENT_DEPTH } from './codec.js';
export {
  CtpErrorCode,
  CtpError,
  CtpInternalError,
  CtpArgumentError,
  CtpClosedError,
  CtpDecodeError,
  CtpCallbackError,
  CtpTimeoutError,
} from './errors.js';
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
} from './names.js';
export type { CtpRegistrationType, CtpVirtualName } from './names.js';
export { joinSends } from './medium.js';
export type { CtpPeerInfo } from './media.js';
