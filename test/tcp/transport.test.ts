/**
 * TcpTransport in one process: wiring, the hello and duplicate links,
 * reconnection, framing limits, backpressure, close.
 */
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpRouter, type CtpRouterOptions } from '../../src/index.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../../src/base/messages.js';
import { TcpTransport, type TcpPeer, type TcpTransportOptions } from '../../src/tcp/index.js';
import { freePort } from './procs.js';

interface Node {
  router: CtpRouter<TcpPeer>;
  transport: TcpTransport;
  received: [CtpReceivedName, CtpControlMessage | CtpEvent][];
}

const open: Node[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(
    open.splice(0).map(async (n) => {
      await n.transport.close();
      await n.router.close();
    }),
  );
});

async function node(
  id: string,
  t: TcpTransportOptions,
  r: Omit<CtpRouterOptions<TcpPeer>, 'id'> = {},
  twoParamSend = false,
): Promise<Node> {
  const transport = new TcpTransport(t);
  const received: Node['received'] = [];
  const n: Node = { transport, received, router: undefined as unknown as CtpRouter<TcpPeer> };
  n.router = new CtpRouter<TcpPeer>(
    (name, msg) => {
      received.push([name, msg]);
      if (name !== 'EVENT') n.router.respond(msg.node, { echo: msg.t });
    },
    // A two-parameter send gets no CtpSendInfo: queued adverts are never superseded.
    twoParamSend ? (p, f) => transport.send(p, f) : transport.send,
    () => {},
    { id, ...r },
  );
  transport.attach(n.router);
  await transport.listening();
  open.push(n);
  return n;
}

const loopback = { host: '127.0.0.1', port: 0 };
const addr = (n: Node): string => `127.0.0.1:${n.transport.address().port}`;

function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

/** Collect the lines a raw socket receives. */
function lines(s: Socket): string[] {
  const out: string[] = [];
  let buf = '';
  s.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      out.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return out;
}

