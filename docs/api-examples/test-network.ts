import assert from 'node:assert/strict';
import { CtpTestNetwork } from 'ctp-router/testing';

const net = new CtpTestNetwork();
const station = net.addRouter('station', { nodes: ['pump'] });
station.handle('pump', () => ({ rpm: 300 }));
const console_ = net.addRouter('console');
net.link('station', 'console');
await net.settle();
assert.equal((await console_.register('pump', 'controller')).code, 'SUCCESS');
assert.deepEqual(await console_.command('pump', 'motor', { speed: 3 }), {
  code: 'SUCCESS',
  content: { rpm: 300 },
});
await net.close();
