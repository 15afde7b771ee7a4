/**
 * Waiting REGISTERs and registration claims are shared fairly per origin
 * (issue 25, src/host/waiting.ts and claims.ts): a flood of REGISTERs for
 * virtual nodes that never appear, from one origin (or from origins the table
 * does not know), fills only its share of `maxWaitingRegistrations`, and
 * another origin's REGISTER still waits and completes. Through CtpHost with a
 * real table and a fake routing, as in host.test.ts; virtual time.
 */
import { EventEmitter } from 'eventemitter3';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpTimers } from '../../src/base/clock.js';
import type { CtpHostBoundMessage, ReturnCode } from '../../src/base/messages.js';
import type { CtpDropped, CtpRouterEvents } from '../../src/events.js';
import { CtpHost, type CtpHostOptions } from '../../src/host/host.js';
import { claimsMax } from '../../src/host/claims.js';
import { fairAdmit, waitingShare } from '../../src/host/waiting.js';
import type { CtpRouting } from '../../src/link-state/routing.js';
import { CtpAdvertAuth } from '../../src/link-state/signing.js';
import { CtpTable } from '../../src/link-state/table.js';
import { CtpReporter } from '../../src/wire/report.js';
import { VirtualClock } from '../sim/clock.js';

/** The default bound, as in the flood. */
const MAX = 1024;
const SHARE = waitingShare(MAX);
/** An origin goes past its share only while the pool is less than half full. */
const HALF = MAX / 2;
// The role alone, without the router's resolveOptions: its options spelled out. Shorter than the
// defaults (wait 10 s, grace 5 s, pool 1024, timeout 120 s) so a test's virtual time stays short
// and the bounds are reachable; the defaults themselves run in the router-level suites.
const OPTS: CtpHostOptions = {
  registrationWaitMs: 1_000,
  leaseGraceMs: 2_000,
  maxWaitingRegistrations: MAX,
  staleAdvertMs: 600_000,
  maxMonitorsPerNode: 4,
  maxControlIdleMs: undefined,
  responseTimeoutMs: 5_000,
};

let closeAll: (() => void) | undefined;
afterEach(() => {
  closeAll?.();
  closeAll = undefined;
});

/** Host H with local nodes `nodes`; routers C and D bound and reachable, advertising no virtual node. */
function setup(nodes: string[]) {
  const clock = new VirtualClock();
  const table = new CtpTable<string>('H', clock.now, 100);
  table.addLocal(nodes);
  table.bind('pC', 'C');
  table.bind('pD', 'D');
  table.applyAdvert({ origin: 'C', seq: 10, nodes: [], neighbors: ['H'] }, clock.now);
  table.applyAdvert({ origin: 'D', seq: 10, nodes: [], neighbors: ['H'] }, clock.now);
  table.reoriginate();
  table.commit(clock.now);
  const events = new EventEmitter<CtpRouterEvents<string>>();
  const drops: CtpDropped<string>[] = [];
  events.on('dropped', (d) => drops.push(d));
  const report = new CtpReporter<string>('H', events);
  const answers: { to: string; code: ReturnCode; re: number | undefined }[] = [];
  const routing = {
    answer: (_node: string, to: string, code: ReturnCode, re?: number) => {
      answers.push({ to, code, re });
      return true;
    },
    answerController: () => true,
    registrantBound: () => true,
  };
  const host = new CtpHost<string>(
    {
      table,
      routing: routing as unknown as CtpRouting<string>,
      auth: new CtpAdvertAuth<string>(undefined, table, report, 100),
    },
    new CtpTimers(clock.ctp()),
    OPTS,
    () => {},
    report,
  );
  closeAll = () => {
    host.close();
    expect(clock.size()).toBe(0);
  };
  let id = 0;
  const register = (node: string, registrant: string, from: string, claim?: number): number => {
    const msg = { v: 1, t: 'REGISTER', id: ++id, to: 'H', node, controller: registrant };
    host.onRequest((claim === undefined ? msg : { ...msg, claim }) as CtpHostBoundMessage, from);
    return id;
  };
  const tooMany = (): number => drops.filter((d) => d.reason === 'too-many-waiting').length;
  return { clock, table, host, answers, drops, register, tooMany };
}

