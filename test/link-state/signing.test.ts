/**
 * Signed adverts (issue 9): routers with `identity` sign their adverts and
 * drop (`bad-signature`) every advert whose signature, chain to the CA,
 * validity or CN = origin does not verify. Wire level: real routers joined by
 * a synchronous in-memory link, and an attacker that is a raw peer feeding
 * frames by hand.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fuzz } from '../sim/fuzz.js';
import {
  canonicalAdvert,
  CtpArgumentError,
  CtpRouter,
  type CtpAdvert,
  type CtpIdentity,
  type CtpRouterOptions,
} from '../../src/index.js';
import { CtpTestClock } from '../../src/testing/index.js';

const dir = new URL('../fixtures/tls/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const CA = pem('ca.crt');
const ident = (name: string, certName = name): CtpIdentity => ({
  key: pem(`${name}.key`),
  cert: pem(`${certName}.crt`),
  ca: CA,
});
const der = (name: string): string =>
  new X509Certificate(pem(`${name}.crt`)).raw.toString('base64');

/**
 * Sign `a` with fixture `keyName`'s key, attaching fixture `certName`'s certificate; its signed
 * `time` (issue 25) is the mesh clock's now unless `a` has one.
 */
function signed(a: CtpAdvert, keyName: string, certName = keyName): CtpAdvert {
  const t: CtpAdvert = { ...a, time: a.time ?? Math.floor(mesh?.clock.now() ?? Date.now()) };
  const sig = sign(
    'sha256',
    Buffer.from(canonicalAdvert(t)),
    createPrivateKey(pem(`${keyName}.key`)),
  ).toString('base64');
  return {
    origin: a.origin,
    seq: a.seq,
    nodes: a.nodes,
    neighbors: a.neighbors,
    time: t.time as number,
    sig,
    cert: der(certName),
  };
}

interface Peer {
  at: string;
  remote: string;
}
interface Frame {
  from: string;
  to: string;
  msg: { t: string; from?: string; adverts?: CtpAdvert[] };
}

/** Routers on synchronous in-memory links; ids without a router are hand-driven (the attacker). */
class Mesh {
  readonly routers = new Map<string, CtpRouter<Peer>>();
  readonly log: Frame[] = [];
  readonly drops = new Map<string, { reason: string; origin?: string; message?: string }[]>();
  private readonly links = new Map<string, Peer[]>();
  private readonly queue: [string, Peer, string][] = [];
  /** The routers' clock, as the test network's: `pump()` moves it past paced adverts. */
  readonly clock = new CtpTestClock();

  add(id: string, opts: CtpRouterOptions<Peer> = {}): CtpRouter<Peer> {
    const r = new CtpRouter<Peer>(
      () => undefined,
      (peer, frame) => {
        const targets = peer === null ? (this.links.get(id) ?? []) : [peer];
        for (const p of targets) {
          this.log.push({ from: id, to: p.remote, msg: JSON.parse(frame) as Frame['msg'] });
          this.queue.push([p.remote, { at: p.remote, remote: id }, frame]);
        }
      },
      () => undefined,
      { id, clock: this.clock, ...opts },
    );
    const drops: { reason: string; origin?: string; message?: string }[] = [];
    r.on('dropped', (e) => drops.push({ reason: e.reason, origin: e.origin, message: e.message }));
    r.on('error', (err) => {
      throw err;
    });
    this.drops.set(id, drops);
    this.routers.set(id, r);
    return r;
  }

