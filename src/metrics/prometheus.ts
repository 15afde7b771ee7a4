/**
 * The metrics in a prom-client registry (docs/operations.md#metrics): one
 * prom-client metric per family of `CTP_METRIC_FAMILIES`, filled from the
 * snapshots at each scrape. The prom-client module is passed in: the router
 * never loads it (the CLI imports it only for `--metrics`).
 */
import type * as PromClient from 'prom-client';
import { REQUEST_DURATION_BUCKETS } from './meter.js';
import {
  CTP_METRIC_FAMILIES,
  type CtpDurationSample,
  type CtpLinkMetrics,
  type CtpMetrics,
} from './metrics.js';

/** What `registerCtpMetrics` uses of the prom-client module (`import client from 'prom-client'`). */
export type CtpPromClient = Pick<typeof PromClient, 'Counter' | 'Gauge' | 'Histogram' | 'register'>;

/** What one scrape reads: a router's `metrics()`, a transport's, or both merged. */
export type CtpMetricsReader = () => Partial<CtpMetrics & CtpLinkMetrics>;

/** A sample's labels: its fields but `value` (absent ones left out). */
function labelsOf(sample: Record<string, unknown>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(sample))
    if (k !== 'value' && v !== undefined) labels[k] = String(v);
  return labels;
}

type HistogramValues = Awaited<ReturnType<PromClient.Histogram<string>['get']>>;

/** `ctp_request_duration_seconds` as prom-client's `get` returns a histogram. */
function histogramOf(name: string, help: string, samples: unknown): HistogramValues {
  const values: HistogramValues['values'] = [];
  for (const d of (samples as CtpDurationSample[] | undefined) ?? []) {
    const bucket = `${name}_bucket`;
    d.buckets.forEach((value, i) =>
      values.push({
        metricName: bucket,
        labels: { type: d.type, le: REQUEST_DURATION_BUCKETS[i] },
        value,
      }),
    );
    values.push({ metricName: bucket, labels: { type: d.type, le: '+Inf' }, value: d.count });
    values.push({ metricName: `${name}_sum`, labels: { type: d.type }, value: d.sum });
    values.push({ metricName: `${name}_count`, labels: { type: d.type }, value: d.count });
  }
  // The typings declare `type` as an enum prom-client does not export; the registry prints the string.
  const type = 'histogram' as unknown as HistogramValues['type'];
  return { name, help, type, values, aggregator: 'sum', collect: () => undefined };
}

/**
 * Register the ctp metrics in `registry` (prom-client's default one unless
 * given), read through `read` once per scrape. `client`: the prom-client
 * module (`await import('prom-client')`). Throws prom-client's error when a
 * metric of the same name is registered already.
 * @example
 * {@includeCode ../../docs/api-examples/metrics.ts}
 */
export function registerCtpMetrics(
  client: CtpPromClient,
  read: CtpMetricsReader,
  registry: PromClient.Registry = client.register,
): void {
  // One read per scrape: the registry collects every metric in one synchronous pass.
  let cached: ReturnType<CtpMetricsReader> | undefined;
  const snapshot = (): ReturnType<CtpMetricsReader> => {
    if (cached === undefined) {
      cached = read();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  const samples = (name: string): unknown => (snapshot() as Record<string, unknown>)[name];

  for (const f of CTP_METRIC_FAMILIES) {
    const base = { name: f.name, help: f.help, labelNames: f.labelNames, registers: [registry] };
    if (f.type === 'histogram') {
      // prom-client has no way to set a histogram's buckets: what the registry reads gives them
      // (`get` for JSON, `getForPromString` for the text format; the same values serve both).
      const h = new client.Histogram({ ...base, buckets: [...REQUEST_DURATION_BUCKETS] });
      const get = (): Promise<HistogramValues> =>
        Promise.resolve(histogramOf(f.name, f.help, samples(f.name)));
      Object.assign(h, { get, getForPromString: get });
    } else if (f.type === 'gauge')
      new client.Gauge({
        ...base,
        collect() {
          const v = samples(f.name);
          if (typeof v === 'number') this.set(v);
        },
      });
    else
      new client.Counter({
        ...base,
        collect() {
          const v = samples(f.name);
          if (v === undefined) return;
          this.reset();
          if (typeof v === 'number') this.inc(v);
          else for (const s of v as { value: number }[]) this.inc(labelsOf(s), s.value);
        },
      });
  }
}
