/**
 * `router.waitForNode` (issue 11, point 5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError, CtpClosedError, CtpTimeoutError } from '../../src/index.js';
import { topology, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('waitForNode', () => {
  it('resolves at once when the node is reachable, and when it appears later', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const h = net.router('h');
    const c = net.router('c');
    await expect(c.waitForNode('cam1')).resolves.toBeUndefined();
    let done = false;
    const later = c.waitForNode('cam2', { timeoutMs: 5000 }).then(() => (done = true));
    await net.settle();
    expect(done).toBe(false);
    h.appendNodes('cam2');
    await later;
    expect(c.nodes()).toContain('cam2');
    // then register works at once (no NODE_UNFOUND race)
    expect((await c.register('cam2', 'controller')).code).toBe('SUCCESS');
  });

  it('rejects CtpTimeoutError (ERR_CTP_TIMEOUT) after timeoutMs', async () => {
    net = await topology(['c'], []);
    const err = await net
      .router('c')
      .waitForNode('nowhere', { timeoutMs: 20 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtpTimeoutError);
    expect((err as CtpTimeoutError).code).toBe('ERR_CTP_TIMEOUT');
  });

  it("rejects with the signal's reason when it aborts (and at once when already aborted)", async () => {
    net = await topology(['c'], []);
    const c = net.router('c');
    const ac = new AbortController();
    const p = c.waitForNode('nowhere', { signal: ac.signal });
    ac.abort(new Error('stop waiting'));
    await expect(p).rejects.toThrow('stop waiting');
    await expect(c.waitForNode('nowhere', { signal: ac.signal })).rejects.toThrow('stop waiting');
  });

  it('rejects CtpClosedError when the router closes; after close, rejects at once', async () => {
    net = await topology(['c'], []);
    const c = net.router('c');
    const p = c.waitForNode('nowhere');
    await c.close();
    await expect(p).rejects.toBeInstanceOf(CtpClosedError);
    await expect(c.waitForNode('cam1')).rejects.toBeInstanceOf(CtpClosedError);
  });

  it('rejects CtpArgumentError for misuse, never throws synchronously', async () => {
    net = await topology(['c'], []);
    const c = net.router('c');
    await expect(c.waitForNode('')).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.waitForNode('cam1', { timeoutMs: -1 })).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(c.waitForNode('cam1', { signal: {} as AbortSignal })).rejects.toBeInstanceOf(
      CtpArgumentError,
    );
  });
});
