/**
 * Registration with default options (issue 19), two processes over
 * ctp-router/tcp on 127.0.0.1: the host router in a child (bench/tcp-peer.ts
 * --mode=ctp-host, cam0..cam999), the registering router here. Both use the
 * default router and transport options, advert pacing included: a REGISTER
 * carries its router's claim and is answered within a round trip, without
 * waiting for the registrant's paced advert (PROTOCOL.md section 5,
 * "Confirming a registrant"); this measures that path as a user meets it.
 *
 * - Sequential register + unregister, as controller and as monitor, a node
 *   not registered before each time: p50 and p99, beside two command round
 *   trips on the same link (a request and its answer each, as register and
 *   unregister are), interleaved. (Registering again a node just unregistered
 *   can be answered at once: its virtual node may still be in the last
 *   advert. A user's first registration is not.)
 * - A burst: a router that has just linked (as a process that starts and
 *   registers) registers 1,000 nodes at once as controller: the time until
 *   every answer, beside 1,000 concurrent commands to those nodes on the same
 *   link; and the REPORTNODE frames the registering router sent meanwhile.
 */
import { performance } from 'node:perf_hooks';
import type { CtpResult } from '../src/base/messages.js';
import type { CtpRegistrationType } from '../src/base/names.js';
import type { CtpRouter } from '../src/router.js';
import type { TcpPeer } from '../src/tcp/index.js';
import { spawnPeer } from './lib/child.js';
import { ctpLinked } from './lib/ctp-tcp.js';
import { nodeNames, SMALL_CONTENT } from './lib/fixtures.js';
import {
  emitRows,
  fmtUs,
  median,
  parseArgs,
  quantile,
  ratioText,
  reproduce,
  type BenchRow,
} from './lib/harness.js';

const { quick } = parseArgs();
const BURST = 1000;
/** Sequential samples per registration type: at least MIN, then until BUDGET_MS has passed or MAX. */
const MIN = quick ? 3 : 5;
const MAX = quick ? 3 : 200;
const BUDGET_MS = quick ? 0 : 10_000;
const ROUNDS = quick ? 1 : 3;

const host = spawnPeer(['--mode=ctp-host', `--nodes=${BURST}`]);
const port = Number(await host.line('READY'));

function ok(what: string, r: CtpResult): void {
  if (r.code !== 'SUCCESS') throw new Error(`${what}: ${JSON.stringify(r)}`);
}

interface Sequential {
  /** register + unregister, ms. */
  pair: number[];
  /** register alone, ms. */
  register: number[];
  /** two command round trips, ms. */
  commands: number[];
}

/** The next node for `sequential`: cam1..cam999 in turn (cam0 is the commands' node). */
let nextNode = 0;
function freshNode(): string {
  nextNode = (nextNode % (BURST - 1)) + 1;
  return `cam${nextNode}`;
}

/**
 * Register and unregister a fresh node as `type`, over and over, alternating
 * with two commands to `cam0` (which `router` controls).
 */
async function sequential(
  router: CtpRouter<TcpPeer>,
  type: CtpRegistrationType,
): Promise<Sequential> {
  const out: Sequential = { pair: [], register: [], commands: [] };
  const pair = async (): Promise<void> => {
    const node = freshNode();
    const t0 = performance.now();
    ok(`register ${node} ${type}`, await router.register(node, type));
    const t1 = performance.now();
    ok(`unregister ${node} ${type}`, await router.unregister(node, type));
    out.pair.push(performance.now() - t0);
    out.register.push(t1 - t0);
  };
  const commands = async (): Promise<void> => {
    const t0 = performance.now();
    ok('command cam0', await router.command('cam0', 'ptz', SMALL_CONTENT));
    ok('command cam0', await router.command('cam0', 'ptz', SMALL_CONTENT));
    out.commands.push(performance.now() - t0);
  };
  // One of each first, not counted.
  await pair();
  await commands();
  out.pair.length = out.register.length = out.commands.length = 0;
  const t0 = performance.now();
  for (let i = 0; i < MAX && (i < MIN || performance.now() - t0 < BUDGET_MS); i++) {
    if (i % 2 === 0) {
      await pair();
      await commands();
    } else {
      await commands();
      await pair();
    }
  }
  return out;
}

interface Burst {
  totalMs: number;
  commandsMs: number;
  unregisterMs: number;
  reportNodes: number;
  /** Of those, the frames that carried the registering router's own advert. */
  ownAdverts: number;
}

