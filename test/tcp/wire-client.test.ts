/**
 * An independent client written from SPEC.md alone: it speaks newline-delimited
 * v1 frames over a raw socket (no hello, no library code) to a router behind
 * `ctp-router/tcp`, takes control of a node, commands it and watches its events.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { CtpRouter } from '../../src/index.js';
import { TcpTransport, type TcpPeer } from '../../src/tcp/index.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

class RawClient {
  readonly frames: Record<string, unknown>[] = [];
  private buf = '';
  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.length > 0) this.frames.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.on('error', reject);
    });
  }
  send(frame: unknown): void {
    this.socket.write(`${typeof frame === 'string' ? frame : JSON.stringify(frame)}\n`);
  }
  async next(pred: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    await expect.poll(() => this.frames.some(pred), { timeout: 3000 }).toBe(true);
    const i = this.frames.findIndex(pred);
    return this.frames.splice(i, 1)[0] as Record<string, unknown>;
  }
}

it('a raw wire-format client registers, commands, receives events and is refused when it should be', async () => {
  const transport = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 } });
  const router = new CtpRouter<TcpPeer>(
    (name, msg) => {
      if (name !== 'EVENT') router.respond(msg.node, { got: msg.t });
    },
    transport.send,
    () => {},
    { id: 'station', nodes: ['cam1'] },
  );
  transport.attach(router);
  await transport.listening();
  cleanup.push(
    () => router.close(),
    () => transport.close(),
  );

  const c = await RawClient.open(transport.address().port);
  cleanup.push(() => void c.socket.destroy());
  // The router speaks first: its table and an UPDATENODE.
  const table = await c.next((f) => f.t === 'REPORTNODE');
  expect((table.adverts as { origin: string; nodes: string[] }[])[0]).toMatchObject({
    origin: 'station',
    nodes: ['cam1'],
  });
  // The client advertises itself (two-way link: it lists the station) with its virtual node.
  const me = 'controller[cam1]@rawcli';
  c.send({
    v: 1,
    t: 'REPORTNODE',
    from: 'rawcli',
    adverts: [{ origin: 'rawcli', seq: 1, nodes: [me], neighbors: ['station'] }],
  });
  await expect.poll(() => router.nodes(), { timeout: 3000 }).toEqual(['cam1', me]);

  c.send({ v: 1, t: 'REGISTER', id: 1, to: 'station', node: 'cam1', controller: me });
  expect(await c.next((f) => f.t === 'RESPONSE' && f.re === 1)).toEqual({
    v: 1,
    t: 'RESPONSE',
    node: 'cam1',
    controller: me,
    code: 'SUCCESS',
    re: 1,
  });

  c.send({
    v: 1,
    t: 'COMMAND',
    id: 2,
    node: 'cam1',
    controller: me,
    app: 'pan',
    content: { deg: 30 },
  }); // no `to`: routed by name
  expect(await c.next((f) => f.t === 'RESPONSE' && f.re === 2)).toMatchObject({
    code: 'SUCCESS',
    content: { got: 'COMMAND' },
  });

  expect(router.publish('cam1', { frame: 1 })).toEqual({ code: 'SUCCESS' });
  expect(await c.next((f) => f.t === 'EVENT')).toEqual({
    v: 1,
    t: 'EVENT',
    node: 'cam1',
    monitor: me,
    content: { frame: 1 },
  });

  // Bad frames are dropped and the link keeps working; after UNREGISTER, control is refused.
  c.send('this is not json');
  c.send({ v: 2, t: 'COMMAND' });
  c.send({ v: 1, t: 'START', id: 3, node: 'cam1', controller: me, app: 'rec' });
  expect(await c.next((f) => f.t === 'RESPONSE' && f.re === 3)).toMatchObject({ code: 'SUCCESS' });
  c.send({ v: 1, t: 'UNREGISTER', id: 4, node: 'cam1', controller: me });
  expect(await c.next((f) => f.t === 'RESPONSE' && f.re === 4)).toMatchObject({ code: 'SUCCESS' });
  c.send({ v: 1, t: 'STOP', id: 5, node: 'cam1', controller: me, app: 'rec' });
  expect(await c.next((f) => f.t === 'RESPONSE' && f.re === 5)).toMatchObject({
    code: 'NOT_ASSIGNED',
  });
  expect(router.stats().dropped).toMatchObject({ malformed: 1, 'unsupported-version': 1 });

  // The client goes away: its virtual node disappears everywhere.
  c.socket.destroy();
  await expect.poll(() => router.nodes(), { timeout: 3000 }).toEqual(['cam1']);
});
