/**
 * Codec v1 vectors (SPEC.md section 6), table-driven as mqtt-packet does:
 * one list of valid `{ name, message, frame }` generates decode, encode and
 * round-trip cases; one list of bad `{ name, frame, reason }` asserts the
 * decode error and, through a real router, that the frame is dropped with
 * that reason and nothing else happens.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decode, encode, jsonCodec, MAX_CONTENT_DEPTH } from '../../src/wire/codec.js';
import { CtpDecodeError } from '../../src/base/errors.js';
import type { CtpDropped } from '../../src/events.js';
import type { CtpMessage } from '../../src/base/messages.js';
import { virtualName } from '../../src/base/names.js';
import { CtpRouter } from '../../src/router.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const N256 = 'n'.repeat(256);
const N257 = 'n'.repeat(257);
const ID128 = 'r'.repeat(128);
const ID129 = 'r'.repeat(129);
const C = (node: string, id = 'r1'): string => virtualName('controller', node, id);
const M = (node: string, id = 'r1'): string => virtualName('monitor', node, id);

/** `depth` arrays nested in each other: depth 1 is `[]`. */
function nestedArrays(depth: number, inner = ''): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}
/** `depth` objects nested in each other under key `a`: depth 1 is `{}`. */
function nestedObjects(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
}

function decodeError(frame: unknown): CtpDecodeError {
  let decoded: unknown;
  try {
    decoded = decode(frame as string);
  } catch (err) {
    expect(err).toBeInstanceOf(CtpDecodeError);
    return err as CtpDecodeError;
  }
  throw new Error(`expected a CtpDecodeError, decoded ${JSON.stringify(decoded)?.slice(0, 200)}`);
}

interface Harness {
  router: CtpRouter<{ name: string }>;
  peer: { name: string };
  send: ReturnType<typeof vi.fn>;
  onReceived: ReturnType<typeof vi.fn>;
  onNodesUpdated: ReturnType<typeof vi.fn>;
  decodeSpy: ReturnType<typeof vi.fn>;
  dropped: CtpDropped<{ name: string }>[];
  errors: unknown[];
}

const routers: CtpRouter<{ name: string }>[] = [];
afterEach(async () => {
  for (const r of routers.splice(0)) await r.close();
});

/**
 * A router `r2` hosting `cam` and `other`: the valid versions of the bad
 * frames below are addressed to it, so a bad frame that slipped through would
 * reach the host logic (onReceived, send).
 */
function harness(options: { maxFrameBytes?: number } = {}): Harness {
  const send = vi.fn();
  const onReceived = vi.fn();
  const onNodesUpdated = vi.fn();
  const decodeSpy = vi.fn((frame: string) => decode(frame));
  const router = new CtpRouter<{ name: string }>(onReceived, send, onNodesUpdated, {
    id: 'r2',
    nodes: ['cam', 'other'],
    codec: { encode, decode: decodeSpy },
    ...options,
  });
  routers.push(router);
  const dropped: CtpDropped<{ name: string }>[] = [];
  const errors: unknown[] = [];
  router.on('dropped', (e) => dropped.push(e));
  router.on('error', (e) => errors.push(e));
  send.mockClear();
  onReceived.mockClear();
  onNodesUpdated.mockClear();
  return {
    router,
    peer: { name: 'p1' },
    send,
    onReceived,
    onNodesUpdated,
    decodeSpy,
    dropped,
    errors,
  };
}

/** Feed one frame and assert that it was dropped with `reason` and that nothing else happened. */
function expectDroppedOnly(
  h: Harness,
  frame: unknown,
  reason: string,
  options: { decoded?: boolean } = {},
): void {
  const nodesBefore = h.router.nodes();
  const snapBefore = h.router.snapshot();
  const statsBefore = h.router.stats();
  expect(() => h.router.receive(h.peer, frame as string)).not.toThrow();
  expect(h.dropped).toHaveLength(1);
  expect(h.dropped[0]?.reason).toBe(reason);
  expect(h.dropped[0]?.peer).toBe(h.peer);
  const stats = h.router.stats();
  expect(stats.dropped).toEqual({
    ...statsBefore.dropped,
    [reason]: (statsBefore.dropped[reason] ?? 0) + 1,
  });
  expect(stats.framesIn).toBe(statsBefore.framesIn + 1);
  expect(stats.framesOut).toBe(statsBefore.framesOut);
  expect(stats.forwarded).toBe(statsBefore.forwarded);
  expect(stats.pending).toBe(0);
  expect(h.send).not.toHaveBeenCalled();
  expect(h.onReceived).not.toHaveBeenCalled();
  expect(h.onNodesUpdated).not.toHaveBeenCalled();
  expect(h.errors).toEqual([]);
  expect(h.router.nodes()).toEqual(nodesBefore);
  expect(h.router.snapshot()).toEqual(snapBefore);
  if (options.decoded === false) expect(h.decodeSpy).not.toHaveBeenCalled();
}

// ---------------------------------------------------------------------------
// Valid vectors
// ---------------------------------------------------------------------------

interface Vector {
  name: string;
  message: CtpMessage;
  frame: string;
}

const deep64 = JSON.parse(nestedArrays(MAX_CONTENT_DEPTH, '1')) as unknown;

