import { connectRouter, CtpReply, ReturnCode } from 'ctp-router';

const router = await connectRouter({
  id: 'station',
  nodes: ['pump'],
  tcp: { listen: { port: 7000 } },
});
router.handle<{ speed: number }, { rpm: number }>('pump', (req) => {
  if (req.type !== 'COMMAND') return { rpm: 0 };
  if (req.content.speed > 10) throw new CtpReply(ReturnCode.ERROR, { max: 10 }, 'too-fast');
  return { rpm: req.content.speed * 100 };
});
