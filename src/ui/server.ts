/**
 * The HTTP side of `ctp-router ui` (node:http only): one read-only page, its
 * script and style, the graph library from node_modules, the current view as
 * JSON, `/updates` (what changed since a page's last poll: the page polls it, so a headless
 * browser's virtual time settles) and server-sent events carrying every new view and feed entry.
 * GET and HEAD only; anything else is 405, unknown paths 404.
 */
import createDebug from 'debug';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { PAGE_CSS, PAGE_HTML } from './page.js';
import { CLIENT_JS } from './client.js';
import type { CtpFeedEntry } from './feed.js';
import type { CtpNetworkView } from './model.js';

const debug = createDebug('ctp:ui');

/** Options of `CtpUiServer`. */
export interface CtpUiServerOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port (0: any free port). @default 7070 */
  port?: number;
  /** Feed entries kept for a page that connects later. @default 200 */
  feedBacklog?: number;
  /** Interval of SSE keep-alive comments. @default 15000 */
  keepAliveMs?: number;
  /** A page whose stream has more than this many bytes unsent is cut off (it reconnects and starts afresh). @default 4194304 */
  maxBufferedBytes?: number;
}

/** Is `host` a loopback name or address? */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === '::ffff:127.0.0.1'
  );
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`). */
function hostOf(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(0, end + 1);
  }
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

interface Asset {
  type: string;
  body: () => Buffer;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

let cytoscapeJs: Buffer | undefined;
/** The graph library's browser build, read from node_modules once. */
function cytoscape(): Buffer {
  cytoscapeJs ??= readFileSync(
    createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js'),
  );
  return cytoscapeJs;
}

const ASSETS: Record<string, Asset> = {
  '/': { type: 'text/html; charset=utf-8', body: () => Buffer.from(PAGE_HTML) },
  '/app.css': { type: 'text/css; charset=utf-8', body: () => Buffer.from(PAGE_CSS) },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(CLIENT_JS) },
  '/vendor/cytoscape.min.js': { type: 'text/javascript; charset=utf-8', body: cytoscape },
};

/**
 * Serves the page and pushes views and feed entries to every open page.
 * Feed it with `setView` and `log`; `close()` ends every stream and socket.
 */
export class CtpUiServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly backlog: CtpFeedEntry[] = [];
  private readonly maxBacklog: number;
  private readonly keepAlive: NodeJS.Timeout;
  private viewJson = 'null';
  /** Views set so far, and feed entries logged so far: the cursors of `/updates`. */
  private viewSeq = 0;
  private feedSeq = 0;
  /** Polls of `/updates` held until something changes (`wait`). */
  private readonly waiting = new Set<() => void>();
  private closed: Promise<void> | undefined;

  constructor(private readonly options: CtpUiServerOptions = {}) {
    this.maxBacklog = options.feedBacklog ?? 200;
    this.server = createServer((req, res) => this.handle(req, res));
    this.keepAlive = setInterval(
      () => this.broadcast(': keep-alive\n\n'),
      options.keepAliveMs ?? 15_000,
    );
    this.keepAlive.unref();
  }

  /** Listen; resolves to the address bound (loopback `127.0.0.1:7070` unless told otherwise). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 7070, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        debug('listening on %s:%d', a.address, a.port);
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** The current view; pushed to every page when it differs from the last one. */
  setView(view: CtpNetworkView): void {
    const json = JSON.stringify(view);
    if (json === this.viewJson) return;
    this.viewJson = json;
    this.viewSeq++;
    this.wake();
    this.broadcast(`event: view\ndata: ${json}\n\n`);
  }

  /** Append entries to the feed and push them to every page. */
  log(entries: readonly CtpFeedEntry[]): void {
    if (entries.length === 0) return;
    this.backlog.push(...entries);
    this.feedSeq += entries.length;
    this.wake();
    if (this.backlog.length > this.maxBacklog)
      this.backlog.splice(0, this.backlog.length - this.maxBacklog);
    this.broadcast(`event: feed\ndata: ${JSON.stringify(entries)}\n\n`);
  }

  /** How many pages are connected to `/events`. */
  get clients(): number {
    return this.streams.size;
  }

  /** End every stream, stop listening, close every socket (once). */
  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      clearInterval(this.keepAlive);
      for (const res of this.streams) res.end();
      this.streams.clear();
      this.wake();
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }

  /** Answer every held poll. */
  private wake(): void {
    const ws = [...this.waiting];
    this.waiting.clear();
    for (const w of ws) w();
  }

  private broadcast(chunk: string): void {
    const max = this.options.maxBufferedBytes ?? 4 * 1024 * 1024;
    for (const res of this.streams) {
      if (res.writableLength > max) {
        // A page that stopped reading: cut it off rather than buffer without bound.
        debug('dropping a stream with %d bytes unsent', res.writableLength);
        this.streams.delete(res);
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, {
        allow: 'GET, HEAD',
        'content-type': 'text/plain; charset=utf-8',
        ...SECURITY_HEADERS,
      });
      res.end('405 method not allowed: this page is read-only\n');
      return;
    }
    // Loopback serves loopback names only: a page elsewhere cannot read the view through DNS rebinding.
    if (
      isLoopbackHost(this.options.host ?? '127.0.0.1') &&
      !isLoopbackHost(hostOf(req.headers.host ?? ''))
    ) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('403 this page answers to a loopback host name only\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path === '/events') return this.openStream(req, res, method === 'HEAD');
    if (path === '/updates') return this.sendUpdates(req, res, method);
    if (path === '/view.json')
      return this.send(res, method, 'application/json; charset=utf-8', Buffer.from(this.viewJson));
    const asset = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined;
    if (asset === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('404 not found\n');
      return;
    }
    let body: Buffer;
    try {
      body = asset.body();
    } catch (err) {
      debug('asset %s: %O', path, err);
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(`500 cannot read ${path}\n`);
      return;
    }
    this.send(res, method, asset.type, body);
  }

  private send(res: ServerResponse, method: string, type: string, body: Buffer): void {
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(method === 'HEAD' ? undefined : body);
  }

  /**
   * `/updates?view=V&feed=F`: answered at once with `{ view, feed, data?, entries }` — the cursors now,
   * the view when it is not the page's `V` any more, the feed entries after `F` still kept
   * (all of them without `F`). A finite answer per poll, unlike `/events`. With `wait=MS` (at most
   * 5000) and nothing new, it is held until something changes or MS pass; `held` says how long.
   */
  private sendUpdates(req: IncomingMessage, res: ServerResponse, method: string): void {
    const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const seen = (k: string): number => {
      const n = Number(q.get(k) ?? NaN);
      return Number.isSafeInteger(n) ? n : -1;
    };
    const [view, feed, wait] = [seen('view'), seen('feed'), Math.min(5000, seen('wait'))];
    const fresh = view !== this.viewSeq || feed !== this.feedSeq;
    if (wait <= 0 || fresh || this.closed !== undefined || method === 'HEAD')
      return this.answerUpdates(res, method, view, feed, 0);
    const since = Date.now();
    const answer = (): void => {
      clearTimeout(timer);
      this.waiting.delete(answer);
      if (!res.writableEnded) this.answerUpdates(res, method, view, feed, Date.now() - since);
    };
    const timer = setTimeout(answer, wait);
    this.waiting.add(answer);
    req.on('close', () => {
      clearTimeout(timer);
      this.waiting.delete(answer);
    });
  }

  private answerUpdates(
    res: ServerResponse,
    method: string,
    view: number,
    feed: number,
    held: number,
  ): void {
    const first = this.feedSeq - this.backlog.length; // the seq before backlog[0]
    const entries = feed < 0 ? this.backlog : this.backlog.slice(Math.max(0, feed - first));
    const data = view === this.viewSeq ? '' : `,"data":${this.viewJson}`;
    const body = `{"view":${this.viewSeq},"feed":${this.feedSeq},"held":${held}${data},"entries":${JSON.stringify(entries)}}`;
    this.send(res, method, 'application/json; charset=utf-8', Buffer.from(body));
  }

  /** `/events`: the current view and the feed backlog, then every change. */
  private openStream(req: IncomingMessage, res: ServerResponse, head: boolean): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    if (head) {
      res.end();
      return;
    }
    res.write('retry: 1000\n\n');
    res.write(`event: view\ndata: ${this.viewJson}\n\n`);
    if (this.backlog.length > 0)
      res.write(`event: feed\ndata: ${JSON.stringify(this.backlog)}\n\n`);
    this.streams.add(res);
    const drop = (): void => {
      this.streams.delete(res);
    };
    req.on('close', drop);
    res.on('error', drop);
  }
}
