/**
 * Issue 10, transport half, in one process over loopback: heartbeats and dead
 * links, the handshake / partial-frame timeout, the partial-frame budget,
 * eviction of unproven connections when the server is full.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CtpRouter } from '../../src/index.js';
import {
  TcpTransport,
  type TcpCloseReason,
  type TcpHost,
  type TcpPeer,
  type TcpTransportOptions,
} from '../../src/tcp/index.js';
import { sweepPeriod } from '../../src/tcp/liveness.js';

const transports: TcpTransport[] = [];
const routers: CtpRouter<TcpPeer>[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const loopback = { host: '127.0.0.1', port: 0 };

/** A transport driving a recording host (not a router): what came up, went down, and why. */
async function spy(options: TcpTransportOptions): Promise<{
  t: TcpTransport;
  ups: TcpPeer[];
  downs: TcpPeer[];
  reasons: [TcpPeer, TcpCloseReason][];
  frames: string[];
}> {
  const t = new TcpTransport({ listen: loopback, ...options });
  transports.push(t);
  const rec = {
    t,
    ups: [] as TcpPeer[],
    downs: [] as TcpPeer[],
    reasons: [] as [TcpPeer, TcpCloseReason][],
    frames: [] as string[],
  };
  const host: TcpHost = {
    id: 'station',
    receive: (_p, f) => void rec.frames.push(Buffer.from(f).toString('utf8')),
    peerUp: (p) => void rec.ups.push(p),
    peerDown: (p) => void rec.downs.push(p),
  };
  t.on('disconnect', (p, reason) => rec.reasons.push([p, reason]));
  t.attach(host);
  await t.listening();
  return rec;
}

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

/** Every line a raw socket receives, empty ones included. */
function lines(s: Socket): string[] {
  const out: string[] = [];
  let buf = '';
  s.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      out.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return out;
}

const closedBy = (s: Socket): Promise<void> =>
  new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));
const UPDATENODE = (from: string): string => `${JSON.stringify({ v: 1, t: 'UPDATENODE', from })}\n`;

/** The transport's liveness sweep (src/tcp/liveness.ts). */
interface Sweeper {
  period: number;
  timer: unknown;
  sweep(): void;
}
const livenessOf = (t: TcpTransport): Sweeper =>
  (t as unknown as { guards: { liveness: Sweeper } }).guards.liveness;

/**
 * Resolves after the transport's next `n` sweeps, calling `after` right after
 * each: a window measured on the transport's own clock, however late the
 * timer runs on a loaded machine.
 */
function sweeps(t: TcpTransport, n: number, after: () => void = () => {}): Promise<void> {
  const liveness = livenessOf(t);
  const sweep = liveness.sweep;
  return new Promise((resolve) => {
    let left = n;
    liveness.sweep = () => {
      sweep.call(liveness);
      after();
      if (--left > 0) return;
      delete (liveness as Partial<Sweeper>).sweep; // the prototype's again
      resolve();
    };
  });
}

describe('options', () => {
  it('defaults: heartbeat 5000, dead after 3× it, handshake 10000, budget 64 MiB; bad values throw', () => {
    const t = new TcpTransport();
    const o = (t as unknown as { opts: Record<string, number> }).opts;
    expect([o.heartbeatMs, o.deadAfterMs, o.handshakeTimeoutMs, o.maxBufferedBytes]).toEqual([
      5000,
      15000,
      10000,
      64 * 1024 * 1024,
    ]);
    const off = (
      new TcpTransport({ heartbeatMs: 0 }) as unknown as { opts: Record<string, number> }
    ).opts;
    expect([off.heartbeatMs, off.deadAfterMs]).toEqual([0, 0]);
    expect(() => new TcpTransport({ heartbeatMs: 100, deadAfterMs: 100 })).toThrow(/deadAfterMs/);
    expect(() => new TcpTransport({ heartbeatMs: -1 })).toThrow(/heartbeatMs/);
    expect(() => new TcpTransport({ maxBufferedBytes: 0 })).toThrow(/maxBufferedBytes/);
    expect(() => new TcpTransport({ handshakeTimeoutMs: Number.NaN })).toThrow(
      /handshakeTimeoutMs/,
    );
    // Dead-link detection without sending heartbeats is allowed.
    expect(() => new TcpTransport({ heartbeatMs: 0, deadAfterMs: 100 })).not.toThrow();
  });

  it('the sweep period is a quarter of the shortest interval, within 5–1000 ms, or none', () => {
    expect(sweepPeriod({ heartbeatMs: 5000, deadAfterMs: 15000, handshakeTimeoutMs: 10000 })).toBe(
      1000,
    );
    expect(sweepPeriod({ heartbeatMs: 400, deadAfterMs: 1200, handshakeTimeoutMs: 10000 })).toBe(
      100,
    );
    expect(sweepPeriod({ heartbeatMs: 0, deadAfterMs: 0, handshakeTimeoutMs: 0 })).toBe(0);
    expect(sweepPeriod({ heartbeatMs: 1, deadAfterMs: 3, handshakeTimeoutMs: 0 })).toBe(5);
  });
});

