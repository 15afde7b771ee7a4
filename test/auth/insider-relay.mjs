// An insider relay for process tests (issue 25): a real router on ctp-router/tcp
// (built dist) holding a valid certificate of the network's CA. argv: the
// fixture directory, its own certificate's name, the station's HOST:PORT. It
// listens (prints {"type":"ready","port"}), dials the station and forwards as
// any router does, and attacks: for every COMMAND of the console it forwards
// toward the station, it first
//  - answers the console with forged RESPONSEs: unauthenticated, claiming the
//    station's origin (with the COMMAND's own MAC), and authenticated as itself;
//  - sends the station COMMANDs under the console's controller name
//    (unauthenticated, and authenticated as itself), and the console's
//    previous COMMAND again, byte for byte (a replay);
//  - the first time for each console connection, sends the console forged
//    release notices of the station.
// Prints {"type":"forged","n"} after each round. And for every genuine
// RESPONSE of the station to the console it forwards, it then
//  - replays it to the console, byte for byte ({"type":"replayed-response"});
//  - when a `viewer` is linked, redirects it there, rewritten to the viewer's
//    monitor virtual node of the same node ({"type":"redirected"}).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtpRouter } from '../../dist/index.js';
import { TcpTransport } from '../../dist/tcp/index.js';
import { CtpOriginAuth } from '../../dist/auth/origin-auth.js';
import { resolveIdentity } from '../../dist/link-state/certificates.js';

const [dir, name, station] = process.argv.slice(2);
const pem = (f) => readFileSync(join(dir, f), 'utf8');
const identity = { key: pem(`${name}.key`), cert: pem(`${name}.crt`), ca: pem('ca.crt') };
const certs = {
  station: new X509Certificate(pem('station.crt')),
  console: new X509Certificate(pem('console.crt')),
};
const auth = new CtpOriginAuth(
  name,
  resolveIdentity(identity, Date.now()),
  { peerCert: (o) => (certs[o] ? { key: certs[o].publicKey, digest: 'sha256' } : 'unknown') },
  () => Date.now(),
);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const byId = new Map();
let forged = 0;
let previous;
let noticed;

const transport = new TcpTransport({
  listen: { host: '127.0.0.1', port: 0 },
  connect: [`station@${station}`],
  tls: identity,
});
const inject = (to, msg) => {
  const p = byId.get(to);
  if (p === undefined) return;
  transport.send(p, typeof msg === 'string' ? msg : JSON.stringify(msg));
  forged++;
};

function attack(frame) {
  const m = JSON.parse(frame);
  if (m.t !== 'COMMAND' || m.origin !== 'console') return;
  const res = {
    v: 1,
    t: 'RESPONSE',
    node: m.node,
    controller: m.controller,
    code: 'SUCCESS',
    re: m.id,
    content: 'forged',
  };
  inject('console', res);
  inject('console', { ...res, origin: 'station', ctr: m.ctr + 1, auth: m.auth });
  inject('console', auth.seal(res, 'console'));
  const cmd = {
    v: 1,
    t: 'COMMAND',
    id: m.id + 1000,
    to: m.to,
    node: m.node,
    controller: m.controller,
    app: 'fire',
    content: 'forged',
  };
  inject('station', cmd);
  inject('station', auth.seal(cmd, 'station'));
  if (previous !== undefined) inject('station', previous);
  previous = frame;
  if (noticed !== byId.get('console')) {
    noticed = byId.get('console');
    const notice = {
      v: 1,
      t: 'RESPONSE',
      node: m.node,
      controller: m.controller,
      code: 'NOT_ASSIGNED',
      reason: 'released',
      content: { host: 'station' },
    };
    inject('console', notice);
    inject('console', auth.seal(notice, 'console'));
  }
  print({ type: 'forged', n: forged });
}

function misuse(frame) {
  const m = JSON.parse(frame);
  if (m.t !== 'RESPONSE' || m.origin !== 'station' || m.re === undefined) return;
  inject('console', frame);
  print({ type: 'replayed-response', re: m.re });
  if (!byId.has('viewer')) return;
  const to = `monitor[${m.node}]@viewer`;
  inject('viewer', { ...m, controller: to });
  print({ type: 'redirected', re: m.re });
}

const router = new CtpRouter(
  () => {},
  (peer, frame, info) => {
    if (peer !== null && peer.routerId !== undefined) byId.set(peer.routerId, peer);
    if (peer !== null && peer.routerId === 'station') attack(frame);
    const sent = transport.send(peer, frame, info);
    if (peer !== null && peer.routerId === 'console' && frame.includes('"t":"RESPONSE"'))
      misuse(frame);
    return sent;
  },
  () => {},
  { identity },
);
transport.attach(router);
await transport.listening();
print({ type: 'ready', port: transport.address().port });
process.on('SIGTERM', async () => {
  await transport.close();
  await router.close();
});
