/**
 * Certificates of signed adverts (issue 9): this router's identity checked
 * and ready to sign (`resolveIdentity`), and the certificates adverts carry,
 * checked against the CA (chain, end-entity rules of base/end-entity.ts, single subject CN) once each and
 * cached by fingerprint with their validity dates. node:crypto only.
 */
import { createHash, createPrivateKey, KeyObject, sign, X509Certificate } from 'node:crypto';
import { endEntityProblem } from '../base/end-entity.js';
import { argumentError } from '../base/errors.js';
import { isValidRouterId } from '../base/names.js';
import { CANONICAL_TAG } from './canonical.js';

/** This router's signing identity: its private key, its certificate (subject CN = router id) and the CA that signs every router's certificate. */
export interface CtpIdentity {
  key: string | KeyObject;
  cert: string;
  ca: string | readonly string[];
}

/** Certificates that failed their checks, remembered so that a repeated bad one costs no chain check. */
const BAD_CACHE = 256;

/** The digest `crypto.sign`/`verify` take for a key: none for EdDSA, SHA-256 otherwise. */
export function digestFor(key: KeyObject): string | null {
  const t = key.asymmetricKeyType;
  return t === 'ed25519' || t === 'ed448' ? null : 'sha256';
}

/** The subject CN of a certificate, when it has exactly one. */
export function commonName(cert: X509Certificate): string | undefined {
  const cns = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  return cns.length === 1 ? (cns[0] as string).slice(3) : undefined;
}

