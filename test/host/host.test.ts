/**
 * The host role (src/host/host.ts) through its doors: `onRequest` (frames
 * for a local node), `onTableChange`, and the host app's `respond`. Link
 * state is a real `CtpTable` (router H hosting cam1, with routers C and D
 * bound and reachable) and a fake routing that records every answer; no
 * wire, no router. Time is a virtual clock.
 */
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpTimers } from '../../src/base/clock.js';
import {
  ReturnCode,
  type CtpControlMessage,
  type CtpEvent,
  type CtpHostBoundMessage,
  type CtpRegistrantBoundMessage,
} from '../../src/base/messages.js';
import type { CtpDropped, CtpReleasedEvent, CtpRouterEvents } from '../../src/events.js';
import { CtpHost, type CtpHostOptions } from '../../src/host/host.js';
import type { CtpRouting, CtpSource } from '../../src/link-state/routing.js';
import { CtpAdvertAuth } from '../../src/link-state/signing.js';
import { CtpTable } from '../../src/link-state/table.js';
import { CtpReporter } from '../../src/wire/report.js';
import { VirtualClock } from '../sim/clock.js';

interface Answer {
  via: 'answer' | 'answerController';
  node: string;
  to: string;
  code: ReturnCode;
  re: number | undefined;
  content?: unknown;
  reason?: string;
}

/** The routing calls the host makes, recorded; every frame "goes". */
class FakeRouting {
  readonly answers: Answer[] = [];
  readonly bound: CtpRegistrantBoundMessage[] = [];
  answer(
    node: string,
    to: string,
    code: ReturnCode,
    re?: number,
    content?: unknown,
    reason?: string,
  ): boolean {
    this.answers.push(strip({ via: 'answer', node, to, code, re, content, reason }));
    return true;
  }
  answerController(
    node: string,
    to: string,
    code: ReturnCode,
    re: number,
    content: unknown,
    reason: string | undefined,
  ): boolean {
    this.answers.push(strip({ via: 'answerController', node, to, code, re, content, reason }));
    return true;
  }
  registrantBound(msg: CtpRegistrantBoundMessage, _from: CtpSource<string>): boolean {
    this.bound.push(msg);
    return true;
  }
}

function strip(a: Answer): Answer {
  if (a.content === undefined) delete a.content;
  if (a.reason === undefined) delete a.reason;
  return a;
}

// The role alone, without the router's resolveOptions: its options spelled out. Shorter than the
// defaults (wait 10 s, grace 5 s, pool 1024, timeout 120 s) so a test's virtual time stays short
// and the bounds are reachable; the defaults themselves run in the router-level suites.
const OPTS: CtpHostOptions = {
  registrationWaitMs: 1_000,
  leaseGraceMs: 2_000,
  maxWaitingRegistrations: 16,
  staleAdvertMs: 600_000,
  maxMonitorsPerNode: 4,
  maxControlIdleMs: undefined,
  responseTimeoutMs: 5_000,
};

const C = 'controller[cam1]@C';
const D = 'controller[cam1]@D';

let closeAll: (() => void) | undefined;
afterEach(() => {
  closeAll?.();
  closeAll = undefined;
});

/**
 * Host H with local cam1; C and D bound (peers pC, pD) and reachable.
 * `cNodes`: what C's advert lists (by default C's controller virtual node of cam1).
 */
function setup(cNodes: string[] = [C], dNodes: string[] = [D]) {
  const clock = new VirtualClock();
  const table = new CtpTable<string>('H', clock.now, 100);
  table.addLocal(['cam1']);
  table.bind('pC', 'C');
  table.bind('pD', 'D');
  table.applyAdvert({ origin: 'C', seq: 10, nodes: cNodes, neighbors: ['H'] }, clock.now);
  table.applyAdvert({ origin: 'D', seq: 10, nodes: dNodes, neighbors: ['H'] }, clock.now);
  table.reoriginate();
  table.commit(clock.now);
  const events = new EventEmitter<CtpRouterEvents<string>>();
  const drops: CtpDropped<string>[] = [];
  const errors: unknown[] = [];
  const released: CtpReleasedEvent[] = [];
  events.on('dropped', (d) => drops.push(d));
  events.on('error', (e) => void errors.push(e));
  events.on('released', (e) => void released.push(e));
  const report = new CtpReporter<string>('H', events);
  const routing = new FakeRouting();
  const received: { name: string; msg: CtpControlMessage | CtpEvent }[] = [];
  const host = new CtpHost<string>(
    {
      table,
      routing: routing as unknown as CtpRouting<string>,
      auth: new CtpAdvertAuth<string>(undefined, table, report, 100),
    },
    new CtpTimers(clock.ctp()),
    OPTS,
    (name, msg) => void received.push({ name, msg }),
    report,
  );
  closeAll = () => {
    host.close();
    expect(clock.size()).toBe(0);
  };
  let id = 0;
  const register = (
    registrant: string,
    extra: Record<string, unknown> = {},
    from: string = `p${registrant.slice(-1)}`,
  ): number => {
    const msg = { v: 1, t: 'REGISTER', id: ++id, to: 'H', node: 'cam1', controller: registrant };
    host.onRequest({ ...msg, ...extra } as CtpHostBoundMessage, from);
    return id;
  };
  const command = (controller: string, content: unknown = 'go'): number => {
    const msg = {
      v: 1,
      t: 'COMMAND',
      id: ++id,
      to: 'H',
      node: 'cam1',
      controller,
      app: 'a',
      content,
    };
    host.onRequest(msg as CtpHostBoundMessage, `p${controller.slice(-1)}`);
    return id;
  };
  return { clock, table, host, routing, received, drops, errors, released, register, command };
}

