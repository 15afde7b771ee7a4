/**
 * A router on a TCP transport, as every CLI command runs one: build, wire,
 * wait for the link and the nodes, close.
 */
import createDebug from 'debug';
import { randomUUID } from 'node:crypto';
import { MAX_TIMER_MS } from '../base/clock.js';
import { joinSends } from '../link-state/medium.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../base/messages.js';
import { firstLine, NATS_CLIENT_HINT } from '../base/install-hints.js';
import type { NatsPeer, NatsTransport } from '../nats/index.js';
import { CtpRouter } from '../router.js';
import { formatAddress, type TcpAddress } from '../tcp/address.js';
import type { TcpPeer } from '../tcp/connection.js';
import { TcpTransport } from '../tcp/transport.js';
import { formatTarget } from './args.js';
import type { CommonOptions } from './common.js';
import { dialCause, printDialErrors } from './failures.js';
import { show, type CliOutput } from './output.js';
import type { CliTls } from './tls.js';
import type { CliNatsAuth } from './nats-auth.js';
import type { CtpPolicy } from '../auth/policy.js';

const debug = createDebug('ctp:cli');

/** `synced`: how long the table must stay unchanged to count as complete, by default. */
const SETTLE_MS = 60;
/** `synced`: how often it looks for a linked neighbor when nothing wakes it. */
const POLL_MS = 20;

/** A peer of a CLI router: a TCP connection or a member of the NATS bus. */
export type CliPeer = TcpPeer | NatsPeer;

/** ctp-router/nats, loaded only when `--nats` is given (its client is an optional peer dependency). */
export type NatsModule = typeof import('../nats/index.js');

/** Load ctp-router/nats; a clear message when `@nats-io/transport-node` is not installed. */
export async function loadNats(): Promise<NatsModule> {
  try {
    return await import('../nats/index.js');
  } catch (err) {
    // ctp-router/nats says it already (its `cause`: the loader's error); say it for `--nats`.
    const cause = err instanceof Error && err.message.includes(NATS_CLIENT_HINT) ? err.cause : err;
    throw new Error(`--nats ${NATS_CLIENT_HINT}: ${firstLine(cause)}`, { cause });
  }
}

/** ctp-router/nats when `--nats` is given, else `undefined`; `false`, after a warning, when it cannot load. */
export async function loadNatsFor(
  nats: readonly string[],
  out: CliOutput,
): Promise<NatsModule | undefined | false> {
  if (nats.length === 0) return undefined;
  try {
    return await loadNats();
  } catch (err) {
    out.warn((err as Error).message);
    return false;
  }
}

/** What a command asks of its session. */
export interface SessionOptions {
  id?: string | undefined;
  /** Default id prefix when `id` is not given. */
  role: string;
  listen?: TcpAddress | undefined;
  connect: TcpAddress[];
  /** Mutual TLS, and the router's identity. */
  tls?: CliTls | undefined;
  nodes?: string[];
  timeoutMs: number;
  leaseGraceMs?: number | undefined;
  maxFrameBytes?: number | undefined;
  /** `peer --max-advert-bytes-per-second`: the router's advert budget per peer. */
  maxAdvertBytesPerSecond?: number | undefined;
  maxQueuedBytes?: number | undefined;
  reconnectMaxMs?: number | undefined;
  /** `--nats`: join the bus on these servers (needs `natsModule`). */
  nats?: string[];
  natsPrefix?: string | undefined;
  /** `--nats-creds`, `--nats-user`/`--nats-pass`, `--nats-tls-*` (nats-auth.ts). */
  natsAuth?: CliNatsAuth | undefined;
  heartbeatMs?: number | undefined;
  natsModule?: NatsModule | undefined;
  /** `--policy FILE`: who may control or monitor the nodes hosted here. */
  policy?: CtpPolicy | undefined;
  onReceived?: (name: CtpReceivedName, msg: CtpControlMessage | CtpEvent) => void;
}

/** A running router and its transport. */
export class Session {
  readonly router: CtpRouter<CliPeer>;
  readonly transport: TcpTransport;
  /** The NATS bus transport (`--nats`), if any. */
  readonly bus: NatsTransport | undefined;
  private closed: Promise<void> | undefined;