function inDates(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/** Split PEM text (one or several certificates) into certificates; throws on anything else. */
function parseCerts(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** An identity checked and ready to sign: see `resolveIdentity`. */
export interface CtpResolvedIdentity {
  /** The certificate's subject CN: the router id. */
  readonly cn: string;
  readonly key: KeyObject;
  /** The certificate as it goes on the wire (base64 DER). */
  readonly cert: string;
  /** The `ca` certificates every advert's certificate must be issued by. */
  readonly anchors: readonly X509Certificate[];
  /** The most `sig` and `cert` add to the own advert on the wire, in bytes. */
  readonly wireBytes: number;
}

/**
 * Check `options.identity` (PEM strings or a KeyObject): the key parses and
 * is private, the certificate parses, has one CN that is a valid router id,
 * matches the key, is issued by one of `ca` and is valid at `now`.
 * @throws CtpArgumentError naming what is wrong.
 */
export function resolveIdentity(identity: unknown, now: number): CtpResolvedIdentity {
  if (typeof identity !== 'object' || identity === null)
    throw argumentError('options.identity', 'an object `{ key, cert, ca }`', identity);
  const { key, cert, ca } = identity as Partial<CtpIdentity>;
  let k: KeyObject;
  try {
    k = key instanceof KeyObject ? key : createPrivateKey(key as string);
  } catch {
    throw argumentError(
      'options.identity.key',
      'a PEM private key or a private KeyObject',
      typeof key === 'string' ? '(unparsable PEM)' : key,
    );
  }
  if (k.type !== 'private')
    throw argumentError('options.identity.key', 'a private key', `a ${k.type} key`);
  if (typeof cert !== 'string')
    throw argumentError('options.identity.cert', 'a PEM certificate', cert);
  const own = parseCerts(cert)[0];
  if (own === undefined)
    throw argumentError('options.identity.cert', 'a PEM certificate', '(no certificate in it)');
  const cn = commonName(own);
  if (cn === undefined || !isValidRouterId(cn))
    throw argumentError(
      'options.identity.cert',
      'a certificate whose subject CN is a valid router id',
      own.subject,
    );
  const problem = endEntityProblem(own, 'advert');
  if (problem !== undefined)
    throw argumentError('options.identity.cert', 'an end-entity certificate', problem);
  let matches = false;
  try {
    matches = own.checkPrivateKey(k);
  } catch {
    matches = false; // a key of another type
  }
  if (!matches)
    throw argumentError(
      'options.identity.key',
      'the private key of `identity.cert`',
      '(another key)',
    );
  const caList = typeof ca === 'string' ? [ca] : Array.isArray(ca) ? (ca as unknown[]) : undefined;
  if (caList === undefined || caList.length === 0 || caList.some((c) => typeof c !== 'string'))
    throw argumentError('options.identity.ca', 'a PEM certificate or an array of them', ca);
  const anchors = caList.flatMap((c) => parseCerts(c as string));
  if (anchors.length === 0)
    throw argumentError('options.identity.ca', 'PEM certificates', '(no certificate in it)');
  if (!anchors.some((a) => own.checkIssued(a) && own.verify(a.publicKey)))
    throw argumentError(
      'options.identity.cert',
      'a certificate issued by one of `identity.ca`',
      own.subject,
    );
  if (!inDates(own, now))
    throw argumentError(
      'options.identity.cert',
      `a certificate valid now (from ${own.validFrom} to ${own.validTo})`,
      own.subject,
    );
  const der = own.raw.toString('base64');
  // Signatures vary in length by a few bytes (DER integers): measure one, keep a margin.
  const sigChars = sign(digestFor(k), Buffer.from(CANONICAL_TAG), k).toString('base64').length + 8;
  return {
    cn,
    key: k,
    cert: der,
    anchors,
    wireBytes: der.length + sigChars + ',"sig":"","cert":""'.length,
  };
}

/** A checked certificate: its key and dates, or why it failed. */
export type CertEntry =
  | { cn: string; key: KeyObject; digest: string | null; notBefore: number; notAfter: number }
  | { bad: string };

/**
 * Certificates checked against the anchors, cached by SHA-256 fingerprint:
 * the chain is verified once per certificate; the dates are checked at every
 * use (a cached certificate can expire). Bounded: `max` good ones (least
 * recently used go first) and a few bad ones, kept apart so that bad
 * certificates cannot push the good ones out.
 */
export class CtpCertCache {
  private readonly good = new Map<string, CertEntry>();
  private readonly bad = new Map<string, CertEntry>();
  /** Chain checks done (cache misses). */
  chainChecks = 0;

  constructor(
    private readonly anchors: readonly X509Certificate[],
    private readonly max: number,
  ) {}

  /** The certificate's entry, from the cache or checked now. */
  lookup(certB64: string): CertEntry {
    const der = Buffer.from(certB64, 'base64');
    const fp = createHash('sha256').update(der).digest('base64');
    const hit = this.good.get(fp) ?? this.bad.get(fp);
    if (hit !== undefined) {
      if (this.good.delete(fp)) this.good.set(fp, hit);
      return hit;
    }
    const entry = this.check(der);
    const into = 'bad' in entry ? this.bad : this.good;
    if (into.size >= ('bad' in entry ? BAD_CACHE : this.max))
      into.delete(into.keys().next().value as string);
    into.set(fp, entry);
    return entry;
  }

  get size(): number {
    return this.good.size + this.bad.size;
  }

  private check(der: Buffer): CertEntry {
    this.chainChecks++;
    let x: X509Certificate;
    try {
      x = new X509Certificate(der);
    } catch {
      return { bad: 'the certificate does not parse' };
    }
    const cn = commonName(x);
    if (cn === undefined) return { bad: 'the certificate has no single subject CN' };
    const problem = endEntityProblem(x, 'advert');
    if (problem !== undefined) return { bad: problem };
    const anchor = this.anchors.find((a) => x.checkIssued(a) && x.verify(a.publicKey));
    if (anchor === undefined) return { bad: 'the certificate is not issued by the CA' };
    const key = x.publicKey;
    return {
      cn,
      key,
      digest: digestFor(key),
      notBefore: Math.max(Date.parse(x.validFrom), Date.parse(anchor.validFrom)),
      notAfter: Math.min(Date.parse(x.validTo), Date.parse(anchor.validTo)),
    };
  }
}
