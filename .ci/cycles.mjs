#!/usr/bin/env node
// Import cycles in src/ (type-only imports included: a cycle of types is a
// cycle of meaning). Prints each cycle found and exits 1; prints one line and
// exits 0 when there is none.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const SPEC = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const graph = new Map();
for (const f of files(src)) {
  const text = readFileSync(f, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(SPEC)) deps.add(normalize(join(dirname(f), m[1].replace(/\.js$/, '.ts'))));
  graph.set(f, [...deps].filter((d) => d.startsWith(src)));
}

// Tarjan's strongly connected components.
let index = 0;
const stack = [];
const on = new Set();
const idx = new Map();
const low = new Map();
const cycles = [];
function connect(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) connect(v);

if (cycles.length === 0) {
  console.log(`no import cycles in src/ (${graph.size} files)`);
  process.exit(0);
}
for (const c of cycles) console.log(`import cycle: ${c.map((f) => relative(root, f)).sort().join(' <-> ')}`);
process.exit(1);
