/**
 * Every request method × every outcome of SPEC.md section 5, each return code
 * reached for real through routers on the in-memory network.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError, CtpRouter } from '../src/index.js';
import type { CtpMessage } from '../src/base/messages.js';
import { line, record, topology, type TestNet } from './helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/** host `h` (node cam1) — `c` (client) — `o` (other client), all in a line h-c? no: a star around h. */
async function star(opts: Parameters<typeof topology>[2] = () => ({})) {
  net = await topology(
    ['h', 'c', 'o'],
    [
      ['h', 'c'],
      ['h', 'o'],
    ],
    (id) => ({ ...(id === 'h' ? { nodes: ['cam1'] } : {}), ...opts(id) }),
  );
  return { h: net.router('h'), c: net.router('c'), o: net.router('o'), net };
}

describe('register', () => {
  it('SUCCESS: records the registration, advertises the virtual node, emits registered', async () => {
    const { h, c } = await star();
    const registered = record(c, 'registered');
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(registered).toEqual([
      { node: 'cam1', type: 'controller', virtualNode: 'controller[cam1]@c', host: 'h' },
    ]);
    await net!.settle();
    expect(h.nodes()).toContain('controller[cam1]@c');
    expect(h.snapshot().nodes.cam1?.controller).toBe('controller[cam1]@c');
    expect(c.snapshot().registrations).toEqual([
      { node: 'cam1', type: 'controller', virtualNode: 'controller[cam1]@c', host: 'h' },
    ]);
  });

  it('NODE_UNFOUND for an unknown node', async () => {
    const { c } = await star();
    expect(await c.register('nope', 'monitor')).toEqual({ code: 'NODE_UNFOUND' });
  });

  it('ERROR (reason conflict) when two routers host the name', async () => {
    const { c, o } = await star();
    o.appendNodes('cam1');
    await net!.settle();
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'ERROR', reason: 'conflict' });
  });

  it('ALREADY_ASSIGNED when this router holds it already', async () => {
    const { c } = await star();
    expect((await c.register('cam1', 'monitor')).code).toBe('SUCCESS');
    expect(await c.register('cam1', 'monitor')).toEqual({ code: 'ALREADY_ASSIGNED' });
  });

  it('ALREADY_ASSIGNED from the host when another router controls the node', async () => {
    const { c, o } = await star();
    expect((await o.register('cam1', 'controller')).code).toBe('SUCCESS');
    await net!.settle();
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'ALREADY_ASSIGNED' });
    await net!.settle();
    expect(c.nodes()).not.toContain('controller[cam1]@c'); // the virtual node is removed again
  });

  it('ALREADY_ASSIGNED at once for a local node that has a controller', async () => {
    const { h, c } = await star();
    expect((await c.register('cam1', 'controller')).code).toBe('SUCCESS');
    await net!.settle();
    const sentBefore = net!.sent;
    expect(await h.register('cam1', 'controller')).toEqual({ code: 'ALREADY_ASSIGNED' });
    expect(net!.sent).toBe(sentBefore);
  });

  it('a host can register on its own local node (in-process path)', async () => {
    const { h } = await star();
    expect(await h.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(await h.command('cam1', 'app', 1)).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND', app: 'app' },
    });
  });

  it('IN_PROGRESS while a request for the node is in flight; queue waits its turn', async () => {
    const { c } = await star();
    const first = c.register('cam1', 'controller');
    expect(await c.register('cam1', 'monitor')).toEqual({ code: 'IN_PROGRESS' });
    const queued = c.register('cam1', 'monitor', { queue: true });
    expect((await first).code).toBe('SUCCESS');
    expect((await queued).code).toBe('SUCCESS');
  });

  it('TIMEOUT when the host never answers; the virtual node is removed; timeout is emitted', async () => {
    const { c } = await star((id) =>
      id === 'h' ? { authorize: (_p, m: CtpMessage) => m.t !== 'REGISTER' } : {},
    );
    const timeouts = record(c, 'timeout');
    expect(await c.register('cam1', 'controller', { timeoutMs: 30 })).toEqual({ code: 'TIMEOUT' });
    expect(timeouts).toEqual([{ node: 'cam1', op: 'register', id: expect.any(Number) }]);
    await net!.settle();
    expect(c.nodes()).toEqual(['cam1']);
    expect(c.stats().pending).toBe(0);
  });

  it('ERROR (reason too-many-nodes) when the virtual node would not fit the own advert', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1'] } : { nodes: ['x'], maxNodesPerAdvert: 1 },
    );
    expect(await net.router('c').register('cam1', 'monitor')).toEqual({
      code: 'ERROR',
      reason: 'too-many-nodes',
    });
  });

  it('rejects with the signal reason when aborted, and frees the slot', async () => {
    const { c } = await star((id) =>
      id === 'h' ? { authorize: (_p, m: CtpMessage) => m.t !== 'REGISTER' } : {},
    );
    const ac = new AbortController();
    const p = c.register('cam1', 'controller', { signal: ac.signal });
    ac.abort(new Error('changed my mind'));
    await expect(p).rejects.toThrow('changed my mind');
    const pre = new AbortController();
    pre.abort('already');
    await expect(c.register('cam1', 'controller', { signal: pre.signal })).rejects.toBe('already');
    expect(c.stats().pending).toBe(0);
    await net!.settle();
    expect(c.nodes()).toEqual(['cam1']);
  });

  it('rejects CtpArgumentError for misuse, never throws synchronously', async () => {
    const { c } = await star();
    const bad = [
      () => c.register('', 'controller'),
      () => c.register('x'.repeat(257), 'controller'),
      () => c.register('a\nb', 'controller'),
      () => c.register('controller[cam1]@c', 'controller'),
      () => c.register('cam1', 'owner' as never),
      () => c.register(42 as never, 'monitor'),
      () => c.register('cam1', 'monitor', { timeoutMs: -1 }),
      () => c.register('cam1', 'monitor', { queue: 'yes' as never }),
      () => c.register('cam1', 'monitor', { signal: {} as never }),
    ];
    for (const call of bad) {
      let p: Promise<unknown> | undefined;
      expect(() => {
        p = call();
      }).not.toThrow();
      await expect(p).rejects.toBeInstanceOf(CtpArgumentError);
      await expect(p).rejects.toMatchObject({ code: 'ERR_CTP_INVALID_ARG' });
    }
  });
});

