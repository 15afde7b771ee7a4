/**
 * `connectRouter`: the one-call set-up of the common case — a `CtpRouter` on
 * the reference TCP transport, attached, and closed (and drained) with it.
 * The transport module is loaded on the first call, so importing the package
 * root does not load `node:net`.
 */
import type { CtpNodesUpdatedCallback, CtpReceivedCallback } from './base/callbacks.js';
import { argumentError } from './base/errors.js';
import type { CtpRouterOptions } from './options.js';
import { CtpRouter } from './router.js';
import type { TcpPeer } from './tcp/connection.js';
import type { TcpTransportOptions } from './tcp/options.js';
import type { TcpTransport } from './tcp/transport.js';

/** Options of {@link connectRouter}: the router's options, its TCP transport's under `tcp`, and the callbacks (optional). */
export interface CtpConnectOptions extends CtpRouterOptions<TcpPeer> {
  /**
   * The TCP transport: `listen`, `connect` and every other `TcpTransportOptions`
   * (`ctp-router/tcp`). Its `id` defaults to the router's.
   */
  tcp: TcpTransportOptions;
  /**
   * START/STOP/COMMAND at a local node without a `handle()` handler, and
   * EVENTs at a registrant (the seed's `onReceived`). @default a no-op
   * (use `handle()` and `events()`)
   */
  onReceived?: CtpReceivedCallback;
  /** The sorted list of reachable nodes after every change. @default a no-op (use `nodes()`, `waitForNode()` or the `nodes` event) */
  onNodesUpdated?: CtpNodesUpdatedCallback;
}

/**
 * A router made by {@link connectRouter}: a `CtpRouter` over TCP, with its
 * transport. `close()` and `drain()` close the transport too, and resolve
 * once every socket is closed (so the process can exit).
 */
export type CtpConnectedRouter = CtpRouter<TcpPeer> & {
  /** The attached TCP transport: `address()`, `peers()`, `stats()`, its events. */
  readonly transport: TcpTransport;
};

const noop = (): void => {};

/**
 * Make a router on the TCP transport in one call: builds the `TcpTransport`
 * from `options.tcp`, the `CtpRouter` from the other options (callbacks
 * optional), attaches them with `closeWith`, and resolves once the transport
 * listens (at once without `tcp.listen`). The `connect` addresses are dialled
 * (and redialled) in the background: use `waitForNode` to wait for a node.
 *
 * Outcomes: resolves to the router; rejects with `CtpArgumentError` on a bad
 * or unknown option (nothing is left open), or with the listen error (such as
 * `EADDRINUSE`) after closing both.
 *
 * @example
 * {@includeCode ../docs/api-examples/connect.ts}
 */
export async function connectRouter(options: CtpConnectOptions): Promise<CtpConnectedRouter> {
  if (typeof options !== 'object' || options === null)
    throw argumentError('options', 'an object', options);
  const { tcp, onReceived = noop, onNodesUpdated = noop, ...routerOptions } = options;
  if (typeof tcp !== 'object' || tcp === null)
    throw argumentError('options.tcp', 'the TCP transport options (an object)', tcp);
  const { TcpTransport } = await import('./tcp/transport.js');
  const transport = new TcpTransport(tcp);
  let router: CtpRouter<TcpPeer>;
  try {
    router = new CtpRouter<TcpPeer>(onReceived, transport.send, onNodesUpdated, routerOptions);
    transport.attach(router, { closeWith: true });
  } catch (err) {
    await transport.close();
    throw err;
  }
  // `close()` (and `drain()`, which ends with it) resolves once the transport is closed too.
  const closeRouter = router.close.bind(router);
  const connected = Object.defineProperty(router, 'transport', {
    value: transport,
    enumerable: false,
  }) as CtpConnectedRouter;
  connected.close = async () => {
    await closeRouter();
    await transport.close();
  };
  try {
    await transport.listening();
  } catch (err) {
    await connected.close();
    throw err;
  }
  return connected;
}
