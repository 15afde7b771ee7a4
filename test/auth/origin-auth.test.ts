/**
 * Issue 25: the origin authentication module alone (src/auth/origin-auth.ts):
 * seal at one router, check at another, with the pair key (EC P-256
 * fixtures) and with signatures (an Ed25519 identity); forgeries, replays,
 * redirects, reordering, skew, hostile field values.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CtpOriginAuth, macInput, ORIGIN_SKEW_MS, REORDER_MS } from '../../src/auth/origin-auth.js';
import { originMismatch } from '../../src/auth/gate.js';
import { resolveIdentity, type CtpIdentity } from '../../src/link-state/certificates.js';
import type { CtpMessage } from '../../src/base/messages.js';

const dir = new URL('../fixtures/tls/sim/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const T0 = Date.parse('2024-01-01T00:00:00Z');

/** Routers `ids`, each knowing the others' certificates; `files` maps an id to its fixture name. */
function routers(ids: string[], files: Record<string, string> = {}, clock = { t: T0 }) {
  const file = (id: string) => files[id] ?? id;
  const certs = new Map(ids.map((id) => [id, new X509Certificate(pem(`${file(id)}.crt`))]));
  const auths = new Map<string, CtpOriginAuth>();
  for (const id of ids) {
    const ident: CtpIdentity = {
      key: pem(`${file(id)}.key`),
      cert: pem(`${file(id)}.crt`),
      ca: pem('ca.crt'),
    };
    auths.set(
      id,
      new CtpOriginAuth(
        id,
        resolveIdentity(ident, clock.t),
        {
          peerCert: (origin) => {
            const c = certs.get(origin);
            if (c === undefined) return 'no signed advert of the origin';
            const t = c.publicKey.asymmetricKeyType;
            return { key: c.publicKey, digest: t === 'ed25519' ? null : 'sha256' };
          },
        },
        () => clock.t,
      ),
    );
  }
  return { get: (id: string) => auths.get(id) as CtpOriginAuth, clock };
}

const COMMAND = {
  v: 1,
  t: 'COMMAND',
  id: 7,
  to: 'r0',
  node: 'cam1',
  controller: 'controller[cam1]@r2',
  app: 'pan',
  content: { deg: 30, nested: [1, { a: 'b' }] },
} as unknown as CtpMessage;

