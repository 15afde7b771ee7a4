/**
 * The bus's members and presence (src/nats/members.ts) without a server:
 * rosters, the aggregators, the lag allowance, the cap. Fake timers; the
 * messages are what the NATS client would hand over.
 */
import type { Msg } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NatsMembers } from '../../src/nats/members.js';
import { resolveNatsOptions } from '../../src/nats/options.js';
import type { NatsPeer } from '../../src/nats/peer.js';
import { BusSubjects } from '../../src/nats/subjects.js';

import { beat, hello, make, msg, roster } from './members-fixture.js';

describe('bus members and rosters', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('the two lowest ids aggregate; a member learns the others from a roster and keeps them by it', () => {
    const { m, events } = make('m5');
    expect(m.aggregating()).toBe(true); // alone: it aggregates
    m.rosterIn(
      roster('a1', [
        ['a2', 'inst-a2', 10],
        ['m7', 'inst-m7', 100],
      ]),
    );
    expect(events.sort()).toEqual(['up a1', 'up a2', 'up m7']);
    expect(m.aggregating()).toBe(false);
    // The rosters keep them up past deadAfterMs (3000) though this member hears none of them itself.
    for (let t = 0; t < 10; t++) {
      vi.advanceTimersByTime(1000);
      m.rosterIn(
        roster('a1', [
          ['a2', 'inst-a2', 50],
          ['m7', 'inst-m7', 300],
        ]),
      );
    }
    expect(events).toHaveLength(3);
    // m7 stops: its age grows in the rosters; it is down deadAfterMs after it was last heard.
    for (let t = 1; t <= 4; t++) {
      vi.advanceTimersByTime(1000);
      m.rosterIn(
        roster('a1', [
          ['a2', 'inst-a2', 50],
          ['m7', 'inst-m7', 300 + t * 1000],
        ]),
      );
    }
    expect(events).toContain('down m7 silent');
    expect(events).not.toContain('down a2 silent');
  });

  it("the lowest aggregator's rosters are read; another's only when a member would go silent (the lowest stopped)", () => {
    const { m, events } = make('m5');
    m.rosterIn(
      roster('a1', [
        ['a2', 'inst-a2', 0],
        ['m7', 'inst-m7', 0],
      ]),
    );
    // a2's roster waits unread while a1 is a member: m9, only in it, is not brought up by it.
    m.rosterIn(
      roster('a2', [
        ['a1', 'inst-a1', 0],
        ['m7', 'inst-m7', 0],
        ['m9', 'inst-m9', 0],
      ]),
    );
    expect(events).not.toContain('up m9');
    // a1 stops; a2 still hears m7. Past deadAfterMs m7 would be silent by a1's last roster alone.
    for (let t = 1; t <= 4; t++) {
      vi.advanceTimersByTime(1000);
      m.rosterIn(
        roster('a2', [
          ['a1', 'inst-a1', t * 1000],
          ['m7', 'inst-m7', 0],
        ]),
      );
    }
    expect(events).toContain('down a1 silent');
    expect(events).not.toContain('down m7 silent');
    expect(events).not.toContain('down a2 silent');
    // a2 is the lowest now: its rosters are read at once.
    m.rosterIn(roster('a2', [['m8', 'inst-m8', 0]]));
    expect(events).toContain('up m8');
    m.close();
  });

  it('an aggregator lists only what it heard itself: two aggregators never keep a dead member alive', () => {
    const { m } = make('a1');
    m.presence(beat('m7'));
    m.rosterIn(roster('a2', [['m9', 'inst-m9', 0]]));
    const listed = (): string[] =>
      (JSON.parse(m.roster(true).split('\n')[1] as string) as { r: [string][] }).r
        .map((e) => e[0])
        .sort();
    expect(listed()).toEqual(['a2', 'm7']); // m9 only from a2's roster: not listed
    vi.advanceTimersByTime(3000);
    expect(listed()).toEqual([]);
  });

  it('news older than a member going does not bring it back; a fresher one does', () => {
    const { m, events } = make('m5');
    m.presence(hello('m7'));
    m.presence(msg('t.p.m7', { v: 1, i: 'inst-m7', bye: true }));
    expect(events).toEqual(['up m7', 'down m7 left']);
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 200]]));
    expect(events).toEqual(['up m7', 'down m7 left', 'up a1']);
    // A roster entry too old to bring up a member it does not know (≥ deadAfterMs − heartbeatMs).
    m.rosterIn(roster('a1', [['m8', 'inst-m8', 2500]]));
    expect(events).not.toContain('up m8');
    // It came back (SIGCONT) and the aggregator heard it after its goodbye.
    vi.advanceTimersByTime(1500);
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 100]]));
    expect(events).toContain('up m7');
  });

  it('a member brought up by anything but its own hello is asked for its table', () => {
    const { m, asked } = make('m5');
    vi.advanceTimersByTime(5000); // long after this member's own hello
    m.presence(hello('m6'));
    expect(asked).toEqual([]);
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 0]]));
    expect(asked.sort()).toEqual(['a1', 'm7']);
    // A new instance of m7 heard in a roster (a restart, or a forgery): taken down and asked again.
    vi.advanceTimersByTime(100);
    m.rosterIn(roster('a1', [['m7', 'other', 0]]));
    expect(asked.filter((x) => x === 'm7')).toHaveLength(2);
  });

  it('a lagging process allows its lag before calling a member silent', () => {
    const { m, events } = make('m5');
    m.presence(hello('m7'));
    // The event loop lags: each check runs 400 ms late (not a stall: below deadAfterMs / 2).
    for (let t = 0; t < 5; t++) {
      vi.setSystemTime(Date.now() + 400);
      vi.advanceTimersByTime(300);
    }
    // 3.5 s without news (more than deadAfterMs), of which 1.6 s of lag in the last 3 s: not silent.
    expect(events).toEqual(['up m7']);
    vi.advanceTimersByTime(3000);
    expect(events).toEqual(['up m7', 'down m7 silent']);
  });

  it('a member known from its frames alone waits for a whole roster to name it before it can be silent', () => {
    const { m, events } = make('m5');
    // A router that just came up hears every member's table (frames: no instance) first.
    m.heard('m7', undefined);
    m.heard('m8', undefined);
    vi.advanceTimersByTime(4000); // past deadAfterMs (3000): no roster's entries read yet
    expect(events).toEqual(['up m7', 'up m8']);
    // The whole roster comes: it names m7 (heard 100 ms ago), not m8.
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 100]]));
    vi.advanceTimersByTime(300);
    expect(events.sort()).toEqual(['down m8 silent', 'up a1', 'up m7', 'up m8']);
  });

  it('a member known from its frames alone, and no roster at all: silent after twice deadAfterMs', () => {
    const { m, events } = make('m5');
    m.heard('m7', undefined);
    vi.advanceTimersByTime(5700);
    expect(events).toEqual(['up m7']);
    vi.advanceTimersByTime(600);
    expect(events).toEqual(['up m7', 'down m7 silent']);
  });
  it('at most maxMembers are tracked', () => {
    const { m, counters } = make('m5', 3);
    for (let i = 0; i < 10; i++) m.presence(hello(`f${i}`));
    expect(m.up()).toHaveLength(3);
    expect(counters.membersRefused).toBe(7);
    m.rosterIn(
      roster('f0', [
        ['x1', 'i', 0],
        ['x2', 'i', 0],
      ]),
    );
    expect(m.up()).toHaveLength(3);
    // A roster longer than maxMembers entries is not read.
    expect(counters.ignored).toBe(0);
    m.rosterIn(
      roster('f0', [
        ['x1', 'i', 0],
        ['x2', 'i', 0],
        ['x3', 'i', 0],
        ['x4', 'i', 0],
      ]),
    );
    expect(counters.ignored).toBe(1);
    m.close();
  });

  it('a roster naming an invalid router id is not read, though its other entries are known members (only new ids are checked)', () => {
    const { m, events, counters } = make('m5');
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 0]]));
    expect(events.sort()).toEqual(['up a1', 'up m7']);
    m.rosterIn(
      roster('a1', [
        ['m7', 'inst-m7', 0],
        ['bad id!', 'inst-x', 0],
      ]),
    );
    expect(counters.ignored).toBe(1);
    expect(
      m
        .up()
        .map((p) => p.routerId)
        .sort(),
    ).toEqual(['a1', 'm7']);
    m.close();
  });

  it("a roster whose digest is the member's own is read from its head alone: late entries exact, the rest heard within `a`", () => {
    const agg = make('a1');
    const { m, events, counters } = make('m5');
    for (const id of ['m5', 'm7', 'm8']) agg.m.presence(hello(id));
    for (const id of ['a1', 'm7', 'm8']) m.presence(hello(id));
    const rosterOf = (): Msg => msg('t.r.a1', agg.m.roster());
    // Same members, same instances: the entries line is not even parsed (a broken one is not noticed).
    const [head] = agg.m.roster().split('\n');
    m.rosterIn(msg('t.r.a1', `${head}\n{"v":1,"i":"inst-a1","r":[["bad id!","x",0]]}`));
    expect(counters.ignored).toBe(0);
    expect(events).toEqual(['up a1', 'up m7', 'up m8']);
    // m8 stops; the aggregator keeps hearing m5 and m7. m8 turns late in the head (older than 1.5
    // intervals) and is down deadAfterMs after it was last heard, not `a` after the last roster;
    // m7 stays up though m5 never hears it itself.
    const late = (): string[] =>
      (JSON.parse(agg.m.roster().split('\n')[0] as string) as { l: [string][] }).l.map((e) => e[0]);
    for (let t = 1; t <= 3; t++) {
      vi.advanceTimersByTime(1000);
      agg.m.presence(beat('m5'));
      agg.m.presence(beat('m7'));
      expect(late()).toEqual(t === 2 ? ['m8'] : []); // at 3 s: no longer listed
      m.rosterIn(rosterOf());
    }
    vi.advanceTimersByTime(300);
    expect(events).toEqual(['up a1', 'up m7', 'up m8', 'down m8 silent']);
    for (let t = 1; t <= 5; t++) {
      vi.advanceTimersByTime(1000);
      agg.m.presence(beat('m5'));
      agg.m.presence(beat('m7'));
      m.rosterIn(rosterOf());
    }
    expect(events).toEqual(['up a1', 'up m7', 'up m8', 'down m8 silent']);
    expect(counters.ignored).toBe(0);
    m.close();
    agg.m.close();
  });

  it('a roster whose digest differs is read in full: a member only it lists is brought up', () => {
    const agg = make('a1');
    const { m, events, counters } = make('m5');
    for (const id of ['m5', 'm7', 'm9']) agg.m.presence(hello(id));
    for (const id of ['a1', 'm7']) m.presence(hello(id));
    const [head] = agg.m.roster().split('\n');
    // Not the same members: the entries are read (a broken line is refused).
    m.rosterIn(msg('t.r.a1', `${head}\n{"v":1,"i":"inst-a1","r":[["bad id!","x",0]]}`));
    expect(counters.ignored).toBe(1);
    m.rosterIn(msg('t.r.a1', agg.m.roster()));
    expect(events).toEqual(['up a1', 'up m7', 'up m9']);
    // A restarted member (a new instance) changes the digest too: the roster says so.
    vi.advanceTimersByTime(100);
    agg.m.presence(hello('m7', 'inst-m7-b'));
    m.rosterIn(msg('t.r.a1', agg.m.roster()));
    expect(events).toEqual(['up a1', 'up m7', 'up m9', 'down m7 restarted', 'up m7']);
    m.close();
    agg.m.close();
  });

  it('a member heard only through its frames (no instance yet) is not kept alive by a digest', () => {
    const agg = make('a1');
    const { m, events } = make('m5');
    agg.m.presence(hello('m5'));
    m.presence(hello('a1'));
    m.heard('m6', undefined); // a frame from m6: no instance, not in the digest
    for (let t = 1; t <= 4; t++) {
      vi.advanceTimersByTime(1000);
      agg.m.presence(beat('m5'));
      m.rosterIn(msg('t.r.a1', agg.m.roster()));
    }
    expect(events).toEqual(['up a1', 'up m6', 'down m6 silent']);
    m.close();
    agg.m.close();
  });

  it('reads what the server already sent before calling anyone silent: a process behind on its socket keeps its members', async () => {
    let release: (() => void) | undefined;
    const waits: number[] = [];
    const { m, events } = make('m5', undefined, () => {
      waits.push(Date.now());
      return new Promise<void>((r) => (release = r));
    });
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 0]]));
    // No roster read for 3.3 s: m7 (and a1) would be silent, but the check first waits for the socket.
    vi.advanceTimersByTime(3300);
    expect(waits).toHaveLength(1);
    expect(events).toEqual(['up a1', 'up m7']);
    // What was queued arrives: a1's roster heard m7 500 ms ago. Both are kept.
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 500]]));
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['up a1', 'up m7']);
    // Nothing queued this time: m7 (last seen 500 ms before a1) is silent at the check that
    // waited, a1 not yet by that check's cutoff.
    vi.advanceTimersByTime(3300);
    expect(waits.length).toBeGreaterThan(1);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['up a1', 'up m7', 'down m7 silent']);
    m.close();
  });

  it('a read that never completes (no connection) holds the check for deadAfterMs at most', async () => {
    const { m, events } = make('m5', undefined, () => new Promise<void>(() => {}));
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 0]]));
    await vi.advanceTimersByTimeAsync(3300);
    expect(events).toEqual(['up a1', 'up m7']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(events.sort()).toEqual(['down a1 silent', 'down m7 silent', 'up a1', 'up m7']);
    m.close();
  });

  it('connected, a read unanswered after deadAfterMs waits on (this process is behind on its socket); cut off, it does not', async () => {
    let online = true;
    let release: (() => void) | undefined;
    const waits: number[] = [];
    const { m, events } = make(
      'm5',
      undefined,
      () => {
        waits.push(Date.now());
        return new Promise<void>((r) => (release = r));
      },
      () => online,
    );
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 0]]));
    await vi.advanceTimersByTimeAsync(3300);
    expect(waits).toHaveLength(1);
    // Three more periods of deadAfterMs, connected: nobody taken down, no second PING.
    await vi.advanceTimersByTimeAsync(9000);
    expect(events).toEqual(['up a1', 'up m7']);
    expect(waits).toHaveLength(1);
    // What was queued arrives at last: a1's roster heard m7 just now, and a1 is heard too.
    m.rosterIn(roster('a1', [['m7', 'inst-m7', 0]]));
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['up a1', 'up m7']);
    // Then the connection goes: the next unanswered read holds the check one period only.
    online = false;
    await vi.advanceTimersByTimeAsync(3300 + 3000);
    expect(waits).toHaveLength(2);
    expect(events.sort()).toEqual(['down a1 silent', 'down m7 silent', 'up a1', 'up m7']);
    m.close();
  });

  it('a bad head (a negative age, a digest that is no string, a bad late entry) is not trusted: the entries are read', () => {
    const agg = make('a1');
    const { m, events, counters } = make('m5');
    agg.m.presence(hello('m5'));
    m.presence(hello('a1'));
    const [head, body] = agg.m.roster().split('\n') as [string, string];
    const h = JSON.parse(head) as Record<string, unknown>;
    const full = JSON.stringify({ v: 1, i: 'inst-a1', r: [['m9', 'inst-m9', 0]] });
    // The good head matches m5's members: its entries would not be read.
    m.rosterIn(msg('t.r.a1', `${head}\n${full}`));
    expect(events).toEqual(['up a1']);
    for (const bad of [
      { ...h, a: -5 },
      { ...h, d: 7 },
      { ...h, l: [['bad id!', 'x', 0]] },
      { ...h, l: [['m5', 'inst-m5', Number.NaN]] },
    ])
      m.rosterIn(msg('t.r.a1', `${JSON.stringify(bad)}\n${body}`));
    // Read in full each time: the body lists only m5 (this router): nothing new, nothing refused.
    expect(counters.ignored).toBe(0);
    m.rosterIn(msg('t.r.a1', `${JSON.stringify({ ...h, a: -1 })}\n${full}`));
    expect(events).toEqual(['up a1', 'up m9']);
    // Longer than any roster may be: the whole message is refused.
    m.rosterIn(msg('t.r.a1', `${' '.repeat(256 * 2050)}\n${full}`));
    expect(counters.ignored).toBe(1);
    m.close();
    agg.m.close();
  });
});
