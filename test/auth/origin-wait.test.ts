/**
 * Issue 25, an origin not known yet (PROTOCOL.md section 12): with
 * identities on, a request that reaches the host before the originating
 * router's signed advert waits for it (bounded), then is verified — it is
 * not dropped `bad-origin` while its caller times out. The in-memory
 * network holds the console's adverts on the relay's link to the station
 * to make the request overtake them; the unit part checks the bounds.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpTimers } from '../../src/base/clock.js';
import type { CtpMessage } from '../../src/base/messages.js';
import {
  CtpOriginWait,
  ORIGIN_WAIT_BYTES,
  ORIGIN_WAIT_PER_ORIGIN,
  ORIGIN_WAIT_TOTAL,
} from '../../src/auth/origin-wait.js';
import type { CtpDropped } from '../../src/events.js';
import { CtpTestClock, CtpTestNetwork } from '../../src/testing/index.js';
import type { CtpReport } from '../../src/wire/report.js';

const dir = new URL('../fixtures/tls/sim/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const ident = (id: string) => ({
  key: pem(`${id}.key`),
  cert: pem(`${id}.crt`),
  ca: pem('ca.crt'),
});

let net: CtpTestNetwork | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/**
 * station r0 (cam1) — relay r1 — console r2 (joins last), default options
 * but identities. Until `release()`, every REPORTNODE from r1 to r0 that
 * carries an advert of r2 is held back: the console's requests overtake it.
 */
async function build() {
  const n = (net = new CtpTestNetwork());
  const handled: unknown[] = [];
  const station = n.addRouter('r0', { nodes: ['cam1'], identity: ident('r0') });
  station.handle('cam1', (msg) => {
    handled.push('content' in msg ? msg.content : msg.type);
    return { genuine: true };
  });
  n.addRouter('r1', { identity: ident('r1') });
  n.link('r0', 'r1');
  await n.settle();
  const held: string[] = [];
  let holding = true;
  // The network's private delivery: a test-only tap that delays frames.
  const net0 = n as unknown as { enqueue(link: unknown, from: string, frame: string): void };
  const enqueue = net0.enqueue.bind(n);
  const links = new Map<string, unknown>();
  net0.enqueue = (link, from, frame) => {
    const l = link as { a: string; b: string };
    const to = l.a === from ? l.b : l.a;
    if (
      holding &&
      from === 'r1' &&
      to === 'r0' &&
      frame.includes('"origin":"r2"') &&
      frame.includes('REPORTNODE')
    ) {
      links.set('r1>r0', link);
      held.push(frame);
      return;
    }
    enqueue(link, from, frame);
  };
  const drops: CtpDropped[] = [];
  station.on('dropped', (d) => drops.push(d as CtpDropped));
  const consoleR = n.addRouter('r2', { identity: ident('r2') });
  n.link('r1', 'r2');
  await n.settle();
  const release = (): void => {
    holding = false;
    for (const f of held.splice(0)) enqueue(links.get('r1>r0'), 'r1', f);
  };
  return { n, station, consoleR, handled, drops, held, release };
}

describe('a request from an origin not known yet (identities on, default options)', () => {
  it('waits for the origin’s signed advert, then is verified and answered', async () => {
    const { n, consoleR, handled, drops, held, release } = await build();
    expect(held.length).toBeGreaterThan(0);
    expect(consoleR.nodes()).toContain('cam1');
    let answer: unknown;
    const p = consoleR.register('cam1', 'controller').then((r) => (answer = r));
    await n.settle();
    // The REGISTER reached the station, which holds no advert of r2: it waits, not dropped.
    expect(answer).toBeUndefined();
    expect(drops).toEqual([]);
    release();
    await n.settle();
    await p;
    expect(answer).toMatchObject({ code: 'SUCCESS' });
    expect(await consoleR.command('cam1', 'pan', 7)).toEqual({
      code: 'SUCCESS',
      content: { genuine: true },
    });
    expect(handled.at(-1)).toBe(7);
    expect(handled.filter((h) => h === 7)).toHaveLength(1);
    expect(drops).toEqual([]);
  });

  it('a forgery under the unknown origin waits too, and is dropped once the advert shows it false', async () => {
    const { n, station, handled, drops, release } = await build();
    const forged = {
      v: 1,
      t: 'REGISTER',
      id: 5,
      to: 'r0',
      node: 'cam1',
      controller: 'controller[cam1]@r2',
      origin: 'r2',
      ctr: n.clock.now() * 1000,
      auth: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    };
    n.inject('r1', 'r0', JSON.stringify(forged));
    await n.settle();
    expect(drops).toEqual([]);
    release();
    await n.settle();
    expect(drops.map((d) => [d.reason, d.t, d.origin, d.message])).toEqual([
      ['bad-origin', 'REGISTER', 'r2', 'the frame was not authenticated by its origin'],
    ]);
    expect(handled).toEqual([]);
    expect(station.snapshot().nodes.cam1?.controller).toBeUndefined();
  });

  it('gives up after registrationWaitMs when the advert never comes: dropped `bad-origin`, saying so', async () => {
    const { n, consoleR, drops } = await build();
    let answer: unknown;
    void consoleR.register('cam1', 'controller').then((r) => (answer = r));
    await n.advance(9_000);
    expect(drops).toEqual([]);
    await n.advance(1_500);
    expect(drops.map((d) => [d.reason, d.t, d.origin, d.message])).toEqual([
      ['bad-origin', 'REGISTER', 'r2', 'no signed advert of the origin arrived within 10000 ms'],
    ]);
    // Nothing answers it (the station has no route to r2 either): the caller's own timeout does.
    expect(answer === undefined || (answer as { code: string }).code !== 'SUCCESS').toBe(true);
  });
});