  link(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = this.links.get(x) ?? [];
      list.push({ at: x, remote: y });
      this.links.set(x, list);
    }
    this.routers.get(a)?.peerUp({ at: a, remote: b });
    this.routers.get(b)?.peerUp({ at: b, remote: a });
    this.pump();
  }

  /** The attacker `from` sends `adverts` to router `to`. */
  inject(from: string, to: string, adverts: CtpAdvert[]): void {
    this.routers
      .get(to)
      ?.receive({ at: to, remote: from }, JSON.stringify({ v: 1, t: 'REPORTNODE', from, adverts }));
    this.pump();
  }

  pump(): void {
    for (let n = 0; ; n++) {
      if (n > 100_000) throw new Error('the mesh never went quiet');
      if (this.queue.length === 0) {
        // Nothing in flight: move the clock to a paced advert, if one waits.
        const at = this.clock.nextPacing();
        if (at === undefined) return;
        this.clock.step(at);
        continue;
      }
      const [to, peer, frame] = this.queue.shift() as [string, Peer, string];
      this.routers.get(to)?.receive(peer, frame);
    }
  }

  r(id: string): CtpRouter<Peer> {
    return this.routers.get(id) as CtpRouter<Peer>;
  }

  /** Every advert of `origin` that went over any link. */
  advertsOf(origin: string): (CtpAdvert & { to: string; from: string })[] {
    return this.log.flatMap((f) =>
      (f.msg.adverts ?? [])
        .filter((a) => a.origin === origin)
        .map((a) => ({ ...a, from: f.from, to: f.to })),
    );
  }

  async close(): Promise<void> {
    for (const r of this.routers.values()) await r.close();
  }
}

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
  vi.restoreAllMocks();
});

/** station (cam1) — console — viewer, all signing; the attacker `relay` is linked to console and viewer. */
function line(): Mesh {
  const m = (mesh = new Mesh());
  m.add('station', { identity: ident('station'), nodes: ['cam1'] });
  m.add('console', { identity: ident('console') });
  m.add('viewer', { identity: ident('viewer') });
  m.link('station', 'console');
  m.link('console', 'viewer');
  // The attacker holds a genuine certificate of its own (an authenticated relay).
  for (const to of ['console', 'viewer']) {
    m.r(to).peerUp({ at: to, remote: 'relay' });
    m.inject('relay', to, [
      signed({ origin: 'relay', seq: 1, nodes: [], neighbors: ['console', 'viewer'] }, 'relay'),
    ]);
  }
  return m;
}

describe('signed adverts on the wire', () => {
  it('a signed advert is accepted and flooded with its signature intact', () => {
    const m = line();
    expect(m.r('viewer').nodes()).toContain('cam1');
    const fromStation = m.advertsOf('station').filter((a) => a.from === 'station');
    expect(fromStation.length).toBeGreaterThan(0);
    for (const a of fromStation) expect(a.sig).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const last = fromStation.at(-1) as CtpAdvert;
    const relayed = m
      .advertsOf('station')
      .filter((a) => a.from === 'console' && a.to === 'viewer' && a.seq === last.seq);
    expect(relayed.length).toBeGreaterThan(0);
    for (const a of relayed) expect([a.sig, a.cert]).toEqual([last.sig, last.cert]);
    expect(last.cert).toBe(der('station'));
    // Table exchange later sends the stored copy with its signature.
    m.add('mallory', { identity: ident('mallory') });
    m.link('console', 'mallory');
    const sentTable = m
      .advertsOf('station')
      .filter((a) => a.from === 'console' && a.to === 'mallory');
    expect(sentTable.length).toBeGreaterThan(0);
    for (const a of sentTable)
      expect([a.seq, a.sig, a.cert]).toEqual([last.seq, last.sig, last.cert]);
    expect(m.r('mallory').nodes()).toContain('cam1');
    for (const id of ['station', 'console', 'viewer', 'mallory'])
      expect(m.drops.get(id)).toEqual([]);
    // An older copy is answered with the stored newer one, signature and all.
    m.inject('relay', 'console', [
      signed({ origin: 'station', seq: 1, nodes: [], neighbors: [] }, 'station'),
    ]);
    const back = m
      .advertsOf('station')
      .filter((a) => a.from === 'console' && a.to === 'relay')
      .at(-1);
    expect([back?.seq, back?.sig, back?.cert]).toEqual([last.seq, last.sig, last.cert]);
  });

  it('a router without identity accepts signed adverts and relays them unchanged; a signing router drops its unsigned one', () => {
    const m = (mesh = new Mesh());
    m.add('station', { identity: ident('station'), nodes: ['cam1'] });
    m.add('plain');
    m.add('plain2');
    m.add('viewer', { identity: ident('viewer') });
    m.link('station', 'plain');
    m.link('plain', 'plain2');
    m.link('plain', 'viewer');
    expect(m.r('plain2').nodes()).toContain('cam1');
    const original = m
      .advertsOf('station')
      .filter((a) => a.from === 'station')
      .at(-1) as CtpAdvert;
    const relayed = m
      .advertsOf('station')
      .filter((a) => a.from === 'plain' && a.seq === original.seq);
    expect(relayed.length).toBeGreaterThan(0);
    for (const a of relayed) expect([a.sig, a.cert]).toEqual([original.sig, original.cert]);
    // The signing viewer drops plain's unsigned advert: no two-way route through plain.
    expect(
      m.drops
        .get('viewer')
        ?.some(
          (d) =>
            d.reason === 'bad-signature' &&
            d.origin === 'plain' &&
            d.message === 'the advert is not signed',
        ),
    ).toBe(true);
    expect(m.r('viewer').nodes()).not.toContain('cam1');
    expect(m.r('viewer').stats().dropped['bad-signature']).toBeGreaterThan(0);
  });
});

