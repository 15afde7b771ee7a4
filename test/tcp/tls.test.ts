/**
 * TcpTransport over mutual TLS, real sockets on 127.0.0.1, the committed
 * fixtures of test/fixtures/tls: links end to end, refused handshakes
 * (no certificate, another CA, expired, plaintext), router ids bound to
 * certificates (identity-mismatch), one link per id, id@host:port targets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CtpArgumentError,
  CtpRouter,
  type CtpMessage,
  type CtpRouterOptions,
} from '../../src/index.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../../src/base/messages.js';
import {
  certificateId,
  TcpTransport,
  type TcpPeer,
  type TcpTransportOptions,
} from '../../src/tcp/index.js';
import { freePort, ROOT } from './procs.js';

const FIX = join(ROOT, 'test/fixtures/tls');
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL)
  console.warn(
    'tls.test: openssl not found: skipping "refuses a verified certificate whose CN is not a router id" (it makes one)',
  );
const pem = (name: string): string => readFileSync(join(FIX, name), 'utf8');
/** Key, certificate and the test CA of a fixture (`ca` overridable). */
const creds = (name: string, ca = 'ca'): { key: string; cert: string; ca: string } => ({
  key: pem(`${name}.key`),
  cert: pem(`${name}.crt`),
  ca: pem(`${ca}.crt`),
});

interface Node {
  id: string;
  router: CtpRouter<TcpPeer>;
  transport: TcpTransport;
  received: [CtpReceivedName, CtpControlMessage | CtpEvent][];
  /** Every frame `authorize` saw: the peer's identity and the message. */
  seen: { identity: string | undefined; msg: CtpMessage }[];
  ups: number;
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
): Promise<Node> {
  const transport = new TcpTransport(t);
  const n: Node = {
    id,
    transport,
    received: [],
    seen: [],
    ups: 0,
    router: undefined as unknown as CtpRouter<TcpPeer>,
  };
  n.router = new CtpRouter<TcpPeer>(
    (name, msg) => {
      n.received.push([name, msg]);
      if (name !== 'EVENT') n.router.respond(msg.node, { echo: msg.t });
    },
    transport.send,
    () => {},
    {
      id,
      authorize: (peer, msg) => {
        n.seen.push({ identity: peer.identity, msg });
        return true;
      },
      ...r,
    },
  );
  transport.on('connect', () => n.ups++);
  transport.attach(n.router);
  await transport.listening();
  open.push(n);
  return n;
}

const loopback = { host: '127.0.0.1', port: 0 };
const addr = (n: Node): string => `127.0.0.1:${n.transport.address().port}`;
const port = (n: Node): number => n.transport.address().port;

/** A raw TLS client; resolves once its handshake is done (or rejects). */
function rawTls(p: number, opts: { key?: string; cert?: string; ca: string }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      { host: '127.0.0.1', port: p, ...opts, checkServerIdentity: () => undefined },
      () => resolve(s),
    );
    s.on('error', reject);
    sockets.push(s);
  });
}

/** Collect lines; `closed` resolves on close. */
function reader(s: Socket): { lines: string[]; closed: Promise<void> } {
  const lines: string[] = [];
  let buf = '';
  s.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  s.on('error', () => {});
  return { lines, closed };
}

const hello = (from: string, instance = 'i1'): string =>
  `${JSON.stringify({ v: 1, t: 'UPDATENODE', from, hello: 'ctp-tcp/1', instance })}\n`;
const report = (from: string, origin: string, nodes: string[], neighbors: string[]): string =>
  `${JSON.stringify({ v: 1, t: 'REPORTNODE', from, adverts: [{ origin, seq: Date.now(), nodes, neighbors }] })}\n`;

