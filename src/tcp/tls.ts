/**
 * Mutual TLS for `TcpTransport` (node:tls): option checks, the listening
 * server (client certificates required and verified against `ca`, failed
 * handshakes reported), the dialling side (the server's chain verified, its
 * CN taken as its router id instead of matching the dialled host name), and
 * reading a router id from a certificate (its subject CN).
 */
import createDebug from 'debug';
import { X509Certificate } from 'node:crypto';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  createServer as tlsCreateServer,
  type PeerCertificate,
  type SecureContext,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';
import { argumentError, CtpArgumentError } from '../base/errors.js';
import { isValidRouterId } from '../base/names.js';
import { checkOptionKeys, keysOf } from '../base/suggest.js';
import type { TcpAddress } from './address.js';
import { dialErr } from './dial-errors.js';

const debug = createDebug('ctp:tcp-tls');

/**
 * `TcpTransport`'s `tls` option: node:tls secure-context options (`key`,
 * `cert`, `ca`, `passphrase`, `pfx`, `ciphers`, `minVersion`, `crl`, ...).
 * Both sides must present a certificate that chains to `ca`: the transport
 * always sets `requestCert` and `rejectUnauthorized`, and refuses options
 * that would turn verification off.
 */
export interface TcpTlsOptions extends SecureContextOptions {
  /** A TLS handshake not finished by then fails (inbound: the socket is dropped). @default the transport's `connectTimeoutMs` */
  handshakeTimeout?: number;
}

/** Resolved TLS setup. @internal */
export interface TcpTlsSetup {
  /** For the server: node:tls options with verification forced on. */
  serverOptions: SecureContextOptions & {
    requestCert: true;
    rejectUnauthorized: true;
    handshakeTimeout: number;
  };
  /** For dialling: one context built once. */
  context: SecureContext;
  /** The router id this transport's own certificate names (its CN), when `cert` is given. */
  ownId: string | undefined;
}

/**
 * The router id a certificate names: its subject CN, when there is exactly
 * one and it is a valid router id; `undefined` otherwise. Takes a PEM string
 * or buffer (the first certificate of a chain).
 */
export function certificateId(cert: string | Buffer): string | undefined {
  let subject: string;
  try {
    subject = new X509Certificate(cert).subject;
  } catch {
    return undefined;
  }
  const cns = subject.split('\n').filter((l) => l.startsWith('CN='));
  const cn = cns.length === 1 ? (cns[0] as string).slice(3) : undefined;
  return isValidRouterId(cn) ? cn : undefined;
}

/** The router id of a verified peer certificate (one CN, a valid router id), or `undefined`. */
export function peerCertificateId(cert: PeerCertificate | undefined): string | undefined {
  const cn: unknown = cert?.subject?.CN;
  return isValidRouterId(cn) ? cn : undefined;
}

/**
 * The keys `tls` takes: node:tls secure-context options, `handshakeTimeout`,
 * and `requestCert`/`rejectUnauthorized` (which may only be left on); any
 * other throws (with a "did you mean").
 */
const TLS_KEYS = [
  ...keysOf<TcpTlsOptions>({
    ALPNCallback: true,
    allowPartialTrustChain: true,
    ca: true,
    cert: true,
    sigalgs: true,
    ciphers: true,
    clientCertEngine: true,
    crl: true,
    dhparam: true,
    ecdhCurve: true,
    honorCipherOrder: true,
    key: true,
    privateKeyEngine: true,
    privateKeyIdentifier: true,
    maxVersion: true,
    minVersion: true,
    passphrase: true,
    pfx: true,
    secureOptions: true,
    secureProtocol: true,
    sessionIdContext: true,
    ticketKeys: true,
    sessionTimeout: true,
    handshakeTimeout: true,
  }),
  'requestCert',
  'rejectUnauthorized',
];

/** Validate the `tls` option and build the secure context; throws `CtpArgumentError`. @internal */
export function resolveTls(
  tls: TcpTlsOptions | undefined,
  connectTimeoutMs: number,
): TcpTlsSetup | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null)
    throw argumentError('options.tls', 'an object of node:tls options', tls);
  const o = tls as TcpTlsOptions & Record<string, unknown>;
  checkOptionKeys(o, TLS_KEYS, 'TcpTransport', 'tls.');
  if (o.ca === undefined)
    throw argumentError(
      'options.tls.ca',
      'the CA certificate(s) every router certificate chains to',
      o.ca,
    );
  if (o.pfx === undefined && (o.key === undefined || o.cert === undefined))
    throw argumentError('options.tls', 'key and cert (or pfx)', tls);
  for (const k of ['rejectUnauthorized', 'requestCert'] as const)
    if (o[k] === false)
      throw new CtpArgumentError(
        `Expected \`options.tls.${k}\` to be left on: links are mutual TLS`,
      );
  const handshakeTimeout = o.handshakeTimeout ?? connectTimeoutMs;
  if (typeof handshakeTimeout !== 'number' || !(handshakeTimeout > 0))
    throw argumentError('options.tls.handshakeTimeout', 'a positive number', handshakeTimeout);
  let ownId: string | undefined;
  if (o.cert !== undefined) {
    const first = Array.isArray(o.cert)
      ? (o.cert[0] as string | Buffer | undefined)
      : (o.cert as string | Buffer);
    ownId = first === undefined ? undefined : certificateId(first);
    if (ownId === undefined)
      throw argumentError(
        'options.tls.cert',
        'a certificate whose subject CN is a router id',
        first,
      );
  }
  let context: SecureContext;
  try {
    context = createSecureContext(o);
  } catch (err) {
    throw new CtpArgumentError(
      `Expected usable \`options.tls\` (key, cert, ca), got an error: ${(err as Error).message}`,
    );
  }
  const { handshakeTimeout: _h, ...contextOptions } = o;
  return {
    serverOptions: {
      ...contextOptions,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout,
    },
    context,
    ownId,
  };
}

