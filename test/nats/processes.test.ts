/**
 * Routers in real OS processes (the CLI) on a real nats-server: control
 * across processes, and what a killed (kill -9) or frozen (SIGSTOP) router
 * leaves behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReturnCode } from '../../src/base/messages.js';
import { ensureBuilt, killAll, runCli, spawnCli, type Proc } from '../tcp/procs.js';
import { busRouter, closeAllRouters, until } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip('test/nats/processes.test.ts (CLI processes on a real NATS server: kill -9, SIGSTOP)');

// Presence every 100 ms: a member silent for 300 ms is down; registrations are released 300 ms later
// (by default 1 s, 3 s and 5 s): the bound is checked within the test's time.
const HEARTBEAT_MS = 100;
const DEAD_AFTER_MS = 3 * HEARTBEAT_MS;
const LEASE_GRACE_MS = 300;
// The bound the protocol promises, and room for a loaded machine (process scheduling, not the protocol).
const BOUND_MS = DEAD_AFTER_MS + LEASE_GRACE_MS;
const SLACK_MS = 1500;

describe.skipIf(NATS_BIN === undefined)('CLI routers on a NATS server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    await ensureBuilt();
    server = await NatsServer.start();
  }, 120_000);
  afterEach(async () => {
    await closeAllRouters();
    await killAll();
  });
  afterAll(stopAllServers);

  const bus = (prefix: string): string[] => [
    '--nats',
    server.url,
    '--nats-prefix',
    prefix,
    '--heartbeat-ms',
    String(HEARTBEAT_MS),
  ];

  async function station(prefix: string): Promise<Proc> {
    const p = spawnCli([
      'peer',
      '--json',
      '--id',
      'station',
      ...bus(prefix),
      '--node',
      'cam1',
      '--echo',
      '--lease-grace-ms',
      String(LEASE_GRACE_MS),
    ]);
    await p.waitFor((r) => r.type === 'bus', 10_000, 'the station on the bus');
    return p;
  }

  it('call and watch reach a station over the bus', async () => {
    const st = await station('pa');
    const viewer = spawnCli(['watch', '--json', '--id', 'viewer', ...bus('pa'), 'cam1']);
    await viewer.waitFor((r) => r.type === 'watching', 10_000, 'the viewer to watch');
    const run = await runCli([
      'call',
      '--json',
      '--id',
      'console',
      ...bus('pa'),
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '{"deg":30}',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.records.filter((r) => r.type === 'result').map((r) => r.code)).toEqual([
      'SUCCESS',
      'SUCCESS',
    ]);
    await viewer.waitFor((r) => r.type === 'event', 5000, 'the event');
    const nodes = await runCli(['nodes', '--json', ...bus('pa')]);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.records.filter((r) => r.type === 'node').map((r) => [r.node, r.host])).toEqual([
      ['cam1', 'station'],
    ]);
    expect(st.records.some((r) => r.type === 'link' && r.state === 'up')).toBe(true);
  });

  for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
    it(`a controller process stopped by ${signal}: its nodes are gone everywhere and its registration released within deadAfterMs + leaseGraceMs`, async () => {
      const prefix = signal === 'SIGKILL' ? 'pk' : 'ps';
      const st = await station(prefix);
      const observer = await busRouter(server.url, 'observer', {
        bus: { prefix, heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS },
      });
      const ctl = spawnCli([
        'call',
        '--json',
        '--hold',
        '--id',
        'ctl',
        ...bus(prefix),
        'register',
        'cam1',
        'controller',
      ]);
      const r = await ctl.waitFor((x) => x.type === 'result', 10_000, 'the registration');
      expect(r.code).toBe('SUCCESS');
      await until(
        () => observer.router.nodes().includes('controller[cam1]@ctl'),
        5000,
        'the controller at the observer',
      );
      const t0 = Date.now();
      ctl.child.kill(signal);
      const released = await st.waitFor(
        (x) => x.type === 'released' && x.node === 'cam1',
        BOUND_MS + SLACK_MS,
        'the release',
      );
      expect(released.registrant).toBe('controller[cam1]@ctl');
      expect(Date.now() - t0).toBeLessThan(BOUND_MS + SLACK_MS);
      await until(
        () => !observer.router.nodes().includes('controller[cam1]@ctl'),
        1000,
        'the controller gone at the observer',
      );
      // The node is free again.
      expect(await observer.router.register('cam1', 'controller')).toEqual({
        code: ReturnCode.SUCCESS,
      });
      if (signal === 'SIGSTOP') ctl.child.kill('SIGCONT');
    });
  }

  it('a station killed with kill -9: its nodes are gone everywhere within deadAfterMs', async () => {
    const st = await station('pz');
    const observer = await busRouter(server.url, 'observer', {
      bus: { prefix: 'pz', heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS },
    });
    await until(() => observer.router.nodes().includes('cam1'), 5000, 'cam1 at the observer');
    expect(await observer.router.register('cam1', 'controller')).toEqual({
      code: ReturnCode.SUCCESS,
    });
    const t0 = Date.now();
    st.child.kill('SIGKILL');
    await until(
      () => !observer.router.nodes().includes('cam1'),
      DEAD_AFTER_MS + SLACK_MS,
      'cam1 gone',
    );
    expect(Date.now() - t0).toBeLessThan(DEAD_AFTER_MS + SLACK_MS);
    expect((await observer.router.command('cam1', 'x', 1)).code).toBe(ReturnCode.NODE_UNFOUND);
  });
});
