/**
 * Whole networks on the in-memory network: topologies, failures, restarts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CtpRouter } from '../src/index.js';
import type { CtpMessage } from '../src/base/messages.js';
import { fullMesh, line, record, ring, topology, until, type TestNet } from './helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await net?.close();
  net = undefined;
});

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `r${i}`);
/** Every router hosts one node named after it. */
const nodeOfEach = (id: string): { nodes: string[] } => ({ nodes: [`node-${id}`] });

describe('topologies', () => {
  for (const n of [3, 4, 5, 6]) {
    it(`full mesh of ${n}: every router sees every node; every router controls another's node`, async () => {
      const routers = ids(n);
      net = await topology(routers, fullMesh(routers), nodeOfEach);
      const all = routers.map((id) => `node-${id}`).sort();
      for (const id of routers) expect(net.router(id).nodes()).toEqual(all);
      for (let i = 0; i < n; i++) {
        const me = net.router(routers[i] as string);
        const target = `node-${routers[(i + 1) % n]}`;
        expect(await me.register(target, 'controller')).toEqual({ code: 'SUCCESS' });
        expect((await me.command(target, 'ping', i)).code).toBe('SUCCESS');
      }
      // one node added anywhere costs one advert per link direction: 2 × links frames
      await net.settle();
      const before = net.sent;
      net.router('r0').appendNodes('late');
      await net.settle();
      const links = (n * (n - 1)) / 2;
      expect(net.sent - before).toBe(2 * links);
      for (const id of routers) expect(net.router(id).nodes()).toContain('late');
    });
  }

  it('nodes whose names hold "]@" are commanded through a relay: the answer finds the router id after the name', async () => {
    // The host answers the controller it recorded without parsing its name again (routing.ts answerController):
    // the router id starts right after `controller[<node>]@`, wherever else `]@` occurs.
    const nodes = ['cam]@relay', 'x]@c]@h', ']@'];
    net = await topology(['h', 'relay', 'c'], line(['h', 'relay', 'c']), (id) => ({
      nodes: id === 'h' ? nodes : [],
    }));
    const c = net.router('c');
    for (const node of nodes) {
      expect(await c.register(node, 'controller')).toEqual({ code: 'SUCCESS' });
      expect(await c.command(node, 'ping', node, { timeoutMs: 2000 })).toMatchObject({
        code: 'SUCCESS',
      });
    }
  });

  it('star: leaves reach each other through the hub, and lose everything when the hub goes', async () => {
    const routers = ['hub', 'a', 'b', 'c'];
    net = await topology(
      routers,
      [
        ['hub', 'a'],
        ['hub', 'b'],
        ['hub', 'c'],
      ],
      (id) => ({ nodes: [`n-${id}`] }),
    );
    expect(net.router('a').nodes()).toEqual(['n-a', 'n-b', 'n-c', 'n-hub']);
    expect(await net.router('a').register('n-c', 'monitor')).toEqual({ code: 'SUCCESS' });
    net.router('c').publish('n-c', 'hi');
    await net.settle();
    expect(net.events('a').map((e) => e.content)).toEqual(['hi']);
    net.crash('hub');
    await net.settle();
    expect(net.router('a').nodes()).toEqual(['monitor[n-c]@a', 'n-a']);
  });

  it('ring of 5: a cut link reroutes, a removed node leaves no ghost, and nothing loops', async () => {
    const routers = ids(5);
    net = await topology(routers, ring(routers), nodeOfEach);
    const r0 = net.router('r0');
    expect(r0.snapshot().nodes['node-r1']?.owner).toBe('r1');
    net.unlink('r0', 'r1');
    await net.settle();
    // r1 is now 4 hops the other way round
    expect(r0.snapshot().nodes['node-r1']?.owner).toBe('r4');
    expect(await r0.register('node-r1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect((await r0.command('node-r1', 'x', 1)).code).toBe('SUCCESS');
    net.router('r2').removeNodes('node-r2');
    await net.settle();
    for (const id of routers) expect(net.router(id).nodes()).not.toContain('node-r2');
    const framesBefore = net.sent;
    await net.settle();
    expect(net.sent).toBe(framesBefore); // quiet: no frame circulates
    for (const id of routers) expect(net.router(id).stats().dropped['hop-limit']).toBeUndefined();
  });

  it('the hop limit bounds how far a frame travels; the caller hears NODE_UNFOUND at once', async () => {
    const routers = ids(5);
    // A hop limit of two (16 by default): r4 is four hops away from r0.
    net = await topology(routers, line(routers), (id) => ({
      ...(id === 'r4' ? { nodes: ['far'] } : {}),
      maxHops: 2,
    }));
    const r0 = net.router('r0');
    // "At once": with time stopped, the answer comes from the network alone (no timeout fires).
    vi.useFakeTimers();
    let result: unknown;
    void r0.register('far', 'monitor').then((r) => (result = r));
    await net.settle();
    expect(result).toEqual({ code: 'NODE_UNFOUND' });
    expect(net.router('r3').stats().dropped['hop-limit']).toBe(1);
    expect(r0.stats().pending).toBe(0);
  });
});

describe('failures', () => {
  it("the controller's router crashes: the host releases the node and another router takes control", async () => {
    net = await topology(
      ['h', 'c1', 'c2'],
      [
        ['h', 'c1'],
        ['h', 'c2'],
      ],
      (id) => (id === 'h' ? { nodes: ['cam1'] } : {}),
    );
    const h = net.router('h');
    const released = record(h, 'released');
    expect((await net.router('c1').register('cam1', 'controller')).code).toBe('SUCCESS');
    expect(await net.router('c2').register('cam1', 'controller')).toEqual({
      code: 'ALREADY_ASSIGNED',
    });
    net.crash('c1');
    await net.advance(5000); // the default leaseGraceMs
    expect(released).toEqual([
      { node: 'cam1', type: 'controller', registrant: 'controller[cam1]@c1' },
    ]);
    expect(await net.router('c2').register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect((await net.router('c2').command('cam1', 'x', 1)).code).toBe('SUCCESS');
  });

  it('a brief link flap costs nothing: the registration survives and is refreshed', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const c = net.router('c');
    const lost = record(c, 'lost');
    const released = record(net.router('h'), 'released');
    await c.register('cam1', 'controller');
    net.unlink('h', 'c');
    await net.settle();
    expect(await c.command('cam1', 'x', 1)).toEqual({ code: 'NODE_UNFOUND' });
    net.link('h', 'c');
    await net.settle();
    expect((await c.command('cam1', 'x', 1)).code).toBe('SUCCESS');
    // Well past the grace (leaseGraceMs, 5 s by default) that started at the flap: nothing was ended.
    await net.advance(20_000);
    expect(lost).toEqual([]);
    expect(released).toEqual([]);
    expect(net.router('h').snapshot().nodes.cam1?.controller).toBe('controller[cam1]@c');
    expect((await c.command('cam1', 'x', 2)).code).toBe('SUCCESS');
  });

  it('a registration whose node stays unreachable past the grace is lost at the registrant', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const c = net.router('c');
    const lost = record(c, 'lost');
    await c.register('cam1', 'monitor');
    net.unlink('h', 'c');
    await net.advance(5000); // the default leaseGraceMs
    expect(lost).toEqual([{ node: 'cam1', type: 'monitor', reason: 'unreachable' }]);
    expect(c.nodes()).toEqual([]);
  });

  it('a pending request whose node becomes unreachable resolves NODE_UNFOUND at once', async () => {
    net = await topology(['h', 'm', 'c'], line(['h', 'm', 'c']), (id) =>
      id === 'h' ? { nodes: ['cam1'], app: 'silent' } : {},
    );
    const c = net.router('c');
    await c.register('cam1', 'controller');
    const p = c.command('cam1', 'x', 1);
    await net.settle();
    net.unlink('h', 'm');
    expect(await p).toEqual({ code: 'NODE_UNFOUND' });
  });

  it('a node removed and re-added within the grace keeps its controller; past it, the controller is gone', async () => {
    vi.useFakeTimers(); // the system's time stands still: only the network's clock moves
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const c = net.router('c');
    await c.register('cam1', 'controller');
    const removed = net.clock.now();
    h.removeNodes('cam1');
    await net.settle();
    await net.advance(removed + 4999 - net.clock.now()); // just within the grace (leaseGraceMs, 5 s by default)
    h.appendNodes('cam1');
    await net.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBe('controller[cam1]@c');
    expect((await c.command('cam1', 'x', 1)).code).toBe('SUCCESS');
    h.removeNodes('cam1');
    await net.advance(5000); // the grace, to the millisecond
    h.appendNodes('cam1');
    await net.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBeUndefined();
  });

  it('a node that moves to another router ends the registration at once', async () => {
    net = await topology(
      ['h1', 'h2', 'c'],
      [
        ['h1', 'c'],
        ['h2', 'c'],
      ],
      (id) => (id === 'h1' ? { nodes: ['cam1'] } : {}),
    );
    const c = net.router('c');
    const lost = record(c, 'lost');
    await c.register('cam1', 'controller');
    net.router('h2').appendNodes('cam1');
    await net.settle();
    // a conflict does not divert it
    expect(lost).toEqual([]);
    expect((await c.command('cam1', 'x', 1)).code).toBe('SUCCESS');
    net.router('h1').removeNodes('cam1');
    await net.settle();
    expect(lost).toEqual([{ node: 'cam1', type: 'controller', reason: 'moved' }]);
  });

  it('a router restarted with the same id is heard again, even with a lower seq', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    // Pacing off: settle() would move the network's clock (which a seq is drawn from) past paced adverts,
    // and the restart must come back with a lower seq.
    net = await topology(['a', 'b', 'c'], line(['a', 'b', 'c']), (id) =>
      id === 'a' ? { nodes: ['n1'], minAdvertIntervalMs: 0 } : { minAdvertIntervalMs: 0 },
    );
    const a = net.router('a');
    for (let i = 0; i < 5; i++) a.appendNodes(`extra${i}`); // push a's seq well above its restart value
    await net.settle();
    const oldSeq = a.snapshot().seq;
    net.crash('a');
    await net.settle();
    expect(net.router('c').nodes()).toEqual([]);
    const a2 = net.restart('a', { nodes: ['n2'] });
    expect(a2.snapshot().seq).toBeLessThan(oldSeq);
    await net.settle();
    expect(a2.snapshot().seq).toBeGreaterThan(oldSeq);
    expect(net.router('c').nodes()).toEqual(['n2']);
    expect(net.router('b').nodes()).toEqual(['n2']);
  });

  it('a throwing send or host callback is reported as error and the router carries on', async () => {
    let fail = false;
    const errors: Error[] = [];
    const peers: Record<string, CtpRouter<string>> = {};
    const mk = (id: string, nodes: string[]) =>
      new CtpRouter<string>(
        () => {
          throw new Error('app broke');
        },
        (peer, frame) => {
          if (fail && id === 'b') throw new Error('wire broke');
          queueMicrotask(() => peers[peer ?? (id === 'a' ? 'b' : 'a')]?.receive(id, frame));
        },
        () => {
          throw new Error('update broke');
        },
        { id, nodes },
      );
    peers.a = mk('a', ['na']);
    peers.b = mk('b', []);
    peers.a.on('error', (e) => errors.push(e));
    peers.b.on('error', (e) => errors.push(e));
    peers.a.peerUp('b');
    peers.b.peerUp('a');
    await until(() => peers.b!.nodes().length > 0, "b to learn a's node");
    expect(peers.b.nodes()).toEqual(['na']);
    expect(errors.some((e) => e.message.includes('update broke'))).toBe(true);
    expect((await peers.b.register('na', 'controller')).code).toBe('SUCCESS');
    fail = true;
    expect(await peers.b.command('na', 'x', 1)).toEqual({ code: 'ERROR', reason: 'send-failed' });
    expect(errors.some((e) => e.message.includes('wire broke'))).toBe(true);
    fail = false;
    expect(await peers.b.command('na', 'x', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(errors.some((e) => e.message.includes('app broke'))).toBe(true);
    await peers.a.close();
    await peers.b.close();
  });

  it('an async send that rejects fails the request at once', async () => {
    const r = new CtpRouter<string>(
      () => {},
      () => Promise.reject(new Error('async broke')),
      () => {},
      { id: 'r' },
    );
    r.receive(
      'p',
      JSON.stringify({
        v: 1,
        t: 'REPORTNODE',
        from: 'h',
        adverts: [{ origin: 'h', seq: 1, nodes: ['n'], neighbors: ['r'] }],
      }),
    );
    const errors = record(r as never, 'error');
    expect(await r.register('n', 'monitor')).toEqual({ code: 'ERROR', reason: 'send-failed' });
    expect(errors.length).toBeGreaterThan(0);
    await r.close();
  });

  it('authorize refuses frames (reason unauthorized) without side effects', async () => {
    net = await topology(['a', 'b'], [['a', 'b']], (id) =>
      id === 'a' ? { nodes: ['n'], authorize: (_p, m: CtpMessage) => m.t !== 'POST' } : {},
    );
    const dropped = record<{ reason: string }>(net.router('a'), 'dropped');
    await net.router('a').register('n', 'monitor');
    expect(net.router('b').post('n', 'x')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    expect(dropped.map((d) => d.reason)).toEqual(['unauthorized']);
    expect(net.events('a')).toEqual([]);
    expect(net.router('a').stats().dropped.unauthorized).toBe(1);
  });
});

describe('timers', () => {
  it('close() leaves no timer behind', async () => {
    vi.useFakeTimers();
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1'], app: 'silent' } : {},
    );
    const c = net.router('c');
    const reg = c.register('cam1', 'controller');
    await net.settle();
    expect((await reg).code).toBe('SUCCESS');
    const pending = c.command('cam1', 'x', 1);
    net.unlink('h', 'c'); // lease timers on both sides, a stale-advert timer
    await net.settle();
    expect(await pending).toEqual({ code: 'NODE_UNFOUND' });
    net
      .router('h')
      .receive(
        { local: 'h', remote: 'zz', link: 99 },
        JSON.stringify({ v: 1, t: 'REGISTER', id: 1, node: 'cam1', monitor: 'monitor[cam1]@zz' }),
      );
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await net.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