describe('origin authentication', () => {
  it('a sealed frame checks at its destination, after a JSON round trip and a relay', () => {
    const { get } = routers(['r0', 'r2']);
    const sealed = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    expect(sealed).toMatchObject({ origin: 'r2', t: 'COMMAND' });
    expect(typeof sealed.ctr).toBe('number');
    expect((sealed.auth as string).length).toBe(44); // HMAC-SHA256, base64: the pair key, no signature
    const relayed = { ...JSON.parse(JSON.stringify(sealed)), hops: 3, ttl: 5 };
    expect(get('r0').check(relayed)).toBeUndefined();
  });

  it('without an identity it seals and checks nothing', () => {
    const plain = new CtpOriginAuth('r0', undefined, { peerCert: () => 'none' }, () => T0);
    expect(plain.seal(COMMAND, 'r1')).toBe(COMMAND);
    expect(plain.check(COMMAND)).toBeUndefined();
    expect(plain.active).toBe(false);
  });

  it('a frame redirected to another router fails there', () => {
    const { get } = routers(['r0', 'r2', 'r3']);
    const sealed = get('r2').seal(COMMAND, 'r0');
    expect(get('r3').check(sealed)).toEqual({
      reason: 'bad-origin',
      message: 'the frame was not authenticated by its origin',
    });
    expect(get('r0').check(sealed)).toBeUndefined();
  });

  it('another router cannot forge a frame of the origin, even with its own genuine key', () => {
    const { get } = routers(['r0', 'r1', 'r2']);
    // r1 seals as itself, then claims r2's origin.
    const byR1 = get('r1').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    expect(get('r0').check({ ...byR1, origin: 'r2' } as unknown as CtpMessage)?.reason).toBe(
      'bad-origin',
    );
    // Its own origin checks (the gate then refuses r1 as r2's registrant: originMismatch).
    expect(get('r0').check(byR1 as unknown as CtpMessage)).toBeUndefined();
    expect(originMismatch(byR1 as unknown as CtpMessage, 'r1', () => ['r0'])).toBe(
      "the origin is not the registrant's router",
    );
  });

  it('every covered field is covered; hops and ttl are not', () => {
    const { get } = routers(['r0', 'r2']);
    const fields: Record<string, unknown> = {
      t: 'START',
      id: 8,
      to: 'r9',
      node: 'cam2',
      controller: 'controller[cam1]@r3',
      app: 'tilt',
      content: { deg: 31, nested: [1, { a: 'c' }] },
      optionals: { x: 1 },
      v: 2,
    };
    for (const [k, v] of Object.entries(fields)) {
      const sealed = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
      expect(get('r0').check({ ...sealed, [k]: v } as unknown as CtpMessage), k).toMatchObject({
        reason: 'bad-origin',
      });
    }
    const sealed = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    expect(get('r0').check({ ...sealed, hops: 9, ttl: 1 } as unknown as CtpMessage)).toBe(
      undefined,
    );
  });

  it('RESPONSE and EVENT fields are covered too', () => {
    const { get } = routers(['r0', 'r2']);
    const res = {
      v: 1,
      t: 'RESPONSE',
      node: 'cam1',
      controller: 'controller[cam1]@r2',
      code: 'SUCCESS',
      re: 4,
      content: 1,
    } as unknown as CtpMessage;
    for (const change of [{ code: 'ERROR' }, { re: 5 }, { reason: 'x' }, { content: 2 }]) {
      const s = get('r0').seal(res, 'r2');
      expect(get('r2').check({ ...s, ...change } as CtpMessage)?.reason).toBe('bad-origin');
    }
    const ev = { v: 1, t: 'EVENT', node: 'cam1', monitor: 'monitor[cam1]@r2', content: 1 };
    const s = get('r0').seal(ev as CtpMessage, 'r2');
    expect(get('r2').check({ ...s, monitor: 'monitor[cam1]@r4' } as CtpMessage)?.reason).toBe(
      'bad-origin',
    );
    expect(get('r2').check(s)).toBeUndefined();
  });

  it('a replay is refused; frames reordered within the window are not', () => {
    const { get, clock } = routers(['r0', 'r2']);
    const a = get('r2').seal(COMMAND, 'r0');
    clock.t += 5;
    const b = get('r2').seal(COMMAND, 'r0');
    expect(get('r0').check(b)).toBeUndefined();
    expect(get('r0').check(a)).toBeUndefined(); // older, never seen: reordered on another path
    expect(get('r0').check(a)).toMatchObject({ reason: 'replayed' });
    expect(get('r0').check(b)).toMatchObject({ reason: 'replayed' });
  });

  it('a forgery is bad-origin whatever counter it claims, and does not move the window', () => {
    const { get, clock } = routers(['r0', 'r2']);
    const a = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    clock.t += 5;
    const b = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    expect(get('r0').check(b as unknown as CtpMessage)).toBeUndefined();
    // A seen counter, one below the window's top, one far outside the skew tolerance: all forged.
    for (const ctr of [b.ctr, a.ctr, (b.ctr as number) - 1e9])
      expect(
        get('r0').check({ ...b, ctr, content: 'evil' } as unknown as CtpMessage),
      ).toMatchObject({ reason: 'bad-origin' });
    // The genuine older frame still passes: no forgery recorded its counter.
    expect(get('r0').check(a as unknown as CtpMessage)).toBeUndefined();
    expect(get('r0').check(a as unknown as CtpMessage)).toMatchObject({ reason: 'replayed' });
  });

  it("a replay from an origin whose key is not known (any more) is `replayed` at once, not kept waiting for the origin's advert", () => {
    const { get } = routers(['r0', 'r2']);
    const r2cert = new X509Certificate(pem('r2.crt'));
    let known = true;
    const r0 = new CtpOriginAuth(
      'r0',
      resolveIdentity({ key: pem('r0.key'), cert: pem('r0.crt'), ca: pem('ca.crt') }, T0),
      {
        peerCertText: () => (known ? 'r2-cert' : undefined),
        peerCert: () =>
          known ? { key: r2cert.publicKey, digest: 'sha256' } : 'no signed advert of the origin',
      },
      () => T0,
    );
    const a = get('r2').seal(COMMAND, 'r0');
    expect(r0.check(a)).toBeUndefined();
    known = false; // r2's advert gone (unreachable, say)
    expect(r0.check(a)).toMatchObject({ reason: 'replayed' });
    // A new frame of r2's waits for its advert (`unknown`), as any from an unknown origin.
    expect(r0.check(get('r2').seal(COMMAND, 'r0'))).toMatchObject({
      reason: 'bad-origin',
      unknown: true,
    });
  });

  it('a frame older than the reorder window behind a newer one is refused', () => {
    const { get, clock } = routers(['r0', 'r2']);
    const old = get('r2').seal(COMMAND, 'r0');
    clock.t += REORDER_MS + 10;
    expect(get('r0').check(get('r2').seal(COMMAND, 'r0'))).toBeUndefined();
    expect(get('r0').check(old)).toMatchObject({ reason: 'replayed' });
  });

  it('a frame outside the clock-skew tolerance is refused (a replay after the receiver restarted)', () => {
    const { get, clock } = routers(['r0', 'r2']);
    const old = get('r2').seal(COMMAND, 'r0');
    clock.t += ORIGIN_SKEW_MS + 1;
    expect(get('r0').check(old)).toEqual({
      reason: 'replayed',
      message: 'the counter is outside the clock-skew tolerance',
    });
  });

  it('a restarted origin starts above its old counters', () => {
    const clock = { t: T0 };
    const before = routers(['r0', 'r2'], {}, clock);
    const r0 = before.get('r0');
    for (let i = 0; i < 100; i++)
      expect(r0.check(before.get('r2').seal(COMMAND, 'r0'))).toBe(undefined);
    clock.t += 1;
    const after = routers(['r0', 'r2'], {}, clock); // r2 again, a new process
    const s = after.get('r2').seal(COMMAND, 'r0');
    expect(r0.check(s)).toBeUndefined();
  });

  it('a forged frame does not move the replay window', () => {
    const { get } = routers(['r0', 'r2']);
    const s = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    const future = { ...s, ctr: (s.ctr as number) + (REORDER_MS + 1000) * 1000, auth: s.auth };
    expect(get('r0').check(future as unknown as CtpMessage)?.reason).toBe('bad-origin');
    expect(get('r0').check(s as unknown as CtpMessage)).toBeUndefined();
  });

  it('identities that cannot agree a key sign every frame (Ed25519)', () => {
    const { get } = routers(['r0', 'r2'], { r2: 'ed25519-r0' }); // r2 holds an Ed25519 key (its CN does not matter here)
    const s = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    expect((s.auth as string).length).toBe(88); // an Ed25519 signature, base64
    expect(get('r0').check(s as unknown as CtpMessage)).toBeUndefined();
    expect(
      get('r0').check({ ...s, content: 'x', ctr: (s.ctr as number) + 1 } as unknown as CtpMessage),
    ).toEqual({ reason: 'bad-origin', message: 'the frame was not signed by its origin' });
  });

  it('hostile values are refused without a throw', () => {
    const { get } = routers(['r0', 'r2']);
    const s = get('r2').seal(COMMAND, 'r0') as unknown as Record<string, unknown>;
    const hostile: Record<string, unknown>[] = [
      { origin: undefined },
      { origin: 7 },
      { origin: '' },
      { origin: 'a'.repeat(500) },
      { origin: 'r2]@x' },
      { origin: 'r9' }, // no advert of it
      { ctr: -1 },
      { ctr: 1.5 },
      { ctr: '123' },
      { ctr: Number.MAX_SAFE_INTEGER + 2 },
      { ctr: null },
      { auth: undefined },
      { auth: '' },
      { auth: 5 },
      { auth: 'x'.repeat(5000) },
      { auth: '!!!not base64!!!' },
      { auth: (s.auth as string).slice(0, 20) },
      { auth: { toString: () => s.auth } },
    ];
    for (const h of hostile) {
      const r = get('r0').check({ ...s, ...h } as unknown as CtpMessage);
      expect(r, JSON.stringify(h)).toBeDefined();
      expect(['bad-origin', 'replayed']).toContain(r?.reason);
    }
    // After all that, the genuine frame still checks (nothing was recorded).
    expect(get('r0').check(s as unknown as CtpMessage)).toBeUndefined();
  });

  it('types without origin authentication pass unchecked (POST, adverts)', () => {
    const { get } = routers(['r0']);
    const post = { v: 1, t: 'POST', node: 'cam1', content: 1 } as CtpMessage;
    expect(get('r0').check(post)).toBeUndefined();
    expect(get('r0').seal(post, 'r1')).toBe(post);
  });

  it('the MAC input does not depend on key order', () => {
    const a = { ...(COMMAND as object), origin: 'r2', ctr: 1 } as Record<string, unknown>;
    const b = Object.fromEntries(Object.entries(a).reverse());
    expect(macInput(b, 'r0')).toBe(macInput(a, 'r0'));
    expect(macInput(a, 'r0')).not.toBe(macInput(a, 'r1'));
  });
});

