/**
 * `ctp-router ui`: join the network as an observer router and serve a live,
 * read-only page of routers, links, nodes and registrants on `--http`.
 */
import { formatAddress } from '../tcp/address.js';
import type { TcpPeer } from '../tcp/connection.js';
import { CtpLiveView } from '../ui/live.js';
import { isLoopbackHost } from '../ui/hosts.js';
import { CtpUiServer } from '../ui/server.js';
import { addressArg, listOpt, optionalIntArg, parseArgs, stringOpt, UsageError } from './args.js';
import { COMMON_SPEC, commonOptions } from './common.js';
import { printDialErrors } from './failures.js';
import { CliOutput } from './output.js';
import { interrupted, listenOrClose, loadNatsFor, Session } from './session.js';
import { METRICS_SPEC, metricsArg, startMetrics } from './metrics-args.js';

const SPEC = {
  ...COMMON_SPEC,
  ...METRICS_SPEC,
  listen: { type: 'string' },
  http: { type: 'string' },
  'http-allow-host': { type: 'string', multiple: true },
  'http-max-streams': { type: 'string' },
  'http-max-connections': { type: 'string' },
  'max-frame-bytes': { type: 'string' },
  'max-queued-bytes': { type: 'string' },
  'reconnect-max-ms': { type: 'string' },
} as const;

/** Default of `--http`. */
export const UI_DEFAULT_HTTP = '127.0.0.1:7070';

function peerName(p: TcpPeer | { routerId: string }): string {
  // A bus member (--nats) has no address: its router id names it.
  if (!('remoteAddress' in p)) return `bus member ${p.routerId}`;
  return `${p.remoteAddress}:${p.remotePort}${p.routerId === undefined ? '' : ` (${p.routerId})`}`;
}

/** `--http-allow-host NAME`: a host name or address the page answers to (no port, no scheme). */
function hostNameArg(text: string): string {
  if (
    !/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9.-]+)$/.test(text)
  )
    throw new UsageError(
      `bad value for \`--http-allow-host\`: \`${text}\` (a host name or address, without a port)`,
      'ui',
    );
  return text;
}

/** `ctp-router ui [options]`: resolves to the exit code, or `'help'`. */
export async function uiCommand(argv: string[]): Promise<number | 'help'> {
  const p = parseArgs(argv, SPEC, 'ui');
  if (p.options.help === true) return 'help';
  const common = commonOptions(p, 'ui');
  if (p.groups.some((g) => g.length > 0))
    throw new UsageError(`unexpected argument \`${p.groups.flat()[0] as string}\``, 'ui');
  const listenText = stringOpt(p.options.listen);
  const listen =
    listenText === undefined ? undefined : addressArg(listenText, 'listen', 'ui', true);
  if (listen === undefined && common.connect.length === 0 && common.nats.length === 0)
    throw new UsageError(
      'give `--connect HOST:PORT`, `--listen HOST:PORT` and/or `--nats URL`',
      'ui',
    );
  const http = addressArg(stringOpt(p.options.http) ?? UI_DEFAULT_HTTP, 'http', 'ui', true);
  const allowedHosts = listOpt(p.options['http-allow-host']).map((h) => hostNameArg(h));
  const maxStreams = optionalIntArg(p.options['http-max-streams'], 'http-max-streams', 'ui', 0);
  const maxConnections = optionalIntArg(
    p.options['http-max-connections'],
    'http-max-connections',
    'ui',
    1,
  );
  const metricsAt = metricsArg(p.options.metrics, 'ui');
  const out = new CliOutput(common.json);
  const natsModule = await loadNatsFor(common.nats, out);
  if (natsModule === false) return 1;

  const session = new Session({
    id: common.id,
    role: 'ui',
    listen,
    connect: common.connect,
    tls: common.tls,
    timeoutMs: common.timeoutMs,
    heartbeatMs: common.heartbeatMs,
    nats: common.nats,
    natsPrefix: common.natsPrefix,
    natsAuth: common.natsAuth,
    natsModule,
    maxFrameBytes: optionalIntArg(p.options['max-frame-bytes'], 'max-frame-bytes', 'ui', 1024),
    maxQueuedBytes: optionalIntArg(p.options['max-queued-bytes'], 'max-queued-bytes', 'ui', 1),
    reconnectMaxMs: optionalIntArg(p.options['reconnect-max-ms'], 'reconnect-max-ms', 'ui', 1),
    policy: common.policy,
  });
  const { router, transport } = session;
  transport.on('error', (err) => out.warn(err.message));
  printDialErrors(transport, out, router.id);
  router.on('error', (err) => out.warn(err.message));
  session.bus?.on('error', (err) => out.warn(err.message));
  if (!(await listenOrClose(session, listen, out))) return 1;
  try {
    await session.busReady();
  } catch (err) {
    out.warn((err as Error).message);
    await session.close();
    return 1;
  }
  const metrics = metricsAt === undefined ? undefined : await startMetrics(metricsAt, session, out);
  if (metricsAt !== undefined && metrics === undefined) return (await session.close(), 1);

  const server = new CtpUiServer({
    host: http.host,
    port: http.port,
    allowedHosts,
    ...(maxStreams === undefined ? {} : { maxStreams }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
  });
  let bound: { host: string; port: number };
  try {
    bound = await server.listen();
  } catch (err) {
    out.warn(`cannot serve on ${formatAddress(http)}: ${(err as Error).message}`);
    await Promise.all([server.close(), metrics?.close(), session.close()]);
    return 1;
  }
  if (!isLoopbackHost(http.host))
    out.warn(
      `serving on ${formatAddress(http)}, beyond loopback: whoever reaches it sees the network` +
        ` (it answers Host names ${['loopback', http.host, ...allowedHosts].join(', ')} only; add more with --http-allow-host)`,
    );
  const printer = {
    setView: (): void => {},
    log: (entries: readonly { kind: string; text: string; at: number }[]) => {
      for (const e of entries) out.line('feed', e.text, { kind: e.kind, text: e.text, at: e.at });
    },
  };
  const live = new CtpLiveView(router, [server, printer], {
    peerName: (peer) => peerName(peer as TcpPeer | { routerId: string }),
  });
  // Catch the signal before saying where we serve: whoever reads that line may stop us at once.
  const stop = interrupted();
  const url = `http://${formatAddress(bound)}/`;
  out.line('http', `serving ${url} as ${router.id}`, {
    id: router.id,
    url,
    host: bound.host,
    port: bound.port,
    ...(listen === undefined ? {} : { listen: formatAddress(transport.address()) }),
  });

  await stop;
  live.close();
  await server.close();
  await metrics?.close();
  await session.close();
  return 0;
}