describe('waiting REGISTERs are budgeted per origin', () => {
  it('the share is max(16, maxWaitingRegistrations / 8), never more than the bound; past it, only while the pool is under half full', () => {
    expect(waitingShare(1024)).toBe(128);
    expect(waitingShare(64)).toBe(16);
    expect(waitingShare(4)).toBe(4);
    expect(fairAdmit(127, 1000, 1024, 128)).toBe(true);
    expect(fairAdmit(128, 511, 1024, 128)).toBe(true);
    expect(fairAdmit(128, 512, 1024, 128)).toBe(false);
    expect(fairAdmit(0, 1024, 1024, 128)).toBe(false);
  });

  it("1,100 REGISTERs from one origin fill only its share: another origin's REGISTER still waits and completes", () => {
    const s = setup(['cam1']);
    for (let i = 0; i < 1100; i++) s.register('cam1', 'controller[cam1]@C', 'pC');
    expect(s.tooMany()).toBe(1100 - HALF);
    const id = s.register('cam1', 'controller[cam1]@D', 'pD');
    expect(s.tooMany()).toBe(1100 - HALF);
    expect(s.host.isWaiting('controller[cam1]@D')).toBe(true);
    s.table.applyAdvert(
      { origin: 'D', seq: 11, nodes: ['controller[cam1]@D'], neighbors: ['H'] },
      s.clock.now,
    );
    s.host.onTableChange(s.table.commit(s.clock.now));
    expect(s.answers).toEqual([{ to: 'controller[cam1]@D', code: 'SUCCESS', re: id }]);
    expect(s.host.controllerOf('cam1')).toBe('controller[cam1]@D');
  });

  it('REGISTERs for virtual nodes of routers the table does not know share one share', () => {
    const s = setup(['cam1']);
    // A flood naming 1,100 made-up routers, through C.
    for (let i = 0; i < 1100; i++) s.register('cam1', `controller[cam1]@x${i}`, 'pC');
    expect(s.tooMany()).toBe(1100 - HALF);
    // C's own REGISTER (C is known) still waits; so do C's next ones, up to its share.
    for (let i = 0; i < SHARE; i++) s.register('cam1', 'controller[cam1]@C', 'pC');
    expect(s.tooMany()).toBe(1100 - HALF);
    expect(s.host.isWaiting('controller[cam1]@C')).toBe(true);
    // The flood's places free once it runs out (registrationWaitMs).
    s.clock.now += OPTS.registrationWaitMs;
    while (s.clock.nextAt() !== undefined && (s.clock.nextAt() as number) <= s.clock.now)
      s.clock.runNext();
    s.register('cam1', 'controller[cam1]@x0', 'pC');
    expect(s.host.isWaiting('controller[cam1]@x0')).toBe(true);
  });

  it("claims too: one origin's claims stand for its share only, another origin's claim is taken at once", () => {
    // The claims' pool is four times the waiting list (claimsMax): C goes past its share up to half of it.
    const CLAIM_HALF = claimsMax(MAX) / 2;
    const nodes = Array.from({ length: CLAIM_HALF + HALF + 100 }, (_, i) => `cam${i}`);
    const s = setup([...nodes, 'tv']);
    for (const n of nodes) s.register(n, `controller[${n}]@C`, 'pC', 11);
    // C's first CLAIM_HALF claims were taken at once; the rest wait, and past HALF of the waiting list are dropped.
    expect(s.answers.filter((a) => a.code === 'SUCCESS')).toHaveLength(CLAIM_HALF);
    expect(s.tooMany()).toBe(100);
    const id = s.register('tv', 'controller[tv]@D', 'pD', 11);
    expect(s.answers.at(-1)).toEqual({ to: 'controller[tv]@D', code: 'SUCCESS', re: id });
    expect(s.host.controllerOf('tv')).toBe('controller[tv]@D');
  });

  it('a legitimate burst of 1,000 registrations from one router is answered at once, on its claims', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => `cam${i}`);
    const s = setup(nodes);
    for (const n of nodes) s.register(n, `controller[${n}]@C`, 'pC', 11);
    // No virtual time passed: every answer came on the claim, none waited for C's advert.
    expect(s.answers.filter((a) => a.code === 'SUCCESS')).toHaveLength(1000);
    expect(s.tooMany()).toBe(0);
  });
});
