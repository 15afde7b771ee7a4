/**
 * Issue 24: when `TcpTransport` writes. What a socket read produced is
 * written at the end of that read — before any `process.nextTick` or
 * `setImmediate` queued meanwhile — in one write per connection; frames sent
 * outside a read (a timer, the app) are batched and written within the same
 * tick, before a `setImmediate` queued before them. Neither waits for a whole
 * event-loop turn.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { TcpTransport, type TcpHost, type TcpPeer } from '../../src/tcp/index.js';

const transports: TcpTransport[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

/** A transport (no hello: the host has no id) whose host answers each frame through `onFrame`. */
async function echoing(onFrame: (t: TcpTransport, peer: TcpPeer, frame: string) => void): Promise<{
  t: TcpTransport;
  peers: TcpPeer[];
}> {
  const t = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 } });
  transports.push(t);
  const peers: TcpPeer[] = [];
  const host: TcpHost = {
    receive: (p, f) => onFrame(t, p, Buffer.from(f).toString('utf8')),
    peerUp: (p) => void peers.push(p),
    peerDown: () => {},
  };
  t.attach(host);
  await t.listening();
  return { t, peers };
}

async function client(port: number): Promise<{ s: Socket; lines: string[] }> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  const lines: string[] = [];
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop() as string;
    lines.push(...parts);
  });
  await new Promise<void>((r) => s.once('connect', () => r()));
  return { s, lines };
}

const until = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
};

it('writes the answers a read produced at the end of that read, in one write, before any tick', async () => {
  const seen: { atTick: number; atImmediate: number; writes: number }[] = [];
  let writes = 0;
  let watched = false;
  const { t, peers } = await echoing((tr, peer, frame) => {
    if (!watched) {
      // Count the socket's writes from the first frame on.
      watched = true;
      const sock = (tr['conns'] as Set<{ socket: Socket }>).values().next().value?.socket as Socket;
      const write = sock.write.bind(sock) as (d: string) => boolean;
      sock.write = ((d: string) => (writes++, write(d))) as typeof sock.write;
    }
    tr.send(peer, `re:${frame}`);
    if (frame === 'c') {
      const bytes = (): number => tr.stats().bytesOut;
      const rec = { atTick: -1, atImmediate: -1, writes: 0 };
      seen.push(rec);
      process.nextTick(() => (rec.atTick = bytes()));
      setImmediate(() => {
        rec.atImmediate = bytes();
        rec.writes = writes;
      });
    }
  });
  const { s, lines } = await client(t.address().port);
  await until(() => peers.length === 1);
  s.write('a\nb\nc\n'); // one read, three frames
  await until(() => lines.length === 3);
  expect(lines).toEqual(['re:a', 're:b', 're:c']);
  const bytes = 're:a\nre:b\nre:c\n'.length;
  expect(seen).toEqual([{ atTick: bytes, atImmediate: bytes, writes: 1 }]);
});

it('writes frames sent outside a read within the tick, batched, before a setImmediate queued first', async () => {
  const { t, peers } = await echoing(() => {});
  const { lines } = await client(t.address().port);
  await until(() => peers.length === 1);
  const peer = peers[0] as TcpPeer;
  const atImmediate = await new Promise<number>((resolve) => {
    setTimeout(() => {
      setImmediate(() => resolve(t.stats().bytesOut));
      t.send(peer, 'x');
      t.send(peer, 'y');
      expect(t.stats().bytesOut).toBe(0); // batched: nothing written synchronously
    }, 1);
  });
  expect(atImmediate).toBe('x\ny\n'.length);
  await until(() => lines.length === 2);
  expect(lines).toEqual(['x', 'y']);
});
