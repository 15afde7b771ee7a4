/**
 * Summarise a `.cpuprofile`: the functions with the most self time
 * (`node top-frames.js FILE [N] [ROUND_TRIPS]`), then the self time by group
 * (idle, GC, JSON, pending, sockets, validation, routing, framing, host,
 * other). With ROUND_TRIPS (`bench/profile.ts` prints it), each group also
 * in CPU µs per round trip: shares alone mislead on a loaded machine, where
 * idle time swells and shrinks with the load.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, n = '25', roundTrips] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file as string, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  startTime: number;
  endTime: number;
};
/** µs per sample (the profile's span over its samples). */
const usPerSample = (prof.endTime - prof.startTime) / Math.max(1, prof.samples.length);
const self = new Map<string, number>();
let total = 0;
for (const node of prof.nodes) {
  const hits = node.hitCount ?? 0;
  total += hits;
  const f = node.callFrame;
  const where =
    f.url === ''
      ? ''
      : `${f.url.replace(/^.*\/(dist-bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
  const key = `${f.functionName || '(anonymous)'} ${where}`;
  self.set(key, (self.get(key) ?? 0) + hits);
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
for (const [k, v] of rows)
  process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`);

/** The group a frame (`name url:line`) belongs to. */
function groupOf(key: string): string {
  const cut = key.lastIndexOf(' ');
  const [name, where] = [key.slice(0, cut), key.slice(cut + 1)];
  if (name === '(idle)' || name === '(program)') return name.slice(1, -1);
  if (name === 'runMicrotasks' || name === 'processTicksAndRejections') return 'ticks';
  if (name === '(garbage collector)') return 'GC';
  if (where === '' && /^(parse|stringify)$/.test(name)) return 'JSON';
  if (/caller\/(pending|requests|deadline-sweep)|host\/open-request/.test(where)) return 'pending';
  if (/wire\/|base\/(checks|messages|names)/.test(where)) return 'validation';
  if (/link-state\//.test(where)) return 'routing';
  if (/tcp\/(line-splitter|outbox|connection|transport|inbound|frame-from|budget)/.test(where))
    return 'framing';
  if (/host\//.test(where)) return 'host';
  if (
    /^node:(net|internal\/(stream|net|tls))|_tls/.test(where) ||
    /writeUtf8String|writev|writeBuffer|onStreamRead/.test(name)
  )
    return 'sockets';
  return 'other';
}
const groups = new Map<string, number>();
for (const [k, v] of self) groups.set(groupOf(k), (groups.get(groupOf(k)) ?? 0) + v);
process.stdout.write('\nby group:\n');
const perTrip = (v: number): string =>
  roundTrips === undefined
    ? ''
    : `  ${((v * usPerSample) / Number(roundTrips)).toFixed(2).padStart(6)} µs/round trip`;
for (const [g, v] of [...groups].sort((a, b) => b[1] - a[1]))
  process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${g}${perTrip(v)}\n`);
if (roundTrips !== undefined) {
  const busy = [...groups].reduce((a, [g, v]) => (g === 'idle' ? a : a + v), 0);
  process.stdout.write(`busy (all but idle, startup included)${perTrip(busy)}\n`);
}