const valid: Vector[] = [
  // REPORTNODE
  {
    name: 'REPORTNODE with no adverts',
    message: { v: 1, t: 'REPORTNODE', from: 'r1', adverts: [] },
    frame: '{"v":1,"t":"REPORTNODE","from":"r1","adverts":[]}',
  },
  {
    name: 'REPORTNODE with one advert with empty lists',
    message: {
      v: 1,
      t: 'REPORTNODE',
      from: 'r1',
      adverts: [{ origin: 'r1', seq: 0, nodes: [], neighbors: [] }],
    },
    frame:
      '{"v":1,"t":"REPORTNODE","from":"r1","adverts":[{"origin":"r1","seq":0,"nodes":[],"neighbors":[]}]}',
  },
  {
    name: 'REPORTNODE with several adverts, plain and virtual names',
    message: {
      v: 1,
      t: 'REPORTNODE',
      from: 'router-A.1:x',
      adverts: [
        {
          origin: 'router-A.1:x',
          seq: 1700000000000,
          nodes: ['cam1', 'a;b', 'controller[cam9]@router-A.1:x'],
          neighbors: ['r2', 'r3'],
        },
        {
          origin: 'r2',
          seq: Number.MAX_SAFE_INTEGER,
          nodes: ['monitor[x]@y]@r2', 'mic 2', 'ü'],
          neighbors: ['router-A.1:x'],
        },
        { origin: 'r3', seq: 5, nodes: [], neighbors: ['router-A.1:x'] },
      ],
    },
    frame:
      '{"v":1,"t":"REPORTNODE","from":"router-A.1:x","adverts":[' +
      '{"origin":"router-A.1:x","seq":1700000000000,"nodes":["cam1","a;b","controller[cam9]@router-A.1:x"],"neighbors":["r2","r3"]},' +
      '{"origin":"r2","seq":9007199254740991,"nodes":["monitor[x]@y]@r2","mic 2","ü"],"neighbors":["router-A.1:x"]},' +
      '{"origin":"r3","seq":5,"nodes":[],"neighbors":["router-A.1:x"]}]}',
  },
  {
    name: 'REPORTNODE with 128-char ids and a 256-char node',
    message: {
      v: 1,
      t: 'REPORTNODE',
      from: ID128,
      adverts: [{ origin: ID128, seq: 2, nodes: [N256, C(N256, ID128)], neighbors: [ID128] }],
    },
    frame: `{"v":1,"t":"REPORTNODE","from":"${ID128}","adverts":[{"origin":"${ID128}","seq":2,"nodes":["${N256}","controller[${N256}]@${ID128}"],"neighbors":["${ID128}"]}]}`,
  },
  {
    name: 'REPORTNODE with a signed advert (sig and cert at their longest)',
    message: {
      v: 1,
      t: 'REPORTNODE',
      from: 'r1',
      adverts: [
        {
          origin: 'r1',
          seq: 3,
          nodes: ['cam'],
          neighbors: [],
          sig: 'A'.repeat(1020) + 'QQ==',
          cert: 'B'.repeat(8192),
        },
      ],
    },
    frame: `{"v":1,"t":"REPORTNODE","from":"r1","adverts":[{"origin":"r1","seq":3,"nodes":["cam"],"neighbors":[],"sig":"${'A'.repeat(1020)}QQ==","cert":"${'B'.repeat(8192)}"}]}`,
  },
  // UPDATENODE
  {
    name: 'UPDATENODE',
    message: { v: 1, t: 'UPDATENODE', from: 'r1' },
    frame: '{"v":1,"t":"UPDATENODE","from":"r1"}',
  },
  // REGISTER / UNREGISTER
  {
    name: 'REGISTER controller with to',
    message: {
      v: 1,
      t: 'REGISTER',
      id: 1,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
    },
    frame: '{"v":1,"t":"REGISTER","id":1,"to":"r2","node":"cam","controller":"controller[cam]@r1"}',
  },
  {
    name: 'REGISTER monitor without to',
    message: { v: 1, t: 'REGISTER', id: 42, node: 'cam', monitor: 'monitor[cam]@r1' },
    frame: '{"v":1,"t":"REGISTER","id":42,"node":"cam","monitor":"monitor[cam]@r1"}',
  },
  {
    name: 'REGISTER refresh',
    message: {
      v: 1,
      t: 'REGISTER',
      id: 7,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      refresh: true,
    },
    frame:
      '{"v":1,"t":"REGISTER","id":7,"to":"r2","node":"cam","controller":"controller[cam]@r1","refresh":true}',
  },
  {
    name: 'REGISTER with any registrant string (checked by the router, not the codec)',
    message: { v: 1, t: 'REGISTER', id: 8, node: 'cam', monitor: 'not-virtual' },
    frame: '{"v":1,"t":"REGISTER","id":8,"node":"cam","monitor":"not-virtual"}',
  },
  {
    name: 'UNREGISTER controller',
    message: {
      v: 1,
      t: 'UNREGISTER',
      id: 2,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
    },
    frame:
      '{"v":1,"t":"UNREGISTER","id":2,"to":"r2","node":"cam","controller":"controller[cam]@r1"}',
  },
  {
    name: 'UNREGISTER monitor',
    message: { v: 1, t: 'UNREGISTER', id: 3, node: 'cam', monitor: 'monitor[cam]@r1' },
    frame: '{"v":1,"t":"UNREGISTER","id":3,"node":"cam","monitor":"monitor[cam]@r1"}',
  },
  // START / STOP
  {
    name: 'START without optionals',
    message: {
      v: 1,
      t: 'START',
      id: 4,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'stream',
    },
    frame:
      '{"v":1,"t":"START","id":4,"to":"r2","node":"cam","controller":"controller[cam]@r1","app":"stream"}',
  },
  {
    name: 'START with optionals',
    message: {
      v: 1,
      t: 'START',
      id: 5,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'stream',
      optionals: { fps: 30, size: [640, 480], opts: { hdr: true, name: null } },
    },
    frame:
      '{"v":1,"t":"START","id":5,"to":"r2","node":"cam","controller":"controller[cam]@r1","app":"stream","optionals":{"fps":30,"size":[640,480],"opts":{"hdr":true,"name":null}}}',
  },
  {
    name: 'START with empty optionals and empty app',
    message: {
      v: 1,
      t: 'START',
      id: 6,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: '',
      optionals: {},
    },
    frame:
      '{"v":1,"t":"START","id":6,"node":"cam","controller":"controller[cam]@r1","app":"","optionals":{}}',
  },
  {
    name: 'STOP without optionals',
    message: {
      v: 1,
      t: 'STOP',
      id: 9,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'stream',
    },
    frame:
      '{"v":1,"t":"STOP","id":9,"node":"cam","controller":"controller[cam]@r1","app":"stream"}',
  },
  {
    name: 'STOP with optionals',
    message: {
      v: 1,
      t: 'STOP',
      id: 10,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'stream',
      optionals: { force: true },
    },
    frame:
      '{"v":1,"t":"STOP","id":10,"to":"r2","node":"cam","controller":"controller[cam]@r1","app":"stream","optionals":{"force":true}}',
  },
  // COMMAND
  {
    name: 'COMMAND with object content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 11,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'pan',
      content: { deg: 3 },
    },
    frame:
      '{"v":1,"t":"COMMAND","id":11,"to":"r2","node":"cam","controller":"controller[cam]@r1","app":"pan","content":{"deg":3}}',
  },
  {
    name: 'COMMAND with array content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 12,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: [1, 'two', null, false, []],
    },
    frame:
      '{"v":1,"t":"COMMAND","id":12,"node":"cam","controller":"controller[cam]@r1","app":"a","content":[1,"two",null,false,[]]}',
  },
  {
    name: 'COMMAND with string content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 13,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: 'hello',
    },
    frame:
      '{"v":1,"t":"COMMAND","id":13,"node":"cam","controller":"controller[cam]@r1","app":"a","content":"hello"}',
  },
  {
    name: 'COMMAND with number content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 14,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: -1.5e-7,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":14,"node":"cam","controller":"controller[cam]@r1","app":"a","content":-1.5e-7}',
  },
  {
    name: 'COMMAND with null content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 15,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: null,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":15,"node":"cam","controller":"controller[cam]@r1","app":"a","content":null}',
  },
  {
    name: 'COMMAND with boolean content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 16,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: false,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":16,"node":"cam","controller":"controller[cam]@r1","app":"a","content":false}',
  },
  {
    name: 'COMMAND with nested content',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 17,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: { a: { b: [{ c: [1, { d: 'e' }] }] }, toString: { prototype: 1 }, '': 0 },
    },
    frame:
      '{"v":1,"t":"COMMAND","id":17,"node":"cam","controller":"controller[cam]@r1","app":"a","content":{"a":{"b":[{"c":[1,{"d":"e"}]}]},"toString":{"prototype":1},"":0}}',
  },
  {
    name: `COMMAND with content nested exactly MAX_CONTENT_DEPTH (${MAX_CONTENT_DEPTH}) deep`,
    message: {
      v: 1,
      t: 'COMMAND',
      id: 18,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: deep64,
    },
    frame: `{"v":1,"t":"COMMAND","id":18,"node":"cam","controller":"controller[cam]@r1","app":"a","content":${nestedArrays(MAX_CONTENT_DEPTH, '1')}}`,
  },
  {
    name: 'COMMAND with unicode content and escapes',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 19,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'ä',
      content: { 日本: 'カメラ', emoji: '😀', esc: 'a"b\\c\n\r\t\u0000\u2028', lone: '\ud800' },
    },
    frame:
      '{"v":1,"t":"COMMAND","id":19,"node":"cam","controller":"controller[cam]@r1","app":"ä","content":{"日本":"カメラ","emoji":"😀","esc":"a\\"b\\\\c\\n\\r\\t\\u0000\u2028","lone":"\\ud800"}}',
  },
  {
    name: 'COMMAND to a unicode node',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 20,
      node: 'カメラ😀',
      controller: 'controller[カメラ😀]@r1',
      app: 'a',
      content: 1,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":20,"node":"カメラ😀","controller":"controller[カメラ😀]@r1","app":"a","content":1}',
  },
  {
    name: 'COMMAND to a node with `;`',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 21,
      node: 'a;b;c',
      controller: 'controller[a;b;c]@r1',
      app: 'a',
      content: 1,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":21,"node":"a;b;c","controller":"controller[a;b;c]@r1","app":"a","content":1}',
  },
  {
    name: 'COMMAND to a node with `]@` and `[`',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 22,
      node: 'x]@y[z',
      controller: 'controller[x]@y[z]@r1',
      app: 'a',
      content: 1,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":22,"node":"x]@y[z","controller":"controller[x]@y[z]@r1","app":"a","content":1}',
  },
  {
    name: 'COMMAND to a node with spaces',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 23,
      node: ' front door ',
      controller: 'controller[ front door ]@r1',
      app: 'a',
      content: 1,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":23,"node":" front door ","controller":"controller[ front door ]@r1","app":"a","content":1}',
  },
  {
    name: 'COMMAND to a node of max length 256',
    message: { v: 1, t: 'COMMAND', id: 24, node: N256, controller: C(N256), app: 'a', content: 1 },
    frame: `{"v":1,"t":"COMMAND","id":24,"node":"${N256}","controller":"controller[${N256}]@r1","app":"a","content":1}`,
  },
  {
    name: 'COMMAND to a node named like a seed virtual node (no `@`)',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 25,
      node: 'controller[cam]',
      controller: 'controller[controller[cam]]@r1',
      app: 'a',
      content: 1,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":25,"node":"controller[cam]","controller":"controller[controller[cam]]@r1","app":"a","content":1}',
  },
  {
    name: 'COMMAND with the largest safe id',
    message: {
      v: 1,
      t: 'COMMAND',
      id: Number.MAX_SAFE_INTEGER,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: 1,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":9007199254740991,"node":"cam","controller":"controller[cam]@r1","app":"a","content":1}',
  },
  // POST
  {
    name: 'POST with to',
    message: { v: 1, t: 'POST', to: 'r2', node: 'cam', content: { temp: 21.5 } },
    frame: '{"v":1,"t":"POST","to":"r2","node":"cam","content":{"temp":21.5}}',
  },
  {
    name: 'POST without to, null content',
    message: { v: 1, t: 'POST', node: 'cam', content: null },
    frame: '{"v":1,"t":"POST","node":"cam","content":null}',
  },
  // RESPONSE
  {
    name: 'RESPONSE minimal',
    message: {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r1',
      code: 'SUCCESS',
    },
    frame: '{"v":1,"t":"RESPONSE","node":"cam","controller":"controller[cam]@r1","code":"SUCCESS"}',
  },
  {
    name: 'RESPONSE with re',
    message: {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r1',
      code: 'ALREADY_ASSIGNED',
      re: 3,
    },
    frame:
      '{"v":1,"t":"RESPONSE","node":"cam","controller":"controller[cam]@r1","code":"ALREADY_ASSIGNED","re":3}',
  },
  {
    name: 'RESPONSE with re, content and reason',
    message: {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r1',
      code: 'ERROR',
      re: 4,
      content: [1, { a: null }],
      reason: 'host-callback-failed',
    },
    frame:
      '{"v":1,"t":"RESPONSE","node":"cam","controller":"controller[cam]@r1","code":"ERROR","re":4,"content":[1,{"a":null}],"reason":"host-callback-failed"}',
  },
  {
    name: 'RESPONSE with null content and empty reason',
    message: {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r1',
      code: 'TIMEOUT',
      content: null,
      reason: '',
    },
    frame:
      '{"v":1,"t":"RESPONSE","node":"cam","controller":"controller[cam]@r1","code":"TIMEOUT","content":null,"reason":""}',
  },
  {
    name: 'RESPONSE to a monitor virtual node',
    message: {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'monitor[cam]@r1',
      code: 'SUCCESS',
      re: 5,
    },
    frame:
      '{"v":1,"t":"RESPONSE","node":"cam","controller":"monitor[cam]@r1","code":"SUCCESS","re":5}',
  },
  ...(['IN_PROGRESS', 'NODE_UNFOUND', 'NOT_ASSIGNED', 'REJECTED'] as const).map((code) => ({
    name: `RESPONSE with code ${code}`,
    message: {
      v: 1,
      t: 'RESPONSE',
      node: 'cam',
      controller: 'controller[cam]@r1',
      code,
      re: 6,
    } as CtpMessage,
    frame: `{"v":1,"t":"RESPONSE","node":"cam","controller":"controller[cam]@r1","code":"${code}","re":6}`,
  })),
  {
    name: 'RESPONSE to a node with `]@` and a 128-char router id',
    message: { v: 1, t: 'RESPONSE', node: 'a]@b', controller: C('a]@b', ID128), code: 'SUCCESS' },
    frame: `{"v":1,"t":"RESPONSE","node":"a]@b","controller":"controller[a]@b]@${ID128}","code":"SUCCESS"}`,
  },
  {
    name: 'RESPONSE whose virtual node is longer than 256 (256-char node, 128-char id)',
    message: {
      v: 1,
      t: 'RESPONSE',
      node: N256,
      controller: C(N256, ID128),
      code: 'SUCCESS',
      re: 1,
    },
    frame: `{"v":1,"t":"RESPONSE","node":"${N256}","controller":"controller[${N256}]@${ID128}","code":"SUCCESS","re":1}`,
  },
  // EVENT
  {
    name: 'EVENT to a monitor',
    message: {
      v: 1,
      t: 'EVENT',
      node: 'cam',
      monitor: 'monitor[cam]@r1',
      content: { motion: true },
    },
    frame: '{"v":1,"t":"EVENT","node":"cam","monitor":"monitor[cam]@r1","content":{"motion":true}}',
  },
  {
    name: 'EVENT to a controller',
    message: { v: 1, t: 'EVENT', node: 'cam', monitor: 'controller[cam]@r1', content: 'hello' },
    frame: '{"v":1,"t":"EVENT","node":"cam","monitor":"controller[cam]@r1","content":"hello"}',
  },
  // hops, to, unknown fields
  {
    name: 'forwarded frame with hops',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 30,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'a',
      content: 1,
      hops: 3,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":30,"to":"r2","node":"cam","controller":"controller[cam]@r1","app":"a","content":1,"hops":3}',
  },
  {
    name: 'hops 0 and the largest safe hops',
    message: {
      v: 1,
      t: 'EVENT',
      node: 'cam',
      monitor: 'monitor[cam]@r1',
      content: 1,
      hops: 0,
      x: { hops: Number.MAX_SAFE_INTEGER },
    } as CtpMessage,
    frame:
      '{"v":1,"t":"EVENT","node":"cam","monitor":"monitor[cam]@r1","content":1,"hops":0,"x":{"hops":9007199254740991}}',
  },
  {
    name: 'to with every router-id character class',
    message: {
      v: 1,
      t: 'POST',
      to: 'Az09._:-',
      node: 'cam',
      content: 1,
      hops: Number.MAX_SAFE_INTEGER,
    },
    frame: '{"v":1,"t":"POST","to":"Az09._:-","node":"cam","content":1,"hops":9007199254740991}',
  },
  {
    name: 'unknown extra fields are kept (top level, nested, in adverts)',
    message: {
      v: 1,
      t: 'REPORTNODE',
      from: 'r1',
      adverts: [{ origin: 'r1', seq: 1, nodes: ['cam'], neighbors: [], area: 7 } as never],
      sig: 'abc',
      ext: { a: [1, 2, { b: null }] },
    } as CtpMessage,
    frame:
      '{"v":1,"t":"REPORTNODE","from":"r1","adverts":[{"origin":"r1","seq":1,"nodes":["cam"],"neighbors":[],"area":7}],"sig":"abc","ext":{"a":[1,2,{"b":null}]}}',
  },
  {
    name: 'unknown fields in a request, including `refresh` on UNREGISTER',
    message: {
      v: 1,
      t: 'UNREGISTER',
      id: 31,
      node: 'cam',
      controller: 'controller[cam]@r1',
      refresh: false,
      prio: 'high',
    } as CtpMessage,
    frame:
      '{"v":1,"t":"UNREGISTER","id":31,"node":"cam","controller":"controller[cam]@r1","refresh":false,"prio":"high"}',
  },
];

