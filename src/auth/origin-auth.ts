/**
 * End-to-end origin authentication (issue 25, PROTOCOL.md section 12): with
 * `identity` on, every REGISTER, UNREGISTER, START, STOP, COMMAND, RESPONSE
 * (release notices included) and EVENT a router originates carries `origin`
 * (its router id), `ctr` (a per-origin counter) and `auth`, and the router
 * it is addressed to verifies them before acting on it; relays forward the
 * frame unchanged (only `hops` and `ttl` change, and neither is covered).
 *
 * `auth` is an HMAC-SHA256 under a key agreed per pair of routers (ECDH of
 * the two certified EC identity keys, then HKDF), or, when the two keys
 * cannot agree one (Ed25519, RSA, different curves), a signature by the
 * origin's identity key. It covers the origin, the destination router, the
 * counter and every field a relay must not change (`macInput`). node:crypto only.
 */
import { createHmac, diffieHellman, hkdfSync, sign, timingSafeEqual, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CtpMessage } from '../base/messages.js';
import { isValidRouterId } from '../base/names.js';
import { digestFor, type CtpResolvedIdentity } from '../link-state/certificates.js';

/** Domain tag of the bytes `auth` covers: good for nothing else. */
const ORIGIN_TAG = 'ctp-origin/1';
/** Counters are microseconds of the origin's clock: a restarted origin starts above its old ones. */
const UNITS_PER_MS = 1000;
/** A counter further than this from the verifier's clock is refused (the clock-skew tolerance). */
export const ORIGIN_SKEW_MS = 60_000;
/** A counter this far below the highest seen from its origin is still accepted once (frames reordered on two paths). */
export const REORDER_MS = 10_000;
/** Counters remembered per origin within the reorder window; past it the oldest raise the floor. */
const SEEN_PER_ORIGIN = 4096;
/** Longest `auth` accepted (base64 characters): room for an RSA-4096 signature. */
export const MAX_AUTH_CHARS = 1024;

/** Why a frame fails origin authentication (`CtpOriginAuth.check`). */
export interface CtpOriginProblem {
  reason: 'bad-origin' | 'replayed';
  message: string;
  /** No signed advert of the origin is held yet: the frame may wait for it (origin-wait.ts). */
  unknown?: true;
}

/** The message of a frame whose origin's signed advert is not held (yet). */
const UNKNOWN = 'no signed advert of the origin';

/** The frame types that carry origin authentication. */
export function isAuthenticated(t: string): boolean {
  return (
    t === 'REGISTER' ||
    t === 'UNREGISTER' ||
    t === 'START' ||
    t === 'STOP' ||
    t === 'COMMAND' ||
    t === 'RESPONSE' ||
    t === 'EVENT'
  );
}

/** The fields origin authentication adds to a frame. */
export interface CtpOriginFields {
  origin?: string;
  ctr?: number;
  auth?: string;
}

type Fields = Record<string, unknown> & CtpOriginFields;

/**
 * The bytes `auth` covers: the tag, origin, destination router, counter and
 * every field a relay must not change, in a fixed order (absent ones as
 * null), whatever the key order of the frame. Not covered: `hops`, `ttl`
 * (relays change them) and unknown extra fields (nothing reads them).
 */
export function macInput(m: Fields, dest: string): string {
  return JSON.stringify([
    ORIGIN_TAG,
    m.origin,
    dest,
    m.ctr,
    m.t,
    m.v,
    m.id,
    m.to,
    m.node,
    m.controller,
    m.monitor,
    m.app,
    m.code,
    m.re,
    m.reason,
    m.refresh,
    m.idleTimeoutMs,
    m.claim,
    m.claimSig,
    m.optionals,
    m.content,
  ]);
}

/** What the module needs to find a peer router's certified key. */
export interface CtpPeerKeys {
  /** The checked certificate key of `origin` (from its stored signed advert), or why there is none. */
  peerCert(
    origin: string,
    now: number,
  ): { key: KeyObject; digest: string | null; notAfter?: number } | string;
  /** The certificate `origin`'s stored advert carries, as it came (cheap: the pair key's cache is checked against it). */
  peerCertText?(origin: string): string | undefined;
}

