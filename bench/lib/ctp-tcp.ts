/** The router pair over `ctp-router/tcp`: a host process answering commands, a client controlling its nodes. */
import { CtpRouter } from '../../src/router.js';
import { TcpTransport, type TcpPeer, type TcpTlsOptions } from '../../src/tcp/index.js';
import { REPLY } from './fixtures.js';

/** The classes used: this checkout's, or a built revision's (`bench/against.ts`). */
export type CtpTcpLibrary = { CtpRouter: typeof CtpRouter; TcpTransport: typeof TcpTransport };
const THIS: CtpTcpLibrary = { CtpRouter, TcpTransport };

export async function ctpHost(nodes: string[], port = 0, tls?: { id: string; tls: TcpTlsOptions }, lib = THIS): Promise<{ router: CtpRouter<TcpPeer>; transport: TcpTransport }> {
  const transport = new lib.TcpTransport({ listen: { host: '127.0.0.1', port }, ...(tls === undefined ? {} : { tls: tls.tls }) });
  const router: CtpRouter<TcpPeer> = new lib.CtpRouter<TcpPeer>(
    (name, msg) => {
      if (name !== 'EVENT') router.respond(msg.node, REPLY);
    },
    transport.send,
    () => {},
    { id: tls?.id ?? 'host', nodes },
  );
  transport.attach(router);
  await transport.listening();
  return { router, transport };
}

/** A client linked to the host at `port`; resolves once it sees `nodes` and controls every one. */
export async function ctpClient(port: number, nodes: string[], tls?: { id: string; tls: TcpTlsOptions }, lib = THIS): Promise<{ router: CtpRouter<TcpPeer>; transport: TcpTransport }> {
  const transport = new lib.TcpTransport({ connect: [`127.0.0.1:${port}`], ...(tls === undefined ? {} : { tls: tls.tls }) });
  let seen!: () => void;
  const want = new Set(nodes);
  const visible = new Promise<void>((r) => (seen = r));
  const router = new lib.CtpRouter<TcpPeer>(
    () => {},
    transport.send,
    (list) => {
      let n = 0;
      for (const x of list) if (want.has(x)) n++;
      if (n === want.size) seen();
    },
    { id: tls?.id ?? 'client' },
  );
  transport.attach(router);
  await visible;
  await Promise.all(
    nodes.map(async (node) => {
      const r = await router.register(node, 'controller');
      if (r.code !== 'SUCCESS') throw new Error(`register ${node}: ${JSON.stringify(r)}`);
    }),
  );
  return { router, transport };
}