  constructor(o: SessionOptions) {
    const reconnect =
      o.reconnectMaxMs === undefined
        ? {}
        : { maxDelayMs: o.reconnectMaxMs, initialDelayMs: Math.min(100, o.reconnectMaxMs) };
    this.transport = new TcpTransport({
      ...(o.listen === undefined ? {} : { listen: o.listen }),
      connect: o.connect.map(formatTarget),
      ...(o.tls === undefined ? {} : { tls: { key: o.tls.key, cert: o.tls.cert, ca: o.tls.ca } }),
      reconnect,
      ...(o.maxFrameBytes === undefined ? {} : { maxFrameBytes: o.maxFrameBytes }),
      ...(o.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: o.maxQueuedBytes }),
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
    });
    const nats = o.nats ?? [];
    this.bus =
      nats.length === 0 || o.natsModule === undefined
        ? undefined
        : new o.natsModule.NatsTransport({
            servers: nats,
            ...o.natsAuth,
            ...(o.natsPrefix === undefined ? {} : { prefix: o.natsPrefix }),
            ...(o.heartbeatMs === undefined
              ? {}
              : { heartbeatMs: o.heartbeatMs, deadAfterMs: 3 * o.heartbeatMs }),
          });
    const tcpSend = this.transport.send as (peer: CliPeer | null, frame: string) => void;
    const send =
      this.bus === undefined
        ? tcpSend
        : joinSends<CliPeer>(
            tcpSend,
            this.bus.send as (peer: CliPeer | null, frame: string) => void,
          );
    this.router = new CtpRouter<CliPeer>(
      (n, m) => o.onReceived?.(n, m),
      send,
      () => {},
      {
        id: o.id ?? `${o.role}-${randomUUID().slice(0, 8)}`,
        nodes: o.nodes ?? [],
        ...(o.tls === undefined
          ? {}
          : { identity: { key: o.tls.key, cert: o.tls.cert, ca: o.tls.ca } }),
        responseTimeoutMs: o.timeoutMs,
        ...(o.leaseGraceMs === undefined ? {} : { leaseGraceMs: o.leaseGraceMs }),
        ...(o.maxFrameBytes === undefined ? {} : { maxFrameBytes: o.maxFrameBytes }),
        ...(o.maxAdvertBytesPerSecond === undefined
          ? {}
          : { maxAdvertBytesPerSecond: o.maxAdvertBytesPerSecond }),
        ...(o.policy === undefined ? {} : { policy: o.policy }),
      },
    );
    this.transport.attach(this.router as CtpRouter<TcpPeer>);
    this.bus?.attach(this.router as CtpRouter<NatsPeer>);
  }

  /** Resolves once the bus is connected (at once without `--nats`); rejects with a message naming the servers. */
  async busReady(): Promise<void> {
    if (this.bus === undefined) return;
    try {
      await this.bus.ready();
    } catch (err) {
      const message = (err as Error).message;
      // nats.js says "Authorization Violation" (or an auth code) for a refused user, password or .creds.
      const hint = /authori[sz]ation|authentication|permissions/i.test(message)
        ? ' (the server refused these credentials: check --nats-creds, --nats-user/--nats-pass or --nats-tls-cert)'
        : '';
      throw new Error(`cannot connect to NATS: ${message}${hint}`);
    }
  }

  /**
   * Wait until a neighbor router is reachable (a two-way link) and its table
   * has arrived; rejects when the first dial fails or nothing happens in `waitMs`.
   * Then, when `settleMs` > 0, wait until no table change came for that long
   * (a flood from routers further away); 0 for commands that wait for the
   * nodes they name anyway.
   */
  async synced(waitMs: number, settleMs = SETTLE_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    let dialError: Error | undefined;
    // Look again at once when something happens, else every POLL_MS (a
    // neighbor that hosts no node changes no node list).
    let wake: (() => void) | undefined;
    const poke = (): void => wake?.();
    const onDialError = (target: string, err: Error): void => {
      dialError ??= new Error(`cannot connect to ${target}: ${dialCause(err)}`);
      poke();
    };
    this.transport.on('dialError', onDialError);
    this.transport.on('connect', poke);
    this.router.on('nodes', poke);
    try {
      await this.busReady();
      for (;;) {
        if (this.linkedNeighbor()) break;
        if (
          dialError !== undefined &&
          this.transport.peers().length === 0 &&
          this.bus === undefined
        )
          throw dialError;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(dialError?.message ?? `no router answered within ${waitMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(POLL_MS, left));
          wake = done;
          function done(): void {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
        });
      }
      // The neighbor's table arrives in one batch; give a flood a moment to settle.
      if (settleMs > 0) await this.quiet(settleMs, Math.max(0, deadline - Date.now()));
    } finally {
      this.transport.off('dialError', onDialError);
      this.transport.off('connect', poke);
      this.router.off('nodes', poke);
    }
  }

  /** Wait until `node` is reachable, up to `waitMs` (woken by the table change that brings it); true when it is. */
  nodeReachable(node: string, waitMs: number): Promise<boolean> {
    return this.router.waitForNode(node, { timeoutMs: Math.min(waitMs, MAX_TIMER_MS) }).then(
      () => true,
      () => false,
    );
  }

  /** Close the transport and the router (once). */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.transport.close();
      await this.bus?.close();
      await this.router.close();
      debug('%s closed', this.router.id);
    })();
    return this.closed;
  }

  private linkedNeighbor(): boolean {
    const snap = this.router.snapshot();
    return snap.neighbors.some((n) => snap.routers[n]?.reachable === true);
  }

  /** Resolve after `ms` without a `nodes` event (or after `maxMs`). */
  private quiet(ms: number, maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer = setTimeout(done, ms);
      const cap = setTimeout(done, maxMs);
      const onNodes = (): void => {
        clearTimeout(timer);
        timer = setTimeout(done, ms);
      };
      this.router.on('nodes', onNodes);
      const router = this.router;
      function done(): void {
        clearTimeout(timer);
        clearTimeout(cap);
        router.off('nodes', onNodes);
        resolve();
      }
    });
  }
}

/**
 * The client side of `call`, `watch` and `nodes`: a session connected to
 * `--connect`, synced (see `Session.synced` for `settleMs`), printing the
 * events it receives when asked to. Prints why and resolves `undefined` when
 * it could not get there.
 */
export async function openClientSession(
  common: CommonOptions,
  role: string,
  out: CliOutput,
  printEvents: boolean,
  settleMs = SETTLE_MS,
): Promise<Session | undefined> {
  let natsModule: NatsModule | undefined;
  try {
    if (common.nats.length > 0) natsModule = await loadNats();
  } catch (err) {
    out.warn((err as Error).message);
    return undefined;
  }
  const session = new Session({
    id: common.id,
    role,
    connect: common.connect,
    tls: common.tls,
    nats: common.nats,
    natsPrefix: common.natsPrefix,
    natsAuth: common.natsAuth,
    heartbeatMs: common.heartbeatMs,
    natsModule,
    timeoutMs: common.timeoutMs,
    policy: common.policy,
    onReceived: (name, msg) => {
      if (printEvents && name === 'EVENT' && 'content' in msg)
        out.line('event', `event ${msg.node} ${show(msg.content)}`, {
          node: msg.node,
          content: msg.content,
        });
    },
  });
  // Every failed attempt on stderr, as it happens (a wait for a node must not be silent).
  printDialErrors(session.transport, out, session.router.id);
  try {
    await session.synced(common.waitMs, settleMs);
    return session;
  } catch (err) {
    out.warn((err as Error).message);
    await session.close();
    return undefined;
  }
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolve on the first SIGINT or SIGTERM. */
export function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Wait until `session`'s transport listens; on failure warn, close the session and return false. */
export async function listenOrClose(
  session: Session,
  listen: TcpAddress | undefined,
  out: CliOutput,
): Promise<boolean> {
  try {
    await session.transport.listening();
    return true;
  } catch (err) {
    out.warn(
      `cannot listen on ${listen === undefined ? '?' : formatAddress(listen)}: ${(err as Error).message}`,
    );
    await session.close();
    return false;
  }
}
