import { connectRouter } from 'ctp-router';

const station = await connectRouter({
  id: 'station',
  nodes: ['pump'],
  tcp: { listen: { host: '127.0.0.1', port: 0 } },
});
station.handle('pump', (req) => ({ ok: true, got: req.type }));
const port = station.transport.address().port;

const console_ = await connectRouter({ id: 'console', tcp: { connect: [`127.0.0.1:${port}`] } });
await console_.waitForNode('pump', { timeoutMs: 5_000 });
await console_.register('pump', 'controller');
const r = await console_.command<{ ok: boolean }>('pump', 'app', { speed: 3 });
console.log(r.code, r.content?.ok); // SUCCESS true
await console_.drain();
await station.close();
