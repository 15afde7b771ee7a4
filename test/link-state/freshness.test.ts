/**
 * Fresh adverts (issue 25): a signed advert carries a signed `time`; a signing
 * router refuses (`stale`) one signed more than `staleAdvertMs` ago and deletes
 * a stored one once its signed time is that old, so a router that stops
 * refreshing its advert disappears everywhere within `staleAdvertMs`, even
 * while an insider (a relay holding a genuine certificate of the network's CA)
 * replays the dead router's genuine advert and claims a link to it. Live
 * routers re-sign their advert every `staleAdvertMs / 4` and never expire.
 * Real routers on synchronous in-memory links; the insider is hand-driven; the
 * default options; virtual time (CtpTestClock).
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpRouter, DEFAULTS, canonicalAdvert, type CtpAdvert } from '../../src/index.js';
import { CtpTestClock } from '../../src/testing/index.js';

const dir = new URL('../fixtures/tls/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const CA = pem('ca.crt');
const STALE = DEFAULTS.staleAdvertMs;

interface Peer {
  at: string;
  remote: string;
}
interface Drop {
  reason: string;
  origin?: string;
  message?: string;
}

const clock = new CtpTestClock();
const routers: CtpRouter<Peer>[] = [];
const queue: [string, Peer, string][] = [];
const byId = new Map<string, CtpRouter<Peer>>();
/** Adverts each router sent, by origin: what an insider next to it could record. */
const heard: CtpAdvert[] = [];

afterEach(async () => {
  for (const r of routers.splice(0)) await r.close();
  byId.clear();
  queue.length = 0;
  heard.length = 0;
});

function add(id: string, nodes: string[] = []): { r: CtpRouter<Peer>; drops: Drop[] } {
  const links: Peer[] = [];
  const r = new CtpRouter<Peer>(
    () => undefined,
    (peer, frame) => {
      const msg = JSON.parse(frame) as { adverts?: CtpAdvert[] };
      heard.push(...(msg.adverts ?? []));
      for (const p of peer === null ? links : [peer])
        queue.push([p.remote, { at: p.remote, remote: id }, frame]);
    },
    () => undefined,
    {
      id,
      nodes,
      clock,
      identity: { key: pem(`${id}.key`), cert: pem(`${id}.crt`), ca: CA },
    },
  );
  const drops: Drop[] = [];
  r.on('dropped', (e) => drops.push({ reason: e.reason, origin: e.origin, message: e.message }));
  (r as unknown as { links: Peer[] }).links = links;
  routers.push(r);
  byId.set(id, r);
  return { r, drops };
}

function link(a: string, b: string): void {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const r = byId.get(x);
    if (r === undefined) continue;
    (r as unknown as { links: Peer[] }).links.push({ at: x, remote: y });
    r.peerUp({ at: x, remote: y });
  }
  pump();
}

function pump(): void {
  for (let n = 0; ; n++) {
    if (n > 100_000) throw new Error('never quiet');
    if (queue.length === 0) {
      const at = clock.nextPacing();
      if (at === undefined) return;
      clock.step(at);
      continue;
    }
    const [to, peer, frame] = queue.shift() as [string, Peer, string];
    byId.get(to)?.receive(peer, frame);
  }
}

/** Advance the virtual clock in steps, delivering what the routers send on the way. */
function advance(ms: number, stepMs = 5_000): void {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    pump();
  }
}

/** The insider's own advert, genuinely signed with its certificate. */
function insiderAdvert(seq: number, neighbors: string[]): CtpAdvert {
  const a: CtpAdvert = {
    origin: 'relay',
    seq,
    nodes: [],
    neighbors,
    time: Math.floor(clock.now()),
  };
  return {
    ...a,
    sig: sign(
      'sha256',
      Buffer.from(canonicalAdvert(a)),
      createPrivateKey(pem('relay.key')),
    ).toString('base64'),
    cert: new X509Certificate(pem('relay.crt')).raw.toString('base64'),
  };
}

function inject(to: string, adverts: CtpAdvert[]): void {
  byId
    .get(to)
    ?.receive(
      { at: to, remote: 'relay' },
      JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'relay', adverts }),
    );
  pump();
}

/** station (cam1) next to the insider: returns the station's genuine advert listing the insider. */
function stationBesideInsider(): CtpAdvert {
  const { r: station } = add('station', ['cam1']);
  station.peerUp({ at: 'station', remote: 'relay' });
  station.receive(
    { at: 'station', remote: 'relay' },
    JSON.stringify({
      v: 1,
      t: 'REPORTNODE',
      from: 'relay',
      adverts: [insiderAdvert(1, ['station'])],
    }),
  );
  pump();
  const own = heard.filter((a) => a.origin === 'station' && a.neighbors.includes('relay')).at(-1);
  expect(own?.time).toBeTypeOf('number');
  expect(own?.sig).toBeTypeOf('string');
  return own as CtpAdvert;
}

