/**
 * The HTTP server of `ctp-router ui`: the page and its assets, `/events`
 * (server-sent events), read-only (405), 404, loopback by default, close().
 */
import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { CtpFeedEntry } from '../../src/ui/feed.js';
import type { CtpNetworkView } from '../../src/ui/model.js';
import { CtpUiServer, isLoopbackHost } from '../../src/ui/server.js';

const servers: CtpUiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(): Promise<{ server: CtpUiServer; base: string }> {
  const server = new CtpUiServer({ port: 0 });
  servers.push(server);
  const { host, port } = await server.listen();
  return { server, base: `http://${host}:${port}` };
}

const view = (self: string, nodes: string[] = []): CtpNetworkView => ({
  self,
  routers: [{ id: self, self: true, reachable: true, nodes }],
  links: [],
  nodes: nodes.map((node) => ({ node, host: self, via: 'local', controller: null, monitors: [] })),
  unreachable: [],
});

/** One SSE message. */
interface Sse {
  event: string;
  data: string;
}

/** Open `/events`; collects messages until closed. */
function openEvents(base: string): Promise<{
  res: IncomingMessage;
  messages: Sse[];
  next: (n: number) => Promise<Sse[]>;
  close: () => void;
}> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/events`, { headers: { accept: 'text/event-stream' } }, (res) => {
      const messages: Sse[] = [];
      const waiters: { n: number; done: (m: Sse[]) => void }[] = [];
      let buf = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) messages.push({ event, data: data.join('\n') });
        }
        for (const w of [...waiters]) if (messages.length >= w.n) w.done(messages.slice(0, w.n));
      });
      const next = (n: number): Promise<Sse[]> =>
        messages.length >= n
          ? Promise.resolve(messages.slice(0, n))
          : new Promise((done, fail) => {
              const t = setTimeout(
                () => fail(new Error(`only ${messages.length} of ${n} messages`)),
                3000,
              );
              waiters.push({ n, done: (m) => (clearTimeout(t), done(m)) });
            });
      resolve({ res, messages, next, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('CtpUiServer', () => {
  it('listens on loopback by default', async () => {
    const server = new CtpUiServer({ port: 0 });
    servers.push(server);
    expect((await server.listen()).host).toBe('127.0.0.1');
  });

  it('serves the page: a node table, a role=log feed, its script and the graph library from node_modules', async () => {
    const { base } = await start();
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toMatch(/<table id="node-table">/);
    expect(html).toMatch(/role="log"/);
    expect(html).toContain('<script src="/vendor/cytoscape.min.js">');
    expect(html).not.toMatch(/https?:\/\//);
    const lib = await fetch(`${base}/vendor/cytoscape.min.js`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await lib.text()).length).toBeGreaterThan(100_000);
    const app = await fetch(`${base}/app.js`);
    expect(await app.text()).toContain("'/updates'");
    expect((await fetch(`${base}/app.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('404 for other paths (no files beyond its own)', async () => {
    const { base } = await start();
    for (const path of [
      '/nope',
      '/vendor/',
      '/../package.json',
      '/%2e%2e/package.json',
      '/app.js/x',
      '/__proto__',
      '/constructor',
      '/events/x',
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('405 for every method but GET and HEAD: read-only', async () => {
    const { base } = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/', '/events', '/nope']) {
        const res = await fetch(`${base}${path}`, {
          method,
          body: method === 'OPTIONS' ? undefined : 'x',
        });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
      }
    }
  });

  it('/events: the current view and the backlog at once, then every new view and feed entry; an equal view is not resent', async () => {
    const { server, base } = await start();
    server.setView(view('o'));
    const early: CtpFeedEntry = { at: 1, kind: 'table', text: 'node +a at o' };
    server.log([early]);
    const s = await openEvents(base);
    expect(s.res.headers['content-type']).toMatch(/^text\/event-stream/);
    const first = await s.next(2);
    expect(first[0]?.event).toBe('view');
    expect(JSON.parse(first[0]?.data as string)).toEqual(view('o'));
    expect(first[1]).toEqual({ event: 'feed', data: JSON.stringify([early]) });
    await expect.poll(() => server.clients).toBe(1);

    server.setView(view('o'));
    server.setView(view('o', ['cam1']));
    const entry: CtpFeedEntry = {
      at: 2,
      kind: 'register',
      text: 'registered c controller of cam1',
    };
    server.log([entry]);
    server.log([]);
    const all = await s.next(4);
    expect(all.slice(2).map((m) => m.event)).toEqual(['view', 'feed']);
    expect(JSON.parse(all[2]?.data as string).nodes[0].node).toBe('cam1');
    expect(JSON.parse(all[3]?.data as string)).toEqual([entry]);
    s.close();
    await expect.poll(() => server.clients).toBe(0);
  });

  it('/view.json is the last view; a page connecting before any view gets null', async () => {
    const { server, base } = await start();
    expect(await (await fetch(`${base}/view.json`)).json()).toBeNull();
    server.setView(view('x'));
    expect(await (await fetch(`${base}/view.json`)).json()).toEqual(view('x'));
  });

  it('/updates: the cursors, the view when the page has not got it, the feed entries after its cursor', async () => {
    const server = new CtpUiServer({ port: 0, feedBacklog: 3 });
    servers.push(server);
    const { host, port } = await server.listen();
    const base = `http://${host}:${port}`;
    const get = async (q = ''): Promise<Record<string, unknown>> =>
      (await fetch(`${base}/updates${q}`)).json() as Promise<Record<string, unknown>>;
    expect(await get()).toEqual({ view: 0, feed: 0, held: 0, data: null, entries: [] });
    server.setView(view('x'));
    server.log([1, 2].map((i) => ({ at: i, kind: 'drop' as const, text: `d${i}` })));
    const first = await get();
    expect(first).toMatchObject({ view: 1, feed: 2, data: view('x') });
    expect((first.entries as CtpFeedEntry[]).map((e) => e.text)).toEqual(['d1', 'd2']);
    // Nothing new: no view, no entries.
    expect(await get('?view=1&feed=2')).toEqual({ view: 1, feed: 2, held: 0, entries: [] });
    server.log([3, 4, 5].map((i) => ({ at: i, kind: 'drop' as const, text: `d${i}` })));
    const later = await get('?view=1&feed=2');
    expect((later.entries as CtpFeedEntry[]).map((e) => e.text)).toEqual(['d3', 'd4', 'd5']);
    // A page further behind than the backlog gets what is kept.
    const behind = await get('?view=1&feed=0');
    expect((behind.entries as CtpFeedEntry[]).map((e) => e.text)).toEqual(['d3', 'd4', 'd5']);
    expect(later).not.toHaveProperty('data');
  });

  it('/updates?wait: held until something changes, or until the wait is over', async () => {
    const server = new CtpUiServer({ port: 0 });
    servers.push(server);
    const { host, port } = await server.listen();
    const base = `http://${host}:${port}`;
    const get = async (q: string): Promise<Record<string, unknown>> =>
      (await fetch(`${base}/updates${q}`)).json() as Promise<Record<string, unknown>>;
    const held = get('?view=0&feed=0&wait=5000');
    await new Promise((r) => setTimeout(r, 100));
    server.setView(view('y'));
    const u = await held;
    expect(u).toMatchObject({ view: 1, feed: 0, data: view('y') });
    expect(u.held as number).toBeGreaterThanOrEqual(50);
    const quiet = await get('?view=1&feed=0&wait=150');
    expect(quiet).toMatchObject({ view: 1, feed: 0, entries: [] });
    expect(quiet.held as number).toBeGreaterThanOrEqual(140);
    // Something new already: answered at once.
    expect(await get('?view=0&feed=0&wait=5000')).toMatchObject({ held: 0, data: view('y') });
  });

  it('keeps only feedBacklog entries for late pages', async () => {
    const server = new CtpUiServer({ port: 0, feedBacklog: 2 });
    servers.push(server);
    const { host, port } = await server.listen();
    server.log([1, 2, 3].map((i) => ({ at: i, kind: 'drop' as const, text: `d${i}` })));
    const s = await openEvents(`http://${host}:${port}`);
    const [, feed] = await s.next(2);
    expect(JSON.parse(feed?.data as string).map((e: CtpFeedEntry) => e.text)).toEqual(['d2', 'd3']);
    s.close();
  });

  it('close() ends open streams and stops listening; a second close is fine', async () => {
    const { server, base } = await start();
    server.setView(view('o'));
    const s = await openEvents(base);
    await s.next(1);
    const ended = new Promise<void>((resolve) => s.res.on('close', () => resolve()));
    await server.close();
    await ended;
    await server.close();
    await expect(fetch(`${base}/`)).rejects.toThrow();
  });

  it('on loopback, answers loopback Host headers only (no DNS rebinding)', async () => {
    const { base } = await start();
    const port = Number(new URL(base).port);
    const get = (host: string | undefined): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/view.json',
            headers: host === undefined ? {} : { host },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode as number);
          },
        );
        req.on('error', reject);
        if (host === undefined) req.removeHeader('host');
        req.end();
      });
    for (const ok of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      '127.0.0.1',
      `[::1]:${port}`,
      `127.1.2.3:${port}`,
    ])
      expect(await get(ok), ok).toBe(200);
    for (const bad of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil:${port}`,
    ])
      expect([bad, await get(bad)]).toEqual([bad, 403]);
    expect(await get(undefined)).toBe(400); // node:http itself refuses a request without Host
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('[::1]')).toBe(true);
  });

  it('cuts off a page that stopped reading instead of buffering without bound', async () => {
    const server = new CtpUiServer({ port: 0, maxBufferedBytes: 64 * 1024 }); // 64 KiB (4 MiB by default): a few big views pass it
    servers.push(server);
    const { host, port } = await server.listen();
    const s = await openEvents(`http://${host}:${port}`);
    await s.next(1);
    s.res.pause();
    const closed = new Promise<void>((resolve) => s.res.on('close', () => resolve()));
    const big = view(
      'o',
      Array.from({ length: 2000 }, (_, i) => `node-${i}`),
    );
    for (let i = 0; i < 400 && server.clients > 0; i++) {
      big.self = `o${i}`;
      server.setView(big);
      await new Promise((r) => setImmediate(r));
    }
    expect(server.clients).toBe(0);
    s.res.resume();
    await closed;
  });

  it('a port in use rejects listen()', async () => {
    const { base } = await start();
    const other = new CtpUiServer({ port: Number(new URL(base).port) });
    servers.push(other);
    await expect(other.listen()).rejects.toThrow(/EADDRINUSE/);
  });
});
