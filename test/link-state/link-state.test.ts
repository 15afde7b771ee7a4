/**
 * The link-state role (src/link-state/link-state.ts) through its doors: a
 * real wire (capturing `send`) hands it frames; the host and caller roles
 * are fakes that record what link state hands them (`CtpHostDoor`,
 * `CtpCallerDoor`, `CtpTableListener`). Router `A` has peers `pB` (router
 * B) and, where needed, `pD` (router D); B sits between A and C.
 */
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  CtpAdvert,
  CtpEvent,
  CtpHostBoundMessage,
  CtpMessage,
  CtpResponse,
  CtpResult,
} from '../../src/base/messages.js';
import type { CtpDropped, CtpRouterEvents } from '../../src/events.js';
import { CtpLinkState, type CtpTableListener } from '../../src/link-state/link-state.js';
import type { CtpCallerDoor, CtpHostDoor, CtpSource } from '../../src/link-state/routing.js';
import type { CtpTableDelta } from '../../src/link-state/table.js';
import { DEFAULTS } from '../../src/options.js';
import { jsonCodec } from '../../src/wire/codec.js';
import { CtpReporter } from '../../src/wire/report.js';
import { CtpWire } from '../../src/wire/wire.js';
import { VirtualClock } from '../sim/clock.js';

type Heard = { who: 'caller' | 'host'; delta: CtpTableDelta };

class FakeHost implements CtpHostDoor<string> {
  readonly requests: { msg: CtpHostBoundMessage; from: CtpSource<string> }[] = [];
  onRequest(msg: CtpHostBoundMessage, from: CtpSource<string>): void {
    this.requests.push({ msg, from });
  }
}

class FakeCaller implements CtpCallerDoor<string>, CtpTableListener {
  readonly responses: { msg: CtpResponse; from: CtpSource<string> }[] = [];
  readonly events: CtpEvent[] = [];
  readonly settled: { node: string; id: number; result: CtpResult }[] = [];
  constructor(private readonly heard: Heard[]) {}
  onResponse(msg: CtpResponse, from: CtpSource<string>): void {
    this.responses.push({ msg, from });
  }
  onEvent(msg: CtpEvent): void {
    this.events.push(msg);
  }
  settle(node: string, id: number, result: CtpResult): void {
    this.settled.push({ node, id, result });
  }
  onTableChange(delta: CtpTableDelta): void {
    this.heard.push({ who: 'caller', delta });
  }
}

class FakeHostListener implements CtpTableListener {
  constructor(private readonly heard: Heard[]) {}
  onTableChange(delta: CtpTableDelta): void {
    this.heard.push({ who: 'host', delta });
  }
}

let closeAll: (() => void) | undefined;
afterEach(() => {
  closeAll?.();
  closeAll = undefined;
});

function setup() {
  const clock = new VirtualClock();
  const events = new EventEmitter<CtpRouterEvents<string>>();
  const drops: CtpDropped<string>[] = [];
  events.on('dropped', (d) => drops.push(d));
  const errors: unknown[] = [];
  events.on('error', (e) => void errors.push(e));
  const report = new CtpReporter<string>('A', events);
  const sent: { peer: string | null; msg: CtpMessage & Record<string, unknown> }[] = [];
  const wire = new CtpWire<string>(
    jsonCodec,
    (peer, frame) => void sent.push({ peer, msg: JSON.parse(frame) }),
    report,
    { id: 'A', maxFrameBytes: DEFAULTS.maxFrameBytes, authorize: undefined },
  );
  const nodesUpdated: string[][] = [];
  const ls = new CtpLinkState<string>(
    wire,
    {
      ...DEFAULTS,
      id: 'A',
      clock: clock.ctp(),
      identity: undefined,
      virtualNodes: true,
      // Pacing off: each test checks the frames one change sends at once (pacing: test/liveness.test.ts).
      minAdvertIntervalMs: 0,
    },
    (nodes) => void nodesUpdated.push(nodes),
    { listenerCount: () => 0 },
  );
  const heard: Heard[] = [];
  const host = new FakeHost();
  const caller = new FakeCaller(heard);
  wire.attach(ls);
  ls.attach({ host, caller, hostListener: new FakeHostListener(heard) });
  closeAll = () => {
    wire.close();
    ls.close();
    expect(clock.size()).toBe(0);
    expect(errors).toEqual([]);
  };
  /** A REPORTNODE from the router behind `peer`. */
  const adverts = (peer: string, from: string, list: CtpAdvert[]): void =>
    wire.receive(peer, JSON.stringify({ v: 1, t: 'REPORTNODE', from, adverts: list }));
  const frame = (peer: string, o: Record<string, unknown>): void =>
    wire.receive(peer, JSON.stringify({ v: 1, ...o }));
  return { clock, wire, ls, sent, drops, heard, host, caller, nodesUpdated, adverts, frame };
}

type Setup = ReturnType<typeof setup>;

/** A–B, B advertising cam1 and listing A (two-way). */
function withB(s: Setup): void {
  s.ls.peerUp('pB', undefined);
  s.adverts('pB', 'B', [{ origin: 'B', seq: 1, nodes: ['cam1'], neighbors: ['A'] }]);
}