type Setup = ReturnType<typeof setup>;

/** Fire every timer due within `ms`. */
function advance(s: Setup, ms: number): void {
  const until = s.clock.now + ms;
  for (let at = s.clock.nextAt(); at !== undefined && at <= until; at = s.clock.nextAt())
    s.clock.runNext();
  s.clock.now = until;
}

describe('CtpHost: REGISTER and UNREGISTER', () => {
  it('a REGISTER whose virtual node is routable is answered SUCCESS and recorded', () => {
    const s = setup();
    const id = s.register(C);
    expect(s.routing.answers).toEqual([
      { via: 'answer', node: 'cam1', to: C, code: 'SUCCESS', re: id },
    ]);
    expect(s.host.record('cam1')).toEqual({ controller: C, monitors: [] });
    expect(s.host.controllerOf('cam1')).toBe(C);
    expect(s.drops).toEqual([]);
  });

  it('a second controller is answered ALREADY_ASSIGNED; the holder again, SUCCESS', () => {
    const s = setup();
    s.register(C);
    const second = s.register(D);
    const again = s.register(C);
    expect(s.routing.answers.slice(1)).toEqual([
      { via: 'answer', node: 'cam1', to: D, code: 'ALREADY_ASSIGNED', re: second },
      { via: 'answer', node: 'cam1', to: C, code: 'SUCCESS', re: again },
    ]);
    expect(s.host.controllerOf('cam1')).toBe(C);
  });

  it('a monitor is added beside the controller', () => {
    const s = setup([C, 'monitor[cam1]@C']);
    s.register(C);
    const id = s.register('monitor[cam1]@C', { controller: undefined, monitor: 'monitor[cam1]@C' });
    expect(s.routing.answers[1]).toEqual({
      via: 'answer',
      node: 'cam1',
      to: 'monitor[cam1]@C',
      code: 'SUCCESS',
      re: id,
    });
    expect(s.host.record('cam1')).toEqual({ controller: C, monitors: ['monitor[cam1]@C'] });
  });

  it('UNREGISTER by the holder is SUCCESS and frees the node; by another, ALREADY_ASSIGNED; unheld, NOT_ASSIGNED', () => {
    const s = setup();
    s.register(C);
    const unreg = (registrant: string, id: number): void =>
      s.host.onRequest(
        { v: 1, t: 'UNREGISTER', id, to: 'H', node: 'cam1', controller: registrant },
        'pC',
      );
    unreg(D, 20);
    expect(s.host.controllerOf('cam1')).toBe(C);
    unreg(C, 21);
    expect(s.host.record('cam1')).toBeUndefined();
    unreg(C, 22);
    expect(s.routing.answers.slice(1)).toEqual([
      { via: 'answer', node: 'cam1', to: D, code: 'ALREADY_ASSIGNED', re: 20 },
      { via: 'answer', node: 'cam1', to: C, code: 'SUCCESS', re: 21 },
      { via: 'answer', node: 'cam1', to: C, code: 'NOT_ASSIGNED', re: 22 },
    ]);
  });

  it('a registrant that is not a virtual node of this node and type is dropped (bad-registrant)', () => {
    const s = setup();
    s.register('controller[cam2]@C');
    s.register('monitor[cam1]@C');
    expect(s.routing.answers).toEqual([]);
    expect(s.drops.map((d) => [d.reason, d.t])).toEqual([
      ['bad-registrant', 'REGISTER'],
      ['bad-registrant', 'REGISTER'],
    ]);
  });
});

