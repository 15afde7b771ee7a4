/**
 * Issue 25 with real processes over mutual TLS: a station (`peer --policy`),
 * an insider relay holding a valid certificate of the network's CA
 * (insider-relay.mjs: forges RESPONSEs, release notices and COMMANDs under
 * the console's controller name, replays the console's COMMANDs), and the
 * console's `call` through it. Every command is answered by the genuine
 * host; the station ran only the console's; the forgeries are dropped
 * (`bad-origin`, `replayed`). With a caller that prints its drops
 * (tls-caller.mjs) and a viewer beside it, the insider also replays the
 * station's genuine RESPONSEs to the console and redirects them to the
 * viewer: dropped there `replayed` and `bad-origin`. The policy refuses a
 * router it does not name (`REJECTED`, reason `policy`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  killAll,
  Proc,
  ROOT,
  runCli,
  startPeer,
  TLS_FIX,
  tlsArgs,
} from '../tcp/procs.js';

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
    ...tlsArgs('station'),
    '--listen',
    '127.0.0.1:0',
    '--node',
    'cam1',
    '--echo',
    '--policy',
    policy,
  ]);
  insider = new Proc([TLS_FIX, 'mallory', station.addr], join(ROOT, 'test/auth/insider-relay.mjs'));
  insiderPort = (await insider.waitFor((r) => r.type === 'ready', 10_000, 'the insider'))
    .port as number;
  await station.proc.waitFor(
    (r) => r.type === 'link' && String(r.peer).endsWith('(mallory)'),
    10_000,
    'the insider to link',
  );
}, 120_000);
afterAll(killAll);

/** Poll `pred` until it holds (the processes print as they go). */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The console's and viewer's view of the insider's misuse of genuine answers (test 2). */
async function misused(viewer: Proc, consoleP: Proc, before: number, insiderBefore: number) {
  await viewer.waitFor((x) => x.type === 'done', 20_000, 'the viewer to register');
  expect(viewer.records.find((x) => x.type === 'result')).toMatchObject({ code: 'SUCCESS' });
  await consoleP.waitFor((x) => x.type === 'done', 30_000, 'the console to finish');
  const results = consoleP.records.filter((x) => x.type === 'result');
  expect(results[0]).toMatchObject({ op: 'register', code: 'SUCCESS' });
  expect(results.slice(1)).toEqual(
    Array.from({ length: COMMANDS }, (_, i) => ({
      type: 'result',
      op: 'command',
      n: i + 1,
      code: 'SUCCESS',
      content: { t: 'COMMAND', app: 'pan', content: { n: i + 1 } },
    })),
  );
  // The insider did misuse every genuine answer: replayed to the console, redirected to the viewer.
  const mine = () => insider.records.slice(insiderBefore);
  const count = (type: string) => mine().filter((x) => x.type === type).length;
  // The insider prints what it did as it goes: its last lines may come after the console is done.
  await until(
    () => count('replayed-response') >= COMMANDS + 1 && count('redirected') >= COMMANDS + 1,
    8000,
    "the insider's report of every answer it misused",
  );
  const replays = count('replayed-response');
  const redirects = count('redirected');
  expect(replays).toBeGreaterThanOrEqual(COMMANDS + 1); // the REGISTER's answer and each command's
  expect(redirects).toBe(replays);
  const drops = (p: Proc) => p.records.filter((x) => x.type === 'dropped');
  const byReason = (p: Proc, reason: string, t: string) =>
    drops(p).filter((d) => d.reason === reason && d.t === t);
  await until(
    () =>
      byReason(consoleP, 'replayed', 'RESPONSE').length >= replays &&
      byReason(viewer, 'bad-origin', 'RESPONSE').length >= redirects,
    8000,
    'every misused answer dropped',
  );
  // Replays: `replayed`, one per genuine answer replayed.
  expect(byReason(consoleP, 'replayed', 'RESPONSE')).toHaveLength(replays);
  // Redirected answers: `bad-origin` at the viewer (the MAC names the console's virtual node).
  const redirected = byReason(viewer, 'bad-origin', 'RESPONSE');
  expect(redirected).toHaveLength(redirects);
  expect(new Set(redirected.map((d) => d.message))).toEqual(
    new Set(['the frame was not authenticated by its origin']),
  );
  expect(drops(viewer).filter((d) => d.reason !== 'bad-origin' || d.t !== 'RESPONSE')).toEqual([]);
  // The forged release notices and answers: `bad-origin`; the console never lost control.
  expect(consoleP.records.filter((x) => x.type === 'lost')).toEqual([]);
  const messages = byReason(consoleP, 'bad-origin', 'RESPONSE').map((d) => d.message);
  expect(messages).toContain('the release notice names another host');
  expect(messages).toContain('the frame names no origin');
  expect(messages).toContain('the origin does not host the node');
  expect(messages).toContain('the frame was not authenticated by its origin');
  expect(
    drops(consoleP).filter((d) => d.reason !== 'bad-origin' && d.reason !== 'replayed'),
  ).toEqual([]);
  // Requests under the console's controller name: `bad-origin` at the station; it ran the console's only.
  const since = () => station.proc.records.slice(before);
  await until(
    () =>
      since().some(
        (x) => x.type === 'received' && (x.content as { n?: number } | null)?.n === COMMANDS,
      ),
    8000,
    'the last command at the station',
  );
  expect(
    since()
      .filter((x) => x.type === 'received')
      .map((x) => (x.content as { n: number }).n),
  ).toEqual(Array.from({ length: COMMANDS }, (_, i) => i + 1));
  expect(
    since().filter((d) => d.type === 'dropped' && d.reason === 'bad-origin' && d.t === 'COMMAND'),
  ).toHaveLength(2 * COMMANDS);
}

