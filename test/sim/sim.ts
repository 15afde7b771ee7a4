/**
 * The deterministic simulation of one seed: N routers on a random topology,
 * a random workload, random faults, all on a virtual clock, every choice drawn
 * from generators derived from the seed. Safety invariants are checked after
 * every step, liveness invariants whenever the network has gone quiet.
 *
 * Step `i` draws from its own generator (`mix(seed, i)`), so a run with some
 * steps skipped still makes the same choices in the others: that is what the
 * shrinker relies on.
 */
import { ADVERT_PACING, ADVERT_REFRESH } from '../../src/base/clock.js';
import { STALL_RESIDUAL_MS } from '../../src/base/deadline.js';
import { CtpCallbackError } from '../../src/base/errors.js';
import {
  isReturnCode,
  ReturnCode,
  type CtpControlMessage,
  type CtpEvent,
  type CtpResult,
} from '../../src/base/messages.js';
import { parseVirtualName } from '../../src/base/names.js';
import type { CtpRequestOptions, CtpRouterOptions } from '../../src/options.js';
import { refreshMs } from '../../src/link-state/signing.js';
import { CtpRouter } from '../../src/router.js';
import { VirtualClock } from './clock.js';
import {
  FORGED_SEQ_BAND,
  FORGERIES,
  forge,
  forgeClaimSig,
  setSigningClock,
  simIdentity,
} from './identities.js';
import { checkQuiet, checkStep, components, type SimView } from './invariants.js';
import { SimNetwork, type SimEdge, type SimPeer } from './network.js';
import { mix, Rng } from './rng.js';
import { SimStalls } from './stalls.js';

// Captured before any clock is installed: draining promise continuations
// must not go through the virtual timers.
const realSetImmediate = globalThis.setImmediate;

/** A broken invariant. */
export class Violation extends Error {
  constructor(
    readonly invariant: string,
    message: string,
    readonly step: number,
  ) {
    super(`[${invariant}] ${message}`);
  }
}

/** Thrown by a simulated host app on purpose; the router must report it as `error` and answer ERROR. */
export class SimHostAppError extends Error {}

export interface SimConfig {
  seed: number;
  /** Workload and fault steps. */
  steps: number;
  /** Step indices not to run (shrinking). */
  skip?: ReadonlySet<number>;
  /**
   * Draw choices as the simulator did before issue 10 (no stalls, no lock
   * timeouts, advert pacing off): the recorded regression repros replay
   * exactly what they recorded.
   */
  legacy?: boolean;
  /** Nodes probed per quiet check (invariant 4). @default 2 */
  probeNodes?: number;
  /** Nodes probed at the final check, once everything is healed. @default all */
  finalProbeNodes?: number;
  /** Print every step as it runs. */
  log?: (line: string) => void;
  /** Every router signs its adverts (option `identity`, issue 9), and `forge` steps inject forged adverts. @default false */
  identities?: boolean;
  /** Some seeds put routers on a broadcast medium (a bus) beside their links (`'always'`: every seed of 3 routers or more draws one). @default true */
  medium?: boolean | 'always';
  /** Draw `stall` steps (issue 10; off with `legacy`). @default true */
  stalls?: boolean;
  /** Every router's `staleAdvertMs`, instead of the one drawn (the draw still happens). */
  staleAdvertMs?: number;
}

export interface SimOutcome {
  seed: number;
  violation: Violation | undefined;
  /** What ran, one line a step. */
  trace: string[];
  topology: string;
  /** Index of the last step that ran. */
  lastStep: number;
  framesSent: number;
  virtualMs: number;
  /** The routers' state when the violation was found. */
  dump: string;
  /** Frames per topology change measured by the storm checks (`members`, `bound`: a member joining or leaving the medium). */
  storms: {
    frames: number;
    links: number;
    routers: number;
    registrations: number;
    members?: number;
    bound?: number;
  }[];
}

/** One router slot: the id survives crashes, the instance does not. */
export interface SimSlot {
  id: string;
  index: number;
  router: CtpRouter<SimPeer> | undefined;
  /** Incarnation: bumps at every restart. */
  gen: number;
  /** Ground truth: the plain nodes this host appended and did not remove. */
  plain: Set<string>;
  options: CtpRouterOptions<SimPeer>;
  /** The names this host may add. */
  pool: string[];
}

/** One request the workload made. */
export interface SimRequest {
  n: number;
  slot: string;
  gen: number;
  op: string;
  node: string;
  at: number;
  deadline: number;
  settled: boolean;
  result: CtpResult | undefined;
  nonce: number | undefined;
  ctl: AbortController | undefined;
  abortReason: object | undefined;
  step: number;
}

const TOPOLOGIES = ['mesh', 'line', 'ring', 'star', 'random'] as const;
/** Timers that signed adverts' refreshes set off (`quiesce`): frames, refreshes and their pacing, stall meters. */
const REFRESH_ONLY_LABELS = new Set(['net', ADVERT_REFRESH, ADVERT_PACING, 'stall-tick']);
/** Past this many timer events in one quiet phase the network is flooding or looping. */
const MAX_QUIET_EVENTS = 400_000;
/** Probes run on a quiet network: a generous timeout, so that a slow path is not taken for a dead one. */
const PROBE = { timeoutMs: 60_000 };

export class Simulation implements SimView {
  readonly clock = new VirtualClock();
  /** Routers stopped for a while (issue 10). */
  readonly stalls = new SimStalls(this.clock);
  /** nonce → the control request that carries it. */
  private readonly byNonce = new Map<number, SimRequest>();
  /** nonce → time its frames spent on links (no router can see it: the deadline check allows it). */
  private readonly transit = new Map<number, number>();
  /** `released` events with reason `idle`, at every host. */
  private idleReleases = 0;
  readonly slots = new Map<string, SimSlot>();
  readonly net: SimNetwork;
  readonly requests: SimRequest[] = [];
  /** `${router}|${virtual node}|${token}` → EVENTs received. */
  readonly events = new Map<string, number>();
  readonly trace: string[] = [];
  readonly storms: SimOutcome['storms'] = [];
  partition: Set<string> | undefined;
  /** The broadcast medium, when this seed has one: who may join, who is on it, and its own partition. */
  bus: { capable: string[]; on: Set<string>; split: Set<string> | undefined } | undefined;
  topology = '';
  /** While probing, every host app answers every control request. */
  probing = false;
  step = -1;
  private readonly violations: Violation[] = [];
  private readonly netRng: Rng;
  private outstanding = 0;
  private nextNonce = 1;
  private nextToken = 1;
  private reqCount = 0;
  private maxFrameBytes: number | undefined;
  // Signed adverts' refresh (refreshAllowance) and how long the last quiesce took.
  private staleAdvertMs = 600_000;
  private quietAfterMs = 0;
  private forgeries = 0;

  constructor(readonly config: SimConfig) {
    this.netRng = new Rng(mix(config.seed, 0x6e6574));
    this.net = new SimNetwork(this.clock, this.netRng, {
      deliver: (to, peer, frame, sentAt) => this.deliver(to, peer, frame, sentAt),
    });
  }

  // =========================================================================
  // Running
  // =========================================================================

  async run(): Promise<SimOutcome> {
    // The routers get the virtual clock through their clock seam (option
    // `clock`): no global is patched, so a timer the library set any other
    // way would run on real time and show up as a missed invariant.
    const onUnhandled = (reason: unknown): void =>
      this.fail('unhandled-rejection', `an unhandled rejection: ${String(reason)}`);
    process.on('unhandledRejection', onUnhandled);
    try {
      this.setup(new Rng(mix(this.config.seed, 0x5e7)));
      await this.drain();
      for (let i = 0; i < this.config.steps; i++) {
        if (this.config.skip?.has(i)) continue;
        this.step = i;
        const rng = new Rng(mix(this.config.seed, i + 1));
        const line = await this.doStep(rng);
        this.note(`#${i} t=${this.t()} ${line}`);
        await this.advance(this.smallDelay(rng));
        this.checkStep();
        if (rng.chance(0.02)) {
          this.note(`#${i} quiet check`);
          await this.quietCheck(rng, false);
        }
      }
      this.step = this.config.steps;
      const fin = new Rng(mix(this.config.seed, 0xf1a1));
      this.note(`end t=${this.t()} quiet check (as is)`);
      await this.quietCheck(fin, false);
      this.note(`end t=${this.t()} heal everything`);
      this.healAll(fin);
      await this.quietCheck(fin, true);
      return this.outcome(undefined);
    } catch (err) {
      if (err instanceof Violation) return this.outcome(err);
      return this.outcome(
        new Violation(
          'sim-crashed',
          `the simulator threw: ${(err as Error)?.stack ?? String(err)}`,
          this.step,
        ),
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const s of this.slots.values()) void s.router?.close();
    }
  }

