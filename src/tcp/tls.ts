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
import { endEntityProblem } from '../base/end-entity.js';
import { isValidRouterId } from '../base/names.js';
import { checkOptionKeys, keysOf } from '../base/suggest.js';
import type { TcpAddress } from './address.js';
import { dialErr } from './dial-errors.js';
import { refusedReasonOf, type TcpRefusedReason } from './refused.js';

export type { TcpRefusedReason } from './refused.js';

const debug = createDebug('ctp:tcp-tls');

/**
 * `TcpTransport`'s `tls` option: node:tls secure-context options (`key`,
 * `cert`, `ca`, `passphrase`, `pfx`, `ciphers`, `minVersion`, `crl`, ...).
 * Both sides must present a certificate that chains to `ca`: the transport
 * always sets `requestCert` and `rejectUnauthorized`, and refuses options
 * that would turn verification off.
 */
export interface TcpTlsOptions extends SecureContextOptions {
  /**
   * A TLS handshake not finished by then fails: inbound, the socket is destroyed (`refused` with
   * `handshake-timeout`), however many bytes it trickles. @default the transport's
   * `handshakeTimeoutMs`, or `connectTimeoutMs` when that is 0
   */
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
 * or buffer (the first certificate of a chain). @example
 * {@includeCode ../../docs/api-examples/tcp-helpers.ts#certificateId}
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
  defaultHandshakeMs: number,
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
  const handshakeTimeout = o.handshakeTimeout ?? defaultHandshakeMs;
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

/** A listening TLS server, and the sockets still in their handshake. @internal */
export interface TcpTlsServer {
  server: Server;
  /** Drop every connection still in its handshake (on `close()`). */
  dropHandshaking(): void;
  /** The server is full: destroy the oldest socket still in its handshake; false when there is none. */
  evictHandshaking(): boolean;
  /** Sockets still in their handshake. */
  readonly handshaking: number;
}

/**
 * A TLS server: `onSecure` gets every socket whose client certificate
 * verified, is an end-entity certificate for a TLS client and names a router
 * id; `onRefused` hears of every other, once, destroyed. A socket still in
 * its handshake after `handshakeTimeout` is destroyed (`handshake-timeout`).
 */
export function createTlsServer(
  setup: TcpTlsSetup,
  onSecure: (socket: TLSSocket) => void,
  onRefused: (remote: string, reason: TcpRefusedReason, err: Error) => void,
): TcpTlsServer {
  const server = tlsCreateServer(setup.serverOptions);
  const timeoutMs = setup.serverOptions.handshakeTimeout;
  /** Raw sockets in their handshake, oldest first, with their deadline timer. */
  const handshaking = new Map<Socket, ReturnType<typeof setTimeout>>();
  /** Raw sockets already reported (refused) or handed on: no second report. */
  const settled = new WeakSet<Socket>();
  const rawOf = (s: TLSSocket): Socket =>
    (s as TLSSocket & { _parent?: Socket | null })._parent ?? s;
  const done = (raw: Socket): void => {
    const t = handshaking.get(raw);
    if (t !== undefined) clearTimeout(t);
    handshaking.delete(raw);
  };
  /** Refuse `raw` once (destroyed): later errors of the same socket are not reported again. */
  const refuse = (raw: Socket, remote: string, reason: TcpRefusedReason, err: Error): void => {
    done(raw);
    if (settled.has(raw)) return;
    settled.add(raw);
    raw.destroy();
    debug('handshake from %s refused (%s): %s', remote, reason, err.message);
    onRefused(remote, reason, err);
  };
  const remoteOfRaw = (raw: Socket): string => `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? 0}`;
  server.on('connection', (raw: Socket) => {
    const remote = remoteOfRaw(raw);
    // Node's own `handshakeTimeout` is an idle timeout (a trickle of bytes renews it): this one is not.
    const timer = setTimeout(() => {
      if (!handshaking.has(raw)) return;
      refuse(
        raw,
        remote,
        'handshake-timeout',
        Object.assign(new Error(`the TLS handshake was not done within ${timeoutMs} ms`), {
          code: 'ERR_TLS_HANDSHAKE_TIMEOUT',
        }),
      );
    }, timeoutMs);
    timer.unref();
    handshaking.set(raw, timer);
    raw.once('close', () => done(raw));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const raw = rawOf(socket);
    done(raw);
    if (settled.has(raw)) {
      socket.destroy();
      return;
    }
    const problem = endEntityProblem(socket.getPeerX509Certificate() ?? Buffer.alloc(0), 'client');
    if (problem !== undefined) {
      socket.destroy();
      refuse(
        raw,
        remoteOf(socket),
        'not-end-entity',
        new Error(`client certificate refused: ${problem}`),
      );
      return;
    }
    if (peerCertificateId(socket.getPeerCertificate()) !== undefined) {
      settled.add(raw);
      onSecure(socket);
      return;
    }
    socket.destroy();
    refuse(
      raw,
      remoteOf(socket),
      'certificate-id',
      new Error('the client certificate names no router id (its subject CN)'),
    );
  });
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    // A client certificate that did not verify: node reports a hang-up; say why.
    // (`authorizationError` is null, not undefined, when the handshake failed before any certificate.)
    const authz = socket.authorizationError;
    const why =
      authz == null
        ? err
        : Object.assign(new Error(`client certificate refused: ${String(authz)}`), {
            code: String(authz),
          });
    const code = authz == null ? (err as NodeJS.ErrnoException).code : String(authz);
    socket.destroy();
    refuse(rawOf(socket), remoteOf(socket), refusedReasonOf(code), why);
  });
  return {
    server,
    dropHandshaking: () => {
      for (const raw of [...handshaking.keys()]) {
        done(raw);
        settled.add(raw);
        raw.destroy();
      }
    },
    evictHandshaking: () => {
      const oldest = handshaking.keys().next();
      if (oldest.done === true) return false;
      const raw = oldest.value;
      refuse(
        raw,
        remoteOfRaw(raw),
        'evicted',
        new Error(
          'the server was full: the oldest connection still in its TLS handshake is evicted',
        ),
      );
      return true;
    },
    get handshaking() {
      return handshaking.size;
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
      const problem = endEntityProblem(cert.raw, 'server');
      if (problem !== undefined) return dialErr('ERR_CTP_CERT_USAGE', `server ${problem}`);
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
