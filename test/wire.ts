/**
 * A router driven by hand at the wire level: the test plays its neighbors,
 * feeding frames in and reading what the router sends.
 */
import { CtpRouter } from '../src/router.js';
import type { CtpRouterOptions } from '../src/options.js';
import type { CtpControlMessage, CtpEvent, CtpReceivedName } from '../src/base/messages.js';

export interface Sent {
  peer: string | null;
  msg: Record<string, unknown>;
}

export function wired(options: CtpRouterOptions<string> = {}) {
  const sent: Sent[] = [];
  const received: { name: CtpReceivedName; msg: CtpControlMessage | CtpEvent }[] = [];
  const updates: string[][] = [];
  const router = new CtpRouter<string>(
    (name, msg) => received.push({ name, msg }),
    (peer, frame) => {
      sent.push({ peer, msg: JSON.parse(frame) as Record<string, unknown> });
    },
    (nodes) => updates.push(nodes),
    { id: 'r', ...options },
  );
  const dropped: { reason: string }[] = [];
  router.on('dropped', (e) => dropped.push(e));
  return {
    router,
    sent,
    received,
    updates,
    dropped,
    /** Frames sent (to `peer`, or broadcast when `peer` is null) of type `t`. */
    of(t: string, peer?: string | null) {
      return sent
        .filter((s) => s.msg.t === t && (peer === undefined || s.peer === peer))
        .map((s) => s.msg);
    },
    /** Feed a frame as if `peer` sent it. */
    feed(peer: string, msg: unknown) {
      router.receive(peer, typeof msg === 'string' ? msg : JSON.stringify(msg));
    },
    /** Make `peer` a neighbor `id` hosting `nodes` (two-way link). */
    neighbor(peer: string, id: string, nodes: string[], seq = 1, neighbors: string[] = ['r']) {
      router.receive(
        peer,
        JSON.stringify({
          v: 1,
          t: 'REPORTNODE',
          from: id,
          adverts: [{ origin: id, seq, nodes, neighbors }],
        }),
      );
    },
    clear() {
      sent.length = 0;
    },
  };
}
