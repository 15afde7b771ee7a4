/**
 * The cost of tracing (issue 23): command round trips between two routers in
 * one process on the in-memory network, the host answering through
 * `handle()`, with an OpenTelemetry SDK registered beside none, in the same
 * run, interleaved (compareRates). "On": a `BasicTracerProvider` that samples
 * every span, a `BatchSpanProcessor` (its defaults) and an exporter that
 * discards the batches, with the async-hooks context manager — both ends
 * record a span per request and the handler runs inside the host's. "Sampled
 * out": the same SDK with a sampler that records nothing (frames still carry
 * `traceparent`). "Context manager alone": AsyncLocalStorage's cost, which
 * any SDK setup pays, without a span. "Off" (the baseline of every row):
 * `@opentelemetry/api` installed, nothing registered.
 * The registration is switched at the start of each timed chunk.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { SMALL_CONTENT } from './lib/fixtures.js';
import {
  compareRates,
  emitRows,
  fmtRate,
  parseArgs,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';
import { nodeNames, routerPair, runInFlight } from './lib/pairs.js';

const { quick, flags } = parseArgs();
const rounds = quick ? 2 : 7;
const minMs = quick ? 100 : 500;
const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);

/** Discards every batch (ExportResultCode.SUCCESS is 0). */
const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};
const contextManager = new AsyncLocalStorageContextManager();
const sampled = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(discard)],
});
const sampledOut = new BasicTracerProvider({
  sampler: new AlwaysOffSampler(),
  spanProcessors: [new BatchSpanProcessor(discard)],
});

/** Nothing registered (the API alone). */
function off(): void {
  trace.disable();
  context.disable();
}
/** `provider` (when given) and the context manager registered, as an application's SDK setup does. */
function on(provider: BasicTracerProvider | undefined): void {
  off();
  context.setGlobalContextManager(contextManager.enable());
  if (provider !== undefined) trace.setGlobalTracerProvider(provider);
}

const GROUP = 'tracing, round trips, in-memory network (handle())';
const rows: BenchRow[] = [];
for (const k of levels) {
  const { net, client } = await routerPair(k, undefined, 'handle');
  const nodes = nodeNames(k);
  const body = (setup: () => void) => (n: number) => {
    setup();
    return runInFlight(nodes, n, (node) => client.command(node, 'ptz', SMALL_CONTENT));
  };
  for (const [name, provider] of [
    ['SDK registered, every span sampled (batch processor, exporter discarding)', sampled],
    ['SDK registered, every span sampled out', sampledOut],
    ['the context manager alone registered (no tracer provider)', undefined],
  ] as const) {
    const c = await compareRates(
      body(off),
      body(() => on(provider)),
      rounds,
      minMs,
      'cpu',
      k > 1 ? 100 : 20,
    );
    rows.push({
      group: GROUP,
      name: `${k} node${k === 1 ? '' : 's'} in flight: ${name} vs none`,
      value: fmtRate(c.subject),
      baseline: fmtRate(c.baseline),
      ratio: c.ratio,
      target: '',
      cmd: reproduce('tracing', quick),
    });
    process.stderr.write(
      `tracing ${k} in flight, ${name}: ${fmtRate(c.subject)} vs ${fmtRate(c.baseline)} = ${ratioText(c.ratio)}\n`,
    );
  }
  off();
  await net.close();
}
await Promise.all([sampled.shutdown(), sampledOut.shutdown()]);
emitRows(rows);
