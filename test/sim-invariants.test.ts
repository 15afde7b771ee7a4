/**
 * The simulator's quiet check of registrations (test/sim/invariants.ts
 * `checkRegistrationSides`, issue 21): a registration one side holds and the
 * other does not is reported, whichever side lost it.
 */
import { describe, expect, it } from 'vitest';
import type { CtpRouter } from '../src/router.js';
import { checkRegistrationSides, type SimView } from './sim/invariants.js';
import type { SimPeer } from './sim/network.js';
import type { SimSlot } from './sim/sim.js';
import { topology } from './helpers.js';

/** The roles' records the check reads (test-only). */
interface Sides {
  host: {
    registrations: {
      hosted: Map<string, { controller: string | undefined; monitors: Set<string> }>;
    };
  };
  caller: { registrant: { own: { regs: Map<string, unknown> } } };
}

async function held(): Promise<{
  routers: [SimSlot, CtpRouter<SimPeer>][];
  check: () => string[];
  close: () => Promise<void>;
  a: Sides;
  b: Sides;
}> {
  const net = await topology(['a', 'b'], [['a', 'b']], (id) =>
    id === 'b' ? { nodes: ['lamp', 'fan'] } : {},
  );
  const ra = net.router('a');
  const c = ra.register('lamp', 'controller');
  const m = ra.register('fan', 'monitor');
  await net.settle();
  expect(await c).toMatchObject({ code: 'SUCCESS' });
  expect(await m).toMatchObject({ code: 'SUCCESS' });
  const routers = (['a', 'b'] as const).map(
    (id) =>
      [{ id } as SimSlot, net.router(id) as unknown as CtpRouter<SimPeer>] as [
        SimSlot,
        CtpRouter<SimPeer>,
      ],
  );
  const failures: string[] = [];
  const view = { fail: (inv: string, msg: string) => failures.push(`${inv}: ${msg}`) };
  return {
    routers,
    check: () => {
      failures.length = 0;
      checkRegistrationSides(view as unknown as SimView, routers);
      return [...failures];
    },
    close: () => net.close(),
    a: net.router('a') as unknown as Sides,
    b: net.router('b') as unknown as Sides,
  };
}

describe('the quiet check: registrations held on one side only', () => {
  it('passes when both sides agree', async () => {
    const h = await held();
    expect(h.check()).toEqual([]);
    await h.close();
  });

  it('reports a controller the host records and the registrant does not hold', async () => {
    const h = await held();
    const regs = h.a.caller.registrant.own.regs;
    const v = [...regs.keys()].find((k) => k.startsWith('controller[')) as string;
    regs.delete(v);
    expect(h.check()).toEqual([
      `registration: b records controller ${v} of lamp, which a does not hold`,
    ]);
    await h.close();
  });

  it('reports a registration whose other side is not a live router', async () => {
    const h = await held();
    const v = [...h.a.caller.registrant.own.regs.keys()].find((k) => k.startsWith('monitor['));
    const failures: string[] = [];
    // Only b is live: its records name a router that is not.
    checkRegistrationSides(
      { fail: (i: string, m: string) => failures.push(`${i}: ${m}`) } as unknown as SimView,
      h.routers.filter(([s]) => s.id === 'b'),
    );
    expect(failures).toContain(
      `registration: b records monitor ${v} of fan, which a is not a live router to hold`,
    );
    await h.close();
  });

  it('reports a monitor the registrant holds and the host no longer records', async () => {
    const h = await held();
    const rec = h.b.host.registrations.hosted.get('fan');
    expect(rec?.monitors.size).toBe(1);
    const v = [...(rec?.monitors ?? [])][0] as string;
    rec?.monitors.clear();
    expect(h.check()).toEqual([
      `registration: a holds monitor ${v} with b, which does not record it`,
    ]);
    await h.close();
  });
});
