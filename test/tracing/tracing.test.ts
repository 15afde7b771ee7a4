/**
 * Traces across hops (issue 23): with an OpenTelemetry SDK registered (an
 * in-memory exporter), a command from caller `c` through relay `r` to host
 * `h` makes one trace — the caller's CLIENT span, the host's SERVER span
 * (its child, through the frame's `traceparent`, which the relay passes
 * unchanged) and the spans the handler makes (children of the SERVER span).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { CtpTestNetwork, type CtpTestFrame } from '../../src/testing/index.js';
import { CtpReply, ReturnCode, type CtpControlMessage } from '../../src/index.js';
import { record, until } from '../helpers.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(() => {
  trace.disable();
  context.disable();
});

let net: CtpTestNetwork | undefined;
let frames: CtpTestFrame[] = [];
beforeEach(() => {
  exporter.reset();
  frames = [];
});
afterEach(async () => {
  await net?.close();
  net = undefined;
});

/** c — r — h; h hosts cam1 (and cam2 without a handler); c controls both. */
async function line(
  onReceived?: (name: string, msg: CtpControlMessage) => void,
): Promise<CtpTestNetwork> {
  net = new CtpTestNetwork();
  net.addRouter('h', {
    nodes: ['cam1', 'cam2'],
    onReceived: (name, msg) => {
      if (name !== 'EVENT') onReceived?.(name, msg as CtpControlMessage);
    },
  });
  net.addRouter('r');
  net.addRouter('c');
  net.link('c', 'r');
  net.link('r', 'h');
  await net.settle();
  expect((await net.router('c').register('cam1', 'controller')).code).toBe('SUCCESS');
  expect((await net.router('c').register('cam2', 'controller')).code).toBe('SUCCESS');
  net.onFrame = (f) => frames.push(f);
  return net;
}

const spans = (name: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.name === name);
const one = (name: string, kind?: SpanKind): ReadableSpan => {
  const found = spans(name).filter((s) => kind === undefined || s.kind === kind);
  expect(found, `${name} spans`).toHaveLength(1);
  return found[0] as ReadableSpan;
};
/** The control frames of type `t` put on the link from → to, decoded. */
const sent = (t: string, from: string, to: string): Record<string, unknown>[] =>
  frames
    .filter((f) => f.from === from && f.to === to)
    .map((f) => JSON.parse(f.frame) as Record<string, unknown>)
    .filter((m) => m.t === t);

