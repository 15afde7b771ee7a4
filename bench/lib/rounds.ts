/** One measuring round of the two-process round-trip suites (tcp, tls). */
import { performance } from 'node:perf_hooks';
import type { Child } from './child.js';

export interface RunResult {
  rate: number;
  latencies: number[];
  /** CPU µs per round trip in this process and in the server process. */
  cpuHere: number;
  cpuThere: number;
}

/**
 * Open a measuring window of `ms` (wall time and the CPU of both processes);
 * `close(ops, latencies)` gives the result.
 */
export async function measuring(
  server: Child,
  ms: number,
): Promise<{ end: number; close(ops: number, latencies: number[]): Promise<RunResult> }> {
  const there0 = await server.cpu();
  const here0 = process.cpuUsage();
  const t0 = performance.now();
  return {
    end: t0 + ms,
    async close(ops, latencies) {
      const rate = (ops / (performance.now() - t0)) * 1000;
      const here = process.cpuUsage(here0);
      const there = (await server.cpu()) - there0;
      return { rate, latencies, cpuHere: (here.user + here.system) / ops, cpuThere: there / ops };
    },
  };
}

/** Keep `k` requests in flight (one per node) for `ms`; rate and per-request latencies. */
export async function run(
  nodes: readonly string[],
  k: number,
  ms: number,
  command: (node: string) => Promise<unknown>,
  server: Child,
): Promise<RunResult> {
  const latencies: number[] = [];
  let ops = 0;
  const { end, close } = await measuring(server, ms);
  const worker = async (node: string): Promise<void> => {
    for (;;) {
      const s = performance.now();
      if (s >= end) return;
      await command(node);
      latencies.push(performance.now() - s);
      ops++;
    }
  };
  await Promise.all(nodes.slice(0, k).map(worker));
  return close(ops, latencies);
}
