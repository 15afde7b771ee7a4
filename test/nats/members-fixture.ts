/** Members of a bus without a server (src/nats/members.ts): fixtures for members.test.ts and roster-changes.test.ts. */
import type { Msg } from '@nats-io/transport-node';
import { NatsMembers } from '../../src/nats/members.js';
import { resolveNatsOptions } from '../../src/nats/options.js';
import type { NatsPeer } from '../../src/nats/peer.js';
import { BusSubjects } from '../../src/nats/subjects.js';

const enc = new TextEncoder();
export const msg = (subject: string, data: unknown): Msg =>
  ({ subject, data: enc.encode(typeof data === 'string' ? data : JSON.stringify(data)) }) as Msg;

export function make(
  id: string,
  maxMembers?: number,
  readQueued: () => Promise<void> | undefined = () => undefined,
  /** Connected to a server (a read still unanswered after `deadAfterMs` then waits on). */
  online: () => boolean = () => false,
) {
  const opts = resolveNatsOptions({
    servers: 'nats://x:1',
    prefix: 't',
    ...(maxMembers === undefined ? {} : { maxMembers }),
  });
  const events: string[] = [];
  const asked: string[] = [];
  const counters = { heartbeatsIn: 0, rostersIn: 0, ignored: 0, membersRefused: 0 };
  const subjects = new BusSubjects('t', id);
  const askedFull: string[] = [];
  const sentFull: string[] = [];
  const m = new NatsMembers(opts, `inst-${id}`, counters, {
    subjects: () => subjects,
    leaving: () => false,
    peerUp: () => {},
    ask: (p: NatsPeer) => void asked.push(p.routerId),
    readQueued,
    online,
    connected: (p: NatsPeer) => void events.push(`up ${p.routerId}`),
    disconnected: (p: NatsPeer, why: string) => void events.push(`down ${p.routerId} ${why}`),
    reportError: () => {},
    askRoster: (agg: string) => void askedFull.push(agg),
    sendRoster: (p: NatsPeer) => void sentFull.push(p.routerId),
  });
  m.watch(opts.deadAfterMs / 10);
  return { m, events, asked, counters, askedFull, sentFull };
}

export const hello = (id: string, i = `inst-${id}`): Msg =>
  msg(`t.p.${id}`, { v: 1, i, hello: true });
export const beat = (id: string, i = `inst-${id}`): Msg => msg(`t.h.${id}`, { v: 1, i });
export const roster = (from: string, r: [string, string, number][], i = `inst-${from}`): Msg =>
  msg(`t.r.${from}`, { v: 1, i, r });
