/**
 * The processes of the heartbeat benchmark (bench/heartbeat.ts). Modes:
 *   --mode=station --heartbeat-ms=H                      a router over ctp-router/tcp; prints `READY <port>`
 *   --mode=links --port=P --links=N --heartbeat-ms=H     N idle links to the station (one transport each, no router:
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

function serve(transports: TcpTransport[], close: () => Promise<void>): void {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (!d.includes('stats')) return;
    const u = process.cpuUsage();
    const out = {
      cpu: u.user + u.system,
      heartbeats: 0,
      framesIn: 0,
      framesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      connections: 0,
    };
    for (const t of transports) {
      const s = t.stats();
      out.heartbeats += s.heartbeatsOut;
      out.framesIn += s.framesIn;
      out.framesOut += s.framesOut;
      out.bytesIn += s.bytesIn;
      out.bytesOut += s.bytesOut;
      out.connections += s.connections;
    }
    process.stdout.write(`STATS ${JSON.stringify(out)}\n`);
  });
  process.stdin.on('end', () => void close().then(() => process.exit(0)));
}

if (mode === 'station') {
  const transport = new TcpTransport({
    listen: { host: '127.0.0.1', port: 0 },
    heartbeatMs,
    maxConnections: 4096,
  });
  const router = new CtpRouter<TcpPeer>(
    () => {},
    transport.send,
    () => {},
    { id: 'station', nodes: ['cam1'] },
  );
  transport.attach(router);
  await transport.listening();
  process.stdout.write(`READY ${transport.address().port}\n`);
  serve([transport], async () => {
    await transport.close();
    await router.close();
  });
} else if (mode === 'links') {
  const links = Number(flags.get('links') ?? 1000);
  const target = `127.0.0.1:${Number(flags.get('port'))}`;
  // One transport per link: a transport keeps one link per router id (the station's hello
  // names it), so 1,000 connections from one transport would be refused as duplicates. No
  // router and no id on this side: no hello, so the station sees 1,000 distinct peers.
  const transports = Array.from(
    { length: links },
    () =>
      new TcpTransport({
        connect: [target],
        heartbeatMs,
        reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
      }),
  );
  let up = 0;
  for (const transport of transports) {
    transport.attach({
      receive: () => {},
      peerUp: (peer) => {
        // One frame, so the station's handshake timeout is met; then the link is idle. A POST
        // to no node: the station drops it and binds no neighbour (1,000 neighbours joining
        // would flood the station's growing advert to each of them: not what is measured here).
        transport.send(peer, JSON.stringify({ v: 1, t: 'POST', node: 'nowhere', content: null }));
        if (++up === links) process.stdout.write('UP\n');
      },
      peerDown: () => {
        up--;
      },
    });
  }
  serve(transports, () => Promise.all(transports.map((t) => t.close())).then(() => undefined));
} else throw new Error(`unknown --mode=${mode}`);