describe('heartbeats and dead links', () => {
  it('an idle link gets empty lines (heartbeats) and no frame; a busy one gets none', async () => {
    // Heartbeats every 40 ms (5 s by default), so the test sees a few; dead links off: the raw socket
    // never answers them, and the test watches it for longer than 3 × heartbeatMs.
    const st = await spy({ heartbeatMs: 40, deadAfterMs: 0 });
    const s = await raw(st.t.address().port);
    const got = lines(s);
    s.write(UPDATENODE('plain'));
    await expect
      .poll(() => got.filter((l) => l === '').length, { timeout: 3000 })
      .toBeGreaterThanOrEqual(3);
    // Only the hello is a frame: heartbeats are empty lines, nothing else.
    expect(
      got.filter((l) => l !== '').map((l) => (JSON.parse(l) as { hello?: string }).hello),
    ).toEqual(['ctp-tcp/1']);
    expect(st.t.stats().heartbeatsOut).toBeGreaterThanOrEqual(3);
    // Windows of 12 sweeps (10 ms each, at least; three heartbeat intervals), counted by the transport.
    expect(livenessOf(st.t).period).toBe(10);
    // Idle: heartbeats (one every 4 sweeps at most, so at least 2).
    const idle0 = st.t.stats().heartbeatsOut;
    await sweeps(st.t, 12);
    expect(st.t.stats().heartbeatsOut - idle0).toBeGreaterThanOrEqual(2);
    // Busy, a frame written after every sweep: no sweep finds the link idle, so no heartbeat.
    const peer = st.t.peers()[0] as TcpPeer;
    const frame = '{"v":1,"t":"UPDATENODE","from":"station"}';
    const before = got.length;
    const busy0 = st.t.stats().heartbeatsOut;
    st.t.send(peer, frame);
    await sweeps(st.t, 12, () => st.t.send(peer, frame));
    expect(st.t.stats().heartbeatsOut - busy0).toBe(0);
    // On the wire: the 13 frames arrive with no empty line among them.
    const frames = (): number[] => got.flatMap((l, i) => (i >= before && l === frame ? [i] : []));
    await expect.poll(() => frames().length, { timeout: 3000 }).toBe(13);
    const [first, last] = [frames()[0] as number, frames()[12] as number];
    expect(got.slice(first, last + 1)).toEqual(Array(13).fill(frame));
  });

  it('two routers idle far longer than deadAfterMs keep their link: heartbeats keep it alive', async () => {
    const mk = async (
      id: string,
      o: TcpTransportOptions,
    ): Promise<{ t: TcpTransport; r: CtpRouter<TcpPeer>; downs: string[] }> => {
      // Liveness 100 times faster than the default (5 s, dead after 15 s): a second of silence is over three deadAfterMs.
      const t = new TcpTransport({ heartbeatMs: 40, deadAfterMs: 300, ...o });
      const r = new CtpRouter<TcpPeer>(
        () => {},
        t.send,
        () => {},
        { id, nodes: [`${id}-node`] },
      );
      const downs: string[] = [];
      t.on('disconnect', (_p, reason) => downs.push(reason));
      t.attach(r);
      transports.push(t);
      routers.push(r);
      await t.listening();
      return { t, r, downs };
    };
    const a = await mk('alpha', { listen: loopback });
    const b = await mk('beta', { connect: [`127.0.0.1:${a.t.address().port}`] });
    await expect.poll(() => b.r.nodes(), { timeout: 3000 }).toEqual(['alpha-node', 'beta-node']);
    // 25 heartbeats each way, each at least heartbeatMs after the one before: over 960 ms, three
    // deadAfterMs, in which the routers send nothing, however slowly this machine runs.
    const [a0, b0] = [a.t.stats(), b.t.stats()];
    const t0 = performance.now();
    await expect
      .poll(
        () =>
          Math.min(
            a.t.stats().heartbeatsOut - a0.heartbeatsOut,
            b.t.stats().heartbeatsOut - b0.heartbeatsOut,
          ),
        { timeout: 15_000 },
      )
      .toBeGreaterThanOrEqual(25);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3 * 300);
    expect([a.t.stats().framesOut, b.t.stats().framesOut]).toEqual([a0.framesOut, b0.framesOut]);
    expect([a.downs, b.downs]).toEqual([[], []]);
    expect(a.t.stats().dead + b.t.stats().dead).toBe(0);
    expect(b.r.nodes()).toEqual(['alpha-node', 'beta-node']);
  });

  it('a link that goes silent is closed `dead` and the host gets peerDown', async () => {
    const st = await spy({ heartbeatMs: 30, deadAfterMs: 150 }); // dead after 150 ms (15 s by default), within the test's time
    const s = await raw(st.t.address().port);
    s.on('data', () => {}); // reads, never writes again
    s.write(UPDATENODE('quiet'));
    await expect.poll(() => st.frames.length, { timeout: 3000 }).toBe(1);
    await closedBy(s);
    expect(st.reasons.map(([, r]) => r)).toEqual(['dead']);
    expect(st.downs).toEqual(st.ups);
    expect(st.t.stats()).toMatchObject({ dead: 1, connections: 0 });
  });

  it('a plain peer that ignores heartbeats keeps its link while it sends something (a frame, or an empty line) within deadAfterMs', async () => {
    const st = await spy({ heartbeatMs: 30, deadAfterMs: 300 }); // dead after 300 ms (15 s by default), within the test's time
    const framer = await raw(st.t.address().port);
    const beater = await raw(st.t.address().port);
    framer.on('data', () => {});
    beater.on('data', () => {});
    framer.write(UPDATENODE('framer'));
    beater.write(UPDATENODE('beater'));
    for (let i = 0; i < 15; i++) {
      await sleep(50);
      framer.write(UPDATENODE('framer'));
      beater.write('\n');
    }
    expect(st.reasons).toEqual([]);
    expect(st.t.peers()).toHaveLength(2);
    // Both silent now: both dead.
    await Promise.all([closedBy(framer), closedBy(beater)]);
    expect(st.reasons.map(([, r]) => r)).toEqual(['dead', 'dead']);
  });

  it('heartbeatMs 0: no heartbeat and no dead link, however long the silence', async () => {
    // The handshake timer off too: it alone would schedule a sweep, and this test asserts none.
    const st = await spy({ heartbeatMs: 0, handshakeTimeoutMs: 0 });
    const s = await raw(st.t.address().port);
    const got = lines(s);
    s.write(UPDATENODE('quiet'));
    await expect.poll(() => st.frames.length, { timeout: 3000 }).toBe(1);
    // No sweep is scheduled, so nothing can send a heartbeat or judge the link, however long.
    expect(livenessOf(st.t).period).toBe(0);
    expect(livenessOf(st.t).timer).toBeUndefined();
    // And over a window in which a transport with heartbeats (every 20 ms) sends five:
    const control = await spy({ heartbeatMs: 20, deadAfterMs: 0 });
    const c = await raw(control.t.address().port);
    c.on('data', () => {});
    c.write(UPDATENODE('control'));
    await expect
      .poll(() => control.t.stats().heartbeatsOut, { timeout: 5000 })
      .toBeGreaterThanOrEqual(5);
    expect(got.filter((l) => l === '')).toEqual([]);
    expect(st.reasons).toEqual([]);
    expect(st.t.stats().heartbeatsOut).toBe(0);
    expect(st.t.peers()).toHaveLength(1);
  });

  it('a stalled process (its event loop blocked) judges no link on the late sweep', async () => {
    const st = await spy({ heartbeatMs: 30, deadAfterMs: 250 }); // dead after 250 ms (15 s by default): a 600 ms stall is well past it
    const s = await raw(st.t.address().port);
    s.on('data', () => {});
    s.write(UPDATENODE('steady'));
    await expect.poll(() => st.frames.length, { timeout: 3000 }).toBe(1);
    const keepAlive = setInterval(() => s.write('\n'), 20);
    try {
      // This process (the peer's socket in it too) does not run for 600 ms, over deadAfterMs:
      // the sweep that runs first afterwards sees old activity, but must not judge on it.
      const until = Date.now() + 600;
      while (Date.now() < until) {
        /* blocked */
      }
      await sleep(150);
      expect(st.reasons).toEqual([]);
      expect(
        (st.t as unknown as { guards: { liveness: { stalls: number } } }).guards.liveness.stalls,
      ).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(keepAlive);
    }
  });
});

