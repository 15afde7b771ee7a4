import { CtpRouter, type CtpReceivedCallback } from 'ctp-router';
import { NatsTransport, type NatsPeer } from 'ctp-router/nats';

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