  private outcome(v: Violation | undefined): SimOutcome {
    return {
      seed: this.config.seed,
      violation: v,
      trace: this.trace,
      topology: this.topology,
      lastStep: this.step,
      framesSent: this.net.framesSent,
      virtualMs: this.clock.now - 1_700_000_000_000,
      storms: this.storms,
      dump: v === undefined ? '' : this.dump(),
    };
  }

  /** Every live router's view, for a failure report. */
  dump(): string {
    const lines: string[] = [];
    for (const s of this.slots.values()) {
      const r = s.router;
      if (r === undefined) {
        lines.push(`${s.id}: down`);
        continue;
      }
      const snap = r.snapshot();
      const routers = Object.entries(snap.routers)
        .map(([id, x]) => `${id}:${x.seq}${x.reachable ? `>${x.nextHop}` : '(unreachable)'}`)
        .join(' ');
      lines.push(
        `${s.id} seq=${snap.seq} neighbors=[${snap.neighbors.join(',')}] plain=[${[...s.plain].join(',')}] routers: ${routers}`,
      );
      lines.push(
        `   registrations: ${JSON.stringify(snap.registrations.map((g) => `${g.virtualNode} with ${g.host}`))}`,
      );
      const hosted = Object.entries(snap.nodes)
        .filter(
          ([, e]) =>
            e.owner === 'local' && (e.controller !== undefined || e.monitors !== undefined),
        )
        .map(([n, e]) => `${n}: c=${e.controller ?? '-'} m=${JSON.stringify(e.monitors ?? [])}`);
      if (hosted.length > 0) lines.push(`   hosts: ${hosted.join('; ')}`);
      lines.push(`   nodes(): ${JSON.stringify(r.nodes())}`);
      lines.push(`   stats: ${JSON.stringify(r.stats())}`);
    }
    const edges = this.net.edges
      .map((e) => `${e.a}-${e.b}${e.up ? '' : e.cut ? '(cut)' : '(down)'}`)
      .join(' ');
    lines.push(
      `links: ${edges}${this.partition === undefined ? '' : `; partition {${[...this.partition].join(',')}}`}`,
    );
    return lines.join('\n');
  }

  private note(line: string): void {
    this.trace.push(line);
    this.config.log?.(line);
  }

  t(): number {
    return this.clock.now - 1_700_000_000_000;
  }

  /** Record a violation; it is thrown at the next check. */
  fail(invariant: string, message: string): void {
    this.violations.push(new Violation(invariant, `${message} (t=${this.t()})`, this.step));
  }

  /** Throw the first recorded violation, if any. */
  throwIfFailed(): void {
    const v = this.violations[0];
    if (v !== undefined) throw v;
    const f = this.clock.failures[0];
    if (f !== undefined)
      throw new Violation(
        'timer-threw',
        `a ${f.label} timer callback threw: ${(f.error as Error)?.stack ?? String(f.error)}`,
        this.step,
      );
  }

  /** Let every promise continuation run (nothing else can: time is virtual). */
  async drain(): Promise<void> {
    await new Promise<void>((r) => realSetImmediate(r));
  }

  /** Fire timers up to `now + ms`, draining continuations after each. */
  async advance(ms: number): Promise<void> {
    // Continuations of what the step just did run before any time passes.
    await this.drain();
    const until = this.clock.now + ms;
    for (;;) {
      const at = this.clock.nextAt();
      if (at === undefined || at > until) break;
      this.clock.runNext();
      // A stall meter's tick settles no promise.
      if (this.outstanding > 0 && this.clock.lastLabel !== 'stall-tick') await this.drain();
    }
    this.clock.now = Math.max(this.clock.now, until);
    await this.drain();
  }

  /**
   * Run every timer until none is left: the network is quiet. Returns the frames sent meanwhile.
   * With identities, signed adverts' refreshes (every `staleAdvertMs / 4` per router, on fixed
   * phases) may keep some frame in flight for ever: the network is then quiet once nothing but
   * frames and refreshes ran for two refresh periods, every router kept its nodes, neighbors and
   * registrations, and the frames stayed within the refreshes' own cost (`refreshOnly`).
   */
  async quiesce(): Promise<number> {
    const before = this.net.framesSent;
    const since = this.clock.now;
    this.refreshOnly = false;
    await this.drain();
    const period = this.config.identities === true ? refreshMs(this.staleAdvertMs) : undefined;
    let window = period === undefined ? undefined : this.steadyWindow();
    let n = 0;
    while (this.clock.busy() > 0) {
      if (++n > MAX_QUIET_EVENTS)
        this.fail(
          'quiet',
          `the network never went quiet: ${MAX_QUIET_EVENTS} timer events (${this.net.framesSent - before} frames) and counting`,
        );
      this.throwIfFailed();
      this.clock.runNext();
      // A stall meter's tick settles no promise.
      if (this.outstanding > 0 && this.clock.lastLabel !== 'stall-tick') await this.drain();
      if (window === undefined || period === undefined) continue;
      if (!REFRESH_ONLY_LABELS.has(this.clock.lastLabel)) window.clean = false;
      if (this.clock.now - window.at < 2 * period) continue;
      const next = this.steadyWindow();
      if (
        window.clean &&
        next.state === window.state &&
        next.frames - window.frames <= next.budget
      ) {
        this.refreshOnly =
          this.clock.count('net') + this.clock.count(ADVERT_PACING) === this.clock.busy();
        if (this.refreshOnly) break;
      }
      window = next;
    }
    await this.drain();
    this.quietAfterMs = this.clock.now - since;
    return this.net.framesSent - before;
  }

  /** The quiet check ran with signed adverts' refreshes still in flight (`quiesce`). */
  refreshOnly = false;

  /** What must stay still while only refreshes run (`quiesce`), and the frames two periods of them may cost. */
  private steadyWindow(): {
    at: number;
    state: string;
    frames: number;
    budget: number;
    clean: boolean;
  } {
    const routers = this.liveSlots();
    const state = routers
      .map((s) => {
        const r = s.router as CtpRouter<SimPeer>;
        const snap = r.snapshot();
        return `${s.id}:${r.nodes().join(',')}|${snap.neighbors.join(',')}|${JSON.stringify(snap.registrations)}|${r.stats().pending}`;
      })
      .join('\n');
    const links = this.net.edges.filter((e) => e.up).length;
    return {
      at: this.clock.now,
      state: `${state}\n${this.outstanding}`,
      frames: this.net.framesSent,
      // Every router refreshes at most 3 times in two periods; each refresh costs one frame per link direction.
      budget: routers.length * 3 * 2 * links,
      clean: true,
    };
  }

  /**
   * With identities, every router re-signs its own advert every `staleAdvertMs / 4`
   * (housekeeping: src/link-state/flooding.ts), whatever else happens: the storm
   * checks allow, beside a change's own bound, the floods of the refreshes that fell
   * in the time it took to go quiet (each at most one frame per link direction and
   * one per bus member).
   */
  private refreshAllowance(routers: number, links: number, members: number): number {
    if (this.config.identities !== true) return 0;
    const refreshes = Math.floor(this.quietAfterMs / (this.staleAdvertMs / 4)) + 1;
    return routers * refreshes * (2 * links + members);
  }

  /** Run timers until `req` settles (or nothing is left to run). */
  async settle(req: SimRequest): Promise<void> {
    await this.drain();
    while (!req.settled && this.clock.busy() > 0) {
      this.clock.runNext();
      if (this.clock.lastLabel !== 'stall-tick') await this.drain();
    }
  }

  private smallDelay(rng: Rng): number {
    const r = rng.next();
    if (r < 0.45) return rng.int(0, 5);
    if (r < 0.8) return rng.int(5, 100);
    if (r < 0.97) return rng.int(100, 1500);
    return rng.int(1500, 12_000);
  }

  // =========================================================================
  // Setup
  // =========================================================================

