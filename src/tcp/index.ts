/// <reference types="node" preserve="true" />
/**
 * ctp-router/tcp: the reference TCP transport. Public exports only.
 *
 * @packageDocumentation
 * @module ctp-router/tcp
 */
export { TcpTransport } from './transport.js';
export type { TcpHost, TcpAttachOptions, TcpTransportEvents, TcpStats } from './transport.js';
export type { TcpPeer, TcpCloseReason } from './connection.js';
export { TCP_DEFAULTS, backoffDelay } from './options.js';
export type { TcpTransportOptions, TcpListenOptions, TcpReconnectOptions } from './options.js';
export { parseAddress, parseTarget, formatAddress } from './address.js';
export type { TcpAddress, TcpTarget } from './address.js';
export { LineSplitter } from './line-splitter.js';
export { certificateId } from './tls.js';
export type { TcpTlsOptions, TcpRefusedReason } from './tls.js';
export type { TcpDialErrorCode } from './dial-errors.js';
export { MUTUAL_DIAL_WINDOW_MS } from './links.js';
export type { LineHandler, OversizedHandler } from './line-splitter.js';
