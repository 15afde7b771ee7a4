/**
 * ctp-router/nats: routers that meet on a NATS bus (docs/nats.md). Needs the optional peer dependency `@nats-io/transport-node` 3.x;
 * only this subpath loads it, and without it importing this subpath throws
 * an `Error` with the install hint (src/nats/client.ts).
 *
 * @packageDocumentation
 * @module ctp-router/nats
 */
export { NatsTransport } from './transport.js';
export type { NatsHost, NatsInternals, NatsStats, NatsTransportEvents } from './transport.js';
export { NatsPeer } from './peer.js';
export type { NatsDownReason } from './peer.js';
export { NATS_DEFAULTS } from './options.js';
export type { NatsTransportOptions } from './options.js';
export { BusSubjects, decodeId, encodeId, isValidPrefix } from './subjects.js';