describe('handshake and partial-frame timeout', () => {
  it('closes a connection that sends nothing, or only heartbeats, within handshakeTimeoutMs', async () => {
    const st = await spy({ handshakeTimeoutMs: 120 }); // 120 ms (10 s by default), within the test's time
    const silent = await raw(st.t.address().port);
    const beating = await raw(st.t.address().port);
    silent.on('data', () => {});
    beating.on('data', () => {});
    const beat = setInterval(() => beating.write('\n'), 20);
    try {
      await Promise.all([closedBy(silent), closedBy(beating)]);
    } finally {
      clearInterval(beat);
    }
    expect(st.reasons.map(([, r]) => r)).toEqual(['handshake-timeout', 'handshake-timeout']);
    expect(st.t.stats().handshakeTimeouts).toBe(2);
    expect(st.downs).toHaveLength(2);
  });

  it('closes a connection that holds a partial frame too long (slowloris), even after good frames', async () => {
    const st = await spy({ handshakeTimeoutMs: 150 }); // 150 ms (10 s by default), within the test's time
    const good = await raw(st.t.address().port);
    const loris = await raw(st.t.address().port);
    const [goodPort, lorisPort] = [good.localPort, loris.localPort];
    good.on('data', () => {});
    loris.on('data', () => {});
    good.write(UPDATENODE('good'));
    loris.write(UPDATENODE('loris'));
    loris.write('{"v":1,"t":"UPDATE');
    // Trickling bytes of the same line does not reset the clock.
    const trickle = setInterval(() => loris.write('x'), 20);
    // The good one sends complete frames in pieces: each completes in time.
    const pieces = setInterval(() => {
      good.write('{"v":1,"t":"UPD');
      setTimeout(() => good.write('ATENODE","from":"good"}\n'), 10);
    }, 40);
    try {
      await closedBy(loris);
    } finally {
      clearInterval(trickle);
      clearInterval(pieces);
    }
    expect(st.reasons.map(([p, r]) => [p.remotePort, r])).toEqual([
      [lorisPort, 'handshake-timeout'],
    ]);
    await sleep(200);
    expect(st.t.peers().map((p) => p.remotePort)).toEqual([goodPort]);
  });

  it('a full server evicts the oldest connection that never sent a frame, so a new peer gets in', async () => {
    const st = await spy({ maxConnections: 5 }); // full at five (1024 by default)
    const proven = await raw(st.t.address().port);
    const provenPort = proven.localPort;
    proven.on('data', () => {});
    proven.write(UPDATENODE('proven'));
    await expect.poll(() => st.frames.length, { timeout: 3000 }).toBe(1);
    const lorises: Socket[] = [];
    let firstLoris: number | undefined;
    for (let i = 0; i < 4; i++) {
      const s = await raw(st.t.address().port);
      s.on('data', () => {});
      s.on('error', () => {});
      s.write('{"v":1,"t":"half');
      lorises.push(s);
      if (i === 0) firstLoris = s.localPort;
    }
    await expect.poll(() => st.t.peers().length, { timeout: 3000 }).toBe(5);
    // A new peer: refused while full, which evicts the oldest unproven one; its retry gets in.
    let newcomer: Socket | undefined;
    for (let i = 0; i < 20 && newcomer === undefined; i++) {
      const s = await raw(st.t.address().port);
      s.on('error', () => {});
      const got = lines(s);
      s.write(UPDATENODE('newcomer'));
      await sleep(50);
      if (!s.destroyed && got.length > 0) newcomer = s;
    }
    expect(newcomer).toBeDefined();
    expect(st.t.stats().evicted).toBeGreaterThanOrEqual(1);
    expect(st.reasons.every(([, r]) => r === 'evicted' || r === 'closed')).toBe(true);
    // The proven connection was never the one evicted.
    expect(st.reasons.map(([p]) => p.remotePort)).not.toContain(provenPort);
    // The first loris (the oldest unproven) was the first evicted.
    expect(st.reasons[0]?.[0].remotePort).toBe(firstLoris);
  });
});

