/**
 * The chain rules every router certificate obeys (TLS client and server
 * certificates, and the certificates of signed adverts): it is an end-entity
 * certificate, never a CA's. node:crypto only.
 *
 * - basic constraints: not `CA:TRUE` (absent, or `CA:FALSE`);
 * - key usage, when present: includes `digitalSignature`;
 * - extended key usage, when present: includes `clientAuth` for a TLS client,
 *   `serverAuth` for a TLS server (a router both listens and dials with one
 *   certificate, so its certificate carries both, or none); an advert's
 *   certificate is not checked for either.
 */
import { X509Certificate } from 'node:crypto';

/** What the certificate is used for. */
export type CtpCertRole = 'client' | 'server' | 'advert';

const EKU = { client: '1.3.6.1.5.5.7.3.2', server: '1.3.6.1.5.5.7.3.1' } as const;
/** DER of the OIDs of the key usage (2.5.29.15) and basic constraints (2.5.29.19) extensions. */
const KEY_USAGE_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
const BASIC_CONSTRAINTS_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x13]);

/**
 * The value (inside its OCTET STRING) of the extension of a DER certificate
 * whose OID is `oid`: `OID [critical BOOLEAN] OCTET STRING { value }`.
 */
function extensionValue(der: Buffer, oid: Buffer): Buffer | undefined {
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  let i = at + oid.length;
  if (der[i] === 0x01) i += 2 + (der[i + 1] ?? 0); // critical
  if (der[i] !== 0x04) return undefined;
  let len = der[i + 1] ?? 0;
  i += 2;
  if (len === 0x81) len = der[i++] ?? 0;
  return der.subarray(i, i + len);
}

/**
 * The key usage bits of a DER certificate (first byte of the BIT STRING:
 * 0x80 digitalSignature), `undefined` when it has no key usage extension.
 */
export function keyUsageByte(der: Buffer): number | undefined {
  const v = extensionValue(der, KEY_USAGE_OID);
  if (v === undefined) return undefined;
  if (v[0] !== 0x03) return 0;
  return (v[1] ?? 0) < 2 ? 0 : (v[3] ?? 0);
}

/**
 * Whether a DER certificate's basic constraints say `CA:TRUE`. Read from the
 * DER: node's `X509Certificate.ca` is false for a `CA:TRUE` certificate whose
 * key usage lacks keyCertSign, which still must not be a router's.
 */
export function basicConstraintsCa(der: Buffer): boolean {
  const v = extensionValue(der, BASIC_CONSTRAINTS_OID);
  // SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }
  return v !== undefined && v[0] === 0x30 && v[2] === 0x01 && v[3] === 0x01 && v[4] !== 0x00;
}

/** Why `cert` may not be a router certificate for `role`, or `undefined` when it may. */
export function endEntityProblem(
  cert: X509Certificate | Buffer,
  role: CtpCertRole,
): string | undefined {
  let x: X509Certificate;
  try {
    x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  } catch {
    return 'the certificate does not parse';
  }
  if (x.ca || basicConstraintsCa(x.raw)) return 'the certificate is a CA certificate';
  const ku = keyUsageByte(x.raw);
  if (ku !== undefined && (ku & 0x80) === 0)
    return 'the certificate key usage does not allow digitalSignature';
  if (role !== 'advert') {
    const eku = x.keyUsage as string[] | undefined;
    if (eku !== undefined && eku.length > 0 && !eku.includes(EKU[role]))
      return `the certificate extended key usage does not include ${role}Auth`;
  }
  return undefined;
}