describe('codec: valid vectors', () => {
  it('covers every message type', () => {
    expect(new Set(valid.map((v) => v.message.t))).toEqual(
      new Set([
        'REPORTNODE',
        'UPDATENODE',
        'REGISTER',
        'UNREGISTER',
        'START',
        'STOP',
        'COMMAND',
        'POST',
        'RESPONSE',
        'EVENT',
      ]),
    );
  });

  describe.each(valid)('$name', ({ message, frame }) => {
    it('decodes', () => {
      expect(decode(frame)).toStrictEqual(message);
    });
    it('encodes', () => {
      expect(encode(message)).toBe(frame);
    });
    it('round-trips', () => {
      expect(decode(encode(message))).toStrictEqual(message);
      expect(encode(decode(frame))).toBe(frame);
      expect(jsonCodec.decode(jsonCodec.encode(message))).toStrictEqual(message);
    });
    it('is not dropped by the codec when a router receives it', () => {
      const h = harness();
      h.router.receive(h.peer, frame);
      // The codec accepted it (the router may still drop it for a routing reason).
      expect(h.decodeSpy).toHaveBeenCalledTimes(1);
      expect(h.decodeSpy).toHaveReturnedTimes(1);
      for (const d of h.dropped)
        expect(['unsupported-version', 'unknown-type', 'too-large']).not.toContain(d.reason);
      expect(h.errors).toEqual([]);
    });
  });

  it('decodes non-canonical spellings of valid frames', () => {
    const cases: [string, CtpMessage][] = [
      [
        ' {\n "t" : "UPDATENODE" ,\r\n\t"from":"r1", "v" : 1 }\n',
        { t: 'UPDATENODE', from: 'r1', v: 1 } as CtpMessage,
      ],
      [
        '{"v":1.0,"t":"POST","node":"cam","content":1e2}',
        { v: 1, t: 'POST', node: 'cam', content: 100 },
      ],
      [
        '{"v":1e0,"t":"POST","node":"\\u0063am","content":"\\u00e9"}',
        { v: 1, t: 'POST', node: 'cam', content: 'é' },
      ],
      [
        '{"v":1,"t":"REGISTER","id":2.0,"node":"cam","monitor":"m","hops":1e1}',
        { v: 1, t: 'REGISTER', id: 2, node: 'cam', monitor: 'm', hops: 10 },
      ],
      ['{"v":2,"v":1,"t":"UPDATENODE","from":"r1"}', { v: 1, t: 'UPDATENODE', from: 'r1' }],
    ];
    for (const [frame, message] of cases) expect(decode(frame)).toStrictEqual(message);
  });

  it('encodes -0 as 0', () => {
    const m = { v: 1, t: 'POST', node: 'cam', content: [-0, { z: -0 }], hops: -0 } as CtpMessage;
    const frame = encode(m);
    expect(frame).toBe('{"v":1,"t":"POST","node":"cam","content":[0,{"z":0}],"hops":0}');
    const back = decode(frame) as { content: [number, { z: number }]; hops: number };
    expect(Object.is(back.content[0], 0)).toBe(true);
    expect(Object.is(back.content[1].z, 0)).toBe(true);
    expect(Object.is(back.hops, 0)).toBe(true);
    // A `-0` that arrives on the wire is a valid integer and leaves as `0`.
    expect(encode(decode('{"v":1,"t":"POST","node":"cam","content":-0,"hops":-0}'))).toBe(
      '{"v":1,"t":"POST","node":"cam","content":0,"hops":0}',
    );
  });

  it('never emits a raw line break, even when content has them', () => {
    const m = {
      v: 1,
      t: 'COMMAND',
      id: 1,
      node: 'a]@b',
      controller: 'controller[a]@b]@r1',
      app: 'x\ny',
      content: { 'k\r\n': 'line1\nline2\r\nline3\r', list: ['\n', '\r', '\u2028\u2029', '\u0085'] },
    } as CtpMessage;
    const frame = encode(m);
    expect(frame).not.toMatch(/[\n\r]/);
    expect(frame.split('\n')).toHaveLength(1);
    expect(frame).toContain('"line1\\nline2\\r\\nline3\\r"');
    expect(decode(frame)).toStrictEqual(m);
  });
});