describe('a command across a relay', () => {
  it('CLIENT span at the caller, SERVER span at the host as its child, handler spans as the SERVER span children; the relay forwards traceparent unchanged', async () => {
    const n = await line();
    const tracer = trace.getTracer('app');
    n.router('h').handle('cam1', async (req) => {
      tracer.startSpan('in handler').end();
      await new Promise<void>((r) => setImmediate(r));
      // Still inside the SERVER span after an await (async context).
      tracer.startSpan('after await').end();
      return { got: req.type === 'COMMAND' ? req.content : null };
    });
    const result = await tracer.startActiveSpan('app op', async (op) => {
      try {
        return await n.router('c').command('cam1', 'pan', { deg: 3 });
      } finally {
        op.end();
      }
    });
    expect(result).toEqual({ code: 'SUCCESS', content: { got: { deg: 3 } } });
    const op = one('app op');
    const client = one('CTP COMMAND', SpanKind.CLIENT);
    const server = one('CTP COMMAND', SpanKind.SERVER);
    // The caller's span is a child of the app's active span.
    expect(client.parentSpanContext?.spanId).toBe(op.spanContext().spanId);
    expect(client.spanContext().traceId).toBe(op.spanContext().traceId);
    expect(client.attributes).toEqual({
      'ctp.node': 'cam1',
      'ctp.app': 'pan',
      'ctp.code': 'SUCCESS',
    });
    expect(client.status.code).toBe(SpanStatusCode.UNSET);
    expect(client.instrumentationScope.name).toBe('ctp-router');
    // The host's span: the caller's is its remote parent, same trace.
    expect(server.spanContext().traceId).toBe(client.spanContext().traceId);
    expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(server.parentSpanContext?.isRemote).toBe(true);
    expect(server.attributes).toMatchObject({
      'ctp.node': 'cam1',
      'ctp.app': 'pan',
      'ctp.code': 'SUCCESS',
    });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    for (const name of ['in handler', 'after await']) {
      const child = one(name);
      expect(child.parentSpanContext?.spanId, name).toBe(server.spanContext().spanId);
      expect(child.spanContext().traceId, name).toBe(client.spanContext().traceId);
    }
    // The frame: the caller's span as traceparent, unchanged by the relay (only hops changed).
    const first = sent('COMMAND', 'c', 'r');
    const relayed = sent('COMMAND', 'r', 'h');
    expect(first).toHaveLength(1);
    expect(relayed).toHaveLength(1);
    const { traceId, spanId } = client.spanContext();
    expect(first[0]?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(relayed[0]?.traceparent).toBe(first[0]?.traceparent);
    expect(relayed[0]?.hops).toBe(1);
    // The relay records nothing of its own, and answers carry no traceparent.
    expect(exporter.getFinishedSpans()).toHaveLength(5);
    expect(sent('RESPONSE', 'h', 'r')[0]).not.toHaveProperty('traceparent');
  });

  it('START and STOP too; a code other than SUCCESS is an error status on both ends', async () => {
    const n = await line();
    n.router('h').handle('cam1', (req) => {
      if (req.type === 'STOP') throw new CtpReply(ReturnCode.REJECTED, undefined, 'busy');
      return 'ok';
    });
    expect((await n.router('c').start('cam1', 'rec')).code).toBe('SUCCESS');
    expect(await n.router('c').stop('cam1', 'rec')).toEqual({ code: 'REJECTED', reason: 'busy' });
    const startClient = one('CTP START', SpanKind.CLIENT);
    expect(one('CTP START', SpanKind.SERVER).parentSpanContext?.spanId).toBe(
      startClient.spanContext().spanId,
    );
    expect(startClient.attributes['ctp.app']).toBe('rec');
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const stop = one('CTP STOP', kind);
      expect(stop.attributes['ctp.code']).toBe('REJECTED');
      expect(stop.status).toEqual({ code: SpanStatusCode.ERROR, message: 'busy' });
    }
    expect(sent('STOP', 'r', 'h')[0]?.traceparent).toBe(sent('STOP', 'c', 'r')[0]?.traceparent);
  });

  it('onReceived runs inside the SERVER span, which ends when the app responds', async () => {
    const tracer = trace.getTracer('app');
    let inside: string | undefined;
    const n = await line(() => {
      inside = trace.getActiveSpan()?.spanContext().spanId;
      tracer.startSpan('in onReceived').end();
    });
    const pending = n.router('c').command('cam2', 'zoom', 1);
    await until(() => inside !== undefined, 'onReceived');
    expect(spans('CTP COMMAND').filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(0);
    expect(n.router('h').respond('cam2', { z: 1 }).code).toBe('SUCCESS');
    expect((await pending).code).toBe('SUCCESS');
    const server = one('CTP COMMAND', SpanKind.SERVER);
    expect(server.spanContext().spanId).toBe(inside);
    expect(one('in onReceived').parentSpanContext?.spanId).toBe(inside);
    expect(server.attributes['ctp.code']).toBe('SUCCESS');
  });

  it('a handler that fails: both spans end in error, the host span says why', async () => {
    const n = await line();
    const errors = record(n.router('h'), 'error');
    n.router('h').handle('cam1', () => {
      throw new Error('boom');
    });
    expect(await n.router('c').command('cam1', 'pan', 1)).toEqual({
      code: 'ERROR',
      reason: 'host-callback-failed',
    });
    expect(errors).toHaveLength(1);
    const server = one('CTP COMMAND', SpanKind.SERVER);
    expect(server.attributes).toMatchObject({ 'ctp.code': 'ERROR', 'ctp.end': 'failed' });
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    const client = one('CTP COMMAND', SpanKind.CLIENT);
    expect(client.status).toEqual({ code: SpanStatusCode.ERROR, message: 'host-callback-failed' });
  });

  it('a request the caller gave up on, superseded at the host: TIMEOUT at the caller, the reason at the host', async () => {
    const n = await line(() => {});
    const first = n.router('c').command('cam2', 'pan', 1, { timeoutMs: 50 });
    await until(() => sent('COMMAND', 'r', 'h').length === 1, 'the first command at h');
    await n.advance(60);
    expect((await first).code).toBe('TIMEOUT');
    const second = n.router('c').command('cam2', 'pan', 2);
    await until(() => sent('COMMAND', 'r', 'h').length === 2, 'the second command at h');
    await n.settle();
    expect(n.router('h').respond('cam2', 'ok').code).toBe('SUCCESS');
    expect((await second).code).toBe('SUCCESS');
    const clients = spans('CTP COMMAND').filter((s) => s.kind === SpanKind.CLIENT);
    const servers = spans('CTP COMMAND').filter((s) => s.kind === SpanKind.SERVER);
    expect(clients.map((s) => s.attributes['ctp.code'])).toEqual(['TIMEOUT', 'SUCCESS']);
    expect(clients[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(servers).toHaveLength(2);
    expect(servers[0]?.attributes['ctp.end']).toBe('superseded');
    expect(servers[0]?.attributes['ctp.code']).toBeUndefined();
    expect(servers[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'superseded' });
    expect(servers[1]?.attributes['ctp.code']).toBe('SUCCESS');
    // Each SERVER span is the child of its own CLIENT span.
    expect(servers.map((s) => s.parentSpanContext?.spanId)).toEqual(
      clients.map((s) => s.spanContext().spanId),
    );
  });
});

describe('hostile frames', () => {
  const command = (traceparent: unknown, controller = 'controller[cam1]@c'): string =>
    JSON.stringify({
      v: 1,
      t: 'COMMAND',
      id: 900,
      node: 'cam1',
      controller,
      app: 'pan',
      content: 1,
      traceparent,
    });

  it.each([
    ['uppercase hex', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
    ['an all-zero parent id', `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`],
    ['another version', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['a suffix', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'],
    ['a short trace id', '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01'],
    ['a number', 42],
    ['an object', { traceId: 'x' }],
    ['null', null],
  ])(
    'a traceparent with %s drops the frame (malformed) at the relay: nothing forwarded, no span',
    async (_, bad) => {
      const n = await line();
      let handled = 0;
      n.router('h').handle('cam1', () => ++handled);
      const drops = record<{ reason: string; t?: string }>(n.router('r'), 'dropped');
      n.inject('c', 'r', command(bad));
      await n.settle();
      expect(drops.map((d) => d.reason)).toEqual(['malformed']);
      expect(sent('COMMAND', 'r', 'h')).toHaveLength(0);
      expect(handled).toBe(0);
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      // And at the host itself.
      const hostDrops = record<{ reason: string }>(n.router('h'), 'dropped');
      n.inject('r', 'h', command(bad));
      await n.settle();
      expect(hostDrops.map((d) => d.reason)).toEqual(['malformed']);
      expect(handled).toBe(0);
      expect(exporter.getFinishedSpans()).toHaveLength(0);
    },
  );

  it('a valid traceparent from a peer parents the SERVER span, even when the host answers at once (REJECTED)', async () => {
    const n = await line();
    n.router('h').handle('cam1', () => 'ok');
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    // A controller that is not cam1's: REJECTED without opening the request.
    n.inject('r', 'h', command(parent, 'controller[cam1]@r'));
    await n.settle();
    const server = one('CTP COMMAND', SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(server.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(server.attributes['ctp.code']).toBe('REJECTED');
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
  });
});