describe('forged adverts are dropped as bad-signature everywhere', () => {
  /** A forged advert of `origin` above its stored seq, wiping its nodes. */
  function forge(m: Mesh, origin: string): CtpAdvert {
    const seq = (m.r('viewer').snapshot().routers[origin]?.seq ?? 0) + 1;
    return { origin, seq, nodes: ['evil'], neighbors: ['console', 'viewer'] };
  }
  const cases: [string, (m: Mesh) => CtpAdvert, string][] = [
    ['unsigned', (m) => forge(m, 'station'), 'the advert is not signed'],
    [
      're-signed by the relay with its own certificate (CN mismatch)',
      (m) => signed(forge(m, 'station'), 'relay'),
      'the certificate is for "relay", not the origin',
    ],
    [
      "signed by the relay's key under station's certificate",
      (m) => signed(forge(m, 'station'), 'relay', 'station'),
      'the signature does not verify',
    ],
    [
      'a certificate of another CA with CN = origin',
      (m) => signed(forge(m, 'console'), 'intruder'),
      'the certificate is not issued by the CA',
    ],
    [
      'an expired certificate with CN = origin',
      (m) => signed(forge(m, 'console'), 'expired'),
      'the certificate is not valid now',
    ],
    [
      'a CA certificate',
      (m) => signed(forge(m, 'station'), 'ca'),
      'the certificate is a CA certificate',
    ],
    [
      'a tampered nodes list under the genuine signature',
      (m) => {
        const genuine = m
          .advertsOf('station')
          .filter((a) => a.from === 'station')
          .at(-1) as CtpAdvert;
        return { ...genuine, seq: genuine.seq + 1, nodes: [] };
      },
      'the signature does not verify',
    ],
    [
      'a certificate that does not parse',
      (m) => ({ ...signed(forge(m, 'station'), 'station'), cert: 'AAAA' }),
      'the certificate does not parse',
    ],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      const m = line();
      const before = {
        console: m.r('console').snapshot().routers,
        viewer: m.r('viewer').snapshot().routers,
      };
      const forged = make(m);
      const sentBefore = m.log.length;
      m.inject('relay', 'console', [forged]);
      m.inject('relay', 'viewer', [forged]);
      for (const id of ['console', 'viewer']) {
        expect(m.drops.get(id)).toEqual([
          { reason: 'bad-signature', origin: forged.origin, message },
        ]);
        expect(m.r(id).nodes()).toContain('cam1');
        expect(m.r(id).nodes()).not.toContain('evil');
      }
      // Never stored, never flooded: no table changed, no frame left either router.
      expect(m.r('console').snapshot().routers).toEqual(before.console);
      expect(m.r('viewer').snapshot().routers).toEqual(before.viewer);
      expect(m.log.slice(sentBefore).filter((f) => f.to !== 'relay')).toEqual([]);
      expect(m.r('station').nodes()).toContain('cam1');
    });
  }

  it('malformed signature fields are refused by the codec', () => {
    const m = line();
    const a = signed(forge(m, 'station'), 'station');
    for (const bad of [
      { ...a, cert: undefined },
      { ...a, sig: 7 },
      { ...a, sig: 'x'.repeat(2000) },
      { ...a, cert: 'not base64!' },
    ]) {
      m.inject('relay', 'console', [bad as CtpAdvert]);
    }
    expect(m.drops.get('console')?.map((d) => d.reason)).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'malformed',
    ]);
  });

  it('a genuine newer advert of the same origin is still accepted after forgeries', () => {
    const m = line();
    m.inject('relay', 'console', [forge(m, 'station')]);
    m.r('station').appendNodes('cam2');
    m.pump();
    expect(m.r('viewer').nodes()).toEqual(expect.arrayContaining(['cam1', 'cam2']));
  });
});

