/**
 * Signed adverts (issue 9, origin authentication): signing this router's own
 * adverts and claims, and checking every advert's signature, validity dates
 * and CN = origin against the certificate cache (certificates.ts: chain
 * checks, cached by fingerprint), over the canonical bytes (canonical.ts).
 * node:crypto only.
 *
 * Wire form (docs/how-it-works.md "Wire format"): an advert may carry `sig` (base64 of the
 * signature over `canonicalAdvert(a)`) and `cert` (base64 of the signer's
 * DER certificate). Both travel with the advert as received: stored adverts
 * keep them, so re-flooding and table exchange send the origin's signature.
 */
import { sign, verify } from 'node:crypto';
import createDebug from 'debug';
import type { CtpAdvert } from '../base/messages.js';
import { systemClock, type CtpClock } from '../base/clock.js';
import { isValidMedium, pseudoNodeId } from './media.js';
import type { CtpReport } from '../wire/report.js';
import { canonicalAdvert, canonicalClaim, type CtpClaimFields } from './canonical.js';
import {
  CtpCertCache,
  digestFor,
  type CertEntry,
  type CtpResolvedIdentity,
} from './certificates.js';
import type { CtpStoredAdvert, CtpTable } from './table.js';

// Re-exported: tests and benchmarks import them from here, where they lived
// before canonical.ts and certificates.ts.
export { canonicalAdvert, canonicalClaim, type CtpClaimFields } from './canonical.js';
export {
  commonName,
  CtpCertCache,
  resolveIdentity,
  type CtpIdentity,
  type CtpResolvedIdentity,
} from './certificates.js';

const debug = createDebug('ctp:signing');

/** Longest `sig` accepted (base64 characters): room for RSA-4096 and every EC/EdDSA signature. */
export const MAX_SIG_CHARS = 1024;
/** Longest `cert` accepted (base64 characters of the DER certificate). */
export const MAX_CERT_CHARS = 8192;

/**
 * Fresh adverts (issue 25): how far ahead of this router's clock an advert's signed `time`
 * may be, as a fraction of `staleAdvertMs` (a quarter: 150 s at the default 10 minutes).
 * Own adverts are re-signed every `staleAdvertMs / 4` (`refreshMs`), so a live origin's
 * newest copy is at most about a quarter old: clocks may differ by up to a quarter of
 * `staleAdvertMs` (docs/PROTOCOL.md section 7, "Fresh adverts").
 */
export const CLOCK_SKEW_FRACTION = 0.25;

/** How often a signing router re-signs its own advert (a new seq and `time`): `staleAdvertMs / 4`. */
export function refreshMs(staleAdvertMs: number): number {
  return Math.max(1, Math.floor(staleAdvertMs * CLOCK_SKEW_FRACTION));
}

/**
 * Why a signed advert is not fresh at `now` (a drop message), or `undefined`: it must carry a
 * signed `time` no older than `staleAdvertMs` and not ahead of `now` by more than the skew
 * tolerance. A pseudo-node's advert (a medium's, `bus:…`) is exempt: it lists routers only, and a
 * link counts only when both of its ends list it, so a stale one revives nothing.
 */
