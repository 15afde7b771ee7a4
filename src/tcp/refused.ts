/**
 * Why the listening side refused an inbound connection before it reached the
 * router (the transport's `refused` event), and how a failed TLS handshake's
 * OpenSSL code maps to it.
 */

/** Why an inbound connection was refused before it reached the router. */
export type TcpRefusedReason =
  | 'handshake-timeout' // TLS: the handshake was not done within `tls.handshakeTimeout`: the socket is destroyed
  | 'no-certificate' // TLS: the client sent no certificate
  | 'certificate-untrusted' // TLS: its certificate does not chain to `ca` (another CA, self-signed)
  | 'certificate-expired' // TLS: its certificate (or its chain) is expired or not yet valid
  | 'not-end-entity' // TLS: a CA certificate, or one whose (extended) key usage is not for a TLS client
  | 'tls-handshake' // TLS: any other failed handshake (plaintext, a protocol error, the client hung up)
  | 'certificate-id' // TLS: the verified certificate's subject CN is not exactly one router id
  | 'evicted' // TLS: still in its handshake when the server was full: the oldest such socket makes room
  | 'max-connections'; // the server was full (`maxConnections`): node dropped it (the oldest unproven connection is evicted for the next)

/** The `refused` reason for an OpenSSL verification error (`authorizationError`) or a handshake error code. */
export function refusedReasonOf(code: string | undefined): TcpRefusedReason {
  switch (code) {
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return 'handshake-timeout';
    case 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE':
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
      return 'no-certificate';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'certificate-expired';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
    case 'CERT_REJECTED':
      return 'certificate-untrusted';
    case 'INVALID_PURPOSE':
    case 'INVALID_CA':
      return 'not-end-entity';
    default:
      return 'tls-handshake';
  }
}
