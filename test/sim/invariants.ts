/**
 * The invariants the simulator checks: safety ones after every step,
 * liveness ones once the network has gone quiet (no frame in flight, every
 * timer run out). Ground truth comes from the simulated topology, never
 * from the routers' own tables.
 */
import { parseVirtualName } from '../../src/base/names.js';
import type { CtpRouter } from '../../src/router.js';
import type { VirtualClock } from './clock.js';
import { FORGED_PREFIX, FORGED_SEQ_BAND } from './identities.js';
import type { SimNetwork, SimPeer } from './network.js';
import type { SimRequest, SimSlot } from './sim.js';
import { checkViews } from './view-invariant.js';

/** What the checks need to see of a simulation. */
export interface SimView {
  readonly slots: Map<string, SimSlot>;
  readonly net: SimNetwork;
  readonly clock: VirtualClock;
  outstandingRequests(): SimRequest[];
  /** When `req` must have settled by. */
  settleBy(req: SimRequest): number;
  fail(invariant: string, message: string): void;
  t(): number;
  /** The run's broadcast medium, if it has one. */
  readonly bus?: unknown;
  /** The last quiesce ended with only signed adverts' refreshes in flight. */
  readonly refreshOnly?: boolean;
}

/** Router internals read by the leak checks (test-only, read-only). */
interface Internals {
  pending: { inflight: Map<string, unknown>; slots: Map<string, unknown> };
  host: {
    registrations: {
      waiting: Map<string, unknown[]>;
      leases: Map<string, unknown>;
      claims: { size: number };
      hosted: Map<
        string,
        {
          controller: string | undefined;
          monitors: Set<string>;
          removalTimer: unknown;
          open: unknown;
        }
      >;
    };
  };
  caller: {
    registrant: {
      own: {
        regs: Map<
          string,
          {
            lostTimer: unknown;
            refreshId: number | undefined;
            host: string;
            node: string;
            type: string;
          }
        >;
      };
    };
  };
  linkState: {
    table: {
      seq: number;
      storedAdverts(): Iterable<{ origin: string; seq: number; nodes: string[] }>;
    };
  };
}

const T0 = 1_700_000_000_000;

/** Connected components of live routers over links that are up: id → the ids it can reach (itself included), sorted. */
export function components(sim: SimView): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const [id, s] of sim.slots) if (s.router !== undefined) adj.set(id, []);
  for (const e of sim.net.edges) {
    if (!e.up || !adj.has(e.a) || !adj.has(e.b)) continue;
    adj.get(e.a)?.push(e.b);
    adj.get(e.b)?.push(e.a);
  }
  const out = new Map<string, string[]>();
  for (const start of adj.keys()) {
    if (out.has(start)) continue;
    const seen = new Set([start]);
    const queue = [start];
    for (let i = 0; i < queue.length; i++)
      for (const nb of adj.get(queue[i] as string) ?? [])
        if (!seen.has(nb)) (seen.add(nb), queue.push(nb));
    const comp = [...seen].sort();
    for (const id of comp) out.set(id, comp);
  }
  return out;
}

