/**
 * The simulated network: routers on the edges of a topology, FIFO per link
 * direction, random delays drawn from the run's generator, delivery through
 * the virtual clock. Links go up and down with cuts, partitions and crashes;
 * a link that goes down loses the frames in flight on it (as a TCP reset does).
 */
import type { VirtualClock } from './clock.js';
import type { Rng } from './rng.js';

/** The peer handle a router sees: one end of one link incarnation. */
export interface SimPeer {
  /** The router that holds this handle. */
  readonly at: string;
  /** The router at the other end. */
  readonly remote: string;
  /** The topology edge. */
  readonly edge: number;
}

/** One edge of the topology. */
export interface SimEdge {
  readonly id: number;
  readonly a: string;
  readonly b: string;
  /** Cut by a fault (until healed). */
  cut: boolean;
  /** Link up right now (both ends told `peerUp`). */
  up: boolean;
  /** Incarnation: frames of an older one are lost. */
  serial: number;
  atA: SimPeer;
  atB: SimPeer;
  /** Last scheduled delivery time per direction (a→b, b→a), for FIFO. */
  lastAt: [number, number];
  /** A pair of members of this broadcast medium (a bus) rather than a point-to-point link. */
  medium?: string;
  /** On a medium's pair: the frames in flight per direction (a→b, b→a), oldest first (`flush`). */
  inFlight?: [SimFlight[], SimFlight[]];
}

/** A frame on its way over a medium's pair. */
interface SimFlight {
  readonly frame: string | Uint8Array;
  readonly sentAt: number;
  /** Delivered (or flushed) already. */
  done: boolean;
}

/** Where frames go; the simulation supplies the receiving side. */
export interface SimDelivery {
  /** Deliver `frame` to router `to` through its handle `peer`; it was put on the link at `sentAt`. */
  deliver(to: string, peer: SimPeer, frame: string | Uint8Array, sentAt: number): void;
}

export class SimNetwork {
  readonly edges: SimEdge[] = [];
  /** Frames put on a link so far (a broadcast counts once per link). */
  framesSent = 0;
  framesDelivered = 0;
  framesLost = 0;
  /** Recent frames, for the garbage generator (truncated copies are never valid). */
  readonly recent: string[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly sink: SimDelivery,
  ) {}

  addEdge(a: string, b: string, medium?: string): SimEdge {
    const id = this.edges.length;
    const e: SimEdge = {
      id,
      a,
      b,
      cut: false,
      up: false,
      serial: 0,
      atA: { at: a, remote: b, edge: id },
      atB: { at: b, remote: a, edge: id },
      lastAt: [0, 0],
      ...(medium === undefined ? {} : { medium, inFlight: [[], []] }),
    };
    this.edges.push(e);
    return e;
  }

  edgeOf(peer: SimPeer): SimEdge | undefined {
    return this.edges[peer.edge];
  }

  /** The handle `id` holds on edge `e`. */
  handle(e: SimEdge, id: string): SimPeer {
    return e.a === id ? e.atA : e.atB;
  }

  /** New handles for a new incarnation (or keep the old objects, as some transports do). */
  renew(e: SimEdge, keepHandles: boolean): void {
    e.serial++;
    if (!keepHandles) {
      e.atA = { at: e.a, remote: e.b, edge: e.id };
      e.atB = { at: e.b, remote: e.a, edge: e.id };
    }
  }

  /**
   * Router `from` sends `frame` to `peer`, or to every live link when `peer`
   * is null — except the medium's pairs when the broadcast floods what came
   * from the medium (`except` is a handle on it): as a bus transport does,
   * it is not published on the medium again.
   */
  send(from: string, peer: SimPeer | null, frame: string, except?: SimPeer): void {
    if (this.recent.length >= 32) this.recent.shift();
    this.recent.push(frame);
    if (peer === null) {
      const skip = except === undefined ? undefined : this.edgeOf(except)?.medium;
      for (const e of this.edges)
        if (e.up && (e.a === from || e.b === from) && (skip === undefined || e.medium !== skip))
          this.enqueue(e, from, frame);
      return;
    }
    const e = this.edgeOf(peer);
    // A handle of a dead incarnation: the frame is lost, as on a closed socket.
    if (e === undefined || !e.up || this.handle(e, from) !== peer) {
      this.framesLost++;
      return;
    }
    this.enqueue(e, from, frame);
  }

  /** Put a frame on edge `e` from `from`, with a random delay, FIFO per direction. */
  enqueue(e: SimEdge, from: string, frame: string | Uint8Array): void {
    const dir = e.a === from ? 0 : 1;
    const r = this.rng.next();
    const delay =
      r < 0.7 ? this.rng.int(0, 5) : r < 0.95 ? this.rng.int(5, 40) : this.rng.int(40, 250);
    const at = Math.max(this.clock.now + delay, e.lastAt[dir]);
    e.lastAt[dir] = at;
    const serial = e.serial;
    const sentAt = this.clock.now;
    this.framesSent++;
    const list = e.inFlight?.[dir];
    const flight: SimFlight = { frame, sentAt, done: false };
    list?.push(flight);
    this.clock.schedule(
      () => {
        if (list !== undefined) {
          if (flight.done) return;
          flight.done = true;
          list.splice(list.indexOf(flight), 1);
        }
        if (!e.up || e.serial !== serial) {
          this.framesLost++;
          return;
        }
        const to = dir === 0 ? e.b : e.a;
        this.framesDelivered++;
        this.sink.deliver(to, this.handle(e, to), frame, sentAt);
      },
      at - this.clock.now,
      'net',
    );
  }

  /**
   * Deliver now, in order, every frame in flight from `from` over the
   * medium's pair `e` (as the pair goes down, before its ends are told
   * `peerDown`; a dead receiver ignores them). A bus publish reaches every
   * member of a hearing group or none of them: a NATS server fans out a
   * message once it has it, to the members still there, even when its
   * publisher crashed or left meanwhile. Losing the pairs of one publish one
   * by one instead (a crash, a leave or a split between two deliveries) left
   * a member without an advert its fellow members had and would not publish
   * again (seeds 305054, 306597, 309689). Returns the frames delivered.
   */
  flush(e: SimEdge, from: string): number {
    const dir = e.a === from ? 0 : 1;
    const list = e.inFlight?.[dir];
    if (list === undefined) return 0;
    const to = dir === 0 ? e.b : e.a;
    const frames = list.splice(0);
    for (const f of frames) {
      f.done = true;
      this.framesDelivered++;
      this.sink.deliver(to, this.handle(e, to), f.frame, f.sentAt);
    }
    return frames.length;
  }
}
