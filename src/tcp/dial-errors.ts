/**
 * The errors `dialError` reports for the failures the transport itself
 * detects (a socket's own errors, `ECONNREFUSED`, `ETIMEDOUT`, TLS
 * verification codes, pass through as they are): each carries a `code`, and
 * a refusal the other end explained carries its `reason`.
 */
import type { TcpCloseReason, TcpConnection } from './connection.js';

/** Codes of the dial failures the transport detects itself. */
export type TcpDialErrorCode =
  | 'ERR_CTP_CERT_USAGE' // TLS: the server's certificate is not an end-entity certificate for a TLS server (CA:TRUE, key usage)
  | 'ERR_CTP_CERT_ID' // TLS: the server's verified certificate names no router id, or not the `id@` one
  | 'ERR_CTP_LINK_CLOSED' // the link closed before the other end sent a line (a refused certificate, plaintext against TLS)
  | 'ERR_CTP_HANDSHAKE_TIMEOUT' // connected, but the other end sent no line within `handshakeTimeoutMs`
  | 'ERR_CTP_IDENTITY_MISMATCH' // its hello names another router than the `id@` target
  | 'ERR_CTP_LINK_REFUSED' // the other end refused the link and said why (`reason`: `duplicate`)
  | 'ERR_CTP_SELF'; // the target is this router itself (not redialled)

/** An `Error` with a `code` (and, for a refusal, the `reason` the other end gave). @internal */
export function dialErr(
  code: TcpDialErrorCode,
  message: string,
  reason?: string,
): Error & { code: TcpDialErrorCode; reason?: string } {
  return Object.assign(new Error(message), reason === undefined ? { code } : { code, reason });
}

/**
 * Why dialled connection `c` to `target`, now closed, never became a link (a
 * failed dial attempt), or `undefined` when it was one. A link that delivered
 * a line is one, unless it was refused (its `refusal`).
 */
export function dialFailure(
  c: TcpConnection,
  target: string,
  tls: boolean,
  handshakeTimeoutMs: number,
): Error | undefined {
  if (c.refusal !== undefined) return c.refusal;
  if (c.heard || c.closeReason === 'closing') return undefined;
  const reason: TcpCloseReason = c.closeReason ?? 'closed';
  if (reason === 'handshake-timeout')
    return dialErr(
      'ERR_CTP_HANDSHAKE_TIMEOUT',
      `${target} sent no line within ${handshakeTimeoutMs} ms (handshakeTimeoutMs)`,
    );
  // The socket's own error says it best (ECONNRESET, a TLS alert: a refused certificate).
  if (reason === 'closed' && c.lastError !== undefined) return c.lastError;
  if (reason !== 'closed')
    return dialErr(
      'ERR_CTP_LINK_CLOSED',
      `the link to ${target} was closed (${reason}) before the other end sent anything`,
      reason,
    );
  // With TLS 1.3 the server checks our certificate after our side of the handshake is done, so a
  // refused certificate looks like this; so does a plaintext dial to a TLS listener.
  return dialErr(
    'ERR_CTP_LINK_CLOSED',
    `${target} closed the link before sending anything (${tls ? 'was this certificate refused?' : 'is it a TLS listener?'})`,
  );
}
