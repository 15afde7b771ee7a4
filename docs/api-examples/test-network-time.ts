import assert from 'node:assert/strict';
import { CtpTestNetwork } from 'ctp-router/testing';

const net = new CtpTestNetwork();
const station = net.addRouter('station', { nodes: ['pump'] });
const console_ = net.addRouter('console');
net.link('station', 'console');

// #region settle
await net.settle(); // every frame delivered: the console reaches pump
assert.deepEqual(console_.nodes({ virtual: false }), ['pump']);
// #endregion settle

// #region advance
station.handle('pump', () => new Promise(() => {})); // never answers
const reply = console_
  .register('pump', 'controller')
  .then(() => console_.command('pump', 'app', 1));
await net.advance(60_000); // the network's clock: the response timeout runs out at once
assert.equal((await reply).code, 'TIMEOUT');
// #endregion advance
await net.close();
