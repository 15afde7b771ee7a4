// A caller for process tests (issue 25): a real router on ctp-router/tcp
// (built dist) with a valid certificate and default options, that dials one
// peer, waits for cam1, registers as `role` and, as controller, sends COUNT
// commands one after the other. It prints every result, every EVENT and
// every frame its router drops as JSON lines, then {"type":"done"}, and
// stays up (printing late drops) until SIGTERM. argv: the fixture
// directory, its certificate's name, NAME@HOST:PORT to dial, role, COUNT.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtpRouter } from '../../dist/index.js';
import { TcpTransport } from '../../dist/tcp/index.js';

const [dir, name, addr, role, count] = process.argv.slice(2);
const pem = (f) => readFileSync(join(dir, f), 'utf8');
const identity = { key: pem(`${name}.key`), cert: pem(`${name}.crt`), ca: pem('ca.crt') };
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const transport = new TcpTransport({ connect: [addr], tls: identity });
const router = new CtpRouter(
  (type, msg) => {
    if (type === 'EVENT') print({ type: 'event', content: msg.content });
  },
  (peer, frame, info) => transport.send(peer, frame, info),
  () => {},
  { identity },
);
router.on('dropped', (e) =>
  print({ type: 'dropped', reason: e.reason, t: e.t, message: e.message }),
);
router.on('lost', (e) => print({ type: 'lost', node: e.node, reason: e.reason }));
transport.attach(router);
let stop = false;
process.on('SIGTERM', async () => {
  stop = true;
  await transport.close();
  await router.close();
});
const deadline = Date.now() + 15_000;
while (!stop && !router.nodes().includes('cam1')) {
  if (Date.now() > deadline) {
    print({ type: 'error', message: 'cam1 never appeared' });
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 20));
}
const reg = await router.register('cam1', role);
print({ type: 'result', op: 'register', code: reg.code, reason: reg.reason });
if (role === 'controller')
  for (let n = 1; n <= Number(count); n++) {
    const r = await router.command('cam1', 'pan', { n });
    print({ type: 'result', op: 'command', n, code: r.code, content: r.content });
  }
print({ type: 'done' });
