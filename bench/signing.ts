/**
 * Signed adverts (issue 9): the cost of verifying one advert — cold (the
 * certificate parsed and its chain checked, then the signature) and warm (the
 * certificate cached by fingerprint: the signature only) — and of signing
 * one, beside the cost of applying one unsigned advert at a router (decode,
 * table, flood). Also one new advert applied end to end at a router with an
 * identity (warm), beside the same at a router without. ECDSA P-256 keys
 * from test/fixtures/tls.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { CtpAdvert } from '../src/base/messages.js';
import type { CtpRouterOptions } from '../src/options.js';
import { CtpRouter } from '../src/router.js';
import {
  advertProblem,
  canonicalAdvert,
  CtpCertCache,
  resolveIdentity,
} from '../src/link-state/signing.js';
import { emitRows, fmtUs, median, parseArgs, reproduce, type BenchRow } from './lib/harness.js';

const { quick } = parseArgs();
const ROUNDS = quick ? 3 : 9;
const PER_ROUND = quick ? 300 : 2000;

const dir = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url));
const pem = (name: string): string => readFileSync(`${dir}${name}`, 'utf8');
const CA = pem('ca.crt');
const stationKey = createPrivateKey(pem('station.key'));
const stationDer = new X509Certificate(pem('station.crt')).raw.toString('base64');
const anchors = resolveIdentity(
  { key: pem('console.key'), cert: pem('console.crt'), ca: CA },
  Date.now(),
).anchors;
const NODES = Array.from({ length: 10 }, (_, i) => `cam${i}`);

function advert(seq: number, signed: boolean): CtpAdvert {
  const a: CtpAdvert = { origin: 'station', seq, nodes: NODES, neighbors: ['console'] };
  if (!signed) return a;
  // A signed advert carries its signed time: one older than staleAdvertMs is dropped (stale).
  a.time = Date.now();
  return {
    ...a,
    sig: sign('sha256', Buffer.from(canonicalAdvert(a)), stationKey).toString('base64'),
    cert: stationDer,
  };
}

/** µs per call of `fn(i)` for i in [0, n), median over rounds; `setup` runs untimed before each round. */
function perCall(n: number, fn: (i: number) => void, setup?: () => void): number[] {
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    setup?.();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    out.push(((performance.now() - t0) * 1000) / n);
  }
  return out;
}

// ---- direct costs: verify cold, verify warm, sign ---------------------------
const one = advert(1, true);
const now = Date.now();
let bad = 0;
const cold = perCall(quick ? 100 : 500, () => {
  if (advertProblem(one, new CtpCertCache(anchors, 4), now) !== undefined) bad++;
});
const cache = new CtpCertCache(anchors, 4);
const warm = perCall(PER_ROUND, () => {
  if (advertProblem(one, cache, now) !== undefined) bad++;
});
const signing = perCall(PER_ROUND, (i) => {
  sign(
    'sha256',
    Buffer.from(
      canonicalAdvert({ origin: 'station', seq: i, nodes: NODES, neighbors: ['console'] }),
    ),
    stationKey,
  );
});
if (bad !== 0 || cache.chainChecks !== 1) throw new Error('the fixture advert did not verify');

// ---- end to end: one new advert applied at a router -------------------------
// Frames made before timing (a new seq each: a repeated advert is ignored unchecked).
const total = PER_ROUND + 1;
const frames = (signed: boolean): string[] =>
  Array.from({ length: total }, (_, i) =>
    JSON.stringify({ v: 1, t: 'REPORTNODE', from: 'station', adverts: [advert(i + 1, signed)] }),
  );
const plainFrames = frames(false);
const signedFrames = frames(true);

function applyRun(signed: boolean): number[] {
  const opts: CtpRouterOptions<string> = { id: 'console' };
  if (signed) opts.identity = { key: pem('console.key'), cert: pem('console.crt'), ca: CA };
  const list = signed ? signedFrames : plainFrames;
  let router: CtpRouter<string> | undefined;
  let next = 1;
  let drops = 0;
  const out = perCall(
    PER_ROUND,
    () => router?.receive('p', list[next++] as string),
    () => {
      void router?.close();
      router = new CtpRouter<string>(
        () => undefined,
        () => undefined,
        () => undefined,
        opts,
      );
      router.on('dropped', (d) => {
        if (drops++ === 0) console.error(`first drop: ${d.reason}`);
      });
      router.peerUp('p');
      // The first advert binds the neighbor and, signed, fills the certificate cache: untimed.
      router.receive('p', list[0] as string);
      next = 1; // every round replays the same adverts on a fresh router
    },
  );
  void router?.close();
  if (drops !== 0) throw new Error(`${drops} adverts dropped`);
  return out;
}
const plainApply = applyRun(false);
const signedApply = applyRun(true);

const m = (xs: number[]): number => median(xs) / 1000; // ms for fmtUs
const base = median(plainApply);
const rows: BenchRow[] = [];
const row = (name: string, xs: number[], note?: string): void => {
  const r: BenchRow = {
    group: 'signed adverts',
    name,
    value: fmtUs(m(xs)),
    baseline: `${fmtUs(base / 1000)} (unsigned advert applied)`,
    ratio: median(xs) / base,
    target: '',
    cmd: reproduce('signing', quick),
  };
  if (note !== undefined) r.note = note;
  rows.push(r);
  process.stderr.write(
    `signing ${name}: ${r.value} vs ${r.baseline} = ${(median(xs) / base).toFixed(2)}× the cost\n`,
  );
};
row('verify one advert, cold (certificate parsed, chain checked, signature)', cold);
row('verify one advert, warm (certificate cached by fingerprint: signature only)', warm);
row('sign one advert (own advert, ECDSA P-256)', signing);
row(
  'one new signed advert applied at a router with identity (warm: decode, verify, table, flood)',
  signedApply,
  'ratio = cost ÷ the unsigned apply',
);
emitRows(rows);
