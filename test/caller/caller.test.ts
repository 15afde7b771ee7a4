/**
 * The caller role (src/caller/caller.ts) through its doors: `register` and
 * `run` on one side; `onResponse`, `settle` and `onTableChange` (what link
 * state hands it) on the other. Link state is a fake around a real
 * `CtpTable` (router A; router H, bound on peer pH, hosts cam1): its
 * routing records the frames the caller sends, its flooding adds and
 * removes own nodes in the table. The pending map is the real one; time is
 * a virtual clock.
 */
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  CtpControlMessage,
  CtpEvent,
  CtpHostBoundMessage,
  CtpRegister,
  CtpRequestMessage,
  CtpResponse,
  CtpResult,
} from '../../src/base/messages.js';
import { CtpCaller } from '../../src/caller/caller.js';
import { CtpPendingMap } from '../../src/caller/pending.js';
import type {
  CtpDropped,
  CtpRegisteredEvent,
  CtpRouterEvents,
  CtpTimeoutEvent,
} from '../../src/events.js';
import { CtpTable } from '../../src/link-state/table.js';
import { CtpReporter } from '../../src/wire/report.js';
import { VirtualClock } from '../sim/clock.js';

const V = 'controller[cam1]@A';
const TIMEOUT_MS = 1_000;

/** The link-state parts the caller uses, as a fake around a real table. */
class FakeLinks {
  readonly requests: { msg: CtpRequestMessage; to: string }[] = [];
  readonly toRouter: { msg: CtpHostBoundMessage; to: string }[] = [];
  updates = 0;
  room = true;
  caller: CtpCaller<string> | undefined;
  readonly routing = {
    request: (msg: CtpRequestMessage, to: string): void => {
      // A copy: the frame as it left (the caller may not touch it after).
      this.requests.push({ msg: structuredClone(msg), to });
    },
    toRouter: (msg: CtpHostBoundMessage, to: string): void => {
      this.toRouter.push({ msg: structuredClone(msg), to });
    },
  };
  readonly flooding = {
    hasRoom: (_names: readonly string[]): boolean => this.room,
    addOwn: (names: readonly string[]): string[] => this.table.addLocal(names),
    removeOwn: (names: readonly string[]): string[] => this.table.removeLocal(names),
  };
  readonly auth = { signClaim: (_m: CtpRegister): string | undefined => 'c2lnbmVk' };

  constructor(
    readonly table: CtpTable<string>,
    private readonly clock: VirtualClock,
  ) {}

  /** As link state's: the next advert's seq while a change waits, else the last one's. */
  claimSeq(): number {
    return this.table.ownDirty ? this.table.seq + 1 : this.table.seq;
  }

  /** As link state's update: originate (unpaced), commit, let the caller react. */
  update(): void {
    this.updates++;
    this.table.reoriginate();
    this.caller?.onTableChange(this.table.commit(this.clock.now));
  }
}

let closeAll: (() => void) | undefined;
afterEach(() => {
  closeAll?.();
  closeAll = undefined;
});

function setup() {
  const clock = new VirtualClock();
  const table = new CtpTable<string>('A', clock.now, 100);
  table.bind('pH', 'H');
  table.applyAdvert({ origin: 'H', seq: 5, nodes: ['cam1'], neighbors: ['A'] }, clock.now);
  table.reoriginate();
  table.commit(clock.now);
  const links = new FakeLinks(table, clock);
  const events = new EventEmitter<CtpRouterEvents<string>>();
  const registered: CtpRegisteredEvent[] = [];
  const timeouts: CtpTimeoutEvent[] = [];
  const drops: CtpDropped<string>[] = [];
  const errors: unknown[] = [];
  events.on('registered', (e) => void registered.push(e));
  events.on('timeout', (e) => void timeouts.push(e));
  events.on('dropped', (e) => void drops.push(e));
  events.on('error', (e) => void errors.push(e));
  const report = new CtpReporter<string>('A', events);
  const pending = new CtpPendingMap(clock.ctp());
  const hosted = new Map<string, string>();
  const received: { name: string; msg: CtpControlMessage | CtpEvent }[] = [];
  const caller = new CtpCaller<string>(
    links,
    { controllerOf: (node) => hosted.get(node) },
    pending,
    // The role alone: its options spelled out, shorter than the defaults so virtual time stays short.
    {
      id: 'A',
      clock: clock.ctp(),
      responseTimeoutMs: TIMEOUT_MS,
      leaseGraceMs: 2_000,
      registrationWaitMs: 1_000,
    },
    (name, msg) => void received.push({ name, msg }),
    report,
  );
  links.caller = caller;
  closeAll = () => {
    caller.close();
    expect(clock.size()).toBe(0);
    expect(errors).toEqual([]);
  };
  /** `p`'s result once it has settled, `undefined` while it has not (microtasks drained). */
  const peek = async (p: Promise<CtpResult>): Promise<CtpResult | undefined> => {
    let out: CtpResult | undefined;
    void p.then((r) => (out = r));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    return out;
  };
  const response = (re: number | undefined, code = 'SUCCESS', from = 'pH'): void =>
    caller.onResponse(
      { v: 1, t: 'RESPONSE', node: 'cam1', controller: V, code, re } as CtpResponse,
      from,
    );
  return {
    clock,
    table,
    links,
    caller,
    pending,
    hosted,
    registered,
    timeouts,
    drops,
    received,
    peek,
    response,
  };
}

