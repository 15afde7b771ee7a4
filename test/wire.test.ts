/**
 * One router driven frame by frame: neighbors, adverts, forwarding, the host
 * side of registrations, and every drop reason the router itself decides.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wired } from './wire.js';

afterEach(() => {
  vi.useRealTimers();
});

const report = (from: string, adverts: unknown[]) => ({ v: 1, t: 'REPORTNODE', from, adverts });
const advert = (origin: string, seq: number, nodes: string[], neighbors: string[]) => ({
  origin,
  seq,
  nodes,
  neighbors,
});

describe('neighbors', () => {
  it('binds a peer to the first from; another from is from-mismatch; own id is duplicate-id with a conflict', () => {
    const w = wired();
    const conflicts: unknown[] = [];
    w.router.on('conflict', (c) => conflicts.push(c));
    w.neighbor('p', 'x', ['nx']);
    expect(w.router.nodes()).toEqual(['nx']);
    w.neighbor('p', 'y', ['ny']);
    w.feed('q', report('r', []));
    w.feed('q', report('r', []));
    expect(w.dropped.map((d) => d.reason)).toEqual([
      'from-mismatch',
      'duplicate-id',
      'duplicate-id',
    ]);
    expect(conflicts).toEqual([{ kind: 'router-id', id: 'r' }]); // once per peer
    expect(w.router.nodes()).toEqual(['nx']);
  });

  it('drops frames from a peer after peerDown until peerUp, and re-originates without the neighbor', () => {
    const w = wired();
    w.neighbor('p', 'x', ['nx']);
    w.clear();
    w.router.peerDown('p');
    expect(w.router.nodes()).toEqual([]);
    expect(
      w.of('REPORTNODE', null).map((m) => (m.adverts as { neighbors: string[] }[])[0]?.neighbors),
    ).toEqual([[]]);
    w.neighbor('p', 'x', ['nx'], 2);
    expect(w.dropped.map((d) => d.reason)).toEqual(['peer-down']);
    w.router.peerUp('p');
    w.neighbor('p', 'x', ['nx'], 3);
    expect(w.router.nodes()).toEqual(['nx']);
  });

  it('peerUp sends the full table and an UPDATENODE to that peer; UPDATENODE is answered the same way', () => {
    const w = wired({ nodes: ['mine'] });
    w.neighbor('p', 'x', ['nx'], 1, ['r', 'far']);
    w.feed(
      'p',
      report('x', [advert('far', 1, ['nfar'], ['x']), advert('island', 1, ['nisland'], [])]),
    );
    w.clear();
    w.router.peerUp('q');
    const frames = w.of('REPORTNODE', 'q');
    const origins = frames.flatMap((f) => (f.adverts as { origin: string }[]).map((a) => a.origin));
    expect(origins).toEqual(['r', 'x', 'far']); // own first, nearest first, never the unreachable island
    expect(w.of('UPDATENODE', 'q')).toEqual([{ v: 1, t: 'UPDATENODE', from: 'r' }]);
    w.clear();
    w.feed('s', { v: 1, t: 'UPDATENODE', from: 'z' });
    expect(
      w
        .of('REPORTNODE', 's')
        .flatMap((f) => (f.adverts as { origin: string }[]).map((a) => a.origin)),
    ).toEqual(['r', 'x', 'far']);
  });

  it('re-originates before it floods when one frame teaches a neighbor and carries adverts', () => {
    const w = wired();
    w.feed('p', report('x', [advert('x', 1, ['nx'], ['r'])]));
    const broadcasts = w
      .of('REPORTNODE', null)
      .map((m) => (m.adverts as { origin: string }[]).map((a) => a.origin));
    expect(broadcasts).toEqual([['r'], ['x']]);
  });
});

describe('adverts', () => {
  it('floods new and newer adverts once, ignores equal ones, sends the newer copy back for older ones', () => {
    const w = wired();
    w.neighbor('p', 'x', [], 1, ['r', 'y']);
    w.clear();
    w.feed('p', report('x', [advert('y', 5, ['ny'], ['x'])]));
    expect(w.of('REPORTNODE', null)).toHaveLength(1);
    w.feed('p', report('x', [advert('y', 5, ['ny'], ['x'])]));
    expect(w.of('REPORTNODE', null)).toHaveLength(1);
    w.feed('p', report('x', [advert('y', 3, [], ['x'])]));
    expect(w.of('REPORTNODE', 'p').at(-1)).toEqual(report('r', [advert('y', 5, ['ny'], ['x'])]));
    expect(w.router.nodes()).toEqual(['ny']);
  });

  it('heals a restart at most once a second; the third heal within ten seconds reports a router-id conflict', () => {
    vi.useFakeTimers();
    const w = wired();
    const conflicts: unknown[] = [];
    w.router.on('conflict', (c) => conflicts.push(c));
    w.neighbor('p', 'x', []);
    const own = () => w.router.snapshot().seq;
    const forge = (seq: number) => w.feed('p', report('x', [advert('r', seq, ['forged'], [])]));
    w.clear();
    const before = own();
    const forged1 = before + 100;
    forge(forged1);
    // Healed at once, to just above the forged seq (SPEC.md section 7). Seqs
    // start at the clock, so only the exact value shows that a heal happened.
    expect(own()).toBe(forged1 + 1);
    const ownAdverts = () =>
      w
        .of('REPORTNODE', null)
        .flatMap((f) =>
          (f.adverts as { origin: string; seq: number; nodes: string[] }[]).filter(
            (a) => a.origin === 'r',
          ),
        );
    expect(ownAdverts()).toEqual([{ origin: 'r', seq: forged1 + 1, nodes: [], neighbors: ['x'] }]); // and broadcast
    const healed1 = own();
    forge(healed1 + 100);
    expect(own()).toBe(healed1); // rate limited: waits
    vi.advanceTimersByTime(1000);
    expect(own()).toBe(healed1 + 101);
    expect(conflicts).toEqual([]);
    forge(own() + 5);
    vi.advanceTimersByTime(1000);
    expect(conflicts).toEqual([{ kind: 'router-id', id: 'r' }]);
    // from now on at most once a minute
    const third = own();
    forge(third + 5);
    vi.advanceTimersByTime(30_000);
    expect(own()).toBe(third);
    vi.advanceTimersByTime(30_000);
    expect(own()).toBe(third + 6);
    expect(w.router.nodes()).toEqual([]); // the forged node list never became ours
    void w.router.close();
  });

  it('drops an advert too far ahead (malformed), too big (too-many-nodes), or over maxRouters', () => {
    const w = wired({ maxNodesPerAdvert: 2, maxRouters: 2 });
    w.neighbor('p', 'x', []);
    w.feed('p', report('x', [advert('a', Date.now() + 2 ** 44, [], ['x'])]));
    w.feed(
      'p',
      report('x', [advert('b', 1, ['1', '2', '3'], ['x']), advert('ok', 1, ['n'], ['x'])]),
    );
    w.feed('p', report('x', [advert('island1', 1, [], [])]));
    expect(w.dropped.map((d) => d.reason)).toEqual([
      'malformed',
      'too-many-nodes',
      'too-many-routers',
    ]);
    expect(w.router.snapshot().routers).not.toHaveProperty('b');
    expect(w.router.stats().dropped).toEqual({
      malformed: 1,
      'too-many-nodes': 1,
      'too-many-routers': 1,
    });
  });

  it('deletes an advert whose origin stayed unreachable for staleAdvertMs', () => {
    vi.useFakeTimers();
    const w = wired();
    w.neighbor('p', 'x', []);
    w.feed('p', report('x', [advert('island', 1, ['i'], [])]));
    expect(Object.keys(w.router.snapshot().routers).sort()).toEqual(['island', 'x']);
    vi.advanceTimersByTime(600_000); // the default staleAdvertMs
    expect(Object.keys(w.router.snapshot().routers)).toEqual(['x']);
    void w.router.close();
  });

  it('splits a large table into several REPORTNODE frames under maxFrameBytes', () => {
    const w = wired({ maxFrameBytes: 4096 });
    w.neighbor('p', 'x', [], 1, ['r', ...Array.from({ length: 20 }, (_, i) => `o${i}`)]);
    for (let i = 0; i < 20; i++)
      w.feed(
        'p',
        report('x', [
          advert(
            `o${i}`,
            1,
            Array.from({ length: 10 }, (_, j) => `node-${i}-${j}-${'x'.repeat(10)}`),
            ['x'],
          ),
        ]),
      );
    expect(w.router.nodes()).toHaveLength(200);
    w.clear();
    w.router.peerUp('q');
    const frames = w.sent.filter((s) => s.peer === 'q' && s.msg.t === 'REPORTNODE');
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames)
      expect(Buffer.byteLength(JSON.stringify(f.msg))).toBeLessThanOrEqual(4096);
    expect(frames.flatMap((f) => f.msg.adverts as unknown[])).toHaveLength(22);
  });

  it('emits a node conflict once per new set of hosts', () => {
    const w = wired();
    const conflicts: unknown[] = [];
    w.router.on('conflict', (c) => conflicts.push(c));
    w.neighbor('p', 'x', ['dup']);
    w.neighbor('q', 'y', ['dup']);
    w.neighbor('q', 'y', ['dup', 'other'], 2);
    w.router.appendNodes('dup');
    expect(conflicts).toEqual([
      { kind: 'node', node: 'dup', hosts: ['x', 'y'] },
      { kind: 'node', node: 'dup', hosts: ['r', 'x', 'y'] },
    ]);
  });
});

describe('forwarding', () => {
  it('keeps every field, unknown ones included; only hops changes', () => {
    const w = wired();
    w.neighbor('p', 'x', ['cam'], 1, ['r']);
    w.neighbor('q', 'y', ['controller[cam]@y'], 1, ['r']);
    w.clear();
    const frame = {
      v: 1,
      t: 'COMMAND',
      id: 7,
      to: 'x',
      node: 'cam',
      controller: 'controller[cam]@y',
      app: 'a',
      content: { k: [1, 2] },
      future: { x: 1 },
      hops: 3,
    };
    w.feed('q', frame);
    expect(w.of('COMMAND', 'p')).toEqual([{ ...frame, hops: 4 }]);
    expect(w.router.stats().forwarded).toBe(1);
    // a simple peer's frame without `to` is routed by node name
    w.feed('q', { v: 1, t: 'POST', node: 'cam', content: 1 });
    expect(w.of('POST', 'p')).toEqual([{ v: 1, t: 'POST', node: 'cam', content: 1, hops: 1 }]);
  });

  it('answers NODE_UNFOUND to a routable registrant when it cannot forward (no-route, hop-limit)', () => {
    const w = wired({ maxHops: 4 });
    w.neighbor('p', 'x', ['cam'], 1, ['r']);
    w.neighbor('q', 'y', ['controller[cam]@y'], 1, ['r']);
    w.clear();
    w.feed('q', {
      v: 1,
      t: 'START',
      id: 9,
      to: 'ghost',
      node: 'cam',
      controller: 'controller[cam]@y',
      app: 'a',
    });
    w.feed('q', {
      v: 1,
      t: 'START',
      id: 10,
      to: 'x',
      node: 'cam',
      controller: 'controller[cam]@y',
      app: 'a',
      hops: 4,
    });
    expect(w.of('RESPONSE', 'q')).toEqual([
      {
        v: 1,
        t: 'RESPONSE',
        node: 'cam',
        controller: 'controller[cam]@y',
        code: 'NODE_UNFOUND',
        re: 9,
      },
      {
        v: 1,
        t: 'RESPONSE',
        node: 'cam',
        controller: 'controller[cam]@y',
        code: 'NODE_UNFOUND',
        re: 10,
      },
    ]);
    expect(w.dropped.map((d) => d.reason)).toEqual(['no-route', 'hop-limit']);
    // an EVENT with nowhere to go is dropped, unanswered
    w.clear();
    w.feed('q', { v: 1, t: 'EVENT', node: 'cam', monitor: 'monitor[cam]@nobody', content: 1 });
    expect(w.sent).toEqual([]);
    expect(w.dropped.at(-1)?.reason).toBe('no-route');
  });

  it('drops a RESPONSE that answers nothing in flight (stale)', async () => {
    const w = wired();
    w.neighbor('p', 'x', ['cam']);
    void w.router.register('cam', 'monitor');
    await new Promise((r) => setImmediate(r));
    const reg = w.of('REGISTER', 'p')[0] as { id: number };
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'monitor[cam]@r',
      code: 'SUCCESS',
      re: reg.id + 1000,
    });
    expect(w.dropped.map((d) => d.reason)).toEqual(['stale']);
    expect(w.router.stats().pending).toBe(1);
    void w.router.close();
  });
});

describe('the host side of registrations', () => {
  it('waits for the registrant to become routable, then answers (event-driven)', () => {
    const w = wired({ nodes: ['cam'] });
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', controller: 'controller[cam]@x' });
    expect(w.of('RESPONSE')).toEqual([]);
    w.neighbor('p', 'x', ['controller[cam]@x']);
    expect(w.of('RESPONSE', 'p')).toEqual([
      { v: 1, t: 'RESPONSE', node: 'cam', controller: 'controller[cam]@x', code: 'SUCCESS', re: 1 },
    ]);
    expect(w.router.snapshot().nodes.cam?.controller).toBe('controller[cam]@x');
  });

  it('drops the REGISTER (registrant-unknown) when the wait runs out, and too-many-waiting past the bound', () => {
    vi.useFakeTimers();
    const w = wired({ nodes: ['cam'], maxWaitingRegistrations: 1 }); // a bound of one: the second REGISTER passes it
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', monitor: 'monitor[cam]@x' });
    w.feed('p', { v: 1, t: 'REGISTER', id: 2, node: 'cam', monitor: 'monitor[cam]@y' });
    expect(w.dropped.map((d) => d.reason)).toEqual(['too-many-waiting']);
    vi.advanceTimersByTime(10_000); // the default registrationWaitMs
    expect(w.dropped.map((d) => d.reason)).toEqual(['too-many-waiting', 'registrant-unknown']);
    expect(w.sent.filter((s) => s.msg.t === 'RESPONSE')).toEqual([]);
    void w.router.close();
  });

  it('drops a REGISTER, UNREGISTER or control frame whose registrant is not of this node and type (bad-registrant)', () => {
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['controller[cam]@x', 'monitor[cam]@x']);
    w.clear();
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', controller: 'monitor[cam]@x' });
    w.feed('p', { v: 1, t: 'REGISTER', id: 2, node: 'cam', monitor: 'monitor[other]@x' });
    w.feed('p', { v: 1, t: 'REGISTER', id: 3, node: 'cam', controller: 'just-a-name' });
    w.feed('p', { v: 1, t: 'UNREGISTER', id: 4, node: 'cam', monitor: 'controller[cam]@x' });
    w.feed('p', {
      v: 1,
      t: 'COMMAND',
      id: 5,
      node: 'cam',
      controller: 'monitor[cam]@x',
      app: 'a',
      content: 1,
    });
    expect(w.dropped.map((d) => d.reason)).toEqual(Array(5).fill('bad-registrant'));
    expect(w.sent).toEqual([]);
  });

  it('answers a controller refresh SUCCESS only while it holds that very registration; a monitor refresh re-adds', () => {
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['controller[cam]@x', 'monitor[cam]@x']);
    w.clear();
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 1,
      node: 'cam',
      controller: 'controller[cam]@x',
      refresh: true,
    });
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 2,
      node: 'cam',
      monitor: 'monitor[cam]@x',
      refresh: true,
    });
    w.feed('p', { v: 1, t: 'REGISTER', id: 3, node: 'cam', controller: 'controller[cam]@x' });
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 4,
      node: 'cam',
      controller: 'controller[cam]@x',
      refresh: true,
    });
    w.feed('p', { v: 1, t: 'REGISTER', id: 5, node: 'cam', controller: 'controller[cam]@x' });
    expect(w.of('RESPONSE', 'p').map((m) => [m.re, m.code])).toEqual([
      [1, 'NOT_ASSIGNED'],
      [2, 'SUCCESS'],
      [3, 'SUCCESS'],
      [4, 'SUCCESS'],
      [5, 'SUCCESS'], // a repeat from the holder
    ]);
    expect(w.router.snapshot().nodes.cam?.monitors).toEqual(['monitor[cam]@x']);
  });

  it('UNREGISTER: NOT_ASSIGNED when not held, ALREADY_ASSIGNED when held by another, else SUCCESS', () => {
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['controller[cam]@x', 'monitor[cam]@x']);
    w.neighbor('q', 'y', ['controller[cam]@y']);
    w.clear();
    w.feed('p', { v: 1, t: 'UNREGISTER', id: 1, node: 'cam', controller: 'controller[cam]@x' });
    w.feed('p', { v: 1, t: 'UNREGISTER', id: 2, node: 'cam', monitor: 'monitor[cam]@x' });
    w.feed('q', { v: 1, t: 'REGISTER', id: 3, node: 'cam', controller: 'controller[cam]@y' });
    w.feed('p', { v: 1, t: 'UNREGISTER', id: 4, node: 'cam', controller: 'controller[cam]@x' });
    w.feed('q', { v: 1, t: 'UNREGISTER', id: 5, node: 'cam', controller: 'controller[cam]@y' });
    expect(w.of('RESPONSE').map((m) => [m.re, m.code])).toEqual([
      [1, 'NOT_ASSIGNED'],
      [2, 'NOT_ASSIGNED'],
      [3, 'SUCCESS'],
      [4, 'ALREADY_ASSIGNED'],
      [5, 'SUCCESS'],
    ]);
  });

  it('control frames: NOT_ASSIGNED without a controller, REJECTED from another; a newer one replaces the open request', () => {
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['controller[cam]@x']);
    w.neighbor('q', 'y', ['controller[cam]@y']);
    w.clear();
    w.feed('p', {
      v: 1,
      t: 'START',
      id: 1,
      node: 'cam',
      controller: 'controller[cam]@x',
      app: 'a',
    });
    w.feed('p', { v: 1, t: 'REGISTER', id: 2, node: 'cam', controller: 'controller[cam]@x' });
    w.feed('q', { v: 1, t: 'STOP', id: 3, node: 'cam', controller: 'controller[cam]@y', app: 'a' });
    w.feed('p', {
      v: 1,
      t: 'COMMAND',
      id: 4,
      node: 'cam',
      controller: 'controller[cam]@x',
      app: 'a',
      content: 'first',
    });
    w.feed('p', {
      v: 1,
      t: 'COMMAND',
      id: 5,
      node: 'cam',
      controller: 'controller[cam]@x',
      app: 'a',
      content: 'second',
    });
    expect(w.received.map((r) => [r.name, (r.msg as { content?: unknown }).content])).toEqual([
      ['COMMAND', 'first'],
      ['COMMAND', 'second'],
    ]);
    expect(w.router.respond('cam', 'done')).toEqual({ code: 'SUCCESS' });
    expect(w.of('RESPONSE').map((m) => [m.re, m.code])).toEqual([
      [1, 'NOT_ASSIGNED'],
      [2, 'SUCCESS'],
      [3, 'REJECTED'],
      [5, 'SUCCESS'],
    ]);
  });

  it('releases a registration whose virtual node stays unreachable for leaseGraceMs, not one that comes back', () => {
    vi.useFakeTimers();
    const w = wired({ nodes: ['cam'] });
    const released: unknown[] = [];
    w.router.on('released', (e) => released.push(e));
    w.neighbor('p', 'x', ['controller[cam]@x', 'monitor[cam]@x']);
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', controller: 'controller[cam]@x' });
    w.feed('p', { v: 1, t: 'REGISTER', id: 2, node: 'cam', monitor: 'monitor[cam]@x' });
    w.router.peerDown('p');
    vi.advanceTimersByTime(2500);
    w.router.peerUp('p');
    w.neighbor('p', 'x', ['controller[cam]@x', 'monitor[cam]@x'], 2);
    vi.advanceTimersByTime(5000); // the default leaseGraceMs
    expect(released).toEqual([]);
    w.neighbor('p', 'x', ['controller[cam]@x'], 3); // the monitor's virtual node goes away
    vi.advanceTimersByTime(5000);
    expect(released).toEqual([{ node: 'cam', type: 'monitor', registrant: 'monitor[cam]@x' }]);
    expect(w.router.snapshot().nodes.cam?.monitors).toBeUndefined();
    expect(w.router.snapshot().nodes.cam?.controller).toBe('controller[cam]@x');
    void w.router.close();
  });
});

describe('beyond SPEC.md: release notices, refresh retries, regained adverts', () => {
  it('a host tells a released registrant that comes back (RESPONSE without re, NOT_ASSIGNED, reason released)', () => {
    vi.useFakeTimers();
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['controller[cam]@x']);
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', controller: 'controller[cam]@x' });
    w.neighbor('p', 'x', [], 2); // the virtual node disappears (x saw no gap on its side)
    vi.advanceTimersByTime(5000); // the default leaseGraceMs
    expect(w.router.snapshot().nodes.cam?.controller).toBeUndefined();
    w.clear();
    w.neighbor('p', 'x', ['controller[cam]@x'], 3);
    expect(w.of('RESPONSE', 'p')).toEqual([
      {
        v: 1,
        t: 'RESPONSE',
        node: 'cam',
        controller: 'controller[cam]@x',
        code: 'NOT_ASSIGNED',
        reason: 'released',
        content: { host: 'r' },
      },
    ]);
    void w.router.close();
  });

  it('a release notice lost on the way is sent again while the released registrant stays reachable and unrecorded (seed 2088)', () => {
    vi.useFakeTimers();
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['monitor[cam]@x']);
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', monitor: 'monitor[cam]@x' });
    w.neighbor('p', 'x', [], 2);
    vi.advanceTimersByTime(5000); // the default leaseGraceMs
    expect(w.router.snapshot().nodes.cam?.monitors).toBeUndefined();
    w.clear();
    w.neighbor('p', 'x', ['monitor[cam]@x'], 3);
    const notices = () => w.of('RESPONSE', 'p').filter((m) => m.reason === 'released');
    expect(notices()).toHaveLength(1);
    // The notice never arrived (x was frozen, its connection dropped with it queued): x still advertises its monitor.
    // Tries are registrationWaitMs apart (10 s by default), doubling.
    vi.advanceTimersByTime(9999);
    expect(notices()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(notices()).toHaveLength(2);
    vi.advanceTimersByTime(20_000);
    expect(notices()).toHaveLength(3);
    // This one arrives: the monitor refreshes and is recorded again; no more notices.
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 2,
      node: 'cam',
      monitor: 'monitor[cam]@x',
      refresh: true,
    });
    expect(w.router.snapshot().nodes.cam?.monitors).toEqual(['monitor[cam]@x']);
    vi.advanceTimersByTime(60_000);
    expect(notices()).toHaveLength(3);
    void w.router.close();
  });

  it('a node re-added after its removal grace tells its registrants, who may never have seen it go', () => {
    vi.useFakeTimers();
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['monitor[cam]@x']);
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', monitor: 'monitor[cam]@x' });
    w.router.removeNodes('cam');
    vi.advanceTimersByTime(5000); // the grace (leaseGraceMs) ran out: the record is gone
    expect(w.router.snapshot().nodes.cam).toBeUndefined();
    w.clear();
    w.router.appendNodes('cam');
    expect(w.of('RESPONSE', 'p')).toEqual([
      {
        v: 1,
        t: 'RESPONSE',
        node: 'cam',
        controller: 'monitor[cam]@x',
        code: 'NOT_ASSIGNED',
        reason: 'released',
        content: { host: 'r' },
      },
    ]);
    // Its refresh records it again.
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 2,
      node: 'cam',
      monitor: 'monitor[cam]@x',
      refresh: true,
    });
    expect(w.router.snapshot().nodes.cam?.monitors).toEqual(['monitor[cam]@x']);
    void w.router.close();
  });

  it('release notices are bounded: five at most, then the host gives up', () => {
    vi.useFakeTimers();
    const w = wired({ nodes: ['cam'] });
    w.neighbor('p', 'x', ['controller[cam]@x']);
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', controller: 'controller[cam]@x' });
    w.neighbor('p', 'x', [], 2);
    vi.advanceTimersByTime(5000);
    w.clear();
    w.neighbor('p', 'x', ['controller[cam]@x'], 3);
    vi.advanceTimersByTime(10 * 60_000);
    expect(w.of('RESPONSE', 'p').filter((m) => m.reason === 'released')).toHaveLength(5);
    void w.router.close();
  });

  it('a registrant ends a controller registration on a release notice from its host, and ignores one from another host', async () => {
    const w = wired();
    const lost: unknown[] = [];
    w.router.on('lost', (e) => lost.push(e));
    w.neighbor('p', 'h', ['cam']);
    const reg = w.router.register('cam', 'controller');
    await new Promise((r) => setImmediate(r));
    const id = (w.of('REGISTER', 'p')[0] as { id: number }).id;
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r',
      code: 'SUCCESS',
      re: id,
    });
    expect((await reg).code).toBe('SUCCESS');
    const notice = (host: string) => ({
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r',
      code: 'NOT_ASSIGNED',
      reason: 'released',
      content: { host },
    });
    w.feed('p', notice('someone-else'));
    expect(lost).toEqual([]);
    expect(w.dropped.map((d) => d.reason)).toEqual(['stale']);
    w.feed('p', notice('h'));
    expect(lost).toEqual([
      { node: 'cam', type: 'controller', reason: 'refused', code: 'NOT_ASSIGNED' },
    ]);
    expect(w.router.snapshot().registrations).toEqual([]);
  });

  it('a refresh is re-sent with the same id until answered', async () => {
    vi.useFakeTimers();
    const w = wired();
    w.neighbor('p', 'h', ['cam']);
    const reg = w.router.register('cam', 'monitor');
    await vi.advanceTimersByTimeAsync(0);
    const id = (w.of('REGISTER', 'p')[0] as { id: number }).id;
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'monitor[cam]@r',
      code: 'SUCCESS',
      re: id,
    });
    expect((await reg).code).toBe('SUCCESS');
    w.router.peerDown('p');
    w.router.peerUp('p');
    w.clear();
    w.neighbor('p', 'h', ['cam'], 2); // back after a gap: a refresh
    const first = w.of('REGISTER', 'p');
    expect(first).toEqual([
      expect.objectContaining({ node: 'cam', monitor: 'monitor[cam]@r', refresh: true }),
    ]);
    await vi.advanceTimersByTimeAsync(10_000); // the default registrationWaitMs
    const again = w.of('REGISTER', 'p');
    expect(again).toHaveLength(2);
    expect(again[1]?.id).toBe(first[0]?.id);
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'monitor[cam]@r',
      code: 'SUCCESS',
      re: first[0]?.id,
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.of('REGISTER', 'p')).toHaveLength(2); // answered: no more
    expect(w.router.snapshot().registrations).toHaveLength(1);
    void w.router.close();
  });

  it('an origin that becomes reachable again has its stored advert flooded once more', () => {
    vi.useFakeTimers();
    const w = wired();
    w.neighbor('p', 'x', [], 1, ['r', 'y']);
    w.feed('p', report('x', [advert('y', 5, ['ny'], ['x'])]));
    expect(w.router.nodes()).toEqual(['ny']);
    w.neighbor('p', 'x', [], 2, ['r']); // x loses y
    expect(w.router.nodes()).toEqual([]);
    w.clear();
    w.neighbor('p', 'x', [], 3, ['r', 'y']); // and regains it: y's unchanged advert goes on
    vi.advanceTimersByTime(500); // x's third advert in a row waits out its pacing interval
    const flooded = w
      .of('REPORTNODE', null)
      .flatMap((m) => (m.adverts as { origin: string }[]).map((a) => a.origin));
    expect(flooded).toEqual(['x', 'y']);
    expect(w.router.nodes()).toEqual(['ny']);
    void w.router.close();
  });
});
