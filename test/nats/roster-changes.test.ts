/**
 * Rosters without their entries (src/nats/roster-changes.ts): an aggregator
 * whose members all read heads alone publishes its head and what changed
 * lately; a member reconciles its own members with them, and asks for the
 * entries (to it alone) only when they do not say enough.
 */
import type { Msg } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NatsPeer, RosterFloor } from '../../src/nats/peer.js';
import { parseRosterHead } from '../../src/nats/presence.js';
import { hearingLag, MAX_HEAD_CHANGES, RosterChanges } from '../../src/nats/roster-changes.js';
import { make, msg } from './members-fixture.js';

// Presence of this version: `"q":1`, it reads heads alone.
const helloQ = (id: string, i = `inst-${id}`): Msg =>
  msg(`t.p.${id}`, { v: 1, i, q: 1, hello: true });
const beatQ = (id: string, i = `inst-${id}`, full?: string): Msg =>
  msg(`t.h.${id}`, full === undefined ? { v: 1, i, q: 1 } : { v: 1, i, q: 1, full });
const headOf = (text: string): { n: [string][]; g: [string][] } =>
  JSON.parse(text.split('\n')[0] as string) as { n: [string][]; g: [string][] };

describe('rosters without entries', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('an aggregator sends its head alone while every member it lists reads heads; a member of an earlier version gets the entries', () => {
    const agg = make('a1');
    for (const id of ['m5', 'm7']) agg.m.presence(helloQ(id));
    const r = agg.m.roster();
    expect(r).not.toContain('\n');
    expect(
      headOf(r)
        .n.map((e) => e[0])
        .sort(),
    ).toEqual(['m5', 'm7']);
    agg.m.presence(msg('t.h.m9', { v: 1, i: 'inst-m9' })); // no "q": an earlier version
    expect(agg.m.roster().split('\n')).toHaveLength(2);
    // Asked: always the entries.
    expect(agg.m.roster(true).split('\n')).toHaveLength(2);
    agg.m.close();
  });

  it('a member reads a head alone: a newcomer from its changes, a member gone from them, the rest kept; it never asks', () => {
    const agg = make('a1');
    const { m, events, askedFull, counters } = make('m5');
    for (const id of ['m5', 'm7', 'm8']) agg.m.presence(helloQ(id));
    for (const id of ['a1', 'm7', 'm8']) m.presence(helloQ(id));
    // Five intervals: every change is older than deadAfterMs, the heads carry none.
    for (let t = 1; t <= 5; t++) {
      vi.advanceTimersByTime(1000);
      for (const id of ['m5', 'm7', 'm8']) agg.m.presence(beatQ(id));
      m.rosterIn(msg('t.r.a1', agg.m.roster()));
    }
    expect(headOf(agg.m.roster())).toMatchObject({ n: [], g: [] });
    // m9 joins; m5 has not heard its hello (it crossed): the head's `n` brings it up.
    agg.m.presence(helloQ('m9'));
    let r = agg.m.roster();
    expect(headOf(r).n.map((e) => e[0])).toEqual(['m9']);
    m.rosterIn(msg('t.r.a1', r));
    expect(events).toContain('up m9');
    // m8 stops: the aggregator no longer lists it (`g`); m5 keeps the others by the heads, not m8.
    for (let t = 1; t <= 4; t++) {
      vi.advanceTimersByTime(1000);
      for (const id of ['m5', 'm7', 'm9']) agg.m.presence(beatQ(id));
      r = agg.m.roster();
      expect(r).not.toContain('\n');
      m.rosterIn(msg('t.r.a1', r));
    }
    expect(headOf(r).g.map((e) => e[0])).toEqual(['m8']);
    expect(events).toEqual(['up a1', 'up m7', 'up m8', 'up m9', 'down m8 silent']);
    expect(askedFull).toEqual([]);
    expect(counters.ignored).toBe(0);
    m.close();
    agg.m.close();
  });

  it('a hello that crossed the roster (a member the aggregator does not list yet) is no reason to ask', () => {
    const agg = make('a1');
    const { m, events, askedFull } = make('m5');
    agg.m.presence(helloQ('m5'));
    m.presence(helloQ('a1'));
    m.presence(helloQ('m6')); // heard by m5 first
    for (let t = 1; t <= 4; t++) {
      vi.advanceTimersByTime(1000);
      agg.m.presence(beatQ('m5'));
      m.rosterIn(msg('t.r.a1', agg.m.roster()));
      if (t === 1) expect(askedFull).toEqual([]);
    }
    // Young for two intervals only: a member the aggregator never lists is asked about, then silent.
    expect(askedFull.length).toBeGreaterThan(0);
    expect(events).toEqual(['up a1', 'up m6', 'down m6 silent']);
    m.close();
    agg.m.close();
  });

  it('a member the head does not explain asks once an interval, and the whole roster brings everyone up', () => {
    const agg = make('a1');
    const { m, events, askedFull } = make('m9');
    for (const id of ['m5', 'm7']) agg.m.presence(helloQ(id));
    for (let t = 1; t <= 5; t++) {
      vi.advanceTimersByTime(1000);
      for (const id of ['m5', 'm7']) agg.m.presence(beatQ(id));
      agg.m.roster();
    }
    agg.m.presence(helloQ('m9'));
    // m9 is new: it knows nobody, and m5 and m7 are older than the head's changes.
    m.rosterIn(msg('t.r.a1', agg.m.roster()));
    m.rosterIn(msg('t.r.a1', agg.m.roster()));
    expect(askedFull).toEqual(['a1']);
    expect(events).toEqual(['up a1']);
    // The aggregator answers a heartbeat asking it (and not one asking another), once a half interval.
    agg.m.presence(beatQ('m9', 'inst-m9', 'a1'));
    agg.m.presence(beatQ('m9', 'inst-m9', 'a1'));
    agg.m.presence(beatQ('m9', 'inst-m9', 'a2'));
    expect(agg.sentFull).toEqual(['m9']);
    m.fullRosterIn(msg('t.u.m9.a1', agg.m.roster(true)));
    expect(events).toEqual(['up a1', 'up m5', 'up m7']);
    vi.advanceTimersByTime(1000);
    m.rosterIn(msg('t.r.a1', agg.m.roster()));
    expect(askedFull).toEqual(['a1']);
    m.close();
    agg.m.close();
  });

  it('changes: a restart is a removal and an addition; changes age out after the window; too many send the entries', () => {
    const c = new RosterChanges();
    const e = (id: string, instance = `i-${id}`, age = 0) => ({ id, instance, age });
    expect(c.update([e('a'), e('b')], 0, 3000)).toEqual({
      n: [
        ['a', 'i-a', 0],
        ['b', 'i-b', 0],
      ],
      g: [],
    });
    expect(c.update([e('a'), e('b', 'i-b2')], 1000, 3000)).toEqual({
      n: [
        ['a', 'i-a', 0],
        ['b', 'i-b2', 0],
      ],
      g: [['b', 'i-b']],
    });
    expect(c.update([e('b', 'i-b2')], 2000, 3000)).toEqual({
      n: [['b', 'i-b2', 0]],
      g: [
        ['b', 'i-b'],
        ['a', 'i-a'],
      ],
    });
    expect(c.update([e('b', 'i-b2')], 5001, 3000)).toEqual({ n: [], g: [] });
    const many = Array.from({ length: MAX_HEAD_CHANGES + 1 }, (_, k) => e(`x${k}`));
    expect(c.update(many, 6000, 3000)).toBeUndefined();
  });
});

