/**
 * The command line says why it cannot connect (issue 19, "Nothing silent"),
 * run as child processes: every command prints each failed dial attempt on
 * stderr as it happens (repeats summarised, the first always printed), a
 * station refusing a duplicate router id is named, and `peer` prints what it
 * refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  freePort,
  killAll,
  runCli,
  spawnCli,
  startPeer,
  type Proc,
} from '../tcp/procs.js';

let station: { proc: Proc; port: number; addr: string };
/** A loopback port nothing listens on. */
let closed: string;

beforeAll(async () => {
  await ensureBuilt();
  station = await startPeer(['--id', 'dialstation', '--listen', '127.0.0.1:0', '--node', 'cam1']);
  closed = `127.0.0.1:${await freePort()}`;
}, 120_000);
afterAll(killAll);

/** The lines a process wrote to stderr. */
const errLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '');
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.concurrent('failed dials', () => {
  const commands: [string, string[]][] = [
    ['call', ['post', 'cam1', '1']],
    ['watch', ['cam1']],
    ['nodes', []],
  ];
  it.each(commands)(
    '%s prints the failed attempt with its cause, then gives up (exit 1)',
    async (command, args) => {
      const r = await runCli([command, '--connect', closed, ...args]);
      expect(r.code).toBe(1);
      expect(errLines(r.stderr)).toEqual([
        `ctp-router: dial ${closed} failed: ECONNREFUSED (connect ECONNREFUSED ${closed})`,
        `ctp-router: cannot connect to ${closed}: ECONNREFUSED`,
      ]);
    },
  );

  // Concurrent tests poll with their own `expect`.
  it('peer keeps dialling: the first failure at once, then its repeats summarised, not a line per attempt', async ({
    expect,
  }) => {
    // --reconnect-max-ms 50 (5000 by default): an attempt every 50 ms or so, about 70 before we stop, so the
    // summary has many attempts to count within its quiet interval (the default backoff makes about five).
    const p = spawnCli(['peer', '--connect', closed, '--reconnect-max-ms', '50']);
    const first = `ctp-router: dial ${closed} failed: ECONNREFUSED (connect ECONNREFUSED ${closed})`;
    await expect.poll(() => errLines(p.stderr)[0], { timeout: 8000 }).toBe(first);
    // The next line comes once the quiet interval (3 s) has passed, counting the attempts held back.
    await expect.poll(() => errLines(p.stderr).length, { timeout: 8000 }).toBe(2);
    expect(await p.stop('SIGINT')).toEqual({ code: 0, signal: null });
    const lines = errLines(p.stderr);
    expect(lines.length).toBeLessThanOrEqual(3);
    const summary = new RegExp(`^${escape(first)} \\[(\\d+) more like it not shown\\]$`).exec(
      lines[1] as string,
    );
    expect(summary, lines[1]).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThanOrEqual(10);
  });

  it('ui prints its failed dials too', async ({ expect }) => {
    const p = spawnCli(['ui', '--connect', closed, '--http', '127.0.0.1:0']);
    await expect
      .poll(() => errLines(p.stderr)[0], { timeout: 8000 })
      .toBe(`ctp-router: dial ${closed} failed: ECONNREFUSED (connect ECONNREFUSED ${closed})`);
    expect(await p.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('a duplicate router id', () => {
  it('the station refuses it and says so: the dialler prints who refused it and why, and its link goes down as duplicate', async () => {
    const first = spawnCli(['peer', '--json', '--id', 'twin', '--connect', station.addr]);
    await first.waitFor(
      (r) => r.type === 'nodes' && (r.added as string[]).includes('cam1'),
      10_000,
      'the first twin to see cam1',
    );
    const second = spawnCli(['peer', '--json', '--id', 'twin', '--connect', station.addr]);
    const refused = `ctp-router: refused by ${station.addr}: duplicate router id twin (a router with this id is linked there already; retrying with backoff)`;
    await expect.poll(() => errLines(second.stderr)[0], { timeout: 8000 }).toBe(refused);
    await second.waitFor((r) => r.type === 'link' && r.state === 'down', 8000, 'the link down');
    expect(
      second.records.filter((r) => r.type === 'link' && r.state === 'down').map((r) => r.reason),
    ).toEqual(expect.arrayContaining(['duplicate']));
    expect(
      new Set(
        second.records.filter((r) => r.type === 'link' && r.state === 'down').map((r) => r.reason),
      ),
    ).toEqual(new Set(['duplicate']));
    await station.proc.waitFor(
      (r) =>
        r.type === 'link' &&
        r.state === 'down' &&
        r.reason === 'duplicate' &&
        String(r.peer).endsWith('(twin)'),
    );
    expect(await second.stop('SIGINT')).toEqual({ code: 0, signal: null });
    // The first twin's link was never touched.
    expect(first.records.filter((r) => r.type === 'link' && r.state === 'down')).toEqual([]);
    expect(first.stderr).toBe('');
    expect(await first.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('a client command with a duplicate id prints the refusal', async () => {
    const holder = spawnCli([
      'call',
      '--json',
      '--hold',
      '--id',
      'samecaller',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'monitor',
    ]);
    await holder.waitFor(
      (r) => r.type === 'result' && r.code === 'SUCCESS',
      10_000,
      'the holder to register',
    );
    const r = await runCli(['nodes', '--id', 'samecaller', '--connect', station.addr]);
    expect(r.stderr).toContain(
      `ctp-router: refused by ${station.addr}: duplicate router id samecaller (`,
    );
    expect(await holder.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});
