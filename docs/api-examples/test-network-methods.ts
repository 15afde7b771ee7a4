import assert from 'node:assert/strict';
import { CtpTestNetwork } from 'ctp-router/testing';

// #region addRouter
const net = new CtpTestNetwork();
const station = net.addRouter('station', { nodes: ['pump'] }); // a CtpRouter on the network's clock
net.addRouter('console');
assert.equal(net.router('console').id, 'console'); // throws for an unknown id
// #endregion addRouter

// #region link
net.link('station', 'console'); // both routers get peerUp
assert.equal(net.linked('station', 'console'), true);
assert.deepEqual(net.neighbors('station'), ['console']);
await net.settle();
// #endregion link

// #region unlink
net.unlink('station', 'console'); // both get peerDown; `{ forget: true }` also drops the link from restarts
await net.settle();
assert.deepEqual(net.router('console').nodes(), []);
net.link('station', 'console');
// #endregion unlink

// #region crash
net.crash('station'); // no goodbye: its links go silent, its router is closed
const again = net.restart('station'); // a new router with the same id, options and links
assert.notEqual(again, station);
await net.settle();
// #endregion crash

// #region inject
net.inject('console', 'station', '{"v":1,"t":"NOPE"}'); // a raw frame over the link: `dropped` at station
await net.settle();
// #endregion inject

// #region close
await net.close(); // every router closed, every link cut
// #endregion close
