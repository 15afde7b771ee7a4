/**
 * Model-based test (fast-check `fc.commands`) of one router's API against a
 * small model: local nodes, this router's own registrations on them (it is
 * both host and registrant), the host's records, leases and the removal
 * grace on a virtual clock, requests, publish/post and the events they give.
 * fast-check shrinks any failing command sequence and prints its seed.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ReturnCode,
  type CtpControlMessage,
  type CtpEvent,
  type CtpResult,
} from '../src/base/messages.js';
import { virtualName, type CtpRegistrationType } from '../src/base/names.js';
import { CtpRouter } from '../src/router.js';
import { VirtualClock } from './sim/clock.js';

const realSetImmediate = globalThis.setImmediate;
const drain = (): Promise<void> => new Promise((r) => realSetImmediate(r));

const ID = 'm';
/** The router's default leaseGraceMs (the removal grace too). */
const GRACE = 5000;
const NODES = ['a', 'b', 'c'] as const;
type Node = (typeof NODES)[number];
type Type = CtpRegistrationType;
const TYPES: readonly Type[] = ['controller', 'monitor'];

/** The host's record of one local node. */
interface HostRecord {
  controller: boolean;
  /** When the controller's lease started (its registrant is gone), if it did. */
  controllerLease: number | undefined;
  monitor: boolean;
  monitorLease: number | undefined;
  /** When the node was removed, if it was (the registrations survive for the grace). */
  removedAt: number | undefined;
}

interface Model {
  now: number;
  local: Set<Node>;
  /** This router's registrations, `${type}|${node}`. */
  regs: Set<string>;
  hosted: Map<Node, HostRecord>;
}

interface Real {
  clock: VirtualClock;
  router: CtpRouter<never>;
  events: CtpEvent[];
  /**
   * Every `error` event: a host callback, a listener or \`send\` threw. The
   * router swallows a throw from an `error` listener, so they are collected
   * and checked after each command instead of thrown from the listener.
   */
  errors: Error[];
  /** How the host app answers the next control request. */
  answer: ReturnCode;
}

const key = (type: Type, node: Node): string => `${type}|${node}`;

function record(m: Model, node: Node): HostRecord {
  let h = m.hosted.get(node);
  if (h === undefined) {
    h = {
      controller: false,
      controllerLease: undefined,
      monitor: false,
      monitorLease: undefined,
      removedAt: undefined,
    };
    m.hosted.set(node, h);
  }
  return h;
}

function prune(m: Model, node: Node): void {
  const h = m.hosted.get(node);
  if (h !== undefined && !h.controller && !h.monitor && h.removedAt === undefined)
    m.hosted.delete(node);
}

/** The registrant gave up `type` on `node` (its virtual node is gone): the host's lease starts. */
function registrantGone(m: Model, type: Type, node: Node): void {
  m.regs.delete(key(type, node));
  const h = m.hosted.get(node);
  if (h === undefined) return;
  if (type === 'controller' && h.controller && h.controllerLease === undefined)
    h.controllerLease = m.now;
  if (type === 'monitor' && h.monitor && h.monitorLease === undefined) h.monitorLease = m.now;
}

/** Let virtual time pass in the model: removal graces end, registrants lose their gaps, leases release. */
function elapse(m: Model, until: number): void {
  m.now = until;
  for (const node of NODES) {
    const h = m.hosted.get(node);
    if (h?.removedAt !== undefined && h.removedAt + GRACE <= until) {
      // The host drops the record silently, the registrant's gap ends at the same instant.
      m.hosted.delete(node);
      for (const t of TYPES) m.regs.delete(key(t, node));
      continue;
    }
    if (h === undefined) continue;
    if (h.controllerLease !== undefined && h.controllerLease + GRACE <= until) {
      h.controller = false;
      h.controllerLease = undefined;
    }
    if (h.monitorLease !== undefined && h.monitorLease + GRACE <= until) {
      h.monitor = false;
      h.monitorLease = undefined;
    }
    prune(m, node);
  }
}

async function settle(r: Real, p: Promise<CtpResult>): Promise<CtpResult> {
  let out: CtpResult | undefined;
  void p.then((x) => (out = x));
  for (let i = 0; i < 5 && out === undefined; i++) await drain();
  if (out === undefined) throw new Error('a local request did not settle without time passing');
  return out;
}

/** The model's view of what `nodes()` and `snapshot().registrations` must say. */
function checkViews(m: Model, r: Real): void {
  expect(r.errors.map(String), 'error events').toEqual([]);
  const virtuals = [...m.regs].map((k) => {
    const [t, n] = k.split('|') as [Type, string];
    return virtualName(t, n, ID);
  });
  expect(r.router.nodes()).toEqual([...m.local, ...virtuals].sort());
  expect(
    r.router
      .snapshot()
      .registrations.map((g) => key(g.type, g.node as Node))
      .sort(),
  ).toEqual([...m.regs].sort());
  const snap = r.router.snapshot();
  for (const n of m.local) {
    const h = m.hosted.get(n);
    expect(snap.nodes[n]?.controller, `controller of ${n}`).toBe(
      h?.controller ? virtualName('controller', n, ID) : undefined,
    );
  }
}