// ---------------------------------------------------------------------------
// Bad frames
// ---------------------------------------------------------------------------

interface Bad {
  name: string;
  frame: string;
  reason: 'malformed' | 'unsupported-version' | 'unknown-type';
}

/** A valid message of each type, addressed to router r2 which hosts `cam`. */
const base: Record<string, Obj> = {
  REPORTNODE: {
    v: 1,
    t: 'REPORTNODE',
    from: 'r1',
    adverts: [{ origin: 'r1', seq: 1, nodes: ['cam1'], neighbors: ['r2'] }],
  },
  UPDATENODE: { v: 1, t: 'UPDATENODE', from: 'r1' },
  REGISTER: { v: 1, t: 'REGISTER', id: 1, to: 'r2', node: 'cam', controller: 'controller[cam]@r1' },
  UNREGISTER: { v: 1, t: 'UNREGISTER', id: 1, to: 'r2', node: 'cam', monitor: 'monitor[cam]@r1' },
  START: {
    v: 1,
    t: 'START',
    id: 1,
    to: 'r2',
    node: 'cam',
    controller: 'controller[cam]@r1',
    app: 'a',
    optionals: { x: 1 },
  },
  STOP: {
    v: 1,
    t: 'STOP',
    id: 1,
    to: 'r2',
    node: 'cam',
    controller: 'controller[cam]@r1',
    app: 'a',
    optionals: { x: 1 },
  },
  COMMAND: {
    v: 1,
    t: 'COMMAND',
    id: 1,
    to: 'r2',
    node: 'cam',
    controller: 'controller[cam]@r1',
    app: 'a',
    content: { x: 1 },
  },
  POST: { v: 1, t: 'POST', to: 'r2', node: 'cam', content: { x: 1 } },
  RESPONSE: {
    v: 1,
    t: 'RESPONSE',
    node: 'cam',
    controller: 'controller[cam]@r2',
    code: 'SUCCESS',
    re: 1,
    content: 1,
    reason: 'r',
  },
  EVENT: { v: 1, t: 'EVENT', node: 'cam', monitor: 'monitor[cam]@r2', content: 1 },
};
const TYPES = Object.keys(base);

/** `base[t]` with `changes` applied (`undefined` deletes a field), as a frame. */
function mk(t: string, changes: Obj = {}): string {
  const o: Obj = { ...base[t] };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete o[k];
    else o[k] = v;
  }
  return JSON.stringify(o);
}
/** `base[t]` with one advert changed. */
function mkAdvert(changes: Obj): string {
  const advert: Obj = { origin: 'r1', seq: 1, nodes: ['cam1'], neighbors: ['r2'] };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete advert[k];
    else advert[k] = v;
  }
  return mk('REPORTNODE', {
    adverts: [{ origin: 'r3', seq: 1, nodes: [], neighbors: [] }, advert],
  });
}
/** Replace the JSON text of field `key` of `base[t]` with raw `text` (for values JSON.stringify cannot write). */
function raw(t: string, key: string, text: string): string {
  const o: Obj = { ...base[t], [key]: '\u0001RAW\u0001' };
  return JSON.stringify(o).replace('"\\u0001RAW\\u0001"', text);
}

// Fields every type requires, and wrong values for each kind of field.
const required: Record<string, string[]> = {
  REPORTNODE: ['from', 'adverts'],
  UPDATENODE: ['from'],
  REGISTER: ['id', 'node', 'controller'],
  UNREGISTER: ['id', 'node', 'monitor'],
  START: ['id', 'node', 'controller', 'app'],
  STOP: ['id', 'node', 'controller', 'app'],
  COMMAND: ['id', 'node', 'controller', 'app', 'content'],
  POST: ['node', 'content'],
  RESPONSE: ['node', 'controller', 'code'],
  EVENT: ['node', 'monitor', 'content'],
};
const notString: unknown[] = [42, null, true, [], {}, ['cam']];
const badIntegers: [string, string][] = [
  ['zero', '0'],
  ['negative', '-1'],
  ['fractional', '1.5'],
  ['a string', '"1"'],
  ['null', 'null'],
  ['2^53', '9007199254740992'],
  ['1e300', '1e300'],
  ['Infinity (1e400)', '1e400'],
  ['true', 'true'],
  ['an array', '[1]'],
];
const badNodeNames: [string, unknown][] = [
  ['empty', ''],
  ['257 chars', N257],
  ['U+0000', 'a\u0000b'],
  ['U+001F', '\u001f'],
  ['U+007F', 'cam\u007f'],
  ['a newline', 'a\nb'],
  ['a tab', '\tcam'],
  ['a reserved controller name', 'controller[cam]@r1'],
  ['a reserved monitor name', 'monitor[cam]@r1'],
  ['a reserved but malformed name', 'controller[]@'],
  ['a number', 42],
  ['null', null],
  ['an array', ['cam']],
];
const badRouterIds: [string, unknown][] = [
  ['empty', ''],
  ['129 chars', ID129],
  ['a space', 'r 1'],
  ['a slash', 'r/1'],
  ['an @', 'r@1'],
  ['a ]', 'r]1'],
  ['non-ASCII', 'rü'],
  ['a newline', 'r1\n'],
  ['a number', 1],
  ['null', null],
];
const badDestinations: [string, unknown][] = [
  ['a plain name', 'cam'],
  ['the seed form without @', 'controller[cam]'],
  ['the seed monitor form', 'monitor[cam]_0'],
  ['an empty router id', 'controller[cam]@'],
  ['a bad router id', 'controller[cam]@r 2'],
  ['a 129-char router id', `controller[cam]@${ID129}`],
  ['an unknown kind', 'observer[cam]@r2'],
  ['another node', 'controller[other]@r2'],
  ['another node that is a prefix', 'controller[ca]@r2'],
  ['another node with ]@', 'controller[cam]@x]@r2'],
  ['an empty node', 'controller[]@r2'],
  ['a node with a control char', 'controller[cam\u0000]@r2'],
  ['a number', 7],
  ['null', null],
];

