/**
 * `nodes --dot`: the view as Graphviz DOT. Parsed by `dot -Tsvg` where
 * Graphviz is installed; a small tokenizer checks the DOT everywhere.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dotString, renderDot } from '../../src/cli/dot.js';
import type { CtpNetworkView } from '../../src/ui/model.js';

const hasDot = spawnSync('dot', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasDot)
  console.warn(
    'test/ui/dot.test.ts: Graphviz `dot` not found: skipped "dot -Tsvg parses the output" (the tokenizer tests still run)',
  );

const HOSTILE = [
  'a"b',
  'back\\slash\\',
  'x]@y',
  '}; graph evil {',
  '__proto__',
  'ünï cødé ✓',
  '\\N\\G',
];

const view: CtpNetworkView = {
  self: 'obs',
  routers: [
    { id: 'obs', self: true, reachable: true, nodes: [] },
    { id: 'peer-a', self: false, reachable: true, nodes: ['cam1', ...HOSTILE] },
    { id: 'peer-b', self: false, reachable: true, nodes: [] },
    { id: 'peer-c', self: false, reachable: true, nodes: [] },
  ],
  links: [
    { a: 'obs', b: 'peer-c', twoWay: true },
    { a: 'peer-a', b: 'peer-b', twoWay: true },
    { a: 'peer-b', b: 'peer-c', twoWay: false },
  ],
  nodes: [
    {
      node: 'cam1',
      host: 'peer-a',
      via: 'peer-c',
      controller: 'peer-b',
      monitors: ['obs', 'peer-c'],
    },
    ...HOSTILE.map((node) => ({
      node,
      host: 'peer-a',
      via: 'peer-c',
      controller: null,
      monitors: [],
    })),
  ],
  unreachable: [{ id: 'gone', self: false, reachable: false, nodes: ['old"1', 'old2'] }],
};

/** Tokens of DOT: quoted strings (with escapes), identifiers, numbers, operators. Throws on anything else. */
function tokens(text: string): string[] {
  const out: string[] = [];
  const re = /\s+|"(?:[^"\\]|\\[^])*"|[A-Za-z_][A-Za-z_0-9]*|-?\d+(?:\.\d+)?|--|[{}[\];,=]/y;
  while (re.lastIndex < text.length) {
    const at = re.lastIndex;
    const m = re.exec(text);
    if (m === null) throw new Error(`bad DOT at ${at}: ${JSON.stringify(text.slice(at, at + 20))}`);
    if (!/^\s+$/.test(m[0])) out.push(m[0]);
  }
  return out;
}

/** SVG text as drawn: entities decoded. */
function decode(svg: string): string {
  const named: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
  return svg.replace(
    /&(?:#(\d+)|#x([0-9a-f]+)|(\w+));/gi,
    (m, dec: string, hex: string, name: string) =>
      dec !== undefined
        ? String.fromCodePoint(Number(dec))
        : hex !== undefined
          ? String.fromCodePoint(parseInt(hex, 16))
          : (named[name] ?? m),
  );
}

describe('renderDot', () => {
  it("draws a broadcast medium's pseudo-node as a bus (a cylinder), routers as boxes", () => {
    const bus: CtpNetworkView = {
      self: 'm1',
      routers: [
        { id: 'm1', self: true, reachable: true, nodes: [] },
        { id: 'bus:ctp:m1', self: false, reachable: true, nodes: [], bus: true },
        { id: 'm2', self: false, reachable: true, nodes: ['cam'] },
      ],
      links: [
        { a: 'bus:ctp:m1', b: 'm1', twoWay: true },
        { a: 'bus:ctp:m1', b: 'm2', twoWay: true },
      ],
      nodes: [{ node: 'cam', host: 'm2', via: 'm2', controller: null, monitors: [] }],
      unreachable: [],
    };
    const dot = renderDot(bus);
    expect(dot).toMatch(/"router:bus:ctp:m1" \[label="bus:ctp:m1", shape=cylinder/);
    expect(dot).toMatch(/"router:m2" \[label="m2", shape=box/);
    expect(() => tokens(dot)).not.toThrow();
  });

  it('quotes and escapes every name', () => {
    expect(dotString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(dotString('x\ny')).toBe('"x y"');
  });

  it('tokenizes, braces balance, every router, link and registrant is a statement', () => {
    const dot = renderDot(view);
    const t = tokens(dot);
    expect(t.slice(0, 2)).toEqual(['graph', 'ctp']);
    let depth = 0;
    for (const tok of t) {
      if (tok === '{') depth++;
      if (tok === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    expect(t.at(-1)).toBe('}');
    expect(dot).toContain('"router:peer-a" -- "router:peer-b" [penwidth=2]');
    expect(dot).toContain(
      '"router:peer-b" -- "router:peer-c" [penwidth=2, style=dashed, label="one-way"]',
    );
    expect(dot).toContain('"node:cam1" -- "router:peer-b" [label="controller"');
    expect(dot).toContain('"node:cam1" -- "router:obs" [label="monitor"');
    expect(dot).toContain('"node:cam1" -- "router:peer-c" [label="monitor"');
    expect(dot).toContain('"node:a\\"b"');
    expect(dot).toContain('label="gone\\nold\\"1, old2"');
    expect(dot).toContain('label="obs (observer)"');
    // The hostile name does not close the graph.
    expect(dot.match(/^graph /gm)).toHaveLength(1);
  });

  it.skipIf(!hasDot)('dot -Tsvg parses the output and draws every name', () => {
    const r = spawnSync('dot', ['-Tsvg'], {
      input: renderDot(view),
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('<svg');
    const svg = decode(r.stdout);
    for (const name of ['cam1', 'peer-a', 'peer-b', 'peer-c', 'obs', ...HOSTILE])
      expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain('>one-way</text>');
    expect(svg).toContain('>old"1, old2</text>');
  });

  it.skipIf(!hasDot)('dot -Tsvg parses an empty network', () => {
    const empty: CtpNetworkView = {
      self: 'me',
      routers: [{ id: 'me', self: true, reachable: true, nodes: [] }],
      links: [],
      nodes: [],
      unreachable: [],
    };
    const r = spawnSync('dot', ['-Tsvg'], {
      input: renderDot(empty),
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(r.status, r.stderr).toBe(0);
  });
});