describe('fresh adverts (issue 25)', () => {
  it("a killed station's genuine advert, replayed by an insider after staleAdvertMs, is refused; before, it was not", async () => {
    const captured = stationBesideInsider();
    await byId.get('station')?.close();
    // Within staleAdvertMs the replay still works (the window the option sets)...
    advance(8_000);
    const early = add('viewer');
    early.r.peerUp({ at: 'viewer', remote: 'relay' });
    inject('viewer', [insiderAdvert(2, ['station', 'viewer']), captured]);
    expect(early.r.nodes()).toContain('cam1');
    expect(early.drops).toEqual([]);
    // ...past it, a router reached only through the insider refuses it: no cam1.
    advance(STALE);
    const late = add('console');
    late.r.peerUp({ at: 'console', remote: 'relay' });
    inject('console', [insiderAdvert(3, ['station', 'console']), captured]);
    expect(late.r.nodes()).not.toContain('cam1');
    expect(late.drops).toEqual([expect.objectContaining({ reason: 'stale', origin: 'station' })]);
    expect(late.drops[0]?.message).toMatch(/more than staleAdvertMs \(600000\)/);
    // The earlier viewer dropped its stored copy too, although the insider keeps claiming the link.
    expect(early.r.nodes()).not.toContain('cam1');
  });

  it('a stored advert goes once signed staleAdvertMs ago, while the insider keeps the link alive and replays it', async () => {
    const captured = stationBesideInsider();
    await byId.get('station')?.close();
    const { r: viewer, drops } = add('viewer');
    viewer.peerUp({ at: 'viewer', remote: 'relay' });
    let seq = 2;
    inject('viewer', [insiderAdvert(seq++, ['station', 'viewer']), captured]);
    expect(viewer.nodes()).toContain('cam1');
    const signedAt = captured.time as number;
    // The insider refreshes its own advert and replays the station's every minute.
    while (clock.now() < signedAt + STALE - 60_000) {
      advance(60_000);
      inject('viewer', [insiderAdvert(seq++, ['station', 'viewer']), captured]);
    }
    expect(viewer.nodes()).toContain('cam1');
    advance(signedAt + STALE + 1_000 - clock.now());
    expect(viewer.nodes()).not.toContain('cam1');
    expect(Object.keys(viewer.snapshot().routers)).not.toContain('station');
    inject('viewer', [insiderAdvert(seq++, ['station', 'viewer']), captured]);
    expect(viewer.nodes()).not.toContain('cam1');
    expect(drops.map((d) => `${d.reason} ${d.origin}`)).toEqual(['stale station']);
  });

  it('live routers re-sign their advert every staleAdvertMs / 4 and never expire', () => {
    add('station', ['cam1']);
    const { r: viewer, drops } = add('viewer');
    link('station', 'viewer');
    expect(viewer.nodes()).toContain('cam1');
    const before = heard.length;
    advance(3 * STALE, 10_000);
    expect(viewer.nodes()).toContain('cam1');
    expect(drops).toEqual([]);
    const seqs = new Set<number>();
    const refreshes = heard
      .slice(before)
      .filter((a) => a.origin === 'station' && !seqs.has(a.seq) && seqs.add(a.seq));
    // One a quarter (150 s at the default): 12 in 30 minutes, each with a newer seq and time.
    expect(refreshes.length).toBeGreaterThanOrEqual(11);
    expect(refreshes.length).toBeLessThanOrEqual(13);
    for (let i = 1; i < refreshes.length; i++) {
      const [a, b] = [refreshes[i - 1] as CtpAdvert, refreshes[i] as CtpAdvert];
      expect(b.seq).toBeGreaterThan(a.seq);
      expect((b.time as number) - (a.time as number)).toBeLessThanOrEqual(STALE / 4 + 10_000);
    }
  });

  it('refuses an advert without a signed time, or signed further ahead than the skew tolerance', () => {
    const { r: viewer, drops } = add('viewer');
    viewer.peerUp({ at: 'viewer', remote: 'relay' });
    const untimed = insiderAdvert(1, ['viewer']);
    delete untimed.time;
    const ahead: CtpAdvert = { origin: 'relay', seq: 2, nodes: [], neighbors: ['viewer'] };
    ahead.time = Math.floor(clock.now()) + STALE / 4 + 60_000;
    ahead.sig = sign(
      'sha256',
      Buffer.from(canonicalAdvert(ahead)),
      createPrivateKey(pem('relay.key')),
    ).toString('base64');
    ahead.cert = untimed.cert as string;
    inject('viewer', [untimed]);
    inject('viewer', [ahead]);
    expect(drops.map((d) => [d.reason, d.message])).toEqual([
      ['stale', 'the advert has no signed time'],
      ['stale', expect.stringMatching(/ahead of this router's clock/)],
    ]);
    expect(Object.keys(viewer.snapshot().routers)).not.toContain('relay');
    // A time inside the tolerance is fine.
    inject('viewer', [insiderAdvert(3, ['viewer'])]);
    expect(drops).toHaveLength(2);
  });
});
