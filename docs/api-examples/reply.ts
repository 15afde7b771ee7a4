import { connectRouter, CtpReply, ReturnCode } from 'ctp-router';

const router = await connectRouter({
  id: 'station',
  nodes: ['door'],
  tcp: { listen: { port: 7000 } },
});
router.handle('door', (req) => {
  if (req.type === 'COMMAND' && req.content === 'open')
    throw new CtpReply(ReturnCode.REJECTED, { door: 'locked' }, 'locked');
  return 'ok';
});
