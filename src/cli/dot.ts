/**
 * `ctp-router nodes --dot`: the view `ctp-router ui` draws, as Graphviz DOT
 * (an undirected graph: one cluster per router holding its nodes, router
 * links, controller and monitor edges, unreachable adverts in a cluster apart).
 */
import type { CtpNetworkView, CtpViewRouter } from '../ui/model.js';

/** A DOT quoted string (names may hold `"` and `\`; never control characters). */
export function dotString(text: string): string {
  return `"${escape(text)}"`;
}

function escape(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\r\n]/g, ' ');
}

const routerId = (id: string): string => dotString(`router:${id}`);
const nodeId = (node: string): string => dotString(`node:${node}`);

function cluster(
  lines: string[],
  index: number,
  r: CtpViewRouter,
  nodeIds: (n: string) => string,
): void {
  lines.push(`  subgraph ${dotString(`cluster_${index}`)} {`);
  lines.push(
    `    label=${dotString(r.self ? `${r.id} (observer)` : r.id)}; style=rounded; color=${r.self ? '"#0b7a53"' : '"#2f5fb3"'};`,
  );
  lines.push(
    `    ${routerId(r.id)} [label=${dotString(r.id)}, ${r.bus === true ? 'shape=cylinder, style=filled, fillcolor="#eef0f3"' : 'shape=box, style=filled, fillcolor="#e8eefb"'}];`,
  );
  for (const n of r.nodes)
    lines.push(
      `    ${nodeIds(n)} [label=${dotString(n)}, shape=ellipse, style=filled, fillcolor="#f0a020"];`,
    );
  lines.push('  }');
}

/** Render the view as a DOT graph named `ctp`. */
export function renderDot(view: CtpNetworkView): string {
  const lines = [
    'graph ctp {',
    `  graph [label=${dotString(`ctp-router network seen from ${view.self}`)}, labelloc=t, fontname="sans-serif"];`,
  ];
  lines.push('  node [fontname="sans-serif"]; edge [fontname="sans-serif", fontsize=10];');
  // Each node in its host's cluster, as the table has it (a name two routers advertise is drawn once).
  view.routers.forEach((r, i) =>
    cluster(
      lines,
      i,
      { ...r, nodes: view.nodes.filter((n) => n.host === r.id).map((n) => n.node) },
      nodeId,
    ),
  );
  for (const l of view.links)
    lines.push(
      `  ${routerId(l.a)} -- ${routerId(l.b)} [penwidth=2${l.twoWay ? '' : ', style=dashed, label="one-way"'}];`,
    );
  const reachable = new Set(view.routers.map((r) => r.id));
  for (const n of view.nodes) {
    if (n.controller !== null && reachable.has(n.controller))
      lines.push(
        `  ${nodeId(n.node)} -- ${routerId(n.controller)} [label="controller", color="#c0392b", fontcolor="#c0392b"];`,
      );
    for (const m of n.monitors)
      if (reachable.has(m))
        lines.push(
          `  ${nodeId(n.node)} -- ${routerId(m)} [label="monitor", style=dashed, color="#7d3cb5", fontcolor="#7d3cb5"];`,
        );
  }
  if (view.unreachable.length > 0) {
    lines.push(
      `  subgraph "cluster_unreachable" {`,
      '    label="unreachable adverts"; style=dashed; color=gray; fontcolor=gray;',
    );
    for (const r of view.unreachable) {
      const label = `"${escape(r.id)}${r.nodes.length > 0 ? `\\n${escape(r.nodes.join(', '))}` : ''}"`;
      lines.push(
        `    ${dotString(`unreachable:${r.id}`)} [label=${label}, shape=box, style=dashed, color=gray, fontcolor=gray];`,
      );
    }
    lines.push('  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