function live(sim: SimView): [SimSlot, CtpRouter<SimPeer>][] {
  const out: [SimSlot, CtpRouter<SimPeer>][] = [];
  for (const s of sim.slots.values()) if (s.router !== undefined) out.push([s, s.router]);
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function diff(actual: readonly string[], expected: readonly string[]): string {
  const e = new Set(expected);
  const a = new Set(actual);
  const extra = actual.filter((x) => !e.has(x));
  const missing = expected.filter((x) => !a.has(x));
  return `extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`;
}

/** Safety, after every step. */
export function checkStep(sim: SimView): void {
  // Invariant 2: no request outlives its timeout.
  for (const r of sim.outstandingRequests()) {
    if (sim.clock.now > sim.settleBy(r))
      sim.fail(
        'request',
        `request #${r.n} ${r.slot}.${r.op}(${r.node}) made at t=${r.at - T0} is still pending at t=${sim.t()}, past its deadline t=${r.deadline - T0}`,
      );
  }
  for (const [s, r] of live(sim)) {
    const nodes = r.nodes();
    for (let i = 1; i < nodes.length; i++)
      if (!((nodes[i - 1] as string) < (nodes[i] as string)))
        sim.fail('nodes', `${s.id}.nodes() is not sorted and unique: ${JSON.stringify(nodes)}`);
    const snap = r.snapshot();
    for (const n of s.plain)
      if (snap.nodes[n]?.owner !== 'local')
        sim.fail('nodes', `${s.id} does not list its own node ${n} as local`);
    // A registration is always backed by its virtual node, advertised locally.
    for (const reg of snap.registrations)
      if (snap.nodes[reg.virtualNode]?.owner !== 'local')
        sim.fail('registration', `${s.id} holds ${reg.virtualNode} without its virtual node`);
    // Issue 9: a forged advert never changes a table (never stored, never healed above).
    const table = (r as unknown as Internals).linkState.table;
    if (table.seq >= FORGED_SEQ_BAND)
      sim.fail('forged', `${s.id} healed its own seq to ${table.seq}, above a forged advert`);
    for (const ad of table.storedAdverts())
      if (ad.seq >= FORGED_SEQ_BAND || ad.nodes.some((n) => n.startsWith(FORGED_PREFIX)))
        sim.fail(
          'forged',
          `${s.id} stored a forged advert of ${ad.origin}: seq ${ad.seq}, nodes ${JSON.stringify(ad.nodes)}`,
        );
  }
}

/** Liveness, once quiet. */
export function checkQuiet(sim: SimView): void {
  // Invariant 2: everything settled, nothing left behind.
  for (const r of sim.outstandingRequests())
    sim.fail(
      'liveness',
      `request #${r.n} ${r.slot}.${r.op}(${r.node}) made at t=${r.at - T0} never settled`,
    );
  // Signed adverts' refreshes may still be in flight (sim.ts `quiesce`), nothing else.
  const inFlight = sim.clock.count('net') + sim.clock.count('advert-pacing');
  if (sim.clock.busy() > (sim.refreshOnly === true ? inFlight : 0))
    sim.fail('liveness', `${sim.clock.busy()} timers left at quiet time`);
  const comps = components(sim);
  const routers = live(sim);
  const snaps = new Map(routers.map(([s, r]) => [s.id, r.snapshot()]));
  for (const [s, r] of routers) {
    const x = r as unknown as Internals;
    const st = r.stats();
    if (st.pending !== 0 || x.pending.inflight.size !== 0)
      sim.fail('leak', `${s.id} has ${st.pending} pending entries at quiet time`);
    if (x.pending.slots.size !== 0)
      sim.fail(
        'leak',
        `${s.id} holds request slots for ${JSON.stringify([...x.pending.slots.keys()])} at quiet time`,
      );
    if (x.host.registrations.waiting.size !== 0)
      sim.fail(
        'leak',
        `${s.id} has waiting registrations for ${JSON.stringify([...x.host.registrations.waiting.keys()])} at quiet time`,
      );
    if (x.host.registrations.leases.size !== 0)
      sim.fail(
        'leak',
        `${s.id} has lease timers for ${JSON.stringify([...x.host.registrations.leases.keys()])} at quiet time`,
      );
    for (const [node, h] of x.host.registrations.hosted) {
      if (!s.plain.has(node))
        sim.fail('leak', `${s.id} keeps registrations of ${node}, which it no longer hosts`);
      if (h.controller === undefined && h.monitors.size === 0)
        sim.fail('leak', `${s.id} keeps an empty record for ${node}`);
    }
    // A REGISTER's claim (PROTOCOL.md section 5) stands only until the table confirms or refutes it.
    if (x.host.registrations.claims.size !== 0)
      sim.fail(
        'leak',
        `${s.id} has ${x.host.registrations.claims.size} registration claims standing at quiet time`,
      );
    for (const [v, reg] of x.caller.registrant.own.regs)
      if (reg.lostTimer !== undefined)
        sim.fail('leak', `${s.id} has a lost timer for ${v} at quiet time`);
  }

  // Invariant 3: nodes() is exactly the local and virtual nodes of the routers it reaches.
  const own = new Map<string, string[]>();
  for (const [s] of routers) {
    const snap = snaps.get(s.id);
    own.set(s.id, [...s.plain, ...(snap?.registrations ?? []).map((g) => g.virtualNode)]);
  }
  for (const [s, r] of routers) {
    const expected = [
      ...new Set((comps.get(s.id) ?? []).flatMap((id) => own.get(id) ?? [])),
    ].sort();
    const actual = r.nodes();
    if (!sameList(actual, expected))
      sim.fail(
        'nodes',
        `${s.id}.nodes() at quiet time, reaching ${JSON.stringify(comps.get(s.id))}: ${diff(actual, expected)}`,
      );
    // Its own virtual nodes are exactly its registrations (no leaked virtual node).
    const snap = snaps.get(s.id);
    const virtuals = Object.entries(snap?.nodes ?? {})
      .filter(([n, e]) => e.owner === 'local' && parseVirtualName(n) !== undefined)
      .map(([n]) => n)
      .sort();
    const regs = (snap?.registrations ?? []).map((g) => g.virtualNode).sort();
    if (!sameList(virtuals, regs))
      sim.fail(
        'nodes',
        `${s.id}'s virtual nodes are not its registrations: ${diff(virtuals, regs)}`,
      );
  }

  // Invariant 6: the drawn view (snapshot routers' links and names, networkView) is the network.
  // The ui's view (invariant 6) draws routers and point-to-point links; a
  // bus's pseudo-node is not drawn as such yet, so runs with a medium skip it.
  if (sim.bus === undefined) checkViews(sim, comps, snaps);

  checkRegistrationSides(sim, routers);

  // Invariant 1: the routers that believe they control (or monitor) a node are exactly those its host records.
  const believers = new Map<string, { controller: string[]; monitor: string[] }>();
  for (const [s] of routers) {
    for (const g of snaps.get(s.id)?.registrations ?? []) {
      const key = `${g.host}|${g.node}`;
      let b = believers.get(key);
      if (b === undefined) believers.set(key, (b = { controller: [], monitor: [] }));
      b[g.type].push(g.virtualNode);
      const host = sim.slots.get(g.host);
      if (host?.router === undefined || !host.plain.has(g.node))
        sim.fail(
          'controller',
          `${s.id} believes it holds ${g.virtualNode} with ${g.host}, which ${host?.router === undefined ? 'is down' : 'does not host it'}`,
        );
      else if (!(comps.get(s.id) ?? []).includes(g.host))
        sim.fail(
          'controller',
          `${s.id} believes it holds ${g.virtualNode} with ${g.host}, which it cannot reach`,
        );
    }
  }
  for (const [s] of routers) {
    const snap = snaps.get(s.id);
    for (const node of s.plain) {
      const e = snap?.nodes[node];
      const b = believers.get(`${s.id}|${node}`) ?? { controller: [], monitor: [] };
      const recorded = e?.controller === undefined ? [] : [e.controller];
      if (!sameList(b.controller.sort(), recorded))
        sim.fail(
          'controller',
          `${s.id} records controller ${JSON.stringify(recorded)} of ${node}, believed by ${JSON.stringify(b.controller)}`,
        );
      const mons = [...(e?.monitors ?? [])].sort();
      if (!sameList(b.monitor.sort(), mons))
        sim.fail(
          'monitor',
          `${s.id} records monitors ${JSON.stringify(mons)} of ${node}, believed by ${JSON.stringify(b.monitor)}`,
        );
    }
  }
}

/**
 * Invariant 1, read from the roles themselves (not from snapshots): every
 * registration a host records (`host.registrations.hosted`) is held by the
 * router its virtual node names (`caller.registrant.own.regs`, with that host
 * and node), and every registration a router holds is recorded by its host.
 * A registration that one side holds and the other does not is a lock nobody
 * can release, or control that is believed and refused.
 */
export function checkRegistrationSides(
  sim: SimView,
  routers: readonly [SimSlot, CtpRouter<SimPeer>][],
): void {
  const byId = new Map(routers.map(([s, r]) => [s.id, r as unknown as Internals]));
  for (const [s, r] of routers) {
    const x = r as unknown as Internals;
    for (const [node, h] of x.host.registrations.hosted) {
      const held = [
        ...(h.controller === undefined ? [] : [['controller', h.controller] as const]),
        ...[...h.monitors].map((m) => ['monitor', m] as const),
      ];
      for (const [type, v] of held) {
        const at = parseVirtualName(v)?.routerId ?? '';
        const reg = byId.get(at)?.caller.registrant.own.regs.get(v);
        if (reg === undefined || reg.host !== s.id || reg.node !== node || reg.type !== type)
          sim.fail(
            'registration',
            `${s.id} records ${type} ${v} of ${node}, which ${at} ${
              !byId.has(at)
                ? 'is not a live router to hold'
                : reg === undefined
                  ? 'does not hold'
                  : `holds as ${reg.type} of ${reg.node} with ${reg.host}`
            }`,
          );
      }
    }
    for (const [v, reg] of x.caller.registrant.own.regs) {
      const h = byId.get(reg.host)?.host.registrations.hosted.get(reg.node);
      const recorded =
        reg.type === 'controller' ? h?.controller === v : h?.monitors.has(v) === true;
      if (!recorded)
        sim.fail(
          'registration',
          `${s.id} holds ${reg.type} ${v} with ${reg.host}, which ${byId.has(reg.host) ? 'does not record it' : 'is down'}`,
        );
    }
  }
}