const bad: Bad[] = [
  // Not a JSON object
  { name: 'empty string', frame: '', reason: 'malformed' },
  { name: 'whitespace only', frame: ' \n ', reason: 'malformed' },
  { name: 'not JSON', frame: 'hello', reason: 'malformed' },
  { name: 'truncated JSON', frame: '{"v":1,"t":"UPDATENODE","from":"r1"', reason: 'malformed' },
  { name: 'trailing garbage', frame: '{"v":1,"t":"UPDATENODE","from":"r1"}x', reason: 'malformed' },
  {
    name: 'two objects',
    frame: '{"v":1,"t":"UPDATENODE","from":"r1"}{"v":1,"t":"UPDATENODE","from":"r1"}',
    reason: 'malformed',
  },
  { name: 'single quotes', frame: "{'v':1,'t':'UPDATENODE','from':'r1'}", reason: 'malformed' },
  { name: 'NaN literal', frame: '{"v":NaN,"t":"UPDATENODE","from":"r1"}', reason: 'malformed' },
  { name: 'trailing comma', frame: '{"v":1,"t":"UPDATENODE","from":"r1",}', reason: 'malformed' },
  { name: 'JSON array', frame: '[]', reason: 'malformed' },
  { name: 'JSON array holding a valid frame', frame: `[${mk('UPDATENODE')}]`, reason: 'malformed' },
  { name: 'JSON number', frame: '1', reason: 'malformed' },
  { name: 'JSON null', frame: 'null', reason: 'malformed' },
  { name: 'JSON true', frame: 'true', reason: 'malformed' },
  { name: 'JSON string', frame: JSON.stringify(mk('UPDATENODE')), reason: 'malformed' },
  {
    name: 'very deeply nested JSON (100000 unclosed `[`)',
    frame: '['.repeat(100_000),
    reason: 'malformed',
  },
  {
    name: 'very deeply nested JSON (100000 closed `[`)',
    frame: nestedArrays(100_000),
    reason: 'malformed',
  },
  // v
  { name: 'missing v', frame: mk('UPDATENODE', { v: undefined }), reason: 'malformed' },
  { name: 'v: 0', frame: mk('UPDATENODE', { v: 0 }), reason: 'malformed' },
  { name: 'v: -1', frame: mk('UPDATENODE', { v: -1 }), reason: 'malformed' },
  { name: 'v: 1.5', frame: mk('UPDATENODE', { v: 1.5 }), reason: 'malformed' },
  { name: 'v: "1"', frame: mk('UPDATENODE', { v: '1' }), reason: 'malformed' },
  { name: 'v: null', frame: mk('UPDATENODE', { v: null }), reason: 'malformed' },
  { name: 'v: true', frame: mk('UPDATENODE', { v: true }), reason: 'malformed' },
  { name: 'v: [1]', frame: mk('UPDATENODE', { v: [1] }), reason: 'malformed' },
  { name: 'v: 1e400 (Infinity)', frame: raw('UPDATENODE', 'v', '1e400'), reason: 'malformed' },
  { name: 'v: 2', frame: mk('UPDATENODE', { v: 2 }), reason: 'unsupported-version' },
  {
    name: 'v: 3 with an unknown t',
    frame: mk('UPDATENODE', { v: 3, t: 'HELLO' }),
    reason: 'unsupported-version',
  },
  { name: 'v: 2 with missing fields', frame: '{"v":2,"t":"POST"}', reason: 'unsupported-version' },
  { name: 'v: 1e21', frame: raw('UPDATENODE', 'v', '1e21'), reason: 'unsupported-version' },
  // t
  { name: 'missing t', frame: mk('UPDATENODE', { t: undefined }), reason: 'malformed' },
  { name: 't: 1', frame: mk('UPDATENODE', { t: 1 }), reason: 'malformed' },
  { name: 't: null', frame: mk('UPDATENODE', { t: null }), reason: 'malformed' },
  {
    name: 't: ["UPDATENODE"]',
    frame: mk('UPDATENODE', { t: ['UPDATENODE'] }),
    reason: 'malformed',
  },
  { name: 't: {}', frame: mk('UPDATENODE', { t: {} }), reason: 'malformed' },
  { name: 'unknown t', frame: mk('UPDATENODE', { t: 'HELLO' }), reason: 'unknown-type' },
  { name: 'empty t', frame: mk('UPDATENODE', { t: '' }), reason: 'unknown-type' },
  { name: 'lower-case t', frame: mk('POST', { t: 'post' }), reason: 'unknown-type' },
  { name: 't with trailing space', frame: mk('POST', { t: 'POST ' }), reason: 'unknown-type' },
  { name: 't: "constructor"', frame: mk('POST', { t: 'constructor' }), reason: 'unknown-type' },
  { name: 't: "__proto__"', frame: mk('POST', { t: '__proto__' }), reason: 'unknown-type' },
  {
    name: 't: a seed command name',
    frame: mk('POST', { t: 'CTPCOMMAND_PASS' }),
    reason: 'unknown-type',
  },
  // hops, id, re, seq: safe non-negative / positive integers
  ...badIntegers
    .filter(([n]) => n !== 'zero')
    .map(([n, text]): Bad => ({
      name: `hops ${n}`,
      frame: raw('COMMAND', 'hops', text),
      reason: 'malformed',
    })),
  ...(['REGISTER', 'UNREGISTER', 'START', 'STOP', 'COMMAND'] as const).flatMap((t) =>
    badIntegers.map(([n, text]): Bad => ({
      name: `${t} id ${n}`,
      frame: raw(t, 'id', text),
      reason: 'malformed',
    })),
  ),
  ...badIntegers.map(([n, text]): Bad => ({
    name: `RESPONSE re ${n}`,
    frame: raw('RESPONSE', 're', text),
    reason: 'malformed',
  })),
  ...badIntegers
    .filter(([n]) => n !== 'zero')
    .map(([n, text]): Bad => ({
      name: `advert seq ${n}`,
      frame: mk('REPORTNODE', {
        adverts: [{ origin: 'r1', seq: '\u0001RAW\u0001', nodes: [], neighbors: [] }],
      }).replace('"\\u0001RAW\\u0001"', text),
      reason: 'malformed',
    })),
  // Each required field missing, for each type
  ...TYPES.flatMap((t) =>
    (required[t] as string[]).map((k): Bad => ({
      name: `${t} without ${k}`,
      frame: mk(t, { [k]: undefined }),
      reason: 'malformed',
    })),
  ),
  // Each string field mistyped, for each type
  ...TYPES.flatMap((t) =>
    ['from', 'node', 'controller', 'monitor', 'app', 'to', 'code', 'reason']
      .filter((k) => k in (base[t] as Obj))
      .flatMap((k) =>
        notString.map((v): Bad => ({
          name: `${t} ${k}: ${JSON.stringify(v)}`,
          frame: mk(t, { [k]: v }),
          reason: 'malformed',
        })),
      ),
  ),
  // Invalid node names, for each type that has a node
  ...TYPES.filter((t) => 'node' in (base[t] as Obj)).flatMap((t) =>
    badNodeNames.map(([n, v]): Bad => {
      // Keep the destination a virtual node of the bad name so only `node` is wrong.
      const dest = typeof v === 'string' ? { controller: C(v, 'r2'), monitor: M(v, 'r2') } : {};
      const changes: Obj = { node: v };
      if (t === 'RESPONSE') changes.controller = dest.controller;
      if (t === 'EVENT') changes.monitor = dest.monitor;
      return { name: `${t} node ${n}`, frame: mk(t, changes), reason: 'malformed' };
    }),
  ),
  // Bad router ids
  ...badRouterIds.flatMap(([n, v]): Bad[] => [
    { name: `REPORTNODE from ${n}`, frame: mk('REPORTNODE', { from: v }), reason: 'malformed' },
    { name: `UPDATENODE from ${n}`, frame: mk('UPDATENODE', { from: v }), reason: 'malformed' },
    { name: `COMMAND to ${n}`, frame: mk('COMMAND', { to: v }), reason: 'malformed' },
    { name: `advert origin ${n}`, frame: mkAdvert({ origin: v }), reason: 'malformed' },
    {
      name: `advert neighbor ${n}`,
      frame: mkAdvert({ neighbors: ['r2', v] }),
      reason: 'malformed',
    },
  ]),
  ...(['REGISTER', 'UNREGISTER', 'START', 'STOP', 'POST'] as const).map((t): Bad => ({
    name: `${t} to with a space`,
    frame: mk(t, { to: 'r 2' }),
    reason: 'malformed',
  })),
  // REGISTER / UNREGISTER registrant
  {
    name: 'REGISTER with both controller and monitor',
    frame: mk('REGISTER', { monitor: 'monitor[cam]@r1' }),
    reason: 'malformed',
  },
  {
    name: 'REGISTER with neither controller nor monitor',
    frame: mk('REGISTER', { controller: undefined }),
    reason: 'malformed',
  },
  {
    name: 'REGISTER with controller null and a monitor',
    frame: mk('REGISTER', { controller: null, monitor: 'monitor[cam]@r1' }),
    reason: 'malformed',
  },
  {
    name: 'UNREGISTER with both controller and monitor',
    frame: mk('UNREGISTER', { controller: 'controller[cam]@r1' }),
    reason: 'malformed',
  },
  {
    name: 'UNREGISTER with neither controller nor monitor',
    frame: mk('UNREGISTER', { monitor: undefined }),
    reason: 'malformed',
  },
  {
    name: 'REGISTER refresh: false',
    frame: mk('REGISTER', { refresh: false }),
    reason: 'malformed',
  },
  {
    name: 'REGISTER refresh: "true"',
    frame: mk('REGISTER', { refresh: 'true' }),
    reason: 'malformed',
  },
  { name: 'REGISTER refresh: 1', frame: mk('REGISTER', { refresh: 1 }), reason: 'malformed' },
  { name: 'REGISTER refresh: null', frame: mk('REGISTER', { refresh: null }), reason: 'malformed' },
  // RESPONSE / EVENT destinations
  ...badDestinations.flatMap(([n, v]): Bad[] => [
    { name: `RESPONSE to ${n}`, frame: mk('RESPONSE', { controller: v }), reason: 'malformed' },
    { name: `EVENT to ${n}`, frame: mk('EVENT', { monitor: v }), reason: 'malformed' },
  ]),
  {
    name: 'RESPONSE with monitor instead of controller',
    frame: mk('RESPONSE', { controller: undefined, monitor: 'monitor[cam]@r2' }),
    reason: 'malformed',
  },
  {
    name: 'EVENT with controller instead of monitor',
    frame: mk('EVENT', { monitor: undefined, controller: 'controller[cam]@r2' }),
    reason: 'malformed',
  },
  // code, reason
  ...['success', 'OK', '', 'SUCCESS ', 'toString'].map((code): Bad => ({
    name: `RESPONSE code ${JSON.stringify(code)}`,
    frame: mk('RESPONSE', { code }),
    reason: 'malformed',
  })),
  // optionals
  ...(['START', 'STOP'] as const).flatMap((t) =>
    (
      [
        ['an array', [1]],
        ['null', null],
        ['a string', 'x'],
        ['a number', 1],
        ['true', true],
      ] as [string, unknown][]
    ).map(([n, v]): Bad => ({
      name: `${t} optionals ${n}`,
      frame: mk(t, { optionals: v }),
      reason: 'malformed',
    })),
  ),
  // adverts
  { name: 'adverts an object', frame: mk('REPORTNODE', { adverts: {} }), reason: 'malformed' },
  { name: 'adverts null', frame: mk('REPORTNODE', { adverts: null }), reason: 'malformed' },
  {
    name: 'an advert that is a number',
    frame: mk('REPORTNODE', { adverts: [1] }),
    reason: 'malformed',
  },
  {
    name: 'an advert that is null',
    frame: mk('REPORTNODE', { adverts: [null] }),
    reason: 'malformed',
  },
  {
    name: 'an advert that is an array',
    frame: mk('REPORTNODE', { adverts: [['r1', 1, [], []]] }),
    reason: 'malformed',
  },
  ...['origin', 'seq', 'nodes', 'neighbors'].map((k): Bad => ({
    name: `an advert without ${k}`,
    frame: mkAdvert({ [k]: undefined }),
    reason: 'malformed',
  })),
  { name: 'advert nodes a string', frame: mkAdvert({ nodes: 'cam1;cam2' }), reason: 'malformed' },
  // Signed adverts (issue 9): `sig` and `cert` together, bounded base64.
  { name: 'advert sig without cert', frame: mkAdvert({ sig: 'QUJD' }), reason: 'malformed' },
  { name: 'advert cert without sig', frame: mkAdvert({ cert: 'QUJD' }), reason: 'malformed' },
  { name: 'advert sig a number', frame: mkAdvert({ sig: 7, cert: 'QUJD' }), reason: 'malformed' },
  { name: 'advert cert null', frame: mkAdvert({ sig: 'QUJD', cert: null }), reason: 'malformed' },
  {
    name: 'advert sig not base64',
    frame: mkAdvert({ sig: 'QU JD', cert: 'QUJD' }),
    reason: 'malformed',
  },
  { name: 'advert sig empty', frame: mkAdvert({ sig: '', cert: 'QUJD' }), reason: 'malformed' },
  {
    name: 'advert sig over 1024 characters',
    frame: mkAdvert({ sig: 'A'.repeat(1028), cert: 'QUJD' }),
    reason: 'malformed',
  },
  {
    name: 'advert cert over 8192 characters',
    frame: mkAdvert({ sig: 'QUJD', cert: 'A'.repeat(8196) }),
    reason: 'malformed',
  },
  {
    name: 'advert nodes an object',
    frame: mkAdvert({ nodes: { cam1: true } }),
    reason: 'malformed',
  },
  { name: 'advert neighbors a string', frame: mkAdvert({ neighbors: 'r2' }), reason: 'malformed' },
  ...(
    [
      ['a number', 1],
      ['null', null],
      ['an empty name', ''],
      ['a 257-char name', N257],
      ['a control character', 'cam\u0000'],
      ['a virtual name with an empty node', 'controller[]@r1'],
      ['a virtual name with an empty router id', 'controller[cam]@'],
      ['a virtual name with a bad router id', 'monitor[cam]@r 1'],
      ['a virtual name of a virtual name', 'monitor[controller[cam]@r1]@r1'],
      ['a virtual name with a 257-char node', C(N257)],
      ['a virtual name with a 129-char router id', C('cam', ID129)],
    ] as [string, unknown][]
  ).map(([n, v]): Bad => ({
    name: `advert nodes with ${n}`,
    frame: mkAdvert({ nodes: ['cam1', v] }),
    reason: 'malformed',
  })),
  // __proto__
  {
    name: '__proto__ at top level',
    frame: '{"v":1,"t":"UPDATENODE","from":"r1","__proto__":{"polluted":1}}',
    reason: 'malformed',
  },
  {
    name: '__proto__ at top level, first',
    frame: '{"__proto__":{"v":1},"v":1,"t":"UPDATENODE","from":"r1"}',
    reason: 'malformed',
  },
  {
    name: '__proto__: null at top level',
    frame: '{"v":1,"t":"POST","node":"cam","content":1,"__proto__":null}',
    reason: 'malformed',
  },
  {
    name: '__proto__ in content',
    frame: '{"v":1,"t":"POST","node":"cam","content":{"__proto__":{"polluted":1}}}',
    reason: 'malformed',
  },
  {
    name: '__proto__ nested in content',
    frame:
      '{"v":1,"t":"COMMAND","id":1,"node":"cam","controller":"c","app":"a","content":{"a":[1,{"b":{"__proto__":{"polluted":1}}}]}}',
    reason: 'malformed',
  },
  {
    name: '__proto__ in optionals',
    frame:
      '{"v":1,"t":"START","id":1,"node":"cam","controller":"c","app":"a","optionals":{"__proto__":{"polluted":1}}}',
    reason: 'malformed',
  },
  {
    name: '__proto__ in RESPONSE content',
    frame:
      '{"v":1,"t":"RESPONSE","node":"cam","controller":"controller[cam]@r2","code":"SUCCESS","content":[{"__proto__":1}]}',
    reason: 'malformed',
  },
  {
    name: '__proto__ in EVENT content',
    frame:
      '{"v":1,"t":"EVENT","node":"cam","monitor":"monitor[cam]@r2","content":{"x":{"__proto__":[]}}}',
    reason: 'malformed',
  },
  // Depth
  {
    name: `content nested ${MAX_CONTENT_DEPTH + 1} arrays deep`,
    frame: raw('COMMAND', 'content', nestedArrays(MAX_CONTENT_DEPTH + 1)),
    reason: 'malformed',
  },
  {
    name: `content nested ${MAX_CONTENT_DEPTH + 1} objects deep`,
    frame: raw('POST', 'content', nestedObjects(MAX_CONTENT_DEPTH + 1)),
    reason: 'malformed',
  },
  {
    name: `EVENT content nested ${MAX_CONTENT_DEPTH + 1} deep`,
    frame: raw('EVENT', 'content', nestedArrays(MAX_CONTENT_DEPTH + 1)),
    reason: 'malformed',
  },
  {
    name: `RESPONSE content nested ${MAX_CONTENT_DEPTH + 1} deep`,
    frame: raw('RESPONSE', 'content', nestedArrays(MAX_CONTENT_DEPTH + 1)),
    reason: 'malformed',
  },
  {
    name: `optionals nested ${MAX_CONTENT_DEPTH + 1} deep`,
    frame: raw('START', 'optionals', nestedObjects(MAX_CONTENT_DEPTH + 1)),
    reason: 'malformed',
  },
  {
    name: 'content nested 100000 deep',
    frame: raw('POST', 'content', nestedArrays(100_000)),
    reason: 'malformed',
  },
  // An unknown field is kept and re-encoded on forwarding: it must not be able
  // to overflow the encoder's stack either.
  {
    name: 'an unknown field nested 100000 deep',
    frame: raw('POST', 'x', nestedArrays(100_000)),
    reason: 'malformed',
  },
  {
    name: `an unknown field nested ${MAX_CONTENT_DEPTH + 1} deep`,
    frame: raw('COMMAND', 'x', nestedArrays(MAX_CONTENT_DEPTH + 1)),
    reason: 'malformed',
  },
  {
    name: '__proto__ in an unknown field',
    frame: raw('POST', 'x', '{"__proto__":{"polluted":1}}'),
    reason: 'malformed',
  },
  {
    name: '__proto__ in an advert',
    frame: mk('REPORTNODE').replace('{"origin"', '{"__proto__":{"polluted":1},"origin"'),
    reason: 'malformed',
  },
];

