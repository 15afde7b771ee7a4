/**
 * NatsTransport against a real nats-server (one server): routers in this
 * process, each with its own connection.
 */
import { connect } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CtpRouter } from '../../src/router.js';
import { joinSends } from '../../src/link-state/medium.js';
import { ReturnCode } from '../../src/base/messages.js';
import { NatsTransport, decodeId, encodeId, type NatsPeer } from '../../src/nats/index.js';
import { CtpArgumentError } from '../../src/base/errors.js';
import { busRouter, closeAllRouters, sleep, until, type BusRouter } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

const ID_CHARS = 'abcXYZ019._:-';

describe('subject tokens', () => {
  it('encode every router id reversibly into one token without dots or wildcards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...ID_CHARS), { minLength: 1, maxLength: 40 }),
        (chars) => {
          const id = chars.join('');
          const t = encodeId(id);
          expect(t).not.toMatch(/[.*> ]/);
          expect(decodeId(t)).toBe(id);
        },
      ),
    );
  });
  it('reject tokens encodeId does not make', () => {
    for (const bad of ['a_zz', 'a_', 'a_5', 'a.b', '', 'a b', 'x'.repeat(129)])
      expect(decodeId(bad)).toBeUndefined();
    expect(decodeId('a_2eb_5fc')).toBe('a.b_c');
  });
});

describe('options', () => {
  it('are validated with typed errors', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { servers: [] },
      { servers: 'x', prefix: 'a.*' },
      { servers: 'x', prefix: 'a..b' },
      { servers: 'x', heartbeatMs: 0 },
      { servers: 'x', heartbeatMs: 100, deadAfterMs: 100 },
      { servers: 'x', id: 'bad id' },
      { servers: 'x', noEcho: false },
    ];
    for (const o of bad)
      expect(() => new NatsTransport(o as never), JSON.stringify(o)).toThrow(CtpArgumentError);
  });
  it('attach needs a router id', () => {
    const t = new NatsTransport({ servers: 'nats://127.0.0.1:1' });
    expect(() => t.attach({ receive() {}, peerUp() {}, peerDown() {} })).toThrow(CtpArgumentError);
  });
});

reportSkip('test/nats/transport.test.ts (routers on a real NATS server)');

