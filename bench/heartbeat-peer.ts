/**
 * The processes of the heartbeat benchmark (bench/heartbeat.ts). Modes:
 *   --mode=station --heartbeat-ms=H                      a router over ctp-router/tcp; prints `READY <port>`
 *   --mode=links --port=P --links=N --heartbeat-ms=H     N idle links to the station (one transport, no router:
 *                                                        each link sends one POST to no node, then only heartbeats); prints `UP`
 * A `stats` line on stdin prints `STATS {"cpu":µs,"heartbeats":n,"framesIn":n,"framesOut":n,"bytesIn":n,"bytesOut":n,"connections":n}`;
 * stdin's end closes.
 */
import { CtpRouter } from '../src/index.js';
import { TcpTransport, type TcpPeer } from '../src/tcp/index.js';
import { parseArgs } from './lib/harness.js';

const { flags } = parseArgs();
const mode = flags.get('mode');
const heartbeatMs = Number(flags.get('heartbeat-ms') ?? 5000);

function serve(transport: TcpTransport, close: () => Promise<void>): void {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (!d.includes('stats')) return;
    const u = process.cpuUsage();
    const s = transport.stats();
    const out = { cpu: u.user + u.system, heartbeats: s.heartbeatsOut, framesIn: s.framesIn, framesOut: s.framesOut, bytesIn: s.bytesIn, bytesOut: s.bytesOut, connections: s.connections };
    process.stdout.write(`STATS ${JSON.stringify(out)}\n`);
  });
  process.stdin.on('end', () => void close().then(() => process.exit(0)));
}

if (mode === 'station') {
  const transport = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 }, heartbeatMs, maxConnections: 4096 });
  const router = new CtpRouter<TcpPeer>(() => {}, transport.send, () => {}, { id: 'station', nodes: ['cam1'] });
  transport.attach(router);
  await transport.listening();
  process.stdout.write(`READY ${transport.address().port}\n`);
  serve(transport, async () => {
    await transport.close();
    await router.close();
  });
} else if (mode === 'links') {
  const links = Number(flags.get('links') ?? 1000);
  const target = `127.0.0.1:${Number(flags.get('port'))}`;
  // No router and no id: no hello, so the station does not see 1,000 links from one router as duplicates.
  const transport = new TcpTransport({ connect: Array.from({ length: links }, () => target), heartbeatMs, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
  let up = 0;
  transport.attach({
    receive: () => {},
    peerUp: (peer) => {
      // One frame, so the station's handshake timeout is met; then the link is idle. A POST
      // to no node: the station drops it and binds no neighbour (1,000 neighbours joining
      // would flood the station's growing advert to each of them: not what is measured here).
      transport.send(peer, JSON.stringify({ v: 1, t: 'POST', node: `nowhere-${peer.id}`, content: null }));
      if (++up === links) process.stdout.write('UP\n');
    },
    peerDown: () => {
      up--;
    },
  });
  serve(transport, () => transport.close());
} else throw new Error(`unknown --mode=${mode}`);