describe('codec: bad frames', () => {
  it('has at least 60 bad frames, with unique names', () => {
    expect(bad.length).toBeGreaterThanOrEqual(60);
    expect(new Set(bad.map((b) => b.name)).size).toBe(bad.length);
  });

  it('the base messages the bad frames are built from are valid', () => {
    for (const t of TYPES) expect(decode(mk(t))).toStrictEqual(base[t]);
  });

  describe.each(bad)('$name', ({ frame, reason }) => {
    it(`decode throws CtpDecodeError ${reason}`, () => {
      const err = decodeError(frame);
      expect(err.reason).toBe(reason);
      expect(err.code).toBe('ERR_CTP_DECODE');
      expect(err.name).toBe('CtpDecodeError');
      expect(typeof err.message).toBe('string');
    });
    it(`a router drops it (${reason}) and does nothing else`, () => {
      const h = harness();
      expectDroppedOnly(h, frame, reason);
      expect(h.decodeSpy).toHaveBeenCalledTimes(1);
    });
  });
});

// ---------------------------------------------------------------------------
// Router-level input checks: size, bytes, types
// ---------------------------------------------------------------------------

/** A valid POST to the local node `cam` of exactly `bytes` UTF-8 bytes, content filled with `fill`. */
function postOfBytes(bytes: number, fill: string): string {
  const empty = '{"v":1,"t":"POST","node":"cam","content":""}';
  const room = bytes - Buffer.byteLength(empty);
  const per = Buffer.byteLength(fill);
  let content = fill.repeat(Math.floor(room / per));
  content += 'x'.repeat(room - Buffer.byteLength(content));
  const frame = `{"v":1,"t":"POST","node":"cam","content":"${content}"}`;
  expect(Buffer.byteLength(frame)).toBe(bytes);
  return frame;
}

