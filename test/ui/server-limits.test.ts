/**
 * The limits of the `ctp-router ui` server (issue 25): capped `/events`
 * streams and held polls, pages that stop reading cut off past a byte budget
 * (each and all together), slow-header sockets closed, HTTP connections
 * capped, and the Host check kept on beyond loopback (allowed names only).
 */
import { connect, type Socket } from 'node:net';
import { request, type IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { CtpNetworkView } from '../../src/ui/model.js';
import { hostCheck, hostOf } from '../../src/ui/hosts.js';
import { CtpUiServer, type CtpUiServerOptions } from '../../src/ui/server.js';

const servers: CtpUiServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(o: CtpUiServerOptions = {}): Promise<{ server: CtpUiServer; port: number }> {
  const server = new CtpUiServer({ port: 0, ...o });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port };
}

const bigView = (self: string, n: number): CtpNetworkView => ({
  self,
  routers: [{ id: self, self: true, reachable: true, nodes: [] }],
  links: [],
  nodes: Array.from({ length: n }, (_, i) => ({
    node: `node-${i}`,
    host: self,
    via: 'local',
    controller: null,
    monitors: [],
  })),
  unreachable: [],
});

/** GET `path` with `host` as the Host header; resolves to the response (body unread). */
function get(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
  to = '127.0.0.1',
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: to, port, path, headers: { host }, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CtpUiServer limits', () => {
  it('caps /events streams: one more gets 503, and a slot frees when a page leaves', async () => {
    const { server, port } = await start({ maxStreams: 3 });
    const open = await Promise.all([1, 2, 3].map(() => get(port, '/events')));
    expect(open.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const extra = await get(port, '/events');
    expect(extra.statusCode).toBe(503);
    expect(extra.headers['retry-after']).toBe('5');
    extra.resume();
    expect(server.stats()).toMatchObject({ streams: 3, refused: 1 });
    // The finite polls still work while the streams are full.
    const poll = await get(port, '/updates');
    expect(poll.statusCode).toBe(200);
    poll.resume();
    (open[0] as IncomingMessage).destroy();
    for (let i = 0; i < 200 && server.clients === 3; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(server.clients).toBe(2);
    const again = await get(port, '/events');
    expect(again.statusCode).toBe(200);
    for (const r of [...open, again]) r.destroy();
  });

  it('many pages that never read: each is cut off past its budget, the total stays bounded, and nothing is kept after', async () => {
    const budget = 256 * 1024;
    const { server, port } = await start({
      maxStreams: 40,
      maxBufferedBytes: 64 * 1024,
      maxTotalBufferedBytes: budget,
    });
    // 60 pages: 40 streams and 20 refused.
    const pages = await Promise.all(Array.from({ length: 60 }, () => get(port, '/events')));
    expect(pages.filter((r) => r.statusCode === 200)).toHaveLength(40);
    expect(pages.filter((r) => r.statusCode === 503)).toHaveLength(20);
    for (const r of pages) r.pause(); // nobody reads
    const big = bigView('o', 3000); // ~250 KB of JSON per view
    let maxBuffered = 0;
    const chunk = Buffer.byteLength(JSON.stringify(big)) + 64;
    for (let i = 0; i < 300 && server.clients > 0; i++) {
      big.self = `o${i}`;
      server.setView(big);
      maxBuffered = Math.max(maxBuffered, server.stats().bufferedBytes);
      await tick();
    }
    const st = server.stats();
    expect(st.streams).toBe(0);
    expect(st.cutOff).toBe(40);
    expect(st.bufferedBytes).toBe(0);
    // Never more unsent than the total budget plus the one view being pushed to each page.
    expect(maxBuffered).toBeLessThanOrEqual(budget + chunk);
    for (const r of pages) r.destroy();
  });

  it('a held poll beyond maxHeldPolls is answered at once', async () => {
    const { server, port } = await start({ maxHeldPolls: 2 });
    server.setView(bigView('o', 1));
    const first = await get(port, '/updates');
    const body = await new Promise<string>((resolve) => {
      let b = '';
      first
        .setEncoding('utf8')
        .on('data', (c: string) => (b += c))
        .on('end', () => resolve(b));
    });
    const { view, feed } = JSON.parse(body) as { view: number; feed: number };
    const q = `/updates?view=${view}&feed=${feed}&wait=5000`;
    const held = [get(port, q), get(port, q)];
    for (let i = 0; i < 200 && server.stats().heldPolls < 2; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(server.stats().heldPolls).toBe(2);
    const third = await get(port, q); // answered without waiting for the 5 s
    expect(third.statusCode).toBe(200);
    third.resume();
    server.setView(bigView('p', 1)); // wakes the held two
    for (const r of await Promise.all(held)) {
      expect(r.statusCode).toBe(200);
      r.resume();
    }
  });

  it('closes a socket that does not finish its request head within headersTimeoutMs', async () => {
    const { port } = await start({ headersTimeoutMs: 200 });
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // never the blank line
    const got = await new Promise<string>((resolve) => {
      let text = '';
      s.setEncoding('utf8').on('data', (c: string) => (text += c));
      s.on('close', () => resolve(text));
    });
    expect(got).toMatch(/^HTTP\/1\.1 408/);
  });

  it('caps HTTP connections: one more is closed at once', async () => {
    const { port } = await start({ maxConnections: 4 });
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      held.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
    }
    await new Promise((r) => setTimeout(r, 20)); // the server has accepted them
    const extra = connect(port, '127.0.0.1');
    sockets.push(extra);
    extra.on('error', () => {});
    extra.write('GET /view.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      extra.setEncoding('utf8').on('data', (c: string) => (text += c));
      extra.on('close', () => resolve(text));
    });
    expect(answer).toBe('');
    // One of the four leaves: a new one is served.
    (held[0] as Socket).destroy();
    await new Promise((r) => setTimeout(r, 20));
    const ok = await get(port, '/view.json');
    expect(ok.statusCode).toBe(200);
    ok.resume();
  });

  it('on 0.0.0.0 the Host check stays on: loopback names, local addresses and --http-allow-host names only', async () => {
    const { server, port } = await start({ host: '0.0.0.0', allowedHosts: ['ctp.example.net'] });
    const status = async (host: string): Promise<number> => {
      const r = await get(port, '/view.json', host);
      r.resume();
      return r.statusCode as number;
    };
    const local = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    const good = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `ctp.example.net:${port}`,
      'CTP.example.net',
      ...(local === undefined ? [] : [`${local}:${port}`]),
    ];
    for (const h of good) expect([h, await status(h)]).toEqual([h, 200]);
    // A DNS-rebinding page: its own name as Host.
    for (const h of [`evil.example:${port}`, `ctp.example.net.evil:${port}`, `0.0.0.0:${port}`])
      expect([h, await status(h)]).toEqual([h, 403]);
    expect(server.stats().badHost).toBe(3);
  });

  it('hostCheck: the bound address and allowed names; IPv6 forms', () => {
    const check = hostCheck('192.0.2.7', ['ui.example', '[2001:db8::1]']);
    expect(check('192.0.2.7:7070')).toBe(true);
    expect(check('ui.example')).toBe(true);
    expect(check('[2001:db8::1]:7070')).toBe(true);
    expect(check('[::1]:7070')).toBe(true);
    expect(check('192.0.2.8:7070')).toBe(false);
    expect(check('rebind.example:7070')).toBe(false);
    expect(check('')).toBe(false);
    expect(hostOf('[::1]:80')).toBe('::1');
    expect(hostOf('Example.COM:80')).toBe('example.com');
  });
});
