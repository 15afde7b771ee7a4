/**
 * The handler API (issue 11, point 1): `router.handle(node, handler)`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CtpArgumentError,
  CtpCallbackError,
  CtpReply,
  ReturnCode,
  type CtpHandlerRequest,
} from '../../src/index.js';
import { record, topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/** host `h` (nodes cam1, cam2; app silent unless a test says) — client `c`. */
async function pair(app: 'silent' | 'echo' = 'silent') {
  net = await topology(['h', 'c'], [['h', 'c']], (id) =>
    id === 'h' ? { nodes: ['cam1', 'cam2'], app } : {},
  );
  const c = net.router('c');
  await c.register('cam1', 'controller');
  return { h: net.router('h'), c, net };
}

describe('router.handle', () => {
  it('the return value is the SUCCESS content; the handler gets type, node, app, content, controller, id, signal', async () => {
    const { h, c } = await pair();
    const seen: CtpHandlerRequest[] = [];
    h.handle('cam1', (req) => {
      seen.push(req);
      return req.type === 'COMMAND'
        ? { got: req.content }
        : { started: req.app, optionals: req.optionals ?? null };
    });
    expect(await c.command('cam1', 'pan', { deg: 3 })).toEqual({
      code: 'SUCCESS',
      content: { got: { deg: 3 } },
    });
    expect(await c.start('cam1', 'rec', { fps: 5 })).toEqual({
      code: 'SUCCESS',
      content: { started: 'rec', optionals: { fps: 5 } },
    });
    expect(seen[0]).toMatchObject({
      type: 'COMMAND',
      node: 'cam1',
      app: 'pan',
      content: { deg: 3 },
      controller: 'controller[cam1]@c',
    });
    expect(typeof seen[0]?.id).toBe('number');
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
    // The request ended when it was answered: its signal aborted (once), naming why.
    expect(seen[0]?.signal.aborted).toBe(true);
    expect((seen[0]?.signal.reason as Error).message).toContain('answered');
    // onReceived got nothing for the handled node
    expect(net!.controls('h')).toHaveLength(0);
  });

  it('an async handler: the resolved value answers; undefined answers SUCCESS without content', async () => {
    const { h, c } = await pair();
    h.handle('cam1', async (req) => (req.type === 'STOP' ? undefined : 'later'));
    expect(await c.command('cam1', 'x', 1)).toEqual({ code: 'SUCCESS', content: 'later' });
    expect(await c.stop('cam1', 'x')).toEqual({ code: 'SUCCESS' });
  });

  it('a thrown or rejected CtpReply answers with its code, content and reason', async () => {
    const { h, c } = await pair();
    let n = 0;
    h.handle('cam1', async () => {
      n++;
      if (n === 1) throw new CtpReply(ReturnCode.ERROR, { why: 'busy' }, 'busy');
      return Promise.reject(new CtpReply(ReturnCode.IN_PROGRESS));
    });
    const errors = record(h, 'error');
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'ERROR',
      content: { why: 'busy' },
      reason: 'busy',
    });
    expect(await c.command('cam1', 'x', 2)).toEqual({ code: 'IN_PROGRESS' });
    expect(errors).toHaveLength(0);
    expect(() => new CtpReply('NOPE' as ReturnCode)).toThrow(CtpArgumentError);
  });

  it('any other throw or rejection answers ERROR host-callback-failed and emits error', async () => {
    const { h, c } = await pair();
    let sync = true;
    h.handle('cam1', (): unknown => {
      if (sync) throw new Error('boom sync');
      return Promise.reject(new Error('boom async'));
    });
    const errors = record<CtpCallbackError>(h, 'error');
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    sync = false;
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(errors.map((e) => [e.code, e.callback, (e.cause as Error).message])).toEqual([
      ['ERR_CTP_CALLBACK', 'handler', 'boom sync'],
      ['ERR_CTP_CALLBACK', 'handler', 'boom async'],
    ]);
  });

  it('content JSON cannot carry fails the request (host-callback-failed), never a crash', async () => {
    const { h, c } = await pair();
    h.handle('cam1', () => ({ n: 10n }));
    const errors = record<CtpCallbackError>(h, 'error');
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect((errors[0]?.cause as Error).name).toBe('CtpArgumentError');
  });

  it('one handler per node; the disposer gives the node back to onReceived; other nodes still go to onReceived', async () => {
    const { h, c } = await pair('echo');
    const dispose = h.handle('cam1', () => 'handled');
    expect(() => h.handle('cam1', () => 'again')).toThrow(CtpArgumentError);
    expect(() => h.handle('controller[x]@y', () => 1)).toThrow(CtpArgumentError);
    expect(() => h.handle('cam3', 'nope' as never)).toThrow(CtpArgumentError);
    expect(await c.command('cam1', 'x', 1)).toEqual({ code: 'SUCCESS', content: 'handled' });
    await c.register('cam2', 'controller');
    expect(await c.command('cam2', 'x', 1)).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND', app: 'x' },
    });
    dispose();
    dispose(); // twice: nothing
    expect(await c.command('cam1', 'x', 1)).toEqual({
      code: 'SUCCESS',
      content: { echo: 'COMMAND', app: 'x' },
    });
    // a new handler after the disposer
    h.handle('cam1', () => 'new');
    expect(await c.command('cam1', 'x', 1)).toEqual({ code: 'SUCCESS', content: 'new' });
  });

  it('superseded: the signal aborts and the late answer sends nothing; the newer request gets its own answer', async () => {
    const { h, c } = await pair();
    const reqs: CtpHandlerRequest[] = [];
    const answers: ((v: unknown) => void)[] = [];
    h.handle('cam1', (req) => {
      reqs.push(req);
      return new Promise((resolve) => answers.push(resolve));
    });
    expect((await c.command('cam1', 'x', 1, { timeoutMs: 20 })).code).toBe('TIMEOUT');
    const second = c.command('cam1', 'x', 2);
    await until(() => reqs.length === 2, 'the second request');
    expect(reqs[0]?.signal.aborted).toBe(true);
    expect((reqs[0]?.signal.reason as Error).message).toContain('superseded');
    expect(reqs[1]?.signal.aborted).toBe(false);
    const stale = record(c, 'dropped');
    // Count h's RESPONSEs (adverts may still go out: pacing runs by default).
    const responses: string[] = [];
    net!.onFrame = (f) =>
      void (f.from === 'h' && f.frame.includes('"t":"RESPONSE"') && responses.push(f.frame));
    answers[0]?.('late, for 1');
    await net!.settle();
    expect(responses).toHaveLength(0); // nothing sent
    expect(stale).toHaveLength(0);
    answers[1]?.('for 2');
    expect(await second).toEqual({ code: 'SUCCESS', content: 'for 2' });
  });

  it('the signal aborts when the controller unregisters, and when the router closes', async () => {
    const { h, c } = await pair();
    const reqs: CtpHandlerRequest[] = [];
    h.handle('cam1', (req) => (reqs.push(req), new Promise(() => {})));
    void c.command('cam1', 'x', 1, { timeoutMs: 30 });
    await until(() => reqs.length === 1);
    await until(() => c.stats().pending === 0, 'the command to time out');
    expect(await c.unregister('cam1', 'controller')).toMatchObject({ code: 'SUCCESS' });
    expect(reqs[0]?.signal.aborted).toBe(true);
    expect((reqs[0]?.signal.reason as Error).message).toContain('unregistered');
    await c.register('cam1', 'controller');
    void c.command('cam1', 'x', 2, { timeoutMs: 30 });
    await until(() => reqs.length === 2);
    await h.close();
    expect(reqs[1]?.signal.aborted).toBe(true);
    expect((reqs[1]?.signal.reason as Error).name).toBe('CtpClosedError');
  });

  it('the signal aborts when the controller is released (unreachable past leaseGraceMs) and when the node is removed', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1', 'cam2'], app: 'silent' } : {},
    );
    const h = net.router('h');
    const c = net.router('c');
    await c.register('cam1', 'controller');
    await c.register('cam2', 'controller');
    const reqs: CtpHandlerRequest[] = [];
    const never = (req: CtpHandlerRequest) => (reqs.push(req), new Promise(() => {}));
    h.handle('cam1', never);
    h.handle('cam2', never);
    void c.command('cam2', 'x', 1, { timeoutMs: 30 });
    await until(() => reqs.length === 1);
    h.removeNodes('cam2');
    expect((reqs[0]?.signal.reason as Error).message).toContain('removed');
    void c.command('cam1', 'x', 1, { timeoutMs: 30 });
    await until(() => reqs.length === 2);
    const released = record(h, 'released');
    net.unlink('h', 'c');
    await net.advance(5000); // the default leaseGraceMs
    expect(released).toHaveLength(1);
    expect(reqs[1]?.signal.aborted).toBe(true);
    expect((reqs[1]?.signal.reason as Error).message).toContain('released');
  });

  it('the signal aborts when the request expires (responseTimeoutMs at the host)', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1'], app: 'silent' } : {},
    );
    const h = net.router('h');
    const c = net.router('c');
    await c.register('cam1', 'controller');
    const reqs: CtpHandlerRequest[] = [];
    h.handle('cam1', (req) => (reqs.push(req), new Promise(() => {})));
    void c.command('cam1', 'x', 1);
    await until(() => reqs.length === 1);
    expect(reqs[0]?.signal.aborted).toBe(false);
    await net.advance(120_000); // the default responseTimeoutMs
    expect(reqs[0]?.signal.aborted).toBe(true);
    expect((reqs[0]?.signal.reason as Error).name).toBe('CtpTimeoutError');
  });

  it('handle after close throws ERR_CTP_CLOSED', async () => {
    const { h } = await pair();
    await h.close();
    expect(() => h.handle('cam1', () => 1)).toThrow(/closed/);
  });
});
