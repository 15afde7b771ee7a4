/** Deterministic messages and content for the benchmarks. */
import type { CtpMessage } from '../../src/base/messages.js';

/** What the host app answers to every command. */
export const REPLY = { ok: true };

/** `cam0..cam{n-1}`: the nodes of the round-trip benchmarks. */
export function nodeNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `cam${i}`);
}

/** Small content, as a typical command carries. */
export const SMALL_CONTENT = { op: 'pan', deg: 3.5, speed: 2, relative: true };

/** About `bytes` of JSON content: an array of small records (mixed types, nested). */
export function bigContent(bytes = 10 * 1024): unknown {
  const items: unknown[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const item = {
      id: i,
      name: `sensor-${i}`,
      value: ((i * 37) % 1000) / 7,
      ok: i % 3 === 0,
      tags: ['a', `t${i % 10}`],
      pos: { x: i, y: -i },
    };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return { items };
}

const ROUTER_A = 'station-01';
const ROUTER_B = 'console-7f3a';
const NODE = 'camera-12';
const CTRL = `controller[${NODE}]@${ROUTER_B}`;
const MON = `monitor[${NODE}]@${ROUTER_B}`;

function prefixedNames(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
}

/** One message of each frame type; `big` gives the content-bearing types 10 KB of content. */
export function frameSet(big: boolean): { name: string; msg: CtpMessage }[] {
  const content = big ? bigContent() : SMALL_CONTENT;
  const optionals = (big ? bigContent() : { mode: 'fast', level: 2 }) as Record<string, unknown>;
  const out: { name: string; msg: CtpMessage }[] = [
    {
      name: 'REPORTNODE',
      msg: {
        v: 1,
        t: 'REPORTNODE',
        from: ROUTER_A,
        // 10 KB of node names when big, else a small advert.
        adverts: [
          {
            origin: ROUTER_A,
            seq: 1764000000000,
            nodes: big ? prefixedNames(640, 'camera') : [NODE, 'camera-13', CTRL],
            neighbors: [ROUTER_B, 'relay-2'],
          },
        ],
      },
    },
    {
      name: 'COMMAND',
      msg: {
        v: 1,
        t: 'COMMAND',
        id: 4711,
        to: ROUTER_A,
        node: NODE,
        controller: CTRL,
        app: 'ptz',
        content,
      },
    },
    {
      name: 'RESPONSE',
      msg: {
        v: 1,
        t: 'RESPONSE',
        node: NODE,
        controller: CTRL,
        code: 'SUCCESS',
        re: 4711,
        content,
      },
    },
    { name: 'EVENT', msg: { v: 1, t: 'EVENT', node: NODE, monitor: MON, content } },
    { name: 'POST', msg: { v: 1, t: 'POST', to: ROUTER_A, node: NODE, content } },
    {
      name: 'START',
      msg: {
        v: 1,
        t: 'START',
        id: 4712,
        to: ROUTER_A,
        node: NODE,
        controller: CTRL,
        app: 'recorder',
        optionals,
      },
    },
    {
      name: 'STOP',
      msg: {
        v: 1,
        t: 'STOP',
        id: 4713,
        to: ROUTER_A,
        node: NODE,
        controller: CTRL,
        app: 'recorder',
        optionals,
      },
    },
  ];
  if (!big) {
    out.push(
      { name: 'UPDATENODE', msg: { v: 1, t: 'UPDATENODE', from: ROUTER_A } },
      {
        name: 'REGISTER',
        msg: { v: 1, t: 'REGISTER', id: 4714, to: ROUTER_A, node: NODE, controller: CTRL },
      },
      {
        name: 'UNREGISTER',
        msg: { v: 1, t: 'UNREGISTER', id: 4715, to: ROUTER_A, node: NODE, monitor: MON },
      },
    );
  }
  return out;
}
