/**
 * Issue 10, the core: request deadlines (`ttl`, `expired`, stalls), lock
 * timeouts (`idleTimeoutMs`, `maxControlIdleMs`), the monitor cap, the table
 * budget (`table-full`) and advert pacing (`minAdvertIntervalMs`). Time is
 * the virtual clock of the simulator, injected through the clock seam.
 */
import { describe, expect, it } from 'vitest';
import { decode, encode, jsonCodec, withHopsAndTtl } from '../src/wire/codec.js';
import { CtpArgumentError, CtpDecodeError } from '../src/base/errors.js';
import { STALL_RESIDUAL_MS, STALL_TICK_MS } from '../src/base/deadline.js';
import { CtpRouter } from '../src/router.js';
import { CtpTestNetwork } from '../src/testing/index.js';
import { VirtualClock } from './sim/clock.js';
import { wired } from './wire.js';

/** Run the clock's timers for `ms` of virtual time. */
function advance(c: VirtualClock, ms: number): void {
  const until = c.now + ms;
  for (let at = c.nextAt(); at !== undefined && at <= until; at = c.nextAt()) c.runNext();
  c.now = until;
}

/** A frozen process: time passes, no timer runs. */
function stall(c: VirtualClock, ms: number): void {
  c.now += ms;
}

const drain = (): Promise<void> => new Promise((r) => setImmediate(r));
const report = (from: string, adverts: unknown[]) => ({ v: 1, t: 'REPORTNODE', from, adverts });
const command = (id: number, ttl?: number, content: unknown = id) => ({
  v: 1,
  t: 'COMMAND',
  id,
  node: 'cam',
  controller: 'controller[cam]@x',
  app: 'a',
  content,
  ...(ttl === undefined ? {} : { ttl }),
});

/** A host `r` of `cam` whose controller is `controller[cam]@x` (peer `p`). */
function hostWithController(c: VirtualClock, options: Record<string, unknown> = {}) {
  const w = wired({ nodes: ['cam'], clock: c.ctp(), ...options });
  w.neighbor('p', 'x', ['controller[cam]@x']);
  w.feed('p', { v: 1, t: 'REGISTER', id: 100, node: 'cam', controller: 'controller[cam]@x' });
  w.clear();
  return w;
}

describe('codec: ttl and idleTimeoutMs', () => {
  const base = { v: 1, id: 1, node: 'n', controller: 'controller[n]@c', app: 'a' };
  it('accepts a non-negative safe integer ttl on START, STOP and COMMAND', () => {
    for (const ttl of [0, 1, 120_000, Number.MAX_SAFE_INTEGER]) {
      expect(decode(JSON.stringify({ ...base, t: 'START', ttl }))).toMatchObject({ ttl });
      expect(decode(JSON.stringify({ ...base, t: 'STOP', ttl }))).toMatchObject({ ttl });
      expect(decode(JSON.stringify({ ...base, t: 'COMMAND', content: 1, ttl }))).toMatchObject({
        ttl,
      });
    }
  });
  it('refuses a bad ttl as malformed', () => {
    for (const ttl of [-1, 1.5, '5', null, true, 2 ** 53, {}]) {
      for (const t of ['START', 'STOP', 'COMMAND']) {
        const frame = JSON.stringify({ ...base, t, content: 1, ttl });
        expect(() => decode(frame), `${t} ttl ${JSON.stringify(ttl)}`).toThrow(CtpDecodeError);
        try {
          decode(frame);
        } catch (err) {
          expect((err as CtpDecodeError).reason).toBe('malformed');
        }
      }
    }
  });
  it('checks idleTimeoutMs on REGISTER: a positive safe integer', () => {
    const reg = { v: 1, t: 'REGISTER', id: 1, node: 'n', controller: 'controller[n]@c' };
    expect(decode(JSON.stringify({ ...reg, idleTimeoutMs: 5000 }))).toMatchObject({
      idleTimeoutMs: 5000,
    });
    for (const bad of [0, -5, 1.5, '5000', null])
      expect(() => decode(JSON.stringify({ ...reg, idleTimeoutMs: bad }))).toThrow(CtpDecodeError);
  });
  it('patches ttl and hops into the text exactly as re-encoding would, or declines', () => {
    const msg = decode(JSON.stringify({ ...base, t: 'COMMAND', content: { x: 1 }, ttl: 5000 }));
    const frame = encode(msg);
    const patched = withHopsAndTtl(frame, undefined, 1, 5000, 3800);
    expect(patched).toBe(encode({ ...msg, ttl: 3800, hops: 1 } as never));
    expect(JSON.parse(patched as string)).toEqual({ ...msg, ttl: 3800, hops: 1 });
    expect(jsonCodec.forward?.(frame, msg, 1, 3800)).toBe(patched);
    // "ttl" spelled twice (here inside content): it cannot tell which one, so the router re-encodes.
    const twice = encode(
      decode(JSON.stringify({ ...base, t: 'COMMAND', content: '"ttl"', ttl: 5 })),
    );
    expect(withHopsAndTtl(twice, undefined, 1, 5, 4)).toBeUndefined();
    // ttl unchanged: hops only.
    expect(withHopsAndTtl(frame, undefined, 1, 5000, 5000)).toBe(`${frame.slice(0, -1)},"hops":1}`);
  });
});

