/**
 * Codec: encode + decode of each frame type, small and with 10 KB of content,
 * beside raw `JSON.stringify` + `JSON.parse` of the same object. Target ≥ 0.8×.
 */
import { decode, encode } from '../src/wire/codec.js';
import {
  compareRates,
  emitRows,
  fmtRate,
  parseArgs,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';
import { frameSet } from './lib/fixtures.js';

const { quick, flags } = parseArgs();
const rounds = quick ? 2 : 7;
const minMs = quick ? 20 : 300;
const filter = flags.get('filter');

let sink = 0;
const rows: BenchRow[] = [];
for (const big of [false, true]) {
  for (const { name, msg } of frameSet(big)) {
    const label = `${name} ${big ? '10 KB' : 'small'}`;
    if (filter !== undefined && !label.includes(filter)) continue;
    const bytes = Buffer.byteLength(encode(msg));
    const baseline = (n: number): void => {
      for (let i = 0; i < n; i++) sink += (JSON.parse(JSON.stringify(msg)) as { v: number }).v;
    };
    const subject = (n: number): void => {
      for (let i = 0; i < n; i++) sink += decode(encode(msg)).v;
    };
    const c = await compareRates(baseline, subject, rounds, minMs);
    rows.push({
      group: 'codec encode+decode',
      name: `${label} (${bytes} B)`,
      value: fmtRate(c.subject),
      baseline: fmtRate(c.baseline),
      ratio: c.ratio,
      target: '≥ 0.8×',
      met: c.ratio >= 0.8,
      cmd: reproduce('codec', quick),
    });
    process.stderr.write(
      `codec ${label}: ${fmtRate(c.subject)} vs ${fmtRate(c.baseline)} = ${ratioText(c.ratio)}\n`,
    );
  }
}
if (sink === 42) console.log('');
emitRows(rows);
