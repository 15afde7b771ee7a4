/**
 * EVENT fan-out at the host: ONE EVENT per destination router. A router that
 * is the controller and a monitor of a node (or holds several of its
 * registrations) gets each event once, addressed to one of its reachable
 * virtual nodes — the controller's when it can, else a monitor's — as SPEC's
 * wire format has it (an EVENT's `monitor` is one virtual node). It saves
 * the frames, and the registrant needs no de-duplication.
 */

/**
 * The EVENT destinations: one virtual node per registrant router, the
 * controller first. Of a router's virtual nodes, a reachable one is chosen
 * (a registration the registrant already forgot, whose virtual node is gone,
 * must not swallow the event its other registration should get).
 */
export function eventTargets(
  controller: string | undefined,
  monitors: ReadonlySet<string>,
  reachable: (virtual: string) => boolean,
): string[] {
  if (controller === undefined && monitors.size <= 1) return [...monitors];
  const chosen = new Map<string, string>();
  const consider = (v: string): void => {
    const r = routerOf(v);
    const c = chosen.get(r);
    if (c === undefined || (!reachable(c) && reachable(v))) chosen.set(r, v);
  };
  if (controller !== undefined) consider(controller);
  for (const m of monitors) consider(m);
  return [...chosen.values()];
}

/** The router id of a virtual node name (`type[node]@id`): what follows the last `@` (router ids have none). */
export function routerOf(virtual: string): string {
  return virtual.slice(virtual.lastIndexOf('@') + 1);
}
