/**
 * `ctp-router nodes`: print the reachable nodes, their hosts, controllers and monitors.
 */
import { parseVirtualName } from '../base/names.js';
import { networkView } from '../ui/model.js';
import { parseArgs, UsageError } from './args.js';
import { COMMON_SPEC, commonOptions, requireConnect } from './common.js';
import { CliOutput } from './output.js';
import { openClientSession } from './session.js';
import { renderDot } from './dot.js';

const SPEC = { ...COMMON_SPEC, dot: { type: 'boolean' } } as const;

/** One row of `nodes`. */
export interface NodeRow {
  node: string;
  /** The router that hosts it. */
  host: string;
  /** The neighbor router that is the next hop toward it. */
  via: string;
  controller: string | undefined;
  monitors: string[];
}

/** `ctp-router nodes [options]`: resolves to the exit code, or `'help'`. */
export async function nodesCommand(argv: string[]): Promise<number | 'help'> {
  const p = parseArgs(argv, SPEC, 'nodes');
  if (p.options.help === true) return 'help';
  const common = commonOptions(p, 'nodes');
  requireConnect(common, 'nodes');
  if (p.groups.some((g) => g.length > 0))
    throw new UsageError(`unexpected argument \`${p.groups.flat()[0] as string}\``, 'nodes');
  const out = new CliOutput(common.json);
  const session = await openClientSession(common, 'nodes', out, false);
  if (session === undefined) return 1;
  const snap = session.router.snapshot();
  await session.close();
  if (p.options.dot === true) {
    process.stdout.write(renderDot(networkView(snap)));
    return 0;
  }

  // Controllers and monitors are advertised as virtual nodes `<type>[<node>]@<router>`.
  const rows = new Map<string, NodeRow>();
  const virtual: { type: string; node: string; routerId: string }[] = [];
  for (const [name, entry] of Object.entries(snap.nodes)) {
    const v = parseVirtualName(name);
    if (v !== undefined) virtual.push(v);
    else
      rows.set(name, {
        node: name,
        host: entry.origin,
        via: entry.owner,
        controller: undefined,
        monitors: [],
      });
  }
  for (const v of virtual) {
    const row = rows.get(v.node);
    if (row === undefined) continue;
    if (v.type === 'controller') row.controller = v.routerId;
    else row.monitors.push(v.routerId);
  }
  const list = [...rows.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  if (common.json) {
    for (const r of list)
      out.line('node', '', {
        node: r.node,
        host: r.host,
        via: r.via,
        controller: r.controller ?? null,
        monitors: r.monitors.sort(),
      });
    return 0;
  }
  const table = [
    ['NODE', 'HOST', 'VIA', 'CONTROLLER', 'MONITORS'],
    ...list.map((r) => [
      r.node,
      r.host,
      r.via,
      r.controller ?? '-',
      r.monitors.length > 0 ? r.monitors.sort().join(',') : '-',
    ]),
  ];
  const widths = (table[0] as string[]).map((_, i) =>
    Math.max(...table.map((row) => (row[i] as string).length)),
  );
  for (const row of table)
    out.line(
      'node',
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join('  '),
    );
  if (list.length === 0) out.line('node', '(no nodes)');
  return 0;
}