describe('partial-frame budget', () => {
  it('closes the connections holding the largest partial frames first and stays within maxBufferedBytes', async () => {
    const budget = 1024 * 1024;
    const st = await spy({ maxBufferedBytes: budget }); // 1 MiB (64 MiB by default): a few partial lines pass it
    const sizes = [100, 200, 300, 400, 500].map((k) => k * 1024);
    const socks: Socket[] = [];
    const ports: (number | undefined)[] = [];
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, st.t.stats().bufferedBytes)), 1);
    try {
      for (const n of sizes) {
        const s = await raw(st.t.address().port);
        s.on('error', () => {});
        s.on('data', () => {});
        s.write(UPDATENODE(`p${n}`));
        socks.push(s);
        ports.push(s.localPort);
      }
      await expect.poll(() => st.frames.length, { timeout: 3000 }).toBe(5);
      // In turn, partial lines of 100, 200, 300 and 400 KiB: 1000 KiB, within the 1 MiB budget.
      let held = 0;
      for (const [i, s] of socks.slice(0, 4).entries()) {
        s.write(`{"v":1,"t":"UPDATENODE","from":"${'x'.repeat((sizes[i] as number) - 32)}`);
        held += sizes[i] as number;
        await expect.poll(() => st.t.stats().bufferedBytes, { timeout: 3000 }).toBe(held);
      }
      // 30 KiB more on the fifth: past the budget; the largest (400 KiB) goes.
      socks[4]?.write(`{"v":1,"t":"UPDATENODE","from":"${'x'.repeat(30 * 1024 - 32)}`);
      await expect.poll(() => st.reasons.length, { timeout: 3000 }).toBe(1);
      // 500 KiB more on the fifth: past it again; now the fifth holds the largest.
      socks[4]?.write('y'.repeat(500 * 1024));
      await expect.poll(() => st.reasons.length, { timeout: 3000 }).toBe(2);
      await sleep(50);
    } finally {
      clearInterval(sample);
    }
    const closed = st.reasons.map(([p, r]) => [ports.indexOf(p.remotePort), r]);
    // The largest went first, then the largest left; what is left fits the budget.
    expect(closed).toEqual([
      [3, 'buffer-budget'],
      [4, 'buffer-budget'],
    ]);
    const stats = st.t.stats();
    expect(stats.bufferedBytes).toBeLessThanOrEqual(budget);
    expect(peak).toBeLessThanOrEqual(budget);
    expect(stats.bufferBudget).toBe(closed.length);
    // The survivors complete their frames and keep working.
    for (const [i, s] of socks.entries()) if (!closed.some(([j]) => j === i)) s.write('"}\n');
    await expect.poll(() => st.frames.length, { timeout: 3000 }).toBe(5 + 3);
    await expect.poll(() => st.t.stats().bufferedBytes, { timeout: 3000 }).toBe(0);
  });

  it('a closed connection gives its partial bytes back to the budget', async () => {
    const st = await spy({});
    const s = await raw(st.t.address().port);
    s.write(UPDATENODE('a'));
    s.write('{"partial":"' + 'y'.repeat(50_000));
    await expect.poll(() => st.t.stats().bufferedBytes, { timeout: 3000 }).toBe(50_012);
    s.destroy();
    await expect.poll(() => st.t.stats().bufferedBytes, { timeout: 3000 }).toBe(0);
  });
});

describe('close', () => {
  it('leaves no sweep timer behind', async () => {
    const st = await spy({});
    const s = await raw(st.t.address().port);
    s.write(UPDATENODE('a'));
    await expect.poll(() => st.t.peers().length, { timeout: 3000 }).toBe(1);
    const liveness = (st.t as unknown as { guards: { liveness: { timer: unknown } } }).guards
      .liveness;
    expect(liveness.timer).toBeDefined();
    s.destroy();
    await st.t.close();
    expect(liveness.timer).toBeUndefined();
  });
});
