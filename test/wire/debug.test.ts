/**
 * The `ctp:*` debug lines let a person trace a request: each router logs
 * what it sends and receives with the node, id/re, destination, code, peer
 * and hops, the request's outcome, forwards, and timeouts.
 */
import { format } from 'node:util';
import createDebug from 'debug';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeFrame } from '../../src/wire/trace.js';
import { decode } from '../../src/wire/codec.js';
import { TestNet } from '../helpers.js';

let lines: string[] = [];
const savedLog = createDebug.log;
let savedNamespaces = '';

beforeEach(() => {
  lines = [];
  savedNamespaces = createDebug.disable();
  // debug leaves %s/%d to the log function (Node's own formats with util.format).
  createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
  createDebug.enable('ctp:*');
});
afterEach(() => {
  createDebug.disable();
  if (savedNamespaces !== '') createDebug.enable(savedNamespaces);
  createDebug.log = savedLog;
});

const has = (...parts: string[]): boolean => lines.some((l) => parts.every((p) => l.includes(p)));

describe('debug lines', () => {
  it('trace a command round trip over a relay: out, forwarded, in, answered, with node, id, code, peer and hops', async () => {
    const net = new TestNet();
    try {
      net.add('station', { nodes: ['cam1'] });
      net.add('relay');
      const c = net.add('console');
      net.link('station', 'relay');
      net.link('relay', 'console');
      await net.settle();
      expect((await c.register('cam1', 'controller')).code).toBe('SUCCESS');
      lines = [];
      const r = await c.command('cam1', 'pan', { deg: 30 });
      expect(r.code).toBe('SUCCESS');
      const id = lines.find((l) => l.includes('console -> COMMAND cam1'))?.match(/id=(\d+)/)?.[1];
      expect(id, lines.join('\n')).toBeDefined();
      // the caller sends it toward the relay, addressed to the station
      expect(
        has(
          'ctp:outbound',
          'console -> COMMAND cam1',
          `id=${id}`,
          'to=station',
          'app=pan',
          'by=controller[cam1]@console',
          'peer=relay',
        ),
      ).toBe(true);
      // the relay receives it from the console and forwards it with hops=1
      expect(has('ctp:router', 'relay <- COMMAND cam1', `id=${id}`, 'peer=console')).toBe(true);
      expect(
        has(
          'ctp:routing',
          'relay forwards COMMAND cam1',
          `id=${id}`,
          'hops=1',
          'toward station via station',
        ),
      ).toBe(true);
      // the host receives it, answers; the RESPONSE carries re and code back
      expect(has('ctp:router', 'station <- COMMAND cam1', `id=${id}`, 'hops=1', 'peer=relay')).toBe(
        true,
      );
      expect(
        has('ctp:outbound', 'station -> RESPONSE cam1', 'code=SUCCESS', `re=${id}`, 'peer=relay'),
      ).toBe(true);
      expect(
        has(
          'ctp:router',
          'console <- RESPONSE cam1',
          'code=SUCCESS',
          `re=${id}`,
          'hops=1',
          'peer=relay',
        ),
      ).toBe(true);
      // the request's outcome at the caller
      expect(
        has('ctp:requests', 'console command cam1', `id=${id}`, 'to=station', '-> SUCCESS'),
      ).toBe(true);
    } finally {
      await net.close();
    }
  });

  it('log a timeout with the node, id and destination', async () => {
    const net = new TestNet();
    try {
      net.add('station', { nodes: ['cam1'], app: 'silent' });
      const c = net.add('console');
      net.link('station', 'console');
      await net.settle();
      await c.register('cam1', 'controller');
      const r = await c.command('cam1', 'pan', {}, { timeoutMs: 20 });
      expect(r.code).toBe('TIMEOUT');
      expect(has('ctp:requests', 'console command cam1', 'id=', 'to=station', 'timed out')).toBe(
        true,
      );
    } finally {
      await net.close();
    }
  });

  it('log an answer given without sending (NODE_UNFOUND) and a request that cannot be routed', async () => {
    const net = new TestNet();
    try {
      const c = net.add('console');
      expect((await c.register('ghost', 'controller')).code).toBe('NODE_UNFOUND');
      expect(has('ctp:requests', 'register ghost', 'NODE_UNFOUND')).toBe(true);
      net.add('station', { nodes: ['cam1'] });
      net.link('station', 'console');
      await net.settle();
      net.inject(
        'station',
        'console',
        '{"v":1,"t":"COMMAND","id":9,"to":"nowhere","node":"cam1","controller":"controller[cam1]@x","app":"a","content":1}',
      );
      await net.settle();
      expect(
        has(
          'ctp:routing',
          'console cannot route COMMAND cam1 id=9 to=nowhere',
          'no-route',
          'from station',
        ),
      ).toBe(true);
    } finally {
      await net.close();
    }
  });

  it('describe every frame type by its identifying fields', () => {
    const d = (frame: string): string => describeFrame(decode(frame));
    expect(
      d(
        '{"v":1,"t":"REGISTER","id":3,"to":"s","node":"n","monitor":"monitor[n]@c","refresh":true}',
      ),
    ).toBe('REGISTER n id=3 to=s refresh by=monitor[n]@c');
    expect(
      d(
        '{"v":1,"t":"RESPONSE","node":"n","controller":"controller[n]@c","code":"NOT_ASSIGNED","reason":"released","hops":2}',
      ),
    ).toBe('RESPONSE n code=NOT_ASSIGNED reason=released for=controller[n]@c hops=2');
    expect(d('{"v":1,"t":"EVENT","node":"n","monitor":"monitor[n]@c","content":1}')).toBe(
      'EVENT n for=monitor[n]@c',
    );
    expect(d('{"v":1,"t":"POST","to":"s","node":"n","content":1}')).toBe('POST n to=s');
    expect(d('{"v":1,"t":"UPDATENODE","from":"a"}')).toBe('UPDATENODE from=a');
    const adverts = Array.from({ length: 6 }, (_, i) => ({
      origin: `r${i}`,
      seq: i + 1,
      nodes: ['x'],
      neighbors: [],
    }));
    expect(describeFrame({ v: 1, t: 'REPORTNODE', from: 'a', adverts })).toBe(
      'REPORTNODE from=a adverts=r0:1(1),r1:2(1),r2:3(1),r3:4(1),+2',
    );
  });

  it('cost nothing when disabled: no line is produced', async () => {
    createDebug.disable();
    const net = new TestNet();
    try {
      net.add('station', { nodes: ['cam1'] });
      const c = net.add('console');
      net.link('station', 'console');
      await net.settle();
      await c.register('cam1', 'controller');
      await c.command('cam1', 'pan', {});
      expect(lines).toEqual([]);
    } finally {
      await net.close();
    }
  });
});