describe("a roster's floor (what the last head said of every member)", () => {
  const peer = (id: string, seen: number, floor: RosterFloor, hashed = true): NatsPeer => {
    const p = new NatsPeer(id, `t.u.${id}.me`, seen);
    p.floor = floor;
    if (hashed) p.hash = [1, 2];
    return p;
  };

  it('covers every member with an instance but its exceptions, and never lowers what a member was heard', () => {
    const f = new RosterFloor();
    const a = peer('a', 100, f);
    const b = peer('b', 100, f);
    const c = peer('c', 100, f, false); // frames only: no instance, never covered
    const d = peer('d', 900, f);
    const members = new Map([a, b, c, d].map((p) => [p.routerId, p]));
    f.move(500, new Set(['b']), members);
    expect([a.lastSeen, b.lastSeen, c.lastSeen, d.lastSeen]).toEqual([500, 100, 100, 900]);
    // A newer head that excepts a: a keeps what the last one gave it; b is covered again.
    f.move(700, new Set(['a']), members);
    expect([a.lastSeen, b.lastSeen]).toEqual([500, 700]);
    // Older news (another aggregator's roster read late) only covers what the floor excepts.
    f.move(600, new Set(), members);
    expect([a.lastSeen, b.lastSeen]).toEqual([600, 700]);
    // An instance learnt later is not covered by a head that did not list it.
    const e = peer('e', 200, f, false);
    members.set('e', e);
    f.exclude(e);
    e.hash = [3, 4];
    expect(e.lastSeen).toBe(200);
    expect([...f.uncovered()].sort()).toEqual(['a', 'e']);
  });
});