/** A fresh router links, then registers cam0..cam999 at once; then 1,000 commands at once; then unregisters them. */
async function burst(round: number): Promise<Burst> {
  const id = `burst-${round}`;
  const names = nodeNames(BURST);
  let counting = false;
  let reportNodes = 0;
  let ownAdverts = 0;
  const { router, transport } = await ctpLinked(port, names, {
    id,
    onSend: (frame, info) => {
      if (!counting) return;
      const adverts = info?.adverts;
      if (adverts === undefined && !frame.includes('"t":"REPORTNODE"')) return;
      reportNodes++;
      if (adverts?.some((a) => a.origin === id) === true) ownAdverts++;
    },
  });
  counting = true;
  const t0 = performance.now();
  const results = await Promise.all(names.map((n) => router.register(n, 'controller')));
  const totalMs = performance.now() - t0;
  counting = false;
  results.forEach((r, i) => ok(`register ${names[i] as string}`, r));
  const t1 = performance.now();
  (await Promise.all(names.map((n) => router.command(n, 'ptz', SMALL_CONTENT)))).forEach((r) =>
    ok('command', r),
  );
  const commandsMs = performance.now() - t1;
  const t2 = performance.now();
  (await Promise.all(names.map((n) => router.unregister(n, 'controller')))).forEach((r) =>
    ok('unregister', r),
  );
  const unregisterMs = performance.now() - t2;
  await router.close();
  await transport.close();
  return { totalMs, commandsMs, unregisterMs, reportNodes, ownAdverts };
}

const rows: BenchRow[] = [];
const cmd = reproduce('register', quick);
{
  const { router, transport } = await ctpLinked(port, nodeNames(BURST), { id: 'sequential' });
  ok('register cam0 controller', await router.register('cam0', 'controller'));
  for (const type of ['controller', 'monitor'] as const) {
    const s = await sequential(router, type);
    const group = 'registration, two processes over TCP, default options';
    const note = `${s.pair.length} samples; register alone p50 ${fmtUs(median(s.register))}, p99 ${fmtUs(quantile(s.register, 0.99))}`;
    for (const q of [0.5, 0.99]) {
      const v = quantile(s.pair, q);
      const b = quantile(s.commands, q);
      rows.push({
        group,
        name: `${type}: register + unregister, sequential, a node not registered before each time, p${q * 100} (beside two command round trips on the same link)`,
        value: fmtUs(v),
        baseline: fmtUs(b),
        ratio: v / b,
        target: '',
        cmd,
        note,
      });
      process.stderr.write(
        `register ${type} p${q * 100}: ${fmtUs(v)} vs two commands ${fmtUs(b)} = ${ratioText(v / b)}\n`,
      );
    }
  }
  ok('unregister cam0 controller', await router.unregister('cam0', 'controller'));
  await router.close();
  await transport.close();
}

const bursts: Burst[] = [];
for (let i = 0; i < ROUNDS; i++) bursts.push(await burst(i));
await host.stop();
const total = median(bursts.map((b) => b.totalMs));
const commands = median(bursts.map((b) => b.commandsMs));
const frames = median(bursts.map((b) => b.reportNodes));
const own = median(bursts.map((b) => b.ownAdverts));
const group = 'registration burst, two processes over TCP, default options';
rows.push(
  {
    group,
    name: `${BURST.toLocaleString('en')} registrations at once from a router that has just linked (${BURST.toLocaleString('en')} nodes of the other router), until every answer (beside ${BURST.toLocaleString('en')} commands at once to them on the same link)`,
    value: fmtUs(total),
    baseline: fmtUs(commands),
    ratio: total / commands,
    target: '',
    cmd,
    note: `median of ${bursts.length}; unregistering them at once: ${fmtUs(median(bursts.map((b) => b.unregisterMs)))}`,
  },
  {
    group,
    name: 'REPORTNODE frames the registering router sent during the burst',
    value: `${frames}`,
    baseline: '',
    target: '',
    cmd,
    note: `${own} carrying its own advert; per round: ${bursts.map((b) => `${b.reportNodes} (${b.ownAdverts} own)`).join(', ')}`,
  },
);
process.stderr.write(
  `burst: ${fmtUs(total)} vs ${BURST} commands ${fmtUs(commands)}; ${frames} REPORTNODE frames (${own} own)\n`,
);
emitRows(rows);
