import { connectRouter, ReturnCode } from 'ctp-router';

const router = await connectRouter({ id: 'console', tcp: { connect: ['127.0.0.1:7000'] } });
await router.register('pump', 'controller');
const r = await router.command<{ rpm: number }>(
  'pump',
  'motor',
  { speed: 3 },
  { timeoutMs: 2_000 },
);
if (r.code === ReturnCode.SUCCESS) console.log(r.content?.rpm);
