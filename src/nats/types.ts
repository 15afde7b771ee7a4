/**
 * The public types of `NatsTransport`: the host it drives, its events and
 * its counters.
 */
import type { NatsConnection, NodeConnectionOptions, Status } from '@nats-io/transport-node';
import type { CtpPeerInfo } from '../link-state/media.js';
import type { NatsDownReason, NatsPeer } from './peer.js';

/** What the transport drives: a `CtpRouter<NatsPeer>` fits. */
export interface NatsHost {
  readonly id?: string;
  /** A frame arrived from a member. */
  receive(peer: NatsPeer, frame: string | Uint8Array): void;
  /** `info.medium`: the bus's medium id (src/link-state/media.ts), unless the `medium` option is `false`. */
  peerUp(peer: NatsPeer, info?: CtpPeerInfo): void;
  /** A member went down (silent, left, restarted) or the transport closed. */
  peerDown(peer: NatsPeer): void;
}

/** Typed events of `NatsTransport`. */
export interface NatsTransportEvents {
  /** A member is up (the host got `peerUp`). */
  connect: (peer: NatsPeer) => void;
  /** A member is down (the host got `peerDown`). */
  disconnect: (peer: NatsPeer, reason: NatsDownReason) => void;
  /** The NATS connection's status, as the client reports it (`disconnect`, `reconnecting`, `reconnect`, `update`, ...). */
  status: (status: Status) => void;
  /** The first connection failed, a publish failed, a host method threw, or another process uses this router id. */
  error: (err: Error) => void;
}

/** `stats()`: plain counters. */
export interface NatsStats {
  /** Members up now. */
  peers: number;
  /** Frames handed to the host / published (a broadcast counts once). */
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Presence messages received (hellos, goodbyes, heartbeats to this aggregator) / published. */
  heartbeatsIn: number;
  heartbeatsOut: number;
  /** Rosters received from the aggregators / published as one (docs/nats.md "Presence"). */
  rostersIn: number;
  rostersOut: number;
  /** New members not tracked because `maxMembers` were (a presence flood). */
  membersRefused: number;
  /** Broadcasts of what came from the bus, not published on it again (`CtpSendInfo.except`). */
  notReflooded: number;
  /** Messages on a bus subject that were not understood (bad subject token, bad presence). */
  ignored: number;
  /** Completed reconnections of this transport's NATS connection. */
  reconnects: number;
}

/** Every counter of `NatsStats` at zero (a transport's counters when made). @internal */
export function zeroNatsCounters(): Omit<NatsStats, 'peers'> {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    heartbeatsIn: 0,
    heartbeatsOut: 0,
    rostersIn: 0,
    rostersOut: 0,
    notReflooded: 0,
    ignored: 0,
    membersRefused: 0,
    reconnects: 0,
  };
}

/**
 * The transport's second constructor argument: what a simulator or a test puts in place of the
 * NATS client (the presence simulator, test/sim/presence, runs real transports on a simulated
 * server with it). Leave it out in production.
 */
export interface NatsInternals {
  /** Used instead of the client's `connect`. */
  connect?: (opts?: NodeConnectionOptions) => Promise<NatsConnection>;
}
