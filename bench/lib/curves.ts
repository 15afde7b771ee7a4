/**
 * Curves for BENCHMARKS.md: the points rows carry (`BenchRow.curve`), drawn
 * per chart as a Mermaid `xychart-beta` (GitHub renders it) beside the same
 * numbers as a plain table, so the curve reads without a renderer too.
 */
import type { BenchRow, CurvePoint } from './harness.js';

interface Chart {
  title: string;
  xs: number[];
  series: Map<string, Map<number, number>>;
}

function charts(rows: readonly BenchRow[]): Chart[] {
  const out = new Map<string, Chart>();
  const points: CurvePoint[] = rows.flatMap((r) => r.curve ?? []);
  for (const p of points) {
    let c = out.get(p.chart);
    if (c === undefined) out.set(p.chart, (c = { title: p.chart, xs: [], series: new Map() }));
    if (!c.xs.includes(p.x)) c.xs.push(p.x);
    let s = c.series.get(p.series);
    if (s === undefined) c.series.set(p.series, (s = new Map()));
    s.set(p.x, p.y);
  }
  for (const c of out.values()) c.xs.sort((a, b) => a - b);
  return [...out.values()];
}

const num = (y: number): string => (Number.isInteger(y) ? String(y) : y.toFixed(1));

function render(c: Chart): string {
  const names = [...c.series.keys()];
  const max = Math.max(...[...c.series.values()].flatMap((s) => [...s.values()]));
  const lines = [
    `### ${c.title}`,
    '',
    '```mermaid',
    'xychart-beta',
    `  title "${c.title.replace(/"/g, "'")}"`,
    `  x-axis "N" [${c.xs.join(', ')}]`,
    `  y-axis 0 --> ${Math.ceil(max * 1.05)}`,
    ...names.map(
      (n) => `  line [${c.xs.map((x) => num(c.series.get(n)?.get(x) ?? 0)).join(', ')}]`,
    ),
    '```',
    '',
    `Lines, in order: ${names.map((n, i) => `${i + 1}. ${n}`).join('; ')}.`,
    '',
    `| N | ${names.join(' | ')} |`,
    `| ${['---', ...names.map(() => '---')].join(' | ')} |`,
    ...c.xs.map(
      (x) =>
        `| ${x} | ${names
          .map((n) => {
            const y = c.series.get(n)?.get(x);
            return y === undefined ? '' : num(y);
          })
          .join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}

/** The "Curves" section for the rows' points, or '' when none carries any. */
export function curvesSection(rows: readonly BenchRow[]): string {
  const cs = charts(rows);
  if (cs.length === 0) return '';
  return `## Curves\n\nFrom the same run as the table above.\n\n${cs.map(render).join('\n\n')}\n`;
}
