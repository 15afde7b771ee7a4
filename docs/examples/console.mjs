// Another process: waits for `pump`, takes control, commands it, reads its event, lets go.
// Run: node docs/examples/console.mjs   (with host.mjs running; PORT as for host.mjs)
import { connectRouter } from 'ctp-router';

const port = Number(process.env.PORT ?? 7000);
const router = await connectRouter({ id: 'console', tcp: { connect: [`127.0.0.1:${port}`] } });
// Every failed dial attempt, with its cause (a wrong port: ECONNREFUSED); it keeps retrying.
router.transport.on('dialError', (target, err) => console.error('dial', target, err.message));
await router.waitForNode('pump', { timeoutMs: 10_000 });
console.log('register', (await router.register('pump', 'controller')).code);
const events = router.events('pump');
const reply = await router.command('pump', 'motor', { speed: 3 });
console.log('command', reply.code, JSON.stringify(reply.content));
for await (const ev of events) {
  console.log('event', JSON.stringify(ev.content));
  break;
}
await router.drain(); // unregister, let requests finish, close the router and its transport
