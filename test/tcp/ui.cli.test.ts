/**
 * `ctp-router ui` and `ctp-router nodes --dot` as processes: usage errors,
 * the page served over a real network, read-only, a clean exit; the DOT of
 * a live network parsed by Graphviz.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, runCli, spawnCli, startPeer } from './procs.js';

const hasDot = spawnSync('dot', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasDot)
  console.warn(
    'ui.cli.test.ts: Graphviz `dot` not found: skipped "nodes --dot output parses with dot -Tsvg"',
  );

beforeAll(ensureBuilt, 120_000);
afterAll(killAll);

describe('ctp-router ui', () => {
  it('usage errors exit 2', async () => {
    const none = await runCli(['ui']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'give `--connect HOST:PORT`, `--listen HOST:PORT` and/or `--nats URL`',
    );
    const bad = await runCli(['ui', '--connect', '127.0.0.1:1', '--http', 'nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad address for `--http`');
    const help = await runCli(['ui', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      '--http HOST:PORT       serve the page there (default 127.0.0.1:7070',
    );
  });

  it('serves the network it joined on loopback, read-only, and exits 0 on SIGTERM', async () => {
    const station = await startPeer([
      '--id',
      'station',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
    ]);
    const ui = spawnCli([
      'ui',
      '--json',
      '--id',
      'observer',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      '--http',
      '127.0.0.1:0',
    ]);
    const served = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    expect(served).toMatchObject({ id: 'observer', host: '127.0.0.1' });
    expect(served.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(served.url).toBe(`http://127.0.0.1:${served.port as number}/`);
    await ui.waitFor(
      (r) => r.type === 'feed' && r.text === 'node +cam1 at station',
      10_000,
      'cam1 in the feed',
    );
    const view = (await (await fetch(`${served.url as string}view.json`)).json()) as {
      nodes: { node: string; host: string }[];
    };
    expect(view.nodes).toEqual([
      { node: 'cam1', host: 'station', via: 'station', controller: null, monitors: [] },
    ]);
    expect((await fetch(served.url as string, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${served.url as string}nope`)).status).toBe(404);

    // A router dialling the ui's --listen joins the picture too.
    const late = await startPeer([
      '--id',
      'late',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      served.listen as string,
    ]);
    await ui.waitFor(
      (r) => r.type === 'feed' && r.text === 'link up late — observer',
      10_000,
      'the late link in the feed',
    );
    await late.proc.stop();
    expect(await ui.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await station.proc.stop();
  });

  it('serves on 127.0.0.1:7070 without --http', async () => {
    const station = await startPeer(['--id', 'station3', '--listen', '127.0.0.1:0']);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(7070, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    const ui = spawnCli(['ui', '--json', '--connect', station.addr]);
    if (free) {
      const served = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
      expect(served).toMatchObject({
        host: '127.0.0.1',
        port: 7070,
        url: 'http://127.0.0.1:7070/',
      });
      expect(await ui.stop()).toEqual({ code: 0, signal: null });
    } else {
      // Something else holds the port: the ui says which address it wanted.
      expect((await ui.exited).code).toBe(1);
      expect(ui.stderr).toContain('cannot serve on 127.0.0.1:7070');
    }
    await station.proc.stop();
  });

  it('a taken --http port: exit 1 with the reason', async () => {
    const station = await startPeer(['--id', 'station2', '--listen', '127.0.0.1:0']);
    const r = await runCli(['ui', '--connect', station.addr, '--http', station.addr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot serve on ${station.addr}`);
    await station.proc.stop();
  });
});

describe('ctp-router nodes --dot', () => {
  it.skipIf(!hasDot)(
    'nodes --dot output parses with dot -Tsvg and shows hosts, links and the controller',
    async () => {
      const station = await startPeer([
        '--id',
        'station',
        '--listen',
        '127.0.0.1:0',
        '--node',
        'cam1',
        '--node',
        'say "hi"\\',
      ]);
      const relay = await startPeer([
        '--id',
        'relay',
        '--listen',
        '127.0.0.1:0',
        '--connect',
        station.addr,
      ]);
      const holder = spawnCli([
        'call',
        '--json',
        '--id',
        'console',
        '--connect',
        relay.addr,
        'register',
        'cam1',
        'controller',
        '--hold',
      ]);
      expect(
        (await holder.waitFor((r) => r.type === 'result', 10_000, 'the register result')).code,
      ).toBe('SUCCESS');
      const r = await runCli(['nodes', '--dot', '--id', 'reporter', '--connect', relay.addr]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^graph ctp \{/);
      expect(r.stdout).toContain('"router:relay" -- "router:station"');
      expect(r.stdout).toContain('"node:cam1" -- "router:console" [label="controller"');
      expect(r.stdout).toContain('"node:say \\"hi\\"\\\\"');
      const svg = spawnSync('dot', ['-Tsvg'], {
        input: r.stdout,
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(svg.stderr).toBe('');
      expect(svg.status).toBe(0);
      expect(svg.stdout).toContain('<title>node:cam1</title>');
      await holder.stop();
      await relay.proc.stop();
      await station.proc.stop();
    },
  );
});
