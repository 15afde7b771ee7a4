/**
 * `router.drain({ timeoutMs })` (issue 11, point 6): unregister everything,
 * let requests in flight finish, close; a TCP transport attached with
 * `closeWith: true` closes with the router.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpArgumentError, CtpRouter } from '../src/index.js';
import { TcpTransport, type TcpPeer } from '../src/tcp/index.js';
import { record, topology, until, type TestNet } from './helpers.js';

let net: TestNet | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('drain', () => {
  it('unregisters every registration at its host, lets a request in flight finish, then closes', async () => {
    let answer: (() => void) | undefined;
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h'
        ? {
            nodes: ['cam1', 'cam2'],
            app: (_n, m, r) => void (answer = () => r.respond(m.node, 'done')),
          }
        : {},
    );
    const h = net.router('h');
    const c = net.router('c');
    await c.register('cam1', 'controller');
    await c.register('cam2', 'monitor');
    const unregistered = record(c, 'unregistered');
    const inFlight = c.command('cam1', 'x', 1);
    await until(() => answer !== undefined, 'the command at the host');
    const drained = c.drain({ timeoutMs: 2000 });
    await until(() => unregistered.length === 1, 'the monitor unregistered');
    expect(c.isClosed).toBe(false); // the command is still in flight
    answer!();
    expect(await inFlight).toEqual({ code: 'SUCCESS', content: 'done' });
    await drained;
    expect(c.isClosed).toBe(true);
    expect(unregistered).toHaveLength(2);
    await net.settle();
    // the host holds nothing for c any more (no lease to wait out)
    expect(h.snapshot().nodes.cam1?.controller).toBeUndefined();
    expect(h.snapshot().nodes.cam2?.monitors ?? []).toEqual([]);
  });

  it('closes after timeoutMs even when a request never finishes (it resolves ERROR closed)', async () => {
    net = await topology(['h', 'c'], [['h', 'c']], (id) =>
      id === 'h' ? { nodes: ['cam1'], app: 'silent' } : {},
    );
    const c = net.router('c');
    await c.register('cam1', 'controller');
    const stuck = c.command('cam1', 'x', 1, { timeoutMs: 60_000 });
    await c.drain({ timeoutMs: 50 });
    expect(c.isClosed).toBe(true);
    expect(await stuck).toEqual({ code: 'ERROR', reason: 'closed' });
  });

  it('rejects CtpArgumentError for a bad timeout; ERR_CTP_CLOSED after close', async () => {
    net = await topology(['c'], []);
    const c = net.router('c');
    await expect(c.drain({ timeoutMs: -5 })).rejects.toBeInstanceOf(CtpArgumentError);
    await c.drain();
    await expect(c.drain()).rejects.toThrow(/closed/);
  });

  it('a TCP transport attached with closeWith: true closes with the router', async () => {
    const transport = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 } });
    const router = new CtpRouter<TcpPeer>(
      () => {},
      transport.send,
      () => {},
      { id: 'tcp-drain' },
    );
    transport.attach(router, { closeWith: true });
    await transport.listening();
    const port = transport.address().port;
    expect(await canConnect(port)).toBe(true);
    await router.drain({ timeoutMs: 100 });
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) refused = !(await canConnect(port));
    expect(refused).toBe(true);
    await transport.close();
    expect(() =>
      new TcpTransport().attach(router, { closeWith: 'yes' as unknown as boolean }),
    ).toThrow(CtpArgumentError);
  });

  it('without closeWith the transport stays open', async () => {
    const transport = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 } });
    const router = new CtpRouter<TcpPeer>(
      () => {},
      transport.send,
      () => {},
      { id: 'tcp-open' },
    );
    transport.attach(router);
    await transport.listening();
    await router.close();
    expect(await canConnect(transport.address().port)).toBe(true);
    await transport.close();
  });
});

/** Does a TCP connection to 127.0.0.1:`port` open? (closed again at once) */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
