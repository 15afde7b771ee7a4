/**
 * Async host callbacks (issue 11, point 2): a rejected promise from
 * `onReceived` or `onNodesUpdated` is reported like a throw, and never
 * becomes an unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CtpRouter, type CtpCallbackError } from '../../src/index.js';
import { CtpTestNetwork } from '../../src/testing/index.js';
import { record, until } from '../helpers.js';

let net: CtpTestNetwork | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await net?.close();
  net = undefined;
  process.off('unhandledRejection', onUnhandled);
});

/** Let the event loop turn a few times, so that an unhandled rejection would be seen. */
const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('async callbacks that reject', () => {
  it('an async onReceived that rejects on a control request: ERROR host-callback-failed, error emitted, no unhandled rejection', async () => {
    net = new CtpTestNetwork();
    const h = net.addRouter('h', {
      nodes: ['cam1'],
      onReceived: async (name, _msg) => {
        await Promise.resolve();
        throw new Error(`async failure on ${name}`);
      },
    });
    const c = net.addRouter('c');
    net.link('h', 'c');
    await net.settle();
    const errors = record<CtpCallbackError>(h as never, 'error');
    await c.register('cam1', 'controller');
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(errors.map((e) => [e.code, e.callback])).toEqual([['ERR_CTP_CALLBACK', 'onReceived']]);
    expect((errors[0]?.cause as Error).message).toBe('async failure on COMMAND');
    await turns();
    expect(unhandled).toEqual([]);
  });

  it('a rejection after the host answered sends nothing more (the request is no longer open)', async () => {
    net = new CtpTestNetwork();
    const h = net.addRouter('h', {
      nodes: ['cam1'],
      onReceived: async (name, msg, router) => {
        if (name === 'EVENT') return;
        router.respond(msg.node, 'answered', 'SUCCESS', msg.id);
        throw new Error('after the answer');
      },
    });
    const c = net.addRouter('c');
    net.link('h', 'c');
    await net.settle();
    const errors = record(h as never, 'error');
    await c.register('cam1', 'controller');
    expect(await c.command('cam1', 'x', 1)).toEqual({ code: 'SUCCESS', content: 'answered' });
    await until(() => errors.length === 1);
    const stale = record(c as never, 'dropped');
    await net.settle();
    expect(stale).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('an async onReceived that rejects on an EVENT: error emitted, no unhandled rejection', async () => {
    net = new CtpTestNetwork();
    const h = net.addRouter('h', { nodes: ['cam1'] });
    const c = net.addRouter('c', {
      onReceived: async (name, _msg) => {
        if (name === 'EVENT') throw new Error('event failure');
      },
    });
    net.link('h', 'c');
    await net.settle();
    const errors = record<CtpCallbackError>(c as never, 'error');
    await c.register('cam1', 'monitor');
    expect(h.publish('cam1', 'e')).toEqual({ code: 'SUCCESS' });
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]?.callback).toBe('onReceived');
    await turns();
    expect(unhandled).toEqual([]);
  });

  it('an async onNodesUpdated that rejects: error emitted, no unhandled rejection', async () => {
    const r = new CtpRouter(
      () => {},
      () => {},
      async () => {
        throw new Error('nodes failure');
      },
      { id: 'r' },
    );
    const errors = record<CtpCallbackError>(r as never, 'error');
    r.appendNodes('a');
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]?.callback).toBe('onNodesUpdated');
    await turns();
    expect(unhandled).toEqual([]);
    await r.close();
  });
});