/** A–B–C and A–D: C advertises cam3. */
function withBCD(s: Setup): void {
  s.ls.peerUp('pB', undefined);
  s.ls.peerUp('pD', undefined);
  s.adverts('pB', 'B', [
    { origin: 'B', seq: 1, nodes: [], neighbors: ['A', 'C'] },
    { origin: 'C', seq: 1, nodes: ['cam3'], neighbors: ['B'] },
  ]);
  s.adverts('pD', 'D', [{ origin: 'D', seq: 1, nodes: [], neighbors: ['A'] }]);
}

const sentTo = (s: Setup, peer: string, t: string) =>
  s.sent.filter((x) => x.peer === peer && x.msg.t === t).map((x) => x.msg);

describe('CtpLinkState: adverts and table changes', () => {
  it("a peer's REPORTNODE adds its nodes; the caller hears the change, then the host", () => {
    const s = setup();
    s.ls.peerUp('pB', undefined);
    expect(sentTo(s, 'pB', 'UPDATENODE')).toEqual([{ v: 1, t: 'UPDATENODE', from: 'A' }]);
    s.heard.length = 0;
    s.adverts('pB', 'B', [{ origin: 'B', seq: 1, nodes: ['cam1', 'cam2'], neighbors: ['A'] }]);
    expect(s.ls.table.ownerOf('cam1')).toBe('B');
    const withNames = s.heard.filter((h) => h.delta.added.length > 0);
    expect(withNames.map((h) => h.who)).toEqual(['caller', 'host']);
    expect(withNames[0]?.delta.added.sort()).toEqual(['cam1', 'cam2']);
    expect(withNames[0]?.delta.gained).toEqual(['B']);
    // Both roles hear the very same delta, in that order, and nothing before it held the names.
    expect(withNames[1]?.delta).toBe(withNames[0]?.delta);
    expect(s.nodesUpdated.at(-1)).toEqual(['cam1', 'cam2']);
    expect(s.drops).toEqual([]);
  });

  it('a one-way link (B does not list A yet) adds nothing', () => {
    const s = setup();
    s.ls.peerUp('pB', undefined);
    s.adverts('pB', 'B', [{ origin: 'B', seq: 1, nodes: ['cam1'], neighbors: [] }]);
    expect(s.ls.table.isReachableName('cam1')).toBe(false);
    expect(s.heard.flatMap((h) => h.delta.added)).toEqual([]);
  });

  it('an UPDATENODE is answered with the table', () => {
    const s = setup();
    withB(s);
    s.ls.flooding.addOwn(['dev1']);
    s.ls.update();
    s.sent.length = 0;
    s.frame('pB', { t: 'UPDATENODE', from: 'B' });
    const tables = sentTo(s, 'pB', 'REPORTNODE');
    expect(tables).toHaveLength(1);
    const origins = (tables[0]?.adverts as CtpAdvert[]).map((a) => [a.origin, a.nodes]);
    expect(origins).toContainEqual(['A', ['dev1']]);
    expect(origins).toContainEqual(['B', ['cam1']]);
  });

  it('peerDown makes the nodes behind the peer unknown; the listeners hear them removed', () => {
    const s = setup();
    withB(s);
    s.heard.length = 0;
    s.ls.peerDown('pB');
    expect(s.ls.table.isReachableName('cam1')).toBe(false);
    const removed = s.heard.filter((h) => h.delta.removed.length > 0);
    expect(removed.map((h) => h.who)).toEqual(['caller', 'host']);
    expect(removed[0]?.delta.removed).toEqual(['cam1']);
    expect(removed[0]?.delta.lost).toEqual(['B']);
    expect(s.nodesUpdated.at(-1)).toEqual([]);
  });

  it('frames from a peer that is down are refused (peer-down) until its next peerUp', () => {
    const s = setup();
    withB(s);
    s.ls.peerDown('pB');
    expect(s.ls.isDown('pB')).toBe(true);
    s.heard.length = 0;
    s.adverts('pB', 'B', [{ origin: 'B', seq: 2, nodes: ['cam1', 'cam9'], neighbors: ['A'] }]);
    s.frame('pB', {
      t: 'REGISTER',
      id: 1,
      to: 'A',
      node: 'dev1',
      controller: 'controller[dev1]@B',
    });
    expect(s.drops.map((d) => d.reason)).toEqual(['peer-down', 'peer-down']);
    expect(s.heard).toEqual([]);
    expect(s.host.requests).toEqual([]);
    expect(s.ls.table.isReachableName('cam9')).toBe(false);
    s.ls.peerUp('pB', undefined);
    expect(s.ls.isDown('pB')).toBe(false);
    s.adverts('pB', 'B', [{ origin: 'B', seq: 2, nodes: ['cam1', 'cam9'], neighbors: ['A'] }]);
    expect(s.ls.table.isReachableName('cam9')).toBe(true);
  });
});

