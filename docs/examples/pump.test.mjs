// A vitest test of host code, with the in-memory network of ctp-router/testing (no sockets).
// Run: npx vitest run --dir docs/examples   (test/examples.test.ts runs it in CI)
import { CtpTestNetwork } from 'ctp-router/testing';
import { afterEach, expect, it } from 'vitest';

/** The host code under test: the pump's handler. */
function hostPump(router) {
  router.handle('pump', (req) => {
    if (req.type !== 'COMMAND') return { rpm: 0 };
    if (req.content.speed > 10) throw new Error('too fast');
    return { rpm: req.content.speed * 100 };
  });
}

let net;
afterEach(async () => {
  await net.close();
});

it('answers a command from its controller', async () => {
  net = new CtpTestNetwork();
  hostPump(net.addRouter('station', { nodes: ['pump'] }));
  const console_ = net.addRouter('console');
  net.link('station', 'console');
  await net.settle();
  expect((await console_.register('pump', 'controller')).code).toBe('SUCCESS');
  expect(await console_.command('pump', 'motor', { speed: 3 })).toEqual({
    code: 'SUCCESS',
    content: { rpm: 300 },
  });
  const tooFast = await console_.command('pump', 'motor', { speed: 11 });
  expect(tooFast).toMatchObject({ code: 'ERROR', reason: 'host-callback-failed' });
});