describe('key types', () => {
  it('an Ed25519 router and an ECDSA router verify each other (certificates of test/fixtures/tls/sim)', () => {
    const sim = (name: string): string => readFileSync(new URL(`sim/${name}`, dir), 'utf8');
    const m = (mesh = new Mesh());
    m.add('r0', {
      identity: { key: sim('ed25519-r0.key'), cert: sim('ed25519-r0.crt'), ca: sim('ca.crt') },
      nodes: ['a'],
    });
    m.add('r1', {
      identity: { key: sim('r1.key'), cert: sim('r1.crt'), ca: sim('ca.crt') },
      nodes: ['b'],
    });
    m.link('r0', 'r1');
    expect(m.r('r0').nodes()).toEqual(['a', 'b']);
    expect(m.r('r1').nodes()).toEqual(['a', 'b']);
    expect([m.drops.get('r0'), m.drops.get('r1')]).toEqual([[], []]);
    expect(m.advertsOf('r0').every((a) => typeof a.sig === 'string')).toBe(true);
  });
});

describe('frame room', () => {
  it('the own advert keeps room for its signature under maxFrameBytes', () => {
    const m = (mesh = new Mesh());
    const station = m.add('station', { identity: ident('station'), maxFrameBytes: 1500 });
    m.add('console', { identity: ident('console'), maxFrameBytes: 1500 });
    m.link('station', 'console');
    let added = 0;
    for (let i = 0; i < 100; i++) {
      try {
        station.appendNodes(`node-${i}-${'x'.repeat(24)}`);
        added++;
      } catch (err) {
        expect(err).toBeInstanceOf(CtpArgumentError);
        break;
      }
      m.pump();
    }
    expect(added).toBeGreaterThan(3);
    expect(added).toBeLessThan(100);
    const sizes = m.log
      .filter((f) => f.from === 'station')
      .map((f) => Buffer.byteLength(JSON.stringify(f.msg)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1500);
    expect(m.drops.get('console')).toEqual([]);
    expect(m.r('console').nodes()).toHaveLength(added);
  });
});

describe('healing', () => {
  it('ignores own-origin adverts that do not verify, and heals above one that does', () => {
    const m = line();
    const station = m.r('station');
    m.r('station').peerUp({ at: 'station', remote: 'relay' });
    m.inject('relay', 'station', [
      signed(
        { origin: 'relay', seq: 2, nodes: [], neighbors: ['console', 'viewer', 'station'] },
        'relay',
      ),
    ]);
    const seq = station.snapshot().seq;
    const high = { origin: 'station', seq: seq + 1000, nodes: [], neighbors: [] };
    const sentBefore = m.log.length;
    m.inject('relay', 'station', [high, signed(high, 'relay'), signed(high, 'relay', 'station')]);
    expect(station.snapshot().seq).toBe(seq);
    expect(m.drops.get('station')?.map((d) => d.reason)).toEqual([
      'bad-signature',
      'bad-signature',
      'bad-signature',
    ]);
    expect(
      m
        .advertsOf('station')
        .slice(0)
        .filter((a) => a.from === 'station' && a.seq > seq),
    ).toEqual([]);
    expect(m.log.length).toBe(sentBefore);
    // The same advert signed with station's own key (its previous incarnation): heal above it.
    m.inject('relay', 'station', [signed(high, 'station')]);
    expect(station.snapshot().seq).toBe(seq + 1001);
    expect(m.r('viewer').nodes()).toContain('cam1');
  });
});

describe('the certificate cache', () => {
  it('verifies a certificate chain once, then only signatures', () => {
    const verify = vi.spyOn(X509Certificate.prototype, 'verify');
    const m = (mesh = new Mesh());
    m.add('station', { identity: ident('station'), nodes: ['cam1'] });
    m.add('console', { identity: ident('console') });
    verify.mockClear();
    m.link('station', 'console');
    // One chain check each way: console checks station's certificate, station console's.
    expect(verify).toHaveBeenCalledTimes(2);
    for (let i = 0; i < 5; i++) {
      m.r('station').appendNodes(`n${i}`);
      m.pump();
    }
    expect(m.r('console').nodes()).toContain('n4');
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('a repeated bad certificate is checked once too', () => {
    const m = line();
    const auth = (m.r('console') as unknown as { linkState: { auth: { chainChecks: number } } })
      .linkState.auth;
    const checks = auth.chainChecks;
    const seq = m.r('console').snapshot().routers.station?.seq ?? 0;
    for (let i = 1; i <= 5; i++)
      m.inject('relay', 'console', [
        signed({ origin: 'station', seq: seq + i, nodes: [], neighbors: [] }, 'intruder'),
      ]);
    expect(auth.chainChecks).toBe(checks + 1);
    expect(m.drops.get('console')).toHaveLength(5);
  });
});

describe('identity validation', () => {
  const make = (opts: CtpRouterOptions) =>
    new CtpRouter(
      () => undefined,
      () => undefined,
      () => undefined,
      opts,
    );
  it('the id defaults to the certificate CN, and a KeyObject key works', async () => {
    const r = make({
      identity: { ...ident('station'), key: createPrivateKey(pem('station.key')) },
    });
    expect(r.id).toBe('station');
    await r.close();
    const r2 = make({
      id: 'station',
      identity: { ...ident('station'), ca: [pem('other-ca.crt'), CA] },
    });
    expect(r2.id).toBe('station');
    await r2.close();
  });
  const bad: [string, CtpRouterOptions, RegExp][] = [
    ['not an object', { identity: 'x' as never }, /options\.identity`/],
    ['an unparsable key', { identity: { ...ident('station'), key: 'nope' } }, /identity\.key/],
    [
      'a public key',
      { identity: { ...ident('station'), key: new X509Certificate(pem('station.crt')).publicKey } },
      /a private key/,
    ],
    ["another router's key", { identity: ident('console', 'station') }, /identity\.key/],
    [
      'a certificate that is not PEM',
      { identity: { ...ident('station'), cert: 'nope' } },
      /identity\.cert/,
    ],
    ['a certificate of another CA', { identity: ident('intruder') }, /issued by one of/],
    ['an expired certificate', { identity: ident('expired') }, /valid now/],
    ['a CA that is not PEM', { identity: { ...ident('station'), ca: 'nope' } }, /identity\.ca/],
    ['no CA', { identity: { ...ident('station'), ca: [] } }, /identity\.ca/],
    ['an id other than the CN', { id: 'console', identity: ident('station') }, /subject CN/],
  ];
  for (const [name, opts, message] of bad) {
    it(`refuses ${name}`, () => {
      expect(() => make(opts)).toThrow(CtpArgumentError);
      expect(() => make(opts)).toThrow(message);
    });
  }
});

describe('frame fuzz (test/sim/fuzz.ts; 10^6 frames with `node .../fuzz.js`)', () => {
  it('routers with and without identity never throw nor emit error on mutated frames and signed adverts', () => {
    const r = fuzz(4000, 7);
    expect([r.throws, r.errors, r.unknownReasons]).toEqual([0, 0, 0]);
    expect(r.drops['bad-signature']).toBeGreaterThan(0);
    expect(r.drops.malformed).toBeGreaterThan(0);
  });
});
