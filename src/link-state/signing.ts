/**
 * Signed adverts (issue 9, origin authentication): the canonical bytes of an
 * advert, signing this router's own adverts, and checking every advert's
 * signature, certificate chain, validity dates and CN = origin, with the
 * verified certificates cached by fingerprint. node:crypto only.
 *
 * Wire form (README "Wire format"): an advert may carry `sig` (base64 of the
 * signature over `canonicalAdvert(a)`) and `cert` (base64 of the signer's
 * DER certificate). Both travel with the advert as received: stored adverts
 * keep them, so re-flooding and table exchange send the origin's signature.
 */
import {
  createHash,
  createPrivateKey,
  KeyObject,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import createDebug from 'debug';
import { argumentError } from '../base/errors.js';
import type { CtpAdvert } from '../base/messages.js';
import { isValidMedium, pseudoNodeId } from './media.js';
import { isValidRouterId } from '../base/names.js';
import type { CtpReport } from '../wire/report.js';
import type { CtpStoredAdvert, CtpTable } from './table.js';

const debug = createDebug('ctp:signing');

/** This router's signing identity: its private key, its certificate (subject CN = router id) and the CA that signs every router's certificate. */
export interface CtpIdentity {
  key: string | KeyObject;
  cert: string;
  ca: string | readonly string[];
}

/** Longest `sig` accepted (base64 characters): room for RSA-4096 and every EC/EdDSA signature. */
export const MAX_SIG_CHARS = 1024;
/** Longest `cert` accepted (base64 characters of the DER certificate). */
export const MAX_CERT_CHARS = 8192;
/** Domain tag in the canonical bytes: a signature over an advert is good for nothing else. */
const CANONICAL_TAG = 'ctp-advert/1';
/** Certificates that failed their checks, remembered so that a repeated bad one costs no chain check. */
const BAD_CACHE = 256;

/**
 * The bytes an advert's signature covers: independent of the JSON key order
 * of the frame it came in, as `JSON.stringify` of an array is.
 */
export function canonicalAdvert(
  a: Pick<CtpAdvert, 'origin' | 'seq' | 'nodes' | 'neighbors'>,
): string {
  return JSON.stringify([CANONICAL_TAG, a.origin, a.seq, a.nodes, a.neighbors]);
}

/** Domain tag of a REGISTER's claim (PROTOCOL.md section 5): good for nothing else. */
const CLAIM_TAG = 'ctp-claim/1';

/** What a REGISTER's claim signature covers. */
export interface CtpClaimFields {
  id: number;
  to?: string | undefined;
  node: string;
  controller?: string | undefined;
  monitor?: string | undefined;
  claim?: number | undefined;
}

/** The bytes a REGISTER's `claimSig` covers: the registrant, its node, host, request id and claimed seq. */
export function canonicalClaim(m: CtpClaimFields): string {
  return JSON.stringify([CLAIM_TAG, m.controller ?? m.monitor, m.node, m.to ?? '', m.id, m.claim]);
}

/** The digest `crypto.sign`/`verify` take for a key: none for EdDSA, SHA-256 otherwise. */
function digestFor(key: KeyObject): string | null {
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
type CertEntry =
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
    if (x.ca) return { bad: 'the certificate is a CA certificate' };
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

/**
 * Is `a` the advert of a broadcast medium's pseudo-node whose DR is `cn`
 * (src/link-state/media.ts: `bus:<medium>:<dr>`, or its hashed form)? The DR signs it
 * with its own identity; it lists routers, never nodes. Router ids that
 * start with `bus:` are the pseudo-nodes'.
 */
function isPseudoNodeOf(a: CtpAdvert, cn: string): boolean {
  if (!a.origin.startsWith('bus:') || a.nodes.length > 0) return false;
  const hashed = a.origin.lastIndexOf(':#');
  const end = a.origin.endsWith(`:${cn}`) ? a.origin.length - cn.length - 1 : hashed;
  const medium = a.origin.slice(4, end);
  return end > 4 && isValidMedium(medium) && pseudoNodeId(medium, cn) === a.origin;
}

/**
 * Why `a` does not verify (a drop message), or `undefined` when it does:
 * signed, a certificate issued by the CA, valid at `now`, CN = origin (or,
 * for a medium's pseudo-node, CN = its DR), and the signature over the
 * canonical bytes good.
 */
export function advertProblem(a: CtpAdvert, certs: CtpCertCache, now: number): string | undefined {
  if (typeof a.sig !== 'string' || typeof a.cert !== 'string') return 'the advert is not signed';
  const e = certs.lookup(a.cert);
  if ('bad' in e) return e.bad;
  if (e.cn !== a.origin && !isPseudoNodeOf(a, e.cn))
    return `the certificate is for ${JSON.stringify(e.cn)}, not the origin`;
  if (now < e.notBefore || now > e.notAfter) return 'the certificate is not valid now';
  let ok = false;
  try {
    ok = verify(e.digest, Buffer.from(canonicalAdvert(a)), e.key, Buffer.from(a.sig, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? undefined : 'the signature does not verify';
}

/**
 * The flooding part's view of signatures: signs the own advert, admits or
 * drops (`bad-signature`) inbound ones, and keeps the signature of every
 * stored advert (by the stored object, so it goes when the advert goes).
 * Without an identity it checks nothing and only carries signatures on.
 */
export class CtpAdvertAuth<P> {
  private readonly sigs = new WeakMap<CtpStoredAdvert, { sig: string; cert: string }>();
  private readonly certs: CtpCertCache | undefined;
  private lastBytes = '';
  private lastSig = '';

  constructor(
    private readonly identity: CtpResolvedIdentity | undefined,
    private readonly table: CtpTable<P>,
    private readonly report: CtpReport<P>,
    maxRouters: number,
  ) {
    this.certs =
      identity === undefined ? undefined : new CtpCertCache(identity.anchors, maxRouters + 64);
  }

  /** The own advert as sent: signed when this router has an identity (one signature per content). */
  own(a: CtpAdvert): CtpAdvert {
    const id = this.identity;
    if (id === undefined) return a;
    const bytes = canonicalAdvert(a);
    if (bytes !== this.lastBytes) {
      this.lastSig = sign(digestFor(id.key), Buffer.from(bytes), id.key).toString('base64');
      this.lastBytes = bytes;
    }
    return {
      origin: a.origin,
      seq: a.seq,
      nodes: a.nodes,
      neighbors: a.neighbors,
      sig: this.lastSig,
      cert: id.cert,
    };
  }

  /** `a` (a pseudo-node advert this router originates as DR) signed with its identity, uncached; `a` itself without one. */
  signed(a: CtpAdvert): CtpAdvert {
    const id = this.identity;
    if (id === undefined) return a;
    const sig = sign(digestFor(id.key), Buffer.from(canonicalAdvert(a)), id.key).toString('base64');
    return {
      origin: a.origin,
      seq: a.seq,
      nodes: a.nodes,
      neighbors: a.neighbors,
      sig,
      cert: id.cert,
    };
  }

  /**
   * May `a` go on to the table? With an identity: unsigned adverts never;
   * a signed one is verified when it could change something (newer than the
   * stored copy, or the own origin at or above the own seq), else it is
   * harmless (equal or older: ignored or answered with the stored copy).
   * A refused advert is reported as `bad-signature`.
   */
  admit(peer: P, a: CtpAdvert, now: number): boolean {
    const certs = this.certs;
    if (certs === undefined) return true;
    let problem: string | undefined;
    if (typeof a.sig !== 'string' || typeof a.cert !== 'string')
      problem = 'the advert is not signed';
    else if (a.origin === this.table.id) {
      if (
        a.seq < this.table.seq ||
        (a.sig === this.lastSig && canonicalAdvert(a) === this.lastBytes)
      )
        return true;
    } else {
      const s = this.table.stored(a.origin);
      if (s !== undefined && a.seq <= s.seq) return true;
    }
    problem ??= advertProblem(a, certs, now);
    if (problem === undefined) return true;
    debug('%s drops the advert of %s seq %d: %s', this.table.id, a.origin, a.seq, problem);
    this.report.drop(peer, 'bad-signature', {
      t: 'REPORTNODE',
      origin: a.origin,
      message: problem,
    });
    return false;
  }

  /** `a` was just stored: keep its signature beside the stored copy. */
  stored(a: CtpAdvert): void {
    const s = this.table.stored(a.origin);
    if (s === undefined) return;
    if (typeof a.sig === 'string' && typeof a.cert === 'string')
      this.sigs.set(s, { sig: a.sig, cert: a.cert });
    else this.sigs.delete(s);
  }

  /** A stored advert as it goes on the wire: with the signature it came with. */
  wire(s: CtpStoredAdvert): CtpAdvert {
    const g = this.sigs.get(s);
    const a: CtpAdvert = { origin: s.origin, seq: s.seq, nodes: s.nodes, neighbors: s.neighbors };
    if (g !== undefined) {
      a.sig = g.sig;
      a.cert = g.cert;
    }
    return a;
  }

  /** A REGISTER's claim signature (base64), or `undefined` without an identity. */
  signClaim(m: CtpClaimFields): string | undefined {
    const id = this.identity;
    return id === undefined
      ? undefined
      : sign(digestFor(id.key), Buffer.from(canonicalClaim(m)), id.key).toString('base64');
  }

  /**
   * Why a REGISTER's claim by `origin` does not verify, or `undefined` when
   * it does. Without an identity there is nothing to check. With one, the
   * claim must be signed by the key of the certificate that `origin`'s
   * stored (verified) advert carries.
   */
  claimProblem(
    origin: string,
    m: CtpClaimFields & { claimSig?: string | undefined },
    now: number,
  ): string | undefined {
    const certs = this.certs;
    if (certs === undefined) return undefined;
    if (typeof m.claimSig !== 'string') return 'the claim is not signed';
    const s = this.table.stored(origin);
    const g = s === undefined ? undefined : this.sigs.get(s);
    if (g === undefined) return 'no signed advert of the registrant';
    const e = certs.lookup(g.cert);
    if ('bad' in e) return e.bad;
    if (e.cn !== origin) return "the certificate is not the registrant's";
    if (now < e.notBefore || now > e.notAfter) return 'the certificate is not valid now';
    try {
      return verify(
        e.digest,
        Buffer.from(canonicalClaim(m)),
        e.key,
        Buffer.from(m.claimSig, 'base64'),
      )
        ? undefined
        : 'the signature does not verify';
    } catch {
      return 'the signature does not verify';
    }
  }

  /** Bytes the signature adds to the own advert (room for it is kept under `maxFrameBytes`). */
  get ownOverheadBytes(): number {
    return this.identity?.wireBytes ?? 0;
  }

  /** Chain checks done so far (the cache's misses); 0 without an identity. */
  get chainChecks(): number {
    return this.certs?.chainChecks ?? 0;
  }
}
