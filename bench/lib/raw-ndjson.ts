/**
 * The raw baseline over TCP: NDJSON request/response over `node:net`, the
 * same request and response objects as the router's COMMAND and RESPONSE,
 * `JSON.stringify`/`JSON.parse` per frame, correlated by id. Writes are
 * batched on both sides; by default (`'read'`, the strongest we know, issue
 * 24) what a socket read produced is written at the end of that read and
 * other writes on `process.nextTick`, so that both processes work at once;
 * `'turn'` batches once per event-loop turn (`setImmediate`, as the TCP
 * transport did before issue 24), where the two processes take turns — kept
 * as a diagnostic.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { REPLY, SMALL_CONTENT } from './fixtures.js';

/** When batched writes are written: at the end of each read, or once per event-loop turn. */
export type RawFlush = 'read' | 'turn';

/** Split a byte stream into lines (Buffer-level, like the transport's splitter); `afterRead` once a read's lines are handled. */
export function lines(
  socket: Socket,
  onLine: (line: string) => void,
  afterRead?: () => void,
): void {
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
    afterRead?.();
  });
}

/**
 * Writes batched: `'read'` — inside a read (`beginRead`/`endRead`) at its
 * end, otherwise on `process.nextTick`; `'turn'` — on `setImmediate`.
 */
export class BatchedWriter {
  private out: string[] = [];
  private scheduled = false;
  private reading = false;
  constructor(
    private readonly socket: Socket,
    private readonly mode: RawFlush = 'read',
  ) {}
  write(frame: string): void {
    this.out.push(frame);
    if (this.scheduled || this.reading) return;
    this.scheduled = true;
    if (this.mode === 'turn') setImmediate(this.flush);
    else process.nextTick(this.flush);
  }
  /** A read is being handled (`'read'` mode only). */
  beginRead(): void {
    if (this.mode === 'read') this.reading = true;
  }
  /** Its lines are handled: write what they produced. */
  endRead(): void {
    if (!this.reading) return;
    this.reading = false;
    if (!this.scheduled && this.out.length > 0) this.flush();
  }
  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.out.length === 0) return;
    const data = `${this.out.join('\n')}\n`;
    this.out = [];
    this.socket.write(data);
  };
}

/** `lines` with a writer whose read batches end with each read. */
function readLines(socket: Socket, w: BatchedWriter, onLine: (line: string) => void): void {
  socket.on('data', () => w.beginRead()); // registered first: runs before the splitter
  lines(socket, onLine, () => w.endRead());
}

export interface Req {
  id: number;
  node: string;
  controller: string;
}

/** Answer every COMMAND line on `socket` with a RESPONSE line, writes batched (the raw servers' connection handler). */
export function answerCommands(socket: Socket, flush: RawFlush = 'read'): void {
  socket.setNoDelay(true);
  const w = new BatchedWriter(socket, flush);
  readLines(socket, w, (line) => {
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
export function rawServer(port = 0, flush: RawFlush = 'read'): Promise<Server> {
  const server = createServer((socket) => answerCommands(socket, flush));
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
  constructor(
    readonly socket: Socket,
    flush: RawFlush = 'read',
  ) {
    this.writer = new BatchedWriter(socket, flush);
    readLines(socket, this.writer, (line) => {
      const res = JSON.parse(line) as { re: number; code: string; content: unknown };
      const resolve = this.waiting.get(res.re);
      if (resolve === undefined) return;
      this.waiting.delete(res.re);
      resolve({ code: res.code, content: res.content });
    });
  }
  static open(port: number, flush: RawFlush = 'read'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.setNoDelay(true);
        resolve(new RawClient(s, flush));
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
