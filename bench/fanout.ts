/**
 * Publish fan-out: one host router publishes a node's events to 1, 100 and
 * 1000 monitors over an in-memory, microtask-delivered network, the way the
 * in-memory test network delivers. Each monitor is a minimal protocol peer
 * (its advert, a REGISTER, then it counts EVENT frames), so that the figure
 * is the host router's cost and not 1000 routers flooding one another.
 * Reported: EVENT frames delivered per second. No baseline.
 */
import { CtpRouter } from '../src/router.js';
import {
  emitRows,
  fmtRate,
  opsPerSec,
  median,
  parseArgs,
  reproduce,
  type BenchRow,
} from './lib/harness.js';
import { SMALL_CONTENT } from './lib/fixtures.js';

interface Stub {
  id: string;
  events: number;
}

const { quick, flags } = parseArgs();
const counts = (flags.get('monitors') ?? (quick ? '1,100' : '1,100,1000')).split(',').map(Number);
const minMs = quick ? 150 : 600;
const rounds = quick ? 2 : 5;
const rows: BenchRow[] = [];
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

for (const n of counts) {
  const stubs: Stub[] = Array.from({ length: n }, (_, i) => ({ id: `m${i}`, events: 0 }));
  const live = new Set<Stub>();
  const deliver = (stub: Stub, frame: string): void => {
    queueMicrotask(() => {
      // A monitor: counts events, ignores the rest (adverts flooding to it).
      if (frame.includes('"t":"EVENT"')) stub.events++;
      else if (frame.includes('"t":"RESPONSE"') && !frame.includes('"code":"SUCCESS"'))
        throw new Error(`refused: ${frame}`);
    });
  };
  const host = new CtpRouter<Stub>(
    () => {},
    (peer, frame) => {
      if (peer === null) for (const s of live) deliver(s, frame);
      else deliver(peer, frame);
    },
    () => {},
    {
      id: 'host',
      nodes: ['cam'],
      maxRouters: 100_000,
      maxMonitorsPerNode: 100_000,
      minAdvertIntervalMs: 0,
    },
  );
  for (const s of stubs) {
    live.add(s);
    host.peerUp(s);
    const mon = `monitor[cam]@${s.id}`;
    host.receive(
      s,
      JSON.stringify({
        v: 1,
        t: 'REPORTNODE',
        from: s.id,
        adverts: [{ origin: s.id, seq: 1, nodes: [mon], neighbors: ['host'] }],
      }),
    );
    host.receive(
      s,
      JSON.stringify({ v: 1, t: 'REGISTER', id: 1, to: 'host', node: 'cam', monitor: mon }),
    );
    if (live.size % 100 === 0) await turn();
  }
  await turn();
  const monitors = host.snapshot().nodes.cam?.monitors?.length ?? 0;
  if (monitors !== n) throw new Error(`${monitors} monitors registered, expected ${n}`);
  let expected = 0;
  const body = async (k: number): Promise<void> => {
    for (let i = 0; i < k; i++) host.publish('cam', SMALL_CONTENT);
    expected += k * n;
    await turn();
  };
  const rates: number[] = [];
  await opsPerSec(body, minMs / 2);
  for (let r = 0; r < rounds; r++) rates.push((await opsPerSec(body, minMs)) * n);
  await turn();
  const got = stubs.reduce((s, x) => s + x.events, 0);
  if (got !== expected) throw new Error(`${got} events delivered, expected ${expected}`);
  await host.close();
  const rate = median(rates);
  rows.push({
    group: 'publish fan-out, in-memory',
    name: `${n} monitor${n === 1 ? '' : 's'}`,
    value: `${fmtRate(rate)} EVENT frames`,
    baseline: '',
    target: 'reported',
    cmd: reproduce('fanout', quick),
    note: `${fmtRate(rate / n)} publishes`,
  });
  process.stderr.write(`fanout ${n}: ${fmtRate(rate)} frames (${fmtRate(rate / n)} publishes)\n`);
}
emitRows(rows);