/** Why an inbound connection was refused before it reached the router. */
export type TcpRefusedReason =
  | 'tls-handshake' // TLS: no certificate, one not chaining to `ca`, expired, plaintext, or the handshake timed out
  | 'certificate-id' // TLS: the verified certificate's subject CN is not exactly one router id
  | 'max-connections'; // the server was full (`maxConnections`): node dropped it (the oldest unproven connection is evicted for the next)

/** A listening TLS server, and the sockets still in their handshake. @internal */
export interface TcpTlsServer {
  server: Server;
  /** Drop every connection still in its handshake (on `close()`). */
  dropHandshaking(): void;
}

/**
 * A TLS server: `onSecure` gets every socket whose client certificate
 * verified and names a router id; `onRefused` hears of every other (already
 * destroyed: node destroys a socket whose handshake failed).
 */
export function createTlsServer(
  setup: TcpTlsSetup,
  onSecure: (socket: TLSSocket) => void,
  onRefused: (remote: string, reason: TcpRefusedReason, err: Error) => void,
): TcpTlsServer {
  const server = tlsCreateServer(setup.serverOptions);
  const handshaking = new Map<string, Socket>();
  const key = (s: Socket): string => `${s.remoteAddress ?? ''}|${s.remotePort ?? 0}`;
  server.on('connection', (raw: Socket) => {
    const k = key(raw);
    handshaking.set(k, raw);
    raw.once('close', () => {
      if (handshaking.get(k) === raw) handshaking.delete(k);
    });
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    handshaking.delete(key(socket));
    if (peerCertificateId(socket.getPeerCertificate()) !== undefined) {
      onSecure(socket);
      return;
    }
    socket.destroy();
    onRefused(
      remoteOf(socket),
      'certificate-id',
      new Error('the client certificate names no router id (its subject CN)'),
    );
  });
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    const remote = remoteOf(socket);
    // A client certificate that did not verify: node destroys the socket and reports a hang-up; say why.
    // (`authorizationError` is null, not undefined, when the handshake failed before any certificate.)
    const why =
      socket.authorizationError == null
        ? err
        : Object.assign(
            new Error(`client certificate refused: ${String(socket.authorizationError)}`),
            { code: String(socket.authorizationError) },
          );
    debug('handshake from %s failed: %s', remote, why.message);
    onRefused(remote, 'tls-handshake', why);
  });
  return {
    server,
    dropHandshaking: () => {
      for (const raw of handshaking.values()) raw.destroy();
      handshaking.clear();
    },
  };
}

/**
 * `'address:port'` of a TLS socket the server refused. A socket already torn
 * down (the client hung up) no longer knows its peer; the raw socket it wraps
 * remembers it (read when it was accepted).
 */
function remoteOf(socket: TLSSocket): string {
  const raw = (socket as TLSSocket & { _parent?: Socket | null })._parent;
  return `${socket.remoteAddress ?? raw?.remoteAddress ?? '?'}:${socket.remotePort ?? raw?.remotePort ?? 0}`;
}

/** A socket being dialled, and the event that says it is ready. @internal */
export interface TcpOpening {
  socket: Socket;
  ready: 'connect' | 'secureConnect';
}

/**
 * Dial `address`: plain TCP, or TLS verifying the server's chain against
 * `ca`. The dialled host name is not matched against the certificate (routers
 * are often dialled by IP): the server's CN must be a router id, and equal
 * `expectedId` when the target names one (`'id@host:port'`).
 */
export function openSocket(
  address: TcpAddress,
  setup: TcpTlsSetup | undefined,
  expectedId: string | undefined,
): TcpOpening {
  if (setup === undefined)
    return { socket: netConnect({ host: address.host, port: address.port }), ready: 'connect' };
  const socket = tlsConnect({
    host: address.host,
    port: address.port,
    secureContext: setup.context,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => {
      const id = peerCertificateId(cert);
      if (id === undefined)
        return dialErr(
          'ERR_CTP_CERT_ID',
          'the server certificate names no router id (its subject CN)',
        );
      if (expectedId !== undefined && id !== expectedId)
        return dialErr(
          'ERR_CTP_CERT_ID',
          `the server certificate names ${id}, expected ${expectedId}`,
        );
      return undefined;
    },
  });
  return { socket, ready: 'secureConnect' };
}