class Append implements fc.AsyncCommand<Model, Real> {
  constructor(readonly node: Node) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    r.router.appendNodes(this.node);
    await drain();
    if (!m.local.has(this.node)) {
      m.local.add(this.node);
      const h = m.hosted.get(this.node);
      if (h !== undefined) h.removedAt = undefined;
      // Registrations that survived the gap refresh: the host still holds them.
      prune(m, this.node);
    }
    checkViews(m, r);
  }
  toString(): string {
    return `appendNodes(${this.node})`;
  }
}

class Remove implements fc.AsyncCommand<Model, Real> {
  constructor(readonly node: Node) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    r.router.removeNodes(this.node);
    await drain();
    if (m.local.has(this.node)) {
      m.local.delete(this.node);
      const h = m.hosted.get(this.node);
      if (h !== undefined && h.removedAt === undefined) h.removedAt = m.now;
    }
    checkViews(m, r);
  }
  toString(): string {
    return `removeNodes(${this.node})`;
  }
}

class Register implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly node: Node,
    readonly type: Type,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const res = await settle(r, r.router.register(this.node, this.type));
    const h = m.hosted.get(this.node);
    let expected: ReturnCode;
    if (!m.local.has(this.node)) expected = ReturnCode.NODE_UNFOUND;
    else if (m.regs.has(key(this.type, this.node))) expected = ReturnCode.ALREADY_ASSIGNED;
    else if (this.type === 'controller' && h?.controller === true)
      expected = ReturnCode.ALREADY_ASSIGNED;
    else expected = ReturnCode.SUCCESS;
    expect(res.code).toBe(expected);
    if (expected === ReturnCode.SUCCESS) {
      m.regs.add(key(this.type, this.node));
      const rec = record(m, this.node);
      if (this.type === 'controller') ((rec.controller = true), (rec.controllerLease = undefined));
      else ((rec.monitor = true), (rec.monitorLease = undefined));
    }
    checkViews(m, r);
  }
  toString(): string {
    return `register(${this.node}, ${this.type})`;
  }
}

class Unregister implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly node: Node,
    readonly type: Type,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const res = await settle(r, r.router.unregister(this.node, this.type));
    const held = m.regs.has(key(this.type, this.node));
    if (!m.local.has(this.node)) {
      expect(res.code).toBe(ReturnCode.NODE_UNFOUND);
      if (held) registrantGone(m, this.type, this.node);
    } else if (!held) expect(res.code).toBe(ReturnCode.NOT_ASSIGNED);
    else {
      expect(res.code).toBe(ReturnCode.SUCCESS);
      m.regs.delete(key(this.type, this.node));
      const h = record(m, this.node);
      if (this.type === 'controller') ((h.controller = false), (h.controllerLease = undefined));
      else ((h.monitor = false), (h.monitorLease = undefined));
      prune(m, this.node);
    }
    checkViews(m, r);
  }
  toString(): string {
    return `unregister(${this.node}, ${this.type})`;
  }
}

class Command implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly node: Node,
    readonly answer: ReturnCode,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    r.answer = this.answer;
    const res = await settle(r, r.router.command(this.node, 'app', { n: 1 }));
    const held = m.regs.has(key('controller', this.node));
    if (!m.local.has(this.node))
      expect(res.code).toBe(held ? ReturnCode.NODE_UNFOUND : ReturnCode.NODE_UNFOUND);
    else if (!held) expect(res.code).toBe(ReturnCode.NOT_ASSIGNED);
    else {
      // The host app answers synchronously with the code it was told, echoing the content.
      expect(res).toEqual({ code: this.answer, content: { echo: { n: 1 } } });
      // SPEC.md section 5: a REJECTED / NOT_ASSIGNED answer means the registration is gone.
      if (this.answer === ReturnCode.REJECTED || this.answer === ReturnCode.NOT_ASSIGNED)
        registrantGone(m, 'controller', this.node);
    }
    checkViews(m, r);
  }
  toString(): string {
    return `command(${this.node}) answered ${this.answer}`;
  }
}

class Publish implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly node: Node,
    readonly via: 'publish' | 'post',
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const before = r.events.length;
    const res =
      this.via === 'publish'
        ? r.router.publish(this.node, { e: 1 })
        : r.router.post(this.node, { e: 1 });
    await drain();
    const h = m.hosted.get(this.node);
    if (!m.local.has(this.node)) expect(res.code).toBe(ReturnCode.NODE_UNFOUND);
    else if (this.via === 'publish' && !(h?.controller === true || h?.monitor === true))
      expect(res.code).toBe(ReturnCode.NOT_ASSIGNED);
    else expect(res.code).toBe(ReturnCode.SUCCESS);
    // One EVENT per router (issue 11): once when this router holds any registration on the node
    // (a lapsing one's virtual node is gone: the event goes to the one still held).
    const expected =
      m.local.has(this.node) && TYPES.some((t) => m.regs.has(key(t, this.node))) ? 1 : 0;
    expect(r.events.length - before).toBe(expected);
    checkViews(m, r);
  }
  toString(): string {
    return `${this.via}(${this.node})`;
  }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const until = r.clock.now + this.ms;
    for (;;) {
      const at = r.clock.nextAt();
      if (at === undefined || at > until) break;
      r.clock.runNext();
      await drain();
    }
    r.clock.now = until;
    elapse(m, until);
    checkViews(m, r);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