describe('request deadlines', () => {
  it('a caller sends its remaining time as ttl', async () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp() });
    w.neighbor('p', 'h', ['cam']);
    const reg = w.router.register('cam', 'controller');
    await drain();
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
    void w.router.command('cam', 'pan', 1, { timeoutMs: 1500 });
    void w.router.start('cam', 'rec', undefined, { queue: true, timeoutMs: 900 });
    await drain();
    expect(w.of('COMMAND', 'p')[0]).toMatchObject({ ttl: 1500 });
    advance(c, 1500);
    await drain();
    // The queued START waited its turn: it sends what is left of its 900 ms… none: TIMEOUT, nothing sent.
    expect(w.of('START', 'p')).toEqual([]);
    void w.router.close();
  });

  it('the host drops a request whose ttl ran out (expired) and hands the rest to its app; no ttl, no deadline', () => {
    const c = new VirtualClock();
    const w = hostWithController(c);
    w.feed('p', command(1, 1000));
    w.feed('p', command(2, 0));
    w.feed('p', command(3));
    expect(w.received.map((r) => (r.msg as { content: unknown }).content)).toEqual([1, 3]);
    expect(w.dropped.map((d) => d.reason)).toEqual(['expired']);
    expect(w.router.stats().dropped).toMatchObject({ expired: 1 });
    // No answer to an expired request: its caller has given up.
    expect(w.of('RESPONSE').filter((m) => m.re === 2)).toEqual([]);
    void w.router.close();
  });

  it('a stall of the host process counts against the frames that waited through it', () => {
    const c = new VirtualClock();
    const w = hostWithController(c);
    advance(c, 1000); // the stall meter ticks on time
    stall(c, 3000); // frozen: frames wait in the socket, no timer runs
    w.feed('p', command(1, 2500)); // its caller gave up while the host was frozen
    w.feed('p', command(2, 10_000));
    w.feed('p', command(3)); // a plain peer's frame: no deadline
    expect(w.received.map((r) => (r.msg as { content: unknown }).content)).toEqual([2, 3]);
    expect(w.dropped.map((d) => d.reason)).toEqual(['expired']);
    // The overdue tick runs now (late): frames until the next punctual tick are still charged.
    c.runNext();
    w.feed('p', command(4, 2500));
    expect(w.dropped.map((d) => d.reason)).toEqual(['expired', 'expired']);
    // Once the tick runs on time again, nothing is charged.
    advance(c, STALL_TICK_MS);
    w.feed('p', command(5, 50));
    expect(w.received.map((r) => (r.msg as { content: unknown }).content)).toEqual([2, 3, 5]);
    void w.router.close();
  });

  it('a stall shorter than the residual goes unseen; a longer one is seen', () => {
    const c = new VirtualClock();
    const w = hostWithController(c);
    advance(c, 1000);
    stall(c, STALL_RESIDUAL_MS - STALL_TICK_MS); // within one tick plus the slack: not a stall
    w.feed('p', command(1, 10));
    stall(c, STALL_RESIDUAL_MS);
    w.feed('p', command(2, 10));
    expect(w.received.map((r) => (r.msg as { content: unknown }).content)).toEqual([1]);
    void w.router.close();
  });

  it('a forwarding router subtracts its residence (a stall) from ttl, and drops what expires on its way', () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp() });
    w.neighbor('p', 'x', ['controller[cam]@x']);
    w.neighbor('q', 'h', ['cam']);
    advance(c, 1000);
    w.clear();
    const cmd = { ...command(1, 5000), to: 'h' };
    w.feed('p', cmd);
    expect(w.of('COMMAND', 'q')).toEqual([{ ...cmd, hops: 1 }]); // no stall: only hops changes
    stall(c, 1200);
    w.feed('p', { ...cmd, id: 2 });
    const fwd = w.of('COMMAND', 'q')[1] as { ttl: number; hops: number };
    // Charged the time since the last tick before the stall: at least the stall.
    expect(fwd.hops).toBe(1);
    expect(fwd.ttl).toBeLessThanOrEqual(5000 - 1200);
    expect(fwd.ttl).toBeGreaterThanOrEqual(5000 - 1200 - STALL_RESIDUAL_MS);
    w.feed('p', { ...cmd, id: 3, ttl: 1000 });
    expect(w.of('COMMAND', 'q')).toHaveLength(2);
    expect(w.dropped.map((d) => d.reason)).toEqual(['expired']);
    void w.router.close();
  });

  it('a codec whose forward hook takes three parameters gets frames with a changed ttl re-encoded', () => {
    const c = new VirtualClock();
    const calls: number[] = [];
    const codec = {
      ...jsonCodec,
      forward: (frame: string, msg: never, hops: number) => (
        calls.push(hops),
        jsonCodec.forward?.(frame, msg, hops)
      ),
    };
    const w = wired({ clock: c.ctp(), codec });
    w.neighbor('p', 'x', ['controller[cam]@x']);
    w.neighbor('q', 'h', ['cam']);
    advance(c, 1000);
    w.clear();
    stall(c, 1000);
    w.feed('p', { ...command(1, 5000), to: 'h' });
    expect(calls).toEqual([]);
    expect((w.of('COMMAND', 'q')[0] as { ttl: number }).ttl).toBeLessThanOrEqual(4000);
    void w.router.close();
  });
});

