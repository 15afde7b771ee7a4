/**
 * Presence rules the presence simulator (test/sim/presence/, docs/testing.md)
 * found wanting, each pinned here without a server: fake timers, the
 * messages as the NATS client hands them over. Each test fails on the rule
 * before its fix.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AggregatorRole } from '../../src/nats/aggregators.js';
import { memberHash, RosterDigest } from '../../src/nats/presence.js';
import { beat, hello, make, msg, roster } from './members-fixture.js';

const opts = { heartbeatMs: 1000, deadAfterMs: 3000 };

describe('the aggregator role (src/nats/aggregators.ts)', () => {
  it('an aggregator that lower ids displace keeps publishing rosters for deadAfterMs (seed 71)', () => {
    const role = new AggregatorRole(opts);
    expect(role.rostering('m5', 0)).toBe(true); // alone: it aggregates
    role.add('a1');
    role.add('a2');
    expect(role.aggregating('m5')).toBe(false);
    expect(role.lowest).toBe('a1');
    // The newcomers have heard nobody yet: m5 goes on for deadAfterMs after it last aggregated.
    expect(role.rostering('m5', 1000)).toBe(true);
    expect(role.rostering('m5', 2999)).toBe(true);
    expect(role.rostering('m5', 3000)).toBe(false);
    // a1 goes: m5 is one of the two lowest again.
    role.remove('a1', () => ['a2', 'm7']);
    expect(role.lowest).toBe('a2');
    expect(role.aggregating('m5')).toBe(true);
  });

  it('a roster is cold until its sender has listened to the heartbeats for an interval (seed 1846)', () => {
    const role = new AggregatorRole(opts);
    expect(role.cold(0)).toBe(true); // not rostering
    role.rostering('m5', 10_000); // its first: it subscribes to the heartbeats now
    expect(role.cold(10_000)).toBe(true);
    role.rostering('m5', 11_000);
    expect(role.cold(11_000)).toBe(false);
    role.add('a1');
    role.add('a2');
    role.rostering('m5', 15_000); // displaced 4 s ago: it stops, and starts cold next time
    expect(role.cold(15_000)).toBe(true);
  });
});

describe('members: what the presence simulator found', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('a roster kept unread and read late dates its sender from its arrival: a dead aggregator is not kept alive by its own last roster (seed 1)', () => {
    const { m, events } = make('m5');
    // a1 is the lowest: read at once; m7 was last heard 1 s ago.
    m.rosterIn(
      roster('a1', [
        ['a2', 'inst-a2', 0],
        ['m7', 'inst-m7', 1000],
      ]),
    );
    m.rosterIn(roster('a2', [['a1', 'inst-a1', 0]])); // a2's: kept unread
    // a2 dies now; a1 lists it older each interval.
    for (let t = 1; t <= 3; t++) {
      vi.advanceTimersByTime(1000);
      m.rosterIn(roster('a1', [['a2', 'inst-a2', t * 1000]]));
    }
    // At 2 s m7 went silent, and the check read a2's unread roster first: a2 was not heard then,
    // its roster was (at 0). Still silent deadAfterMs after it died.
    vi.advanceTimersByTime(400);
    expect(events).toContain('down m7 silent');
    expect(events).toContain('down a2 silent');
    m.close();
  });

  it('a cold roster names nobody missing: a member it leaves out is not called silent for that (seed 1846)', () => {
    const run = (cold: boolean): string[] => {
      const { m, events } = make('m5');
      m.rosterIn(roster('a1', [['a2', 'inst-a2', 0]])); // a1 and a2 aggregate; m5 does not
      vi.advanceTimersByTime(100);
      m.presence(hello('m7')); // a newcomer, heard once
      vi.advanceTimersByTime(400);
      // The lowest aggregator's first roster: it has not heard m7's heartbeats yet.
      const head = JSON.stringify({
        i: 'inst-a1',
        q: 1,
        d: 'x',
        a: 0,
        l: [],
        ...(cold ? { c: 1 } : {}),
      });
      const body = JSON.stringify({ v: 1, i: 'inst-a1', r: [['a2', 'inst-a2', 0]] });
      m.rosterIn(msg('t.r.a1', `${head}\n${body}`));
      for (let t = 0; t < 7; t++) {
        vi.advanceTimersByTime(500);
        for (const id of ['a1', 'a2']) m.presence(beat(id)); // the aggregators stay
      }
      const out = [...events];
      m.close();
      return out;
    };
    expect(run(false)).toContain('down m7 silent'); // named: m7 unheard for 3 s is silent
    expect(run(true)).not.toContain('down m7 silent'); // cold: m7 waits (at most 2 deadAfterMs)
  });

  it('a restart seen late (a roster or heartbeat, not its hello) is asked for its table even just after this router said hello (seed 461)', () => {
    const { m, events, asked } = make('m5');
    m.presence(hello('m7', 'old'));
    vi.advanceTimersByTime(500);
    m.saidHello(); // this router came back: members that learn of it send their tables
    // m7 restarted while this router was away; it sent its table to the old instance's peer.
    m.presence(msg('t.h.m7', { v: 1, i: 'new' }));
    expect(events).toEqual(['up m7', 'down m7 restarted', 'up m7']);
    expect(asked).toEqual(['m7']);
    m.close();
  });

  it('a displaced aggregator still answers a member that asks for its entries, for deadAfterMs (seed 6849)', () => {
    const { m, sentFull } = make('m5');
    expect(m.rostering()).toBe(true); // alone: it aggregates (the transport asks each interval)
    m.presence(hello('a1'));
    m.presence(hello('a2')); // lower ids: m5 no longer aggregates, but still publishes
    vi.advanceTimersByTime(1000);
    expect(m.aggregating()).toBe(false);
    expect(m.rostering()).toBe(true);
    m.presence(msg('t.h.m7', { v: 1, i: 'inst-m7', q: 1, full: 'm5' }));
    expect(sentFull).toEqual(['m7']);
    vi.advanceTimersByTime(2500); // deadAfterMs since it last aggregated: it stops
    expect(m.rostering()).toBe(false);
    m.presence(msg('t.h.m7', { v: 1, i: 'inst-m7', q: 1, full: 'm5' }));
    expect(sentFull).toEqual(['m7']);
    m.close();
  });

  it('a member asks each aggregator whose head does not match, and a check that asked waits one round for the entries (seeds 89, 52)', () => {
    const { m, events, askedFull } = make('m5');
    // a1 and a2 aggregate; m7 was last heard 1.5 s ago.
    m.rosterIn(
      roster('a1', [
        ['a2', 'inst-a2', 0],
        ['m7', 'inst-m7', 1500],
      ]),
    );
    const head = (from: string): ReturnType<typeof msg> =>
      msg(`t.r.${from}`, { i: `inst-${from}`, q: 1, d: 'x', a: 0, l: [] });
    vi.advanceTimersByTime(1200);
    m.rosterIn(head('a1')); // the lowest's: read at once, does not match: asked
    m.rosterIn(head('a2')); // kept unread
    expect(askedFull).toEqual(['a1']);
    // m7 is silent from 1.5 s: the check then reads a2's head and asks a2 too (a1 was asked 0.3 s
    // before: once an interval is per aggregator), and waits one round.
    vi.advanceTimersByTime(300);
    expect(askedFull).toEqual(['a1', 'a2']);
    expect(events).not.toContain('down m7 silent');
    // No entries came: the next check calls it silent.
    vi.advanceTimersByTime(300);
    expect(events).toContain('down m7 silent');
    m.close();
  });

  it('a roster read late is compared with the members as they were when it came: one taken down since still counts (seed 17)', () => {
    const { m, events } = make('m5');
    for (const id of ['a1', 'a2', 'm7', 'm9']) m.presence(hello(id)); // a1 and a2 aggregate
    // a1's roster names every member (then a1 dies).
    m.rosterIn(
      roster('a1', [
        ['a2', 'inst-a2', 0],
        ['m7', 'inst-m7', 0],
        ['m9', 'inst-m9', 0],
      ]),
    );
    vi.advanceTimersByTime(2500);
    // a2's head (kept unread: a1 is the lowest): it lists every member, m9 included.
    const d = new RosterDigest();
    for (const id of ['a1', 'a2', 'm5', 'm7', 'm9']) d.add(memberHash(id, `inst-${id}`));
    m.rosterIn(msg('t.r.a2', { i: 'inst-a2', q: 1, d: d.toString(), a: 0, l: [] }));
    vi.advanceTimersByTime(100);
    m.presence(msg('t.p.m9', { v: 1, i: 'inst-m9', bye: true })); // m9 leaves after that roster
    // At 3 s a1 (which never sent a roster) and m7 look silent; a2's roster, as of 2.5 s, keeps m7.
    vi.advanceTimersByTime(900);
    expect(events).toContain('down m9 left');
    expect(events).not.toContain('down m7 silent');
    // And an unread roster older than deadAfterMs keeps nobody: m7 goes 3 s after that roster.
    vi.advanceTimersByTime(2600);
    expect(events).toContain('down m7 silent');
    m.close();
  });
});
