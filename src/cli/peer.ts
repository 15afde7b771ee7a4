/**
 * `ctp-router peer`: run a router over TCP; print table, link and request lines.
 */
import { parseVirtualName } from '../base/names.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../base/messages.js';
import { formatAddress } from '../tcp/address.js';
import type { TcpCloseReason } from '../tcp/connection.js';
import type { TcpTransport } from '../tcp/transport.js';
import type { CtpRouter } from '../router.js';
import {
  addressArg,
  optionalIntArg,
  listOpt,
  nodeArg,
  parseArgs,
  stringOpt,
  UsageError,
} from './args.js';
import { COMMON_SPEC, commonOptions } from './common.js';
import { hasNatsCredentials } from './nats-auth.js';
import { printDialErrors, printRefused } from './failures.js';
import { METRICS_SPEC, metricsArg, startMetrics } from './metrics-args.js';
import { CliOutput, show } from './output.js';
import {
  interrupted,
  listenOrClose,
  loadNatsFor,
  Session,
  type CliPeer,
  type NatsModule,
} from './session.js';

const SPEC = {
  ...COMMON_SPEC,
  ...METRICS_SPEC,
  listen: { type: 'string' },
  node: { type: 'string', multiple: true },
  echo: { type: 'boolean' },
  'lease-grace-ms': { type: 'string' },
  'max-frame-bytes': { type: 'string' },
  'max-advert-bytes-per-second': { type: 'string' },
  'max-queued-bytes': { type: 'string' },
  'reconnect-max-ms': { type: 'string' },
} as const;

function peerName(p: CliPeer): string {
  if (!('remotePort' in p)) return `bus (${p.routerId})`;
  return `${p.remoteAddress}:${p.remotePort}${p.routerId === undefined ? '' : ` (${p.routerId})`}`;
}

/** Who a virtual node stands for: its router id. */
function who(virtualNode: string): string {
  return parseVirtualName(virtualNode)?.routerId ?? virtualNode;
}

/** The nodes' app: print each request or event; with `--echo` answer and publish what came, else answer ERROR. */
function hostApp(
  out: CliOutput,
  echo: boolean,
  router: () => CtpRouter<CliPeer>,
): (name: CtpReceivedName, msg: CtpControlMessage | CtpEvent) => void {
  return (name, msg) => {
    if (name === 'EVENT') {
      const e = msg as CtpEvent;
      out.line('event', `event ${e.node} ${show(e.content)}`, { node: e.node, content: e.content });
      return;
    }
    const m = msg as CtpControlMessage;
    const payload = m.t === 'COMMAND' ? m.content : m.optionals;
    const from = who(m.controller);
    out.line('received', `received ${m.t} ${m.node} ${m.app} ${show(payload)} from ${from}`, {
      t: m.t,
      node: m.node,
      app: m.app,
      ...(m.t === 'COMMAND'
        ? { content: m.content }
        : m.optionals === undefined
          ? {}
          : { optionals: m.optionals }),
      from,
    });
    if (echo) {
      const got: Record<string, unknown> = { t: m.t, app: m.app };
      if (m.t === 'COMMAND') got.content = m.content;
      else if (m.optionals !== undefined) got.optionals = m.optionals;
      router().respond(m.node, got);
      router().publish(m.node, got);
    } else router().respond(m.node, { error: 'no app: run the peer with --echo' }, 'ERROR');
  };
}

