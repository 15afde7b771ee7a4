/**
 * Issue 25, the operator's policy (option `policy`, src/auth/policy.ts):
 * the file format's checks, glob matching, first-match rules, the default
 * deny, and its enforcement at the host on the verified origin (a refused
 * request answers `REJECTED`, reason `policy`).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpResolvedPolicy } from '../../src/auth/policy.js';
import { CtpArgumentError, type CtpIdentity, type CtpPolicy } from '../../src/index.js';
import { CtpTestNetwork } from '../../src/testing/index.js';

const dir = new URL('../fixtures/tls/sim/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const ident = (id: string): CtpIdentity => ({
  key: pem(`${id}.key`),
  cert: pem(`${id}.crt`),
  ca: pem('ca.crt'),
});

describe('policy rules', () => {
  const p = CtpResolvedPolicy.from({
    rules: [
      { routers: ['ops-*'], nodes: ['cam?'], roles: ['controller', 'monitor'] },
      { effect: 'deny', routers: ['*'], nodes: ['secret.*'], roles: ['monitor'] },
      { routers: ['view*'], nodes: ['*'], roles: ['monitor'] },
    ],
  });
  it('grants what a rule matches, refuses the rest by default', () => {
    expect(p.allows('ops-1', 'cam1', 'controller')).toBe(true);
    expect(p.allows('ops-1', 'cam10', 'controller')).toBe(false); // `?` is one character
    expect(p.allows('ops', 'cam1', 'controller')).toBe(false);
    expect(p.allows('viewer', 'cam1', 'monitor')).toBe(true);
    expect(p.allows('viewer', 'cam1', 'controller')).toBe(false);
    expect(p.allows('viewer', 'secret.x', 'monitor')).toBe(false); // the deny rule comes first
    expect(p.allows('x', 'y', 'monitor')).toBe(false);
  });
  it('patterns are globs, not regular expressions', () => {
    const q = CtpResolvedPolicy.from({
      rules: [{ routers: ['a.b'], nodes: ['(x|y)'], roles: ['monitor'] }],
    });
    expect(q.allows('a.b', '(x|y)', 'monitor')).toBe(true);
    expect(q.allows('axb', '(x|y)', 'monitor')).toBe(false);
    expect(q.allows('a.b', 'x', 'monitor')).toBe(false);
  });
  it("`default: 'allow'` with deny rules", () => {
    const q = CtpResolvedPolicy.from({
      default: 'allow',
      rules: [{ effect: 'deny', routers: ['guest*'], nodes: ['*'], roles: ['controller'] }],
    });
    expect(q.allows('guest1', 'cam1', 'controller')).toBe(false);
    expect(q.allows('guest1', 'cam1', 'monitor')).toBe(true);
    expect(q.allows('ops', 'cam1', 'controller')).toBe(true);
  });
  it('the example of docs/hosting.md is a valid policy that means what the guide says', () => {
    const md = readFileSync(new URL('../../docs/hosting.md', import.meta.url), 'utf8');
    const example = /## Policy[\s\S]*?```jsonc\n([\s\S]*?)```/.exec(md)?.[1];
    const q = CtpResolvedPolicy.from(JSON.parse(example as string));
    expect(q.allows('ops-7', 'cam3', 'controller')).toBe(true);
    expect(q.allows('viewer-1', 'secret.a', 'monitor')).toBe(false);
    expect(q.allows('viewer-1', 'cam3', 'monitor')).toBe(true);
    expect(q.allows('viewer-12', 'cam3', 'monitor')).toBe(false);
    expect(q.allows('stranger', 'cam3', 'monitor')).toBe(false);
  });
  it('a bad policy throws CtpArgumentError naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /options\.policy/],
      [[], /options\.policy/],
      [{}, /options\.policy\.rules/],
      [{ rules: [], default: 'maybe' }, /options\.policy\.default/],
      [{ rules: [], extra: 1 }, /options\.policy\.extra/],
      [{ rules: [1] }, /rules\[0\]/],
      [{ rules: [{ routers: [], nodes: ['a'], roles: ['monitor'] }] }, /rules\[0\]\.routers/],
      [{ rules: [{ routers: ['a'], nodes: [''], roles: ['monitor'] }] }, /rules\[0\]\.nodes/],
      [{ rules: [{ routers: ['a'], nodes: ['a'], roles: ['admin'] }] }, /rules\[0\]\.roles/],
      [{ rules: [{ routers: ['a'], nodes: ['a'], roles: ['monitor'], effect: 'x' }] }, /effect/],
      [
        { rules: [{ routers: ['a'], nodes: ['a'], roles: ['monitor'], who: 1 }] },
        /rules\[0\]\.who/,
      ],
    ];
    for (const [v, re] of bad) {
      let err: unknown;
      try {
        CtpResolvedPolicy.from(v);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(v)).toBeInstanceOf(CtpArgumentError);
      expect((err as Error).message).toMatch(re);
    }
  });
});

let net: CtpTestNetwork | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/** station r0 (cam1, secret) with `policy`; r1 a relay; consoles r2, r3. */
async function build(policy: CtpPolicy, identities: boolean) {
  const n = (net = new CtpTestNetwork());
  const o = (id: string) => (identities ? { identity: ident(id) } : {});
  const ran: string[] = [];
  n.addRouter('r0', { nodes: ['cam1', 'secret'], policy, ...o('r0') }).handle('cam1', (m) => {
    ran.push(m.controller);
    return 'ok';
  });
  for (const id of ['r1', 'r2', 'r3']) n.addRouter(id, o(id));
  n.link('r0', 'r1');
  n.link('r1', 'r2');
  n.link('r1', 'r3');
  await n.settle();
  return { n, ran };
}