describe('unregister', () => {
  it('SUCCESS: forgets the registration, removes the virtual node, emits unregistered', async () => {
    const { h, c } = await star();
    await c.register('cam1', 'controller');
    const events = record(c, 'unregistered');
    expect(await c.unregister('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(events).toEqual([{ node: 'cam1', type: 'controller', code: 'SUCCESS' }]);
    await net!.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBeUndefined();
    expect(h.nodes()).toEqual(['cam1']);
    expect(await c.command('cam1', 'a', 1)).toEqual({ code: 'NOT_ASSIGNED' });
  });

  it('NODE_UNFOUND for an unknown node, NOT_ASSIGNED when not held', async () => {
    const { c } = await star();
    expect(await c.unregister('nope', 'controller')).toEqual({ code: 'NODE_UNFOUND' });
    expect(await c.unregister('cam1', 'monitor')).toEqual({ code: 'NOT_ASSIGNED' });
  });

  it('IN_PROGRESS while another request for the node is in flight', async () => {
    const { c } = await star((id) => (id === 'h' ? { app: 'silent' } : {}));
    await c.register('cam1', 'controller');
    const cmd = c.command('cam1', 'a', 1, { timeoutMs: 50 });
    expect(await c.unregister('cam1', 'controller')).toEqual({ code: 'IN_PROGRESS' });
    expect((await cmd).code).toBe('TIMEOUT');
  });

  it('NOT_ASSIGNED from the host (it had released us): the caller emits lost', async () => {
    // The host releases after the default grace; the client is patient (a grace past the host's, so it
    // still holds the registration) and its refresh is refused by authorize.
    const { h, c } = await star((id) =>
      id === 'h'
        ? { authorize: (_p, m: CtpMessage) => !(m.t === 'REGISTER' && m.refresh === true) }
        : // and the host's release notice (a RESPONSE without `re`) is refused too, so the client still believes
          {
            leaseGraceMs: 60_000,
            authorize: (_p, m: CtpMessage) => !(m.t === 'RESPONSE' && m.re === undefined),
          },
    );
    await c.register('cam1', 'controller');
    await net!.settle();
    const released = record(h, 'released');
    net!.unlink('h', 'c');
    await net!.advance(5000); // the host's leaseGraceMs (the default)
    expect(released).toEqual([
      { node: 'cam1', type: 'controller', registrant: 'controller[cam1]@c' },
    ]);
    net!.link('h', 'c');
    await net!.settle();
    const lost = record(c, 'lost');
    expect(await c.unregister('cam1', 'controller')).toEqual({ code: 'NOT_ASSIGNED' });
    expect(lost).toEqual([
      { node: 'cam1', type: 'controller', reason: 'refused', code: 'NOT_ASSIGNED' },
    ]);
    expect(c.snapshot().registrations).toEqual([]);
  });
});

describe('start / stop / command', () => {
  it('SUCCESS with the host app content, for each of start, stop and command', async () => {
    const { h, c } = await star();
    await c.register('cam1', 'controller');
    expect(await c.start('cam1', 'rec', { fps: 30 })).toEqual({
      code: 'SUCCESS',
      content: { echo: 'START', app: 'rec' },
    });
    expect(await c.command('cam1', 'pan', { deg: 30 })).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND', app: 'pan' },
    });
    expect(await c.stop('cam1', 'rec')).toEqual({
      code: 'SUCCESS',
      content: { echo: 'STOP', app: 'rec' },
    });
    const seen = net!
      .controls('h')
      .map((x) => [
        x.name,
        x.msg.app,
        'optionals' in x.msg ? x.msg.optionals : (x.msg as { content?: unknown }).content,
      ]);
    expect(seen).toEqual([
      ['START', 'rec', { fps: 30 }],
      ['COMMAND', 'pan', { deg: 30 }],
      ['STOP', 'rec', undefined],
    ]);
    expect(h.stats().pending).toBe(0);
  });

  it('the host app chooses the code and content', async () => {
    const { c } = await star((id) =>
      id === 'h' ? { app: (_n, m, r) => r.respond(m.node, 'busy', 'REJECTED') } : {},
    );
    await c.register('cam1', 'controller');
    const lost = record(c, 'lost');
    expect(await c.command('cam1', 'x', null)).toEqual({ code: 'REJECTED', content: 'busy' });
    // SPEC.md section 5: a REJECTED answer means the registration is gone, whoever chose it
    // (the README tells host apps to answer app-level refusals with ERROR).
    expect(lost).toEqual([
      { node: 'cam1', type: 'controller', reason: 'refused', code: 'REJECTED' },
    ]);
  });

  it('NODE_UNFOUND for an unknown node, NOT_ASSIGNED without a registration', async () => {
    const { c } = await star();
    expect(await c.start('nope', 'a')).toEqual({ code: 'NODE_UNFOUND' });
    expect(await c.stop('cam1', 'a')).toEqual({ code: 'NOT_ASSIGNED' });
    await c.register('cam1', 'monitor');
    expect(await c.command('cam1', 'a', 1)).toEqual({ code: 'NOT_ASSIGNED' }); // a monitor does not control
  });

  it('IN_PROGRESS, and TIMEOUT when the host app never answers', async () => {
    const { c } = await star((id) => (id === 'h' ? { app: 'silent' } : {}));
    await c.register('cam1', 'controller');
    const first = c.command('cam1', 'a', 1, { timeoutMs: 40 });
    expect(await c.command('cam1', 'a', 2)).toEqual({ code: 'IN_PROGRESS' });
    expect(await first).toEqual({ code: 'TIMEOUT' });
  });

  it('a late answer never resolves the next request (stale)', async () => {
    let last: { node: string } | undefined;
    const { h, c } = await star((id) => (id === 'h' ? { app: (_n, m) => (last = m) } : {}));
    await c.register('cam1', 'controller');
    expect((await c.command('cam1', 'a', 1, { timeoutMs: 20 })).code).toBe('TIMEOUT');
    const second = c.command('cam1', 'a', 2);
    await net!.settle();
    // the host answers the open request, which is the second one
    expect(h.respond(last!.node, 'for-2')).toEqual({ code: 'SUCCESS' });
    expect(await second).toEqual({ code: 'SUCCESS', content: 'for-2' });
  });

  it('ERROR (host-callback-failed) when the host app throws; error is emitted at the host', async () => {
    const { h, c } = await star((id) => (id === 'h' ? { app: 'throw' } : {}));
    const errors = record<Error>(h, 'error');
    await c.register('cam1', 'controller');
    expect(await c.command('cam1', 'a', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('host app failure');
  });

  it('REJECTED from the host when another router took control: the caller emits lost', async () => {
    // As above: the host releases after the default grace, the client (a grace past the host's) still holds on.
    const { h, c, o } = await star((id) =>
      id === 'h'
        ? { authorize: (_p, m: CtpMessage) => !(m.t === 'REGISTER' && m.refresh === true) }
        : // and the host's release notice (a RESPONSE without `re`) is refused too, so the client still believes
          {
            leaseGraceMs: 60_000,
            authorize: (_p, m: CtpMessage) => !(m.t === 'RESPONSE' && m.re === undefined),
          },
    );
    await c.register('cam1', 'controller');
    const released = record(h, 'released');
    net!.unlink('h', 'c');
    await net!.advance(5000); // the host's leaseGraceMs (the default)
    expect(released).toEqual([
      { node: 'cam1', type: 'controller', registrant: 'controller[cam1]@c' },
    ]);
    expect((await o.register('cam1', 'controller')).code).toBe('SUCCESS');
    net!.link('h', 'c');
    await net!.settle();
    const lost = record(c, 'lost');
    expect(await c.command('cam1', 'a', 1)).toEqual({ code: 'REJECTED' });
    expect(lost).toEqual([
      { node: 'cam1', type: 'controller', reason: 'refused', code: 'REJECTED' },
    ]);
    expect(await c.command('cam1', 'a', 1)).toEqual({ code: 'NOT_ASSIGNED' });
    expect(h.snapshot().nodes.cam1?.controller).toBe('controller[cam1]@o');
  });

  it('misuse rejects: bad app, optionals or content', async () => {
    const { c } = await star();
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    await expect(c.start('cam1', 5 as never)).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.start('cam1', 'a', [] as never)).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.command('cam1', 'a', 10n)).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.command('cam1', 'a', cyc)).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.command('cam1', 'a', () => 1)).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.command('cam1', 'a', { n: Number.NaN })).rejects.toBeInstanceOf(
      CtpArgumentError,
    );
  });
});

