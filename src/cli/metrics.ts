/**
 * `--metrics HOST:PORT` (peer, call --hold, watch, ui): serve `/metrics` in
 * the Prometheus text format, the router's metrics and its TCP transport's
 * (docs/operations.md#metrics), through prom-client, imported only then.
 * Loaded by `startMetrics` (metrics-args.ts) only when `--metrics` is given.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerCtpMetrics } from '../metrics/prometheus.js';
import { formatAddress, type TcpAddress } from '../tcp/address.js';
import { isLoopbackHost } from '../ui/hosts.js';
import type { CliOutput } from './output.js';
import type { Session } from './session.js';

type PromClient = typeof import('prom-client');

/** A running `/metrics` endpoint. */
export class CliMetrics {
  private constructor(private readonly server: Server) {}

  /**
   * Serve the session's metrics on `at` and print a `metrics` record (its
   * host, port and URL); `undefined`, with a warning, when it cannot.
   */
  static async start(
    at: TcpAddress,
    session: Session,
    out: CliOutput,
  ): Promise<CliMetrics | undefined> {
    let client: PromClient;
    try {
      // A CommonJS module: its `module.exports` is the default export.
      client = ((await import('prom-client')) as unknown as { default: PromClient }).default;
    } catch (err) {
      out.warn(`--metrics needs prom-client (npm install prom-client): ${(err as Error).message}`);
      return undefined;
    }
    const registry = new client.Registry();
    const { router, transport } = session;
    registerCtpMetrics(client, () => ({ ...router.metrics(), ...transport.metrics() }), registry);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' });
        res.end(path === '/metrics' ? 'GET or HEAD only\n' : 'not found: see /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`${(err as Error).message}\n`);
        },
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(at.port, at.host, () => resolve());
      });
    } catch (err) {
      out.warn(`cannot serve metrics on ${formatAddress(at)}: ${(err as Error).message}`);
      return undefined;
    }
    const bound = server.address() as AddressInfo;
    const where = { host: at.host, port: bound.port };
    if (!isLoopbackHost(at.host))
      out.warn(`serving metrics on ${formatAddress(where)}, beyond loopback`);
    const url = `http://${formatAddress(where)}/metrics`;
    out.line('metrics', `metrics ${url}`, { ...where, url });
    return new CliMetrics(server);
  }

  /** Stop serving (open keep-alive connections included). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
