/**
 * "A thousand routers": one bus on one local nats-server (started with
 * `-m PORT`, its monitoring endpoint), N routers in this process, one NATS
 * connection each. Measures formation, idle deliveries per heartbeat
 * interval, deliveries per node change, join and leave (nats-server's
 * `/varz` `out_msgs`, beside the frames our counters saw), convergence
 * times and memory per router. Shared by bench/bus-scale.ts and
 * test/nats/scale.test.ts (a reduced N).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { connect as tcpConnect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { busHost } from './nats.js';

type Host = Awaited<ReturnType<typeof busHost>>;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** A nats-server with its monitoring endpoint; `outMsgs()` reads `/varz` `out_msgs`. */
export interface MonitoredNats {
  url: string;
  outMsgs(): Promise<number>;
  /**
   * Messages nats-server delivered on each subscription to frames (a member's inbox
   * `<prefix>.u.<id>.*` and the broadcasts `<prefix>.b.*`), by connection and subscription id:
   * `/subsz?subs=1`. Presence is on other subjects, so no subtraction is needed.
   */
  frameMsgs(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Start nats-server on free loopback ports with `-m` (monitoring). */
export async function startMonitoredNats(bin: string): Promise<MonitoredNats> {
  const port = await freePort();
  const mon = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(mon)],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; !(await accepts(port)) || !(await accepts(mon)); i++) {
    if (i > 400) throw new Error('nats-server did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
  const read = <T>(path: string): Promise<T> =>
    new Promise((resolve, reject) => {
      get(`http://127.0.0.1:${mon}${path}`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(JSON.parse(body) as T));
      }).on('error', reject);
    });
  type Subsz = {
    subscriptions_list?: { subject: string; sid: string; cid: number; msgs: number }[];
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    outMsgs: async () => (await read<{ out_msgs: number }>('/varz')).out_msgs,
    frameMsgs: async () => {
      const subs = (await read<Subsz>('/subsz?subs=1&limit=1000000')).subscriptions_list ?? [];
      return new Map(
        subs
          .filter((x) => /\.(b\.\*|u\.[^.]+\.\*)$/.test(x.subject))
          .map((x) => [`${x.cid}:${x.sid}`, x.msgs]),
      );
    },
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** What one run measured. */
export interface BusScaleResult {
  n: number;
  heartbeatMs: number;
  /** Routers started one after another until every router sees every node, ms. */
  formationMs: number;
  /** CPU time of this process (every router and the NATS clients) over formation, ms. */
  formationCpuMs: number;
  /** Members taken down at some router by the time every router saw every node, by reason. */
  formationDrops: Record<string, number>;
  /** nats-server deliveries per heartbeat interval when idle (`/varz`). */
  idlePerInterval: number;
  /** Of which, by our counters: presence (heartbeats, hellos, rosters) and frames. */
  idlePresencePerInterval: number;
  idleFramesPerInterval: number;
  /**
   * A node change: deliveries of frames (nats-server's `/varz` count over the
   * event, less the presence messages our counters saw meanwhile), the frames
   * our counters saw (the same number when nothing else is on the server),
   * ms until everywhere.
   */
  change: { varz: number; frames: number; ms: number };
  /** A join (a new router starts): the same, ms until every router sees its node and it sees every node. */
  join: { varz: number; frames: number; ms: number };
  /** A leave (the joiner closes: a goodbye): the same, ms until its node is gone everywhere. */
  leave: { varz: number; frames: number; ms: number };
  /** Members taken down at some router, by reason (`silent` ones during formation: the process was saturated). */
  drops: Record<string, number>;
  /** RSS and heap growth of this process per router after formation, bytes. */
  rssPerRouter: number;
  heapPerRouter: number;
}

/** CPU time of this process since `from`, ms. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Until this process keeps up: a 0 ms timer fires within `ms` (what the sockets queued is read). */
async function caughtUp(ms = 20): Promise<void> {
  for (;;) {
    const t = performance.now();
    await sleep(0);
    if (performance.now() - t < ms) return;
  }
}

async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
  return performance.now() - t0;
}

/**
 * A check over every router that, once true of one, stays true during the wait (a node seen,
 * a node gone): each poll starts at the first router not yet done, so waiting costs no
 * `nodes()` of N routers every few ms (that alone took a core at N = 500).
 */
function everyOnce<T>(items: () => readonly T[], ok: (x: T) => boolean): () => boolean {
  let i = 0;
  return () => {
    const all = items();
    while (i < all.length && ok(all[i] as T)) i++;
    return i === all.length;
  };
}

/** Frames, and presence messages (heartbeats, hellos, rosters, not understood), our counters saw. */
function counted(hosts: readonly Host[]): { frames: number; presence: number } {
  let frames = 0;
  let presence = 0;
  for (const h of hosts) {
    const s = h.bus.stats();
    frames += s.framesIn;
    presence += s.heartbeatsIn + s.rostersIn + s.ignored;
  }
  return { frames, presence };
}

/** Run the scale measurement for `n` routers on `nats` (default bus options). */
export async function busScale(
  nats: MonitoredNats,
  n: number,
  progress: (s: string) => void = () => {},
  formationLimitMs = 600_000,
): Promise<BusScaleResult> {
  const heartbeatMs = 1000; // the transport's default (the routers use default options)
  // But for the client's connect timeout (20 s): while hundreds of routers in this one process
  // absorb a join, a new connection's handshake can wait longer than that.
  const client = { timeout: 120_000 };
  const hosts: Host[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m0 = process.memoryUsage();
  const name = (i: number): string => `r${String(i).padStart(4, '0')}`;
  const drops: Record<string, number> = {};
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      // One after another, each once this process has read what is queued: started as fast as
      // connections open, the joins' work piled up until nats-server cut the routers as slow
      // consumers and the bus re-formed over and over (N = 1,000 stuck at 475 routers).
      await caughtUp();
      const h = await busHost(nats.url, name(i), [`dev${i}`], client);
      h.bus.on('disconnect', (_p, why) => void (drops[why] = (drops[why] ?? 0) + 1));
      hosts.push(h);
      if (i % 25 === 24)
        progress(
          `  ${i + 1} routers started, ${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${(cpuMs(cpu0) / 1000).toFixed(1)} s, drops ${JSON.stringify(drops)}`,
        );
    }
    await until(
      everyOnce(
        () => hosts,
        (h) => h.router.nodes().length >= n,
      ),
      formationLimitMs,
      'formation',
    );
    const formationMs = performance.now() - t0;
    const formationCpuMs = cpuMs(cpu0);
    const formationDrops = { ...drops };
    progress(
      `  formed in ${(formationMs / 1000).toFixed(1)} s (CPU ${(formationCpuMs / 1000).toFixed(1)} s), drops ${JSON.stringify(drops)}`,
    );
    gc?.();
    const m1 = process.memoryUsage();
    // Settle (pacing, the last tables), then count the idle deliveries.
    await sleep(3 * heartbeatMs);
    // Ten intervals from just after one roster of the lowest aggregator to just after its tenth
    // next: a roster is a burst of N − 1 deliveries, and a window of ten intervals by the clock
    // caught 10 or 11 of each aggregator's (± (N − 1) / 10: 1,013 read at N = 250, 4N − 6 = 994).
    const intervals = 10;
    const agg = hosts[0] as Host; // the lowest id: an aggregator
    const nextRoster = async (): Promise<void> => {
      const r0 = agg.bus.stats().rostersOut;
      await until(() => agg.bus.stats().rostersOut > r0, 5 * heartbeatMs, 'a roster');
      // Its deliveries done before `/varz` is read, at both ends alike (read at once, one roster
      // too many was counted now and then: 1,019 at N = 250).
      await sleep(heartbeatMs / 5);
    };
    await nextRoster();
    const i0 = counted(hosts);
    const v0 = await nats.outMsgs();
    for (let k = 0; k < intervals; k++) await nextRoster();
    const v1 = await nats.outMsgs();
    const i1 = counted(hosts);
    const idlePerInterval = (v1 - v0) / intervals;
    const idlePresencePerInterval = (i1.presence - i0.presence) / intervals;
    const idleFramesPerInterval = (i1.frames - i0.frames) / intervals;
    progress(`  idle measured, drops ${JSON.stringify(drops)}`);
    const measure = async (
      act: () => Promise<void> | void,
      done: () => boolean,
      on: () => readonly Host[],
    ): Promise<{ varz: number; frames: number; ms: number }> => {
      // Deliveries per subscription to frames, not `out_msgs` less the presence our counters saw:
      // presence this busy process read late fell on the wrong side of the window (a node change
      // of N = 100 once read 6 deliveries beside 99 frames).
      const f0 = await nats.frameMsgs();
      const c0 = counted(hosts);
      const more0 = on().length > hosts.length ? counted(on().slice(hosts.length)) : undefined;
      const w0 = performance.now();
      await act();
      await until(done, 60_000, 'convergence');
      const ms = performance.now() - w0;
      await sleep(500); // what is still in flight
      const c1 = counted(on());
      const f1 = await nats.frameMsgs();
      const frames = c1.frames - c0.frames - (more0?.frames ?? 0);
      // A subscription gone meanwhile (the joiner's, at its leave) counts for nothing.
      let varz = 0;
      for (const [k, m] of f1) varz += m - (f0.get(k) ?? 0);
      return { varz, frames, ms };
    };
    const last = hosts[n - 1] as Host;
    const change = await measure(
      () => last.router.appendNodes('changed'),
      everyOnce(
        () => hosts,
        (h) => h.router.nodes().includes('changed'),
      ),
      () => hosts,
    );
    let joiner: Host | undefined;
    const join = await measure(
      async () => {
        joiner = await busHost(nats.url, 'r-joiner', ['joined'], client);
      },
      everyOnce(
        () => (joiner === undefined ? [undefined] : [joiner, ...hosts]),
        (h) =>
          h !== undefined &&
          (h === joiner ? h.router.nodes().length >= n + 2 : h.router.nodes().includes('joined')),
      ),
      () => (joiner === undefined ? hosts : [...hosts, joiner]),
    );
    const j = joiner as Host;
    const leave = await measure(
      () => j.close(),
      everyOnce(
        () => hosts,
        (h) => !h.router.nodes().includes('joined'),
      ),
      () => hosts,
    );
    progress(`  events measured, drops ${JSON.stringify(drops)}`);
    return {
      n,
      heartbeatMs,
      formationMs,
      formationCpuMs,
      formationDrops,
      idlePerInterval,
      idlePresencePerInterval,
      idleFramesPerInterval,
      change,
      join,
      leave,
      drops: { ...drops },
      rssPerRouter: (m1.rss - m0.rss) / n,
      heapPerRouter: (m1.heapUsed - m0.heapUsed) / n,
    };
  } finally {
    // The routers first: each goodbye then costs the members still open no route search (N
    // leaves at N members, each a search over N, took minutes at N = 500).
    await Promise.all(hosts.map((h) => h.router.close()));
    for (let i = 0; i < hosts.length; i += 50)
      await Promise.all(hosts.slice(i, i + 50).map((h) => h.bus.close()));
  }
}

