/**
 * Issue 25, an origin not known yet, with real processes over mutual TLS
 * and default options: a station (`peer`), a relay whose path to the
 * station carries the console's adverts 1.5 s late (slow-advert-relay.mjs),
 * and a fresh `call` router that joins through it and calls at once. Its
 * REGISTER reaches the station before the console's signed advert: it waits
 * for it and is answered (it was dropped `bad-origin`, and the call timed out).
 */
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

let station: { proc: Proc; port: number; addr: string };
let relay: Proc;
let relayPort: number;

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
  relay = new Proc(
    [TLS_FIX, 'relay', station.addr, '1500'],
    join(ROOT, 'test/auth/slow-advert-relay.mjs'),
  );
  relayPort = (await relay.waitFor((r) => r.type === 'ready', 10_000, 'the relay')).port as number;
  await station.proc.waitFor(
    (r) => r.type === 'link' && String(r.peer).endsWith('(relay)'),
    10_000,
    'the relay to link',
  );
}, 120_000);
afterAll(killAll);

describe('a fresh router that joins and calls at once (real processes, TLS)', () => {
  it('its first request waits at the station for its advert, and is answered', async () => {
    const r = await runCli(
      [
        'call',
        ...tlsArgs('console'),
        '--connect',
        `relay@127.0.0.1:${relayPort}`,
        'register',
        'cam1',
        'controller',
        '--',
        'command',
        'cam1',
        'pan',
        '{"n":1}',
      ],
      30_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^register cam1 controller: SUCCESS$/m);
    expect(r.stdout).toMatch(/^command cam1 pan \{"n":1\}: SUCCESS/m);
    // The console's adverts were held, so the REGISTER did overtake them.
    expect(relay.records.filter((x) => x.type === 'held').length).toBeGreaterThan(0);
    await station.proc.waitFor((x) => x.type === 'received', 8000, 'the command at the station');
    expect(station.proc.records.filter((x) => x.type === 'dropped')).toEqual([]);
  }, 60_000);
});
