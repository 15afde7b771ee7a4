/**
 * The `ctp-router` command line, run as child processes: each command's happy
 * path, failures (exit 1) and usage errors (exit 2).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, runCli, spawnCli, startPeer, type Proc } from '../tcp/procs.js';

let station: { proc: Proc; port: number; addr: string };

beforeAll(async () => {
  await ensureBuilt();
  station = await startPeer([
    '--id',
    'clistation',
    '--listen',
    '127.0.0.1:0',
    '--node',
    'cam1',
    '--node',
    'mic1',
    '--echo',
  ]);
}, 120_000);
afterAll(killAll);

describe('ctp-router (happy paths)', () => {
  it('peer: prints where it listens, then table and link changes as JSON lines', async () => {
    const other = await startPeer([
      '--id',
      'cliother',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      '--node',
      'lamp',
    ]);
    const rec = await other.proc.waitFor(
      (r) => r.type === 'nodes' && (r.added as string[]).includes('cam1'),
    );
    expect(rec.nodes).toEqual(['cam1', 'lamp', 'mic1']);
    expect(other.proc.records[0]).toMatchObject({
      type: 'listening',
      id: 'cliother',
      host: '127.0.0.1',
      nodes: ['lamp'],
    });
    expect(await other.proc.stop('SIGINT')).toEqual({ code: 0, signal: null });
    await station.proc.waitFor(
      (r) => r.type === 'nodes' && (r.removed as string[]).includes('lamp'),
    );
  });

  it('peer: text output', async () => {
    const p = spawnCli(['peer', '--listen', '127.0.0.1:0', '--node', 'x']);
    await expect
      .poll(() => p.stdout, { timeout: 8000 })
      .toMatch(/^listening 127\.0\.0\.1:\d+ as peer-[0-9a-f]{8} hosting x\n/);
    expect(await p.stop()).toEqual({ code: 0, signal: null });
  });

  it('nodes: a table, and JSON lines', async () => {
    const text = await runCli(['nodes', '--connect', station.addr]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^NODE\s+HOST\s+VIA\s+CONTROLLER\s+MONITORS$/);
    expect(text.stdout).toMatch(/^cam1\s+clistation\s+clistation\s+-\s+-$/m);
    const json = await runCli(['nodes', '--json', '--connect', station.addr]);
    expect(json.records).toEqual([
      {
        type: 'node',
        node: 'cam1',
        host: 'clistation',
        via: 'clistation',
        controller: null,
        monitors: [],
      },
      {
        type: 'node',
        node: 'mic1',
        host: 'clistation',
        via: 'clistation',
        controller: null,
        monitors: [],
      },
    ]);
  });

  it('call: several operations in one session, text output', async () => {
    const r = await runCli([
      'call',
      '--connect',
      station.addr,
      'register',
      'mic1',
      'controller',
      '--',
      'command',
      'mic1',
      'gain',
      '{"db":-3}',
      '--',
      'post',
      'cam1',
      '"clip"',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'register mic1 controller: SUCCESS',
        'event mic1 {"t":"COMMAND","app":"gain","content":{"db":-3}}',
        'command mic1 gain {"db":-3}: SUCCESS {"t":"COMMAND","app":"gain","content":{"db":-3}}',
        'post cam1 "clip": SUCCESS',
        '',
      ].join('\n'),
    );
  });

  it('call: exits 1 unless every result is SUCCESS', async () => {
    const r = await runCli([
      'call',
      '--json',
      '--wait-ms',
      '300',
      '--connect',
      station.addr,
      'command',
      'cam1',
      'pan',
      '--',
      'register',
      'nosuch',
      'monitor',
    ]);
    expect(r.code).toBe(1);
    expect(r.records.map((x) => x.code)).toEqual(['NOT_ASSIGNED', 'NODE_UNFOUND']);
  });

  it('call --hold keeps the registration until interrupted, then releases it', async () => {
    const holder = spawnCli([
      'call',
      '--json',
      '--hold',
      '--id',
      'holder',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
    ]);
    await holder.waitFor((r) => r.type === 'result' && r.code === 'SUCCESS');
    // The answer does not wait for the holder's advert (PROTOCOL.md section 5, "Confirming a
    // registrant"); the table shows the controller once that (paced) advert is in.
    await expect
      .poll(
        async () =>
          (await runCli(['nodes', '--json', '--connect', station.addr])).records.find(
            (r) => r.node === 'cam1',
          )?.controller,
        { timeout: 8000 },
      )
      .toBe('holder');
    expect(await holder.stop('SIGINT')).toEqual({ code: 0, signal: null });
    // It unregistered on the way out: control is free at once.
    const next = await runCli([
      'call',
      '--json',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
    ]);
    expect(next.records[0]?.code).toBe('SUCCESS');
  });

  it('call: waits for a node that appears after the link is up, and unregisters on the way out', async () => {
    const seen = station.proc.records.length;
    const caller = spawnCli([
      'call',
      '--json',
      '--wait-ms',
      '30000',
      '--connect',
      station.addr,
      'register',
      'late',
      'controller',
      '--',
      'command',
      'late',
      'ping',
    ]);
    // The call has linked before any router hosts `late`.
    await station.proc.waitFor(
      (r) => r.type === 'link' && r.state === 'up' && station.proc.records.indexOf(r) >= seen,
      15_000,
      'the call to link',
    );
    const host = await startPeer([
      '--id',
      'latehost',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      '--node',
      'late',
      '--echo',
    ]);
    expect(await caller.exited).toEqual({ code: 0, signal: null });
    expect(caller.records.filter((r) => r.type === 'result').map((r) => [r.op, r.code])).toEqual([
      ['register', 'SUCCESS'],
      ['command', 'SUCCESS'],
    ]);
    // Its registration ended with it: another router takes control at once.
    const next = await runCli([
      'call',
      '--json',
      '--connect',
      station.addr,
      'register',
      'late',
      'controller',
    ]);
    expect(next.records[0]?.code).toBe('SUCCESS');
    expect(await host.proc.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('watch: prints events until interrupted', async () => {
    const w = spawnCli(['watch', '--connect', station.addr, 'cam1', 'mic1']);
    await expect
      .poll(() => w.stdout, { timeout: 8000 })
      .toMatch(/watching cam1\n[^]*watching mic1\n|watching mic1\n[^]*watching cam1\n/);
    const post = await runCli(['call', '--connect', station.addr, 'post', 'cam1', '{"hello":1}']);
    expect(post.code).toBe(0);
    await expect.poll(() => w.stdout, { timeout: 5000 }).toContain('event cam1 {"hello":1}\n');
    expect(await w.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('exits 1 when nothing listens', async () => {
    const r = await runCli(['nodes', '--connect', '127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1: ECONNREFUSED/);
    expect(r.stderr).toContain(
      'ctp-router: dial 127.0.0.1:1 failed: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1)\n',
    );
  });

  it('peer: exits 1 when the port is taken', async () => {
    const r = await runCli(['peer', '--listen', station.addr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot listen on .*EADDRINUSE/);
  });
});

// Each case is a short-lived process: run them side by side.
describe.concurrent('ctp-router (usage)', () => {
  it.each(['--help', '-h', 'help', 'peer --help', 'nodes --help', 'call -h', 'watch --help'])(
    '`%s` prints usage, exit 0',
    async (line) => {
      const r = await runCli(line.split(' '));
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: ctp-router/);
    },
  );

  const errors: [string, string[], RegExp][] = [
    ['no command', [], /Usage: ctp-router/],
    ['unknown command', ['frobnicate'], /unknown command `frobnicate`/],
    [
      'unknown option',
      ['nodes', '--connect', '127.0.0.1:1', '--colour'],
      /unknown option `--colour`/,
    ],
    [
      'bad address',
      ['call', '--connect', 'localhost', 'post', 'cam1', '1'],
      /bad address for `--connect`: `localhost`/,
    ],
    ['bad port', ['peer', '--listen', '127.0.0.1:99999'], /bad address for `--listen`/],
    ['missing --connect', ['nodes'], /missing `--connect HOST:PORT` or `--nats URL`/],
    ['bad --nats URL', ['nodes', '--nats', 'nats://a b'], /bad URL for `--nats`/],
    [
      'bad --nats-prefix',
      ['nodes', '--nats', '127.0.0.1:4222', '--nats-prefix', 'a.*'],
      /bad value for `--nats-prefix`/,
    ],
    [
      'bad --heartbeat-ms',
      ['peer', '--nats', '127.0.0.1:4222', '--heartbeat-ms', '0'],
      /bad value for `--heartbeat-ms`/,
    ],
    [
      'peer without listen or connect',
      ['peer'],
      /give `--listen HOST:PORT`, `--connect HOST:PORT` and\/or `--nats URL`/,
    ],
    [
      'bad JSON content',
      ['call', '--connect', '127.0.0.1:1', 'command', 'cam1', 'pan', '{deg:30}'],
      /bad JSON for the content of `command`/,
    ],
    [
      'optionals not an object',
      ['call', '--connect', '127.0.0.1:1', 'start', 'cam1', 'video', '[1]'],
      /must be a JSON object/,
    ],
    [
      'unknown operation',
      ['call', '--connect', '127.0.0.1:1', 'launch', 'cam1'],
      /unknown operation `launch`/,
    ],
    [
      'wrong arity',
      ['call', '--connect', '127.0.0.1:1', 'register', 'cam1'],
      /`register` takes 2 arguments, got 1/,
    ],
    [
      'bad registration type',
      ['call', '--connect', '127.0.0.1:1', 'register', 'cam1', 'owner'],
      /controller or monitor/,
    ],
    ['no operation', ['call', '--connect', '127.0.0.1:1'], /no operation given/],
    [
      'empty operation',
      ['call', '--connect', '127.0.0.1:1', 'post', 'a', '1', '--', '--', 'post', 'b', '1'],
      /empty operation/,
    ],
    ['bad node name', ['watch', '--connect', '127.0.0.1:1', 'controller[x]@y'], /bad node name/],
    ['watch without a node', ['watch', '--connect', '127.0.0.1:1'], /missing node name/],
    ['option without a value', ['nodes', '--connect'], /`--connect` needs a value/],
    [
      'bad number',
      ['peer', '--listen', '127.0.0.1:0', '--lease-grace-ms', 'soon'],
      /bad value for `--lease-grace-ms`/,
    ],
    ['bad router id', ['nodes', '--connect', '127.0.0.1:1', '--id', 'a b'], /bad router id/],
    [
      'bad heartbeat (peer)',
      ['peer', '--listen', '127.0.0.1:0', '--heartbeat-ms', '-5'],
      /bad value for `--heartbeat-ms`/,
    ],
    [
      'bad heartbeat (call)',
      ['call', '--connect', '127.0.0.1:1', '--heartbeat-ms', 'often', 'post', 'a', '1'],
      /bad value for `--heartbeat-ms`/,
    ],
    [
      'bad heartbeat (watch)',
      ['watch', '--connect', '127.0.0.1:1', '--heartbeat-ms=1.5', 'cam1'],
      /bad value for `--heartbeat-ms`/,
    ],
    [
      'bad heartbeat (nodes)',
      ['nodes', '--connect', '127.0.0.1:1', '--heartbeat-ms', ''],
      /bad value for `--heartbeat-ms`/,
    ],
  ];
  it.each(errors)('%s: exit 2 with a clear message', async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(message);
  });
});

/**
 * What a module loads as soon as it is imported: its static value imports
 * (not `import type`, not `import()`), followed through src/, as
 * `src/…` paths and bare specifiers.
 */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    for (const m of text.matchAll(
      /^(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?'([^']+)';/gms,
    )) {
      const spec = m[1] as string;
      if (!spec.startsWith('.')) seen.add(spec);
      else
        visit(new URL(spec.replace(/\.js$/, '.ts'), new URL(`file:///${path}`)).pathname.slice(1));
    }
  };
  visit(entry);
  return seen;
}

describe('ctp-router (start-up)', () => {
  it('loads only the command it runs: `call` loads no ui, NATS or other command code', () => {
    const front = staticGraph('src/cli/index.ts');
    expect(
      [...front].filter((p) => p.startsWith('src/') && p !== 'src/cli/index.ts').sort(),
    ).toEqual([
      'src/base/errors.ts',
      'src/base/names.ts',
      'src/base/suggest.ts',
      'src/cli/args.ts',
      // `--metrics`'s parsing and usage line; its endpoint (metrics.ts, prom-client) loads on use.
      'src/cli/metrics-args.ts',
      'src/cli/usage.ts',
      'src/tcp/address.ts',
    ]);
    const call = staticGraph('src/cli/call.ts');
    expect(call.has('src/router.ts')).toBe(true);
    expect(call.has('src/tcp/transport.ts')).toBe(true);
    const unwanted = [...call].filter(
      (p) =>
        /^src\/(ui|nats)\//.test(p) ||
        /^src\/cli\/(peer|nodes|watch|ui|dot)\.ts$/.test(p) ||
        p === 'node:http' ||
        p.startsWith('@nats-io/'),
    );
    expect(unwanted).toEqual([]);
  });
});