describe('an insider relay over TLS (real processes)', () => {
  it("cannot answer, steal, forge or replay the console's control", async () => {
    const ops = ['register', 'cam1', 'controller'];
    for (let i = 1; i <= COMMANDS; i++) ops.push('--', 'command', 'cam1', 'pan', `{"n":${i}}`);
    const r = await runCli(
      ['call', ...tlsArgs('console'), '--connect', `mallory@127.0.0.1:${insiderPort}`, ...ops],
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

  // Runs before the next test: a `viewer` started right after that test's viewer (reached through
  // the insider) was seen to time out its first call here, 2 runs in 3 (likely its answer sent on the
  // old instance's route while the new advert is paced). Left open, in the closing note of stop 28;
  // this test is about the policy.
  it('the policy refuses a router it does not name, and grants a monitor', async () => {
    const r = await runCli([
      'call',
      ...tlsArgs('viewer'),
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
      ...tlsArgs('viewer'),
      '--connect',
      station.addr,
      'register',
      'cam1',
      'monitor',
    ]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  }, 60_000);

  it("cannot replay the station's RESPONSEs, redirect them to another caller, or end control with a release notice: each is dropped at the caller with its reason", async () => {
    const caller = (name: string, role: string): Proc =>
      new Proc(
        [TLS_FIX, name, `mallory@127.0.0.1:${insiderPort}`, role, String(COMMANDS)],
        join(ROOT, 'test/auth/tls-caller.mjs'),
      );
    const before = station.proc.records.length;
    const insiderBefore = insider.records.length;
    const viewer = caller('viewer', 'monitor');
    let consoleP: Proc | undefined;
    try {
      // The viewer is linked to the insider first: every answer to the console can be redirected to it.
      await viewer.waitFor((x) => x.type === 'done', 20_000, 'the viewer to register');
      consoleP = caller('console', 'controller');
      await misused(viewer, consoleP, before, insiderBefore);
    } finally {
      await Promise.all([viewer.stop(), consoleP?.stop()]);
    }
  }, 90_000);

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
    // Every command takes it (its `host` rules apply at any router).
    const call = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/cli/index.js'), 'call', '--connect', station.addr, '--policy', bad],
      { encoding: 'utf8' },
    );
    expect(call.status).toBe(2);
    expect(call.stderr).toMatch(/--policy.*roles/);
  });
});
