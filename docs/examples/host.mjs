// One process hosts the node `pump` on TCP port $PORT (7000 by default).
// Run: node docs/examples/host.mjs   (after `npm run build`; in your project, `npm install ctp-router`)
import { connectRouter } from 'ctp-router';

const port = Number(process.env.PORT ?? 7000);
const router = await connectRouter({
  id: 'station',
  nodes: ['pump'],
  tcp: { listen: { host: '127.0.0.1', port } },
});
router.handle('pump', (req) => {
  if (req.type !== 'COMMAND') return { rpm: 0 }; // START and STOP
  router.publish('pump', { speed: req.content.speed }); // an event to the controller and monitors
  return { rpm: req.content.speed * 100 }; // the reply's content (code SUCCESS)
});
console.log(`listening ${router.transport.address().port}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void router.drain());