describe('respond', () => {
  it('NODE_UNFOUND, REJECTED, NOT_ASSIGNED, ERROR no-open-request, SUCCESS', async () => {
    const { h, c } = await star((id) => (id === 'h' ? { app: 'silent' } : {}));
    expect(h.respond('nope')).toEqual({ code: 'NODE_UNFOUND' });
    expect(c.respond('cam1')).toEqual({ code: 'REJECTED' });
    expect(h.respond('cam1')).toEqual({ code: 'NOT_ASSIGNED' });
    await c.register('cam1', 'controller');
    const sent = net!.sent;
    expect(h.respond('cam1', 'x')).toEqual({ code: 'ERROR', reason: 'no-open-request' });
    expect(net!.sent).toBe(sent); // nothing sent
    const p = c.command('cam1', 'a', 1);
    await net!.settle();
    expect(h.respond('cam1', { done: true }, 'SUCCESS')).toEqual({ code: 'SUCCESS' });
    expect(await p).toEqual({ code: 'SUCCESS', content: { done: true } });
    expect(h.respond('cam1')).toEqual({ code: 'ERROR', reason: 'no-open-request' });
    expect(() => h.respond('cam1', undefined, 'MAYBE' as never)).toThrow(CtpArgumentError);
  });
});

describe('post and publish', () => {
  it('publish: NODE_UNFOUND, REJECTED, NOT_ASSIGNED, SUCCESS; events reach monitors without a controller', async () => {
    const { h, c, o } = await star();
    expect(h.publish('nope', 1)).toEqual({ code: 'NODE_UNFOUND' });
    expect(c.publish('cam1', 1)).toEqual({ code: 'REJECTED' });
    expect(h.publish('cam1', 1)).toEqual({ code: 'NOT_ASSIGNED' });
    await o.register('cam1', 'monitor');
    expect(h.publish('cam1', { frame: 1 })).toEqual({ code: 'SUCCESS' });
    await c.register('cam1', 'controller');
    expect(h.publish('cam1', { frame: 2 })).toEqual({ code: 'SUCCESS' });
    await net!.settle();
    expect(net!.events('o').map((e) => e.content)).toEqual([{ frame: 1 }, { frame: 2 }]);
    expect(net!.events('c').map((e) => [e.monitor, e.content])).toEqual([
      ['controller[cam1]@c', { frame: 2 }],
    ]);
    expect(() => h.publish('cam1', undefined)).toThrow(CtpArgumentError);
  });

  it('post: NODE_UNFOUND, ERROR conflict, SUCCESS routed to the host and published', async () => {
    const { c, o } = await star();
    expect(c.post('nope', 1)).toEqual({ code: 'NODE_UNFOUND' });
    await o.register('cam1', 'monitor');
    expect(c.post('cam1', 'from c')).toEqual({ code: 'SUCCESS' });
    await net!.settle();
    expect(net!.events('o').map((e) => e.content)).toEqual(['from c']);
    c.appendNodes('cam1');
    await net!.settle();
    expect(o.post('cam1', 1)).toEqual({ code: 'ERROR', reason: 'conflict' });
  });
});

