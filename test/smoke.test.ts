import { describe, expect, it } from 'vitest';
import { CtpTestNetwork } from '../src/testing/index.js';

describe('smoke', () => {
  it('line of 3', async () => {
    const net = new CtpTestNetwork();
    const events: unknown[] = [];
    net.addRouter('st', {
      nodes: ['cam1'],
      onReceived: (name, msg, r) => {
        if (name !== 'EVENT') r.respond(msg.node, { ok: name });
      },
    });
    net.addRouter('mid');
    const con = net.addRouter('con', { onReceived: (n, m) => events.push([n, m]) });
    net.link('st', 'mid');
    net.link('mid', 'con');
    await net.settle();
    expect(con.nodes()).toEqual(['cam1']);
    expect(await con.register('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    expect(await con.command('cam1', 'pan', { deg: 3 })).toEqual({
      code: 'SUCCESS',
      content: { ok: 'COMMAND' },
    });
    expect(net.router('st').publish('cam1', 'hello')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    expect(events.length).toBe(1);
    console.log(JSON.stringify(net.router('st').snapshot()), net.router('mid').stats());
    expect(await con.unregister('cam1', 'controller')).toEqual({ code: 'SUCCESS' });
    await net.settle();
    expect(net.router('st').nodes()).toEqual(['cam1']);
    await net.close();
  });
});