describe('CtpLinkState: frames for this router and for others', () => {
  it('a REGISTER addressed to this router for a local node reaches host.onRequest', () => {
    const s = setup();
    withB(s);
    s.ls.flooding.addOwn(['dev1']);
    s.ls.update();
    const msg = { t: 'REGISTER', id: 3, to: 'A', node: 'dev1', controller: 'controller[dev1]@B' };
    s.frame('pB', msg);
    expect(s.host.requests).toEqual([{ msg: { v: 1, ...msg }, from: 'pB' }]);
    expect(s.caller.responses).toEqual([]);
    expect(s.drops).toEqual([]);
  });

  it("one addressed to this router for a node it does not host is not the host's (no-route)", () => {
    const s = setup();
    withB(s);
    s.sent.length = 0;
    s.frame('pB', {
      t: 'COMMAND',
      id: 3,
      to: 'A',
      node: 'dev1',
      controller: 'controller[dev1]@Z',
      app: 'x',
      content: 1,
    });
    expect(s.host.requests).toEqual([]);
    expect(s.drops).toEqual([{ reason: 'no-route', peer: 'pB', t: 'COMMAND', node: 'dev1' }]);
    // Z is unreachable: nobody to answer.
    expect(s.sent).toEqual([]);
  });

  it('one addressed to another router is forwarded to the peer toward it, one hop more', () => {
    const s = setup();
    withBCD(s);
    expect(s.ls.table.isReachable('C')).toBe(true);
    s.sent.length = 0;
    const msg = {
      t: 'REGISTER',
      id: 8,
      to: 'C',
      node: 'cam3',
      controller: 'controller[cam3]@D',
      hops: 2,
    };
    s.frame('pD', msg);
    expect(s.host.requests).toEqual([]);
    expect(s.sent).toEqual([{ peer: 'pB', msg: { v: 1, ...msg, hops: 3 } }]);
    expect(s.wire.out.counters.forwarded).toBe(1);
  });

  it('a frame at maxHops is not forwarded (hop-limit)', () => {
    const s = setup();
    withBCD(s);
    s.sent.length = 0;
    s.frame('pD', { t: 'POST', to: 'C', node: 'cam3', content: 1, hops: DEFAULTS.maxHops });
    expect(s.sent).toEqual([]);
    expect(s.drops).toEqual([{ reason: 'hop-limit', peer: 'pD', t: 'POST', node: 'cam3' }]);
  });

  it("a RESPONSE for this router's virtual node reaches caller.onResponse", () => {
    const s = setup();
    withB(s);
    s.ls.flooding.addOwn(['controller[cam1]@A']);
    s.ls.update();
    const msg = {
      t: 'RESPONSE',
      node: 'cam1',
      controller: 'controller[cam1]@A',
      code: 'SUCCESS',
      re: 4,
    };
    s.frame('pB', msg);
    expect(s.caller.responses).toEqual([{ msg: { v: 1, ...msg }, from: 'pB' }]);
    const ev = { t: 'EVENT', node: 'cam1', monitor: 'controller[cam1]@A', content: 'x' };
    s.frame('pB', ev);
    expect(s.caller.events).toEqual([{ v: 1, ...ev }]);
    expect(s.host.requests).toEqual([]);
    expect(s.drops).toEqual([]);
  });

  it('a RESPONSE for a virtual node of this router that is not local is dropped (no-route)', () => {
    const s = setup();
    withB(s);
    s.frame('pB', {
      t: 'RESPONSE',
      node: 'cam1',
      controller: 'controller[cam1]@A',
      code: 'SUCCESS',
      re: 4,
    });
    expect(s.caller.responses).toEqual([]);
    expect(s.drops).toEqual([{ reason: 'no-route', peer: 'pB', t: 'RESPONSE', node: 'cam1' }]);
  });

  it("an unroutable request from a peer whose registrant's router is reachable is answered NODE_UNFOUND", () => {
    const s = setup();
    withB(s);
    s.sent.length = 0;
    // Neither `to` nor any advert names a host of `ghost`.
    s.frame('pB', { t: 'REGISTER', id: 12, node: 'ghost', controller: 'controller[ghost]@B' });
    expect(s.sent).toEqual([
      {
        peer: 'pB',
        msg: {
          v: 1,
          t: 'RESPONSE',
          node: 'ghost',
          controller: 'controller[ghost]@B',
          code: 'NODE_UNFOUND',
          re: 12,
        },
      },
    ]);
    expect(s.drops).toEqual([{ reason: 'no-route', peer: 'pB', t: 'REGISTER', node: 'ghost' }]);
    expect(s.host.requests).toEqual([]);
    expect(s.caller.settled).toEqual([]);
  });

  it('an unroutable request whose registrant is beyond reach is only dropped', () => {
    const s = setup();
    withB(s);
    s.sent.length = 0;
    s.frame('pB', { t: 'REGISTER', id: 12, node: 'ghost', controller: 'controller[ghost]@Z' });
    expect(s.sent).toEqual([]);
    expect(s.drops).toEqual([{ reason: 'no-route', peer: 'pB', t: 'REGISTER', node: 'ghost' }]);
  });
});
