import { connectRouter, ReturnCode } from 'ctp-router';

const router = await connectRouter({ id: 'console', tcp: { connect: ['127.0.0.1:7000'] } });
await router.waitForNode('pump', { timeoutMs: 10_000 });
const r = await router.register('pump', 'controller', { persistent: true });
if (r.code !== ReturnCode.SUCCESS) console.error('not the controller:', r.reason);
