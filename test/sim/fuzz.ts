/**
 * Frame fuzz: `node node_modules/.cache/ctp-sim/test/sim/fuzz.js [--frames N] [--seed S]`
 * (after `npm run sim` has compiled it). Feeds N frames — mutations of valid
 * frames of every type, signed adverts (genuine, with a changed field, with
 * random `sig`/`cert`), random text and bytes — to three routers (two with
 * an identity, one without) over a few peers that go up and down, and counts
 * what must stay zero: `receive` throwing and `error` events.
 */
import { CtpRouter } from '../../src/router.js';
import { DropReason } from '../../src/events.js';
import type { CtpAdvert } from '../../src/base/messages.js';
import { signGenuine, simIdentity } from './identities.js';
import { Rng } from './rng.js';

export interface FuzzResult {
  frames: number;
  throws: number;
  errors: number;
  /** Drops per reason. */
  drops: Record<string, number>;
  /** Drops whose reason is not one of `DropReason`. */
  unknownReasons: number;
  ms: number;
}

const ODD_VALUES: unknown[] = [
  null,
  -1,
  0,
  1.5,
  1e308,
  '',
  'x'.repeat(300),
  [],
  {},
  [[[]]],
  true,
  'controller[a]@b',
  '\u0000',
  2 ** 53,
  { __proto__: 1 },
];

function validFrames(rng: Rng): Record<string, unknown>[] {
  const seq = 1_800_000_000_000 + rng.int(0, 1_000_000);
  const advert: CtpAdvert = {
    origin: rng.pick(['r2', 'r3', 'r0']),
    seq,
    nodes: ['cam1', `n${rng.int(0, 9)}`],
    neighbors: ['r0', 'r1'],
  };
  const signedAdvert = signGenuine(advert);
  return [
    { v: 1, t: 'REPORTNODE', from: 'r2', adverts: [advert] },
    { v: 1, t: 'REPORTNODE', from: 'r2', adverts: [signedAdvert] },
    { v: 1, t: 'REPORTNODE', from: 'r3', adverts: [{ ...signedAdvert, seq: seq + 1 }] },
    { v: 1, t: 'REPORTNODE', from: 'r3', adverts: [{ ...signedAdvert, nodes: ['evil'] }] },
    { v: 1, t: 'UPDATENODE', from: 'r2' },
    { v: 1, t: 'REGISTER', id: rng.int(1, 99), node: 'cam1', controller: 'controller[cam1]@r2' },
    { v: 1, t: 'UNREGISTER', id: rng.int(1, 99), node: 'cam1', monitor: 'monitor[cam1]@r2' },
    {
      v: 1,
      t: 'START',
      id: rng.int(1, 99),
      to: 'r0',
      node: 'cam1',
      controller: 'controller[cam1]@r2',
      app: 'a',
    },
    {
      v: 1,
      t: 'COMMAND',
      id: rng.int(1, 99),
      node: 'cam1',
      controller: 'controller[cam1]@r2',
      app: 'a',
      content: { x: 1 },
    },
    { v: 1, t: 'POST', node: 'cam1', content: 1 },
    {
      v: 1,
      t: 'RESPONSE',
      node: 'cam1',
      controller: 'controller[cam1]@r0',
      code: 'SUCCESS',
      re: rng.int(1, 99),
    },
    { v: 1, t: 'EVENT', node: 'cam1', monitor: 'monitor[cam1]@r1', content: 2 },
  ];
}

function mutate(rng: Rng, msg: Record<string, unknown>): string | Uint8Array {
  const m = structuredClone(msg);
  switch (rng.int(0, 7)) {
    case 0: {
      const keys = Object.keys(m);
      m[rng.pick(keys)] = rng.pick(ODD_VALUES);
      break;
    }
    case 1: {
      const a = (m.adverts as Record<string, unknown>[] | undefined)?.[0];
      if (a !== undefined)
        a[rng.pick(['origin', 'seq', 'nodes', 'neighbors', 'sig', 'cert'])] = rng.pick([
          ...ODD_VALUES,
          'QUJD',
          'A'.repeat(2000),
          Buffer.from(String(rng.next())).toString('base64'),
        ]);
      break;
    }
    case 2: {
      const text = JSON.stringify(m);
      return text.slice(0, rng.int(0, text.length));
    }
    case 3: {
      const text = JSON.stringify(m);
      const i = rng.int(0, Math.max(0, text.length - 1));
      return text.slice(0, i) + String.fromCharCode(rng.int(0, 0x2ff)) + text.slice(i + 1);
    }
    case 4:
      return Uint8Array.from({ length: rng.int(0, 64) }, () => rng.int(0, 255));
    case 5:
      return Array.from({ length: rng.int(0, 40) }, () =>
        String.fromCharCode(rng.int(0, 0xffff)),
      ).join('');
    default:
      break; // valid as is
  }
  return JSON.stringify(m);
}

/** Run the fuzz. */
export function fuzz(frames: number, seed: number): FuzzResult {
  const rng = new Rng(seed);
  const started = Date.now();
  const result: FuzzResult = { frames, throws: 0, errors: 0, drops: {}, unknownReasons: 0, ms: 0 };
  const reasons = new Set<string>(Object.values(DropReason));
  const routers = ['r0', 'r1', 'plain'].map((id) => {
    const r = new CtpRouter<number>(
      (_name, msg) => {
        if (rng.chance(0.5))
          r.respond(msg.node, { ok: 1 }, 'SUCCESS', 'id' in msg ? msg.id : undefined);
      },
      () => undefined,
      () => undefined,
      {
        id,
        nodes: ['cam1'],
        ...(id === 'plain' ? {} : { identity: simIdentity(id) }),
        responseTimeoutMs: 50,
        registrationWaitMs: 10,
      },
    );
    r.on('error', () => result.errors++);
    r.on('dropped', (e) => {
      result.drops[e.reason] = (result.drops[e.reason] ?? 0) + 1;
      if (!reasons.has(e.reason)) result.unknownReasons++;
    });
    for (let p = 0; p < 4; p++) r.peerUp(p);
    return r;
  });
  const down = new Set<number>();
  let corpus = validFrames(rng);
  for (let i = 0; i < frames; i++) {
    if (i % 1000 === 0) corpus = validFrames(rng);
    const at = rng.int(0, routers.length - 1);
    const r = routers[at] as CtpRouter<number>;
    const peer = rng.int(0, 3);
    // Links go down now and then, and mostly come back before the next frame on them.
    const key = at * 4 + peer;
    if (down.has(key) && rng.chance(0.9)) {
      down.delete(key);
      r.peerUp(peer);
    } else if (rng.chance(0.001)) {
      down.add(key);
      r.peerDown(peer);
    }
    const frame = mutate(rng, rng.pick(corpus));
    try {
      r.receive(peer, frame);
    } catch {
      result.throws++;
    }
  }
  for (const r of routers) void r.close();
  result.ms = Date.now() - started;
  return result;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1]?.endsWith('fuzz.js')) {
  const r = fuzz(arg('frames', 1_000_000), arg('seed', 1));
  console.log(JSON.stringify(r));
  if (r.throws > 0 || r.errors > 0 || r.unknownReasons > 0) process.exitCode = 1;
}
