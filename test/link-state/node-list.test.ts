/**
 * Each EVENT once per router, and devices-only node lists (issue 11, point 7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError, CtpRouter, type CtpEvent } from '../../src/index.js';
import { record, topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('each EVENT once per router', () => {
  it('a router that is controller and monitor of a node gets each event once, in one frame', async () => {
    net = await topology(
      ['h', 'c', 'o'],
      [
        ['h', 'c'],
        ['h', 'o'],
      ],
      (id) => (id === 'h' ? { nodes: ['cam1'] } : {}),
    );
    const h = net.router('h');
    const c = net.router('c');
    const o = net.router('o');
    await c.register('cam1', 'controller');
    await c.register('cam1', 'monitor');
    await o.register('cam1', 'monitor');
    const frames: string[] = [];
    net.onFrame = (f) => void (f.frame.includes('"EVENT"') && frames.push(`${f.from}>${f.to}`));
    expect(h.publish('cam1', 'e1')).toEqual({ code: 'SUCCESS' });
    expect(c.post('cam1', 'e2')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    expect(net.events('c').map((e) => e.content)).toEqual(['e1', 'e2']);
    expect(net.events('o').map((e) => e.content)).toEqual(['e1', 'e2']);
    // one EVENT per destination router: h>c and h>o, per event
    expect(frames.sort()).toEqual(['h>c', 'h>c', 'h>o', 'h>o']);
    // addressed to c's controller virtual node (SPEC's wire format: one virtual node)
    expect((net.events('c')[0] as CtpEvent).monitor).toBe('controller[cam1]@c');
    expect((net.events('o')[0] as CtpEvent).monitor).toBe('monitor[cam1]@o');
  });

  it('after the controller unregisters, the monitor still gets it (once)', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const c = net.router('c');
    await c.register('cam1', 'controller');
    await c.register('cam1', 'monitor');
    await c.unregister('cam1', 'controller');
    h.publish('cam1', 'x');
    await net.settle();
    expect(net.events('c').map((e) => [e.content, e.monitor])).toEqual([['x', 'monitor[cam1]@c']]);
  });

  it('a host monitoring its own node gets it once too (local path)', async () => {
    net = await topology(['h'], [], () => ({ nodes: ['cam1'] }));
    const h = net.router('h');
    await h.register('cam1', 'controller');
    await h.register('cam1', 'monitor');
    h.publish('cam1', 'self');
    await net.settle();
    expect(net.events('h').map((e) => e.content)).toEqual(['self']);
  });
});

describe('devices only', () => {
  it('nodes({ virtual: false }) lists devices only; nodes() is unchanged', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1', 'cam2'] } : {},
    );
    const c = net.router('c');
    await c.register('cam1', 'controller');
    await net.settle();
    expect(c.nodes()).toEqual(['cam1', 'cam2', 'controller[cam1]@c']);
    expect(c.nodes({ virtual: false })).toEqual(['cam1', 'cam2']);
    expect(c.nodes({ virtual: true })).toEqual(c.nodes());
    expect(() => c.nodes({ virtual: 'no' as unknown as boolean })).toThrow(CtpArgumentError);
  });

  it('virtualNodes: false: onNodesUpdated and the nodes event get devices only, and only when devices change', async () => {
    const lists: string[][] = [];
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h'
        ? { nodes: ['cam1'] }
        : { virtualNodes: false, onNodesUpdated: (n: string[]) => void lists.push(n) },
    );
    const c = net.router('c');
    const h = net.router('h');
    const events = record<string[]>(c, 'nodes');
    expect(lists).toEqual([['cam1']]);
    await c.register('cam1', 'controller'); // only a virtual node appears
    await net.settle();
    expect(lists).toEqual([['cam1']]);
    expect(events).toEqual([]);
    h.appendNodes('cam2');
    await until(() => lists.length === 2, 'the device list');
    expect(lists[1]).toEqual(['cam1', 'cam2']);
    expect(events).toEqual([['cam1', 'cam2']]);
  });

  it('the default (virtualNodes: true) is unchanged; a non-boolean is a CtpArgumentError', async () => {
    const lists: string[][] = [];
    const r = new CtpRouter(
      () => {},
      () => {},
      (n) => void lists.push(n),
      { id: 'r', nodes: ['a'] },
    );
    await r.register('a', 'monitor');
    expect(lists.at(-1)).toEqual(['a', 'monitor[a]@r']);
    await r.close();
    expect(
      () =>
        new CtpRouter(
          () => {},
          () => {},
          () => {},
          { virtualNodes: 1 as unknown as boolean },
        ),
    ).toThrow(CtpArgumentError);
  });
});

describe('eventTargets (fanout.ts)', () => {
  it('one virtual node per router, the controller first, a reachable one preferred', async () => {
    const { eventTargets } = await import('../../src/host/fanout.js');
    const all = () => true;
    expect(eventTargets(undefined, new Set(['monitor[n]@a']), all)).toEqual(['monitor[n]@a']);
    expect(eventTargets('controller[n]@a', new Set(['monitor[n]@a', 'monitor[n]@b']), all)).toEqual(
      ['controller[n]@a', 'monitor[n]@b'],
    );
    // a's controller virtual node is gone (forgotten by its registrant): its monitor gets the event
    const gone = (v: string) => v !== 'controller[n]@a';
    expect(
      eventTargets('controller[n]@a', new Set(['monitor[n]@b', 'monitor[n]@a']), gone),
    ).toEqual(['monitor[n]@a', 'monitor[n]@b']);
    // node names may hold '@': the router id follows the last one
    expect(eventTargets('controller[x@y]@a', new Set(['monitor[x@y]@a']), all)).toEqual([
      'controller[x@y]@a',
    ]);
  });
});
