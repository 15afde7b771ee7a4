/**
 * Issue 25, "Big signed adverts", with real processes over mutual TLS: an
 * insider holding a valid certificate of the network's CA (advert-storm.mjs)
 * floods a station (`peer`, default options) with its own genuinely signed
 * adverts of 50,000 names, a new seq each, as fast as the station reads. The
 * station decodes them only within the insider's advert budget
 * (`maxAdvertBytesPerSecond`) and drops the rest unparsed (`rate-limited`),
 * while the console's register and commands, over another link, all succeed.
 * No time is asserted: only outcomes and drop reasons.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, Proc, ROOT, runCli, startPeer, TLS_FIX, tlsArgs } from './procs.js';

const COMMANDS = 20;

let station: { proc: Proc; port: number; addr: string };
let storm: Proc;

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
  storm = new Proc(
    [TLS_FIX, 'mallory', station.addr, '50000'],
    join(ROOT, 'test/tcp/advert-storm.mjs'),
  );
  await storm.waitFor((r) => r.type === 'ready', 20_000, 'the insider to link');
}, 120_000);
afterAll(killAll);

describe("an insider's big signed adverts (real processes over TLS)", () => {
  it('are rate-limited at the station, and the console is served meanwhile', async () => {
    // The storm is under way: the insider is past its budget.
    await station.proc.waitFor(
      (r) => r.type === 'dropped' && r.reason === 'rate-limited',
      60_000,
      'the first rate-limited drop',
    );
    const mark = station.proc.records.length;
    const ops = ['register', 'cam1', 'controller'];
    for (let i = 1; i <= COMMANDS; i++) ops.push('--', 'command', 'cam1', 'pan', `{"n":${i}}`);
    const r = await runCli(
      ['call', ...tlsArgs('console'), '--connect', station.addr, ...ops],
      90_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^register cam1 controller: SUCCESS$/m);
    for (let i = 1; i <= COMMANDS; i++)
      expect(r.stdout).toMatch(new RegExp(`^command cam1 pan \\{"n":${i}\\}: SUCCESS`, 'm'));
    // The storm went on while the console was served: still dropped after it.
    const records = station.proc.records;
    await station.proc.waitFor(
      (x) => x.reason === 'rate-limited' && records.indexOf(x) >= mark,
      30_000,
      'a rate-limited drop after the console was served',
    );
    const limited = records.filter((x) => x.type === 'dropped' && x.reason === 'rate-limited');
    // Dropped unparsed (no frame type known), from the insider's link only.
    for (const d of limited) {
      expect(d.t).toBeUndefined();
      expect(String(d.peer)).toContain('(mallory)');
    }
    // Nothing the console sent was dropped.
    const others = station.proc.records.filter(
      (x) => x.type === 'dropped' && !String(x.peer).includes('(mallory)'),
    );
    expect(others).toEqual([]);
  }, 180_000);

  it('`peer --max-advert-bytes-per-second` takes an integer of 0 or more', () => {
    const cli = join(ROOT, 'dist/cli/index.js');
    const bad = spawnSync(
      process.execPath,
      [cli, 'peer', '--listen', '127.0.0.1:0', '--max-advert-bytes-per-second', '-1'],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--max-advert-bytes-per-second');
    const help = spawnSync(process.execPath, [cli, 'peer', '--help'], { encoding: 'utf8' });
    expect(help.stdout + help.stderr).toContain('--max-advert-bytes-per-second N');
  });
});