const POLICY: CtpPolicy = {
  rules: [
    { routers: ['r2'], nodes: ['cam*'], roles: ['controller'] },
    { routers: ['r3'], nodes: ['*'], roles: ['monitor'] },
  ],
};

for (const identities of [true, false])
  describe(`policy at the host (${identities ? 'verified origin' : 'the registrant name, no identities'})`, () => {
    it('refused requests answer REJECTED, reason policy; granted ones succeed', async () => {
      const { n, ran } = await build(POLICY, identities);
      const [r2, r3] = [n.router('r2'), n.router('r3')];
      expect(await r3.register('cam1', 'controller')).toEqual({
        code: 'REJECTED',
        reason: 'policy',
      });
      expect(await r2.register('secret', 'controller')).toEqual({
        code: 'REJECTED',
        reason: 'policy',
      });
      expect(await r2.register('cam1', 'monitor')).toEqual({ code: 'REJECTED', reason: 'policy' });
      expect((await r2.register('cam1', 'controller')).code).toBe('SUCCESS');
      expect((await r3.register('cam1', 'monitor')).code).toBe('SUCCESS');
      expect((await r3.register('secret', 'monitor')).code).toBe('SUCCESS');
      expect(await r2.command('cam1', 'pan', 1)).toEqual({ code: 'SUCCESS', content: 'ok' });
      expect(ran).toEqual(['controller[cam1]@r2']);
      expect(n.router('r0').snapshot().nodes.cam1?.monitors).toEqual(['monitor[cam1]@r3']);
    });
  });

it('with identities, a relay cannot pass the policy under an allowed router name', async () => {
  const { n, ran } = await build(POLICY, true);
  const drops: string[] = [];
  n.router('r0').on('dropped', (d) => drops.push(`${d.reason} ${d.t}`));
  // r1 (not in the policy) sends r2's REGISTER as it would be unauthenticated, then its own.
  const reg = {
    v: 1,
    t: 'REGISTER',
    id: 5,
    to: 'r0',
    node: 'cam1',
    controller: 'controller[cam1]@r2',
  };
  n.inject('r1', 'r0', JSON.stringify(reg));
  await n.settle();
  expect(drops).toEqual(['bad-origin REGISTER']);
  expect(await n.router('r1').register('cam1', 'controller')).toEqual({
    code: 'REJECTED',
    reason: 'policy',
  });
  expect(ran).toEqual([]);
  expect(n.router('r0').snapshot().nodes.cam1?.controller).toBeUndefined();
});

