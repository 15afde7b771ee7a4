// A station on ctp-router/tcp (built dist) for process tests of the transport's
// guards: options as JSON in argv[2]; prints {"type":"ready","port","rss"} once
// listening, and {"type":"stats","stats","rss","peakRss"} for each "stats" line
// on stdin. Run with --expose-gc so the baseline RSS is taken after a collection.
import { createInterface } from 'node:readline';
import { CtpRouter } from '../../dist/index.js';
import { TcpTransport } from '../../dist/tcp/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const transport = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 }, ...options });
const router = new CtpRouter(
  () => {},
  transport.send,
  () => {},
  { id: 'guarded', nodes: ['cam1'] },
);
transport.attach(router);
await transport.listening();
globalThis.gc?.();
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
print({ type: 'ready', port: transport.address().port, rss: peakRss });
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'stats') {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    print({ type: 'stats', stats: transport.stats(), rss: process.memoryUsage().rss, peakRss });
  }
});
rl.on('close', async () => {
  clearInterval(sampler);
  await transport.close();
  await router.close();
});
