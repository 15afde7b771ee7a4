/**
 * The presence simulator (issue 21, docs/nats.md "Presence"): a bus of 3 to
 * 16 routers, each a real `CtpRouter` and `NatsTransport` with default
 * options in its own simulated process, on a simulated NATS server
 * (fake-nats.ts) and virtual time (loop.ts). A seed draws the members, the
 * latencies and a series of faults — kill -9 (with or without a restart
 * under the same id), SIGSTOP for a while, the loss of the server for a
 * while, a goodbye, a newcomer (often with a low id: it becomes an
 * aggregator) — then a quiet time. The checks (`PresenceViolation`):
 * - `late-detection`: a member that died or left, or froze or lost the
 *   server for longer than `deadAfterMs` and a check, is taken down by every
 *   member that ran throughout, within `deadAfterMs` plus two checks
 *   (`deadAfterMs / 10` each: one may wait for entries asked for) and a round
 *   trip; by one that first heard it less than `deadAfterMs` before, that
 *   much from then on (members.ts `unnamed`). Not checked when one of the two
 *   lowest ids besides it was out within `2 × deadAfterMs` before: a thawed
 *   aggregator hears what queued as news (docs/nats.md);
 * - `false-takedown`: a member taken down `silent` while it and the member
 *   taking it down ran throughout the last `deadAfterMs` (less a check and a
 *   round trip) and some router served as a warm aggregator throughout (a
 *   roster at least every 1.5 intervals, from half an interval before): one
 *   working aggregator is enough;
 * - `not-converged`: once quiet, a member whose members are not the live
 *   routers with their current instances, or whose router lacks a live
 *   router's node;
 * - `idle-deliveries`: once quiet, more than 4N deliveries per interval;
 * - `thrown`: anything thrown, an `error` event, an unhandled rejection.
 */
import { CtpRouter } from '../../../src/router.js';
import { NatsTransport } from '../../../src/nats/transport.js';
import type { NatsTransportOptions } from '../../../src/nats/options.js';
import type { NatsPeer } from '../../../src/nats/peer.js';
import { Rng } from '../rng.js';
import { drainMicrotasks, SimProcess, VirtualLoop } from './loop.js';
import { SimNats } from './fake-nats.js';

const HEARTBEAT_MS = 1000; // the transport's defaults
const DEAD_AFTER_MS = 3 * HEARTBEAT_MS;

export interface PresenceViolation {
  kind: 'late-detection' | 'false-takedown' | 'not-converged' | 'idle-deliveries' | 'thrown';
  at: number;
  detail: string;
}

export interface PresenceResult {
  seed: number;
  members: number;
  faults: string[];
  violations: PresenceViolation[];
  /** Idle deliveries per heartbeat interval once quiet, and the members then. */
  idlePerInterval: number;
  liveAtEnd: number;
  /** Members taken down, by reason, over the run. */
  takedowns: Record<string, number>;
}

/** An outage of one process: dead from `from` on, or frozen or away from the server over [from, to). */
interface Outage {
  kind: 'kill' | 'freeze' | 'offline' | 'leave';
  from: number;
  to: number;
}

/** One router instance: its process, its router and transport, and what befell it. */
interface Member {
  id: string;
  proc: SimProcess;
  router: CtpRouter<NatsPeer>;
  bus: NatsTransport;
  instance: string;
  startedAt: number;
  outages: Outage[];
  /** Seen taking others down: [at, member id, instance, reason]. */
  downs: [number, string, string | undefined, string][];
}

interface Fault {
  at: number;
  kind: 'kill' | 'restart' | 'freeze' | 'offline' | 'leave' | 'join';
  id: string;
  ms: number;
}

