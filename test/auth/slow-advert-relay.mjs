// A relay for process tests (issue 25, an origin not known yet): a real
// router on ctp-router/tcp (built dist) with a valid certificate, default
// options, that forwards as any router does but holds every REPORTNODE
// carrying an advert of `console` on its way to the station for DELAY ms —
// a slow or paced advert path, so the console's first request reaches the
// station before the console's signed advert does. argv: the fixture
// directory, its certificate's name, the station's HOST:PORT, DELAY. (A
// broadcast of such an advert is held whole: the console does not need it.)
// Prints {"type":"ready","port"}, and {"type":"held"} per frame held.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtpRouter } from '../../dist/index.js';
import { TcpTransport } from '../../dist/tcp/index.js';

const [dir, name, station, delay] = process.argv.slice(2);
const pem = (f) => readFileSync(join(dir, f), 'utf8');
const identity = { key: pem(`${name}.key`), cert: pem(`${name}.crt`), ca: pem('ca.crt') };
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const timers = new Set();

const transport = new TcpTransport({
  listen: { host: '127.0.0.1', port: 0 },
  connect: [`station@${station}`],
  tls: identity,
});
const router = new CtpRouter(
  () => {},
  (peer, frame, info) => {
    if (
      (peer === null || peer.routerId === 'station') &&
      frame.includes('"t":"REPORTNODE"') &&
      frame.includes('"origin":"console"')
    ) {
      print({ type: 'held' });
      const t = setTimeout(() => {
        timers.delete(t);
        transport.send(peer, frame, info);
      }, Number(delay));
      timers.add(t);
      return true;
    }
    return transport.send(peer, frame, info);
  },
  () => {},
  { identity },
);
transport.attach(router);
await transport.listening();
print({ type: 'ready', port: transport.address().port });
process.on('SIGTERM', async () => {
  for (const t of timers) clearTimeout(t);
  await transport.close();
  await router.close();
});