describe('who may speak for a frame (originMismatch)', () => {
  const hosts = (node: string): string[] => (node === 'cam1' ? ['r0'] : []);
  const res = (extra: object) =>
    ({
      v: 1,
      t: 'RESPONSE',
      node: 'cam1',
      controller: 'controller[cam1]@r2',
      ...extra,
    }) as CtpMessage;
  it('a RESPONSE or EVENT only from a host of the node', () => {
    expect(originMismatch(res({ code: 'SUCCESS', re: 1 }), 'r0', hosts)).toBeUndefined();
    expect(originMismatch(res({ code: 'SUCCESS', re: 1 }), 'r1', hosts)).toBe(
      'the origin does not host the node',
    );
    const ev = { v: 1, t: 'EVENT', node: 'cam1', monitor: 'monitor[cam1]@r2', content: 1 };
    expect(originMismatch(ev as CtpMessage, 'r1', hosts)).toBeDefined();
  });
  it('a bare NODE_UNFOUND from any router (a relay that cannot route answers it)', () => {
    expect(originMismatch(res({ code: 'NODE_UNFOUND', re: 1 }), 'r1', hosts)).toBeUndefined();
    expect(
      originMismatch(res({ code: 'NODE_UNFOUND', re: 1, content: 'x' }), 'r1', hosts),
    ).toBeDefined();
  });
  it('a release notice only from the host it names', () => {
    const notice = (host: string) =>
      res({ code: 'NOT_ASSIGNED', reason: 'released', content: { host } });
    expect(originMismatch(notice('r0'), 'r0', hosts)).toBeUndefined();
    expect(originMismatch(notice('r0'), 'r1', hosts)).toBe('the release notice names another host');
    expect(originMismatch(notice('r1'), 'r1', hosts)).toBeUndefined(); // r1's own: the registrant ignores a notice of another host
  });
  it("a request only from its registrant's router", () => {
    const reg = { v: 1, t: 'REGISTER', id: 1, node: 'cam1', monitor: 'monitor[cam1]@r2' };
    expect(originMismatch(reg as CtpMessage, 'r2', hosts)).toBeUndefined();
    expect(originMismatch(reg as CtpMessage, 'r1', hosts)).toBeDefined();
    expect(originMismatch({ ...reg, monitor: 'junk' } as CtpMessage, 'r2', hosts)).toBeDefined();
  });
});
