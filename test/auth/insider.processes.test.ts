/**
 * Issue 25 with real processes over mutual TLS: a station (`peer --policy`),
 * an insider relay holding a valid certificate of the network's CA
 * (insider-relay.mjs: forges RESPONSEs, release notices and COMMANDs under
 * the console's controller name, replays the console's COMMANDs), and the
 * console's `call` through it. Every command is answered by the genuine
 * host; the station ran only the console's; the forgeries are dropped
 * (`bad-origin`, `replayed`). The policy refuses a router it does not name
 * (`REJECTED`, reason `policy`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, Proc, ROOT, runCli, startPeer } from '../tcp/procs.js';

const FIX = join(ROOT, 'test/fixtures/tls');
const tls = (name: string): string[] => [
  '--tls-cert',
  join(FIX, `${name}.crt`),
  '--tls-key',
  join(FIX, `${name}.key`),
  '--tls-ca',
  join(FIX, 'ca.crt'),
];
const COMMANDS = 6;

let station: { proc: Proc; port: number; addr: string };
let insider: Proc;
let insiderPort: number;

beforeAll(async () => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'ctp-policy-'));
  const policy = join(dir, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      rules: [
        { routers: ['console'], nodes: ['cam*'], roles: ['controller', 'monitor'] },
        { routers: ['viewer'], nodes: ['*'], roles: ['monitor'] },
      ],
    }),
  );
  station = await startPeer([
    ...tls('station'),
    '--listen',
    '127.0.0.1:0',
    '--node',
    'cam1',
    '--echo',
    '--policy',
    policy,
  ]);
  insider = new Proc([FIX, 'mallory', station.addr], join(ROOT, 'test/auth/insider-relay.mjs'));
  insiderPort = (await insider.waitFor((r) => r.type === 'ready', 10_000, 'the insider'))
    .port as number;
  await station.proc.waitFor(
    (r) => r.type === 'link' && String(r.peer).endsWith('(mallory)'),
    10_000,
    'the insider to link',
  );
}, 120_000);
afterAll(killAll);

describe('an insider relay over TLS (real processes)', () => {
  it("cannot answer, steal, forge or replay the console's control", async () => {
    const ops = ['register', 'cam1', 'controller'];
    for (let i = 1; i <= COMMANDS; i++) ops.push('--', 'command', 'cam1', 'pan', `{"n":${i}}`);
    const r = await runCli(
      ['call', ...tls('console'), '--connect', `mallory@127.0.0.1:${insiderPort}`, ...ops],
      30_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^register cam1 controller: SUCCESS$/m);
    for (let i = 1; i <= COMMANDS; i++)
      expect(r.stdout).toMatch(new RegExp(`^command cam1 pan \\{"n":${i}\\}: SUCCESS`, 'm'));
    expect(r.stdout).not.toContain('forged');
    // The insider did attack, every round.
    expect(insider.records.filter((x) => x.type === 'forged')).toHaveLength(COMMANDS);
    // The station ran the console's commands only, once each.
    // The station's stdout can trail its answer.
    await station.proc.waitFor(
      (x) => x.type === 'received' && (x.content as { n?: number } | null)?.n === COMMANDS,
      8000,
      'the last command at the station',
    );
    const received = station.proc.records.filter((x) => x.type === 'received');
    expect(received.map((x) => x.app)).toEqual(Array(COMMANDS).fill('pan'));
    expect(received.map((x) => (x.content as { n: number }).n)).toEqual(
      Array.from({ length: COMMANDS }, (_, i) => i + 1),
    );
    const drops = station.proc.records.filter((x) => x.type === 'dropped');
    expect(drops.filter((d) => d.reason === 'bad-origin' && d.t === 'COMMAND')).toHaveLength(
      2 * COMMANDS,
    );
    expect(drops.filter((d) => d.reason === 'replayed' && d.t === 'COMMAND')).toHaveLength(
      COMMANDS - 1,
    );
  }, 60_000);

  it('the policy refuses a router it does not name, and grants a monitor', async () => {
    const r = await runCli([
      'call',
      ...tls('viewer'),
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^register cam1 controller: REJECTED/m);
    expect(r.stdout).toContain('policy');
    const ok = await runCli([
      'call',
      ...tls('viewer'),
      '--connect',
      station.addr,
      'register',
      'cam1',
      'monitor',
    ]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  }, 60_000);

  it('a bad policy file is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctp-policy-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ rules: [{ routers: ['a'], nodes: ['b'], roles: ['root'] }] }),
    );
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/cli/index.js'), 'peer', '--listen', '127.0.0.1:0', '--policy', bad],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--policy.*roles/);
    const missing = spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist/cli/index.js'),
        'peer',
        '--listen',
        '127.0.0.1:0',
        '--policy',
        join(dir, 'none.json'),
      ],
      { encoding: 'utf8' },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read `--policy`/);
  });
});
