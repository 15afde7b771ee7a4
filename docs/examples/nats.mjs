// Two routers that meet on a NATS bus (no TCP between them): a station and a console.
// Run: NATS_URL=nats://127.0.0.1:4222 node docs/examples/nats.mjs
// (needs a running nats-server and `npm install @nats-io/transport-node`)
import { CtpRouter } from 'ctp-router';
import { NatsTransport } from 'ctp-router/nats';

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `example-${process.pid}`; // one bus per prefix: routers on other prefixes never meet

/** A router on the bus; `close()` closes the bus connection too. */
async function onBus(id, nodes = []) {
  const bus = new NatsTransport({ servers, prefix });
  const router = new CtpRouter(
    () => {},
    bus.send,
    () => {},
    { id, nodes },
  );
  await bus.attach(router).ready(); // rejects when the first connection fails
  return { router, close: async () => (await bus.close(), await router.close()) };
}

const station = await onBus('station', ['pump']);
station.router.handle('pump', () => ({ ok: true }));
const console_ = await onBus('console');
await console_.router.waitForNode('pump', { timeoutMs: 10_000 });
console.log('register', (await console_.router.register('pump', 'controller')).code);
const reply = await console_.router.command('pump', 'motor', { speed: 1 });
console.log('command over NATS', reply.code, JSON.stringify(reply.content));
await console_.close();
await station.close();
