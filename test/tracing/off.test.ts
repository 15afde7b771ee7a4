/**
 * Tracing off (issue 23): `@opentelemetry/api` is installed here (a
 * devDependency) but no SDK is registered — no frame carries `traceparent`,
 * handlers run in no span, and a `traceparent` another router sent still
 * crosses a relay unchanged and reaches the host's app.
 */
import { afterEach, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { CtpTestNetwork, type CtpTestFrame } from '../../src/testing/index.js';
import type { CtpControlMessage } from '../../src/index.js';

let net: CtpTestNetwork | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

async function line(received: CtpControlMessage[]): Promise<CtpTestNetwork> {
  net = new CtpTestNetwork();
  net.addRouter('h', {
    nodes: ['cam1', 'cam2'],
    onReceived: (name, msg, router) => {
      if (name === 'EVENT') return;
      received.push(msg as CtpControlMessage);
      router.respond(msg.node, 'ok');
    },
  });
  net.addRouter('r');
  net.addRouter('c');
  net.link('c', 'r');
  net.link('r', 'h');
  await net.settle();
  expect((await net.router('c').register('cam1', 'controller')).code).toBe('SUCCESS');
  return net;
}

it('without an SDK no frame carries traceparent, and handlers run in no span', async () => {
  const received: CtpControlMessage[] = [];
  const n = await line(received);
  const frames: CtpTestFrame[] = [];
  n.onFrame = (f) => frames.push(f);
  let active: unknown = 'not run';
  n.router('h').handle('cam2', () => {
    active = trace.getActiveSpan();
    return 'ok';
  });
  expect((await n.router('c').register('cam2', 'controller')).code).toBe('SUCCESS');
  expect((await n.router('c').start('cam1', 'rec')).code).toBe('SUCCESS');
  expect((await n.router('c').command('cam1', 'pan', 1)).code).toBe('SUCCESS');
  expect((await n.router('c').stop('cam1', 'rec')).code).toBe('SUCCESS');
  expect((await n.router('c').command('cam2', 'pan', 1)).code).toBe('SUCCESS');
  expect(active).toBeUndefined();
  expect(received.map((m) => m.t)).toEqual(['START', 'COMMAND', 'STOP']);
  for (const m of received) expect(m).not.toHaveProperty('traceparent');
  expect(frames.length).toBeGreaterThan(8);
  for (const f of frames) expect(f.frame).not.toContain('traceparent');
});

it('a traceparent from another router crosses the relay unchanged to the app', async () => {
  const received: CtpControlMessage[] = [];
  const n = await line(received);
  const frames: CtpTestFrame[] = [];
  n.onFrame = (f) => frames.push(f);
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const frame = JSON.stringify({
    v: 1,
    t: 'COMMAND',
    id: 900,
    to: 'h',
    node: 'cam1',
    controller: 'controller[cam1]@c',
    app: 'pan',
    content: 1,
    traceparent,
  });
  n.inject('c', 'r', frame);
  await n.settle();
  const relayed = frames.filter(
    (f) => f.from === 'r' && f.to === 'h' && f.frame.includes('"t":"COMMAND"'),
  );
  expect(relayed).toHaveLength(1);
  // The text the relay forwards: the sender's, with hops patched in, nothing else.
  expect(relayed[0]?.frame).toBe(`${frame.slice(0, -1)},"hops":1}`);
  expect(received).toHaveLength(1);
  expect(received[0]?.traceparent).toBe(traceparent);
});
