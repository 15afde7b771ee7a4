import { canonicalAdvert, CtpRouter, joinSends, type CtpSendCallback } from 'ctp-router';
import { NatsTransport, type NatsPeer } from 'ctp-router/nats';
import { TcpTransport, type TcpPeer } from 'ctp-router/tcp';

// #region joinSends
// One router on TCP links and a NATS bus: it forwards between them.
const tcp = new TcpTransport({ listen: { port: 7000 } });
const bus = new NatsTransport({ servers: 'nats://127.0.0.1:4222' });
type Peer = NatsPeer | TcpPeer;
// Each transport ignores the other's peers.
const send = joinSends<Peer>(tcp.send as CtpSendCallback<Peer>, bus.send as CtpSendCallback<Peer>);
const router = new CtpRouter<Peer>(
  () => {},
  send,
  () => {},
  { id: 'gateway' },
);
tcp.attach(router);
await bus.attach(router).ready();
// #endregion joinSends

// #region canonicalAdvert
// The bytes an advert's signature covers, whatever the key order of its frame.
const bytes = canonicalAdvert({
  origin: 'station',
  seq: 7,
  nodes: ['pump'],
  neighbors: ['console'],
});
console.log(bytes); // ["ctp-advert/1","station",7,["pump"],["console"]]
// #endregion canonicalAdvert
