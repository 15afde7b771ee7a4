import { connectRouter } from 'ctp-router';

const router = await connectRouter({ id: 'watcher', tcp: { connect: ['127.0.0.1:7000'] } });
await router.register('pump', 'monitor');

// #region methods
const stream = router.events('pump', { bufferSize: 100, signal: AbortSignal.timeout(60_000) });
const first = await stream.next(); // waits for one; `done` once ended
if (!first.done) console.log(first.value.content);
for await (const ev of stream) {
  if (ev.content === 'stop') break; // calls return(): the stream ends
}
stream.end(); // (ending twice is fine)
console.log(stream.done); // true
// #endregion methods
await router.close();