it('a router option: checked when the router is made', () => {
  const n = (net = new CtpTestNetwork());
  expect(() => n.addRouter('r0', { policy: { rules: 'all' } as unknown as CtpPolicy })).toThrow(
    /options\.policy\.rules/,
  );
});

describe('hosting rules (role `host`)', () => {
  const q = CtpResolvedPolicy.from({
    rules: [
      { effect: 'deny', routers: ['lab-old'], nodes: ['cam*'], roles: ['host'] },
      { routers: ['station', 'lab-*'], nodes: ['cam*'], roles: ['host'] },
      { routers: ['*'], nodes: ['*'], roles: ['monitor'] },
    ],
  });
  it('a name a host rule matches only from the routers it grants; other names are free', () => {
    expect(q.restrictsHosting).toBe(true);
    expect(q.mayHost('station', 'cam1')).toBe(true);
    expect(q.mayHost('lab-2', 'cam1')).toBe(true);
    expect(q.mayHost('lab-old', 'cam1')).toBe(false); // the deny rule comes first
    expect(q.mayHost('mallory', 'cam1')).toBe(false);
    expect(q.mayHost('mallory', 'printer')).toBe(true); // no host rule names it
    // `default` and the other roles do not grant hosting, nor does hosting grant them.
    expect(q.allows('station', 'cam1', 'controller')).toBe(false);
    expect(CtpResolvedPolicy.from({ rules: [] }).restrictsHosting).toBe(false);
  });

  it("an insider advertising the station's node name: ignored where the policy is, a conflict elsewhere", async () => {
    const n = (net = new CtpTestNetwork());
    const rules = {
      default: 'allow' as const,
      rules: [{ routers: ['r0'], nodes: ['cam*'], roles: ['host' as const] }],
    };
    const station = n.addRouter('r0', { nodes: ['cam1'], identity: ident('r0'), policy: rules });
    station.handle('cam1', () => 'genuine');
    const insider = n.addRouter('r1', { nodes: ['cam1', 'printer'], identity: ident('r1') });
    const stolen: unknown[] = [];
    insider.handle('cam1', () => void stolen.push(1));
    n.addRouter('r2', { identity: ident('r2'), policy: rules });
    n.addRouter('r3', { identity: ident('r3') });
    n.link('r0', 'r1');
    n.link('r1', 'r2');
    n.link('r1', 'r3');
    await n.settle();
    const [r2, r3] = [n.router('r2'), n.router('r3')];
    // With the policy: cam1 is the station's only; the insider's other names stay.
    expect(r2.nodes()).toEqual(expect.arrayContaining(['cam1', 'printer']));
    expect((await r2.register('cam1', 'controller')).code).toBe('SUCCESS');
    expect(await r2.command('cam1', 'pan', 1)).toEqual({ code: 'SUCCESS', content: 'genuine' });
    // Without it: the name is a conflict (unusable, not hijacked).
    expect(await r3.register('cam1', 'monitor')).toMatchObject({
      code: 'ERROR',
      reason: 'conflict',
    });
    expect(stolen).toEqual([]);
    // A refused name added to a later advert (the incremental path) is left out too.
    insider.appendNodes('cam2');
    insider.appendNodes('printer2');
    await n.settle();
    expect(r3.nodes()).toEqual(expect.arrayContaining(['cam2', 'printer2']));
    expect(r2.nodes()).toContain('printer2');
    expect(r2.nodes()).not.toContain('cam2');
  });
});
