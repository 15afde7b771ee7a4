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
import { hostCheck } from './hosts.js';

export { isLoopbackHost } from './hosts.js';
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
  /** Bytes unsent over all streams together: past it the streams furthest behind are cut off first. @default 33554432 */
  maxTotalBufferedBytes?: number;
  /** Open `/events` streams at most; one more gets 503. @default 64 */
  maxStreams?: number;
  /** Polls of `/updates` held at once at most; past it a poll is answered at once. @default 128 */
  maxHeldPolls?: number;
  /** HTTP connections at most (node:http `maxConnections`: one more is closed at once). @default 256 */
  maxConnections?: number;
  /** A socket that has not sent a whole request head within this is closed. @default 10000 */
  headersTimeoutMs?: number;
  /** `Host` names answered besides loopback names and the bound address (`--http-allow-host`). */
  allowedHosts?: readonly string[];
}

/** What a `CtpUiServer` holds, for tests and logs. */
export interface CtpUiServerStats {
  /** Open `/events` streams. */
  streams: number;
  /** Polls of `/updates` held. */
  heldPolls: number;
  /** Bytes unsent over all streams. */
  bufferedBytes: number;
  /** Streams cut off for not reading (over a byte budget), so far. */
  cutOff: number;
  /** Streams refused (503) at `maxStreams`, so far. */
  refused: number;
  /** Requests refused (403) for their `Host` header, so far. */
  badHost: number;
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
  private allowHost: (header: string) => boolean = () => false;
  private readonly counts = { cutOff: 0, refused: 0, badHost: 0 };

  constructor(private readonly options: CtpUiServerOptions = {}) {
    this.maxBacklog = options.feedBacklog ?? 200;
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    this.server = createServer(
      {
        headersTimeout,
        requestTimeout: Math.max(headersTimeout, 30_000),
        // How often node:http looks for sockets past headersTimeout (its default: 30 s).
        connectionsCheckingInterval: Math.max(50, Math.min(1000, headersTimeout / 4)),
      },
      (req, res) => this.handle(req, res),
    );
    this.server.maxConnections = options.maxConnections ?? 256;
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
      const host = this.options.host ?? '127.0.0.1';
      this.server.listen(this.options.port ?? 7070, host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        this.allowHost = hostCheck(host, this.options.allowedHosts);
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

  /** Streams, held polls, unsent bytes, and what was cut off or refused so far. */
  stats(): CtpUiServerStats {
    let bufferedBytes = 0;
    for (const res of this.streams) bufferedBytes += res.writableLength;
    return {
      streams: this.streams.size,
      heldPolls: this.waiting.size,
      bufferedBytes,
      ...this.counts,
    };
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

  private broadcast(text: string): void {
    if (this.streams.size === 0) return;
    // One buffer shared by every stream: n pages hold one copy of a view, not n.
    const chunk = Buffer.from(text);
    const max = this.options.maxBufferedBytes ?? 4 * 1024 * 1024;
    let total = 0;
    for (const res of this.streams) {
      if (res.writableLength > max) {
        // A page that stopped reading: cut it off rather than buffer without bound.
        this.cutOff(res);
        continue;
      }
      res.write(chunk);
      total += res.writableLength;
    }
    const maxTotal = this.options.maxTotalBufferedBytes ?? 32 * 1024 * 1024;
    if (total <= maxTotal) return;
    // Too much unsent in all: cut off the pages furthest behind until under the budget.
    const behind = [...this.streams].sort((x, y) => y.writableLength - x.writableLength);
    for (const res of behind) {
      if (total <= maxTotal || res.writableLength === 0) break;
      total -= res.writableLength;
      this.cutOff(res);
    }
  }

  private cutOff(res: ServerResponse): void {
    debug('cutting off a stream with %d bytes unsent', res.writableLength);
    this.streams.delete(res);
    this.counts.cutOff++;
    res.destroy();
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
    // Known names only (loopback, the bound address, --http-allow-host): a page elsewhere cannot
    // read the view through DNS rebinding.
    if (!this.allowHost(req.headers.host ?? '')) {
      this.counts.badHost++;
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('403 unknown host name (see --http-allow-host)\n');
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
    const full = this.waiting.size >= (this.options.maxHeldPolls ?? 128);
    if (wait <= 0 || fresh || full || this.closed !== undefined || method === 'HEAD')
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
    if (!head && this.streams.size >= (this.options.maxStreams ?? 64)) {
      this.counts.refused++;
      res.writeHead(503, {
        'content-type': 'text/plain; charset=utf-8',
        'retry-after': '5',
        ...SECURITY_HEADERS,
      });
      res.end('503 too many open streams: poll /updates instead\n');
      return;
    }
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