type Setup = ReturnType<typeof setup>;

/** Fire every timer due within `ms`. */
function advance(s: Setup, ms: number): void {
  const until = s.clock.now + ms;
  for (let at = s.clock.nextAt(); at !== undefined && at <= until; at = s.clock.nextAt())
    s.clock.runNext();
  s.clock.now = until;
}

describe('CtpCaller: register', () => {
  it('on an unknown node: NODE_UNFOUND, nothing sent, no virtual node', async () => {
    const s = setup();
    await expect(s.caller.register('nowhere', 'controller')).resolves.toEqual({
      code: 'NODE_UNFOUND',
    });
    expect(s.links.requests).toEqual([]);
    expect(s.table.hasLocal('controller[nowhere]@A')).toBe(false);
    expect(s.links.updates).toBe(0);
    expect(s.pending.size).toBe(0);
  });

  it('on a known node: one REGISTER to its owner, with the claim, once the virtual node is own', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    expect(s.links.requests).toHaveLength(1);
    const { msg, to } = s.links.requests[0] as { msg: CtpRegister; to: string };
    expect(to).toBe('H');
    expect(msg).toMatchObject({ v: 1, t: 'REGISTER', to: 'H', node: 'cam1', controller: V });
    expect(msg.monitor).toBeUndefined();
    expect(Number.isSafeInteger(msg.id) && msg.id > 0).toBe(true);
    // The claim: the seq from which the own advert lists the virtual node, signed.
    expect(s.table.hasLocal(V)).toBe(true);
    expect(s.table.ownAdvert().nodes).toContain(V);
    expect(msg.claim).toBe(s.table.seq);
    expect(msg.claimSig).toBe('c2lnbmVk');
    expect(s.links.updates).toBe(1);
    expect(s.pending.size).toBe(1);
    expect(await s.peek(p)).toBeUndefined();
  });

  it('a monitor registers its monitor virtual node', () => {
    const s = setup();
    void s.caller.register('cam1', 'monitor');
    expect(s.links.requests[0]?.msg).toMatchObject({ node: 'cam1', monitor: 'monitor[cam1]@A' });
    expect(s.table.hasLocal('monitor[cam1]@A')).toBe(true);
  });

  it("onResponse with the request's id as re resolves SUCCESS and emits registered", async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    const id = s.links.requests[0]?.msg.id as number;
    s.response(id);
    expect(await p).toEqual({ code: 'SUCCESS' });
    expect(s.registered).toEqual([{ node: 'cam1', type: 'controller', virtualNode: V, host: 'H' }]);
    expect(s.caller.registrant.get(V)).toMatchObject({ node: 'cam1', host: 'H', gap: false });
    expect(s.table.hasLocal(V)).toBe(true);
    expect(s.pending.size).toBe(0);
    // Held now: registering again is ALREADY_ASSIGNED without sending.
    await expect(s.caller.register('cam1', 'controller')).resolves.toEqual({
      code: 'ALREADY_ASSIGNED',
    });
    expect(s.links.requests).toHaveLength(1);
  });

  it('a RESPONSE with another re does not resolve it (dropped as stale); the right one does', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    const id = s.links.requests[0]?.msg.id as number;
    s.response(id + 1);
    s.response(undefined, 'NOT_ASSIGNED');
    expect(await s.peek(p)).toBeUndefined();
    expect(s.registered).toEqual([]);
    expect(s.drops.map((d) => d.reason)).toEqual(['stale', 'stale']);
    s.response(id, 'ALREADY_ASSIGNED');
    expect(await p).toEqual({ code: 'ALREADY_ASSIGNED' });
    // Not SUCCESS: the virtual node goes.
    expect(s.table.hasLocal(V)).toBe(false);
    expect(s.registered).toEqual([]);
  });

  it('settle resolves the request in flight (routing had no way to send it)', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    const id = s.links.requests[0]?.msg.id as number;
    s.caller.settle('cam1', id + 1, { code: 'NODE_UNFOUND' });
    expect(await s.peek(p)).toBeUndefined();
    s.caller.settle('cam1', id, { code: 'ERROR', reason: 'send-failed' });
    expect(await p).toEqual({ code: 'ERROR', reason: 'send-failed' });
    expect(s.table.hasLocal(V)).toBe(false);
    expect(s.pending.size).toBe(0);
  });

  it('no answer within the timeout: TIMEOUT and a timeout event', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    const id = s.links.requests[0]?.msg.id as number;
    advance(s, TIMEOUT_MS - 1);
    expect(await s.peek(p)).toBeUndefined();
    advance(s, 1);
    expect(await p).toEqual({ code: 'TIMEOUT' });
    expect(s.timeouts).toEqual([{ node: 'cam1', op: 'register', id }]);
    expect(s.table.hasLocal(V)).toBe(false);
    // A late answer settles nothing.
    s.response(id);
    expect(s.registered).toEqual([]);
  });

  it('a second request for the node while one is in flight is IN_PROGRESS, unsent', async () => {
    const s = setup();
    void s.caller.register('cam1', 'controller');
    await expect(s.caller.register('cam1', 'monitor')).resolves.toEqual({ code: 'IN_PROGRESS' });
    expect(s.links.requests).toHaveLength(1);
  });

  it('no room in the own advert: ERROR too-many-nodes, unsent', async () => {
    const s = setup();
    s.links.room = false;
    await expect(s.caller.register('cam1', 'controller')).resolves.toEqual({
      code: 'ERROR',
      reason: 'too-many-nodes',
    });
    expect(s.links.requests).toEqual([]);
    expect(s.table.hasLocal(V)).toBe(false);
  });

  it('a local node with a controller at this host is ALREADY_ASSIGNED for a controller, unsent', async () => {
    const s = setup();
    s.table.addLocal(['dev1']);
    s.hosted.set('dev1', 'controller[dev1]@X');
    await expect(s.caller.register('dev1', 'controller')).resolves.toEqual({
      code: 'ALREADY_ASSIGNED',
    });
    expect(s.links.requests).toEqual([]);
  });

  it('close() resolves the request in flight with ERROR closed', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    s.caller.close();
    expect(await p).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(s.registered).toEqual([]);
    expect(s.pending.size).toBe(0);
  });
});

