/**
 * Issue 19, transport half: nothing silent. Every failed dial attempt is a
 * `dialError` with its cause (a closed port, a silent listener, a link closed
 * before a line, the wrong router), a listener refusing a duplicate router id
 * says so (the bye line) so the dialler sees `duplicate` and backs off, and a
 * full server reports the attempts it drops (`refused`, `max-connections`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpRouter, decode, type CtpDropped } from '../../src/index.js';
import { byeFrame, helloFrame, parseBye } from '../../src/tcp/hello.js';
import {
  TcpTransport,
  type TcpCloseReason,
  type TcpPeer,
  type TcpRefusedReason,
  type TcpTransportOptions,
} from '../../src/tcp/index.js';
import { freePort } from './procs.js';

const transports: TcpTransport[] = [];
const routers: CtpRouter<TcpPeer>[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(routers.splice(0).map((r) => r.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

type CodedError = Error & { code?: string; reason?: string };

/** A router on a transport, recording its dial errors, links up and down. */
async function node(id: string, options: TcpTransportOptions, nodes: string[] = []) {
  const t = new TcpTransport(options);
  transports.push(t);
  const r = new CtpRouter<TcpPeer>(
    () => {},
    t.send,
    () => {},
    { id, nodes },
  );
  routers.push(r);
  const rec = {
    t,
    r,
    dialErrors: [] as { target: string; err: CodedError; at: number }[],
    ups: [] as number[],
    downs: [] as TcpCloseReason[],
  };
  t.on('dialError', (target, err) => rec.dialErrors.push({ target, err, at: performance.now() }));
  t.on('connect', () => rec.ups.push(performance.now()));
  t.on('disconnect', (_p, reason) => rec.downs.push(reason));
  t.attach(r);
  await t.listening();
  return rec;
}

/** A plain TCP server doing `onSocket` with each connection it accepts; resolves to its port. */
async function rawServer(
  onSocket: (s: Socket) => void,
): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const srv = createServer((s) => {
    accepted++;
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as { port: number }).port, accepted: () => accepted };
}

/** The dialler's attempt counter (retries scheduled): one per failed attempt. */
const attempts = (t: TcpTransport): number =>
  (t as unknown as { dialers: { attempt: number }[] }).dialers[0]?.attempt ?? -1;