/** What a presence flood cost one router (bench/bus-scale.ts `--flood`). */
export interface FloodResult {
  idsPerSecond: number;
  seconds: number;
  maxMembers: number;
  /** CPU of this process (the router and the flooding client) over the flood, % of one core. */
  cpuPercent: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  /** RSS `deadAfterMs` after the flood stopped. */
  rssAfterMb: number;
  membersPeak: number;
  membersRefused: number;
  /** Members left `deadAfterMs` + 2 s after the flood (the real one: 1). */
  membersAfter: number;
}

/**
 * A presence flood: `idsPerSecond` made-up router ids a second (a hello each)
 * for `seconds`, against one router with one real member, `maxMembers` as given.
 */
export async function presenceFlood(
  nats: MonitoredNats,
  idsPerSecond: number,
  seconds: number,
  maxMembers?: number,
): Promise<FloodResult> {
  const { connect } = await import('@nats-io/transport-node');
  const prefix = `flood${maxMembers ?? 'd'}`;
  const opts = { prefix, ...(maxMembers === undefined ? {} : { maxMembers }) };
  const st = await busHost(nats.url, 'station', ['cam1'], opts);
  const other = await busHost(nats.url, 'console', [], opts);
  const nc = await connect({ servers: nats.url });
  try {
    await until(() => other.router.nodes().includes('cam1'), 10_000, 'cam1');
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let membersPeak = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let k = 0;
    const tick = 50;
    for (let t = 0; t < seconds * 1000; t += tick) {
      for (let j = 0; j < (idsPerSecond * tick) / 1000; j++, k++)
        nc.publish(`${prefix}.p.fake${k}`, `{"v":1,"i":"i${k}","hello":true}`);
      await sleep(tick);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      membersPeak = Math.max(membersPeak, st.bus.peers().length);
    }
    await nc.flush();
    const c1 = process.cpuUsage(c0);
    const wall = performance.now() - t0;
    await sleep(3000 + 2000);
    gc?.();
    return {
      idsPerSecond,
      seconds,
      maxMembers: maxMembers ?? 2048,
      cpuPercent: ((c1.user + c1.system) / 1000 / wall) * 100,
      rssBeforeMb: rssBefore / 2 ** 20,
      rssPeakMb: rssPeak / 2 ** 20,
      rssAfterMb: process.memoryUsage().rss / 2 ** 20,
      membersPeak,
      membersRefused: st.bus.stats().membersRefused,
      membersAfter: st.bus.peers().length,
    };
  } finally {
    await nc.close();
    await other.close();
    await st.close();
  }
}