describe('router: frame size (too-large, before parsing)', () => {
  const MAX = 1024;

  it('accepts a frame of exactly maxFrameBytes bytes', () => {
    const h = harness({ maxFrameBytes: MAX });
    const frame = postOfBytes(MAX, 'a');
    h.router.receive(h.peer, frame);
    expect(h.decodeSpy).toHaveBeenCalledWith(frame);
    expect(h.dropped).toEqual([]);
    expect(h.router.stats().dropped).toEqual({});
  });

  it.each([
    ['ASCII', 'a'],
    ['2-byte é', 'é'],
    ['3-byte €', '€'],
    ['4-byte 😀', '😀'],
  ])('drops a frame of maxFrameBytes + 1 bytes (%s)', (_n, fill) => {
    const h = harness({ maxFrameBytes: MAX });
    expectDroppedOnly(h, postOfBytes(MAX + 1, fill), 'too-large', { decoded: false });
  });

  it.each([
    ['2-byte é', 'é'],
    ['3-byte €', '€'],
    ['4-byte 😀', '😀'],
  ])('counts bytes, not UTF-16 code units (%s)', (_n, fill) => {
    const h = harness({ maxFrameBytes: MAX });
    const frame = postOfBytes(MAX + 1, fill);
    expect(frame.length).toBeLessThanOrEqual(MAX);
    expectDroppedOnly(h, frame, 'too-large', { decoded: false });
  });

  it('accepts a multibyte frame of exactly maxFrameBytes bytes', () => {
    const h = harness({ maxFrameBytes: MAX });
    const frame = postOfBytes(MAX, '€');
    h.router.receive(h.peer, frame);
    expect(h.decodeSpy).toHaveBeenCalledWith(frame);
    expect(h.dropped).toEqual([]);
  });

  it('drops an oversized frame as too-large even when it is not JSON (never parsed)', () => {
    const h = harness({ maxFrameBytes: MAX });
    expectDroppedOnly(h, '{'.repeat(MAX + 1), 'too-large', { decoded: false });
  });

  it('drops an oversized Buffer or Uint8Array by byte length', () => {
    const frame = postOfBytes(MAX + 1, 'é');
    const h1 = harness({ maxFrameBytes: MAX });
    expectDroppedOnly(h1, Buffer.from(frame), 'too-large', { decoded: false });
    const h2 = harness({ maxFrameBytes: MAX });
    expectDroppedOnly(h2, new Uint8Array(MAX + 1).fill(0xff), 'too-large', { decoded: false });
  });

  it('uses the default maxFrameBytes of 8 MiB', () => {
    const h = harness();
    expectDroppedOnly(h, 'x'.repeat(8 * 1024 * 1024 + 1), 'too-large', { decoded: false });
  });
});

