/**
 * Refuse locally, at once (issue 11, point 3): `undefined` command content
 * is a CtpArgumentError; a frame larger than `maxFrameBytes` is not sent and
 * answers ERROR `too-large` at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError } from '../src/index.js';
import { tooLarge } from '../src/wire/outbound.js';
import { topology, until, type TestNet } from './helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

const MAX = 4096;
const big = (n = MAX) => 'x'.repeat(n);

/** The host app answers 'ok' at once, unless `silent` (then the test answers). */
async function pair(silent = false) {
  let last: { node: string; id: number } | undefined;
  net = await topology(['h', 'c'], [['h', 'c']], (id) => ({
    maxFrameBytes: MAX, // 4 KiB (8 MiB by default): the tests build frames just past it
    ...(id === 'h'
      ? {
          nodes: ['cam1'],
          app: (
            _n: unknown,
            m: { node: string; id: number },
            r: { respond(node: string, c: unknown): unknown },
          ) => {
            last = m;
            if (!silent) r.respond(m.node, 'ok');
          },
        }
      : {}),
  }));
  const h = net.router('h');
  const c = net.router('c');
  await c.register('cam1', 'controller');
  await c.register('cam1', 'monitor');
  return { h, c, last: () => last };
}

describe('undefined where the wire requires a value', () => {
  it('command(node, app, undefined) rejects CtpArgumentError at once (nothing sent)', async () => {
    const { c } = await pair();
    const before = c.stats().framesOut;
    await expect(c.command('cam1', 'x', undefined)).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.command('cam1', 'x', undefined)).rejects.toThrow(/`content` to be a JSON value/);
    expect(c.stats().framesOut).toBe(before);
    // null is a value
    expect((await c.command('cam1', 'x', null)).code).toBe('SUCCESS');
  });

  it('post and publish refuse undefined content', async () => {
    const { h, c } = await pair();
    expect(() => c.post('cam1', undefined)).toThrow(CtpArgumentError);
    expect(() => h.publish('cam1', undefined)).toThrow(CtpArgumentError);
  });
});

describe('a frame larger than maxFrameBytes is not sent', () => {
  it('a command resolves ERROR too-large at once, not after its timeout; nothing sent; the node is free again', async () => {
    const { c } = await pair();
    const before = c.stats().framesOut;
    expect(await c.command('cam1', 'x', big(), { timeoutMs: 60_000 })).toEqual({
      code: 'ERROR',
      reason: 'too-large',
    });
    expect(c.stats().framesOut).toBe(before);
    expect(c.stats().pending).toBe(0);
    // multi-byte characters count in UTF-8 bytes: 1500 × 3 bytes > 4096
    expect(await c.command('cam1', 'x', '€'.repeat(1500))).toEqual({
      code: 'ERROR',
      reason: 'too-large',
    });
    expect((await c.command('cam1', 'x', '€'.repeat(1000))).code).toBe('SUCCESS');
    expect(await c.start('cam1', 'x', { blob: big() })).toEqual({
      code: 'ERROR',
      reason: 'too-large',
    });
  });

  it('post returns ERROR too-large without sending', async () => {
    const { c } = await pair();
    const before = c.stats().framesOut;
    expect(c.post('cam1', big())).toEqual({ code: 'ERROR', reason: 'too-large' });
    expect(c.stats().framesOut).toBe(before);
    expect(c.post('cam1', 'small')).toEqual({ code: 'SUCCESS' });
  });

  it('publish returns ERROR too-large without sending', async () => {
    const { h } = await pair();
    const before = h.stats().framesOut;
    expect(h.publish('cam1', big())).toEqual({ code: 'ERROR', reason: 'too-large' });
    expect(h.stats().framesOut).toBe(before);
    expect(h.publish('cam1', 'small')).toEqual({ code: 'SUCCESS' });
  });

  it('respond returns ERROR too-large without sending; the request stays open for a smaller answer', async () => {
    const { h, c, last } = await pair(true);
    const pending = c.command('cam1', 'x', 1);
    await until(() => last() !== undefined, 'the command at the host');
    expect(h.respond('cam1', big(), 'SUCCESS', last()!.id)).toEqual({
      code: 'ERROR',
      reason: 'too-large',
    });
    expect(h.respond('cam1', 'small', 'SUCCESS', last()!.id)).toEqual({ code: 'SUCCESS' });
    expect(await pending).toEqual({ code: 'SUCCESS', content: 'small' });
  });

  it('a handler whose answer is too large answers ERROR too-large', async () => {
    const { h, c } = await pair();
    h.handle('cam1', () => big());
    expect(await c.command('cam1', 'x', 1)).toEqual({ code: 'ERROR', reason: 'too-large' });
  });

  it('tooLarge measures UTF-8 bytes, only when the length could exceed the limit', () => {
    expect(tooLarge('abc', 3)).toBe(false);
    expect(tooLarge('abcd', 3)).toBe(true);
    expect(tooLarge('€', 3)).toBe(false);
    expect(tooLarge('€€', 5)).toBe(true);
    expect(tooLarge('😀', 4)).toBe(false);
    expect(tooLarge('😀', 3)).toBe(true);
  });
});
