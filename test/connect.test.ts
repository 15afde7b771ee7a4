import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectRouter,
  CtpArgumentError,
  ReturnCode,
  type CtpConnectedRouter,
} from '../src/index.js';

/** Does a TCP connection to `port` on 127.0.0.1 succeed? */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('connectRouter', () => {
  const open: CtpConnectedRouter[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('two routers over real TCP: handle, waitForNode, register, command<Reply>, events', async () => {
    const station = await connectRouter({
      id: 'station',
      nodes: ['pump'],
      tcp: { listen: { host: '127.0.0.1', port: 0 } },
    });
    open.push(station);
    station.handle<{ speed: number }, { rpm: number }>('pump', (req) => {
      if (req.type !== 'COMMAND') return { rpm: 0 };
      station.publish('pump', { speed: req.content.speed });
      return { rpm: req.content.speed * 100 };
    });
    const port = station.transport.address().port;
    const console_ = await connectRouter({
      id: 'console',
      tcp: { connect: [`127.0.0.1:${port}`] },
    });
    open.push(console_);
    await console_.waitForNode('pump', { timeoutMs: 5_000 });
    expect((await console_.register('pump', 'controller')).code).toBe(ReturnCode.SUCCESS);
    const events = console_.events('pump');
    const r = await console_.command<{ rpm: number }>('pump', 'motor', { speed: 3 });
    expect(r).toEqual({ code: ReturnCode.SUCCESS, content: { rpm: 300 } });
    const first = await events[Symbol.asyncIterator]().next();
    expect(first.value?.content).toEqual({ speed: 3 });
    await events.return();
  });

  it('close() closes the transport: the server stops listening and no socket is left', async () => {
    const router = await connectRouter({
      id: 'solo',
      tcp: { listen: { host: '127.0.0.1', port: 0 } },
    });
    const port = router.transport.address().port;
    expect(await accepts(port)).toBe(true);
    await router.close();
    expect(router.isClosed).toBe(true);
    expect(await accepts(port)).toBe(false);
    expect(router.transport.peers()).toEqual([]);
  });

  it('drain() closes the transport too', async () => {
    const router = await connectRouter({
      id: 'solo',
      tcp: { listen: { host: '127.0.0.1', port: 0 } },
    });
    const port = router.transport.address().port;
    await router.drain({ timeoutMs: 1_000 });
    expect(await accepts(port)).toBe(false);
  });

  it('rejects with CtpArgumentError on bad or unknown options, leaving nothing open', async () => {
    await expect(connectRouter({ id: 'x', tcp: { connect: ['nope'] } })).rejects.toBeInstanceOf(
      CtpArgumentError,
    );
    await expect(
      connectRouter({ id: 'x', tcp: {}, bogus: 1 } as unknown as Parameters<
        typeof connectRouter
      >[0]),
    ).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(
      connectRouter({ id: 'x', tcp: { lisen: {} } } as unknown as Parameters<
        typeof connectRouter
      >[0]),
    ).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(
      connectRouter({ id: 'bad id!', tcp: { listen: { host: '127.0.0.1', port: 0 } } }),
    ).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(
      connectRouter({ id: 'x' } as unknown as Parameters<typeof connectRouter>[0]),
    ).rejects.toBeInstanceOf(CtpArgumentError);
    await expect(
      connectRouter(null as unknown as Parameters<typeof connectRouter>[0]),
    ).rejects.toBeInstanceOf(CtpArgumentError);
  });

  it('rejects with the listen error when the port is taken, after closing', async () => {
    const a = await connectRouter({ id: 'a', tcp: { listen: { host: '127.0.0.1', port: 0 } } });
    open.push(a);
    const port = a.transport.address().port;
    await expect(
      connectRouter({ id: 'b', tcp: { listen: { host: '127.0.0.1', port } } }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
