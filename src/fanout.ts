/**
 * EVENT fan-out at the host: ONE EVENT per destination router. A router that
 * is the controller and a monitor of a node (or holds several of its
 * registrations) gets each event once, addressed to one of its virtual nodes
 * — the controller's when it holds it, else its first monitor's — as SPEC's
 * wire format has it (an EVENT's `monitor` is one virtual node). It saves
 * the frames, and the registrant needs no de-duplication.
 */

/** The EVENT destinations: one virtual node per registrant router, the controller first. */
export function eventTargets(controller: string | undefined, monitors: ReadonlySet<string>): string[] {
  if (controller === undefined && monitors.size <= 1) return [...monitors];
  const targets: string[] = [];
  const routers = new Set<string>();
  if (controller !== undefined) {
    targets.push(controller);
    routers.add(routerOf(controller));
  }
  for (const m of monitors) {
    const r = routerOf(m);
    if (routers.has(r)) continue;
    routers.add(r);
    targets.push(m);
  }
  return targets;
}

/** The router id of a virtual node name (`type[node]@id`): what follows the last `@` (router ids have none). */
export function routerOf(virtual: string): string {
  return virtual.slice(virtual.lastIndexOf('@') + 1);
}