/** One line per table change, registration, release, loss, conflict, drop and error of the router. */
function printRouter(router: CtpRouter<CliPeer>, out: CliOutput): void {
  let known = new Set<string>(router.nodes());
  router.on('nodes', (list) => {
    const now = new Set(list);
    const added = list.filter((n) => !known.has(n));
    const removed = [...known].filter((n) => !now.has(n));
    known = now;
    out.line(
      'nodes',
      `nodes ${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`)].join(' ')}`,
      { added, removed, nodes: list },
    );
  });
  router.on('registered', (e) =>
    out.line('registered', `registered ${e.type} ${e.node}`, { ...e }),
  );
  router.on('released', (e) =>
    out.line('released', `released ${e.node} ${e.type} ${who(e.registrant)}`, {
      node: e.node,
      kind: e.type,
      registrant: e.registrant,
    }),
  );
  router.on('lost', (e) =>
    out.line('lost', `lost ${e.type} ${e.node} (${e.reason})`, {
      node: e.node,
      kind: e.type,
      reason: e.reason,
    }),
  );
  router.on('conflict', (e) =>
    out.line(
      'conflict',
      e.kind === 'node'
        ? `conflict node ${e.node} hosted by ${e.hosts.join(', ')}`
        : `conflict router-id ${e.id}`,
      { ...e },
    ),
  );
  router.on('dropped', (e) =>
    out.line(
      'dropped',
      `dropped ${e.reason}${e.t === undefined ? '' : ` ${e.t}`} from ${peerName(e.peer)}`,
      { reason: e.reason, ...(e.t === undefined ? {} : { t: e.t }), peer: peerName(e.peer) },
    ),
  );
  router.on('error', (err) => out.warn(err.message));
}

/** What a close reason means, for the ones a reader of the log would not guess. */
const CLOSE_REASON_TEXT: Partial<Record<TcpCloseReason, string>> = {
  evicted: 'evicted: the server was full (maxConnections) and it had sent no frame yet',
  'buffer-budget':
    'buffer-budget: evicted, it held one of the largest partial frames when they passed maxBufferedBytes',
};

/** One line per link change, refused connection, failed dial, oversized line and error of the transport. */
function printTransport(transport: TcpTransport, out: CliOutput, self: string): void {
  transport.on('connect', (peer) =>
    out.line('link', `link up ${peer.direction === 'in' ? 'from' : 'to'} ${peerName(peer)}`, {
      state: 'up',
      direction: peer.direction,
      peer: peerName(peer),
    }),
  );
  transport.on('disconnect', (peer, reason) =>
    out.line(
      'link',
      `link down ${peer.direction === 'in' ? 'from' : 'to'} ${peerName(peer)} (${CLOSE_REASON_TEXT[reason] ?? reason})`,
      { state: 'down', direction: peer.direction, peer: peerName(peer), reason },
    ),
  );
  printRefused(transport, out);
  printDialErrors(transport, out, self);
  transport.on('oversized', (peer, bytes) =>
    out.line('oversized', `oversized line from ${peerName(peer)} discarded (${bytes}+ bytes)`, {
      peer: peerName(peer),
      bytes,
    }),
  );
  transport.on('error', (err) => out.warn(err.message));
}

/** The same for the NATS bus (`--nats`). */
function printBus(bus: Session['bus'], out: CliOutput): void {
  bus?.on('connect', (peer) =>
    out.line('link', `link up on ${peerName(peer)}`, {
      state: 'up',
      direction: 'bus',
      peer: peerName(peer),
    }),
  );
  bus?.on('disconnect', (peer, reason) =>
    out.line('link', `link down on ${peerName(peer)} (${reason})`, {
      state: 'down',
      direction: 'bus',
      peer: peerName(peer),
      reason,
    }),
  );
  bus?.on('status', (st) => {
    if (st.type === 'disconnect' || st.type === 'reconnect')
      out.line('nats', `nats ${st.type} ${st.server}`, { status: st.type, server: st.server });
  });
  bus?.on('error', (err) => out.warn(err.message));
}

/** With `--nats`: wait for the bus, say so; false (session closed) when it cannot be joined. */
async function busJoined(
  session: Session,
  prefix: string | undefined,
  out: CliOutput,
): Promise<boolean> {
  try {
    await session.busReady();
  } catch (err) {
    out.warn((err as Error).message);
    await session.close();
    return false;
  }
  const bus = session.bus;
  if (bus !== undefined)
    out.line(
      'bus',
      `on the bus ${prefix ?? 'ctp'} via ${bus.server() ?? '?'} as ${session.router.id}`,
      { id: session.router.id, prefix: prefix ?? 'ctp', server: bus.server() ?? null },
    );
  return true;
}

/** `ctp-router peer [options]`: resolves to the exit code, or `'help'`. */
export async function peerCommand(argv: string[]): Promise<number | 'help'> {
  const p = parseArgs(argv, SPEC, 'peer');
  if (p.options.help === true) return 'help';
  const common = commonOptions(p, 'peer');
  if (p.groups.some((g) => g.length > 0))
    throw new UsageError(`unexpected argument \`${p.groups.flat()[0] as string}\``, 'peer');
  const listenText = stringOpt(p.options.listen);
  const listen =
    listenText === undefined ? undefined : addressArg(listenText, 'listen', 'peer', true);
  if (listen === undefined && common.connect.length === 0 && common.nats.length === 0)
    throw new UsageError(
      'give `--listen HOST:PORT`, `--connect HOST:PORT` and/or `--nats URL`',
      'peer',
    );
  const nodes = listOpt(p.options.node).map((n) => nodeArg(n, 'peer'));
  const metricsAt = metricsArg(p.options.metrics, 'peer');
  const out = new CliOutput(common.json);
  if (common.nats.length > 0 && common.tls === undefined && !hasNatsCredentials(common.natsAuth))
    out.warn(
      'joining the NATS bus without credentials or identity: any client of the server can read the bus and speak as any router (give --nats-creds or --nats-user, and --tls-cert/--tls-key/--tls-ca; docs/nats.md, "Security")',
    );
  const natsModule = await loadNatsFor(common.nats, out);
  if (natsModule === false) return 1;

  const session: Session = new Session({
    id: common.id,
    role: 'peer',
    listen,
    connect: common.connect,
    tls: common.tls,
    nodes,
    timeoutMs: common.timeoutMs,
    heartbeatMs: common.heartbeatMs,
    nats: common.nats,
    natsPrefix: common.natsPrefix,
    natsAuth: common.natsAuth,
    natsModule,
    leaseGraceMs: optionalIntArg(p.options['lease-grace-ms'], 'lease-grace-ms', 'peer', 1),
    maxFrameBytes: optionalIntArg(p.options['max-frame-bytes'], 'max-frame-bytes', 'peer', 1024),
    maxAdvertBytesPerSecond: optionalIntArg(
      p.options['max-advert-bytes-per-second'],
      'max-advert-bytes-per-second',
      'peer',
      0,
    ),
    maxQueuedBytes: optionalIntArg(p.options['max-queued-bytes'], 'max-queued-bytes', 'peer', 1),
    reconnectMaxMs: optionalIntArg(p.options['reconnect-max-ms'], 'reconnect-max-ms', 'peer', 1),
    policy: common.policy,
    onReceived: hostApp(out, p.options.echo === true, () => session.router),
  });
  const { router, transport } = session;
  printRouter(router, out);
  printTransport(transport, out, router.id);
  printBus(session.bus, out);

  if (!(await listenOrClose(session, listen, out))) return 1;
  if (!(await busJoined(session, common.natsPrefix, out))) return 1;
  const metrics = metricsAt === undefined ? undefined : await startMetrics(metricsAt, session, out);
  if (metricsAt !== undefined && metrics === undefined) return (await session.close(), 1);
  if (listen !== undefined) {
    const a = transport.address();
    out.line(
      'listening',
      `listening ${formatAddress(a)} as ${router.id}${nodes.length > 0 ? ` hosting ${nodes.join(', ')}` : ''}`,
      { id: router.id, host: a.host, port: a.port, nodes },
    );
  } else
    out.line(
      'started',
      `started as ${router.id}${nodes.length > 0 ? ` hosting ${nodes.join(', ')}` : ''}`,
      { id: router.id, nodes },
    );
  await interrupted();
  await metrics?.close();
  await session.close();
  return 0;
}
