import { CtpRouter, type CtpReceivedCallback } from 'ctp-router';
import { TcpTransport, type TcpPeer, type TcpTransportOptions } from 'ctp-router/tcp';

const onReceived: CtpReceivedCallback = (name, msg) => console.log(name, msg.node);

// #region options
const options: TcpTransportOptions = {
  listen: { host: '0.0.0.0', port: 7000 },
  connect: ['10.0.0.2:7000', '[fd00::3]:7000'],
  reconnect: { initialDelayMs: 100, maxDelayMs: 5_000 },
  heartbeatMs: 1_000,
  deadAfterMs: 5_000,
};
// #endregion options

// #region class
const transport = new TcpTransport(options); // CtpArgumentError on a bad option
const router = new CtpRouter<TcpPeer>(onReceived, transport.send, () => {}, { id: 'station' });
transport.attach(router, { closeWith: true }); // router.close() closes it too
await transport.listening();
transport.on('connect', (peer) => console.log('link up', peer.id, peer.remoteAddress));
transport.on('dialError', (target, err) => console.warn(target, err.message));
// #endregion class

// #region attach
const dialler = new TcpTransport({ connect: ['127.0.0.1:7000'] });
const console_ = new CtpRouter<TcpPeer>(onReceived, dialler.send, () => {}, { id: 'console' });
// Hands over the links accepted so far and dials `connect`; a second attach throws CtpArgumentError.
dialler.attach(console_, { closeWith: true });
// #endregion attach

// #region listening
await transport.listening().catch((err: NodeJS.ErrnoException) => {
  console.error('cannot listen:', err.code); // EADDRINUSE, EACCES, ...
  process.exit(1);
});
// #endregion listening

// #region address
const { host, port } = transport.address(); // throws when not listening
console.log(`listening on ${host}:${port}`);
// #endregion address

// #region peers
for (const peer of transport.peers()) console.log(peer.id, peer.direction, peer.remoteAddress);
// #endregion peers

// #region stats
console.log(transport.stats()); // plain counters: connections, frames and bytes in and out, ...
// #endregion stats

// #region metrics
const { ctp_link_events_total, ctp_heartbeat_age_seconds } = transport.metrics();
const down = ctp_link_events_total.filter((e) => e.event === 'down'); // by reason: dead, closed, ...
console.log(down, ctp_heartbeat_age_seconds);
// #endregion metrics

// #region close
await transport.close(); // every socket closed; the router got peerDown for each link
// #endregion close