describe('lock timeouts', () => {
  it('the host releases an idle controller (released, reason idle) and tells it; activity keeps it', () => {
    const c = new VirtualClock();
    const w = wired({ nodes: ['cam'], clock: c.ctp() });
    const released: unknown[] = [];
    w.router.on('released', (e) => released.push(e));
    w.neighbor('p', 'x', ['controller[cam]@x']);
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 1,
      node: 'cam',
      controller: 'controller[cam]@x',
      idleTimeoutMs: 1000,
    });
    expect(w.of('RESPONSE', 'p')).toEqual([
      {
        v: 1,
        t: 'RESPONSE',
        node: 'cam',
        controller: 'controller[cam]@x',
        code: 'SUCCESS',
        re: 1,
        content: { idleTimeoutMs: 1000 },
      },
    ]);
    advance(c, 900);
    w.feed('p', command(2, 5000)); // activity: the idle time starts again
    advance(c, 900);
    // A refresh is not activity, and keeps the timeout it was registered with.
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 3,
      node: 'cam',
      controller: 'controller[cam]@x',
      refresh: true,
      idleTimeoutMs: 60_000,
    });
    expect(released).toEqual([]);
    w.clear();
    advance(c, 100);
    expect(released).toEqual([
      { node: 'cam', type: 'controller', registrant: 'controller[cam]@x', reason: 'idle' },
    ]);
    expect(w.router.snapshot().nodes.cam?.controller).toBeUndefined();
    expect(w.of('RESPONSE', 'p')).toEqual([
      {
        v: 1,
        t: 'RESPONSE',
        node: 'cam',
        controller: 'controller[cam]@x',
        code: 'NOT_ASSIGNED',
        reason: 'idle',
        content: { host: 'r' },
      },
    ]);
    void w.router.close();
  });

  it('maxControlIdleMs caps a requested timeout and gives one to a controller that asked for none', () => {
    const c = new VirtualClock();
    const w = wired({ nodes: ['cam', 'mic'], clock: c.ctp(), maxControlIdleMs: 2000 });
    const released: { node: string }[] = [];
    w.router.on('released', (e) => released.push(e));
    w.neighbor('p', 'x', ['controller[cam]@x', 'controller[mic]@x']);
    w.feed('p', { v: 1, t: 'REGISTER', id: 1, node: 'cam', controller: 'controller[cam]@x' });
    w.feed('p', {
      v: 1,
      t: 'REGISTER',
      id: 2,
      node: 'mic',
      controller: 'controller[mic]@x',
      idleTimeoutMs: 600_000,
    });
    expect(w.of('RESPONSE', 'p').map((m) => m.content)).toEqual([
      { idleTimeoutMs: 2000 },
      { idleTimeoutMs: 2000 },
    ]);
    advance(c, 1999);
    expect(released).toEqual([]);
    advance(c, 1);
    expect(released.map((e) => e.node).sort()).toEqual(['cam', 'mic']);
    void w.router.close();
  });

  it('a registrant asks for idleTimeoutMs, keeps it in refreshes, and loses control (reason idle) on the notice', async () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp() });
    const lost: unknown[] = [];
    w.router.on('lost', (e) => lost.push(e));
    w.neighbor('p', 'h', ['cam']);
    const reg = w.router.register('cam', 'controller', { idleTimeoutMs: 5000 });
    await drain();
    const sent = w.of('REGISTER', 'p')[0] as { id: number; idleTimeoutMs: number };
    expect(sent.idleTimeoutMs).toBe(5000);
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r',
      code: 'SUCCESS',
      re: sent.id,
      content: { idleTimeoutMs: 5000 },
    });
    expect(await reg).toEqual({ code: 'SUCCESS', content: { idleTimeoutMs: 5000 } });
    // A gap and a return: the refresh carries the timeout again.
    w.neighbor('p', 'h', [], 2);
    w.neighbor('p', 'h', ['cam'], 3);
    advance(c, 500); // h's third advert in a row waits out its pacing interval
    expect(w.of('REGISTER', 'p').at(-1)).toMatchObject({ refresh: true, idleTimeoutMs: 5000 });
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r',
      code: 'NOT_ASSIGNED',
      reason: 'idle',
      content: { host: 'h' },
    });
    expect(lost).toEqual([
      { node: 'cam', type: 'controller', reason: 'idle', code: 'NOT_ASSIGNED' },
    ]);
    expect(w.router.snapshot().registrations).toEqual([]);
    void w.router.close();
  });

  it('a registrant whose notice was lost ends the registration itself after the timeout and the grace', async () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp() });
    const lost: unknown[] = [];
    w.router.on('lost', (e) => lost.push(e));
    w.neighbor('p', 'h', ['cam']);
    const reg = w.router.register('cam', 'controller', { idleTimeoutMs: 5000 });
    await drain();
    const id = (w.of('REGISTER', 'p')[0] as { id: number }).id;
    // A host that capped it: the registrant watches the timeout the host applied.
    w.feed('p', {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r',
      code: 'SUCCESS',
      re: id,
      content: { idleTimeoutMs: 1000 },
    });
    await reg;
    advance(c, 900);
    void w.router.command('cam', 'pan', 1, { timeoutMs: 100 }); // activity
    await drain();
    advance(c, 1000 + 4999); // the timeout, then the default leaseGraceMs
    expect(lost).toEqual([]);
    advance(c, 1);
    expect(lost).toEqual([{ node: 'cam', type: 'controller', reason: 'idle' }]);
    void w.router.close();
  });

  it('end to end: an idle controller loses control, and another client gets it', async () => {
    const net = new CtpTestNetwork();
    net.addRouter('h', { nodes: ['cam'], maxControlIdleMs: 3000 });
    net.addRouter('a');
    net.addRouter('b');
    net.link('h', 'a');
    net.link('h', 'b');
    await net.settle();
    const events: unknown[] = [];
    net.router('h').on('released', (e) => events.push(['released', e.reason]));
    net.router('a').on('lost', (e) => events.push(['lost', e.reason]));
    const ra = net.router('a').register('cam', 'controller');
    await net.settle();
    expect(await ra).toEqual({ code: 'SUCCESS', content: { idleTimeoutMs: 3000 } });
    const rb = net.router('b').register('cam', 'controller');
    await net.settle();
    expect((await rb).code).toBe('ALREADY_ASSIGNED');
    await net.advance(3000);
    expect(events).toEqual([
      ['released', 'idle'],
      ['lost', 'idle'],
    ]);
    const again = net.router('b').register('cam', 'controller');
    await net.settle();
    expect((await again).code).toBe('SUCCESS');
    await net.close();
  });
});

