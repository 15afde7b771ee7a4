/**
 * The other process of the two-process benchmarks. Modes:
 *   --mode=raw-server            the raw NDJSON server; prints `READY <port>`
 *   --mode=transport-server      the same answers over ctp-router/tcp without a router; prints `READY <port>`
 *   --mode=ctp-host --nodes=N [--lib=DIR]  a host router over ctp-router/tcp with cam0..cam{N-1} (DIR: a built revision's library); prints `READY <port>`
 *   --mode=raw-tls-server        the raw NDJSON server over mutual TLS (test certificates); prints `READY <port>`
 *   --mode=raw-tls-server-turns  the same, batching its writes once per event-loop turn (setImmediate)
 *   --mode=ctp-tls-host --nodes=N  the host router over ctp-router/tcp with `tls`, as router `station`; prints `READY <port>`
 *   --mode=moleculer-server --port=P --client-port=C   a Moleculer 0.14 broker (TCP transporter) with `ptz.command`; prints `READY <port>`
 *   --mode=raw-client --port=P   cold start: one raw request, prints `ANSWERED`, exits
 *   --mode=ctp-client --port=P   cold start: register cam0, one command, prints `ANSWERED`, exits
 * Servers stay up until stdin closes; a `cpu` line makes them print `CPU <µs>`.
 */
import { parseArgs } from './lib/harness.js';
import { nodeNames } from './lib/fixtures.js';

const { flags } = parseArgs();
const mode = flags.get('mode');
const port = Number(flags.get('port') ?? 0);

/** Servers: a `cpu` line on stdin prints `CPU <µs of CPU used so far>`; stdin's end closes. */
const stayUntilStdinEnds = (close: () => Promise<void> | void): void => {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (d.includes('cpu')) {
      const u = process.cpuUsage();
      process.stdout.write(`CPU ${u.user + u.system}\n`);
    }
  });
  process.stdin.on('end', () => {
    void Promise.resolve(close()).then(() => process.exit(0));
  });
};

switch (mode) {
  case 'raw-server':
  case 'raw-server-turns': {
    const { rawServer } = await import('./lib/raw-ndjson.js');
    const server = await rawServer(port, mode === 'raw-server' ? 'read' : 'turn');
    const a = server.address();
    process.stdout.write(`READY ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
    stayUntilStdinEnds(() => void server.close());
    break;
  }
  case 'transport-server': {
    const { transportEchoServer } = await import('./lib/raw-ndjson.js');
    const transport = await transportEchoServer(port);
    process.stdout.write(`READY ${transport.address().port}\n`);
    stayUntilStdinEnds(() => transport.close());
    break;
  }
  case 'moleculer-server': {
    const { moleculerServer } = await import('./lib/moleculer.js');
    const broker = await moleculerServer(port, Number(flags.get('client-port')));
    process.stdout.write(`READY ${port}\n`);
    stayUntilStdinEnds(() => broker.stop());
    break;
  }
  case 'ctp-host': {
    const { ctpHost } = await import('./lib/ctp-tcp.js');
    // `--lib=DIR`: a built revision's library instead of this checkout's (bench/against.ts).
    const dir = flags.get('lib');
    const lib =
      dir === undefined ? undefined : await (await import('./lib/revision.js')).loadLibrary(dir);
    const { router, transport } = await ctpHost(
      nodeNames(Number(flags.get('nodes') ?? 1)),
      port,
      undefined,
      lib,
    );
    process.stdout.write(`READY ${transport.address().port}\n`);
    stayUntilStdinEnds(async () => {
      await router.close();
      await transport.close();
    });
    break;
  }
  case 'raw-tls-server':
  case 'raw-tls-server-turns': {
    const { rawTlsServer } = await import('./lib/raw-tls.js');
    const server = await rawTlsServer(port, mode === 'raw-tls-server' ? 'read' : 'turn');
    const a = server.address();
    process.stdout.write(`READY ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
    stayUntilStdinEnds(() => void server.close());
    break;
  }
  case 'ctp-tls-host': {
    const { ctpHost } = await import('./lib/ctp-tcp.js');
    const { benchTls } = await import('./lib/raw-tls.js');
    const { router, transport } = await ctpHost(nodeNames(Number(flags.get('nodes') ?? 1)), port, {
      id: 'station',
      tls: benchTls('station'),
    });
    process.stdout.write(`READY ${transport.address().port}\n`);
    stayUntilStdinEnds(async () => {
      await router.close();
      await transport.close();
    });
    break;
  }
  case 'raw-client': {
    const { RawClient } = await import('./lib/raw-ndjson.js');
    const c = await RawClient.open(port);
    await c.command('cam0');
    process.stdout.write('ANSWERED\n');
    c.close();
    process.exit(0);
    break;
  }
  case 'ctp-client': {
    const { ctpClient } = await import('./lib/ctp-tcp.js');
    const { router } = await ctpClient(port, ['cam0']);
    const r = await router.command('cam0', 'ptz', { op: 'pan' });
    if (r.code !== 'SUCCESS') throw new Error(JSON.stringify(r));
    process.stdout.write('ANSWERED\n');
    process.exit(0);
    break;
  }
  default:
    throw new Error(`unknown mode ${String(mode)}`);
}
