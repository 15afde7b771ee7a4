/**
 * End-to-end origin authentication (issue 25, src/auth/origin-auth.ts): the
 * cost of sealing and checking one COMMAND at its two ends — with the pair
 * key (HMAC-SHA256 under an ECDH-agreed key: ECDSA P-256 fixtures) and, for
 * identities that cannot agree a key, with a signature per frame (ECDSA
 * P-256 and Ed25519) — and round trips (REGISTER once, then COMMAND →
 * RESPONSE, both authenticated) between two routers in one process with
 * identities, beside the same routers without, interleaved in the same run.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CtpOriginAuth } from '../src/auth/origin-auth.js';
import type { CtpMessage } from '../src/base/messages.js';
import { resolveIdentity } from '../src/link-state/certificates.js';
import type { CtpRouterOptions } from '../src/options.js';
import { CtpRouter } from '../src/router.js';
import {
  compareRates,
  cpuMs,
  emitRows,
  fmtRate,
  fmtUs,
  median,
  parseArgs,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';

const { quick } = parseArgs();
const ROUNDS = quick ? 3 : 9;
const PER_ROUND = quick ? 300 : 3000;

const tlsDir = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url));
const simDir = `${tlsDir}sim/`;
const read = (dir: string, name: string): string => readFileSync(`${dir}${name}`, 'utf8');

/** Origin auth of `name` (fixture in `dir`), knowing `peers`' certificates. */
function authOf(dir: string, id: string, file: string, peers: Record<string, string>) {
  // As the router's certificate cache gives them: one key object per certificate.
  const certs = Object.fromEntries(
    Object.entries(peers).map(([pid, f]) => {
      const key = new X509Certificate(read(dir, `${f}.crt`)).publicKey;
      return [
        pid,
        { key, digest: key.asymmetricKeyType === 'ed25519' ? null : 'sha256', notAfter: Infinity },
      ];
    }),
  );
  const ident = resolveIdentity(
    { key: read(dir, `${file}.key`), cert: read(dir, `${file}.crt`), ca: read(dir, 'ca.crt') },
    Date.now(),
  );
  return new CtpOriginAuth(
    id,
    ident,
    { peerCert: (o) => certs[o] ?? 'unknown', peerCertText: (o) => (certs[o] ? o : undefined) },
    () => Date.now(),
  );
}

const COMMAND = {
  v: 1,
  t: 'COMMAND',
  id: 1,
  to: 'station',
  node: 'cam1',
  controller: 'controller[cam1]@console',
  app: 'pan',
  content: { deg: 30 },
} as unknown as CtpMessage;

/** µs of CPU time (this process: the machine is shared) per seal and per check of `COMMAND` from `from` to `to`, median over rounds. */
function sealCheck(from: CtpOriginAuth, to: CtpOriginAuth, dest: string): [number[], number[]] {
  const seal: number[] = [];
  const check: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const sealed: CtpMessage[] = new Array(PER_ROUND);
    let t0 = cpuMs();
    for (let i = 0; i < PER_ROUND; i++) sealed[i] = from.seal(COMMAND, dest);
    seal.push(((cpuMs() - t0) * 1000) / PER_ROUND);
    // Checked as the receiver sees them: decoded from the wire.
    const decoded = sealed.map((m) => JSON.parse(JSON.stringify(m)) as CtpMessage);
    let bad = 0;
    t0 = cpuMs();
    for (let i = 0; i < PER_ROUND; i++) if (to.check(decoded[i] as CtpMessage) !== undefined) bad++;
    check.push(((cpuMs() - t0) * 1000) / PER_ROUND);
    if (bad !== 0) throw new Error(`${bad} frames did not check`);
  }
  return [seal, check];
}

// ---- per frame: pair key, and signatures -------------------------------------
const consoleTls = authOf(tlsDir, 'console', 'console', { station: 'station' });
const stationTls = authOf(tlsDir, 'station', 'station', { console: 'console' });
const [hmacSeal, hmacCheck] = sealCheck(consoleTls, stationTls, 'station');
// r1 (ECDSA P-256) and an Ed25519 identity cannot agree a key: each signs its frames.
const ecSide = authOf(simDir, 'r1', 'r1', { ed: 'ed25519-r0' });
const edSide = authOf(simDir, 'ed', 'ed25519-r0', { r1: 'r1' });
const [ecdsaSeal, ecdsaCheck] = sealCheck(ecSide, edSide, 'ed');
const [edSeal, edCheck] = sealCheck(edSide, ecSide, 'r1');

