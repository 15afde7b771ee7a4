/**
 * Registrations at the speed of a round trip with the defaults on (advert
 * pacing included): a REGISTER carries its router's claim, which the host
 * takes in place of the paced advert (PROTOCOL.md section 5, "Confirming a
 * registrant"), and the table confirms or refutes it later.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CtpIdentity } from '../../src/index.js';
import { record, topology, type TestNet } from '../helpers.js';

const realSetImmediate = globalThis.setImmediate;
const dir = new URL('../fixtures/tls/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const ident = (name: string): CtpIdentity => ({
  key: pem(`${name}.key`),
  cert: pem(`${name}.crt`),
  ca: pem('ca.crt'),
});
const cams = (n: number): string[] => Array.from({ length: n }, (_, i) => `cam${i}`);

let net: TestNet | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await net?.close();
  net = undefined;
});

/** Resolve `p` with time stopped: only frames move (real event-loop turns), no timer fires. */
async function withTimeStopped<T>(p: Promise<T>): Promise<T | undefined> {
  let out: T | undefined;
  void p.then((v) => (out = v));
  for (let i = 0; i < 200 && out === undefined; i++)
    await new Promise<void>((r) => realSetImmediate(r));
  return out;
}

/** A REGISTER frame as a router would send it. */
function registerFrame(
  id: number,
  node: string,
  registrant: string,
  claim: number | undefined,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    v: 1,
    t: 'REGISTER',
    id,
    to: 'h',
    node,
    controller: registrant,
    ...(claim === undefined ? {} : { claim }),
    ...extra,
  });
}

describe('registration claims (defaults on)', () => {
  it('ten registrations in a row, controller and monitor, each answered before its virtual node is advertised to the host', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: cams(10) } : {}));
    const h = net.router('h');
    const c = net.router('c');
    vi.useFakeTimers();
    let beforeAdvert = 0;
    for (const type of ['controller', 'monitor'] as const)
      for (const node of cams(10)) {
        expect(await withTimeStopped(c.register(node, type))).toEqual({ code: 'SUCCESS' });
        if (!h.nodes().includes(`${type}[${node}]@c`)) beforeAdvert++;
        expect(
          h.snapshot().nodes[node]?.[type === 'controller' ? 'controller' : 'monitors'],
        ).toEqual(type === 'controller' ? `controller[${node}]@c` : [`monitor[${node}]@c`]);
        expect(await withTimeStopped(c.unregister(node, type))).toEqual({ code: 'SUCCESS' });
      }
    // The pacing held the own adverts back: most answers came before the advert (the old rule waited for it).
    expect(beforeAdvert).toBeGreaterThanOrEqual(15);
  });

  it('a burst of 1,000 registrations is answered with a handful of adverts', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: cams(1000) } : {},
    );
    const c = net.router('c');
    let adverts = 0;
    net.onFrame = (f) => void (f.from === 'c' && f.frame.includes('"t":"REPORTNODE"') && adverts++);
    const results = await Promise.all(cams(1000).map((n) => c.register(n, 'controller')));
    expect(results.every((r) => r.code === 'SUCCESS')).toBe(true);
    await net.settle();
    expect(
      net
        .router('h')
        .nodes()
        .filter((n) => n.startsWith('controller[')),
    ).toHaveLength(1000);
    expect(adverts).toBeGreaterThanOrEqual(1);
    expect(adverts).toBeLessThanOrEqual(4);
  });

  it('a claim refuted by the next advert of its router: the registration is released after the lease grace', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const c = net.router('c');
    const released = record(h, 'released');
    // A REGISTER c never made (c holds no such virtual node), claiming c's next seq.
    net.inject('c', 'h', registerFrame(77, 'cam1', 'controller[cam1]@c', c.snapshot().seq + 1));
    await net.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBe('controller[cam1]@c');
    c.appendNodes('other'); // c's next advert, at the claimed seq, without the virtual node
    await net.settle();
    expect(released).toEqual([]);
    await net.advance(5_000); // leaseGraceMs
    expect(released).toEqual([
      { node: 'cam1', type: 'controller', registrant: 'controller[cam1]@c' },
    ]);
    expect(h.snapshot().nodes.cam1?.controller).toBeUndefined();
  });

  it('a claim that no advert confirms runs out after registrationWaitMs, then the lease', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const c = net.router('c');
    const released = record(h, 'released');
    net.inject('c', 'h', registerFrame(78, 'cam1', 'controller[cam1]@c', c.snapshot().seq + 1000));
    await net.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBe('controller[cam1]@c');
    await net.advance(9_999);
    expect(released).toEqual([]);
    // The clock also runs in real time: a few ms of margin past registrationWaitMs + leaseGraceMs.
    await net.advance(1 + 5_000 + 50);
    expect(released).toHaveLength(1);
  });

  it('a replayed claim (at or below the stored seq) is not taken: the REGISTER waits and is dropped', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const c = net.router('c');
    const dropped = record<{ reason: string }>(h, 'dropped');
    net.inject('c', 'h', registerFrame(79, 'cam1', 'controller[cam1]@c', c.snapshot().seq));
    await net.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBeUndefined();
    await net.advance(10_000); // registrationWaitMs
    expect(dropped.map((d) => d.reason)).toContain('registrant-unknown');
  });

  it('without a claim (a simple peer) the REGISTER waits for the advert, as before', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    net.inject('c', 'h', registerFrame(80, 'cam1', 'controller[cam1]@c', undefined));
    await net.settle();
    expect(h.snapshot().nodes.cam1?.controller).toBeUndefined();
  });

  it('malformed claims are dropped as malformed', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const dropped = record<{ reason: string }>(h, 'dropped');
    net.inject('c', 'h', registerFrame(81, 'cam1', 'controller[cam1]@c', -1));
    net.inject(
      'c',
      'h',
      registerFrame(82, 'cam1', 'controller[cam1]@c', 5, { claimSig: 'not base64!' }),
    );
    net.inject('c', 'h', registerFrame(83, 'cam1', 'controller[cam1]@c', 5, { claimSig: 12 }));
    await net.settle();
    expect(dropped.map((d) => d.reason)).toEqual(['malformed', 'malformed', 'malformed']);
  });

  describe('with identities', () => {
    const opts = (id: string): { identity: CtpIdentity; nodes?: string[] } =>
      id === 'station' ? { identity: ident('station'), nodes: cams(3) } : { identity: ident(id) };

    it('a signed claim answers within a round trip', async () => {
      net = await topology(['station', 'console'], [['station', 'console']], opts);
      const c = net.router('console');
      vi.useFakeTimers();
      for (const node of cams(3))
        expect(await withTimeStopped(c.register(node, 'controller'))).toEqual({ code: 'SUCCESS' });
    });

    it('an unsigned or forged claim is not taken: the REGISTER waits for the advert that never lists it', async () => {
      net = await topology(['station', 'console'], [['station', 'console']], opts);
      const h = net.router('station');
      const seq = net.router('console').snapshot().seq + 1;
      const frame = (id: number, extra: Record<string, unknown>): string =>
        JSON.stringify({
          v: 1,
          t: 'REGISTER',
          id,
          to: 'station',
          node: 'cam0',
          controller: 'controller[cam0]@console',
          claim: seq,
          ...extra,
        });
      net.inject('console', 'station', frame(90, {}));
      net.inject(
        'console',
        'station',
        frame(91, { claimSig: Buffer.from('forged signature bytes').toString('base64') }),
      );
      await net.settle();
      expect(h.snapshot().nodes.cam0?.controller).toBeUndefined();
    });
  });
});
