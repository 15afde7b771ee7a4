/**
 * Issue 25, end-to-end authenticated control: an insider relay holding a
 * valid certificate of the network's CA (r1, between the station r0 and the
 * console r2) forges RESPONSEs, EVENTs and release notices, sends requests
 * under the console's controller name, replays and redirects frames. Every
 * one is dropped (`bad-origin`, `replayed`), and the console's requests are
 * answered by the genuine host. Real routers on the in-memory test network;
 * the insider's forgeries are injected on its links, some authenticated
 * with its own genuine key (origin-auth.ts used as the insider would).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpOriginAuth } from '../../src/auth/origin-auth.js';
import { resolveIdentity, type CtpIdentity } from '../../src/link-state/certificates.js';
import type { CtpMessage } from '../../src/base/messages.js';
import { CtpTestNetwork, type CtpTestFrame } from '../../src/testing/index.js';
import type { CtpDropped } from '../../src/events.js';

const dir = new URL('../fixtures/tls/sim/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const ident = (id: string): CtpIdentity => ({
  key: pem(`${id}.key`),
  cert: pem(`${id}.crt`),
  ca: pem('ca.crt'),
});
const CTL = 'controller[cam1]@r2';

let net: CtpTestNetwork | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/** station r0 (cam1) — insider r1 — console r2, every router with its identity. */
async function build(identities = true) {
  const n = (net = new CtpTestNetwork());
  const handled: { t: string; controller: string; content: unknown }[] = [];
  const o = (id: string) => (identities ? { identity: ident(id) } : {});
  const station = n.addRouter('r0', { nodes: ['cam1'], ...o('r0') });
  station.handle('cam1', (msg) => {
    handled.push({
      t: msg.type,
      controller: msg.controller,
      content: 'content' in msg ? msg.content : undefined,
    });
    return { genuine: true };
  });
  n.addRouter('r1', o('r1'));
  const events: unknown[] = [];
  const consoleR = n.addRouter('r2', {
    ...o('r2'),
    onReceived: (name, msg) => void (name === 'EVENT' && events.push(msg.content)),
  });
  n.link('r0', 'r1');
  n.link('r1', 'r2');
  await n.settle();
  const drops: Record<string, CtpDropped[]> = { r0: [], r1: [], r2: [] };
  for (const id of ['r0', 'r1', 'r2'])
    n.router(id).on('dropped', (d) => drops[id]!.push(d as CtpDropped));
  const frames: CtpTestFrame[] = [];
  n.onFrame = (f) => frames.push(f);
  return { n, station, consoleR, handled, drops, frames, events };
}

/** The insider's own origin authentication: genuine key r1, and r0's and r2's certificates as their adverts carry them. */
function insiderAuth(clock: { now(): number }): CtpOriginAuth {
  const now = clock.now();
  const id = resolveIdentity(ident('r1'), now);
  const certs: Record<string, X509Certificate> = {
    r0: new X509Certificate(pem('r0.crt')),
    r2: new X509Certificate(pem('r2.crt')),
  };
  return new CtpOriginAuth(
    'r1',
    id,
    {
      peerCert: (origin) => {
        const c = certs[origin];
        return c === undefined ? 'unknown' : { key: c.publicKey, digest: 'sha256' };
      },
    },
    () => clock.now(),
  );
}

const frameOf = (m: object): string => JSON.stringify(m);

