/**
 * The members of the bus: every other router on the same `prefix`, known
 * from its presence messages (heartbeats, hellos, goodbyes: their format and
 * parsing are here) and from its frames. A member is up from the first thing
 * heard of it, and down when it says goodbye (`left`), is silent for
 * `deadAfterMs` (`silent`), comes back as another process (`restarted`) or
 * this transport closes (`closing`).
 */
import type { Msg } from '@nats-io/transport-node';
import createDebug from 'debug';
import type { NatsResolvedOptions } from './options.js';
import { NatsPeer, type NatsDownReason } from './peer.js';
import { BusSubjects } from './subjects.js';

const debug = createDebug('ctp:nats');

// Presence: `{"v":1,"i":instance}`, with `"hello":true` on (re)connect and
// `"bye":true` on close. A hello asks for no answer: members that do not know
// the sender make it a peer (their peerUp sends it their table); members that
// know it send it their table again. A goodbye takes the sender down at once.
interface Presence {
  i: string;
  hello: boolean;
  bye: boolean;
}

function parsePresence(data: Uint8Array): Presence | undefined {
  if (data.length > 512) return undefined;
  try {
    const o = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
    if (
      o === null ||
      typeof o !== 'object' ||
      o.v !== 1 ||
      typeof o.i !== 'string' ||
      o.i.length === 0 ||
      o.i.length > 64
    )
      return undefined;
    return { i: o.i, hello: o.hello === true, bye: o.bye === true };
  } catch {
    return undefined;
  }
}

/** What the members need from the transport. @internal */
export interface NatsMembersHost {
  /** The bus's subjects (set by `attach`). */
  subjects(): BusSubjects | undefined;
  /** The transport is closing: nobody becomes a member any more. */
  leaving(): boolean;
  /** Hand `p` to the router (`peerUp`: it sends `p` its table), reporting a throw. */
  peerUp(p: NatsPeer): void;
  /** `p` was brought up: emit `connect`. */
  connected(p: NatsPeer): void;
  /** Take `p` from the router (`peerDown`) and emit `disconnect`. */
  disconnected(p: NatsPeer, reason: NatsDownReason): void;
  reportError(err: unknown): void;
}

/** The transport's counters the members keep (part of `NatsStats`). */
export interface NatsMembersCounters {
  heartbeatsIn: number;
  ignored: number;
}

/** The members of the bus by router id. @internal */
export class NatsMembers {
  /** Members by router id. */
  private readonly members = new Map<string, NatsPeer>();
  private checkTimer: NodeJS.Timeout | undefined;
  private lastCheck = 0;

  constructor(
    private readonly opts: NatsResolvedOptions,
    /** This transport's instance id (its presence messages carry it). */
    private readonly instance: string,
    private readonly counters: NatsMembersCounters,
    private readonly host: NatsMembersHost,
  ) {}

  /** The member with router id `id`, up or not yet taken down. */
  get(id: string): NatsPeer | undefined {
    return this.members.get(id);
  }

  /** The members that are up. */
  up(): NatsPeer[] {
    return [...this.members.values()].filter((p) => p.up);
  }

  /** Check for silent members every `every` ms from now on. */
  watch(every: number): void {
    this.lastCheck = Date.now();
    this.checkTimer = setInterval(() => this.checkSilent(every), every).unref();
  }

  /** The transport closes: stop the checks, take every member down (`closing`). */
  close(): void {
    if (this.checkTimer !== undefined) clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    for (const p of [...this.members.values()]) this.takeDown(p, 'closing');
  }

  /** Heard `id`: its member, made (and brought up) when new. */
  heard(id: string, instance: string | undefined, hello = false): NatsPeer | undefined {
    const s = this.host.subjects() as BusSubjects;
    if (this.host.leaving()) return undefined;
    let p = this.members.get(id);
    if (
      p !== undefined &&
      instance !== undefined &&
      p.instance !== undefined &&
      p.instance !== instance
    ) {
      this.takeDown(p, 'restarted');
      p = undefined;
    }
    const now = Date.now();
    if (p !== undefined) {
      p.lastSeen = now;
      if (instance !== undefined) p.instance = instance;
      // A member back from a reconnect: what was published meanwhile never reached it.
      const known = p;
      if (hello) this.host.peerUp(known);
      return known;
    }
    p = new NatsPeer(id, s.unicastTo(id), now);
    p.instance = instance;
    this.members.set(id, p);
    p.up = true;
    debug('%s: member %s up', s.id, id);
    this.host.peerUp(p);
    if (p.up) this.host.connected(p);
    return p;
  }

  private takeDown(p: NatsPeer, reason: NatsDownReason): void {
    if (!p.up) return;
    p.up = false;
    if (this.members.get(p.routerId) === p) this.members.delete(p.routerId);
    debug('%s: member %s down (%s)', this.host.subjects()?.id, p.routerId, reason);
    this.host.disconnected(p, reason);
  }

  /** Members silent for `deadAfterMs` are down. After a stall of this process (SIGSTOP), first read what is queued. */
  private checkSilent(every: number): void {
    const now = Date.now();
    const stalled = now - this.lastCheck > every + this.opts.deadAfterMs / 2;
    this.lastCheck = now;
    if (stalled) return;
    for (const p of [...this.members.values()])
      if (now - p.lastSeen >= this.opts.deadAfterMs) this.takeDown(p, 'silent');
  }

  /** A presence message (a heartbeat, a hello or a goodbye). */
  presence(m: Msg): void {
    const from = BusSubjects.sender(m.subject);
    const presence = parsePresence(m.data);
    if (from === undefined || presence === undefined) {
      this.counters.ignored++;
      return;
    }
    this.counters.heartbeatsIn++;
    if (from === this.host.subjects()?.id) {
      // noEcho: this is another process with the same router id.
      if (presence.i !== this.instance)
        this.host.reportError(
          new Error(`another router uses the id ${from} on the bus ${this.opts.prefix}`),
        );
      return;
    }
    if (presence.bye) {
      const p = this.members.get(from);
      if (p !== undefined && (p.instance === undefined || p.instance === presence.i))
        this.takeDown(p, 'left');
      return;
    }
    this.heard(from, presence.i, presence.hello);
  }
}