  private setup(rng: Rng): void {
    const n = rng.int(2, 12);
    const kind = rng.pick(TOPOLOGIES);
    const ids = Array.from({ length: n }, (_, i) => `r${i}`);
    const pairs: [number, number][] = [];
    if (kind === 'mesh')
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
    else if (kind === 'line' || kind === 'ring') {
      for (let i = 0; i + 1 < n; i++) pairs.push([i, i + 1]);
      if (kind === 'ring' && n > 2) pairs.push([n - 1, 0]);
    } else if (kind === 'star') for (let i = 1; i < n; i++) pairs.push([0, i]);
    else {
      for (let i = 1; i < n; i++) pairs.push([rng.int(0, i - 1), i]);
      const extra = rng.next() * 0.4;
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++)
          if (!pairs.some(([a, b]) => a === i && b === j) && rng.chance(extra)) pairs.push([i, j]);
    }
    const shared = {
      leaseGraceMs: rng.pick([200, 1000, 3000]),
      registrationWaitMs: rng.pick([300, 1000, 5000]),
      responseTimeoutMs: rng.pick([500, 3000, 15_000]),
      staleAdvertMs: ((drawn: number) => this.config.staleAdvertMs ?? drawn)(
        rng.pick([5000, 30_000]),
      ),
    };
    // Issue 10: advert pacing (the default, off, or another interval) and lock-timeout caps.
    const legacy = this.config.legacy === true;
    const pacing: {
      minAdvertIntervalMs?: number | undefined;
      maxControlIdleMs?: number | undefined;
    } = legacy
      ? {}
      : {
          minAdvertIntervalMs: rng.pick([undefined, undefined, 0, 50, 200]),
          maxControlIdleMs: rng.pick([undefined, undefined, undefined, 20_000]),
        };
    const minAdvertIntervalMs = legacy ? 0 : pacing.minAdvertIntervalMs;
    this.maxFrameBytes = rng.pick([undefined, undefined, 1500, 4096]);
    this.staleAdvertMs = shared.staleAdvertMs;
    // A signed advert carries its signature and certificate (about 700 bytes here): give it that room.
    if (this.config.identities === true && this.maxFrameBytes !== undefined)
      this.maxFrameBytes += 1024;
    const vary = rng.chance(0.3);
    // Some runs let every host add one shared name: node-name conflicts (SPEC.md section 7).
    const conflicts = rng.chance(0.25);
    for (let i = 0; i < n; i++) {
      const id = ids[i] as string;
      const options: CtpRouterOptions<SimPeer> = {
        id,
        leaseGraceMs: vary ? rng.pick([200, 1000, 3000]) : shared.leaseGraceMs,
        // A REGISTER can overtake its registrant's paced advert: the wait must cover the pacing (README, minAdvertIntervalMs).
        registrationWaitMs: Math.max(
          vary ? rng.pick([300, 1000, 5000]) : shared.registrationWaitMs,
          pacingFloor(minAdvertIntervalMs),
        ),
        responseTimeoutMs: vary ? rng.pick([500, 3000, 15_000]) : shared.responseTimeoutMs,
        staleAdvertMs: shared.staleAdvertMs,
      };
      if (minAdvertIntervalMs !== undefined) options.minAdvertIntervalMs = minAdvertIntervalMs;
      if (pacing.maxControlIdleMs !== undefined && rng.chance(0.5))
        options.maxControlIdleMs = pacing.maxControlIdleMs;
      if (this.maxFrameBytes !== undefined) options.maxFrameBytes = this.maxFrameBytes;
      if (this.config.identities === true) options.identity = simIdentity(id);
      const pool = [
        `n${i}a`,
        `n${i}b`,
        `n${i}c`,
        `dev ${i};x`,
        `ü-${i}`,
        `x]@y${i}`,
        ...(conflicts ? ['shared'] : []),
      ];
      const slot: SimSlot = {
        id,
        index: i,
        router: undefined,
        gen: 0,
        plain: new Set(),
        options,
        pool,
      };
      this.slots.set(id, slot);
      const initial = pool.filter(() => rng.chance(0.3));
      this.startRouter(slot, initial);
    }
    for (const [a, b] of pairs) this.net.addEdge(ids[a] as string, ids[b] as string);
    const busNote = this.setupBus(ids);
    this.topology = `${kind} of ${n}: ${this.net.edges
      .filter((e) => e.medium === undefined)
      .map((e) => `${e.a}-${e.b}`)
      .join(
        ' ',
      )}${busNote}; options ${JSON.stringify({ ...shared, ...pacing, vary, maxFrameBytes: this.maxFrameBytes })}`;
    this.note(
      `setup ${this.topology}; nodes ${[...this.slots.values()].map((s) => `${s.id}=[${[...s.plain].join(',')}]`).join(' ')}`,
    );
    this.applyLinks(rng);
  }

  /**
   * A broadcast medium on some seeds (its own generator: seeds without one
   * run exactly as before): routers that may join it, those on it at first,
   * and a pair edge between every two of them (up while both are on the
   * medium, alive and on the same side of its partition).
   */
  private setupBus(ids: string[]): string {
    const rng = new Rng(mix(this.config.seed, 0xb05));
    // With identities too: the DR signs its pseudo-node's advert (src/link-state/signing.ts).
    // The chance is drawn either way: 'always' keeps the rest of the draws as they were.
    const drawn = rng.chance(0.4);
    if (this.config.medium === false || ids.length < 3) return '';
    if (!drawn && this.config.medium !== 'always') return '';
    const capable = ids.filter(() => rng.chance(0.7));
    if (capable.length < 2) return '';
    const on = new Set(capable.filter(() => rng.chance(0.8)));
    this.bus = { capable, on, split: undefined };
    for (let i = 0; i < capable.length; i++)
      for (let j = i + 1; j < capable.length; j++)
        this.net.addEdge(capable[i] as string, capable[j] as string, 'bus');
    return `; bus of ${capable.join(',')} (on: ${[...on].join(',')})`;
  }

  private startRouter(slot: SimSlot, nodes: string[]): void {
    slot.gen++;
    const gen = slot.gen;
    const router = new CtpRouter<SimPeer>(
      (name, msg) => this.hostApp(slot, gen, name, msg),
      (peer, frame, info) => {
        if (slot.gen === gen && slot.router !== undefined)
          this.net.send(slot.id, peer, frame, info?.except);
      },
      () => undefined,
      { ...slot.options, nodes, clock: this.stalls.clockFor(slot.id, gen) },
    );
    // A lock timeout may end control at either side first: the host's idle
    // release, or the registrant's own fallback (it waits longer, but a host
    // that was stalled or restarted may never fire its timer).
    router.on('released', (e) => {
      if (e.reason === 'idle') this.idleReleases++;
    });
    router.on('lost', (e) => {
      if (e.reason === 'idle') this.idleReleases++;
    });
    router.on('error', (err) => {
      // Only the host app's deliberate throws may be reported.
      const cause = err instanceof CtpCallbackError ? err.cause : undefined;
      if (!(
        err instanceof CtpCallbackError &&
        err.callback === 'onReceived' &&
        cause instanceof SimHostAppError
      ))
        this.fail(
          'error-event',
          `${slot.id} emitted error: ${err.message}\n${(cause as Error)?.stack ?? ''}`,
        );
    });
    slot.router = router;
    slot.plain = new Set(nodes);
  }

  // =========================================================================
  // Links and faults
  // =========================================================================

  isAlive(id: string): boolean {
    return this.slots.get(id)?.router !== undefined;
  }

  /** Should edge `e` be up now? */
  wantUp(e: SimEdge): boolean {
    if (e.cut || !this.isAlive(e.a) || !this.isAlive(e.b)) return false;
    if (e.medium !== undefined) {
      const bus = this.bus;
      if (bus === undefined || !bus.on.has(e.a) || !bus.on.has(e.b)) return false;
      if (bus.split !== undefined && bus.split.has(e.a) !== bus.split.has(e.b)) return false;
    }
    return this.partition === undefined || this.partition.has(e.a) === this.partition.has(e.b);
  }

  /** `peerUp`, telling the router when the link is a pair on the medium. */
  peerUp(e: SimEdge, id: string): void {
    const h = this.net.handle(e, id);
    // A transport event: a stalled router sees it when it resumes.
    this.transport(id, () => {
      const r = this.slots.get(id)?.router;
      if (e.medium === undefined) r?.peerUp(h);
      else r?.peerUp(h, { medium: e.medium });
    });
  }

  /** Bring every edge to the state the faults say. */
  applyLinks(rng: Rng): void {
    for (const e of this.net.edges) {
      const want = this.wantUp(e);
      if (want === e.up) continue;
      if (!want) {
        e.up = false;
        // A bus publish reaches all members or none: what is in flight on a pair arrives before its end.
        if (e.medium !== undefined) {
          this.net.flush(e, e.a);
          this.net.flush(e, e.b);
        }
        for (const id of [e.a, e.b]) {
          const h = this.net.handle(e, id);
          this.transport(id, () => this.slots.get(id)?.router?.peerDown(h));
        }
      } else {
        this.net.renew(e, rng.chance(0.3));
        e.up = true;
        const ends = rng.chance(0.5) ? [e.a, e.b] : [e.b, e.a];
        for (const id of ends) this.peerUp(e, id);
      }
    }
  }

  /** A transport event (`peerUp`, `peerDown`) for router `id`: a stalled one sees it when it resumes, in order with its frames. */
  private transport(id: string, event: () => void): void {
    if (!this.stalls.queue(id, event)) event();
  }

  private deliver(to: string, peer: SimPeer, frame: string | Uint8Array, sentAt: number): void {
    if (this.slots.get(to)?.router === undefined) return;
    if (typeof frame === 'string' && frame.includes('"ttl"'))
      this.countTransit(frame, this.clock.now - sentAt);
    // A stalled router's frames wait in its inbox (its sockets) until it resumes.
    if (!this.stalls.queue(to, () => this.deliverNow(to, peer, frame)))
      this.deliverNow(to, peer, frame);
  }

  /** A control request's frame spent `ms` on a link. */
  private countTransit(frame: string, ms: number): void {
    let m: { t?: unknown; content?: unknown; optionals?: unknown };
    try {
      m = JSON.parse(frame) as typeof m;
    } catch {
      return;
    }
    if (m.t !== 'START' && m.t !== 'STOP' && m.t !== 'COMMAND') return;
    const nonce = ((m.t === 'COMMAND' ? m.content : m.optionals) as { nonce?: unknown } | undefined)
      ?.nonce;
    if (typeof nonce === 'number') this.transit.set(nonce, (this.transit.get(nonce) ?? 0) + ms);
  }

  private deliverNow(to: string, peer: SimPeer, frame: string | Uint8Array): void {
    const r = this.slots.get(to)?.router;
    if (r === undefined) return;
    try {
      r.receive(peer, frame);
    } catch (err) {
      this.fail('receive-throws', `${to}.receive threw: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private crash(slot: SimSlot, rng: Rng): void {
    const r = slot.router;
    if (r === undefined) return;
    slot.router = undefined;
    this.stalls.drop(slot.id);
    void r.close();
    this.applyLinks(rng);
  }

  private restart(slot: SimSlot, rng: Rng): string[] {
    // The host process comes back: usually with the devices it had.
    const nodes = rng.chance(0.7) ? [...slot.plain] : slot.pool.filter(() => rng.chance(0.3));
    this.startRouter(slot, nodes);
    this.applyLinks(rng);
    return nodes;
  }

  /** Restart every crashed router, heal every cut and partition. */
  healAll(rng: Rng): void {
    for (const s of this.slots.values())
      if (s.router === undefined) this.startRouter(s, rng.chance(0.7) ? [...s.plain] : []);
    for (const e of this.net.edges) e.cut = false;
    this.partition = undefined;
    if (this.bus !== undefined) {
      this.bus.split = undefined;
      this.bus.on = new Set(this.bus.capable);
    }
    this.applyLinks(rng);
  }

  // =========================================================================
  // The host app
  // =========================================================================

  private hostApp(
    slot: SimSlot,
    gen: number,
    name: string,
    msg: CtpControlMessage | CtpEvent,
  ): void {
    if (name === 'EVENT') {
      const ev = msg as CtpEvent;
      const token = (ev.content as { token?: unknown } | null)?.token;
      if (typeof token === 'number') {
        const key = `${slot.id}|${ev.monitor}|${token}`;
        this.events.set(key, (this.events.get(key) ?? 0) + 1);
      }
      return;
    }
    const m = msg as CtpControlMessage;
    const router = slot.router;
    if (router === undefined || slot.gen !== gen) {
      this.fail('dead-host', `${slot.id}'s closed instance handed ${name} to its host app`);
      return;
    }
    // Invariant 1 (safety): a host hands its app control requests of its recorded controller only.
    const recorded = router.snapshot().nodes[m.node]?.controller;
    if (recorded !== m.controller)
      this.fail(
        'controller',
        `${slot.id} handed ${name} from ${m.controller} to its app while its controller is ${recorded}`,
      );
    const nonce = nonceOf(m);
    // Issue 10: no request reaches a host app past its caller's deadline, but
    // for what no router can see: its time on links and what a stall can hide.
    const req = typeof nonce === 'number' ? this.byNonce.get(nonce) : undefined;
    if (req !== undefined && req.slot !== slot.id) {
      const allowed = req.deadline + (this.transit.get(nonce as number) ?? 0) + STALL_RESIDUAL_MS;
      if (this.clock.now > allowed)
        this.fail(
          'deadline',
          `${slot.id} handed ${name} #${req.n} (nonce ${String(nonce)}) to its app at t=${this.t()}, past its caller's deadline ${req.deadline - 1_700_000_000_000} (+ ${allowed - req.deadline} ms on links and unseen)`,
        );
    }
    const mode = this.probing
      ? 'answer'
      : this.netRng.weighted({ answer: 60, sync: 10, never: 15, code: 10, throw: 5 });
    const respond = (code: ReturnCode): void => {
      const r = slot.router;
      if (r === undefined || slot.gen !== gen) return;
      try {
        r.respond(m.node, { nonce, host: slot.id }, code, m.id);
      } catch (err) {
        this.fail('respond-throws', `${slot.id}.respond threw: ${String(err)}`);
      }
    };
    switch (mode) {
      case 'sync':
        respond(ReturnCode.SUCCESS);
        return;
      case 'throw':
        throw new SimHostAppError('the simulated host app failed');
      case 'never':
        return;
      default: {
        const code =
          mode === 'code'
            ? this.netRng.pick([
                ReturnCode.ERROR,
                ReturnCode.REJECTED,
                ReturnCode.NOT_ASSIGNED,
                ReturnCode.TIMEOUT,
              ])
            : ReturnCode.SUCCESS;
        const delay = this.probing
          ? this.netRng.int(0, 30)
          : this.netRng.chance(0.8)
            ? this.netRng.int(0, 200)
            : this.netRng.int(200, 20_000);
        this.stalls.appTimer(slot.id, gen, () => respond(code), delay);
      }
    }
  }

  // =========================================================================
  // Requests
  // =========================================================================

  /** Issue one request and watch it settle. */
  issue(
    slot: SimSlot,
    op: 'register' | 'unregister' | 'start' | 'stop' | 'command',
    node: string,
    type: 'controller' | 'monitor',
    opts: CtpRequestOptions & { preAbort?: boolean },
  ): SimRequest {
    const router = slot.router as CtpRouter<SimPeer>;
    const timeout = opts.timeoutMs ?? (slot.options.responseTimeoutMs as number);
    const req: SimRequest = {
      n: ++this.reqCount,
      slot: slot.id,
      gen: slot.gen,
      op,
      node,
      at: this.clock.now,
      deadline: this.clock.now + timeout,
      settled: false,
      result: undefined,
      nonce: undefined,
      ctl: undefined,
      abortReason: undefined,
      step: this.step,
    };
    const o: CtpRequestOptions = {};
    if (opts.timeoutMs !== undefined) o.timeoutMs = opts.timeoutMs;
    if (opts.queue === true) o.queue = true;
    if (opts.idleTimeoutMs !== undefined) o.idleTimeoutMs = opts.idleTimeoutMs;
    if (opts.signal !== undefined || opts.preAbort === true) {
      req.ctl = new AbortController();
      o.signal = req.ctl.signal;
      if (opts.preAbort === true) this.abort(req);
    }
    let p: Promise<CtpResult>;
    switch (op) {
      case 'register':
        p = router.register(node, type, o);
        break;
      case 'unregister':
        p = router.unregister(node, type, o);
        break;
      case 'command':
        req.nonce = this.nextNonce++;
        p = router.command(node, 'app', { nonce: req.nonce }, o);
        break;
      default:
        req.nonce = this.nextNonce++;
        p = router[op](node, 'app', { nonce: req.nonce }, o);
    }
    if (req.nonce !== undefined) this.byNonce.set(req.nonce, req);
    this.requests.push(req);
    this.outstanding++;
    p.then(
      (result) => {
        this.outstanding--;
        this.settled(req, result);
      },
      (err: unknown) => {
        this.outstanding--;
        req.settled = true;
        // Invariant 2: a request rejects only for misuse, and an abort is its signal's reason.
        if (req.abortReason === undefined || err !== req.abortReason)
          this.fail(
            'request',
            `request #${req.n} ${slot.id}.${op}(${node}) rejected: ${(err as Error)?.stack ?? String(err)}`,
          );
      },
    );
    return req;
  }

  /** A request's deadline, or the end of a stall of its router that covered it (a frozen caller resolves when it resumes). */
  settleBy(req: SimRequest): number {
    return Math.max(req.deadline, this.stalls.coveredUntil(req.slot, req.deadline) ?? req.deadline);
  }

  abort(req: SimRequest): void {
    if (req.ctl === undefined || req.abortReason !== undefined) return;
    req.abortReason = { aborted: req.n };
    req.ctl.abort(req.abortReason);
  }

  private settled(req: SimRequest, result: CtpResult): void {
    const what = `request #${req.n} ${req.slot}.${req.op}(${req.node})`;
    if (req.settled) this.fail('request', `${what} settled twice`);
    req.settled = true;
    req.result = result;
    // Invariant 2: one code of section 4, no later than its timeout.
    if (!isReturnCode(result.code))
      this.fail('request', `${what} resolved with ${JSON.stringify(result)}`);
    if (this.clock.now > this.settleBy(req))
      this.fail(
        'request',
        `${what} settled at t=${this.t()}, after its deadline ${req.deadline - 1_700_000_000_000}`,
      );
    if (
      req.abortReason !== undefined &&
      req.ctl?.signal.aborted &&
      result.code !== ReturnCode.SUCCESS &&
      result.code !== ReturnCode.ERROR
    ) {
      // Resolving (not rejecting) after an abort is fine only when the answer came first.
    }
    // A response always answers its own request (id/re correlation): the host app echoes the nonce.
    const content = result.content as { nonce?: unknown } | undefined;
    if (content !== undefined && req.nonce !== undefined && content?.nonce !== req.nonce)
      this.fail(
        'correlation',
        `${what} (nonce ${req.nonce}) resolved with the answer to nonce ${String(content?.nonce)}: ${JSON.stringify(result)}`,
      );
  }

  outstandingRequests(): SimRequest[] {
    return this.requests.filter((r) => !r.settled);
  }

  // =========================================================================
  // Steps
  // =========================================================================

  private liveSlots(): SimSlot[] {
    return [...this.slots.values()].filter((s) => s.router !== undefined);
  }

  private async doStep(rng: Rng): Promise<string> {
    const busWeights: Record<string, number> =
      this.bus === undefined ? {} : { busLeave: 2, busJoin: 2.5, busSplit: 1, busHeal: 1.5 };
    const kind = rng.weighted<string>({
      // Forged adverts only in runs with identities (first, weight 0 otherwise: the other runs draw as before).
      forge: this.config.identities === true ? 4 : 0,
      append: 6,
      remove: 4,
      register: 14,
      unregister: 6,
      control: 14,
      post: 4,
      publish: 4,
      abort: 3,
      reset: 1,
      cut: 4,
      heal: 4,
      crash: 1.5,
      restart: 2,
      partition: 1,
      unpartition: 1.5,
      dupPeerUp: 2,
      garbage: 3,
      wait: 4,
      stall: this.config.legacy === true || this.config.stalls === false ? 0 : 2,
      // Only seeds with a medium draw these (the others choose exactly as before).
      ...busWeights,
    });
    const live = this.liveSlots();
    const slot = live.length > 0 ? rng.pick(live) : undefined;
    const r = slot?.router;
    switch (kind) {
      case 'append': {
        if (slot === undefined || r === undefined) return 'noop';
        const names = slot.pool.filter(() => rng.chance(0.3));
        if (names.length === 0) names.push(rng.pick(slot.pool));
        try {
          r.appendNodes(names.length === 1 && rng.chance(0.5) ? (names[0] as string) : names);
          for (const n of names) slot.plain.add(n);
          return `${slot.id}.appendNodes(${JSON.stringify(names)})`;
        } catch (err) {
          return `${slot.id}.appendNodes(${JSON.stringify(names)}) threw ${String(err)}`;
        }
      }
      case 'remove': {
        if (slot === undefined || r === undefined) return 'noop';
        const names = slot.pool.filter(() => rng.chance(0.3));
        if (names.length === 0) names.push(rng.pick(slot.pool));
        r.removeNodes(names);
        for (const n of names) slot.plain.delete(n);
        return `${slot.id}.removeNodes(${JSON.stringify(names)})`;
      }
      case 'register':
      case 'unregister':
      case 'control': {
        if (slot === undefined || r === undefined) return 'noop';
        const type = rng.chance(0.6) ? 'controller' : 'monitor';
        let node: string;
        const own = r.snapshot().registrations;
        const known = r.nodes().filter((n) => parseVirtualName(n) === undefined);
        if (kind !== 'register' && own.length > 0 && rng.chance(0.75)) node = rng.pick(own).node;
        else if (known.length > 0 && rng.chance(0.85)) node = rng.pick(known);
        else node = rng.pick(rng.pick([...this.slots.values()]).pool);
        const opts: CtpRequestOptions & { preAbort?: boolean } = {};
        const t = rng.next();
        if (t < 0.3) opts.timeoutMs = rng.pick([1, 20, 100, 400, 2000]);
        if (rng.chance(0.2)) opts.queue = true;
        if (rng.chance(0.15)) opts.signal = new AbortController().signal;
        if (rng.chance(0.02)) opts.preAbort = true;
        // Issue 10: lock timeouts.
        if (
          this.config.legacy !== true &&
          kind === 'register' &&
          type === 'controller' &&
          rng.chance(0.3)
        )
          opts.idleTimeoutMs = rng.pick([5000, 15_000, 60_000]);
        const op =
          kind === 'control' ? rng.pick(['start', 'stop', 'command', 'command'] as const) : kind;
        const req = this.issue(slot, op, node, type, opts);
        return `${slot.id}.${op}(${JSON.stringify(node)}${kind === 'control' ? '' : `, ${type}`}, ${JSON.stringify(opts)}) #${req.n}`;
      }
      case 'post':
      case 'publish': {
        if (slot === undefined || r === undefined) return 'noop';
        const known =
          kind === 'publish'
            ? [...slot.plain]
            : r.nodes().filter((n) => parseVirtualName(n) === undefined);
        const node = known.length > 0 && rng.chance(0.9) ? rng.pick(known) : rng.pick(slot.pool);
        const content = { token: this.nextToken++ };
        const res = kind === 'post' ? r.post(node, content) : r.publish(node, content);
        if (!isReturnCode(res.code))
          this.fail('request', `${slot.id}.${kind} returned ${JSON.stringify(res)}`);
        return `${slot.id}.${kind}(${JSON.stringify(node)}) -> ${res.code}`;
      }
      case 'abort': {
        const open = this.outstandingRequests().filter(
          (q) => q.ctl !== undefined && q.abortReason === undefined,
        );
        if (open.length === 0) return 'noop';
        const q = rng.pick(open);
        this.abort(q);
        return `abort #${q.n}`;
      }
      case 'reset':
        if (slot === undefined || r === undefined) return 'noop';
        r.resetTable();
        return `${slot.id}.resetTable()`;
      case 'cut': {
        // A medium fails whole (its members leave, it splits): every member hears every other member or none.
        const up = this.net.edges.filter((e) => !e.cut && e.medium === undefined);
        if (up.length === 0) return 'noop';
        const e = rng.pick(up);
        e.cut = true;
        this.applyLinks(rng);
        return `cut ${e.a}-${e.b}`;
      }
      case 'heal': {
        const cut = this.net.edges.filter((e) => e.cut);
        if (cut.length === 0) return 'noop';
        const e = rng.pick(cut);
        e.cut = false;
        this.applyLinks(rng);
        return `heal ${e.a}-${e.b}`;
      }
      case 'crash': {
        if (slot === undefined) return 'noop';
        this.crash(slot, rng);
        return `crash ${slot.id}`;
      }
      case 'restart': {
        const dead = [...this.slots.values()].filter((s) => s.router === undefined);
        if (dead.length === 0) return 'noop';
        const s = rng.pick(dead);
        const nodes = this.restart(s, rng);
        return `restart ${s.id} with ${JSON.stringify(nodes)}`;
      }
      case 'partition': {
        const ids = [...this.slots.keys()];
        const side = new Set(ids.filter(() => rng.chance(0.5)));
        if (side.size === 0 || side.size === ids.length) return 'noop';
        this.partition = side;
        this.applyLinks(rng);
        return `partition {${[...side].join(',')}} from the rest`;
      }
      case 'unpartition':
        if (this.partition === undefined) return 'noop';
        this.partition = undefined;
        this.applyLinks(rng);
        return 'heal the partition';
      case 'dupPeerUp': {
        const up = this.net.edges.filter((e) => e.up);
        if (up.length === 0) return 'noop';
        const e = rng.pick(up);
        const id = rng.chance(0.5) ? e.a : e.b;
        this.peerUp(e, id);
        return `duplicate peerUp at ${id} for ${e.a}-${e.b}`;
      }
      case 'garbage': {
        const up = this.net.edges.filter((e) => e.up);
        if (up.length === 0) return 'noop';
        const e = rng.pick(up);
        const from = rng.chance(0.5) ? e.a : e.b;
        const g = garbage(rng, this.net.recent, this.maxFrameBytes);
        this.net.enqueue(e, from, g);
        return `garbage from ${from} on ${e.a}-${e.b}: ${typeof g === 'string' ? JSON.stringify(g.slice(0, 60)) : `${g.length} bytes`}`;
      }
      case 'forge':
        return this.forgeStep(rng);
      case 'stall': {
        if (slot === undefined || this.stalls.isStalled(slot.id)) return 'noop';
        const ms = rng.pick([150, 400, 1500, 5000, 20_000]);
        const timersFirst = rng.chance(0.5);
        this.stalls.start(slot.id, slot.gen, ms, timersFirst);
        return `stall ${slot.id} for ${ms} ms (${timersFirst ? 'timers' : 'inbox'} first on resume)`;
      }
      case 'wait': {
        const ms = rng.int(100, 20_000);
        await this.advance(ms);
        return `wait ${ms} ms`;
      }
      default:
        return this.busStep(kind, rng);
    }
  }

  /** Membership churn and partitions of the medium. */
  private busStep(kind: string, rng: Rng): string {
    const bus = this.bus;
    if (bus === undefined) return 'noop';
    switch (kind) {
      case 'busLeave': {
        const on = [...bus.on];
        if (on.length === 0) return 'noop';
        const id = rng.pick(on);
        bus.on.delete(id);
        this.applyLinks(rng);
        return `${id} leaves the bus`;
      }
      case 'busJoin': {
        const off = bus.capable.filter((id) => !bus.on.has(id));
        if (off.length === 0) return 'noop';
        const id = rng.pick(off);
        bus.on.add(id);
        this.applyLinks(rng);
        return `${id} joins the bus`;
      }
      case 'busSplit': {
        const side = new Set(bus.capable.filter(() => rng.chance(0.5)));
        if (side.size === 0 || side.size === bus.capable.length) return 'noop';
        bus.split = side;
        this.applyLinks(rng);
        return `bus split {${[...side].join(',')}} from the rest`;
      }
      default:
        if (bus.split === undefined) return 'noop';
        bus.split = undefined;
        this.applyLinks(rng);
        return 'bus split healed';
    }
  }

  /**
   * Issue 9: an authenticated router injects a forged advert of another
   * origin into its neighbor, at once (then the advert must be dropped as
   * `bad-signature` whenever it could change anything, and change nothing)
   * or through the link (then the step invariants catch any change).
   */
  private forgeStep(rng: Rng): string {
    const up = this.net.edges.filter((e) => e.up);
    if (up.length === 0) return 'noop';
    const e = rng.pick(up);
    const [attacker, victim] = rng.chance(0.5) ? [e.a, e.b] : [e.b, e.a];
    const vr = this.slots.get(victim)?.router as CtpRouter<SimPeer>;
    if (rng.chance(0.25)) return this.forgeClaim(rng, attacker, victim, vr);
    if (rng.chance(0.3)) return this.forgeControl(rng, attacker, victim, vr);
    const origin = rng.pick([...this.slots.keys()].filter((id) => id !== attacker));
    const kind = rng.pick(FORGERIES);
    const before = vr.snapshot();
    const current = origin === victim ? before.seq : before.routers[origin]?.seq;
    const seq =
      current !== undefined && rng.chance(0.6)
        ? current + rng.int(0, 2)
        : FORGED_SEQ_BAND + rng.int(0, 1000);
    const neighbors = [
      ...new Set([
        attacker,
        victim,
        ...rng.shuffle([...this.slots.keys()]).slice(0, rng.int(0, 3)),
      ]),
    ];
    setSigningClock(() => this.clock.now);
    const advert = forge(kind, attacker, origin, seq, this.forgeries++, rng, neighbors);
    const frame = JSON.stringify({ v: 1, t: 'REPORTNODE', from: attacker, adverts: [advert] });
    const what = `forge ${kind} advert of ${origin} seq ${seq >= FORGED_SEQ_BAND ? 'band' : `${current}+${seq - (current ?? 0)}`} by ${attacker} into ${victim}`;
    // Not yet bound to the attacker, the victim would re-originate on binding it: through the link then.
    // So too when this peer is not bound yet (a bus peer of a neighbor also linked: binding it changes
    // the medium's view, seed 200112 with --bus --identities). A stalled victim reads it when it
    // resumes: through the link too.
    const table = (vr as unknown as { linkState: { table: { boundId(p: SimPeer): unknown } } })
      .linkState.table;
    if (
      rng.chance(0.3) ||
      !before.neighbors.includes(attacker) ||
      table.boundId(this.net.handle(e, victim)) !== attacker ||
      this.stalls.isStalled(victim)
    ) {
      this.net.enqueue(e, attacker, frame);
      return `${what} (through the link)`;
    }
    const drops = vr.stats().dropped['bad-signature'] ?? 0;
    this.deliverNow(victim, this.net.handle(e, victim), frame);
    const after = vr.snapshot();
    const dropped = (vr.stats().dropped['bad-signature'] ?? 0) - drops;
    const couldChange =
      kind === 'unsigned' ||
      current === undefined ||
      (origin === victim ? seq >= current : seq > current);
    if (dropped !== (couldChange ? 1 : 0))
      this.fail(
        'forged',
        `${what}: ${dropped} bad-signature drops, expected ${couldChange ? 1 : 0}`,
      );
    if (
      after.seq !== before.seq ||
      JSON.stringify(after.routers[origin]) !== JSON.stringify(before.routers[origin])
    )
      this.fail(
        'forged',
        `${what} changed its table: seq ${before.seq} -> ${after.seq}, ${origin} ${JSON.stringify(before.routers[origin])} -> ${JSON.stringify(after.routers[origin])}`,
      );
    return `${what}: ${dropped > 0 ? 'bad-signature' : 'ignored'}`;
  }

  /**
   * Issue 19: an authenticated router sends a REGISTER in another router's
   * name, claiming (signed with its own key, or not at all) that the other
   * router's next advert lists the virtual node: the host must not take the
   * claim, so no registration appears (the REGISTER waits for an advert that
   * never lists it, and is dropped).
   */
  private forgeClaim(rng: Rng, attacker: string, victim: string, vr: CtpRouter<SimPeer>): string {
    const nodes = [...(this.slots.get(victim)?.plain ?? [])];
    const origins = [...this.slots.keys()].filter((id) => id !== attacker && id !== victim);
    if (nodes.length === 0 || origins.length === 0 || this.stalls.isStalled(victim)) return 'noop';
    const node = rng.pick(nodes);
    const origin = rng.pick(origins);
    const before = vr.snapshot();
    const controller = `controller[${node}]@${origin}`;
    const claim = (before.routers[origin]?.seq ?? 0) + 1;
    const fields = { id: 1_000_000 + this.forgeries++, to: victim, node, controller, claim };
    const msg: Record<string, unknown> = { v: 1, t: 'REGISTER', ...fields };
    if (rng.chance(0.7)) msg.claimSig = forgeClaimSig(attacker, fields);
    const link = this.net.edges.find(
      (x) => x.up && ((x.a === attacker && x.b === victim) || (x.b === attacker && x.a === victim)),
    );
    if (link === undefined || !before.neighbors.includes(attacker)) return 'noop';
    const what = `forge a ${msg.claimSig === undefined ? 'unsigned' : 'signed-by-' + attacker} claim of ${controller} by ${attacker} into ${victim}`;
    this.deliverNow(victim, this.net.handle(link, victim), JSON.stringify(msg));
    const held = vr.snapshot().nodes[node]?.controller;
    // Only the claim is on trial: a REGISTER whose virtual node the host already sees advertised
    // is taken on the advert (the origin's own word), as it always was.
    const advertised = before.nodes[controller] !== undefined;
    if (held === controller && before.nodes[node]?.controller !== controller && !advertised)
      this.fail('forged', `${what}: the host took the forged claim (controller ${held})`);
    return `${what}: not taken`;
  }

  /**
   * Issue 25: an authenticated router injects into its neighbor a control
   * frame in another router's name — a COMMAND under another router's
   * controller name for a node the neighbor hosts, or a release notice of a
   * registration the neighbor holds — unauthenticated, or claiming the
   * genuine origin with an `auth` that is not its. It must be dropped there
   * (`bad-origin` or `replayed`), the host's app must not run, and the
   * registration must stand.
   */
  private forgeControl(rng: Rng, attacker: string, victim: string, vr: CtpRouter<SimPeer>): string {
    const link = this.net.edges.find(
      (x) => x.up && ((x.a === attacker && x.b === victim) || (x.b === attacker && x.a === victim)),
    );
    const before = vr.snapshot();
    if (link === undefined || !before.neighbors.includes(attacker) || this.stalls.isStalled(victim))
      return 'noop';
    let msg: Record<string, unknown>;
    let genuine: string;
    const regs = before.registrations.filter((r) => r.type === 'controller');
    const hosted = Object.entries(before.nodes).filter(
      ([n, e]) => e.owner === 'local' && e.controller !== undefined && !n.includes('['),
    );
    if (regs.length > 0 && (hosted.length === 0 || rng.chance(0.5))) {
      const r = rng.pick(regs);
      genuine = r.host;
      msg = {
        v: 1,
        t: 'RESPONSE',
        node: r.node,
        controller: r.virtualNode,
        code: 'NOT_ASSIGNED',
        reason: 'released',
        content: { host: r.host },
      };
    } else if (hosted.length > 0) {
      const [node, e] = rng.pick(hosted);
      genuine = (e.controller as string).slice((e.controller as string).lastIndexOf('@') + 1);
      if (genuine === attacker) return 'noop';
      msg = {
        v: 1,
        t: 'COMMAND',
        id: 2_000_000 + this.forgeries++,
        to: victim,
        node,
        controller: e.controller,
        app: 'forged',
        content: null,
      };
    } else return 'noop';
    const claimed = rng.chance(0.5);
    if (claimed)
      Object.assign(msg, {
        origin: genuine,
        ctr: this.clock.now * 1000 + this.forgeries++,
        auth: 'Zm9yZ2Vk',
      });
    const what = `forge a ${claimed ? `${genuine}-claimed` : 'unauthenticated'} ${String(msg.t)} of ${String(msg.node)} by ${attacker} into ${victim}`;
    const count = (): number => {
      const d = vr.stats().dropped;
      return (d['bad-origin'] ?? 0) + (d.replayed ?? 0);
    };
    const drops = count();
    this.deliverNow(victim, this.net.handle(link, victim), JSON.stringify(msg));
    // A frame claiming an origin whose signed advert the victim does not hold waits for it
    // (src/auth/origin-wait.ts) and is dropped when the wait ends: not at once, and never run.
    const mayWait = claimed && before.routers[genuine] === undefined;
    const dropped = count() - drops;
    if (dropped !== 1 && !(mayWait && dropped === 0))
      this.fail('forged', `${what}: not dropped as bad-origin or replayed`);
    const after = vr.snapshot();
    if (JSON.stringify(after.registrations) !== JSON.stringify(before.registrations))
      this.fail('forged', `${what}: the registrations changed`);
    return `${what}: dropped`;
  }

  // =========================================================================
  // Checks
  // =========================================================================

  private checkStep(): void {
    this.throwIfFailed();
    checkStep(this);
    this.throwIfFailed();
  }

  /** Let the network go quiet, then check the liveness invariants (and probe, and measure storms). */
  async quietCheck(rng: Rng, full: boolean): Promise<void> {
    await this.quiesce();
    this.throwIfFailed();
    checkQuiet(this);
    this.throwIfFailed();
    await this.probe(
      rng,
      full ? (this.config.finalProbeNodes ?? Infinity) : (this.config.probeNodes ?? 2),
    );
    if (full) await this.stormCheck(rng);
  }

  /**
   * Invariant 4: every reachable node can be registered and commanded, and
   * its events reach its controller and monitors exactly once.
   */
  private async probe(rng: Rng, max: number): Promise<void> {
    const hosts: { slot: SimSlot; node: string }[] = [];
    for (const s of this.liveSlots()) for (const n of s.plain) hosts.push({ slot: s, node: n });
    const chosen = rng.shuffle(hosts).slice(0, max);
    if (chosen.length === 0) return;
    const comps = components(this);
    this.probing = true;
    try {
      for (const { slot: host, node } of chosen) {
        const comp = (comps.get(host.id) as string[]).map((id) => this.slots.get(id) as SimSlot);
        const hr = host.router as CtpRouter<SimPeer>;
        if (comp.filter((s) => s.plain.has(node)).length > 1) {
          // A name hosted twice is two nodes: nobody may register it, post to it (SPEC.md section 5).
          const who = rng.pick(comp);
          const reg = this.issue(
            who,
            'register',
            node,
            rng.chance(0.5) ? 'controller' : 'monitor',
            PROBE,
          );
          await this.settle(reg);
          if (reg.result?.code !== ReturnCode.ERROR || reg.result.reason !== 'conflict')
            this.fail(
              'probe',
              `${who.id}.register(${node}) of a conflicting name answered ${JSON.stringify(reg.result)}`,
            );
          const res = (who.router as CtpRouter<SimPeer>).post(node, { token: this.nextToken++ });
          if (res.code !== ReturnCode.ERROR)
            this.fail(
              'probe',
              `${who.id}.post(${node}) of a conflicting name answered ${JSON.stringify(res)}`,
            );
          await this.quiesce();
          this.throwIfFailed();
          continue;
        }
        const recorded = hr.snapshot().nodes[node]?.controller;
        const owner =
          recorded === undefined
            ? rng.pick(comp)
            : this.slots.get(parseVirtualName(recorded)?.routerId ?? '');
        if (owner === undefined) {
          this.fail(
            'probe',
            `${host.id} records controller ${recorded} of ${node}, a router that does not exist`,
          );
          this.throwIfFailed();
          return;
        }
        const tag = `probe ${node}@${host.id}`;
        if (recorded === undefined) {
          const reg = this.issue(owner, 'register', node, 'controller', PROBE);
          await this.settle(reg);
          this.expect(reg, ReturnCode.SUCCESS, tag);
        }
        const idleBefore = this.idleReleases;
        const cmd = this.issue(owner, 'command', node, 'controller', PROBE);
        await this.settle(cmd);
        this.expect(cmd, ReturnCode.SUCCESS, tag);
        const mon = rng.pick(comp);
        const monitors = hr.snapshot().nodes[node]?.monitors ?? [];
        if (!monitors.some((m) => parseVirtualName(m)?.routerId === mon.id)) {
          const reg = this.issue(mon, 'register', node, 'monitor', PROBE);
          await this.settle(reg);
          this.expect(reg, ReturnCode.SUCCESS, tag);
        }
        await this.quiesce();
        this.throwIfFailed();
        for (const via of ['publish', 'post'] as const) {
          const token = this.nextToken++;
          const from = via === 'publish' ? host : rng.pick(comp);
          const res =
            via === 'publish'
              ? hr.publish(node, { token })
              : (from.router as CtpRouter<SimPeer>).post(node, { token });
          if (res.code !== ReturnCode.SUCCESS)
            this.fail('probe', `${tag}: ${from.id}.${via} answered ${JSON.stringify(res)}`);
          await this.quiesce();
          const snap = hr.snapshot().nodes[node];
          const targets = [
            ...(snap?.controller === undefined ? [] : [snap.controller]),
            ...(snap?.monitors ?? []),
          ];
          // Quiet runs every timer: a lock timeout (issue 10) may end the control, and nothing else may.
          if (snap?.controller === undefined && this.idleReleases === idleBefore)
            this.fail('probe', `${tag}: the controller was lost while quiet`);
          // Each EVENT once per router (issue 11): a router holding several
          // registrations of the node (controller and monitor) gets it once,
          // addressed to one of its own virtual nodes of that node.
          let total = 0;
          for (const [key, n] of this.events) if (key.endsWith(`|${token}`)) total += n;
          const routers = new Map<string, string[]>();
          for (const v of targets) {
            const at = parseVirtualName(v)?.routerId ?? '';
            routers.set(at, [...(routers.get(at) ?? []), v]);
          }
          for (const [at, held] of routers) {
            const n = held.reduce(
              (sum, v) => sum + (this.events.get(`${at}|${v}|${token}`) ?? 0),
              0,
            );
            if (n !== 1)
              this.fail(
                'events',
                `${tag}: the EVENT of ${via} (token ${token}) reached router ${at} (${held.join(', ')}) ${n} times`,
              );
          }
          if (total !== routers.size)
            this.fail(
              'events',
              `${tag}: the EVENT of ${via} (token ${token}) was received ${total} times for ${routers.size} registrant routers ${JSON.stringify(targets)}`,
            );
          this.throwIfFailed();
        }
      }
    } finally {
      this.probing = false;
    }
    checkQuiet(this);
    this.throwIfFailed();
  }

  private expect(req: SimRequest, code: ReturnCode, tag: string): void {
    if (!req.settled)
      this.fail('liveness', `${tag}: ${req.slot}.${req.op}(${req.node}) #${req.n} never settled`);
    else if (req.result?.code !== code)
      this.fail(
        'probe',
        `${tag}: ${req.slot}.${req.op}(${req.node}) #${req.n} answered ${JSON.stringify(req.result)}, expected ${code}`,
      );
    this.throwIfFailed();
  }

  /**
   * Invariant 6 (seeds with a medium): a member leaving and joining the
   * medium costs frames linear in the members — no member re-advertises a
   * list of all members — plus the flood of the changed adverts over the
   * point-to-point links (invariant 5's bound for those).
   */
  private async busStormCheck(rng: Rng): Promise<void> {
    const bus = this.bus;
    if (bus === undefined) return;
    const on = [...bus.on].filter((id) => this.isAlive(id));
    if (on.length < 2) return;
    const m = rng.pick(on);
    for (const change of ['leave', 'join'] as const) {
      const members = [...bus.on].filter((id) => this.isAlive(id)).length;
      const links = this.net.edges.filter((x) => x.up && x.medium === undefined).length;
      const routers = this.liveSlots().length;
      let registrations = 0;
      for (const s of this.liveSlots())
        registrations += (s.router as CtpRouter<SimPeer>).snapshot().registrations.length;
      if (change === 'leave') bus.on.delete(m);
      else bus.on.add(m);
      this.applyLinks(rng);
      // Signed adverts refresh to the members on the bus while it quiets: after a join, one more.
      const membersAfter = [...bus.on].filter((id) => this.isAlive(id)).length;
      this.note(`end t=${this.t()} bus storm check: ${m} ${change}s the bus`);
      const frames = await this.quiesce();
      const bound =
        busStormBound(members, links, routers, registrations, this.maxFrameBytes) +
        this.refreshAllowance(routers, links, Math.max(members, membersAfter));
      this.storms.push({ frames, links, routers, registrations, members, bound });
      if (frames > bound)
        this.fail(
          'bus-storm',
          `${m} ${change} cost ${frames} frames, over the bound ${bound} (${members} members, ${links} links, ${routers} routers, ${registrations} registrations)`,
        );
      this.throwIfFailed();
      checkQuiet(this);
      this.throwIfFailed();
    }
  }

  /** Invariant 5: the frames one topology change costs stay within a bound proportional to the links. */
  private async stormCheck(rng: Rng): Promise<void> {
    await this.busStormCheck(rng);
    const up = this.net.edges.filter((e) => e.up && e.medium === undefined);
    if (up.length === 0) return;
    const e = rng.pick(up);
    for (const change of ['cut', 'heal'] as const) {
      const links = this.net.edges.filter((x) => x.up).length;
      const routers = this.liveSlots().length;
      let registrations = 0;
      for (const s of this.liveSlots())
        registrations += (s.router as CtpRouter<SimPeer>).snapshot().registrations.length;
      e.cut = change === 'cut';
      this.applyLinks(rng);
      // Signed adverts refresh over the links up while it quiets: after a heal, one more.
      const linksAfter = this.net.edges.filter((x) => x.up).length;
      this.note(`end t=${this.t()} storm check: ${change} ${e.a}-${e.b}`);
      const frames = await this.quiesce();
      this.storms.push({ frames, links, routers, registrations });
      const bound =
        stormBound(links, routers, registrations) +
        this.refreshAllowance(routers, Math.max(links, linksAfter), 0);
      if (frames > bound)
        this.fail(
          'storm',
          `${change} of ${e.a}-${e.b} cost ${frames} frames, over the bound ${bound} (${links} links, ${routers} routers, ${registrations} registrations)`,
        );
      this.throwIfFailed();
      checkQuiet(this);
      this.throwIfFailed();
    }
  }
}