describe('router: bytes and non-text frames', () => {
  it('accepts a Buffer frame and decodes it as UTF-8', () => {
    const h = harness();
    const frame = '{"v":1,"t":"POST","node":"cam","content":"é€😀 カメラ"}';
    h.router.receive(h.peer, Buffer.from(frame, 'utf8'));
    expect(h.decodeSpy).toHaveBeenCalledTimes(1);
    expect(h.decodeSpy).toHaveBeenCalledWith(frame);
    expect(h.dropped).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('accepts a plain Uint8Array frame', () => {
    const h = harness();
    const frame = '{"v":1,"t":"UPDATENODE","from":"r1"}';
    h.router.receive(h.peer, new TextEncoder().encode(frame));
    expect(h.decodeSpy).toHaveBeenCalledWith(frame);
    expect(h.dropped).toEqual([]);
    // UPDATENODE is answered with the table.
    expect(h.send).toHaveBeenCalledWith(h.peer, expect.stringContaining('"t":"REPORTNODE"'));
  });

  it('applies the decode rules to a Buffer frame', () => {
    const h = harness();
    expectDroppedOnly(h, Buffer.from(mk('UPDATENODE', { v: 2 })), 'unsupported-version');
  });

  it.each([
    ['a lone 0xff byte', [0x7b, 0xff, 0x7d]],
    ['a lone continuation byte', [0x22, 0x80, 0x22]],
    ['an overlong NUL (C0 80)', [0x22, 0xc0, 0x80, 0x22]],
    ['an encoded surrogate (ED A0 80)', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a truncated 3-byte sequence', [0x22, 0xe2, 0x82]],
    ['a code point above U+10FFFF (F4 90 80 80)', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
  ])('drops a frame with invalid UTF-8 (%s) as malformed, unparsed', (_n, bytes) => {
    const h = harness();
    expectDroppedOnly(h, Buffer.from(bytes as number[]), 'malformed', { decoded: false });
  });

  it('drops a valid frame with invalid UTF-8 inside a string as malformed', () => {
    const h = harness();
    const good = Buffer.from('{"v":1,"t":"POST","node":"cam","content":"ab"}');
    const i = good.indexOf('ab');
    good[i] = 0xfe;
    expectDroppedOnly(h, good, 'malformed', { decoded: false });
  });

  it.each([
    ['a number', 42],
    ['an object', { v: 1, t: 'UPDATENODE', from: 'r1' }],
    ['undefined', undefined],
    ['null', null],
    ['an array', ['{"v":1}']],
    ['a boolean', true],
    ['a bigint', 1n],
    ['a symbol', Symbol('x')],
    ['a function', () => '{}'],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a DataView', new DataView(new ArrayBuffer(4))],
    ['a String object', new String('{"v":1,"t":"UPDATENODE","from":"r1"}')],
  ])('never throws on %s and drops it as malformed', (_n, frame) => {
    const h = harness();
    expectDroppedOnly(h, frame, 'malformed', { decoded: false });
  });

  it('decode itself refuses a non-string as malformed', () => {
    for (const v of [42, null, undefined, {}, Buffer.from('{}')])
      expect(decodeError(v).reason).toBe('malformed');
  });

  it('counts drops per reason across frames', () => {
    const h = harness({ maxFrameBytes: 1024 }); // 1 KiB (8 MiB by default): the 2000-byte frame below is too large
    h.router.receive(h.peer, 'nope');
    h.router.receive(h.peer, mk('POST', { v: 2 }));
    h.router.receive(h.peer, mk('POST', { t: 'X' }));
    h.router.receive(h.peer, 'x'.repeat(2000));
    h.router.receive(h.peer, '[]');
    expect(h.router.stats().dropped).toEqual({
      malformed: 2,
      'unsupported-version': 1,
      'unknown-type': 1,
      'too-large': 1,
    });
    expect(h.router.stats().framesIn).toBe(5);
    expect(h.dropped.map((d) => d.reason)).toEqual([
      'malformed',
      'unsupported-version',
      'unknown-type',
      'too-large',
      'malformed',
    ]);
    expect(h.send).not.toHaveBeenCalled();
    expect(h.errors).toEqual([]);
  });
});

describe('prototype pollution', () => {
  const protoKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const frames = [
    '{"v":1,"t":"UPDATENODE","from":"r1","__proto__":{"polluted":"top"}}',
    '{"v":1,"t":"POST","node":"cam","content":{"__proto__":{"polluted":"content"}}}',
    '{"v":1,"t":"START","id":1,"node":"cam","controller":"controller[cam]@r1","app":"a","optionals":{"__proto__":{"polluted":"optionals"}}}',
    '{"v":1,"t":"POST","node":"cam","content":{"constructor":{"prototype":{"polluted":"ctor"}}}}',
    '{"v":1,"t":"POST","node":"cam","content":1,"constructor":{"prototype":{"polluted":"ctor-top"}}}',
    '{"v":1,"t":"REPORTNODE","from":"r1","adverts":[{"origin":"r1","seq":1,"nodes":["__proto__","constructor","toString"],"neighbors":["r2"]}]}',
  ];

  function expectClean(): void {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeysBefore);
    expect(Object.prototype.toString.call({})).toBe('[object Object]');
  }

  it('decoding __proto__ frames does not pollute Object.prototype', () => {
    for (const f of frames) {
      try {
        const m = decode(f);
        // Merging the decoded message or its content the way hosts do must be safe too.
        Object.assign({}, m, (m as { content?: object }).content);
        void { ...m };
      } catch (err) {
        expect(err).toBeInstanceOf(CtpDecodeError);
      }
    }
    expectClean();
  });

  it('frames with __proto__ through a router do not pollute Object.prototype', () => {
    const h = harness();
    for (const f of frames) h.router.receive(h.peer, f);
    h.router.receive(h.peer, Buffer.from(frames[0] as string));
    expect(h.errors).toEqual([]);
    expect(h.router.stats().dropped.malformed).toBe(4);
    // Names that are Object.prototype keys are ordinary node names in the table.
    expect(h.router.nodes()).toEqual(['__proto__', 'cam', 'constructor', 'other', 'toString']);
    expect(Object.keys(h.router.snapshot().nodes).sort()).toEqual([
      '__proto__',
      'cam',
      'constructor',
      'other',
      'toString',
    ]);
    expectClean();
  });

  it('accepts `constructor` and `prototype` keys in content (they are harmless data)', () => {
    const m = decode(
      '{"v":1,"t":"POST","node":"cam","content":{"constructor":{"prototype":{"polluted":1}}}}',
    ) as { content: Obj };
    expect(Object.keys(m.content)).toEqual(['constructor']);
    expectClean();
  });
});

describe('forwarding keeps unknown fields, and only bounded ones', () => {
  /** Router r2 with a two-way neighbor r1 (behind peer pB) that hosts `far`. */
  function withNeighbor(): Harness & { pB: { name: string } } {
    const h = harness();
    const pB = { name: 'pB' };
    h.router.receive(
      pB,
      JSON.stringify({
        v: 1,
        t: 'REPORTNODE',
        from: 'r1',
        adverts: [{ origin: 'r1', seq: 1, nodes: ['far'], neighbors: ['r2'] }],
      }),
    );
    expect(h.router.nodes()).toEqual(['cam', 'far', 'other']);
    expect(h.dropped).toEqual([]);
    h.send.mockClear();
    h.onNodesUpdated.mockClear();
    return { ...h, pB };
  }

  it('a forwarded frame keeps every field it arrived with; only hops changes', () => {
    const h = withNeighbor();
    h.router.receive(
      h.peer,
      '{"v":1,"t":"POST","to":"r1","node":"far","content":[1],"ext":{"a":[1,{"b":"c"}]},"hops":2,"zz":null}',
    );
    expect(h.send.mock.calls).toEqual([
      [
        h.pB,
        '{"v":1,"t":"POST","to":"r1","node":"far","content":[1],"ext":{"a":[1,{"b":"c"}]},"hops":3,"zz":null}',
      ],
    ]);
    h.router.receive(h.peer, '{"v":1,"t":"POST","to":"r1","node":"far","content":1,"ext":true}');
    expect(h.send.mock.calls[1]).toEqual([
      h.pB,
      '{"v":1,"t":"POST","to":"r1","node":"far","content":1,"ext":true,"hops":1}',
    ]);
    expect(h.router.stats().forwarded).toBe(2);
    expect(h.errors).toEqual([]);
  });

  it('a frame to be forwarded whose unknown field is nested 100000 deep is dropped malformed, with no error', () => {
    const h = withNeighbor();
    const frame = `{"v":1,"t":"POST","to":"r1","node":"far","content":1,"x":${nestedArrays(100_000)}}`;
    expectDroppedOnly(h, frame, 'malformed');
    expect(h.router.stats().forwarded).toBe(0);
  });
});
