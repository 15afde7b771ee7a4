/**
 * One record of a hosted node's open request (src/host/open-request.ts): every way
 * a request ends aborts its handler's `signal` exactly once, with a reason
 * that names the ending. Defaults on; time moves on the test network's clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CtpClosedError, CtpTimeoutError, type CtpHandlerRequest } from '../../src/index.js';
import { topology, until, type TestNet } from '../helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

interface Seen {
  req: CtpHandlerRequest;
  aborts: number;
}

/** h hosts cam1 with a handler that never answers unless `answer` says so; c controls it. */
async function setup(answer = false): Promise<{ seen: Seen[]; net: TestNet }> {
  net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
  const seen: Seen[] = [];
  net.router('h').handle('cam1', (req) => {
    const s: Seen = { req, aborts: 0 };
    req.signal.addEventListener('abort', () => s.aborts++);
    seen.push(s);
    return answer ? { ok: true } : new Promise(() => undefined);
  });
  return { seen, net };
}

/** The one request seen ended once, for `why`. */
function endedOnce(s: Seen | undefined, why: string | (new (...a: never[]) => Error)): void {
  expect(s?.req.signal.aborted).toBe(true);
  expect(s?.aborts).toBe(1);
  const reason = s?.req.signal.reason as Error;
  if (typeof why === 'string') expect(reason.message).toContain(why);
  else if (!(reason instanceof why)) throw new Error(`ended with ${String(reason)}`);
  else expect(reason).toBeInstanceOf(why);
}

describe('every way an open request ends aborts its signal exactly once', () => {
  it('answered', async () => {
    const { seen, net } = await setup(true);
    const c = net.router('c');
    await c.register('cam1', 'controller');
    expect((await c.command('cam1', 'x', 1)).code).toBe('SUCCESS');
    endedOnce(seen[0], 'answered');
  });

  it('superseded (and the newer one is open)', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    await c.register('cam1', 'controller');
    expect((await c.command('cam1', 'x', 1, { timeoutMs: 50 })).code).toBe('TIMEOUT');
    void c.command('cam1', 'x', 2, { timeoutMs: 50 });
    await until(() => seen.length === 2, 'the second request');
    endedOnce(seen[0], 'superseded');
    expect(seen[1]?.req.signal.aborted).toBe(false);
  });

  it('expired (responseTimeoutMs at the host)', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    await c.register('cam1', 'controller');
    void c.command('cam1', 'x', 1);
    await until(() => seen.length === 1, 'the request');
    await net.advance(120_000);
    endedOnce(seen[0], CtpTimeoutError);
  });

  it('controller unregistered', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    await c.register('cam1', 'controller');
    // The caller gives up first (its request slot frees), the host's request stays open.
    expect((await c.command('cam1', 'x', 1, { timeoutMs: 50 })).code).toBe('TIMEOUT');
    expect(seen[0]?.aborts).toBe(0);
    expect((await c.unregister('cam1', 'controller')).code).toBe('SUCCESS');
    endedOnce(seen[0], 'unregistered');
  });

  it('controller released (unreachable past the lease grace)', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    await c.register('cam1', 'controller');
    void c.command('cam1', 'x', 1);
    await until(() => seen.length === 1, 'the request');
    net.unlink('h', 'c', { forget: true });
    await net.settle();
    expect(seen[0]?.aborts).toBe(0);
    await net.advance(5_000); // leaseGraceMs
    endedOnce(seen[0], 'released');
  });

  it('controller released as idle', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    expect((await c.register('cam1', 'controller', { idleTimeoutMs: 1_000 })).code).toBe('SUCCESS');
    void c.command('cam1', 'x', 1);
    await until(() => seen.length === 1, 'the request');
    await net.advance(1_000);
    endedOnce(seen[0], 'idle');
  });

  it('node removed', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    await c.register('cam1', 'controller');
    void c.command('cam1', 'x', 1);
    await until(() => seen.length === 1, 'the request');
    net.router('h').removeNodes('cam1');
    endedOnce(seen[0], 'removed');
  });

  it('router closed (and nothing after that aborts it again)', async () => {
    const { seen, net } = await setup();
    const c = net.router('c');
    await c.register('cam1', 'controller');
    void c.command('cam1', 'x', 1);
    await until(() => seen.length === 1, 'the request');
    await net.router('h').close();
    endedOnce(seen[0], CtpClosedError);
  });

  it('a signal first read after the end is already aborted, with the same reason', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) => (id === 'h' ? { nodes: ['cam1'] } : {}));
    const reqs: CtpHandlerRequest[] = [];
    net.router('h').handle('cam1', (req) => void reqs.push(req));
    const c = net.router('c');
    await c.register('cam1', 'controller');
    expect((await c.command('cam1', 'x', 1)).code).toBe('SUCCESS');
    expect(reqs[0]?.signal.aborted).toBe(true);
    expect((reqs[0]?.signal.reason as Error).message).toContain('answered');
  });
});