// The baseline of the per-frame rows: the same COMMAND encoded and decoded once (what every frame costs anyway).
const codec: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = cpuMs();
  for (let i = 0; i < PER_ROUND; i++) JSON.parse(JSON.stringify(COMMAND));
  codec.push(((cpuMs() - t0) * 1000) / PER_ROUND);
}

// ---- round trips: two routers in one process ----------------------------------
interface Pair {
  consoleR: CtpRouter<string>;
  body: (n: number) => Promise<void>;
}
async function pair(identities: boolean): Promise<Pair> {
  const o = (name: string): CtpRouterOptions<string> =>
    identities
      ? {
          identity: {
            key: read(tlsDir, `${name}.key`),
            cert: read(tlsDir, `${name}.crt`),
            ca: read(tlsDir, 'ca.crt'),
          },
        }
      : { id: name };
  const routers: Record<string, CtpRouter<string>> = {};
  const send = (from: string) => (peer: string | null, frame: string) => {
    const to = peer ?? (from === 'station' ? 'console' : 'station');
    setImmediate(() => routers[to]?.receive(from, frame)); // as a transport delivers: timers run between frames
  };
  routers.station = new CtpRouter<string>(
    () => undefined,
    send('station'),
    () => undefined,
    {
      ...o('station'),
      nodes: ['cam1'],
      minAdvertIntervalMs: 0, // unpaced: the pair is ready at once (the round trips do not advertise)
    },
  );
  routers.station.handle('cam1', () => 'ok');
  routers.console = new CtpRouter<string>(
    () => undefined,
    send('console'),
    () => undefined,
    {
      ...o('console'),
      minAdvertIntervalMs: 0, // as the station: unpaced set-up, not measured
    },
  );
  routers.station.peerUp('console');
  routers.console.peerUp('station');
  const consoleR = routers.console;
  await consoleR.waitForNode('cam1', { timeoutMs: 5000 });
  const reg = await consoleR.register('cam1', 'controller');
  if (reg.code !== 'SUCCESS') throw new Error(`register: ${reg.code}`);
  let drops = 0;
  for (const r of Object.values(routers))
    r.on('dropped', (d) => {
      drops++;
      process.stderr.write(`dropped ${d.reason} ${d.t ?? ''} ${d.message ?? ''}\n`);
    });
  return {
    consoleR,
    body: async (n) => {
      for (let i = 0; i < n; i++) {
        const r = await consoleR.command('cam1', 'pan', i);
        if (r.code !== 'SUCCESS' || drops !== 0)
          throw new Error(`command: ${r.code}, ${drops} drops`);
      }
    },
  };
}
const plain = await pair(false);
const signed = await pair(true);
const cmp = await compareRates(plain.body, signed.body, ROUNDS, quick ? 100 : 300);

const rows: BenchRow[] = [];
const us = (xs: number[]): string => fmtUs(median(xs) / 1000);
const perFrame = (name: string, seal: number[], check: number[]): void => {
  rows.push({
    group: 'origin authentication (identities on)',
    name: `${name}: seal at the origin + check at the destination, one COMMAND`,
    value: `${fmtUs((median(seal) + median(check)) / 1000)} (seal ${us(seal)}, check ${us(check)})`,
    baseline: `${us(codec)} (JSON encode + decode of the frame)`,
    ratio: (median(seal) + median(check)) / median(codec),
    target: '',
    cmd: reproduce('origin-auth', quick),
  });
  process.stderr.write(`origin-auth ${name}: seal ${us(seal)}, check ${us(check)}\n`);
};
perFrame('pair key (ECDH P-256 once per pair, then HMAC-SHA256)', hmacSeal, hmacCheck);
perFrame('no pair key: an ECDSA P-256 signature per frame', ecdsaSeal, ecdsaCheck);
perFrame('no pair key: an Ed25519 signature per frame', edSeal, edCheck);
rows.push({
  group: 'origin authentication (identities on)',
  name: 'round trips (COMMAND → RESPONSE, both authenticated), two routers in one process, sequential, CPU time — beside the same routers without identities',
  value: fmtRate(cmp.subject),
  baseline: `${fmtRate(cmp.baseline)} (no identities)`,
  ratio: cmp.ratio,
  target: '',
  cmd: reproduce('origin-auth', quick),
});
process.stderr.write(
  `origin-auth round trips: ${fmtRate(cmp.subject)} vs ${fmtRate(cmp.baseline)} = ${ratioText(cmp.ratio)}\n`,
);
await plain.consoleR.close();
await signed.consoleR.close();
emitRows(rows);
process.exit(0);