describe.skipIf(NATS_BIN === undefined)('routers on one NATS server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterEach(closeAllRouters);
  afterAll(stopAllServers);

  async function three(prefix: string): Promise<[BusRouter, BusRouter, BusRouter]> {
    const a = await busRouter(server.url, 'st.a', { nodes: ['cam1'], bus: { prefix } });
    const b = await busRouter(server.url, 'ctl_b', { bus: { prefix } });
    const c = await busRouter(server.url, 'view:c', { bus: { prefix } });
    await until(
      () => b.router.nodes().includes('cam1') && c.router.nodes().includes('cam1'),
      5000,
      'cam1 everywhere',
    );
    return [a, b, c];
  }

  it('control, commands and events between three routers', async () => {
    const [a, b, c] = await three('t1');
    expect(
      a.bus
        .peers()
        .map((p) => p.routerId)
        .sort(),
    ).toEqual(['ctl_b', 'view:c']);
    expect(await c.router.register('cam1', 'monitor')).toEqual({ code: ReturnCode.SUCCESS });
    expect(await b.router.register('cam1', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
    expect((await c.router.register('cam1', 'controller')).code).toBe(ReturnCode.ALREADY_ASSIGNED);
    expect((await b.router.start('cam1', 'video', { fps: 30 })).code).toBe(ReturnCode.SUCCESS);
    const r = await b.router.command('cam1', 'pan', { deg: 30 });
    expect(r).toEqual({ code: ReturnCode.SUCCESS, content: { echo: 'COMMAND', app: 'pan' } });
    expect((await c.router.command('cam1', 'pan', 1)).code).toBe(ReturnCode.NOT_ASSIGNED);
    await until(() => c.events.length === 2 && b.events.length === 2, 3000, 'the events');
    expect(c.events.map((e) => (e.content as { t: string }).t)).toEqual(['START', 'COMMAND']);
    expect(a.controls.map((m) => m.t)).toEqual(['START', 'COMMAND']);
    expect([a, b, c].flatMap((x) => x.errors)).toEqual([]);
  });

  it('an advert reaches each member once and is not published on the bus again', async () => {
    const [a, b, c] = await three('t2');
    await sleep(300);
    const before = [a, b, c].map((x) => ({ ...x.bus.stats() }));
    a.router.appendNodes('mic1');
    await until(() => b.router.nodes().includes('mic1') && c.router.nodes().includes('mic1'));
    await sleep(300);
    const after = [a, b, c].map((x) => x.bus.stats());
    const d = (i: number, k: 'framesIn' | 'framesOut' | 'notReflooded'): number =>
      (after[i] as never)[k] - (before[i] as never)[k];
    expect([d(0, 'framesOut'), d(1, 'framesOut'), d(2, 'framesOut')]).toEqual([1, 0, 0]);
    expect([d(0, 'framesIn'), d(1, 'framesIn'), d(2, 'framesIn')]).toEqual([0, 1, 1]);
    expect([d(1, 'notReflooded'), d(2, 'notReflooded')]).toEqual([1, 1]);
  });

  it('forwards between the bus and a TCP island, multi-hop', async () => {
    // d is only on TCP, behind c (on the bus and on TCP); e is behind d.
    const c = await busRouter(server.url, 'bridge', {
      bus: { prefix: 't3' },
      tcp: { listen: true },
    });
    const cAddr = `127.0.0.1:${(c.tcp as NonNullable<BusRouter['tcp']>).address().port}`;
    const { TcpTransport } = await import('../../src/tcp/index.js');
    const dT = new TcpTransport({ listen: { port: 0 }, connect: [cAddr] });
    const d = new CtpRouter(
      (name, msg) => {
        if (name !== 'EVENT') d.respond(msg.node, { at: 'd' }, undefined, msg.id);
      },
      dT.send,
      () => {},
      { id: 'island.d', nodes: ['lamp'] },
    );
    dT.attach(d);
    await dT.listening();
    const eT = new TcpTransport({ connect: [`127.0.0.1:${dT.address().port}`] });
    const e = new CtpRouter(
      (name, msg) => {
        if (name !== 'EVENT') e.respond(msg.node, { at: 'e' }, undefined, msg.id);
      },
      eT.send,
      () => {},
      { id: 'island.e', nodes: ['fan'] },
    );
    eT.attach(e);
    const a = await busRouter(server.url, 'far.a', { bus: { prefix: 't3' } });
    try {
      await until(
        () => a.router.nodes().includes('fan') && a.router.nodes().includes('lamp'),
        5000,
        'the island at a',
      );
      expect(a.router.snapshot().routers['island.e']?.nextHop).toBe('bridge');
      expect(await a.router.register('fan', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
      expect(await a.router.command('fan', 'spin', 1)).toEqual({
        code: ReturnCode.SUCCESS,
        content: { at: 'e' },
      });
      expect(await a.router.register('lamp', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
      expect(await a.router.command('lamp', 'on', true)).toEqual({
        code: ReturnCode.SUCCESS,
        content: { at: 'd' },
      });
      // A change on the island reaches the bus through the bridge.
      e.appendNodes('fan2');
      await until(() => a.router.nodes().includes('fan2'), 3000, 'fan2 at a');
    } finally {
      await eT.close();
      await e.close();
      await dT.close();
      await d.close();
    }
  });

  it('two buses bridged by one router', async () => {
    const x = await busRouter(server.url, 'x1', { nodes: ['nx'], bus: { prefix: 'busx' } });
    const y = await busRouter(server.url, 'y1', { nodes: ['ny'], bus: { prefix: 'busy' } });
    const bx = new NatsTransport({ servers: server.url, prefix: 'busx' });
    const by = new NatsTransport({ servers: server.url, prefix: 'busy' });
    const bridge = new CtpRouter<NatsPeer>(
      () => {},
      joinSends<NatsPeer>(bx.send, by.send),
      () => {},
      { id: 'bridge2' },
    );
    bx.attach(bridge);
    by.attach(bridge);
    try {
      await Promise.all([bx.ready(), by.ready()]);
      await until(
        () => x.router.nodes().includes('ny') && y.router.nodes().includes('nx'),
        5000,
        'both buses',
      );
      expect(await x.router.register('ny', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
      expect((await x.router.command('ny', 'go', 1)).code).toBe(ReturnCode.SUCCESS);
    } finally {
      await bx.close();
      await by.close();
      await bridge.close();
    }
  });

  it('a member that leaves the bus is down everywhere within deadAfterMs; its registrations are released', async () => {
    // Presence every 100 ms, dead after 500 ms, released 300 ms later (by default 1 s, 3 s and 5 s):
    // the bounds are checked within the test's time.
    const bus = { prefix: 't4', heartbeatMs: 100, deadAfterMs: 500 };
    const a = await busRouter(server.url, 'st.a', { nodes: ['cam1'], bus, leaseGraceMs: 300 });
    const b = await busRouter(server.url, 'ctl_b', { bus });
    const c = await busRouter(server.url, 'view:c', { bus });
    await until(
      () => b.router.nodes().includes('cam1') && c.router.nodes().includes('cam1'),
      5000,
      'cam1 everywhere',
    );
    expect(await b.router.register('cam1', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
    const released: unknown[] = [];
    a.router.on('released', (ev) => released.push(ev));
    // Cut b off without a goodbye: its connection closes, its router stays.
    const nc = (b.bus as unknown as { nc: { close(): Promise<void> } }).nc;
    await nc.close();
    // deadAfterMs 500 (checked every 50 ms), with room for a loaded machine.
    await until(
      () =>
        a.bus.peers().every((p) => p.routerId !== 'ctl_b') &&
        c.bus.peers().every((p) => p.routerId !== 'ctl_b'),
      2000,
      'b down',
    );
    expect(a.router.nodes().some((n) => n.endsWith('@ctl_b'))).toBe(false);
    await until(() => released.length === 1, 2000, 'the release');
    expect(await c.router.register('cam1', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
  });

  it('a transport that closes says goodbye: the members take it down at once', async () => {
    const [a, b, c] = await three('t6');
    const reasons: string[] = [];
    a.bus.on('disconnect', (p, why) => reasons.push(`${p.routerId}:${why}`));
    await c.close();
    // Well before deadAfterMs (3 s by default) would have passed: the goodbye, not silence.
    await until(() => reasons.length === 1, 400, 'the goodbye');
    expect(reasons).toEqual(['view:c:left']);
    // b hears the same goodbye on its own subscription (maybe a moment later than a).
    await until(() => b.bus.peers().length === 1, 400, 'the goodbye at b');
    expect(b.bus.peers().map((p) => p.routerId)).toEqual(['st.a']);
  });

  it('ignores garbage on the bus subjects and reports bad frames as drops', async () => {
    const [a] = await three('t5');
    const drops: string[] = [];
    a.router.on('dropped', (e) => drops.push(e.reason));
    const raw = await connect({ servers: server.url });
    try {
      raw.publish('t5.p.zz_q', '{"v":1,"i":"x"}');
      raw.publish('t5.p.rogue', 'not json');
      raw.publish('t5.p.rogue', '{"v":2}');
      raw.publish('t5.b.bad_token', 'x');
      raw.publish('t5.b.rogue', '{"v":1,"t":"NOPE"}');
      raw.publish('t5.b.rogue', new Uint8Array([0xff, 0xfe]));
      raw.publish(
        `t5.u.${encodeId('st.a')}.rogue`,
        '{"v":1,"t":"REPORTNODE","from":"someone-else","adverts":[]}',
      );
      await raw.flush();
      await until(() => drops.length >= 2, 3000, 'the drops');
      expect(a.bus.stats().ignored).toBeGreaterThanOrEqual(4);
      expect(drops).toContain('malformed');
      expect(a.errors).toEqual([]);
      expect((await a.router.register('cam1', 'monitor')).code).toBe(ReturnCode.SUCCESS);
    } finally {
      await raw.close();
    }
  });
});

describe.skipIf(NATS_BIN === undefined)('NATS server restart', () => {
  afterEach(closeAllRouters);
  afterAll(stopAllServers);

  it('a reconnect within deadAfterMs drops no link and no registration', async () => {
    const server = await NatsServer.start();
    const a = await busRouter(server.url, 'ra', { nodes: ['cam1'] });
    const b = await busRouter(server.url, 'rb');
    await until(() => b.router.nodes().includes('cam1'));
    expect(await b.router.register('cam1', 'controller')).toEqual({ code: ReturnCode.SUCCESS });
    const downs: string[] = [];
    a.bus.on('disconnect', (p) => downs.push(`a:${p.routerId}`));
    b.bus.on('disconnect', (p) => downs.push(`b:${p.routerId}`));
    const statuses: string[] = [];
    a.bus.on('status', (s) => statuses.push(s.type));
    await server.stop();
    await sleep(300);
    await server.run();
    await until(
      () => a.bus.stats().reconnects > 0 && b.bus.stats().reconnects > 0,
      5000,
      'the reconnects',
    );
    // A node change after the restart still floods.
    a.router.appendNodes('cam2');
    await until(() => b.router.nodes().includes('cam2'), 3000, 'cam2 at b');
    expect(downs).toEqual([]);
    expect(statuses).toContain('reconnect');
    expect(b.router.snapshot().registrations.map((r) => r.node)).toEqual(['cam1']);
    expect(await b.router.command('cam1', 'x', 1)).toEqual({
      code: ReturnCode.SUCCESS,
      content: { echo: 'COMMAND', app: 'x' },
    });
  });
});