/** The shortest registration wait the simulator uses with this advert pacing (the default, 500 ms, when undefined). */
function pacingFloor(minAdvertIntervalMs: number | undefined): number {
  const ms = minAdvertIntervalMs ?? 500;
  return ms === 0 ? 0 : Math.max(1000, 10 * ms);
}

/**
 * Frames one link cut or heal may cost once quiet: every router floods each
 * changed advert once on each of its links (2 per link and advert), the two
 * ends re-originate, a heal exchanges whole tables, and each registration
 * refreshes or ends once (its own advert change). Generous constant factor;
 * a storm or a loop is far above it.
 */
export function stormBound(links: number, routers: number, registrations: number): number {
  return 2 * (links + 1) * (routers + registrations + 4);
}

/**
 * Frames one member joining or leaving a medium may cost: per member, the
 * table exchange with the one that joins (each way: the table — several
 * frames when `maxFrameBytes` is small — and an UPDATENODE answered by a
 * table) and one copy of each changed advert (its own, the pseudo-node's,
 * registrations refreshing); plus the point-to-point flood (`stormBound`).
 * Linear in the members: N members re-advertising each other would be N².
 */
export function busStormBound(
  members: number,
  links: number,
  routers: number,
  registrations: number,
  maxFrameBytes: number | undefined,
): number {
  const tableFrames =
    maxFrameBytes === undefined
      ? 1
      : Math.ceil(((routers + registrations) * 120) / maxFrameBytes) + 1;
  return (
    members * (4 * tableFrames + 8 + registrations) + stormBound(links, routers, registrations)
  );
}