describe('CtpHost: a registrant not yet advertised', () => {
  it('a REGISTER waits for its virtual node, and is answered once the table lists it', () => {
    const s = setup([]);
    const id = s.register(C);
    expect(s.routing.answers).toEqual([]);
    expect(s.host.isWaiting(C)).toBe(true);
    s.table.applyAdvert({ origin: 'C', seq: 11, nodes: [C], neighbors: ['H'] }, s.clock.now);
    s.host.onTableChange(s.table.commit(s.clock.now));
    expect(s.routing.answers).toEqual([
      { via: 'answer', node: 'cam1', to: C, code: 'SUCCESS', re: id },
    ]);
    expect(s.host.isWaiting(C)).toBe(false);
  });

  it('one that waits past registrationWaitMs is dropped (registrant-unknown)', () => {
    const s = setup([]);
    s.register(C);
    advance(s, OPTS.registrationWaitMs - 1);
    expect(s.drops).toEqual([]);
    advance(s, 1);
    expect(s.drops).toEqual([
      { reason: 'registrant-unknown', peer: 'pC', t: 'REGISTER', node: 'cam1' },
    ]);
    expect(s.routing.answers).toEqual([]);
    expect(s.host.record('cam1')).toBeUndefined();
  });

  it('a claim above the stored seq of a reachable origin is taken at once in place of the advert', () => {
    const s = setup([]);
    const id = s.register(C, { claim: 11 });
    expect(s.routing.answers).toEqual([
      { via: 'answer', node: 'cam1', to: C, code: 'SUCCESS', re: id },
    ]);
    expect(s.host.controllerOf('cam1')).toBe(C);
  });

  it('a claim at or below the stored seq waits like no claim', () => {
    const s = setup([], []);
    s.register(C, { claim: 10 });
    s.register(D, { claim: 3 });
    expect(s.routing.answers).toEqual([]);
    expect(s.host.isWaiting(C)).toBe(true);
    expect(s.host.isWaiting(D)).toBe(true);
  });

  it('a claim whose origin is unreachable waits', () => {
    const s = setup([]);
    s.register('controller[cam1]@Z', { claim: 99 }, 'pC');
    expect(s.routing.answers).toEqual([]);
    expect(s.host.isWaiting('controller[cam1]@Z')).toBe(true);
  });

  it('a registration on a claim the next advert refutes is released after leaseGraceMs', () => {
    const s = setup([]);
    s.register(C, { claim: 11 });
    // C's advert at the claimed seq does not list the virtual node.
    s.table.applyAdvert({ origin: 'C', seq: 11, nodes: [], neighbors: ['H'] }, s.clock.now);
    s.host.onTableChange(s.table.commit(s.clock.now));
    expect(s.host.controllerOf('cam1')).toBe(C);
    advance(s, OPTS.leaseGraceMs);
    expect(s.host.controllerOf('cam1')).toBeUndefined();
    expect(s.released).toEqual([{ node: 'cam1', type: 'controller', registrant: C }]);
  });
});