const node = fc.constantFrom(...NODES);
const type = fc.constantFrom(...TYPES);
const commands = [
  node.map((n) => new Append(n)),
  node.map((n) => new Remove(n)),
  // Listed twice: registrations and commands are what the leases act on.
  fc.tuple(node, type).map(([n, t]) => new Register(n, t)),
  fc.tuple(node, type).map(([n, t]) => new Register(n, t)),
  fc.tuple(node, type).map(([n, t]) => new Unregister(n, t)),
  fc
    .tuple(
      node,
      fc.constantFrom(
        ReturnCode.SUCCESS,
        ReturnCode.ERROR,
        ReturnCode.REJECTED,
        ReturnCode.NOT_ASSIGNED,
      ),
    )
    .map(([n, a]) => new Command(n, a)),
  fc
    .tuple(
      node,
      fc.constantFrom(
        ReturnCode.SUCCESS,
        ReturnCode.ERROR,
        ReturnCode.REJECTED,
        ReturnCode.NOT_ASSIGNED,
      ),
    )
    .map(([n, a]) => new Command(n, a)),
  fc
    .tuple(node, fc.constantFrom('publish' as const, 'post' as const))
    .map(([n, v]) => new Publish(n, v)),
  fc.constantFrom(1, 300, GRACE - 1, GRACE, 2.5 * GRACE).map((ms) => new Advance(ms)),
];

let clock: VirtualClock | undefined;
afterEach(() => {
  clock = undefined;
});

describe('one router against a model (fc.commands)', () => {
  it('register/unregister/command/publish, node removal and leases behave as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
        clock = new VirtualClock();
        const real: Real = {
          clock,
          router: undefined as unknown as CtpRouter<never>,
          events: [],
          errors: [],
          answer: ReturnCode.SUCCESS,
        };
        real.router = new CtpRouter<never>(
          (name, msg) => {
            if (name === 'EVENT') real.events.push(msg as CtpEvent);
            else {
              const c = msg as CtpControlMessage;
              real.router.respond(
                c.node,
                { echo: c.t === 'COMMAND' ? c.content : c.optionals },
                real.answer,
                c.id,
              );
            }
          },
          () => undefined,
          () => undefined,
          { id: ID, nodes: [...NODES], clock: clock.ctp() },
        );
        // Collected, not thrown: the router catches a throwing `error` listener.
        real.router.on('error', (err) => real.errors.push(err));
        const model: Model = {
          now: clock.now,
          local: new Set(NODES),
          regs: new Set(),
          hosted: new Map(),
        };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
        } finally {
          await real.router.close();
          clock = undefined;
        }
        // Closing must not report errors either.
        expect(real.errors.map(String), 'error events').toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('respond(node, content, code, re)', () => {
  it("a host app's late answer to a replaced request sends nothing (found by the simulator, seed 26)", async () => {
    const c = new VirtualClock();
    clock = c;
    const held: CtpControlMessage[] = [];
    const router: CtpRouter<never> = new CtpRouter<never>(
      (name, msg) => {
        if (name !== 'EVENT') held.push(msg as CtpControlMessage);
      },
      () => undefined,
      () => undefined,
      { id: ID, nodes: ['a'], clock: c.ctp() },
    );
    try {
      expect(
        await settle(
          { clock: c, router, events: [], errors: [], answer: ReturnCode.SUCCESS },
          router.register('a', 'controller'),
        ),
      ).toEqual({ code: 'SUCCESS' });
      let first: CtpResult | undefined;
      void router.command('a', 'app', 1, { timeoutMs: 10 }).then((r) => (first = r));
      await drain();
      while (first === undefined && c.runNext()) await drain();
      expect(first).toEqual({ code: 'TIMEOUT' });
      let second: CtpResult | undefined;
      void router.command('a', 'app', 2).then((r) => (second = r));
      await drain();
      const [m1, m2] = held as [CtpControlMessage, CtpControlMessage];
      // The app answers the first request late: it must not resolve the second.
      expect(router.respond('a', 'late', ReturnCode.SUCCESS, m1.id)).toEqual({
        code: 'ERROR',
        reason: 'stale',
      });
      await drain();
      expect(second).toBeUndefined();
      expect(router.respond('a', 'right', ReturnCode.SUCCESS, m2.id)).toEqual({ code: 'SUCCESS' });
      await drain();
      expect(second).toEqual({ code: 'SUCCESS', content: 'right' });
    } finally {
      await router.close();
      clock = undefined;
    }
  });
});
