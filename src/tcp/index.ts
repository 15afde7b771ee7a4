/**
 * ctp-router/tcp: the reference TCP transport. Public exports only.
 */
export { TcpTransport } from './transport.js';
export type { TcpHost, TcpAttachOptions, TcpTransportEvents, TcpStats } from './transport.js';
export type { TcpPeer, TcpCloseReason } from './connection.js';
export { TCP_DEFAULTS, backoffDelay } from './options.js';
export type { TcpTransportOptions, TcpListenOptions, TcpReconnectOptions } from './options.js';
export { parseAddress, formatAddress } from './address.js';
export type { TcpAddress } from './address.js';
export { LineSplitter } from './line-splitter.js';
