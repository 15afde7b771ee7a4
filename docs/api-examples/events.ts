import { connectRouter } from 'ctp-router';

const router = await connectRouter({ id: 'watcher', tcp: { connect: ['127.0.0.1:7000'] } });
process.once('SIGINT', () => void router.drain({ timeoutMs: 2_000 }));
await router.register('pump', 'monitor');
for await (const ev of router.events('pump')) console.log(ev.node, ev.content);
