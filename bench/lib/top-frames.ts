/** Summarise a `.cpuprofile`: the functions with the most self time (`node top-frames.js FILE [N]`). */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, n = '25'] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file as string, 'utf8')) as {
  nodes: Node[];
  samples: number[];
};
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