describe('CtpHost: control requests and respond', () => {
  it('a COMMAND from the controller reaches onReceived; respond sends one RESPONSE with its re', () => {
    const s = setup();
    s.register(C);
    const id = s.command(C, { zoom: 2 });
    expect(s.received).toHaveLength(1);
    expect(s.received[0]?.name).toBe('COMMAND');
    expect(s.received[0]?.msg).toMatchObject({ id, controller: C, content: { zoom: 2 } });
    expect(s.routing.answers).toHaveLength(1); // the REGISTER's only
    expect(s.host.respond('cam1', { ok: true }, ReturnCode.SUCCESS, undefined)).toEqual({
      code: 'SUCCESS',
    });
    expect(s.routing.answers.slice(1)).toEqual([
      {
        via: 'answerController',
        node: 'cam1',
        to: C,
        code: 'SUCCESS',
        re: id,
        content: { ok: true },
      },
    ]);
    // Nothing open any more: a second answer sends nothing.
    expect(s.host.respond('cam1', 1, ReturnCode.SUCCESS, undefined)).toEqual({
      code: 'ERROR',
      reason: 'no-open-request',
    });
    expect(s.routing.answers).toHaveLength(2);
  });

  it('respond naming another request than the open one is stale and sends nothing', () => {
    const s = setup();
    s.register(C);
    const first = s.command(C);
    const second = s.command(C);
    expect(s.host.respond('cam1', 1, ReturnCode.SUCCESS, first)).toEqual({
      code: 'ERROR',
      reason: 'stale',
    });
    expect(s.routing.answers).toHaveLength(1);
    expect(s.host.respond('cam1', 2, ReturnCode.SUCCESS, second).code).toBe('SUCCESS');
    expect(s.routing.answers[1]).toMatchObject({ re: second, content: 2 });
  });

  it('a COMMAND from another controller is REJECTED, and the host app never sees it', () => {
    const s = setup();
    s.register(C);
    const id = s.command(D);
    expect(s.received).toEqual([]);
    expect(s.routing.answers[1]).toEqual({
      via: 'answer',
      node: 'cam1',
      to: D,
      code: 'REJECTED',
      re: id,
    });
  });

  it('a COMMAND with no controller is NOT_ASSIGNED; respond with none is NOT_ASSIGNED', () => {
    const s = setup();
    const id = s.command(C);
    expect(s.received).toEqual([]);
    expect(s.routing.answers).toEqual([
      { via: 'answer', node: 'cam1', to: C, code: 'NOT_ASSIGNED', re: id },
    ]);
    expect(s.host.respond('cam1', 1, ReturnCode.SUCCESS, undefined)).toEqual({
      code: 'NOT_ASSIGNED',
    });
    expect(s.routing.answers).toHaveLength(1);
  });

  it('a handler that throws is reported and answered ERROR host-callback-failed, without its text', () => {
    const s = setup();
    s.register(C);
    s.host.handlers.handle('cam1', () => {
      throw new Error('secret detail');
    });
    const id = s.command(C);
    expect(s.routing.answers[1]).toEqual({
      via: 'answer',
      node: 'cam1',
      to: C,
      code: 'ERROR',
      re: id,
      reason: 'host-callback-failed',
    });
    expect(s.errors).toHaveLength(1);
    expect(s.host.busy).toBe(0);
  });

  it('busy counts the requests handlers are answering, not those onReceived got', async () => {
    const s = setup();
    s.register(C);
    s.command(C);
    expect(s.host.busy).toBe(0);
    s.host.respond('cam1', undefined, ReturnCode.SUCCESS, undefined);

    let finish: ((v: unknown) => void) | undefined;
    s.host.handlers.handle('cam1', () => new Promise((r) => (finish = r)));
    s.command(C);
    expect(s.host.busy).toBe(1);
    // A newer request ends the former one: one is still being answered.
    const newer = s.command(C);
    expect(s.host.busy).toBe(1);
    finish?.({ done: true });
    await Promise.resolve();
    await Promise.resolve();
    expect(s.host.busy).toBe(0);
    expect(s.routing.answers.at(-1)).toEqual({
      via: 'answerController',
      node: 'cam1',
      to: C,
      code: 'SUCCESS',
      re: newer,
      content: { done: true },
    });
  });

  it('an open request expires after responseTimeoutMs: respond then sends nothing', () => {
    const s = setup();
    s.register(C);
    s.command(C);
    advance(s, OPTS.responseTimeoutMs);
    expect(s.host.respond('cam1', 1, ReturnCode.SUCCESS, undefined)).toEqual({
      code: 'ERROR',
      reason: 'no-open-request',
    });
    expect(s.routing.answers).toHaveLength(1);
  });
});

describe('CtpHost: leases and local nodes', () => {
  it('a controller whose virtual node goes unreachable is released after leaseGraceMs, not before', () => {
    const s = setup();
    s.register(C);
    s.table.unbind('pC');
    const delta = s.table.commit(s.clock.now);
    expect(delta.removed).toContain(C);
    s.host.onTableChange(delta);
    advance(s, OPTS.leaseGraceMs - 1);
    expect(s.host.controllerOf('cam1')).toBe(C);
    advance(s, 1);
    expect(s.host.controllerOf('cam1')).toBeUndefined();
    expect(s.released).toEqual([{ node: 'cam1', type: 'controller', registrant: C }]);
  });

  it('a removed node keeps its controller for the grace; added back within it, it still has it', () => {
    const s = setup();
    s.register(C);
    s.table.removeLocal(['cam1']);
    s.host.removed(['cam1']);
    advance(s, OPTS.leaseGraceMs - 1);
    s.table.addLocal(['cam1']);
    s.host.added(['cam1']);
    advance(s, OPTS.leaseGraceMs);
    expect(s.host.controllerOf('cam1')).toBe(C);
  });

  it('a removed node not back within the grace loses its registrations', () => {
    const s = setup();
    s.register(C);
    s.table.removeLocal(['cam1']);
    s.host.removed(['cam1']);
    advance(s, OPTS.leaseGraceMs);
    expect(s.host.record('cam1')).toBeUndefined();
  });
});
