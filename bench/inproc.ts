/**
 * Command → response round trips between two routers in one process on the
 * in-memory network, with 1 and 1024 nodes in flight, beside the raw
 * request/response over the same delivery with JSON per hop (target ≥ 0.7×,
 * issue 24); and a host answering through `handle()` beside one answering
 * through `onReceived` + `respond` (target ≥ 0.9×).
 */
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
import { nodeNames, RawPair, routerPair, runInFlight } from './lib/pairs.js';

const { quick, flags } = parseArgs();
const rounds = quick ? 2 : 7;
const minMs = quick ? 100 : 500;
const levels = (flags.get('inflight') ?? '1,1024').split(',').map(Number);

const rows: BenchRow[] = [];
for (const k of levels) {
  const { net, client } = await routerPair(k);
  const raw = new RawPair();
  const nodes = nodeNames(k);
  const c = await compareRates(
    (n) => runInFlight(nodes, n, (node) => raw.command(node)),
    (n) => runInFlight(nodes, n, (node) => client.command(node, 'ptz', SMALL_CONTENT)),
    rounds,
    minMs,
    'cpu',
    // Each chunk must be much longer than one ramp of k workers.
    k > 1 ? 100 : 20,
  );
  await net.close();
  rows.push({
    group: 'round trips, in-memory network',
    name: `${k} node${k === 1 ? '' : 's'} in flight`,
    value: fmtRate(c.subject),
    baseline: fmtRate(c.baseline),
    ratio: c.ratio,
    target: '≥ 0.7×',
    met: c.ratio >= 0.7,
    cmd: reproduce('inproc', quick),
  });
  process.stderr.write(
    `inproc ${k} in flight: ${fmtRate(c.subject)} vs ${fmtRate(c.baseline)} = ${ratioText(c.ratio)}\n`,
  );
  // The recommended host API beside the low-level one, same client.
  const a = await routerPair(k);
  const h = await routerPair(k, undefined, 'handle');
  const d = await compareRates(
    (n) => runInFlight(nodes, n, (node) => a.client.command(node, 'ptz', SMALL_CONTENT)),
    (n) => runInFlight(nodes, n, (node) => h.client.command(node, 'ptz', SMALL_CONTENT)),
    rounds,
    minMs,
    'cpu',
    k > 1 ? 100 : 20,
  );
  await a.net.close();
  await h.net.close();
  rows.push({
    group: 'round trips, in-memory network',
    name: `${k} node${k === 1 ? '' : 's'} in flight, host answering through handle() vs onReceived + respond()`,
    value: fmtRate(d.subject),
    baseline: fmtRate(d.baseline),
    ratio: d.ratio,
    target: '≥ 0.9×',
    met: d.ratio >= 0.9,
    cmd: reproduce('inproc', quick),
  });
  process.stderr.write(
    `inproc ${k} in flight, handle() vs respond(): ${fmtRate(d.subject)} vs ${fmtRate(d.baseline)} = ${ratioText(d.ratio)}\n`,
  );
}
emitRows(rows);
