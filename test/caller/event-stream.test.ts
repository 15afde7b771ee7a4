/**
 * `router.events(node?, { signal, bufferSize })` (issue 11, point 6).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError, type CtpEvent } from '../../src/index.js';
import { CtpEventStream } from '../../src/caller/event-stream.js';
import { topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

async function pair() {
  net = await topology(['h', 'c'], [['h', 'c']], (id) =>
    id === 'h' ? { nodes: ['cam1', 'cam2'] } : {},
  );
  const c = net.router('c');
  await c.register('cam1', 'monitor');
  await c.register('cam2', 'monitor');
  return { h: net.router('h'), c };
}

describe('events()', () => {
  it('for-await yields the EVENTs (one node or all), onReceived still gets them; ends when the signal aborts', async () => {
    const { h, c } = await pair();
    const ac = new AbortController();
    const all: unknown[] = [];
    const cam2: unknown[] = [];
    const loopAll = (async () => {
      for await (const e of c.events(undefined, { signal: ac.signal })) all.push(e.content);
    })();
    const loop2 = (async () => {
      for await (const e of c.events('cam2', { signal: ac.signal })) cam2.push(e.content);
    })();
    h.publish('cam1', 1);
    h.publish('cam2', 2);
    h.publish('cam1', 3);
    await until(() => all.length === 3, 'three events');
    expect(all).toEqual([1, 2, 3]);
    expect(cam2).toEqual([2]);
    expect(net!.events('c')).toHaveLength(3);
    ac.abort();
    await loopAll;
    await loop2;
  });

  it('a break ends the stream; the router no longer feeds it', async () => {
    const { h, c } = await pair();
    const s = c.events('cam1');
    h.publish('cam1', 'a');
    for await (const e of s) {
      expect(e.content).toBe('a');
      break;
    }
    expect(s.done).toBe(true);
    h.publish('cam1', 'b');
    await net!.settle();
    expect(await s.next()).toEqual({ value: undefined, done: true });
  });

  it('ends when the router closes; a stream opened after close is done at once', async () => {
    const { c } = await pair();
    const s = c.events();
    const next = s.next();
    await c.close();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(c.events().done).toBe(true);
  });

  it('a slow consumer: at most bufferSize events are kept, the oldest dropped and counted', async () => {
    const { h, c } = await pair();
    const s = c.events('cam1', { bufferSize: 3 });
    for (let i = 0; i < 10; i++) h.publish('cam1', i);
    await net!.settle();
    expect(s.dropped).toBe(7);
    const got: unknown[] = [];
    for (let i = 0; i < 3; i++) got.push((await s.next()).value?.content);
    expect(got).toEqual([7, 8, 9]);
    await s.return();
  });

  it('the buffer stays bounded under a long burst (compaction)', () => {
    const s = new CtpEventStream(undefined, 4, undefined, () => {});
    for (let i = 0; i < 10_000; i++)
      s.push({ v: 1, t: 'EVENT', node: 'n', monitor: 'monitor[n]@x', content: i } as CtpEvent);
    expect(s.dropped).toBe(9996);
    expect((s as unknown as { buf: unknown[] }).buf.length).toBeLessThanOrEqual(8);
  });

  it('misuse throws CtpArgumentError', async () => {
    const { c } = await pair();
    expect(() => c.events('controller[x]@y')).toThrow(CtpArgumentError);
    expect(() => c.events(undefined, { bufferSize: 0 })).toThrow(CtpArgumentError);
    expect(() => c.events(undefined, { signal: 'x' as unknown as AbortSignal })).toThrow(
      CtpArgumentError,
    );
  });
});