describe('a hostile head or request', () => {
  const head = (extra: Record<string, unknown>): Uint8Array =>
    new TextEncoder().encode(
      JSON.stringify({ i: 'inst-a1', q: 1, d: '1.0.0', a: 0, l: [], ...extra }),
    );

  it('a head whose changes are not well formed is not trusted', () => {
    expect(parseRosterHead(head({}), 10)).toMatchObject({ n: [], g: [], entries: false, q: true });
    for (const bad of [
      { n: 'x' },
      { n: [['m1', 'inst', -1]] },
      { n: [['bad id!', 'inst', 0]] },
      { g: [['m1']] },
      { g: [[1, 'inst']] },
      { g: [['m1', '']] },
      { g: 'x' },
      { n: Array.from({ length: 11 }, (_, k) => [`m${k}`, 'i', 0]) }, // more than maxEntries
    ])
      expect(parseRosterHead(head(bad), 10), JSON.stringify(bad)).toBeUndefined();
  });

  it('a request for the whole roster names a valid router id; anything else is a plain heartbeat', () => {
    const asking = (full: unknown): Msg => msg('t.h.m9', { v: 1, i: 'inst-m9', q: 1, full });
    const agg = make('a1');
    for (const full of ['bad id!', 7, '', { id: 'a1' }]) agg.m.presence(asking(full));
    expect(agg.sentFull).toEqual([]);
    expect(agg.m.up().map((p) => p.routerId)).toEqual(['m9']);
    agg.m.close();
  });
});

describe("an aggregator's hearing lag", () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it("an aggregator's hearing lag: the lower quartile of the ages past one interval, capped; members dying do not move it", () => {
    const opts = { heartbeatMs: 1000, deadAfterMs: 3000 };
    const spread = Array.from({ length: 20 }, (_, k) => k * 50); // 0 … 950 ms: heard on time
    expect(hearingLag(spread, opts)).toBe(0);
    expect(hearingLag([...spread, 2900], opts)).toBe(0); // one member stopped
    // Half the members stopped 2.9 s ago: a median would read 1.9 s of lag; the quartile none.
    expect(hearingLag([...spread.slice(0, 10), ...spread.slice(10).map(() => 2900)], opts)).toBe(0);
    // Two members heard, one of them dead for 2.9 s (a bus of three: presence simulator seed 2):
    // the median was the dead one's age, and its death was noticed 1.9 s late. No lag below three.
    expect(hearingLag([200, 2900], opts)).toBe(0);
    expect(hearingLag([2500, 2900], opts)).toBe(0);
    expect(hearingLag([2500, 2600, 2900], opts)).toBe(1500);
    expect(
      hearingLag(
        spread.map((a) => a + 1800),
        opts,
      ),
    ).toBe(1000); // everyone heard 1.8 s late: the quartile's age (2 s) less one interval
    expect(
      hearingLag(
        spread.map((a) => a + 9000),
        opts,
      ),
    ).toBe(3000); // at most deadAfterMs
    expect(hearingLag([], opts)).toBe(0);
  });

  it('an aggregator that hears everyone late leaves its lag out of the ages it publishes and allows it before calling anyone silent', () => {
    const agg = make('a1');
    const ids = ['m2', 'm3', 'm4', 'm5', 'm6'];
    for (const id of ids) agg.m.presence(helloQ(id));
    // Its process is saturated: the next heartbeats are read 2.6 s later instead of within 1 s.
    vi.advanceTimersByTime(2600);
    const head = JSON.parse(agg.m.roster().split('\n')[0] as string) as { a: number; l: unknown[] };
    expect(head.l).toEqual([]); // not late: the 1.6 s of lag is left out
    expect(head.a).toBe(1000);
    // 3.6 s since it heard them, past deadAfterMs, but within it plus its hearing lag: still up.
    vi.advanceTimersByTime(1000);
    expect(agg.events.filter((e) => e.startsWith('down'))).toEqual([]);
    // Still nothing 5 s on: silent after all (the lag allowed at most deadAfterMs more).
    vi.advanceTimersByTime(1400);
    expect(agg.events.filter((e) => e.startsWith('down')).sort()).toEqual(
      ids.map((id) => `down ${id} silent`),
    );
    agg.m.close();
  });

  it('an aggregator hearing everyone later than deadAfterMs still lists them, its lag left out, and drops them past twice deadAfterMs', () => {
    const agg = make('a1');
    const ids = ['m2', 'm3', 'm4', 'm5', 'm6'];
    for (const id of ids) agg.m.presence(helloQ(id));
    const listed = (): string[] => {
      const [, body] = agg.m.roster(true).split('\n');
      return (JSON.parse(body as string) as { r: [string][] }).r.map((e) => e[0]).sort();
    };
    // A roster each interval, as the transport makes one; no heartbeat read for 4 s.
    for (let t = 1; t <= 4; t++) {
      vi.advanceTimersByTime(1000);
      agg.m.roster();
    }
    expect(listed()).toEqual(ids); // heard 4 s ago, listed 1 s old (3 s of hearing lag)
    expect(agg.events.filter((e) => e.startsWith('down'))).toEqual([]);
    vi.advanceTimersByTime(2500); // 6.5 s: past deadAfterMs plus the lag it may allow
    expect(agg.events.filter((e) => e.startsWith('down')).sort()).toEqual(
      ids.map((id) => `down ${id} silent`),
    );
    agg.m.close();
  });
});