describe('dialError: one per failed attempt, with its cause', () => {
  it('a closed port: ECONNREFUSED, every attempt', async () => {
    const port = await freePort();
    const c = await node('console', { connect: [`127.0.0.1:${port}`] });
    // The default backoff: attempts at about 0, 100, 300, 700 and 1500 ms.
    await expect.poll(() => c.dialErrors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
    await c.t.close();
    // Each attempt failed and was reported: as many events as the dialler counted attempts, no more, no fewer.
    expect(c.dialErrors.length).toBe(attempts(c.t));
    expect(c.t.stats().dialFailures).toBe(c.dialErrors.length);
    for (const { target, err } of c.dialErrors) {
      expect(target).toBe(`127.0.0.1:${port}`);
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.message).toMatch(/ECONNREFUSED/);
    }
  });

  it('a listener that accepts and never sends a line: ERR_CTP_HANDSHAKE_TIMEOUT, every attempt', async () => {
    const silent = await rawServer(() => {});
    const c = await node('console', {
      connect: [`127.0.0.1:${silent.port}`],
      handshakeTimeoutMs: 60, // 60 ms (10 s by default): three attempts within the test's time
    });
    await expect.poll(() => c.dialErrors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await c.t.close();
    expect(new Set(c.dialErrors.map((e) => e.err.code))).toEqual(
      new Set(['ERR_CTP_HANDSHAKE_TIMEOUT']),
    );
    expect(c.dialErrors[0]?.err.message).toMatch(/sent no line within 60 ms/);
    // One per connection the server accepted (the last may have been cut by close(), unreported).
    expect(c.dialErrors.length).toBeGreaterThanOrEqual(silent.accepted() - 1);
    expect(c.dialErrors.length).toBeLessThanOrEqual(silent.accepted());
    expect(c.downs.every((r) => r === 'handshake-timeout' || r === 'closing')).toBe(true);
  });

  it('a listener that closes at once: ERR_CTP_LINK_CLOSED, every attempt', async () => {
    const closer = await rawServer((s) => s.end());
    const c = await node('console', { connect: [`127.0.0.1:${closer.port}`] });
    await expect.poll(() => c.dialErrors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await c.t.close();
    // A FIN is ERR_CTP_LINK_CLOSED; a reset (the socket's own error) keeps its code.
    for (const { err } of c.dialErrors)
      expect(['ERR_CTP_LINK_CLOSED', 'ECONNRESET', 'EPIPE']).toContain(err.code);
    expect(
      c.dialErrors.some(
        (e) =>
          e.err.code === 'ERR_CTP_LINK_CLOSED' &&
          /closed the link before sending anything \(is it a TLS listener\?\)/.test(e.err.message),
      ),
    ).toBe(true);
    expect(c.dialErrors.length).toBeGreaterThanOrEqual(closer.accepted() - 1);
    expect(c.dialErrors.length).toBeLessThanOrEqual(closer.accepted());
  });

  it('an id@host:port target whose hello names another router: ERR_CTP_IDENTITY_MISMATCH', async () => {
    const st = await node('station', { listen: { host: '127.0.0.1', port: 0 } }, ['cam1']);
    const c = await node('console', { connect: [`relay@127.0.0.1:${st.t.address().port}`] });
    await expect.poll(() => c.dialErrors.length, { timeout: 3000 }).toBeGreaterThanOrEqual(2);
    expect(c.dialErrors[0]?.err).toMatchObject({
      code: 'ERR_CTP_IDENTITY_MISMATCH',
      message: expect.stringMatching(/answered as router station, expected relay/) as unknown,
    });
    expect(c.downs[0]).toBe('identity-mismatch');
  });

  it('a link to this router itself: ERR_CTP_SELF, once (it is not redialled)', async () => {
    const port = await freePort();
    const me = await node('me', {
      listen: { host: '127.0.0.1', port },
      connect: [`127.0.0.1:${port}`],
    });
    await expect.poll(() => me.dialErrors.length, { timeout: 3000 }).toBe(1);
    expect(me.dialErrors[0]?.err).toMatchObject({ code: 'ERR_CTP_SELF' });
    await new Promise((r) => setTimeout(r, 200));
    expect(me.dialErrors.length).toBe(1);
  });

  it('a link that worked is no failed attempt: nothing is reported when it, or close(), ends it', async () => {
    const st = await node('station', { listen: { host: '127.0.0.1', port: 0 } }, ['cam1']);
    const c = await node('console', { connect: [`127.0.0.1:${st.t.address().port}`] });
    await expect.poll(() => c.r.nodes(), { timeout: 3000 }).toEqual(['cam1']);
    await c.t.close();
    expect(c.dialErrors).toEqual([]);
  });
});

describe('a duplicate router id', () => {
  it('the listener says why it refuses (a bye line), the dialler sees `duplicate` and redials with backoff', async () => {
    const st = await node('station', { listen: { host: '127.0.0.1', port: 0 } }, ['cam1']);
    const target = `127.0.0.1:${st.t.address().port}`;
    const first = await node('dup', { connect: [target] });
    await expect.poll(() => first.r.nodes(), { timeout: 3000 }).toEqual(['cam1']);
    // No jitter, so the schedule is exact: after each refusal the dialler waits the default 100, 200,
    // 400, 800 ms... (never less: timers do not fire early). A dialler redialling at full speed (or at
    // the initial delay each time) would connect ten times or more in the window below; with the
    // backoff it connects at about 0, 100, 300 and 700 ms.
    const second = await node('dup', { connect: [target], reconnect: { jitter: 0 } });
    await expect.poll(() => second.ups.length, { timeout: 3000 }).toBeGreaterThanOrEqual(1);
    const start = second.ups[0] as number;
    await new Promise((r) => setTimeout(r, 1200));
    const inWindow = second.ups.filter((at) => at - start < 1200);
    expect(inWindow.length).toBeGreaterThanOrEqual(2);
    expect(inWindow.length).toBeLessThanOrEqual(5);
    // Each gap is at least the delay the backoff gave it.
    const gaps = second.ups.slice(1).map((at, i) => at - (second.ups[i] as number));
    [100, 200, 400]
      .slice(0, gaps.length)
      .forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay - 5));
    // Every attempt was refused as a duplicate, and said so.
    expect(second.downs.length).toBeGreaterThanOrEqual(second.ups.length - 1);
    expect(new Set(second.downs)).toEqual(new Set(['duplicate']));
    expect(second.dialErrors.length).toBe(second.downs.length);
    for (const { target: t, err } of second.dialErrors) {
      expect(t).toBe(target);
      expect(err).toMatchObject({ code: 'ERR_CTP_LINK_REFUSED', reason: 'duplicate' });
      expect(err.message).toMatch(
        /refused the link: it has a live link with router id dup already/,
      );
    }
    expect(second.r.nodes()).toEqual([]);
    // The first link was never disturbed.
    expect(first.downs).toEqual([]);
    expect(st.t.stats().duplicates).toBe(second.downs.length);
  });

  it('a plain peer gets the bye as its last line before the close', async () => {
    const st = await node('station', { listen: { host: '127.0.0.1', port: 0 } });
    const port = st.t.address().port;
    const join = async (instance: string): Promise<{ lines: string[]; closed: Promise<void> }> => {
      const s = await new Promise<Socket>((resolve, reject) => {
        const sock = connect({ host: '127.0.0.1', port }, () => resolve(sock));
        sock.on('error', reject);
        sockets.push(sock);
      });
      const lines: string[] = [];
      let buf = '';
      s.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      s.write(`${helloFrame('beta', instance)}\n`);
      return { lines, closed: new Promise((resolve) => s.on('close', () => resolve())) };
    };
    const kept = await join('one');
    await expect
      .poll(() => st.t.peers().filter((p) => p.routerId === 'beta').length, { timeout: 3000 })
      .toBe(1);
    const refused = await join('two');
    await refused.closed;
    expect(refused.lines.at(-1)).toBe(byeFrame('station', 'duplicate'));
    expect(JSON.parse(refused.lines.at(-1) as string)).toEqual({
      v: 1,
      t: 'REPORTNODE',
      bye: 'duplicate',
      from: 'station',
      adverts: [],
    });
    expect(kept.lines.some((l) => l.includes('"bye"'))).toBe(false);
  });

  it('the bye line is a valid frame that changes nothing at a plain router: no answer, no drop, no node', () => {
    const line = byeFrame('station', 'duplicate');
    expect(decode(line)).toMatchObject({ t: 'REPORTNODE', from: 'station', adverts: [] });
    expect(parseBye(Buffer.from(line))).toBe('duplicate');
    // Only a bye is one.
    expect(
      parseBye(
        Buffer.from(JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'station', adverts: [] })),
      ),
    ).toBeUndefined();
    expect(
      parseBye(
        Buffer.from(
          JSON.stringify({
            v: 1,
            t: 'POST',
            node: 'n',
            content: { bye: 'duplicate', adverts: [] },
          }),
        ),
      ),
    ).toBeUndefined();
    const sent: string[] = [];
    const dropped: CtpDropped<string>[] = [];
    const plain = new CtpRouter<string>(
      () => {},
      (_p, f) => void sent.push(f),
      () => {},
      { id: 'beta', nodes: ['b1'] },
    );
    routers.push(plain as unknown as CtpRouter<TcpPeer>);
    plain.on('dropped', (d) => dropped.push(d));
    plain.peerUp('link');
    plain.receive('link', helloFrame('station', 'i1'));
    const before = sent.length;
    plain.receive('link', line);
    expect(sent.length).toBe(before);
    expect(dropped).toEqual([]);
    expect(plain.nodes()).toEqual(['b1']);
  });
});

describe('refused: a full server says which attempts it dropped', () => {
  it('reports each dropped attempt as `max-connections`, and evicts an unproven connection for the next', async () => {
    const st = await node('station', {
      listen: { host: '127.0.0.1', port: 0 },
      maxConnections: 1, // full at one (1024 by default)
    });
    const refused: [string, TcpRefusedReason, string][] = [];
    st.t.on('refused', (remote, reason, err) => refused.push([remote, reason, err.message]));
    const port = st.t.address().port;
    const connectRaw = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
        s.on('error', () => {});
        sockets.push(s);
      });
    const loris = await connectRaw();
    await expect.poll(() => st.t.peers().length, { timeout: 3000 }).toBe(1);
    const late = await connectRaw();
    await expect.poll(() => refused.length, { timeout: 3000 }).toBe(1);
    expect(refused[0]).toEqual([
      `127.0.0.1:${late.localPort}`,
      'max-connections',
      'the server is full (maxConnections 1)',
    ]);
    await expect.poll(() => st.downs, { timeout: 3000 }).toEqual(['evicted']);
    expect(st.t.stats()).toMatchObject({ refused: 1, evicted: 1 });
    expect(loris.localPort).not.toBe(late.localPort);
  });
});
