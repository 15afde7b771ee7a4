/**
 * Signed adverts in the simulator (issue 9): every router r0..r11 gets an
 * identity from the committed certificates in test/fixtures/tls/sim/
 * (made by its make.sh, valid from 2020 so that the virtual clock's 2023 is
 * inside them), and a `forge` step makes adverts an authenticated but
 * malicious router injects for another origin: unsigned, re-signed with its
 * own certificate, signed with its key under the origin's certificate, a
 * certificate of another CA or an expired one with CN = origin, or a genuine
 * signature over a tampered node list. Invariant: a forged advert never
 * changes any router's table.
 */
import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalAdvert,
  canonicalClaim,
  type CtpClaimFields,
} from '../../src/link-state/signing.js';
import type { CtpAdvert } from '../../src/base/messages.js';
import type { CtpIdentity } from '../../src/options.js';
import type { Rng } from './rng.js';

/** Node names only forged adverts carry: no stored advert may ever list one. */
export const FORGED_PREFIX = 'forged.';
/** Forged sequence numbers far above any real one (real ones start at the virtual clock, 2023). */
export const FORGED_SEQ_BAND = 1_700_000_000_000 + 5e12;

const ROUTERS = 12;

interface Material {
  key: KeyObject;
  cert: string;
  der: string;
}

let loaded: { ca: string; genuine: Material[]; other: Material[]; expired: Material[] } | undefined;

function fixtureDir(): string {
  // Found from here whether this file runs as source (vitest) or compiled (npm run sim).
  for (let d = dirname(fileURLToPath(import.meta.url)); d !== dirname(d); d = dirname(d)) {
    const p = join(d, 'test', 'fixtures', 'tls', 'sim');
    if (existsSync(join(p, 'ca.crt'))) return p;
  }
  throw new Error('test/fixtures/tls/sim not found');
}

function material(dir: string, name: string): Material {
  const cert = readFileSync(join(dir, `${name}.crt`), 'utf8');
  return {
    key: createPrivateKey(readFileSync(join(dir, `${name}.key`), 'utf8')),
    cert,
    der: new X509Certificate(cert).raw.toString('base64'),
  };
}

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  const dir = fixtureDir();
  const ids = Array.from({ length: ROUTERS }, (_, i) => i);
  loaded = {
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    genuine: ids.map((i) => material(dir, `r${i}`)),
    other: ids.map((i) => material(dir, `other-r${i}`)),
    expired: ids.map((i) => material(dir, `expired-r${i}`)),
  };
  return loaded;
}

function index(id: string): number {
  const i = Number(id.slice(1));
  if (!/^r\d+$/.test(id) || i >= ROUTERS) throw new Error(`no simulator certificate for ${id}`);
  return i;
}

/** The `identity` option of simulated router `id` (r0..r11). */
export function simIdentity(id: string): CtpIdentity {
  const m = load();
  const g = m.genuine[index(id)] as Material;
  return { key: g.key, cert: g.cert, ca: m.ca };
}

/** `a` signed by `by`, with a signed `time` (issue 25): `a.time`, else the simulated clock's now. */
function signWith(a: CtpAdvert, by: Material): CtpAdvert {
  const t = { ...a, time: a.time ?? signingNow() };
  const sig = sign('sha256', Buffer.from(canonicalAdvert(t)), by.key).toString('base64');
  return { ...t, sig, cert: by.der };
}

let signingNow = (): number => Date.now();
/** Where forged and genuine adverts made here take their signed `time` from (the simulation's clock). */
export function setSigningClock(now: () => number): void {
  signingNow = now;
}

export const FORGERIES = [
  'unsigned',
  'resigned',
  'wrong-key',
  'other-ca',
  'expired',
  'tampered',
] as const;
export type Forgery = (typeof FORGERIES)[number];

/**
 * A forged advert of `origin` that router `attacker` (holding its own genuine
 * certificate and key) makes, of kind `kind`, with sequence number `seq`.
 */
export function forge(
  kind: Forgery,
  attacker: string,
  origin: string,
  seq: number,
  n: number,
  rng: Rng,
  neighbors: string[],
): CtpAdvert {
  const m = load();
  const a: CtpAdvert = {
    origin,
    seq,
    nodes: [`${FORGED_PREFIX}${n}`, ...(rng.chance(0.5) ? [] : ['n0a', 'shared'])],
    neighbors,
  };
  const own = m.genuine[index(attacker)] as Material;
  const victim = index(origin);
  switch (kind) {
    case 'unsigned':
      return a;
    case 'resigned':
      return signWith(a, own);
    case 'wrong-key':
      return { ...signWith(a, own), cert: (m.genuine[victim] as Material).der };
    case 'other-ca':
      return signWith(a, m.other[victim] as Material);
    case 'expired':
      return signWith(a, m.expired[victim] as Material);
    case 'tampered': {
      // The origin's genuine signature (as on the wire) over other contents.
      const genuine = signWith({ ...a, nodes: a.nodes.slice(1) }, m.genuine[victim] as Material);
      return { ...genuine, nodes: a.nodes };
    }
  }
}

/** `a` signed by its origin's genuine key and certificate (r0..r11). */
export function signGenuine(a: CtpAdvert): CtpAdvert {
  return signWith(a, load().genuine[index(a.origin)] as Material);
}

/**
 * A REGISTER's claim signature made by `attacker` with its own genuine key
 * (a real signature, by the wrong router): the host must not take it for the
 * registrant's (PROTOCOL.md section 5, "Confirming a registrant").
 */
export function forgeClaimSig(attacker: string, fields: CtpClaimFields): string {
  const own = load().genuine[index(attacker)] as Material;
  return sign('sha256', Buffer.from(canonicalClaim(fields)), own.key).toString('base64');
}
