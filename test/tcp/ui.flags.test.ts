/**
 * `ctp-router ui` as a process, with the flags of issue 25: `--http 0.0.0.0`
 * keeps the Host check on (`--http-allow-host`), `--heartbeat-ms` reaches its
 * links, and `--nats` joins a bus (skipped, with one printed line, without
 * nats-server).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from '../nats/server.js';
import { ensureBuilt, killAll, runCli, spawnCli, startPeer } from './procs.js';

reportSkip('test/tcp/ui.flags.test.ts "ui --nats"');

beforeAll(ensureBuilt, 120_000);
afterAll(async () => {
  await killAll();
  await stopAllServers();
});

/** GET /view.json on 127.0.0.1:`port` with `host` as the Host header: the status. */
function status(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/view.json', headers: { host }, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode as number);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ctp-router ui flags', () => {
  it('--http 0.0.0.0: a warning naming the hosts it answers; a DNS-rebinding Host gets 403, --http-allow-host names 200', async () => {
    const station = await startPeer(['--id', 'hstation', '--listen', '127.0.0.1:0']);
    const ui = spawnCli([
      'ui',
      '--json',
      '--connect',
      station.addr,
      '--http',
      '0.0.0.0:0',
      '--http-allow-host',
      'ui.example.net',
      '--http-allow-host',
      '[2001:db8::7]',
    ]);
    const served = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    const port = served.port as number;
    expect(ui.stderr).toContain('beyond loopback');
    expect(ui.stderr).toContain('ui.example.net');
    for (const h of [`127.0.0.1:${port}`, `ui.example.net:${port}`, `[2001:db8::7]:${port}`])
      expect([h, await status(port, h)]).toEqual([h, 200]);
    for (const h of [`rebind.attacker.example:${port}`, `ui.example.net.attacker:${port}`])
      expect([h, await status(port, h)]).toEqual([h, 403]);
    expect(await ui.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await station.proc.stop();
  });

  it('usage errors: a bad --http-allow-host, and no --connect, --listen or --nats', async () => {
    const bad = await runCli([
      'ui',
      '--connect',
      '127.0.0.1:1',
      '--http-allow-host',
      'http://x.example/',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad value for `--http-allow-host`');
    const none = await runCli(['ui']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'give `--connect HOST:PORT`, `--listen HOST:PORT` and/or `--nats URL`',
    );
  });

  it('--heartbeat-ms reaches its links: a 150 ms network keeps the ui linked', async () => {
    // With its default heartbeat (5 s) the ui would be silent past the station's 3 × 150 ms.
    const station = await startPeer([
      '--id',
      'beat',
      '--listen',
      '127.0.0.1:0',
      '--heartbeat-ms',
      '150',
    ]);
    const ui = spawnCli([
      'ui',
      '--json',
      '--id',
      'beatui',
      '--connect',
      station.addr,
      '--http',
      '127.0.0.1:0',
      '--heartbeat-ms',
      '150',
    ]);
    await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    await station.proc.waitFor(
      (r) => r.type === 'link' && r.state === 'up',
      10_000,
      'the ui linked',
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(station.proc.records.filter((r) => r.type === 'link' && r.state === 'down')).toEqual([]);
    expect(await ui.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await station.proc.stop();
  });

  it.skipIf(NATS_BIN === undefined)('--nats: the ui observes a bus', async () => {
    const server = await NatsServer.start();
    const peer = spawnCli([
      'peer',
      '--json',
      '--id',
      'busstation',
      '--nats',
      server.url,
      '--nats-prefix',
      'uitest',
      '--node',
      'cam9',
    ]);
    await peer.waitFor((r) => r.type === 'bus', 10_000, 'the station on the bus');
    const ui = spawnCli([
      'ui',
      '--json',
      '--nats',
      server.url,
      '--nats-prefix',
      'uitest',
      '--http',
      '127.0.0.1:0',
    ]);
    await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    await ui.waitFor(
      (r) => r.type === 'feed' && r.text === 'node +cam9 at busstation',
      10_000,
      'cam9 in the feed',
    );
    expect(await ui.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await peer.stop();
  });
});