function nonceOf(m: CtpControlMessage): unknown {
  const payload = m.t === 'COMMAND' ? m.content : m.optionals;
  return (payload as { nonce?: unknown } | undefined)?.nonce;
}

/** A frame no router may act on: invalid bytes, bad JSON, bad fields, truncated frames, destinations that do not exist. */
export function garbage(
  rng: Rng,
  recent: readonly string[],
  maxFrameBytes: number | undefined,
): string | Uint8Array {
  const kind = rng.int(0, 13);
  const randomText = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(rng.int(0, 0x2ff))).join('');
  switch (kind) {
    case 0:
      return randomText(rng.int(0, 40));
    case 1:
      return Uint8Array.from([
        0x7b,
        0xff,
        0xfe,
        ...Array.from({ length: rng.int(0, 20) }, () => rng.int(0, 255)),
      ]);
    case 2:
      return rng.pick(['null', '[]', '42', '"x"', 'true', '{}', '{"v":1}', '']);
    case 3:
      return '{"v":2,"t":"UPDATENODE","from":"zz"}';
    case 4:
      return '{"v":1,"t":"NOPE","from":"zz"}';
    case 5:
      return rng.pick([
        '{"v":1,"t":"REGISTER","id":-1,"node":"n","controller":"controller[n]@zz"}',
        '{"v":1,"t":"REGISTER","id":1.5,"node":"n","controller":"controller[n]@zz"}',
        '{"v":1,"t":"COMMAND","id":3,"node":"a\\u0001b","controller":"controller[a]@zz","app":"x","content":1}',
        '{"v":1,"t":"REPORTNODE","from":"zz","adverts":[{"origin":"q","seq":"1","nodes":[],"neighbors":[]}]}',
        '{"v":1,"t":"RESPONSE","node":"n","controller":"controller[n]@zz","code":"MAYBE","re":1}',
        '{"v":1,"t":"EVENT","node":"n","monitor":"n","content":1}',
      ]);
    case 6:
    case 7:
    case 8: {
      // A truncated real frame: a proper prefix of a JSON object is never valid JSON.
      const f = recent.length > 0 ? rng.pick(recent) : '{"v":1,"t":"UPDATENODE","from":"zz"}';
      return f.slice(0, rng.int(0, Math.max(0, f.length - 2)));
    }
    case 9:
      // A RESPONSE nobody waits for, to a registrant that does not exist.
      return JSON.stringify({
        v: 1,
        t: 'RESPONSE',
        node: 'n0a',
        controller: 'controller[n0a]@ghost',
        code: 'SUCCESS',
        re: 987654321,
      });
    case 10:
      // A request for a node nobody hosts, from a registrant that does not exist.
      return JSON.stringify({
        v: 1,
        t: 'COMMAND',
        id: 987654321,
        to: 'ghost',
        node: 'nowhere',
        controller: 'controller[nowhere]@ghost',
        app: 'x',
        content: 1,
      });
    case 11:
      return JSON.stringify({
        v: 1,
        t: 'POST',
        to: 'ghost',
        node: 'nowhere',
        content: 1,
        hops: 99,
      });
    case 12: {
      const max = maxFrameBytes ?? 8 * 1024 * 1024;
      if (max > 70_000) return '{"v":1,"t":"UPDATENODE","from":"zz"'.repeat(3);
      return `{"v":1,"t":"UPDATENODE","from":"zz","pad":"${'x'.repeat(max)}"}`;
    }
    default:
      return JSON.stringify({
        v: 1,
        t: 'EVENT',
        node: 'nowhere',
        monitor: 'monitor[nowhere]@ghost',
        content: { token: -1 },
      });
  }
}