describe('an insider relay with a valid certificate', () => {
  it('cannot answer a command with a forged RESPONSE: the genuine host answers', async () => {
    const { n, consoleR, handled, drops } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    const auth = insiderAuth(n.clock);
    const pending = consoleR.command('cam1', 'pan', { deg: 1 });
    // Forgeries for every request id the console could be waiting on, sent before the host answers.
    for (let re = 1; re <= 5; re++) {
      const forged = {
        v: 1,
        t: 'RESPONSE',
        node: 'cam1',
        controller: CTL,
        code: 'SUCCESS',
        re,
        content: 'forged',
      } as const;
      n.inject('r1', 'r2', frameOf(forged)); // no origin at all
      n.inject(
        'r1',
        'r2',
        frameOf({ ...forged, origin: 'r0', ctr: Date.now() * 1000, auth: 'AAAA' }),
      ); // claims r0, bad MAC
      n.inject('r1', 'r2', frameOf(auth.seal(forged as CtpMessage, 'r2'))); // its own genuine MAC: r1 hosts no cam1
    }
    const r = await pending;
    expect(r).toEqual({ code: 'SUCCESS', content: { genuine: true } });
    expect(handled).toHaveLength(1);
    const reasons = drops.r2!.filter((d) => d.t === 'RESPONSE').map((d) => d.message);
    expect(reasons).toContain('the frame names no origin');
    expect(reasons).toContain('the frame was not authenticated by its origin');
    expect(reasons).toContain('the origin does not host the node');
    expect(drops.r2!.filter((d) => d.reason !== 'bad-origin')).toEqual([]);
  });

  it('cannot forge an EVENT of the node', async () => {
    const { n, consoleR, drops, events: got } = await build();
    expect((await consoleR.register('cam1', 'monitor')).code).toBe('SUCCESS');
    const ev = {
      v: 1,
      t: 'EVENT',
      node: 'cam1',
      monitor: 'monitor[cam1]@r2',
      content: 'forged',
    } as const;
    n.inject('r1', 'r2', frameOf(ev));
    n.inject('r1', 'r2', frameOf(insiderAuth(n.clock).seal(ev as CtpMessage, 'r2')));
    await n.settle();
    expect(got).toEqual([]);
    expect(drops.r2!.map((d) => [d.reason, d.t])).toEqual([
      ['bad-origin', 'EVENT'],
      ['bad-origin', 'EVENT'],
    ]);
    // The genuine host's event still arrives.
    expect(n.router('r0').publish('cam1', 'real').code).toBe('SUCCESS');
    await n.settle();
    expect(got).toEqual(['real']);
  });

  it('cannot steal control with a forged release notice', async () => {
    const { n, consoleR, drops } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    const lost: unknown[] = [];
    consoleR.on('lost', (e) => lost.push(e));
    const notice = {
      v: 1,
      t: 'RESPONSE',
      node: 'cam1',
      controller: CTL,
      code: 'NOT_ASSIGNED',
      reason: 'released',
      content: { host: 'r0' },
    } as const;
    n.inject('r1', 'r2', frameOf(notice));
    n.inject('r1', 'r2', frameOf(insiderAuth(n.clock).seal(notice as CtpMessage, 'r2'))); // names r0, origin r1
    await n.settle();
    expect(lost).toEqual([]);
    expect(drops.r2!.map((d) => d.message)).toEqual([
      'the frame names no origin',
      'the release notice names another host',
    ]);
    expect(consoleR.snapshot().registrations).toEqual(
      expect.arrayContaining([expect.objectContaining({ node: 'cam1', type: 'controller' })]),
    );
    expect((await consoleR.command('cam1', 'pan', 2)).code).toBe('SUCCESS');
    // The insider registering as controller itself is refused: the console holds it.
    expect((await n.router('r1').register('cam1', 'controller')).code).toBe('ALREADY_ASSIGNED');
  });

  it("cannot send requests under the console's controller name", async () => {
    const { n, consoleR, handled, drops } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    const cmd = {
      v: 1,
      t: 'COMMAND',
      id: 900,
      to: 'r0',
      node: 'cam1',
      controller: CTL,
      app: 'fire',
      content: 1,
    } as const;
    n.inject('r1', 'r0', frameOf(cmd));
    n.inject('r1', 'r0', frameOf(insiderAuth(n.clock).seal(cmd as CtpMessage, 'r0')));
    const unreg = {
      v: 1,
      t: 'UNREGISTER',
      id: 901,
      to: 'r0',
      node: 'cam1',
      controller: CTL,
    } as const;
    n.inject('r1', 'r0', frameOf(insiderAuth(n.clock).seal(unreg as CtpMessage, 'r0')));
    await n.settle();
    expect(handled).toEqual([]);
    expect(drops.r0!.map((d) => [d.reason, d.t, d.message])).toEqual([
      ['bad-origin', 'COMMAND', 'the frame names no origin'],
      ['bad-origin', 'COMMAND', "the origin is not the registrant's router"],
      ['bad-origin', 'UNREGISTER', "the origin is not the registrant's router"],
    ]);
    expect(n.router('r0').snapshot().nodes.cam1?.controller).toBe(CTL);
  });

  it('cannot replay a genuine COMMAND or RESPONSE', async () => {
    const { n, consoleR, handled, drops, frames } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    frames.length = 0;
    expect((await consoleR.command('cam1', 'pan', 3)).code).toBe('SUCCESS');
    const cmd = frames.find(
      (f) => f.from === 'r1' && f.to === 'r0' && f.frame.includes('"COMMAND"'),
    );
    const res = frames.find(
      (f) => f.from === 'r1' && f.to === 'r2' && f.frame.includes('"RESPONSE"'),
    );
    expect(cmd && res).toBeTruthy();
    n.inject('r1', 'r0', cmd!.frame);
    n.inject('r1', 'r2', res!.frame);
    await n.settle();
    expect(handled).toHaveLength(1);
    expect(drops.r0!.map((d) => [d.reason, d.t])).toEqual([['replayed', 'COMMAND']]);
    expect(drops.r2!.map((d) => [d.reason, d.t])).toEqual([['replayed', 'RESPONSE']]);
  });

  it('cannot change a genuine frame, nor make it new', async () => {
    const { n, consoleR, handled, drops, frames } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    frames.length = 0;
    expect((await consoleR.command('cam1', 'pan', 4)).code).toBe('SUCCESS');
    const cmd = frames.find(
      (f) => f.from === 'r1' && f.to === 'r0' && f.frame.includes('"COMMAND"'),
    );
    const m = JSON.parse(cmd!.frame) as Record<string, unknown>;
    const ctr = m.ctr as number;
    // Changed content, under the same counter or a new one: no MAC of r2's (the MAC is checked
    // before the counter, so even the same counter is a forgery, not a replay).
    n.inject('r1', 'r0', frameOf({ ...m, content: 'evil' }));
    n.inject('r1', 'r0', frameOf({ ...m, content: 'evil', ctr: ctr + 1 }));
    n.inject('r1', 'r0', frameOf({ ...m, app: 'fire', ctr: ctr + 2 }));
    n.inject('r1', 'r0', frameOf({ ...m, id: 77, ctr: ctr + 3 }));
    // Unchanged but for a new counter: the MAC covers it.
    n.inject('r1', 'r0', frameOf({ ...m, ctr: ctr + 4 }));
    await n.settle();
    expect(handled).toHaveLength(1);
    expect(drops.r0!.map((d) => d.reason)).toEqual([
      'bad-origin',
      'bad-origin',
      'bad-origin',
      'bad-origin',
      'bad-origin',
    ]);
  });

  it('relays forward authenticated frames unchanged but for hops', async () => {
    const { consoleR, frames } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    const a = frames.find((f) => f.from === 'r2' && f.frame.includes('"REGISTER"'));
    const b = frames.find((f) => f.from === 'r1' && f.frame.includes('"REGISTER"'));
    const [ma, mb] = [JSON.parse(a!.frame), JSON.parse(b!.frame)] as Record<string, unknown>[];
    expect(ma!.origin).toBe('r2');
    expect(typeof ma!.auth).toBe('string');
    expect({ ...mb, hops: undefined }).toEqual({ ...ma, hops: undefined });
  });

  it("advertising the station's node name makes it `conflict` for new registrations, but takes over nothing", async () => {
    const { n, consoleR, handled } = await build();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    const insider = n.router('r1');
    const stolen: unknown[] = [];
    insider.handle('cam1', (msg) => void stolen.push(msg));
    const conflicts: unknown[] = [];
    consoleR.on('conflict', (c) => conflicts.push(c));
    insider.appendNodes('cam1');
    await n.settle();
    expect(conflicts).toEqual([{ kind: 'node', node: 'cam1', hosts: ['r0', 'r1'] }]);
    // The registration made with the station keeps going to the station.
    expect(await consoleR.command('cam1', 'pan', 9)).toEqual({
      code: 'SUCCESS',
      content: { genuine: true },
    });
    expect(handled.at(-1)).toMatchObject({ t: 'COMMAND', content: 9 });
    // A new registration is refused, not made with the insider: the name is unusable, not hijacked.
    await consoleR.unregister('cam1', 'controller');
    expect(await consoleR.register('cam1', 'controller')).toMatchObject({
      code: 'ERROR',
      reason: 'conflict',
    });
    expect(stolen).toEqual([]);
  });

  it('without identities nothing changes on the wire', async () => {
    const { consoleR, frames } = await build(false);
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    expect((await consoleR.command('cam1', 'pan', 5)).code).toBe('SUCCESS');
    const control = frames.filter((f) => /"(REGISTER|COMMAND|RESPONSE)"/.test(f.frame));
    expect(control.length).toBeGreaterThan(3);
    for (const f of control) expect(f.frame).not.toMatch(/"(origin|ctr|auth)"/);
  });
});

// Keep the helper honest: a key parse error would make every test above pass for the wrong reason.
it('the fixtures are the keys the test means', () => {
  expect(createPrivateKey(pem('r1.key')).asymmetricKeyType).toBe('ec');
});