describe('appendNodes / removeNodes', () => {
  it('all or none; refuse virtual names; removeNodes ignores names that are not local', async () => {
    const updates: string[][] = [];
    const sent: unknown[] = [];
    const r = new CtpRouter(
      () => {},
      (p, f) => void sent.push([p, f]),
      (n) => updates.push(n),
      { id: 'r' },
    );
    r.appendNodes(['a', 'b']);
    expect(() => r.appendNodes(['c', ''])).toThrow(CtpArgumentError);
    expect(() => r.appendNodes(['c', 'monitor[a]@x'])).toThrow(CtpArgumentError);
    expect(() => r.removeNodes(['controller[a]@r'])).toThrow(CtpArgumentError);
    expect(r.nodes()).toEqual(['a', 'b']);
    r.removeNodes(['b', 'not-here']);
    expect(r.nodes()).toEqual(['a']);
    expect(updates).toEqual([['a', 'b'], ['a']]);
    expect(
      () =>
        new CtpRouter(
          () => {},
          () => {},
          () => {},
          { nodes: ['x', 'y'], maxNodesPerAdvert: 1 },
        ),
    ).toThrow(CtpArgumentError);
    const small = new CtpRouter(
      () => {},
      () => {},
      () => {},
      { maxNodesPerAdvert: 2 },
    );
    small.appendNodes(['1', '2']);
    expect(() => small.appendNodes('3')).toThrow(/too-many-nodes/);
    await r.close();
    expect(() => r.appendNodes('z')).toThrow(expect.objectContaining({ code: 'ERR_CTP_CLOSED' }));
    await expect(r.register('a', 'monitor')).rejects.toMatchObject({ code: 'ERR_CTP_CLOSED' });
    // A closed router ignores frames and peers: a malformed frame is not even
    // dropped (no event, no count), a table is not learnt, nothing is sent.
    const dropped = record(r as never, 'dropped');
    const errors = record(r as never, 'error');
    const statsBefore = r.stats();
    const sentBefore = sent.length;
    r.receive({}, '{}');
    r.receive(
      {},
      JSON.stringify({
        v: 1,
        t: 'REPORTNODE',
        from: 'x',
        adverts: [{ origin: 'x', seq: 1, nodes: ['nx'], neighbors: ['r'] }],
      }),
    );
    r.peerUp({});
    expect(dropped).toEqual([]);
    expect(errors).toEqual([]);
    expect(r.stats()).toEqual(statsBefore);
    expect(r.nodes()).toEqual(['a']);
    expect(sent.length).toBe(sentBefore);
    expect(updates).toEqual([['a', 'b'], ['a']]);
  });

  it('an open router counts and reports the same malformed frame (what the closed one must not do)', () => {
    const r = new CtpRouter(
      () => {},
      () => {},
      () => {},
      { id: 'r' },
    );
    const dropped = record<{ reason: string }>(r as never, 'dropped');
    r.receive({}, '{}');
    expect(dropped.map((d) => d.reason)).toEqual(['malformed']);
    expect(r.stats()).toMatchObject({ framesIn: 1, dropped: { malformed: 1 } });
    void r.close();
  });

  it('the constructor sends nothing and validates its arguments', () => {
    const sent: unknown[] = [];
    new CtpRouter(
      () => {},
      (p, f) => sent.push([p, f]),
      () => {},
      { id: 'quiet', nodes: ['n'] },
    );
    expect(sent).toEqual([]);
    expect(
      () =>
        new CtpRouter(
          null as never,
          () => {},
          () => {},
        ),
    ).toThrow(CtpArgumentError);
    expect(
      () =>
        new CtpRouter(
          () => {},
          () => {},
          () => {},
          { id: 'bad id' },
        ),
    ).toThrow(CtpArgumentError);
    expect(
      () =>
        new CtpRouter(
          () => {},
          () => {},
          () => {},
          { responseTimeoutMs: 0 },
        ),
    ).toThrow(CtpArgumentError);
    expect(
      () =>
        new CtpRouter(
          () => {},
          () => {},
          () => {},
          { codec: {} as never },
        ),
    ).toThrow(CtpArgumentError);
  });
});

