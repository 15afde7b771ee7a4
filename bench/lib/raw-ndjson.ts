/**
 * The raw baseline over TCP: NDJSON request/response over `node:net`, the
 * same request and response objects as the router's COMMAND and RESPONSE,
 * `JSON.stringify`/`JSON.parse` per frame, writes batched once per
 * event-loop turn on both sides (as the TCP transport does), correlated by id.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { REPLY, SMALL_CONTENT } from './fixtures.js';

/** Split a byte stream into lines (Buffer-level, like the transport's splitter). */
export function lines(socket: Socket, onLine: (line: string) => void): void {
  let rest: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    let buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      onLine(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
    buf = Buffer.alloc(0);
  });
}

/** Writes batched per event-loop turn. */
export class BatchedWriter {
  private out: string[] = [];
  private scheduled = false;
  constructor(private readonly socket: Socket) {}
  write(frame: string): void {
    this.out.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
  private readonly flush = (): void => {
    this.scheduled = false;
    const data = `${this.out.join('\n')}\n`;
    this.out = [];
    this.socket.write(data);
  };
}

export interface Req {
  id: number;
  node: string;
  controller: string;
}

/** Answer every COMMAND line on `socket` with a RESPONSE line, writes batched (the raw servers' connection handler). */
export function answerCommands(socket: Socket): void {
  socket.setNoDelay(true);
  const w = new BatchedWriter(socket);
  lines(socket, (line) => {
    const req = JSON.parse(line) as Req;
    w.write(
      JSON.stringify({
        v: 1,
        t: 'RESPONSE',
        node: req.node,
        controller: req.controller,
        code: 'SUCCESS',
        re: req.id,
        content: REPLY,
      }),
    );
  });
  socket.on('error', () => {});
}

/** The raw server: answers every COMMAND line with a RESPONSE line. */
export function rawServer(port = 0): Promise<Server> {
  const server = createServer(answerCommands);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * The raw client: `command(node)` resolves with the response's code and
 * content; `send(node, done)` is the strongest plain client — a callback per
 * request, no promise (the pipelined baseline).
 */
export class RawClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: { code: string; content: unknown }) => void>();
  private readonly writer: BatchedWriter;
  constructor(readonly socket: Socket) {
    this.writer = new BatchedWriter(socket);
    lines(socket, (line) => {
      const res = JSON.parse(line) as { re: number; code: string; content: unknown };
      const resolve = this.waiting.get(res.re);
      if (resolve === undefined) return;
      this.waiting.delete(res.re);
      resolve({ code: res.code, content: res.content });
    });
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.setNoDelay(true);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }
  command(node: string, content: unknown = SMALL_CONTENT): Promise<unknown> {
    return new Promise((resolve) => this.send(node, resolve, content));
  }
  /** Send one COMMAND; `done` gets the response (no promise per request). */
  send(
    node: string,
    done: (r: { code: string; content: unknown }) => void,
    content: unknown = SMALL_CONTENT,
  ): void {
    const id = this.nextId++;
    this.writer.write(
      JSON.stringify({
        v: 1,
        t: 'COMMAND',
        id,
        to: 'host',
        node,
        controller: `controller[${node}]@client`,
        app: 'ptz',
        content,
      }),
    );
    this.waiting.set(id, done);
  }
  close(): void {
    this.socket.destroy();
  }
}

// ---- the same raw request/response, over ctp-router/tcp without a router ----
// (a diagnostic: what the transport costs on its own)

import { TcpTransport, type TcpHost, type TcpPeer } from '../../src/tcp/index.js';

const text = (frame: string | Uint8Array): string =>
  typeof frame === 'string'
    ? frame
    : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8');

/** A TcpTransport whose host answers every COMMAND line itself (JSON per frame, no router). */
export async function transportEchoServer(port = 0): Promise<TcpTransport> {
  const transport = new TcpTransport({ listen: { host: '127.0.0.1', port } });
  const host: TcpHost = {
    id: 'host',
    receive(peer, frame) {
      const req = JSON.parse(text(frame)) as Req & { t?: string };
      if (req.t !== 'COMMAND') return;
      transport.send(
        peer,
        JSON.stringify({
          v: 1,
          t: 'RESPONSE',
          node: req.node,
          controller: req.controller,
          code: 'SUCCESS',
          re: req.id,
          content: REPLY,
        }),
      );
    },
    peerUp() {},
    peerDown() {},
  };
  transport.attach(host);
  await transport.listening();
  return transport;
}

/** The client side of `transportEchoServer`. */
export class TransportEchoClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: unknown) => void>();
  private peer: TcpPeer | undefined;
  private constructor(readonly transport: TcpTransport) {}
  static async open(port: number): Promise<TransportEchoClient> {
    const transport = new TcpTransport({ connect: [`127.0.0.1:${port}`], id: 'client' });
    let up!: () => void;
    const ready = new Promise<void>((r) => (up = r));
    const c: TransportEchoClient = new TransportEchoClient(transport);
    transport.attach({
      id: 'client',
      receive(_peer, frame) {
        const res = JSON.parse(text(frame)) as {
          t?: string;
          re: number;
          code: string;
          content: unknown;
        };
        if (res.t !== 'RESPONSE') return;
        const resolve = c.waiting.get(res.re);
        if (resolve === undefined) return;
        c.waiting.delete(res.re);
        resolve({ code: res.code, content: res.content });
      },
      peerUp(peer) {
        c.peer = peer;
        up();
      },
      peerDown() {},
    });
    await ready;
    return c;
  }
  command(node: string, content: unknown = SMALL_CONTENT): Promise<unknown> {
    const id = this.nextId++;
    this.transport.send(
      this.peer as TcpPeer,
      JSON.stringify({
        v: 1,
        t: 'COMMAND',
        id,
        to: 'host',
        node,
        controller: `controller[${node}]@client`,
        app: 'ptz',
        content,
      }),
    );
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
  close(): Promise<void> {
    return this.transport.close();
  }
}