describe('bounds', () => {
  it('the 257th monitor of a node is REJECTED with reason too-many-monitors', () => {
    const w = wired({ nodes: ['cam'] });
    const ids = Array.from({ length: 258 }, (_, i) => `m${i}`);
    w.feed(
      'p',
      report('x', [
        { origin: 'x', seq: 1, nodes: [], neighbors: ['r', ...ids] },
        ...ids.map((id) => ({
          origin: id,
          seq: 1,
          nodes: [`monitor[cam]@${id}`],
          neighbors: ['x'],
        })),
      ]),
    );
    w.clear();
    ids.forEach((id, i) =>
      w.feed('p', { v: 1, t: 'REGISTER', id: i + 1, node: 'cam', monitor: `monitor[cam]@${id}` }),
    );
    w.feed('p', { v: 1, t: 'REGISTER', id: 999, node: 'cam', monitor: 'monitor[cam]@m0' }); // one already held: not counted again
    const answers = w.of('RESPONSE');
    expect(answers.slice(0, 256).every((m) => m.code === 'SUCCESS')).toBe(true);
    expect(answers.slice(256, 258).map((m) => [m.code, m.reason])).toEqual([
      ['REJECTED', 'too-many-monitors'],
      ['REJECTED', 'too-many-monitors'],
    ]);
    expect(answers[258]).toMatchObject({ re: 999, code: 'SUCCESS' });
    expect(w.router.snapshot().nodes.cam?.monitors).toHaveLength(256);
  });

  it('an advert that would take the table past maxTableNodes is dropped (table-full); a smaller one is taken', () => {
    const w = wired({ maxTableNodes: 10 });
    w.neighbor('p', 'x', ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 1, ['r', 'y']);
    w.feed(
      'p',
      report('x', [
        { origin: 'y', seq: 1, nodes: ['b1', 'b2', 'b3', 'b4', 'b5'], neighbors: ['x'] },
      ]),
    );
    expect(w.dropped).toEqual([
      expect.objectContaining({ reason: 'table-full', origin: 'y', t: 'REPORTNODE' }),
    ]);
    expect(w.router.nodes()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    w.feed(
      'p',
      report('x', [{ origin: 'y', seq: 1, nodes: ['b1', 'b2', 'b3', 'b4'], neighbors: ['x'] }]),
    );
    expect(w.router.nodes()).toHaveLength(10);
    // A newer advert of the same origin replaces its names: within the budget.
    w.feed(
      'p',
      report('x', [{ origin: 'x', seq: 2, nodes: ['a1', 'a2', 'a3'], neighbors: ['r', 'y'] }]),
    );
    w.feed(
      'p',
      report('x', [
        {
          origin: 'y',
          seq: 2,
          nodes: ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'],
          neighbors: ['x'],
        },
      ]),
    );
    expect(w.router.nodes()).toHaveLength(10);
    expect(w.router.stats().dropped).toEqual({ 'table-full': 1 });
  });
});

describe('advert pacing (minAdvertIntervalMs)', () => {
  const floodsOf = (w: ReturnType<typeof wired>, origin: string) =>
    w
      .of('REPORTNODE', null)
      .flatMap((f) =>
        (f.adverts as { origin: string; seq: number }[])
          .filter((a) => a.origin === origin)
          .map((a) => a.seq),
      );

  it('applies a storm of one origin at most once per interval after a burst of two, and the newest one last', () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp(), minAdvertIntervalMs: 500 });
    w.neighbor('p', 'x', ['n1'], 1);
    w.router.peerUp('q');
    w.clear();
    for (let seq = 2; seq <= 50; seq++) {
      w.feed('p', report('x', [{ origin: 'x', seq, nodes: [`n${seq}`], neighbors: ['r'] }]));
      advance(c, 10);
    }
    // 490 ms of storm: the second advert went through (a burst of two, as a new link costs), the rest waits.
    expect(w.router.nodes()).toEqual(['n2']);
    expect(floodsOf(w, 'x')).toEqual([2]);
    advance(c, 10);
    expect(w.router.nodes()).toEqual(['n50']);
    expect(floodsOf(w, 'x')).toEqual([2, 50]);
    // An older or equal one changes nothing.
    w.feed('p', report('x', [{ origin: 'x', seq: 50, nodes: ['n50'], neighbors: ['r'] }]));
    advance(c, 1000);
    expect(floodsOf(w, 'x')).toEqual([2, 50]);
    // A sustained storm: one per interval.
    for (let seq = 51; seq <= 150; seq++) {
      w.feed('p', report('x', [{ origin: 'x', seq, nodes: [`n${seq}`], neighbors: ['r'] }]));
      advance(c, 20);
    }
    advance(c, 1000);
    expect(floodsOf(w, 'x').length - 2).toBeLessThanOrEqual(2 + Math.ceil(3000 / 500));
    expect(w.router.nodes()).toEqual(['n150']);
    void w.router.close();
  });

  it('0 turns pacing off', () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp(), minAdvertIntervalMs: 0 });
    w.neighbor('p', 'x', ['n1'], 1);
    w.router.peerUp('q');
    w.clear();
    for (let seq = 2; seq <= 5; seq++)
      w.feed('p', report('x', [{ origin: 'x', seq, nodes: [`n${seq}`], neighbors: ['r'] }]));
    expect(floodsOf(w, 'x')).toEqual([2, 3, 4, 5]);
    void w.router.close();
  });

  it('coalesces a burst of own changes: at most one own advert per twice the interval, the last state wins', () => {
    const c = new VirtualClock();
    const w = wired({ clock: c.ctp(), minAdvertIntervalMs: 500 });
    w.neighbor('p', 'x', []);
    advance(c, 2000);
    w.clear();
    for (let i = 0; i < 40; i++) {
      w.router.appendNodes(`d${i}`);
      if (i % 10 === 9) w.router.removeNodes(`d${i - 5}`);
      advance(c, 25);
    }
    const own = () =>
      w
        .of('REPORTNODE', null)
        .flatMap((f) =>
          (f.adverts as { origin: string; nodes: string[] }[]).filter((a) => a.origin === 'r'),
        );
    // 1000 ms of changes, 40 of them: the first at once, then one per 1000 ms.
    expect(own().length).toBeGreaterThanOrEqual(1);
    expect(own().length).toBeLessThanOrEqual(2);
    advance(c, 1000);
    const last = own().at(-1) as { nodes: string[] };
    expect([...last.nodes].sort()).toEqual(
      w.router
        .nodes()
        .filter((n) => n.startsWith('d'))
        .sort(),
    );
    expect(last.nodes).toHaveLength(36);
    // Its peers were told the advert as last sent, never a newer state under an old seq.
    w.router.peerUp('q');
    w.router.appendNodes('late');
    const toQ = w.of('REPORTNODE', 'q')[0]?.adverts as {
      origin: string;
      seq: number;
      nodes: string[];
    }[];
    expect(toQ[0]).toMatchObject({ origin: 'r', seq: (last as unknown as { seq: number }).seq });
    void w.router.close();
  });
});

describe('options', () => {
  it('validates the new options and idleTimeoutMs', async () => {
    const make = (o: Record<string, unknown>) =>
      new CtpRouter(
        () => {},
        () => {},
        () => {},
        o,
      );
    for (const bad of [
      { minAdvertIntervalMs: -1 },
      { minAdvertIntervalMs: 1.5 },
      { maxTableNodes: 0 },
      { maxMonitorsPerNode: -1 },
      { maxMonitorsPerNode: '2' },
      { maxControlIdleMs: 0 },
      { maxControlIdleMs: 2 ** 31 },
    ])
      expect(() => make(bad), JSON.stringify(bad)).toThrow(CtpArgumentError);
    const r = make({ minAdvertIntervalMs: 0, maxMonitorsPerNode: 0, maxControlIdleMs: 1 });
    await expect(r.register('n', 'controller', { idleTimeoutMs: 0 })).rejects.toThrow(
      CtpArgumentError,
    );
    await expect(r.register('n', 'controller', { idleTimeoutMs: 1.5 })).rejects.toThrow(
      CtpArgumentError,
    );
    await r.close();
  });
});