export async function runPresence(
  seed: number,
  log?: (l: string) => void,
  /** Transport options instead of the defaults: only to show that the checks catch a wrong one. */
  transport: Partial<NatsTransportOptions> = {},
  /** Buses of 30–48 routers (`--large`): an aggregator that starts lists more than 32 (roster-changes.ts). */
  large = false,
): Promise<PresenceResult> {
  const rng = new Rng(seed);
  const loop = new VirtualLoop();
  const nats = new SimNats(loop, rng, rng.chance(0.3) ? [0.5, 25] : [0.2, 3]);
  const violations: PresenceViolation[] = [];
  const members: Member[] = [];
  const takedowns: Record<string, number> = {};
  const t0 = loop.now;
  const rel = (t: number): string => `${((t - t0) / 1000).toFixed(3)}s`;
  const say = (l: string): void => log?.(`${rel(loop.now)} ${l}`);
  const violation = (kind: PresenceViolation['kind'], detail: string): void => {
    violations.push({ kind, at: loop.now - t0, detail });
    say(`VIOLATION ${kind}: ${detail}`);
  };
  const live = (): Member[] =>
    members.filter((m) => !m.proc.dead && !m.outages.some((o) => o.kind === 'leave'));
  const current = (id: string): Member | undefined => live().find((m) => m.id === id);

  const onRejection = (err: unknown): void =>
    violation('thrown', `unhandled rejection ${String(err)}`);
  process.on('unhandledRejection', onRejection);
  const restore = loop.install();
  try {
    const start = (id: string): void => {
      const proc = new SimProcess(id);
      loop.at(loop.now, proc, () => {
        const bus = new NatsTransport(
          { servers: 'nats://sim:4222', ...transport },
          { connect: nats.connector(proc) },
        );
        const router: CtpRouter<NatsPeer> = new CtpRouter<NatsPeer>(
          (_name, msg) => {
            if (msg.t === 'COMMAND') router.respond(msg.node, msg.content, 'SUCCESS', msg.id);
          },
          bus.send,
          () => {},
          { id, nodes: [`dev-${id}`] },
        );
        const m: Member = {
          id,
          proc,
          router,
          bus,
          instance: (bus as unknown as { instance: string }).instance,
          startedAt: loop.now,
          outages: [],
          downs: [],
        };
        members.push(m);
        bus.on('disconnect', (p, why) => {
          m.downs.push([loop.now, p.routerId, p.instance, why]);
          takedowns[why] = (takedowns[why] ?? 0) + 1;
          if (why === 'silent') judgeSilent(m, p.routerId, p.instance);
        });
        if (log !== undefined)
          router.on('dropped', (d) =>
            say(`${id} dropped ${JSON.stringify({ ...d, peer: undefined })}`),
          );
        bus.on('error', (err) => violation('thrown', `${id}: error event ${String(err)}`));
        bus
          .attach(router)
          .ready()
          .catch((err: unknown) => violation('thrown', `${id}: ready ${String(err)}`));
      });
    };

    /** Did `m` run throughout [from, to] (no outage overlapping it)? */
    const ranThroughout = (m: Member, from: number, to: number): boolean =>
      m.startedAt <= from && !m.outages.some((o) => o.from <= to && o.to >= from);

    const slack = DEAD_AFTER_MS / 10 + 4 * 25 + 50;
    /** Killed or gone (a goodbye) before `t`. */
    const goneBefore = (m: Member, t: number): boolean =>
      m.outages.some((o) => (o.kind === 'kill' || o.kind === 'leave') && o.from < t);
    const judgeSilent = (by: Member, id: string, instance: string | undefined): void => {
      const now = loop.now;
      const from = now - DEAD_AFTER_MS + slack;
      const x = members.find((m) => m.id === id && m.instance === instance);
      if (x === undefined) return; // an instance known from frames alone
      if (!ranThroughout(x, from, now) || !ranThroughout(by, from, now)) return;
      // One working aggregator is enough: a member that published a roster at least every 1.5
      // intervals throughout the window and from half an interval before it (warm: it had listened
      // to the heartbeats), running throughout. Without one, faults struck the aggregators (both
      // out, or one out while the next had not yet taken over), which the design does not cover.
      const served = members.filter((a) => {
        const times = (nats.rosters.get(a.proc) ?? []).filter((t) => t >= from - 2 * HEARTBEAT_MS);
        if (!ranThroughout(a, from, now) || times.length === 0) return false;
        if ((times[0] as number) > from - HEARTBEAT_MS / 2) return false;
        for (let k = 1; k < times.length; k++)
          if ((times[k] as number) - (times[k - 1] as number) > 1.5 * HEARTBEAT_MS) return false;
        return now - (times[times.length - 1] as number) <= 1.5 * HEARTBEAT_MS;
      });
      if (served.length === 0) return;
      violation(
        'false-takedown',
        `${by.id} took ${id} down as silent; both ran throughout the last ${DEAD_AFTER_MS - slack} ms, and aggregators served throughout (${served.map((a) => a.id).join(', ')})`,
      );
    };

    // ---- the scenario -----------------------------------------------------------
    const n = large ? rng.int(30, 48) : rng.chance(0.2) ? rng.int(10, 16) : rng.int(3, 9);
    const ids = new Set<string>();
    const freshId = (): string => {
      for (;;) {
        const id = `m${String(rng.int(0, 99)).padStart(2, '0')}`;
        if (!ids.has(id)) return (ids.add(id), id);
      }
    };
    let t = loop.now;
    for (let i = 0; i < n; i++) {
      const id = freshId();
      loop.at(t, undefined, () => start(id));
      t += rng.int(0, 400);
    }
    const faults: Fault[] = [];
    t += 3 * HEARTBEAT_MS;
    const count = rng.int(1, 7);
    for (let i = 0; i < count; i++) {
      t += rng.int(0, 6000);
      const kind = rng.weighted({ kill: 3, freeze: 4, offline: 3, leave: 1, join: 2 });
      const ms =
        kind === 'freeze' || kind === 'offline'
          ? rng.pick([rng.int(50, 2500), rng.int(2500, 8000)])
          : 0;
      faults.push({ at: t, kind, id: '', ms });
    }
    const faultText: string[] = [];
    let end = t;
    for (const f of faults) {
      loop.at(f.at, undefined, () => {
        // Members in no outage now (a fault does not strike one already frozen or away).
        const running = live().filter(
          (m) => !m.outages.some((o) => o.from <= loop.now && o.to > loop.now),
        );
        const sorted = [...running].sort((a, b) => (a.id < b.id ? -1 : 1));
        // Half the faults strike an aggregator (one of the two lowest ids).
        const pickTarget = (): Member | undefined =>
          sorted.length === 0
            ? undefined
            : rng.chance(0.5)
              ? rng.pick(sorted.slice(0, 2))
              : rng.pick(sorted);
        if (f.kind === 'join') {
          const id = freshId();
          faultText.push(`${rel(loop.now)} join ${id}`);
          say(`join ${id}`);
          return start(id);
        }
        if (running.length <= 2 && (f.kind === 'kill' || f.kind === 'leave')) return;
        const m = pickTarget();
        if (m === undefined) return;
        const now = loop.now;
        faultText.push(`${rel(now)} ${f.kind} ${m.id}${f.ms > 0 ? ` ${f.ms} ms` : ''}`);
        say(`${f.kind} ${m.id}${f.ms > 0 ? ` for ${f.ms} ms` : ''}`);
        if (f.kind === 'kill') {
          m.proc.dead = true;
          m.outages.push({ kind: 'kill', from: now, to: Infinity });
          for (const c of nats.conns) if (c.proc === m.proc) (c.lose(), nats.drop(c));
          if (rng.chance(0.5)) {
            const after = rng.int(100, 8000);
            faultText.push(`  restart ${m.id} after ${after} ms`);
            loop.at(now + after, undefined, () => (say(`restart ${m.id}`), start(m.id)));
          }
        } else if (f.kind === 'freeze') {
          m.proc.frozenUntil = now + f.ms;
          m.outages.push({ kind: 'freeze', from: now, to: now + f.ms });
        } else if (f.kind === 'offline') {
          const conns = [...nats.conns].filter((c) => c.proc === m.proc);
          for (const c of conns) c.lose();
          m.outages.push({ kind: 'offline', from: now, to: now + f.ms });
          loop.at(now + f.ms, m.proc, () => {
            for (const c of conns) c.regain();
          });
        } else if (f.kind === 'leave') {
          m.outages.push({ kind: 'leave', from: now, to: Infinity });
          void loop.on(m.proc, () => m.bus.close().then(() => m.router.close()));
        }
        // Detection: every member running throughout must take it down within the bound.
        const gone = f.kind === 'kill' || f.kind === 'leave' || f.ms > DEAD_AFTER_MS + slack;
        if (!gone) return;
        // deadAfterMs after its last heartbeat, plus two checks (one may wait for entries asked for) and a round trip.
        const bound = DEAD_AFTER_MS + 2 * (DEAD_AFTER_MS / 10) + 4 * 25 + 50;
        // A watcher that first heard it less than 2 deadAfterMs ago and whom no roster named anyone
        // since may wait that long (members.ts `unnamed`, docs/nats.md): its bound starts there.
        const watchers = running.flatMap((w) => {
          const p = w.bus.peers().find((q) => q.routerId === m.id && q.instance === m.instance);
          if (w === m || p === undefined) return [];
          const by = Math.max(now, p.since + DEAD_AFTER_MS) + bound;
          // Back (thawed, reconnected) before that: nobody had to notice it.
          return f.ms > 0 && now + f.ms < by ? [] : [{ w, by }];
        });
        // The two lowest ids besides it: with one of them out meanwhile too, two faults struck at
        // once (a frozen aggregator, thawed, hears what was queued as news: docs/nats.md).
        // (Counted as members may still count them: gone within the last deadAfterMs included.)
        const aggregators = members
          .filter(
            (a) => a !== m && a.startedAt <= now && !goneBefore(a, now - DEAD_AFTER_MS - slack),
          )
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .slice(0, 2);
        for (const { w, by } of watchers)
          loop.at(by, undefined, () => {
            if (!aggregators.every((a) => ranThroughout(a, now - 2 * DEAD_AFTER_MS, loop.now)))
              return;
            if (!ranThroughout(w, now, loop.now)) return;
            const seen = w.downs.some(
              ([at, id, inst]) => id === m.id && inst === m.instance && at >= now,
            );
            if (!seen)
              violation(
                'late-detection',
                `${w.id} still had ${m.id} (${f.kind} at ${rel(now)}) after ${Math.round(by - now)} ms`,
              );
          });
      });
      end = Math.max(end, f.at + f.ms + 8000);
    }

    // ---- run, then quiet ------------------------------------------------------------
    const quiet = end + 4 * DEAD_AFTER_MS + 2 * HEARTBEAT_MS;
    await loop.run(quiet);
    const alive = live();
    // Idle: ten intervals' deliveries.
    const o0 = nats.outMsgs;
    await loop.run(loop.now + 10 * HEARTBEAT_MS);
    const idlePerInterval = (nats.outMsgs - o0) / 10;
    if (idlePerInterval > 4 * alive.length)
      violation(
        'idle-deliveries',
        `${idlePerInterval} per interval for ${alive.length} members (4N = ${4 * alive.length})`,
      );
    for (const m of alive) {
      const want = alive
        .filter((x) => x !== m)
        .map((x) => `${x.id}/${x.instance}`)
        .sort();
      const have = m.bus
        .peers()
        .map((p) => `${p.routerId}/${p.instance ?? '?'}`)
        .sort();
      if (want.join() !== have.join())
        violation(
          'not-converged',
          `${m.id} has members [${have.map((s) => s.slice(0, 12))}], live: [${want.map((s) => s.slice(0, 12))}]`,
        );
      const nodes = new Set(m.router.nodes());
      const missing = alive.filter((x) => !nodes.has(`dev-${x.id}`)).map((x) => x.id);
      if (missing.length > 0)
        violation('not-converged', `${m.id}'s router lacks the nodes of ${missing}`);
    }
    for (const err of loop.thrown) violation('thrown', `an event threw: ${String(err)}`);
    // Close what runs (nothing of it outlives the run: its timers are virtual).
    for (const m of alive) void loop.on(m.proc, () => m.bus.close().then(() => m.router.close()));
    await loop.run(loop.now + 1000);
    await drainMicrotasks();
    return {
      seed,
      members: n,
      faults: faultText,
      violations,
      idlePerInterval,
      liveAtEnd: alive.length,
      takedowns,
    };
  } finally {
    restore();
    process.off('unhandledRejection', onRejection);
  }
}
