/**
 * The CLI over mutual TLS (real processes): `--tls-cert/--tls-key/--tls-ca`
 * on peer, call, nodes and watch; `--id` defaults to the certificate's CN and
 * must equal it (usage error, exit 2); a refused certificate exits 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  killAll,
  ROOT,
  runCli,
  spawnCli,
  startPeer,
  type Proc,
  TLS_FIX,
  tlsArgs,
} from '../tcp/procs.js';

let station: { proc: Proc; port: number; addr: string };

beforeAll(async () => {
  await ensureBuilt();
  station = await startPeer([
    ...tlsArgs('station'),
    '--listen',
    '127.0.0.1:0',
    '--node',
    'cam1',
    '--echo',
  ]);
}, 120_000);
afterAll(killAll);

describe('ctp-router over TLS', () => {
  it('peer takes its id from the certificate; call and watch work over mutual TLS', async () => {
    expect(station.proc.records[0]).toMatchObject({ type: 'listening', id: 'station' });
    const viewer = spawnCli([
      'watch',
      '--json',
      ...tlsArgs('viewer'),
      '--connect',
      `station@${station.addr}`,
      'cam1',
    ]);
    await viewer.waitFor((r) => r.type === 'watching', 10_000, 'the viewer to watch cam1');
    const r = await runCli([
      'call',
      ...tlsArgs('console'),
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '{"deg":30}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^register cam1 controller: SUCCESS$/m);
    expect(r.stdout).toMatch(/^command cam1 pan \{"deg":30\}: SUCCESS/m);
    await viewer.waitFor((rec) => rec.type === 'event', 8000, 'the event at the viewer');
    // The station saw the console's request as from `console`, over a link named by its certificate.
    await station.proc.waitFor((rec) => rec.type === 'received' && rec.from === 'console');
    expect(
      station.proc.records.some(
        (rec) => rec.type === 'link' && String(rec.peer).endsWith('(console)'),
      ),
    ).toBe(true);
    expect(await viewer.stop('SIGINT')).toEqual({ code: 0, signal: null });
    const nodes = await runCli(['nodes', '--json', ...tlsArgs('relay'), '--connect', station.addr]);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.records.map((x) => x.node)).toEqual(['cam1']);
  });

  it('a station that does not trust our CA, no TLS at all, or the wrong router at the address: exit 1', async () => {
    // intruder.crt (CN=console) is issued by another CA, which does not vouch for the station either.
    const foreign = await runCli([
      'nodes',
      '--wait-ms',
      '2000',
      '--connect',
      station.addr,
      '--tls-cert',
      join(TLS_FIX, 'intruder.crt'),
      '--tls-key',
      join(TLS_FIX, 'intruder.key'),
      '--tls-ca',
      join(TLS_FIX, 'other-ca.crt'),
    ]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+/);
    // Each failed attempt on its own line, with node's verification code.
    expect(foreign.stderr).toMatch(
      /^ctp-router: dial 127\.0\.0\.1:\d+ failed: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE) \(.+\)$/m,
    );
    const plain = await runCli(['nodes', '--wait-ms', '1000', '--connect', station.addr]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(
      /^ctp-router: dial 127\.0\.0\.1:\d+ failed: (ERR_CTP_LINK_CLOSED \(127\.0\.0\.1:\d+ closed the link before sending anything \(is it a TLS listener\?\)\)|ECONNRESET .*)$/m,
    );
    // The station printed the plaintext attempt it refused, with the reason.
    const refused = await station.proc.waitFor(
      (r) => r.type === 'refused' && r.code === 'ERR_SSL_WRONG_VERSION_NUMBER',
      5000,
      'the refused plaintext attempt',
    );
    expect(refused).toMatchObject({
      reason: 'tls-handshake',
      remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown,
    });
    const wrongServer = await runCli([
      'nodes',
      '--wait-ms',
      '2000',
      ...tlsArgs('console'),
      '--connect',
      `relay@${station.addr}`,
    ]);
    expect(wrongServer.code).toBe(1);
    expect(wrongServer.stderr).toMatch(/names station, expected relay/);
    expect(wrongServer.stderr).toContain(
      `ctp-router: dial relay@${station.addr} failed: ERR_CTP_CERT_ID (the server certificate names station, expected relay)\n`,
    );
  });

  it('peer prints the connections it refuses, one line each, with the reason', async () => {
    const p = spawnCli(['peer', ...tlsArgs('relay'), '--listen', '127.0.0.1:0']);
    await expect
      .poll(() => p.stdout, { timeout: 8000 })
      .toMatch(/^listening 127\.0\.0\.1:\d+ as relay\n/);
    const port = /^listening 127\.0\.0\.1:(\d+)/.exec(p.stdout)?.[1] as string;
    const plain = await runCli(['nodes', '--wait-ms', '1000', '--connect', `127.0.0.1:${port}`]);
    expect(plain.code).toBe(1);
    await expect
      .poll(() => p.stdout, { timeout: 5000 })
      .toMatch(/^refused 127\.0\.0\.1:\d+: tls-handshake \(ERR_SSL_WRONG_VERSION_NUMBER\)$/m);
    expect(await p.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('ui honours --tls-*: it links to a TLS station under its certificate, and its --listen refuses plaintext', async () => {
    const ui = spawnCli([
      'ui',
      '--json',
      ...tlsArgs('mallory'),
      '--connect',
      `station@${station.addr}`,
      '--listen',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
    ]);
    const http = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    expect(http).toMatchObject({ id: 'mallory' });
    // The station linked to it over TLS, under the certificate's name.
    await station.proc.waitFor(
      (r) => r.type === 'link' && r.state === 'up' && String(r.peer).endsWith('(mallory)'),
      10_000,
      'the station to link the ui',
    );
    // Its page sees the network through that link (cam1 at the station).
    const view = async (): Promise<string> =>
      (await fetch(`http://127.0.0.1:${String(http.port)}/view.json`)).text();
    await expect.poll(view, { timeout: 10_000 }).toMatch(/cam1/);
    // Its listening side is TLS: a plaintext client fails.
    const plain = await runCli(['nodes', '--wait-ms', '1000', '--connect', String(http.listen)]);
    expect(plain.code).toBe(1);
    expect(await ui.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe.concurrent('ctp-router TLS usage errors', () => {
  const errors: [string, string[], RegExp][] = [
    [
      '--id differs from the CN',
      [
        'call',
        '--id',
        'viewer',
        ...tlsArgs('console'),
        '--connect',
        '127.0.0.1:1',
        'post',
        'cam1',
        '1',
      ],
      /`--id viewer` differs .*CN=console/,
    ],
    [
      '--id differs from the CN (peer)',
      ['peer', '--id', 'station2', ...tlsArgs('station'), '--listen', '127.0.0.1:0'],
      /CN=station/,
    ],
    [
      'only some TLS flags',
      ['nodes', '--connect', '127.0.0.1:1', '--tls-cert', join(TLS_FIX, 'console.crt')],
      /all of `--tls-cert`, `--tls-key` and `--tls-ca`/,
    ],
    [
      'an unreadable file',
      [
        'watch',
        '--connect',
        '127.0.0.1:1',
        '--tls-cert',
        join(TLS_FIX, 'nosuch.crt'),
        '--tls-key',
        join(TLS_FIX, 'console.key'),
        '--tls-ca',
        join(TLS_FIX, 'ca.crt'),
        'cam1',
      ],
      /cannot read `--tls-cert` .*ENOENT/,
    ],
    [
      'not a certificate',
      [
        'nodes',
        '--connect',
        '127.0.0.1:1',
        '--tls-cert',
        join(TLS_FIX, 'console.key'),
        '--tls-key',
        join(TLS_FIX, 'console.key'),
        '--tls-ca',
        join(TLS_FIX, 'ca.crt'),
      ],
      /is not a certificate/,
    ],
    ['a bad id@ target', ['nodes', '--connect', 'a b@127.0.0.1:1'], /bad address for `--connect`/],
    [
      'an expired certificate',
      [
        'nodes',
        '--connect',
        '127.0.0.1:1',
        '--tls-cert',
        join(TLS_FIX, 'expired.crt'),
        '--tls-key',
        join(TLS_FIX, 'expired.key'),
        '--tls-ca',
        join(TLS_FIX, 'ca.crt'),
      ],
      /is not valid now/,
    ],
    [
      'a key of another certificate',
      [
        'nodes',
        '--connect',
        '127.0.0.1:1',
        '--tls-cert',
        join(TLS_FIX, 'console.crt'),
        '--tls-key',
        join(TLS_FIX, 'viewer.key'),
        '--tls-ca',
        join(TLS_FIX, 'ca.crt'),
      ],
      /does not match `--tls-key`/,
    ],
    [
      'a certificate of another CA',
      [
        'nodes',
        '--connect',
        '127.0.0.1:1',
        '--tls-cert',
        join(TLS_FIX, 'intruder.crt'),
        '--tls-key',
        join(TLS_FIX, 'intruder.key'),
        '--tls-ca',
        join(TLS_FIX, 'ca.crt'),
      ],
      /not issued by `--tls-ca`/,
    ],
  ];
  it.each(errors)('%s: exit 2', async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAVE_OPENSSL)
  console.warn(
    'test/cli/tls.test.ts: openssl not found: skipping "npm run demo -- --tls" (it makes a throwaway CA)',
  );

describe.skipIf(!HAVE_OPENSSL)('npm run demo -- --tls', () => {
  it('runs the three processes over mutual TLS with a throwaway CA, then removes it', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/demo.js'), '--tls'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/over mutual TLS on loopback/);
    const dir = /made a throwaway CA and certificates \(CN = router id\) in (\S+)/.exec(out)?.[1];
    expect(dir).toBeDefined();
    expect(out).toMatch(
      /--id console --tls-cert \S+console\.crt --tls-key \S+console\.key --tls-ca \S+ca\.crt/,
    );
    expect(out).toMatch(/station +│ got COMMAND cam1 pan \{"deg":30\} from console/);
    expect(out).toMatch(/viewer +│ event from cam1: \{"t":"STOP","app":"video"\}/);
    expect(out).toMatch(/Done in [\d.]+ s; no process left running/);
    expect(existsSync(dir as string)).toBe(false);
  }, 30_000);
});
