// An insider flooding a station with its own genuinely signed big adverts
// (issue 25, "Big signed adverts"), for process tests: a real router on
// ctp-router/tcp (built dist) holding a valid certificate of the network's CA.
// argv: the fixture directory, its own certificate's name, the station's
// HOST:PORT, the names per advert. It signs eight adverts of its own origin
// listing that many names (new seqs) beforehand; once linked to the station
// it prints {"type":"ready"}, then sends them to the station in turn, each
// once the socket took the last, for as long as it runs (as fast as the
// station reads), and prints {"type":"storm","sent"}
// every 25 adverts.
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalAdvert, CtpRouter } from '../../dist/index.js';
import { TcpTransport } from '../../dist/tcp/index.js';

const [dir, name, station, count] = process.argv.slice(2);
const pem = (f) => readFileSync(join(dir, f), 'utf8');
const identity = { key: pem(`${name}.key`), cert: pem(`${name}.crt`), ca: pem('ca.crt') };
const key = createPrivateKey(identity.key);
const der = new X509Certificate(identity.cert).raw.toString('base64');
const names = Array.from({ length: Number(count) }, (_, i) => `${name}-node-${i}`);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const transport = new TcpTransport({ connect: [`station@${station}`], tls: identity });
let stationPeer;
const router = new CtpRouter(
  () => {},
  (peer, frame) => {
    if (peer !== null && peer.routerId === 'station' && stationPeer === undefined) {
      stationPeer = peer;
      print({ type: 'ready' });
      setImmediate(storm);
    }
    return transport.send(peer, frame);
  },
  () => {},
  { identity },
);
transport.attach(router);

const base = Date.now() + 60_000; // above the seq of this router's own adverts
const frames = Array.from({ length: 8 }, (_, i) => {
  const a = {
    origin: name,
    seq: base + i,
    nodes: i % 2 === 0 ? names : names.slice(1),
    neighbors: ['station'],
    time: Date.now(),
  };
  a.sig = sign('sha256', Buffer.from(canonicalAdvert(a)), key).toString('base64');
  a.cert = der;
  return JSON.stringify({ v: 1, t: 'REPORTNODE', from: name, adverts: [a] });
});

let sent = 0;
// The next advert once the socket took the last: as fast as the station reads, without spinning.
function storm() {
  const socket = stationPeer.socket;
  if (socket.writableNeedDrain) return void socket.once('drain', storm);
  // The info lets the outbox keep only the newest queued advert (never closed as a slow
  // consumer): its `seq` only has to rise.
  transport.send(stationPeer, frames[sent % frames.length], {
    adverts: [{ origin: name, seq: sent }],
  });
  if (++sent % 25 === 0) print({ type: 'storm', sent });
  setImmediate(storm);
}

process.on('SIGTERM', async () => {
  await transport.close();
  await router.close();
  process.exit(0);
});