describe('CtpCaller: table changes', () => {
  it('a request whose node its host no longer advertises resolves NODE_UNFOUND at once', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    s.table.applyAdvert({ origin: 'H', seq: 6, nodes: [], neighbors: ['A'] }, s.clock.now);
    s.caller.onTableChange(s.table.commit(s.clock.now));
    expect(await p).toEqual({ code: 'NODE_UNFOUND' });
    expect(s.table.hasLocal(V)).toBe(false);
  });

  it('a registration whose node went away and came back is refreshed toward its host', async () => {
    const s = setup();
    const p = s.caller.register('cam1', 'controller');
    s.response(s.links.requests[0]?.msg.id);
    await p;
    s.table.applyAdvert({ origin: 'H', seq: 6, nodes: [], neighbors: ['A'] }, s.clock.now);
    s.caller.onTableChange(s.table.commit(s.clock.now));
    expect(s.caller.registrant.get(V)?.gap).toBe(true);
    expect(s.links.toRouter).toEqual([]);
    s.table.applyAdvert({ origin: 'H', seq: 7, nodes: ['cam1'], neighbors: ['A'] }, s.clock.now);
    s.caller.onTableChange(s.table.commit(s.clock.now));
    expect(s.links.toRouter).toHaveLength(1);
    expect(s.links.toRouter[0]).toMatchObject({
      to: 'H',
      msg: { t: 'REGISTER', node: 'cam1', controller: V, refresh: true },
    });
  });
});

describe('CtpCaller: events', () => {
  it('onEvent hands the EVENT to onReceived and to the open streams', async () => {
    const s = setup();
    const stream = s.caller.events('cam1', undefined);
    const msg: CtpEvent = { v: 1, t: 'EVENT', node: 'cam1', monitor: V, content: { n: 1 } };
    s.caller.onEvent(msg);
    expect(s.received).toEqual([{ name: 'EVENT', msg }]);
    const it = stream[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ done: false, value: msg });
    s.caller.close();
    await expect(it.next()).resolves.toMatchObject({ done: true });
  });
});