describe('close', () => {
  it('resolves every pending request with ERROR (reason closed), queued ones too', async () => {
    const { c } = await star((id) => (id === 'h' ? { app: 'silent' } : {}));
    await c.register('cam1', 'controller');
    const inflight = c.command('cam1', 'a', 1);
    const queued = c.command('cam1', 'a', 2, { queue: true });
    await net!.settle();
    await c.close();
    expect(await inflight).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(await queued).toEqual({ code: 'ERROR', reason: 'closed' });
    expect(c.stats().pending).toBe(0);
  });
});

describe('multi-hop', () => {
  it('request, response and events travel through two routers (line of 4)', async () => {
    net = await topology(['h', 'm1', 'm2', 'c'], line(['h', 'm1', 'm2', 'c']), (id) =>
      id === 'h' ? { nodes: ['cam1'] } : {},
    );
    const c = net.router('c');
    expect(await c.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(await c.command('cam1', 'pan', 1)).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND', app: 'pan' },
    });
    net.router('h').publish('cam1', 'ev');
    await net.settle();
    expect(net.events('c').map((e) => e.content)).toEqual(['ev']);
    // REGISTER, its RESPONSE, COMMAND, its RESPONSE and the EVENT each pass m1 and m2 once,
    // and nothing is dropped on the way.
    for (const id of ['m1', 'm2']) {
      expect(net.router(id).stats().forwarded, id).toBe(5);
      expect(net.router(id).stats().dropped, id).toEqual({});
    }
    expect(c.stats().pending).toBe(0);
    expect(net.router('h').stats().pending).toBe(0);
  });
});
