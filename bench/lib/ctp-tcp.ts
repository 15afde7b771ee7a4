/** The router pair over `ctp-router/tcp`: a host process answering commands, a client controlling its nodes. */
import type { CtpSendInfo } from '../../src/base/callbacks.js';
import { CtpRouter } from '../../src/router.js';
import { TcpTransport, type TcpPeer, type TcpTlsOptions } from '../../src/tcp/index.js';
import { REPLY } from './fixtures.js';

/** The classes used: this checkout's, or a built revision's (`bench/against.ts`). */
export type CtpTcpLibrary = { CtpRouter: typeof CtpRouter; TcpTransport: typeof TcpTransport };
const THIS: CtpTcpLibrary = { CtpRouter, TcpTransport };

export async function ctpHost(
  nodes: string[],
  port = 0,
  tls?: { id: string; tls: TcpTlsOptions },
  lib = THIS,
): Promise<{ router: CtpRouter<TcpPeer>; transport: TcpTransport }> {
  const transport = new lib.TcpTransport({
    listen: { host: '127.0.0.1', port },
    ...(tls === undefined ? {} : { tls: tls.tls }),
  });
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

/** What `ctpLinked` may be given beyond the port and the nodes. */
export interface CtpLinkedOptions {
  /** Router id. @default 'client' (the TLS identity's id with `tls`) */
  id?: string;
  tls?: { id: string; tls: TcpTlsOptions };
  lib?: CtpTcpLibrary;
  /** Sees every frame the client sends (with the router's send info: `adverts` on a REPORTNODE). */
  onSend?: (frame: string, info?: CtpSendInfo<TcpPeer>) => void;
}

/** A client linked to the host at `port`, with default options; resolves once it sees `nodes` (it registers nothing). */
export async function ctpLinked(
  port: number,
  nodes: string[],
  o: CtpLinkedOptions = {},
): Promise<{ router: CtpRouter<TcpPeer>; transport: TcpTransport }> {
  const lib = o.lib ?? THIS;
  const transport = new lib.TcpTransport({
    connect: [`127.0.0.1:${port}`],
    ...(o.tls === undefined ? {} : { tls: o.tls.tls }),
  });
  const onSend = o.onSend;
  const send =
    onSend === undefined
      ? transport.send
      : (peer: TcpPeer | null, frame: string, info?: CtpSendInfo<TcpPeer>): void => {
          onSend(frame, info);
          transport.send(peer, frame, info);
        };
  let seen!: () => void;
  const want = new Set(nodes);
  const visible = new Promise<void>((r) => (seen = r));
  const router = new lib.CtpRouter<TcpPeer>(
    () => {},
    send,
    (list) => {
      let n = 0;
      for (const x of list) if (want.has(x)) n++;
      if (n === want.size) seen();
    },
    { id: o.id ?? o.tls?.id ?? 'client' },
  );
  transport.attach(router);
  await visible;
  return { router, transport };
}

/** A client linked to the host at `port`; resolves once it sees `nodes` and controls every one. */
export async function ctpClient(
  port: number,
  nodes: string[],
  tls?: { id: string; tls: TcpTlsOptions },
  lib = THIS,
): Promise<{ router: CtpRouter<TcpPeer>; transport: TcpTransport }> {
  const { router, transport } = await ctpLinked(port, nodes, { tls, lib });
  await Promise.all(
    nodes.map(async (node) => {
      const r = await router.register(node, 'controller');
      if (r.code !== 'SUCCESS') throw new Error(`register ${node}: ${JSON.stringify(r)}`);
    }),
  );
  return { router, transport };
}
