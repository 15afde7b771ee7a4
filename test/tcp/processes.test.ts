/**
 * Integration: routers in real OS processes (the CLI) over loopback TCP.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, freePort, killAll, runCli, spawnCli, startPeer, type Rec } from './procs.js';

beforeAll(ensureBuilt, 120_000);
afterAll(killAll);

const results = (records: Rec[]): Rec[] => records.filter((r) => r.type === 'result');

function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

describe('three processes on loopback', () => {
  it('register, start, command, stop and events across a station, a console and a viewer', async () => {
    const station = await startPeer([
      '--id',
      'station',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
      '--node',
      'mic1',
      '--echo',
    ]);
    const viewer = spawnCli([
      'watch',
      '--json',
      '--id',
      'viewer',
      '--connect',
      station.addr,
      'cam1',
    ]);
    await viewer.waitFor(
      (r) => r.type === 'watching' && r.node === 'cam1',
      8000,
      'the viewer to watch',
    );
    const consoleRun = await runCli([
      'call',
      '--json',
      '--id',
      'console',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'start',
      'cam1',
      'video',
      '{"fps":30}',
      '--',
      'command',
      'cam1',
      'pan',
      '{"deg":30}',
      '--',
      'stop',
      'cam1',
      'video',
    ]);
    expect(consoleRun.code, consoleRun.stderr).toBe(0);
    const res = results(consoleRun.records);
    expect(res.map((r) => [r.op, r.code])).toEqual([
      ['register', 'SUCCESS'],
      ['start', 'SUCCESS'],
      ['command', 'SUCCESS'],
      ['stop', 'SUCCESS'],
    ]);
    expect(res[2]?.content).toEqual({ t: 'COMMAND', app: 'pan', content: { deg: 30 } });
    // The viewer saw the three events the echo app published.
    await viewer.waitFor(
      (r) => r.type === 'event' && (r.content as { t: string }).t === 'STOP',
      5000,
      'the STOP event',
    );
    expect(
      viewer.records.filter((r) => r.type === 'event').map((r) => (r.content as { t: string }).t),
    ).toEqual(['START', 'COMMAND', 'STOP']);
    // The station's own record of STOP travels on its stdout, which can trail the event.
    await station.proc.waitFor(
      (r) => r.type === 'received' && r.t === 'STOP',
      5000,
      'the station to record STOP',
    );
    const got = station.proc.records.filter((r) => r.type === 'received');
    expect(got.map((r) => [r.t, r.node, r.app, r.from])).toEqual([
      ['START', 'cam1', 'video', 'console'],
      ['COMMAND', 'cam1', 'pan', 'console'],
      ['STOP', 'cam1', 'video', 'console'],
    ]);
    expect(await viewer.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(await station.proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('routes through a relay process', async () => {
    const station = await startPeer([
      '--id',
      'st2',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'lamp',
      '--echo',
    ]);
    const relay = await startPeer([
      '--id',
      'relay',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
    ]);
    await relay.proc.waitFor((r) => r.type === 'nodes' && (r.added as string[]).includes('lamp'));
    const run = await runCli([
      'call',
      '--json',
      '--connect',
      relay.addr,
      'register',
      'lamp',
      'controller',
      '--',
      'command',
      'lamp',
      'on',
      'true',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(results(run.records)[1]?.content).toEqual({ t: 'COMMAND', app: 'on', content: true });
    await Promise.all([relay.proc.stop(), station.proc.stop()]);
  });

  it('kill -9 of the controller: the host releases the node and another process takes control', async () => {
    // A 300 ms grace (5 s by default): the release comes well within the test's wait.
    const station = await startPeer([
      '--id',
      'st3',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
      '--echo',
      '--lease-grace-ms',
      '300',
    ]);
    const first = spawnCli([
      'call',
      '--json',
      '--hold',
      '--id',
      'ctl-a',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
    ]);
    const r1 = await first.waitFor((r) => r.type === 'result', 8000, 'the first registration');
    expect(r1.code).toBe('SUCCESS');
    const busy = await runCli([
      'call',
      '--json',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
    ]);
    expect(busy.code).toBe(1);
    expect(results(busy.records)[0]?.code).toBe('ALREADY_ASSIGNED');

    first.child.kill('SIGKILL');
    await first.exited;
    const released = await station.proc.waitFor((r) => r.type === 'released', 5000, 'the release');
    expect(released).toMatchObject({
      node: 'cam1',
      kind: 'controller',
      registrant: 'controller[cam1]@ctl-a',
    });

    const second = await runCli([
      'call',
      '--json',
      '--id',
      'ctl-b',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '{"deg":5}',
    ]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(results(second.records).map((r) => r.code)).toEqual(['SUCCESS', 'SUCCESS']);
    await station.proc.stop();
  });

  it('restart of a peer: tables re-sync (the dialler reconnects by itself)', async () => {
    const port = await freePort();
    const stationArgs = [
      '--id',
      'st4',
      '--listen',
      `127.0.0.1:${port}`,
      '--node',
      'cam1',
      '--echo',
    ];
    let station = await startPeer(stationArgs);
    const remote = await startPeer([
      '--id',
      'remote',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      `127.0.0.1:${port}`,
      '--node',
      'lamp',
    ]);
    const hasCam = (r: Rec): boolean =>
      r.type === 'nodes' && (r.added as string[]).includes('cam1');
    await remote.proc.waitFor(hasCam, 5000, 'cam1 at the remote');
    await station.proc.waitFor(
      (r) => r.type === 'nodes' && (r.added as string[]).includes('lamp'),
      5000,
      'lamp at the station',
    );

    // The station dies: its nodes disappear at the remote.
    station.proc.child.kill('SIGKILL');
    await station.proc.exited;
    await remote.proc.waitFor(
      (r) => r.type === 'nodes' && (r.removed as string[]).includes('cam1'),
      5000,
      'cam1 to go',
    );
    const before = remote.proc.records.length;

    // It comes back on the same port: the remote redials, both tables are whole again.
    station = await startPeer(stationArgs);
    await station.proc.waitFor(
      (r) => r.type === 'nodes' && (r.added as string[]).includes('lamp'),
      5000,
      'lamp at the new station',
    );
    await remote.proc.waitFor(
      (r) => remote.proc.records.indexOf(r) >= before && hasCam(r),
      5000,
      'cam1 back at the remote',
    );

    // The remote restarts too: the station drops and regains its nodes.
    remote.proc.child.kill('SIGKILL');
    await remote.proc.exited;
    const lampGone = await station.proc.waitFor(
      (r) => r.type === 'nodes' && (r.removed as string[]).includes('lamp'),
      5000,
      'lamp to go',
    );
    const remote2 = await startPeer([
      '--id',
      'remote',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      `127.0.0.1:${port}`,
      '--node',
      'lamp',
    ]);
    await remote2.proc.waitFor(hasCam, 5000, 'cam1 at the new remote');
    // The remote having cam1 does not mean the station has lamp yet: wait for both sides.
    const gone = station.proc.records.indexOf(lampGone);
    await station.proc.waitFor(
      (r) =>
        station.proc.records.indexOf(r) > gone &&
        r.type === 'nodes' &&
        (r.added as string[]).includes('lamp'),
      5000,
      'lamp back at the station',
    );
    const list = await runCli(['nodes', '--json', '--connect', `127.0.0.1:${port}`]);
    expect(list.records.map((r) => [r.node, r.host])).toEqual([
      ['cam1', 'st4'],
      ['lamp', 'remote'],
    ]);
    await Promise.all([remote2.proc.stop(), station.proc.stop()]);
  });
});

describe('bad clients do not disturb the others', () => {
  it('garbage, a 2 MiB line without a newline and half a frame then silence', async () => {
    // Lines over 1 MiB (8 MiB by default) are discarded: the 2 MiB one is.
    const station = await startPeer([
      '--id',
      'st5',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
      '--echo',
      '--max-frame-bytes',
      String(1024 * 1024),
    ]);
    const garbage = await rawClient(station.port);
    const huge = await rawClient(station.port);
    const half = await rawClient(station.port);
    for (const s of [garbage, huge, half]) s.on('data', () => {});
    garbage.write('hello world\n{not json}\n\u0000\u00ff\u0001\n{"v":1}\n[1,2,3]\n');
    huge.write(Buffer.alloc(2 * 1024 * 1024, 0x61));
    half.write('{"v":1,"t":"UPDATE');
    await station.proc.waitFor((r) => r.type === 'oversized', 5000, 'the oversized line');
    await station.proc.waitFor(
      (r) => r.type === 'dropped' && r.reason === 'malformed',
      5000,
      'a malformed drop',
    );

    const run = await runCli([
      'call',
      '--json',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '{"deg":1}',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);

    // The connection that sent the huge line still works once the line ends.
    const replies: string[] = [];
    huge.removeAllListeners('data');
    huge.setEncoding('utf8').on('data', (s: string) => replies.push(s));
    huge.write('tail of the long line\n{"v":1,"t":"UPDATENODE","from":"hugeclient"}\n');
    await expect
      .poll(() => replies.join('').includes('"REPORTNODE"'), { timeout: 5000 })
      .toBe(true);
    // Only the `call` process's link went down: the three bad clients are still connected.
    const downs = station.proc.records.filter((r) => r.type === 'link' && r.state === 'down');
    expect(downs.map((r) => String(r.peer).includes('(call-'))).toEqual([true]);
    for (const s of [garbage, huge, half]) s.destroy();
    expect(await station.proc.stop()).toEqual({ code: 0, signal: null });
  });

  it('a peer that never reads is closed as a slow consumer; the others carry on', async () => {
    const nodes = Array.from({ length: 200 }, (_, i) => [
      '--node',
      `sensor-${String(i).padStart(4, '0')}-with-a-long-name`,
    ]).flat();
    // A 256 KiB queue (32 MiB by default): the answers the client never reads pass it within seconds.
    const station = await startPeer([
      '--id',
      'st6',
      '--listen',
      '127.0.0.1:0',
      ...nodes,
      '--node',
      'cam1',
      '--echo',
      '--max-queued-bytes',
      String(256 * 1024),
    ]);
    const slow = await rawClient(station.port);
    slow.pause();
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.on('error', () => {});
    // Every COMMAND (from a controller the client advertises, of a node it does not control)
    // is answered; the client never reads the answers. (Table answers to UPDATENODE would not
    // do: each replaces the one still queued, since it carries the same adverts.)
    slow.write(
      `${JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'slowpoke', adverts: [{ origin: 'slowpoke', seq: 1, nodes: ['controller[cam1]@slowpoke'], neighbors: ['st6'] }] })}\n`,
    );
    let id = 0;
    const batch = (): string =>
      Array.from(
        { length: 500 },
        () =>
          `${JSON.stringify({ v: 1, t: 'COMMAND', id: ++id, node: 'cam1', controller: 'controller[cam1]@slowpoke', app: 'pan', content: null })}\n`,
      ).join('');
    const down = station.proc.waitFor(
      (r) => r.type === 'link' && r.state === 'down' && r.reason === 'slow-consumer',
      20_000,
      'the slow consumer to be closed',
    );
    for (
      let i = 0;
      i < 400 && !slow.destroyed && !station.proc.records.some((r) => r.reason === 'slow-consumer');
      i++
    ) {
      if (!slow.write(batch())) await new Promise((r) => setTimeout(r, 10));
    }
    await down;
    expect((await down).direction).toBe('in');
    // A paused socket sees the server's FIN only once it reads what is buffered.
    slow.resume();
    await closed;
    const run = await runCli([
      'call',
      '--json',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '{}',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await station.proc.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('npm run demo', () => {
  it('runs three processes, prints a transcript, stops them all and exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const { ROOT } = await import('./procs.js');
    const child = spawn(process.execPath, [join(ROOT, 'dist/demo.js')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    for (const line of [
      /station +│ listening on 127\.0\.0\.1:\d+, hosting cam1, mic1/,
      /viewer +│ monitoring cam1/,
      /console +│ register cam1 controller → SUCCESS/,
      /station +│ got COMMAND cam1 pan \{"deg":30\} from console/,
      /console +│ command cam1 pan \{"deg":30\} → SUCCESS/,
      /viewer +│ event from cam1: \{"t":"STOP","app":"video"\}/,
      /Done in [\d.]+ s; no process left running/,
    ])
      expect(out).toMatch(line);
  });
});