describe('the wait for unknown origins (CtpOriginWait)', () => {
  function setUp(known: Set<string>) {
    const clock = new CtpTestClock();
    const drops: [string, CtpDropped['message']][] = [];
    const report = {
      drop: (_p: unknown, reason: string, d?: { message?: string }) =>
        drops.push([reason, d?.message]),
      error: () => {},
    } as unknown as CtpReport<string>;
    const delivered: [CtpMessage, string][] = [];
    const w = new CtpOriginWait<string>(
      new CtpTimers(clock),
      10_000,
      report,
      (o) => known.has(o),
      (m, p) => delivered.push([m, p]),
    );
    return { clock, drops, delivered, w };
  }
  const cmd = (i: number, extra: object = {}): CtpMessage =>
    ({
      v: 1,
      t: 'COMMAND',
      id: i,
      node: 'cam1',
      controller: 'controller[cam1]@x',
      app: 'a',
      ...extra,
    }) as CtpMessage;

  it('caps frames per origin and in all; one origin cannot take the whole wait', () => {
    const { w } = setUp(new Set());
    for (let i = 0; i < ORIGIN_WAIT_PER_ORIGIN; i++)
      expect(w.hold('flood', cmd(i), 'p')).toBeUndefined();
    expect(w.hold('flood', cmd(99), 'p')).toMatch(/its frames waiting for one are at their cap/);
    expect(w.hold('other', cmd(1), 'p')).toBeUndefined();
    for (let o = 0; w.size < ORIGIN_WAIT_TOTAL; o++) w.hold(`o${o}`, cmd(o), 'p');
    expect(w.hold('late', cmd(1), 'p')).toMatch(/the frames waiting for adverts are at their cap/);
    w.close();
    expect(w.size).toBe(0);
  });

  it('caps bytes: a big frame does not wait', () => {
    const { w } = setUp(new Set());
    const big = cmd(1, { content: 'x'.repeat(ORIGIN_WAIT_BYTES) });
    expect(w.hold('o', big, 'p')).toMatch(/bytes waiting/);
    expect(w.size).toBe(0);
  });

  it('delivers in arrival order once the origin is known, charging the wait to ttl; others keep waiting', () => {
    const known = new Set<string>();
    const { clock, w, delivered, drops } = setUp(known);
    w.hold('a', cmd(1, { ttl: 5000 }), 'p1');
    w.hold('b', cmd(2), 'p2');
    w.hold('a', cmd(3), 'p1');
    clock.advance(1200);
    w.recheck();
    expect(delivered).toEqual([]);
    known.add('a');
    w.recheck();
    expect(delivered.map(([m, p]) => [(m as { id: number }).id, p])).toEqual([
      [1, 'p1'],
      [3, 'p1'],
    ]);
    // The clock runs on with real time too: at least the 1,200 ms advanced were charged.
    const ttl = (delivered[0]![0] as { ttl: number }).ttl;
    expect(ttl).toBeLessThanOrEqual(3800);
    expect(ttl).toBeGreaterThan(3000);
    expect((delivered[1]![0] as { ttl?: number }).ttl).toBeUndefined();
    expect(w.size).toBe(1);
    clock.advance(10_000);
    expect(drops).toEqual([
      ['bad-origin', 'no signed advert of the origin arrived within 10000 ms'],
    ]);
    expect(w.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a request whose ttl is shorter than the wait expires with it (`expired`)', () => {
    const { clock, w, drops, delivered } = setUp(new Set());
    w.hold('a', cmd(1, { ttl: 300 }), 'p');
    clock.advance(200);
    expect(drops).toEqual([]);
    clock.advance(200);
    expect(drops.map(([r]) => r)).toEqual(['expired']);
    expect(delivered).toEqual([]);
  });
});
