import { CtpRouter, type CtpReceivedCallback } from 'ctp-router';

// #region constructor
// Two routers joined in memory: any transport that moves strings works the same way.
const onReceived: CtpReceivedCallback = (name, msg) => console.log(name, msg.node);
const a: CtpRouter<string> = new CtpRouter<string>(
  onReceived,
  (_peer, frame) => queueMicrotask(() => b.receive('a', frame)), // peer null: every link
  (nodes) => console.log('a reaches', nodes),
  { id: 'a', nodes: ['pump'], responseTimeoutMs: 5_000 },
);
const b: CtpRouter<string> = new CtpRouter<string>(
  onReceived,
  (_peer, frame) => queueMicrotask(() => a.receive('b', frame)),
  () => {},
  { id: 'b' },
);
// #endregion constructor

// #region peerUp
a.peerUp('b'); // the link is up: a sends b its table
b.peerUp('a');
// #endregion peerUp

// #region receive
declare const lineFromSocket: string; // one frame, as the transport read it
b.receive('a', lineFromSocket); // never throws: a bad frame is a `dropped` event
// #endregion receive

// #region peerDown
a.peerDown('b'); // the link is down: b's nodes become unreachable from a
b.peerDown('a');
// #endregion peerDown
