/**
 * The listening side of `TcpTransport`: a plain or TLS server bound to the
 * `listen` address, its connection cap, and the hooks the transport gives it.
 */
import createDebug from 'debug';
import { createServer, type DropArgument, type Server, type Socket } from 'node:net';
import type { TcpAddress } from './address.js';
import type { TcpResolvedOptions } from './options.js';
import { createTlsServer, type TcpRefusedReason, type TcpTlsServer } from './tls.js';

const debug = createDebug('ctp:tcp');

/** What the server reports to the transport. */
export interface TcpServerHooks {
  /** A connection to adopt (plain: accepted; TLS: after a verified handshake). */
  adopt(socket: Socket): void;
  /** An inbound connection refused before it reached the router (TLS, or the server is full). */
  refuse(remote: string, reason: TcpRefusedReason, err: Error): void;
  /** `maxConnections` was reached: make room for the next attempt. */
  full(): void;
  /** The bound server failed. */
  error(err: Error): void;
  /** The server is bound. */
  bound(address: TcpAddress): void;
}

/** Listen on `opts.listen` (nothing without it); `ready` rejects when it cannot bind (never unhandled). */
export function listenServer(
  opts: TcpResolvedOptions,
  hooks: TcpServerHooks,
): { server: Server | undefined; tlsServer: TcpTlsServer | undefined; ready: Promise<void> } {
  const listen = opts.listen;
  if (listen === undefined)
    return { server: undefined, tlsServer: undefined, ready: Promise.resolve() };
  const tls = opts.tls;
  const tlsServer =
    tls === undefined
      ? undefined
      : createTlsServer(
          tls,
          (socket) => hooks.adopt(socket),
          (remote, reason, err) => hooks.refuse(remote, reason, err),
        );
  const server = tlsServer?.server ?? createServer();
  server.maxConnections = opts.maxConnections;
  if (tls === undefined) server.on('connection', (socket) => hooks.adopt(socket));
  // Full: node dropped this attempt; say so, and make room for the next one by evicting a connection
  // that never sent a frame (slowloris).
  server.on('drop', (data?: DropArgument) => {
    const remote = `${data?.remoteAddress ?? '?'}:${data?.remotePort ?? 0}`;
    hooks.refuse(
      remote,
      'max-connections',
      new Error(`the server is full (maxConnections ${opts.maxConnections})`),
    );
    // Sockets still in their TLS handshake hold no link yet: the oldest of them goes first.
    if (tlsServer?.evictHandshaking() !== true) hooks.full();
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      debug('listen on %s:%d failed: %s', listen.host, listen.port, err.message);
      reject(err);
    };
    server.once('error', onError);
    server.listen(listen.port, listen.host, () => {
      server.removeListener('error', onError);
      server.on('error', (err) => hooks.error(err));
      const a = server.address();
      if (a !== null && typeof a === 'object') {
        debug('listening on %s:%d', a.address, a.port);
        hooks.bound({ host: a.address, port: a.port });
      }
      resolve();
    });
  });
  // Reported through `listening()`; never an unhandled rejection.
  ready.catch(() => {});
  return { server, tlsServer, ready };
}
