import { CtpRouter, type CtpReceivedCallback } from 'ctp-router';
import {
  BusSubjects,
  decodeId,
  encodeId,
  isValidPrefix,
  NatsTransport,
  type NatsPeer,
} from 'ctp-router/nats';

const onReceived: CtpReceivedCallback = (name, msg) => console.log(name, msg.node);

// #region class
const bus = new NatsTransport({ servers: 'nats://127.0.0.1:4222', prefix: 'plant' });
const router = new CtpRouter<NatsPeer>(onReceived, bus.send, () => {}, { id: 'station' });
bus.on('connect', (peer) => console.log('router seen on the bus:', peer.routerId));
await bus.attach(router).ready(); // rejects when the first connection fails
// ...
await router.close();
await bus.close();
// #endregion class

// #region methods
const station = new NatsTransport({ servers: ['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222'] });
const router2 = new CtpRouter<NatsPeer>(onReceived, station.send, () => {}, { id: 'station2' });
station.attach(router2); // a second attach throws CtpArgumentError
await station.ready(); // connected and subscribed; rejects when the first connection fails
console.log(
  station.server(),
  station.peers().map((p) => p.routerId),
  station.stats().framesIn,
  station.metrics().ctp_link_events_total, // members up, and down by reason
);
await station.close(); // resolves once the connection is drained and closed
// #endregion methods

// #region subjects
console.log(encodeId('station.a_1')); // station_2ea_5f1 (one subject token)
console.log(decodeId('station_2ea_5f1')); // station.a_1
console.log(isValidPrefix('plant'), isValidPrefix('a b')); // true false
// #endregion subjects

// #region BusSubjects
const subjects = new BusSubjects('plant', 'station.a'); // the prefix, this router's id
console.log(subjects.inbox, subjects.broadcast, subjects.unicastTo('console'));
console.log(BusSubjects.sender(subjects.presence)); // the sender's token, or undefined
// #endregion BusSubjects

// #region NatsPeer
bus.on('disconnect', (peer: NatsPeer, reason) => {
  console.log(`${String(peer)} (${peer.routerId}, instance ${peer.instance}) down: ${reason}`);
});
// #endregion NatsPeer
