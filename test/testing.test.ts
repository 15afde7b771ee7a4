/**
 * `ctp-router/testing` (issue 11, point 8): callbacks typed as the router's,
 * and the link / crash / restart semantics.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { CtpControlMessage, CtpEvent } from '../src/index.js';
import { CtpTestNetwork, type CtpTestReceivedCallback } from '../src/testing/index.js';

let net: CtpTestNetwork | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('the test network', () => {
  it('runs the README sequence: unlink → crash → restart → inject', async () => {
    net = new CtpTestNetwork();
    net.addRouter('station', {
      nodes: ['cam1'],
      onReceived: (name, msg, router) => {
        if (name !== 'EVENT') router.respond(msg.node, { done: msg.app });
      },
    });
    const consoleRouter = net.addRouter('console');
    net.link('station', 'console');
    await net.settle();
    await consoleRouter.register('cam1', 'controller');
    expect(await consoleRouter.command('cam1', 'pan', { deg: 30 })).toEqual({
      code: 'SUCCESS',
      content: { done: 'pan' },
    });
    net.unlink('station', 'console');
    expect(net.linked('station', 'console')).toBe(false);
    net.crash('console');
    const restarted = net.restart('console');
    // the configured link comes back up with the restarted router
    expect(net.linked('station', 'console')).toBe(true);
    const dropped: unknown[] = [];
    restarted.on('dropped', (d) => dropped.push(d.reason));
    net.inject('station', 'console', 'garbage');
    await net.settle();
    expect(dropped).toEqual(['malformed']);
    expect(restarted.nodes()).toEqual(['cam1']);
  });

  it('a link taken down stays down until link() again or a restart; forget removes it for good', async () => {
    net = new CtpTestNetwork();
    net.addRouter('a', { nodes: ['n'] });
    net.addRouter('b');
    net.link('a', 'b');
    net.unlink('a', 'b');
    expect(() => net!.inject('a', 'b', '{}')).toThrow(/not linked/);
    net.link('a', 'b');
    expect(net.linked('a', 'b')).toBe(true);
    net.unlink('a', 'b', { forget: true });
    net.crash('b');
    net.restart('b');
    expect(net.linked('a', 'b')).toBe(false);
    expect(() => net!.link('a', 'a')).toThrow(/itself/);
    expect(() => net!.restart('zz')).toThrow(/no router zz/);
  });

  it('restart links every configured link whose other end runs, also when that end crashed and came back first', async () => {
    net = new CtpTestNetwork();
    net.addRouter('a', { nodes: ['n'] });
    net.addRouter('b');
    net.addRouter('c');
    net.link('a', 'b');
    net.link('b', 'c');
    net.crash('b');
    net.crash('c');
    net.restart('c'); // b is down: c comes up alone
    expect(net.linked('b', 'c')).toBe(false);
    net.restart('b'); // both of b's links come back
    expect(net.neighbors('b').sort()).toEqual(['a', 'c']);
    await net.settle();
    expect(net.router('c').nodes()).toEqual(['n']);
  });

  it('callbacks are typed as the router’s: msg narrows on name with two or three parameters; async is fine', async () => {
    const three: CtpTestReceivedCallback = (name, msg, router) => {
      if (name === 'EVENT') expectTypeOf(msg).toEqualTypeOf<CtpEvent>();
      else {
        expectTypeOf(msg).toEqualTypeOf<CtpControlMessage>();
        router.respond(msg.node, msg.app);
      }
    };
    const two: CtpTestReceivedCallback = async (name, msg) => {
      if (name !== 'EVENT') expectTypeOf(msg.app).toEqualTypeOf<string>();
    };
    net = new CtpTestNetwork();
    const seen: string[] = [];
    net.addRouter('h', { nodes: ['cam1'], onReceived: three });
    net.addRouter('m', { onReceived: (name, msg) => void seen.push(`${name}:${msg.node}`) });
    net.addRouter('x', { onReceived: two });
    net.link('h', 'm');
    await net.settle();
    const m = net.router('m');
    await m.register('cam1', 'controller');
    expect(await m.command('cam1', 'pan', 1)).toEqual({ code: 'SUCCESS', content: 'pan' });
    net.router('h').publish('cam1', 1);
    await net.settle();
    expect(seen).toEqual(['EVENT:cam1']);
  });
});
