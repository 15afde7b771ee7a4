/**
 * Never silent (issue 11, point 4): with no `error` listener an error goes to
 * `process.emitWarning`, once per kind (code and callback) per router; the
 * `error` event is typed with `CtpError`.
 */
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { CtpError, CtpRouter, type CtpErrorCode } from '../../src/index.js';
import { CtpTestClock } from '../../src/testing/index.js';
import { topology, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await net?.close();
  net = undefined;
});

describe('errors without an error listener', () => {
  it('a throwing onReceived: one process warning per kind, naming the callback and code', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1'], app: 'throw' } : {},
    );
    const c = net.router('c');
    await c.register('cam1', 'controller');
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(await c.command('cam1', 'x', 2)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(warn).toHaveBeenCalledTimes(1);
    const [message, opts] = warn.mock.calls[0] as [string, { type: string; code: string }];
    expect(message).toContain('`onReceived` threw: host app failure');
    expect(opts).toEqual({ type: 'CtpRouterWarning', code: 'ERR_CTP_CALLBACK' });
  });

  it('another kind (send) warns once more; with an error listener nothing is warned', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    let fail = true;
    const clock = new CtpTestClock();
    const r = new CtpRouter(
      () => {
        throw new Error('cb');
      },
      () => {
        if (fail) throw new Error('send failed');
      },
      () => {
        throw new Error('nodes');
      },
      { id: 'r', clock },
    );
    r.appendNodes('a'); // onNodesUpdated throws
    r.appendNodes('b'); // again: same kind
    r.peerUp('p'); // send throws
    r.peerUp('q');
    expect(warn.mock.calls.map((c) => (c[1] as { code: string }).code)).toEqual([
      'ERR_CTP_CALLBACK',
      'ERR_CTP_CALLBACK',
    ]);
    const messages = warn.mock.calls.map((c) => String(c[0])).sort();
    expect(messages).toEqual([
      expect.stringContaining('`onNodesUpdated` threw'),
      expect.stringContaining('`send` threw'),
    ]);
    const seen: CtpErrorCode[] = [];
    r.on('error', (e) => seen.push(e.code));
    fail = true;
    clock.advance(1000); // the own advert's pacing interval passes: the next change goes out at once
    r.appendNodes('c'); // send and onNodesUpdated throw again: both reach the listener
    expect(seen).toEqual(['ERR_CTP_CALLBACK', 'ERR_CTP_CALLBACK']);
    expect(warn).toHaveBeenCalledTimes(2);
    await r.close();
  });

  it("the error event is typed with CtpError: router.on('error', e => e.code) compiles, and the listener runs", async () => {
    const r = new CtpRouter(
      () => {},
      () => {},
      () => {
        throw new Error('nodes');
      },
      { id: 't' },
    );
    const seen: CtpErrorCode[] = [];
    r.on('error', (e) => {
      expectTypeOf(e).toEqualTypeOf<CtpError>();
      expectTypeOf(e.code).toEqualTypeOf<CtpErrorCode>();
      expect(e).toBeInstanceOf(CtpError);
      seen.push(e.code);
    });
    r.appendNodes('a'); // onNodesUpdated throws: an error event
    expect(seen).toEqual(['ERR_CTP_CALLBACK']);
    await r.close();
  });
});