export function freshnessProblem(
  a: CtpAdvert,
  now: number,
  staleAdvertMs: number,
): string | undefined {
  if (a.origin.startsWith('bus:')) return undefined;
  if (typeof a.time !== 'number') return 'the advert has no signed time';
  if (now - a.time > staleAdvertMs)
    return `signed ${now - a.time} ms ago, more than staleAdvertMs (${staleAdvertMs})`;
  if (a.time - now > staleAdvertMs * CLOCK_SKEW_FRACTION)
    return `signed ${a.time - now} ms ahead of this router's clock`;
  return undefined;
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
  private readonly sigs = new WeakMap<
    CtpStoredAdvert,
    { sig: string; cert: string; time: number | undefined }
  >();
  private readonly certs: CtpCertCache | undefined;
  private lastContent = '';
  private lastTime = 0;
  private lastBytes = '';
  private lastSig = '';
  private readonly staleAdvertMs: number;
  private readonly clock: CtpClock;

  constructor(
    private readonly identity: CtpResolvedIdentity | undefined,
    private readonly table: CtpTable<P>,
    private readonly report: CtpReport<P>,
    maxRouters: number,
    /** Fresh adverts (issue 25): their time limit and the clock that signs and checks `time`. */
    fresh: { staleAdvertMs: number; clock: CtpClock } = {
      staleAdvertMs: 600_000,
      clock: systemClock,
    },
  ) {
    this.certs =
      identity === undefined ? undefined : new CtpCertCache(identity.anchors, maxRouters + 64);
    this.staleAdvertMs = fresh.staleAdvertMs;
    this.clock = fresh.clock;
  }

  /** Does this router sign (and check) adverts? Then its own advert is refreshed (`refreshMs`). */
  get signs(): boolean {
    return this.identity !== undefined;
  }

  /**
   * The own advert as sent: signed when this router has an identity, with the time of its
   * first signing (one signature and one `time` per content: a refresh bumps the seq).
   */
  own(a: CtpAdvert): CtpAdvert {
    const id = this.identity;
    if (id === undefined) return a;
    const content = canonicalAdvert(a);
    if (content !== this.lastContent) {
      this.lastContent = content;
      this.lastTime = Math.floor(this.clock.now());
      const bytes = canonicalAdvert({ ...a, time: this.lastTime });
      this.lastSig = sign(digestFor(id.key), Buffer.from(bytes), id.key).toString('base64');
      this.lastBytes = bytes;
    }
    return {
      origin: a.origin,
      seq: a.seq,
      nodes: a.nodes,
      neighbors: a.neighbors,
      time: this.lastTime,
      sig: this.lastSig,
      cert: id.cert,
    };
  }

  /** `a` (a pseudo-node advert this router originates as DR) signed with its identity, uncached; `a` itself without one. */
  signed(a: CtpAdvert): CtpAdvert {
    const id = this.identity;
    if (id === undefined) return a;
    const t: CtpAdvert = { ...a, time: Math.floor(this.clock.now()) };
    const sig = sign(digestFor(id.key), Buffer.from(canonicalAdvert(t)), id.key).toString('base64');
    return {
      origin: a.origin,
      seq: a.seq,
      nodes: a.nodes,
      neighbors: a.neighbors,
      time: t.time as number,
      sig,
      cert: id.cert,
    };
  }

  /**
   * May `a` go on to the table? With an identity: unsigned adverts never;
   * a signed one is verified when it could change something (newer than the
   * stored copy, or the own origin at or above the own seq), else it is
   * harmless (equal or older: ignored or answered with the stored copy).
   * A refused advert is reported as `bad-signature`; one signed more than
   * `staleAdvertMs` ago (or without a signed time) as `stale` (issue 25).
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
      // Checked before the signature: cheap, and a replayed genuine copy fails here.
      const stale = freshnessProblem(a, now, this.staleAdvertMs);
      if (stale !== undefined) {
        debug('%s drops the advert of %s seq %d: %s', this.table.id, a.origin, a.seq, stale);
        this.report.drop(peer, 'stale', { t: 'REPORTNODE', origin: a.origin, message: stale });
        return false;
      }
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
      this.sigs.set(s, { sig: a.sig, cert: a.cert, time: a.time });
    else this.sigs.delete(s);
  }

  /**
   * When the oldest stored signed advert (a pseudo-node's aside) passes `staleAdvertMs`
   * since its signed time, or `undefined`; only while this router checks signatures.
   */
  nextExpiry(): number | undefined {
    if (this.certs === undefined) return undefined;
    let at: number | undefined;
    for (const s of this.table.storedAdverts()) {
      const t = this.signedTime(s);
      if (t !== undefined && (at === undefined || t + this.staleAdvertMs < at))
        at = t + this.staleAdvertMs;
    }
    return at;
  }

  /** Stored adverts signed `staleAdvertMs` or more before `now` (their origin stopped refreshing). */
  expired(now: number): string[] {
    if (this.certs === undefined) return [];
    const gone: string[] = [];
    for (const s of this.table.storedAdverts()) {
      const t = this.signedTime(s);
      if (t !== undefined && now - t >= this.staleAdvertMs) gone.push(s.origin);
    }
    return gone;
  }

  private signedTime(s: CtpStoredAdvert): number | undefined {
    return s.origin.startsWith('bus:') ? undefined : this.sigs.get(s)?.time;
  }

  /** A stored advert as it goes on the wire: with the signature it came with. */
  wire(s: CtpStoredAdvert): CtpAdvert {
    const g = this.sigs.get(s);
    const a: CtpAdvert = { origin: s.origin, seq: s.seq, nodes: s.nodes, neighbors: s.neighbors };
    if (g !== undefined) {
      a.sig = g.sig;
      a.cert = g.cert;
      if (g.time !== undefined) a.time = g.time;
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
    if (this.certs === undefined) return undefined;
    if (typeof m.claimSig !== 'string') return 'the claim is not signed';
    const e = this.peerCert(origin, now);
    if (typeof e === 'string') return e;
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

  /**
   * The checked certificate that `origin`'s stored (verified) advert carries,
   * valid at `now` with CN = `origin`, or why there is none (origin-auth.ts
   * and claims use it). Always a reason without an identity.
   */
  peerCert(origin: string, now: number): Extract<CertEntry, { key: unknown }> | string {
    const certs = this.certs;
    if (certs === undefined) return 'no identity';
    const s = this.table.stored(origin);
    const g = s === undefined ? undefined : this.sigs.get(s);
    if (g === undefined) return 'no signed advert of the origin';
    const e = certs.lookup(g.cert);
    if ('bad' in e) return e.bad;
    if (e.cn !== origin) return "the certificate is not the origin's";
    if (now < e.notBefore || now > e.notAfter) return 'the certificate is not valid now';
    return e;
  }

  /** The certificate (base64 DER) that `origin`'s stored advert carries, unchecked (`peerCert` checks it). */
  peerCertText(origin: string): string | undefined {
    const s = this.table.stored(origin);
    return s === undefined ? undefined : this.sigs.get(s)?.cert;
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
