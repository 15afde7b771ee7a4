/**
 * The insider of `bench/big-adverts.ts` over TCP (issue 25): a router process
 * holding the `relay` certificate of the test CA, linked to the station at
 * `--port=P` over mutual TLS. It signs eight adverts of its own origin
 * listing `--names=N` names (new seqs) beforehand; once linked it prints
 * `READY`, then sends them to the station in turn, each once the socket took
 * the last: as fast as the station reads (the send info also lets its outbox
 * keep only the newest queued advert, so it is never closed as a slow
 * consumer). Stdin's end closes it.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { CtpAdvert } from '../../src/base/messages.js';
import { canonicalAdvert } from '../../src/link-state/canonical.js';
import { CtpRouter } from '../../src/router.js';
import { TcpTransport, type TcpPeer } from '../../src/tcp/index.js';
import { parseArgs } from './harness.js';
import { benchTls } from './raw-tls.js';

const { flags } = parseArgs();
const NAME = 'relay';
const identity = benchTls(NAME);
const key = createPrivateKey(identity.key);
const der = new X509Certificate(identity.cert).raw.toString('base64');
const names = Array.from({ length: Number(flags.get('names') ?? 50_000) }, (_, i) => `n-${i}`);
const base = Date.now() + 60_000; // above the seq of this router's own adverts
const frames = Array.from({ length: 8 }, (_, i) => {
  const a: CtpAdvert = {
    origin: NAME,
    seq: base + i,
    nodes: i % 2 === 0 ? names : names.slice(1),
    neighbors: ['station'],
    time: Date.now(),
  };
  a.sig = sign('sha256', Buffer.from(canonicalAdvert(a)), key).toString('base64');
  a.cert = der;
  return JSON.stringify({ v: 1, t: 'REPORTNODE', from: NAME, adverts: [a] });
});

const transport = new TcpTransport({
  connect: [`station@127.0.0.1:${String(flags.get('port'))}`],
  tls: identity,
});
let station: TcpPeer | undefined;
let sent = 0;
let running = true;
// The next advert once the socket has taken the last one: as fast as the station reads, without
// spinning on frames its own outbox would only supersede (on a real network the insider's CPU is
// its own; here it would be taken from the two others).
const storm = (): void => {
  if (!running || station === undefined) return;
  const socket = (station as unknown as { socket: Socket }).socket;
  if (socket.writableNeedDrain) return void socket.once('drain', storm);
  transport.send(station, frames[sent % frames.length] as string, {
    adverts: [{ origin: NAME, seq: sent }],
  });
  sent++;
  setImmediate(storm);
};
const router = new CtpRouter<TcpPeer>(
  () => {},
  (peer, frame, info) => {
    if (peer !== null && peer.routerId === 'station' && station === undefined) {
      station = peer;
      process.stdout.write('READY\n');
      setImmediate(storm);
    }
    transport.send(peer, frame, info);
  },
  () => {},
  { identity },
);
transport.attach(router);
process.stdin.resume();
process.stdin.on('end', () => {
  running = false;
  process.stdout.write(`SENT ${sent}\n`);
  void Promise.all([router.close(), transport.close()]).then(() => process.exit(0));
});