describe('TcpTransport with tls', () => {
  it('carries control and events end to end, through a relay, with router ids from certificates', async () => {
    const st = await node(
      'station',
      { listen: loopback, tls: creds('station') },
      { nodes: ['cam1'] },
    );
    const relay = await node('relay', {
      listen: loopback,
      connect: [addr(st)],
      tls: creds('relay'),
    });
    const con = await node('console', { connect: [addr(relay)], tls: creds('console') });
    const viewer = await node('viewer', {
      connect: [`relay@${addr(relay)}`],
      tls: creds('viewer'),
    });
    for (const n of [con, viewer])
      await expect.poll(() => n.router.nodes(), { timeout: 5000 }).toContain('cam1');
    expect(await viewer.router.register('cam1', 'monitor')).toEqual({ code: 'SUCCESS' });
    expect(await con.router.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(await con.router.command('cam1', 'pan', { deg: 3 })).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND' },
    });
    expect(st.router.publish('cam1', { moved: true })).toEqual({ code: 'SUCCESS' });
    await expect
      .poll(() => viewer.received.filter(([n]) => n === 'EVENT').length, { timeout: 3000 })
      .toBe(1);
    // Identities: each link's peer is its certificate's CN, from the first frame on.
    expect(st.transport.peers().map((p) => [p.identity, p.routerId])).toEqual([['relay', 'relay']]);
    expect(
      relay.transport
        .peers()
        .map((p) => p.identity)
        .sort(),
    ).toEqual(['console', 'station', 'viewer']);
    expect(st.seen.length).toBeGreaterThan(0);
    expect(new Set(st.seen.map((s) => s.identity))).toEqual(new Set(['relay']));
    expect(new Set(relay.seen.map((s) => s.identity))).toEqual(
      new Set(['console', 'station', 'viewer']),
    );
    expect(st.transport.stats()).toMatchObject({
      connections: 1,
      identityMismatches: 0,
      refused: 0,
      duplicates: 0,
    });
  });

  it("refuses a client without a certificate, with another CA's, or an expired one, before the router sees a frame", async () => {
    const st = await node(
      'station',
      { listen: loopback, tls: creds('station') },
      { nodes: ['cam1'] },
    );
    const refused: [string, string][] = [];
    st.transport.on('refused', (_remote, reason, err) => refused.push([reason, err.message]));
    const outcome = async (opts: { key?: string; cert?: string; ca: string }): Promise<string> => {
      try {
        const s = await rawTls(port(st), opts);
        const r = reader(s);
        // Written after the client's handshake: the server has not accepted it yet (TLS 1.3).
        s.write(hello('console'));
        s.write(report('console', 'console', ['evil'], ['station']));
        await r.closed;
        return `closed after ${r.lines.length} lines`;
      } catch (err) {
        return `error ${(err as NodeJS.ErrnoException).code ?? ''}`;
      }
    };
    const { ca } = creds('station');
    expect(await outcome({ ca })).toMatch(/^(error|closed after 0 lines)/);
    expect(await outcome(creds('intruder'))).toBe('closed after 0 lines');
    expect(await outcome(creds('expired'))).toBe('closed after 0 lines');
    // The CA's own certificate: not for client use.
    expect(await outcome(creds('ca'))).toBe('closed after 0 lines');
    // A TcpTransport client with an expired certificate: refused, it retries with backoff.
    const late = await node('console', { connect: [addr(st)], tls: creds('expired') });
    const lateErrors: string[] = [];
    late.transport.on('dialError', (_t, err) => lateErrors.push(err.message));
    await expect.poll(() => lateErrors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => refused.length, { timeout: 3000 }).toBeGreaterThanOrEqual(6);
    // Each refusal names its cause: no certificate, another CA, expired, the CA's own certificate.
    expect(new Set(refused.map(([r]) => r))).toEqual(
      new Set(['no-certificate', 'certificate-untrusted', 'certificate-expired', 'not-end-entity']),
    );
    expect(refused.slice(0, 4).map(([r]) => r)).toEqual([
      'no-certificate',
      'certificate-untrusted',
      'certificate-expired',
      'not-end-entity',
    ]);
    for (const [r, m] of refused)
      if (r === 'certificate-expired') expect(m).toMatch(/CERT_HAS_EXPIRED/);
    expect(refused.map(([, m]) => m).join(' ')).toMatch(/CERT_HAS_EXPIRED/);
    expect(refused.map(([, m]) => m).join(' ')).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to get local issuer/i,
    );
    // Nothing reached the router.
    expect(st.ups).toBe(0);
    expect(st.seen).toEqual([]);
    expect(st.transport.stats()).toMatchObject({ connections: 0, framesIn: 0 });
    expect(st.transport.stats().refused).toBe(refused.length);
    expect(st.router.nodes()).toEqual(['cam1']);
  });

  it.skipIf(!HAVE_OPENSSL)(
    'refuses a verified certificate whose CN is not a router id (certificate-id)',
    async () => {
      const st = await node('station', { listen: loopback, tls: creds('station') });
      const refused: string[] = [];
      st.transport.on('refused', (_remote, reason) => refused.push(reason));
      const dir = mkdtempSync(join(tmpdir(), 'ctp-tls-'));
      try {
        const run = (args: string[]): void => {
          const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
        };
        run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'odd.key']);
        run(['req', '-new', '-key', 'odd.key', '-subj', '/CN=not a router id', '-out', 'odd.csr']);
        writeFileSync(
          join(dir, 'odd.ext'),
          'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n',
        );
        run([
          'x509',
          '-req',
          '-in',
          'odd.csr',
          '-CA',
          join(FIX, 'ca.crt'),
          '-CAkey',
          join(FIX, 'ca.key'),
          '-CAcreateserial',
          '-CAserial',
          join(dir, 'ca.srl'),
          '-days',
          '2',
          '-extfile',
          'odd.ext',
          '-out',
          'odd.crt',
        ]);
        const s = await rawTls(port(st), {
          key: readFileSync(join(dir, 'odd.key'), 'utf8'),
          cert: readFileSync(join(dir, 'odd.crt'), 'utf8'),
          ca: pem('ca.crt'),
        });
        const r = reader(s);
        s.write(hello('console'));
        await r.closed;
        expect(r.lines).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await expect.poll(() => refused, { timeout: 3000 }).toEqual(['certificate-id']);
      expect(st.ups).toBe(0);
      expect(st.transport.stats()).toMatchObject({ framesIn: 0, refused: 1 });
    },
  );

  it('closes a link whose hello or frames claim another router than its certificate; the real one keeps working', async () => {
    const st = await node(
      'station',
      { listen: loopback, tls: creds('station') },
      { nodes: ['cam1'] },
    );
    const reasons: [string | undefined, string][] = [];
    st.transport.on('disconnect', (p, reason) => reasons.push([p.identity, reason]));
    const con = await node('console', { connect: [addr(st)], tls: creds('console') });
    await expect.poll(() => con.router.nodes(), { timeout: 5000 }).toEqual(['cam1']);
    expect(await con.router.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    const seenBefore = st.seen.length;

    // mallory's certificate, claiming console in its hello.
    const m1 = await rawTls(port(st), creds('mallory'));
    const r1 = reader(m1);
    m1.write(hello('console'));
    m1.write(report('console', 'console', ['evil'], ['station']));
    await r1.closed;
    // mallory's certificate, an honest hello, then a frame from console; then one with an escaped key.
    for (const forged of [
      report('console', 'console', ['evil'], ['station']),
      '{"v":1,"t":"UPDATENODE","fr\\u006fm":"console"}\n',
    ]) {
      const m = await rawTls(port(st), creds('mallory'));
      const r = reader(m);
      m.write(hello('mallory'));
      m.write(forged);
      await r.closed;
    }
    expect(reasons).toEqual([
      ['mallory', 'identity-mismatch'],
      ['mallory', 'identity-mismatch'],
      ['mallory', 'identity-mismatch'],
    ]);
    expect(st.transport.stats().identityMismatches).toBe(3);
    // None of mallory's frames reached the router; console's link is untouched.
    expect(st.seen.slice(seenBefore).filter((s) => s.identity === 'mallory')).toEqual([]);
    expect(st.router.nodes()).toContain('cam1');
    expect(st.router.snapshot().nodes.cam1?.controller).toBe('controller[cam1]@console');
    expect(st.transport.peers().map((p) => p.identity)).toEqual(['console']);
    expect(await con.router.command('cam1', 'pan', { deg: 1 })).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND' },
    });
    expect(st.router.snapshot().neighbors).toEqual(['console']);
  });

  it('refuses a second link for an id while the first lives, and lets it in once the first has closed', async () => {
    const st = await node(
      'station',
      { listen: loopback, tls: creds('station') },
      { nodes: ['cam1'] },
    );
    const reasons: string[] = [];
    st.transport.on('disconnect', (_p, reason) => reasons.push(reason));
    const con1 = await node('console', { connect: [addr(st)], tls: creds('console') });
    await expect.poll(() => con1.router.nodes(), { timeout: 5000 }).toEqual(['cam1']);
    const kept = st.transport.peers()[0];
    // The same certificate in a second process (a new instance): refused while console's link lives.
    const con2 = await node('console', { connect: [addr(st)], tls: creds('console') });
    await expect
      .poll(() => st.transport.stats().duplicates, { timeout: 5000 })
      .toBeGreaterThanOrEqual(2);
    expect(st.transport.peers()).toEqual([kept]);
    expect(con2.router.nodes()).toEqual([]);
    expect(await con1.router.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(new Set(reasons)).toEqual(new Set(['duplicate']));
    // The first closes: the newcomer's next redial gets in.
    await con1.transport.close();
    await expect.poll(() => con2.router.nodes(), { timeout: 5000 }).toEqual(['cam1']);
    expect(st.transport.peers().map((p) => p.identity)).toEqual(['console']);
    expect(st.transport.peers()[0]).not.toBe(kept);
  });

  it('mutual dialling over TLS ends with one link, the one the lower id dialled', async () => {
    const [pa, pb] = await Promise.all([freePort(), freePort()]);
    const a = await node(
      'console',
      {
        listen: { host: '127.0.0.1', port: pa },
        connect: [`127.0.0.1:${pb}`],
        tls: creds('console'),
      },
      { nodes: ['x'] },
    );
    const b = await node(
      'station',
      {
        listen: { host: '127.0.0.1', port: pb },
        connect: [`127.0.0.1:${pa}`],
        tls: creds('station'),
      },
      { nodes: ['y'] },
    );
    await expect
      .poll(() => [a.router.nodes(), b.router.nodes()], { timeout: 5000 })
      .toEqual([
        ['x', 'y'],
        ['x', 'y'],
      ]);
    // Settled: one socket each, console's dialler holds the kept link, station's is parked on console.
    type Dialer = {
      parkedOn: string | undefined;
      timer: unknown;
      connecting: unknown;
      connection: unknown;
    };
    const state = (n: Node) => {
      const t = n.transport as unknown as { conns: Set<unknown>; dialers: Dialer[] };
      const d = t.dialers[0];
      return {
        sockets: t.conns.size,
        parked: d?.parkedOn,
        redialling: d?.timer !== undefined || d?.connecting !== undefined,
        holds: d?.connection !== undefined,
      };
    };
    await expect
      .poll(() => [state(a), state(b)], { timeout: 5000 })
      .toEqual([
        { sockets: 1, parked: undefined, redialling: false, holds: true },
        { sockets: 1, parked: 'console', redialling: false, holds: false },
      ]);
    expect(a.transport.peers().map((p) => [p.identity, p.direction])).toEqual([['station', 'out']]);
    expect(b.transport.peers().map((p) => [p.identity, p.direction])).toEqual([['console', 'in']]);
  });

  it('a plaintext client and a TLS listener, a TLS client and a plaintext listener: both sides fail cleanly and the dialler backs off', async () => {
    // Plaintext dialler → TLS listener.
    const st = await node(
      'station',
      { listen: loopback, tls: creds('station') },
      { nodes: ['cam1'] },
    );
    const refused: string[] = [];
    st.transport.on('refused', (_r, reason, err) =>
      refused.push(`${reason} ${(err as NodeJS.ErrnoException).code ?? err.message}`),
    );
    const plain = await node('console', { connect: [addr(st)] });
    const plainDowns: number[] = [];
    plain.transport.on('disconnect', (_p, reason) => {
      expect(reason).toBe('closed');
      plainDowns.push(Date.now());
    });
    await expect.poll(() => plainDowns.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => refused.length, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
    expect(refused[0]).toMatch(/^tls-handshake /);
    expect(st.ups).toBe(0);
    expect(st.transport.stats().framesIn).toBe(0);
    // Backoff: the dialler's attempt count grows (it is never reset by a link that never answered).
    const dialer = (plain.transport as unknown as { dialers: { attempt: number }[] }).dialers[0];
    expect(dialer?.attempt).toBeGreaterThanOrEqual(3);

    // TLS dialler → plaintext listener.
    const pl = await node('relay', { listen: loopback }, { nodes: ['r1'] });
    const plDowns: string[] = [];
    pl.transport.on('disconnect', (_p, reason) => plDowns.push(reason));
    const tc = await node('viewer', { connect: [addr(pl)], tls: creds('viewer') });
    const dialErrors: string[] = [];
    tc.transport.on('dialError', (_t, err) =>
      dialErrors.push((err as NodeJS.ErrnoException).code ?? err.message),
    );
    await expect.poll(() => dialErrors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(dialErrors[0]).toMatch(/^ERR_SSL_/);
    expect(tc.ups).toBe(0);
    expect(tc.transport.stats().dialFailures).toBe(dialErrors.length);
    await expect.poll(() => plDowns.length, { timeout: 3000 }).toBeGreaterThanOrEqual(1);
    expect(new Set(plDowns)).toEqual(new Set(['closed']));
    expect(pl.router.nodes()).toEqual(['r1']);
  });

  it('checks an id@host:port target against the server certificate', async () => {
    const st = await node(
      'station',
      { listen: loopback, tls: creds('station') },
      { nodes: ['cam1'] },
    );
    const wrong = await node('console', { connect: [`relay@${addr(st)}`], tls: creds('console') });
    const errors: string[] = [];
    wrong.transport.on('dialError', (_t, err) =>
      errors.push(`${(err as NodeJS.ErrnoException).code} ${err.message}`),
    );
    await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatch(/^ERR_CTP_CERT_ID .*names station, expected relay/);
    expect(wrong.ups).toBe(0);
    const right = await node('viewer', { connect: [`station@${addr(st)}`], tls: creds('viewer') });
    await expect.poll(() => right.router.nodes(), { timeout: 5000 }).toEqual(['cam1']);
  });

  it('every failed TLS dial attempt is a dialError with a code: a server of another CA, a refused client certificate', async () => {
    // A server whose certificate another CA issued: our side refuses it, each attempt.
    const foreign = await node('console', { listen: loopback, tls: creds('intruder', 'other-ca') });
    const c1 = await node('viewer', { connect: [addr(foreign)], tls: creds('viewer') });
    const e1: (string | undefined)[] = [];
    c1.transport.on('dialError', (_t, err) => e1.push((err as NodeJS.ErrnoException).code));
    // The server refuses our certificate (expired): it closes the link after its handshake, each attempt.
    const st = await node('station', { listen: loopback, tls: creds('station') });
    const c2 = await node('console', { connect: [addr(st)], tls: creds('expired') });
    const e2: (string | undefined)[] = [];
    c2.transport.on('dialError', (_t, err) => e2.push((err as NodeJS.ErrnoException).code));
    await expect
      .poll(() => [e1.length >= 3, e2.length >= 3], { timeout: 5000 })
      .toEqual([true, true]);
    await Promise.all([c1.transport.close(), c2.transport.close()]);
    // node's verification codes (the server sends its chain, the other CA in it).
    for (const code of e1)
      expect(code).toMatch(
        /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/,
      );
    // A TLS alert, a reset, or a bare close: always a code.
    for (const code of e2)
      expect(code).toMatch(/^(ERR_SSL_|ECONNRESET$|EPIPE$|ERR_CTP_LINK_CLOSED$)/);
    // One event per attempt.
    for (const [c, e] of [
      [c1, e1],
      [c2, e2],
    ] as const) {
      expect(c.transport.stats().dialFailures).toBe(e.length);
      expect(
        (c.transport as unknown as { dialers: { attempt: number }[] }).dialers[0]?.attempt,
      ).toBe(e.length);
    }
    expect(foreign.ups + st.ups).toBe(0);
  });

  it('without tls, an id@host:port target whose hello names another router is an identity-mismatch', async () => {
    const st = await node('station', { listen: loopback }, { nodes: ['cam1'] });
    const c = await node('console', { connect: [`relay@${addr(st)}`] });
    const reasons: string[] = [];
    c.transport.on('disconnect', (_p, reason) => reasons.push(reason));
    await expect.poll(() => reasons.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    expect(reasons[0]).toBe('identity-mismatch');
    expect(c.transport.stats().identityMismatches).toBeGreaterThanOrEqual(1);
    expect(c.router.nodes()).toEqual([]);
  });

  it('validates its tls options and the router id against the certificate', () => {
    const station = creds('station');
    expect(
      () => new TcpTransport({ tls: { key: station.key, cert: station.cert } as never }),
    ).toThrow(CtpArgumentError);
    expect(() => new TcpTransport({ tls: { ca: station.ca } })).toThrow(/key and cert/);
    expect(
      () => new TcpTransport({ tls: { ...station, rejectUnauthorized: false } as never }),
    ).toThrow(/left on/);
    expect(() => new TcpTransport({ tls: station, id: 'console' })).toThrow(/station/);
    expect(() => new TcpTransport({ tls: { ...station, key: pem('console.key') } })).toThrow(
      CtpArgumentError,
    );
    expect(() => new TcpTransport({ connect: ['bad id@127.0.0.1:1'] })).toThrow(CtpArgumentError);
    const t = new TcpTransport({ tls: station });
    const r = new CtpRouter<TcpPeer>(
      () => {},
      t.send,
      () => {},
      { id: 'console' },
    );
    expect(() => t.attach(r)).toThrow(/station/);
    void r.close();
    expect(certificateId(pem('viewer.crt'))).toBe('viewer');
    expect(certificateId(pem('ca.crt'))).toBeUndefined(); // "ctp-router test CA" is not a router id
    expect(certificateId('not a certificate')).toBeUndefined();
  });

  it('close() does not wait for a connection stuck in its handshake', async () => {
    const st = await node('station', {
      listen: loopback,
      tls: { ...creds('station'), handshakeTimeout: 60_000 },
    });
    const s = netConnect({ host: '127.0.0.1', port: port(st) });
    sockets.push(s);
    s.on('error', () => {});
    await new Promise<void>((resolve) => s.on('connect', () => resolve()));
    let socketClosed = false;
    const closed = new Promise<void>((resolve) =>
      s.on('close', () => {
        socketClosed = true;
        resolve();
      }),
    );
    // Stuck: the server holds the connection, in its handshake (never a link).
    const server = (st.transport as unknown as { server: Server }).server;
    const held = (): Promise<number> =>
      new Promise((resolve, reject) =>
        server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
      );
    await expect.poll(held, { timeout: 5000 }).toBe(1);
    expect(socketClosed).toBe(false);
    expect(st.transport.stats().connections).toBe(0);
    open.splice(open.indexOf(st), 1);
    // close() resolves long before the 60 s handshake timeout, and drops the stuck connection.
    const within = async (p: Promise<unknown>, ms: number): Promise<string> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<string>((r) => {
        timer = setTimeout(() => r(`still waiting after ${ms} ms`), ms);
      });
      try {
        return await Promise.race([p.then(() => 'done'), late]);
      } finally {
        clearTimeout(timer);
      }
    };
    expect(await within(st.transport.close(), 5000)).toBe('done');
    expect(await within(closed, 5000)).toBe('done');
    expect(socketClosed).toBe(true);
    await st.router.close();
  });
});