describe('TcpTransport', () => {
  it('wires a router: tables, register, command, events', async () => {
    const st = await node('station', { listen: loopback }, { nodes: ['cam1'] });
    const con = await node('console', { connect: [addr(st)] });
    await expect.poll(() => con.router.nodes(), { timeout: 3000 }).toEqual(['cam1']);
    expect(await con.router.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(await con.router.command('cam1', 'pan', { deg: 3 })).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND' },
    });
    expect(st.router.publish('cam1', { moved: true })).toEqual({ code: 'SUCCESS' });
    await expect.poll(() => con.received.length).toBe(1);
    expect(con.received[0]?.[0]).toBe('EVENT');
    const peers = st.transport.peers();
    expect(peers).toHaveLength(1);
    expect(peers[0]).toMatchObject({
      direction: 'in',
      routerId: 'console',
      remoteAddress: '127.0.0.1',
      isOpen: true,
    });
    expect(con.transport.peers()[0]).toMatchObject({
      direction: 'out',
      routerId: 'station',
      target: addr(st),
    });
    expect(st.transport.stats()).toMatchObject({
      connections: 1,
      oversized: 0,
      slowConsumers: 0,
      duplicates: 0,
    });
  });

  it('a plain section-6 client gets the table at once, without sending anything first', async () => {
    const st = await node('station', { listen: loopback }, { nodes: ['cam1'] });
    const s = await rawClient(st.transport.address().port);
    const got = lines(s);
    await expect.poll(() => got.length, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
    const frames = got.map((l) => JSON.parse(l) as Record<string, unknown>);
    // Every line is a valid v1 frame (the hello is an UPDATENODE with one extra field).
    for (const f of frames) expect(f).toMatchObject({ v: 1, from: 'station' });
    expect(frames.map((f) => f.t)).toEqual(['UPDATENODE', 'REPORTNODE', 'UPDATENODE']);
    expect((frames[1]?.adverts as { nodes: string[] }[])[0]?.nodes).toEqual(['cam1']);
    // It speaks plain frames back; the router binds it by its `from`.
    s.write(
      `${JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'plain', adverts: [{ origin: 'plain', seq: 1, nodes: ['dev'], neighbors: ['station'] }] })}\n`,
    );
    await expect.poll(() => st.router.nodes(), { timeout: 3000 }).toEqual(['cam1', 'dev']);
    s.destroy();
    await expect.poll(() => st.router.nodes(), { timeout: 3000 }).toEqual(['cam1']);
  });

  it('mutual dialling ends with exactly one connection at each end, and stays so', async () => {
    const [pa, pb] = await Promise.all([freePort(), freePort()]);
    const a = await node(
      'alpha',
      { listen: { host: '127.0.0.1', port: pa }, connect: [`127.0.0.1:${pb}`] },
      { nodes: ['x'] },
    );
    const b = await node(
      'beta',
      { listen: { host: '127.0.0.1', port: pb }, connect: [`127.0.0.1:${pa}`] },
      { nodes: ['y'] },
    );
    await expect
      .poll(() => [a.router.nodes(), b.router.nodes()], { timeout: 3000 })
      .toEqual([
        ['x', 'y'],
        ['x', 'y'],
      ]);
    // Settled: the duplicate's sockets are gone, beta's dialler is parked on
    // alpha with no redial pending, and alpha's holds the kept link. (One
    // connection at each end is not enough to wait for: the first one up can
    // be beta's, before alpha's redial duplicates it.)
    type Dialer = {
      parkedOn: string | undefined;
      timer: unknown;
      connecting: unknown;
      connection: unknown;
    };
    const internals = (n: Node) =>
      n.transport as unknown as { conns: Set<unknown>; dialers: Dialer[] };
    const state = (n: Node) => {
      const d = internals(n).dialers[0];
      return {
        sockets: internals(n).conns.size,
        parked: d?.parkedOn,
        redialling: d?.timer !== undefined || d?.connecting !== undefined,
        holds: d?.connection !== undefined,
      };
    };
    await expect
      .poll(() => [state(a), state(b)], { timeout: 3000 })
      .toEqual([
        { sockets: 1, parked: undefined, redialling: false, holds: true },
        { sockets: 1, parked: 'alpha', redialling: false, holds: false },
      ]);
    // So it stays so: nothing can dial again until the kept link drops.
    expect([a.transport.peers().length, b.transport.peers().length]).toEqual([1, 1]);
    // The kept link is the one alpha (the lower id) initiated, at both ends.
    expect(a.transport.peers()[0]?.direction).toBe('out');
    expect(b.transport.peers()[0]?.direction).toBe('in');
    expect(a.router.snapshot().neighbors).toEqual(['beta']);
    expect(a.transport.stats().duplicates + b.transport.stats().duplicates).toBeGreaterThanOrEqual(
      1,
    );
    // The kept link drops: the parked dialler takes over.
    for (const c of (a.transport as unknown as { conns: Set<{ socket: Socket }> }).conns)
      c.socket.destroy();
    await expect
      .poll(() => [a.transport.peers().length, b.transport.peers().length], { timeout: 3000 })
      .toEqual([1, 1]);
    await expect.poll(() => a.router.nodes(), { timeout: 3000 }).toEqual(['x', 'y']);
  });

  it('never lets a newcomer displace a live link for its id; a restart gets in once the old link closes', async () => {
    const st = await node('station', { listen: loopback });
    const port = st.transport.address().port;
    const reasons: string[] = [];
    st.transport.on('disconnect', (_p, reason) => reasons.push(reason));
    const hello = (instance: string): string =>
      `{"v":1,"t":"UPDATENODE","from":"beta","hello":"ctp-tcp/1","instance":"${instance}"}\n`;
    const join = async (instance: string): Promise<{ s: Socket; closed: Promise<void> }> => {
      const s = await rawClient(port);
      s.on('data', () => {});
      const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
      s.write(hello(instance));
      return { s, closed };
    };
    const first = await join('one');
    await expect
      .poll(
        () =>
          st.transport
            .peers()
            .some((p) => p.remotePort === first.s.localPort && p.routerId === 'beta'),
        { timeout: 3000 },
      )
      .toBe(true);
    // beta "restarted" (a new instance) while its old link is alive: refused, the old link stays.
    const second = await join('two');
    await second.closed;
    // The same instance dialling again (same direction) is refused as well.
    const third = await join('one');
    await third.closed;
    expect(st.transport.peers().map((p) => p.remotePort)).toEqual([first.s.localPort]);
    expect(st.transport.stats().duplicates).toBe(2);
    expect(reasons).toEqual(['duplicate', 'duplicate']);
    // The old link still carries frames to the router.
    first.s.write(
      `${JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'beta', adverts: [{ origin: 'beta', seq: 1, nodes: ['b1'], neighbors: ['station'] }] })}\n`,
    );
    await expect.poll(() => st.router.nodes(), { timeout: 3000 }).toEqual(['b1']);
    // The old link closes: the restarted beta gets in.
    first.s.destroy();
    await expect.poll(() => st.transport.peers().length, { timeout: 3000 }).toBe(0);
    const fourth = await join('two');
    await expect
      .poll(() => st.transport.peers().map((p) => p.remotePort), { timeout: 3000 })
      .toEqual([fourth.s.localPort]);
    expect(st.transport.stats().duplicates).toBe(2);
  });

  it('reconnects with backoff after the listener restarts', async () => {
    const port = await freePort();
    let st = await node('station', { listen: { host: '127.0.0.1', port } }, { nodes: ['cam1'] });
    const dialErrors: string[] = [];
    const con = await node('console', { connect: [`127.0.0.1:${port}`] });
    con.transport.on('dialError', (target) => dialErrors.push(target));
    await expect.poll(() => con.router.nodes(), { timeout: 3000 }).toEqual(['cam1']);
    await st.transport.close();
    await st.router.close();
    open.splice(open.indexOf(st), 1);
    await expect.poll(() => con.router.nodes(), { timeout: 3000 }).toEqual([]);
    // It keeps redialling (with backoff) while nobody listens.
    await expect.poll(() => dialErrors.length, { timeout: 3000 }).toBeGreaterThanOrEqual(2);
    expect(new Set(dialErrors)).toEqual(new Set([`127.0.0.1:${port}`]));
    expect(con.transport.stats().dialFailures).toBe(dialErrors.length);
    st = await node(
      'station',
      { listen: { host: '127.0.0.1', port } },
      { nodes: ['cam1', 'cam2'] },
    );
    await expect.poll(() => con.router.nodes(), { timeout: 3000 }).toEqual(['cam1', 'cam2']);
  });

  it('discards a line longer than maxFrameBytes without buffering it, and keeps the connection', async () => {
    const st = await node(
      'station',
      { listen: loopback, maxFrameBytes: 64 * 1024 }, // 64 KiB (8 MiB by default): a 200 KiB line passes it
      { nodes: ['cam1'] },
    );
    const oversized: number[] = [];
    st.transport.on('oversized', (_p, bytes) => oversized.push(bytes));
    const s = await rawClient(st.transport.address().port);
    const got = lines(s);
    s.write(Buffer.alloc(200 * 1024, 0x61));
    await expect.poll(() => oversized.length, { timeout: 3000 }).toBe(1);
    await expect.poll(() => got.length, { timeout: 3000 }).toBe(3);
    s.write('more of the same line\n{"v":1,"t":"UPDATENODE","from":"client"}\n');
    // The UPDATENODE after the discarded line is answered with the table.
    await expect
      .poll(() => got.slice(3).some((l) => l.includes('"REPORTNODE"')), { timeout: 3000 })
      .toBe(true);
    expect(st.transport.stats().oversized).toBe(1);
    expect(st.transport.peers()).toHaveLength(1);
  });

  it('closes a connection that does not drain as a slow consumer, and only that one', async () => {
    // Its table answers would supersede each other in the queue with CtpSendInfo: send without it.
    // A 64 KiB queue (32 MiB by default): a reader that stopped reading passes it within a few requests.
    const st = await node(
      'station',
      { listen: loopback, maxQueuedBytes: 64 * 1024 },
      { nodes: Array.from({ length: 100 }, (_, i) => `node-with-a-long-name-${i}`) },
      true,
    );
    const downs: string[] = [];
    st.transport.on('disconnect', (_p, reason) => downs.push(reason));
    const good = await node('good', { connect: [addr(st)] });
    await expect.poll(() => good.router.nodes().length, { timeout: 3000 }).toBe(100);
    const slow = await rawClient(st.transport.address().port);
    slow.pause();
    slow.on('error', () => {});
    const ask = '{"v":1,"t":"UPDATENODE","from":"slow"}\n'.repeat(1000);
    for (let i = 0; i < 20 && !slow.destroyed; i++) slow.write(ask);
    await expect.poll(() => downs, { timeout: 5000 }).toEqual(['slow-consumer']);
    expect(st.transport.stats().slowConsumers).toBe(1);
    st.router.appendNodes('late');
    await expect.poll(() => good.router.nodes().includes('late'), { timeout: 3000 }).toBe(true);
  });

  it('send is bound, usable before attach, and refuses a frame with a line break', () => {
    const t = new TcpTransport();
    const send = t.send;
    expect(() => send(null, '{"v":1}')).not.toThrow();
    expect(() => send(null, '{"v":1}\n{"v":1}')).toThrow(TypeError);
    return t.close();
  });

  it('close() ends every socket and timer and resolves', async () => {
    const st = await node('station', { listen: loopback });
    const con = await node('console', { connect: [addr(st), '127.0.0.1:1'] });
    await expect.poll(() => con.transport.peers().length, { timeout: 3000 }).toBe(1);
    const port = st.transport.address().port;
    await Promise.all([st.transport.close(), con.transport.close()]);
    expect(st.transport.peers()).toEqual([]);
    expect(con.transport.peers()).toEqual([]);
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const srv = createServer()
        .once('error', reject)
        .listen(port, '127.0.0.1', () => srv.close(() => resolve()));
    });
  });

  it('validates its options', () => {
    expect(() => new TcpTransport({ connect: ['nope'] })).toThrow(/Expected `options.connect`/);
    expect(() => new TcpTransport({ listen: { port: 70000 } })).toThrow(TypeError);
    expect(() => new TcpTransport({ reconnect: { jitter: 2 } })).toThrow(TypeError);
    expect(() => new TcpTransport({ maxQueuedBytes: -1 })).toThrow(TypeError);
  });

  it('rejects listening() when the port is taken', async () => {
    const st = await node('station', { listen: loopback });
    const t = new TcpTransport({
      listen: { host: '127.0.0.1', port: st.transport.address().port },
    });
    await expect(t.listening()).rejects.toThrow(/EADDRINUSE/);
    await t.close();
  });
});