/** The replay state of one origin. */
interface Window {
  highest: number;
  floor: number;
  seen: Set<number>;
}

/** Can `a` and `b` agree a key by ECDH (both EC on one curve, or both X25519/X448)? */
function canAgree(a: KeyObject, b: KeyObject): boolean {
  const t = a.asymmetricKeyType;
  if (t !== b.asymmetricKeyType) return false;
  if (t === 'x25519' || t === 'x448') return true;
  return t === 'ec' && a.asymmetricKeyDetails?.namedCurve === b.asymmetricKeyDetails?.namedCurve;
}

/**
 * One router's origin authentication: `seal` what it originates, `check`
 * what is addressed to it. Inactive (both no-ops) without an identity.
 */
export class CtpOriginAuth {
  private ctr = 0;
  /** Pair keys by peer router id, with the key object they were agreed with. */
  private readonly pairs = new Map<
    string,
    { peer: KeyObject; key: Buffer | null; text: string | undefined; until: number }
  >();
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly id: string,
    private readonly identity: CtpResolvedIdentity | undefined,
    private readonly keys: CtpPeerKeys,
    private readonly now: () => number,
    /** Bounds the pair keys and replay windows kept (one per router). */
    private readonly maxRouters = 10_000,
  ) {}

  /** Is origin authentication on (this router has an identity)? */
  get active(): boolean {
    return this.identity !== undefined;
  }

  /**
   * `msg` (originated here) as it goes to the router `dest`: with `origin`,
   * `ctr` and `auth`. Returns `msg` itself without an identity, or when no
   * key of `dest` is known (it then fails at `dest`, as a forgery would).
   */
  seal<M extends CtpMessage>(msg: M, dest: string): M {
    const id = this.identity;
    if (id === undefined || !isAuthenticated(msg.t)) return msg;
    const now = this.now();
    this.ctr = Math.max(this.ctr + 1, Math.floor(now) * UNITS_PER_MS);
    const m = { ...msg, origin: this.id, ctr: this.ctr } as M & Fields;
    const input = macInput(m, dest);
    const key = this.pairKey(dest, now);
    if (key === undefined) return msg;
    m.auth =
      key === null
        ? sign(digestFor(id.key), Buffer.from(input), id.key).toString('base64')
        : createHmac('sha256', key).update(input).digest('base64');
    return m;
  }

  /**
   * Why `msg`, addressed to this router, fails origin authentication
   * (a drop message), or `undefined` when it passes (or nothing is checked:
   * no identity, or a type that carries none). `replayed` tells a replay
   * (a counter already seen, or too old) from a forgery.
   */
  check(msg: CtpMessage): CtpOriginProblem | undefined {
    if (this.identity === undefined || !isAuthenticated(msg.t)) return undefined;
    const m = msg as unknown as Fields;
    const origin = m.origin;
    if (!isValidRouterId(origin)) return bad('the frame names no origin');
    const ctr = m.ctr;
    if (typeof ctr !== 'number' || !Number.isSafeInteger(ctr) || ctr < 0)
      return bad('the frame has no valid counter');
    if (typeof m.auth !== 'string' || m.auth.length === 0 || m.auth.length > MAX_AUTH_CHARS)
      return bad('the frame is not authenticated');
    const now = this.now();
    // The MAC first: a forgery is `bad-origin` whatever counter it claims
    // (checked after, a forged counter below the origin's window read as a
    // replay); only a genuine copy is told `replayed`. From an origin whose
    // key is not known yet the counter first: a replay is not kept waiting.
    const problem = this.verify(m, origin, now);
    if (problem !== undefined && problem !== UNKNOWN) return bad(problem);
    const w = this.windows.get(origin);
    if (Math.abs(ctr / UNITS_PER_MS - now) > ORIGIN_SKEW_MS)
      return { reason: 'replayed', message: 'the counter is outside the clock-skew tolerance' };
    if (w !== undefined && replayed(w, ctr))
      return { reason: 'replayed', message: 'the counter was seen already or is too old' };
    if (problem === UNKNOWN) return { reason: 'bad-origin', message: UNKNOWN, unknown: true };
    this.record(origin, ctr, w);
    return undefined;
  }

  /** Why `m`'s `auth` is not `origin`'s over the frame addressed here, or `undefined`. */
  private verify(m: Fields, origin: string, now: number): string | undefined {
    const key = this.pairKey(origin, now);
    if (key === undefined) {
      const keys = this.keys;
      if (keys.peerCertText !== undefined && keys.peerCertText(origin) === undefined)
        return UNKNOWN;
      const e = this.keys.peerCert(origin, now);
      return typeof e === 'string' ? e : 'no key of the origin';
    }
    const input = macInput(m, this.id);
    const got = Buffer.from(m.auth as string, 'base64');
    if (key !== null) {
      const want = createHmac('sha256', key).update(input).digest();
      return got.length === want.length && timingSafeEqual(got, want)
        ? undefined
        : 'the frame was not authenticated by its origin';
    }
    const e = this.keys.peerCert(origin, now);
    if (typeof e === 'string') return e;
    try {
      return verify(e.digest, Buffer.from(input), e.key, got)
        ? undefined
        : 'the frame was not signed by its origin';
    } catch {
      return 'the frame was not signed by its origin';
    }
  }

  /**
   * The HMAC key shared with router `peer` (agreed once per certificate and
   * cached), `null` when the two keys cannot agree one (sign instead), or
   * `undefined` when no valid certificate of `peer` is known.
   */
  private pairKey(peer: string, now: number): Buffer | null | undefined {
    const id = this.identity as CtpResolvedIdentity;
    const cached = this.pairs.get(peer);
    // The steady stream: the same certificate as last time, still valid — no lookup, no agreement.
    const text = this.keys.peerCertText?.(peer);
    if (cached !== undefined && text !== undefined && cached.text === text && now <= cached.until)
      return cached.key;
    const e = this.keys.peerCert(peer, now);
    if (typeof e === 'string') return undefined;
    if (cached !== undefined && cached.peer === e.key) {
      cached.text = text;
      cached.until = e.notAfter ?? now;
      return cached.key;
    }
    let key: Buffer | null = null;
    if (canAgree(id.key, e.key)) {
      const secret = diffieHellman({ privateKey: id.key, publicKey: e.key });
      const [a, b] = this.id < peer ? [this.id, peer] : [peer, this.id];
      key = Buffer.from(hkdfSync('sha256', secret, ORIGIN_TAG, `${ORIGIN_TAG} ${a} ${b}`, 32));
    }
    if (this.pairs.size >= this.maxRouters) this.pairs.delete(this.pairs.keys().next().value!);
    this.pairs.set(peer, { peer: e.key, key, text, until: e.notAfter ?? now });
    return key;
  }

  /** `ctr` from `origin` verified: remember it. */
  private record(origin: string, ctr: number, w: Window | undefined): void {
    if (w === undefined) {
      if (this.windows.size >= this.maxRouters)
        this.windows.delete(this.windows.keys().next().value!);
      const floor = ctr - REORDER_MS * UNITS_PER_MS;
      this.windows.set(origin, { highest: ctr, floor, seen: new Set([ctr]) });
      return;
    }
    if (ctr > w.highest) w.highest = ctr;
    w.seen.add(ctr);
    const limit = w.highest - REORDER_MS * UNITS_PER_MS;
    if (w.seen.size > SEEN_PER_ORIGIN || w.floor < limit) {
      for (const c of w.seen) {
        if (w.seen.size <= SEEN_PER_ORIGIN && c >= limit) break;
        w.seen.delete(c);
        if (c > w.floor) w.floor = c;
      }
      if (w.floor < limit) w.floor = limit;
    }
  }
}

function bad(message: string): { reason: 'bad-origin'; message: string } {
  return { reason: 'bad-origin', message };
}

/** Was `ctr` seen already from this origin, or is it at or below its floor? */
function replayed(w: Window, ctr: number): boolean {
  return ctr <= w.floor || w.seen.has(ctr);
}
