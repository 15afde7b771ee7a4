/**
 * The other process of the NATS round-trip benchmark. Modes:
 *   --mode=raw --url=U              a raw NATS responder on `rawbench.*` (echoes the request); prints `READY`
 *   --mode=ctp --url=U --nodes=N    a host router on the bus hosting cam0..cam{N-1}; prints `READY`
 * Both stay up until stdin closes; a `cpu` line prints `CPU <µs>`.
 */
import { connect } from '@nats-io/transport-node';
import { nodeNames } from './lib/fixtures.js';
import { parseArgs } from './lib/harness.js';
import { busHost } from './lib/nats.js';

const { flags } = parseArgs();
const url = flags.get('url') as string;

const stay = (close: () => Promise<void>): void => {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (d.includes('cpu')) {
      const u = process.cpuUsage();
      process.stdout.write(`CPU ${u.user + u.system}\n`);
    }
  });
  process.stdin.on('end', () => void close().then(() => process.exit(0)));
};

if (flags.get('mode') === 'raw') {
  const nc = await connect({ servers: url });
  nc.subscribe('rawbench.*', { callback: (err, m) => void (err === null && m.respond(m.data)) });
  await nc.flush();
  process.stdout.write('READY\n');
  stay(() => nc.close());
} else {
  const host = await busHost(url, 'bench-host', nodeNames(Number(flags.get('nodes') ?? 1)), {
    prefix: 'rt',
  });
  process.stdout.write('READY\n');
  stay(() => host.close());
}
