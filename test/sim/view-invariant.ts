/**
 * Invariant 6 (quiet time): what `ctp-router ui` and `nodes --dot` draw is
 * the network. Every router's `snapshot().routers[id]` shows each router it
 * reaches with that router's links (`neighbors`) and names (`hosted`) as the
 * simulated topology has them, and `networkView` of its snapshot has exactly
 * the links that are up in its component and, per node, the controller and
 * monitors the host records (read back from virtual nodes for remote hosts).
 */
import type { CtpSnapshot } from '../../src/snapshot.js';
import { networkView } from '../../src/ui/model.js';
import { parseVirtualName } from '../../src/base/names.js';
import type { SimView } from './invariants.js';

/** Sorted ids of the live routers `id` has an up link to. */
function linkedTo(sim: SimView, id: string): string[] {
  const out = new Set<string>();
  for (const e of sim.net.edges) {
    if (
      !e.up ||
      sim.slots.get(e.a)?.router === undefined ||
      sim.slots.get(e.b)?.router === undefined
    )
      continue;
    if (e.a === id) out.add(e.b);
    if (e.b === id) out.add(e.a);
  }
  return [...out].sort();
}

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Check invariant 6 for every live router. */
export function checkViews(
  sim: SimView,
  comps: ReadonlyMap<string, string[]>,
  snaps: ReadonlyMap<string, CtpSnapshot>,
): void {
  // A node two live routers host is a conflict: its table entry names one of them; skip it.
  const hostsOf = new Map<string, string[]>();
  for (const [id, s] of sim.slots)
    if (s.router !== undefined)
      for (const n of s.plain) hostsOf.set(n, [...(hostsOf.get(n) ?? []), id]);
  for (const [id, snap] of snaps) {
    const comp = comps.get(id) ?? [id];
    for (const other of comp) {
      if (other === id) continue;
      const r = snap.routers[other];
      const own = snaps.get(other);
      if (r === undefined || own === undefined || !r.reachable) {
        sim.fail(
          'view',
          `${id}.snapshot().routers[${other}] is ${r === undefined ? 'missing' : 'unreachable'}, though ${other} is in its component`,
        );
        continue;
      }
      const links = linkedTo(sim, other);
      if (!same(r.neighbors, links))
        sim.fail(
          'view',
          `${id} sees ${other}'s neighbors as ${JSON.stringify(r.neighbors)}; its links are ${JSON.stringify(links)}`,
        );
      const names = Object.keys(own.nodes)
        .filter((n) => own.nodes[n]?.owner === 'local')
        .sort();
      if (!same(r.hosted, names))
        sim.fail(
          'view',
          `${id} sees ${other} hosting ${JSON.stringify(r.hosted)}; it hosts ${JSON.stringify(names)}`,
        );
    }
    const view = networkView(snap);
    const inComp = new Set(comp);
    const expected = [
      ...new Set(
        comp.flatMap((a) =>
          linkedTo(sim, a)
            .filter((b) => inComp.has(b))
            .map((b) => (a < b ? `${a}|${b}` : `${b}|${a}`)),
        ),
      ),
    ].sort();
    const drawn = view.links.map((l) => `${l.a}|${l.b}${l.twoWay ? '' : ' one-way'}`).sort();
    if (!same(drawn, expected))
      sim.fail(
        'view',
        `${id}'s view draws links ${JSON.stringify(drawn)}; up in its component: ${JSON.stringify(expected)}`,
      );
    for (const row of view.nodes) {
      if ((hostsOf.get(row.node) ?? []).length !== 1) continue;
      const rec = snaps.get(row.host)?.nodes[row.node];
      const controller =
        rec?.controller === undefined ? null : (parseVirtualName(rec.controller)?.routerId ?? null);
      const monitors = (rec?.monitors ?? []).map((m) => parseVirtualName(m)?.routerId ?? m).sort();
      if (row.controller !== controller || !same(row.monitors, monitors))
        sim.fail(
          'view',
          `${id}'s view of ${row.node}: controller ${row.controller}, monitors ${JSON.stringify(row.monitors)}; its host ${row.host} records ${controller}, ${JSON.stringify(monitors)}`,
        );
    }
  }
}
