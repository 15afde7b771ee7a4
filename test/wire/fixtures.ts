/**
 * Codec v1 fixtures (PROTOCOL.md section 6), the mqtt-packet way: `GOOD` holds
 * one `{ name, message, frame }` per frame shape, `BAD` one `{ name, frame,
 * reason }` per malformed frame with the drop reason it earns. The tests
 * (codec.test.ts) check each good fixture once (decode, encode, round trip,
 * and the frame split across TCP chunks) and each bad one once (the decode
 * error and a router's drop).
 *
 * A rule that applies alike to several fields or message types is checked
 * with each bad value once and at each site once (`zip` below), not with
 * their product: every value and every site still has its fixture.
 */
import { MAX_CONTENT_DEPTH } from '../../src/wire/codec.js';
import type { CtpMessage } from '../../src/base/messages.js';
import { virtualName } from '../../src/base/names.js';

type Obj = Record<string, unknown>;

/** One valid frame and the message it decodes to. */
export interface GoodFixture {
  name: string;
  message: CtpMessage;
  frame: string;
  /** `false`: a spelling `encode` does not produce (whitespace, escapes, `1.0`, a repeated key). */
  canonical?: false;
}

/** One frame the codec refuses, and the drop reason. */
export interface BadFixture {
  name: string;
  frame: string;
  reason: 'malformed' | 'unsupported-version' | 'unknown-type';
}

export const N256 = 'n'.repeat(256);
const N257 = 'n'.repeat(257);
const ID128 = 'r'.repeat(128);
const ID129 = 'r'.repeat(129);
const C = (node: string, id = 'r1'): string => virtualName('controller', node, id);
const M = (node: string, id = 'r1'): string => virtualName('monitor', node, id);

/** `depth` arrays nested in each other: depth 1 is `[]`. */
export function nestedArrays(depth: number, inner = ''): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}
/** `depth` objects nested in each other under key `a`: depth 1 is `{}`. */
function nestedObjects(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
}

/**
 * Each of `values` at one of `sites` in turn, until every value and every
 * site has had its turn: max(values, sites) pairs instead of their product.
 */
function zip<V, S>(values: readonly V[], sites: readonly S[]): [V, S][] {
  const n = Math.max(values.length, sites.length);
  return Array.from({ length: n }, (_, i) => [
    values[i % values.length] as V,
    sites[i % sites.length] as S,
  ]);
}

// ---------------------------------------------------------------------------
// Good frames
// ---------------------------------------------------------------------------

const deep64 = JSON.parse(nestedArrays(MAX_CONTENT_DEPTH, '1')) as unknown;

export const GOOD: GoodFixture[] = [
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
  // REGISTER claims (a registrant router's table sequence, signed with identities)
  {
    name: 'REGISTER with a claim and its claimSig, both at their limits',
    message: {
      v: 1,
      t: 'REGISTER',
      id: 32,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      claim: Number.MAX_SAFE_INTEGER,
      claimSig: 'A'.repeat(1020) + 'QQ==',
    },
    frame: `{"v":1,"t":"REGISTER","id":32,"to":"r2","node":"cam","controller":"controller[cam]@r1","claim":9007199254740991,"claimSig":"${'A'.repeat(1020)}QQ=="}`,
  },
  {
    name: 'REGISTER with an unsigned claim and idleTimeoutMs',
    message: {
      v: 1,
      t: 'REGISTER',
      id: 33,
      node: 'cam',
      monitor: 'monitor[cam]@r1',
      idleTimeoutMs: 5000,
      claim: 1,
    },
    frame:
      '{"v":1,"t":"REGISTER","id":33,"node":"cam","monitor":"monitor[cam]@r1","idleTimeoutMs":5000,"claim":1}',
  },
  {
    name: 'REGISTER refresh with the largest safe idleTimeoutMs',
    message: {
      v: 1,
      t: 'REGISTER',
      id: 34,
      node: 'cam',
      controller: 'controller[cam]@r1',
      refresh: true,
      idleTimeoutMs: Number.MAX_SAFE_INTEGER,
    },
    frame:
      '{"v":1,"t":"REGISTER","id":34,"node":"cam","controller":"controller[cam]@r1","refresh":true,"idleTimeoutMs":9007199254740991}',
  },
  // ttl (the caller's remaining time)
  {
    name: 'START with ttl 0',
    message: {
      v: 1,
      t: 'START',
      id: 35,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'stream',
      ttl: 0,
    },
    frame:
      '{"v":1,"t":"START","id":35,"node":"cam","controller":"controller[cam]@r1","app":"stream","ttl":0}',
  },
  {
    name: 'STOP with the largest safe ttl and optionals',
    message: {
      v: 1,
      t: 'STOP',
      id: 36,
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'stream',
      optionals: { force: false },
      ttl: Number.MAX_SAFE_INTEGER,
    },
    frame:
      '{"v":1,"t":"STOP","id":36,"node":"cam","controller":"controller[cam]@r1","app":"stream","optionals":{"force":false},"ttl":9007199254740991}',
  },
  {
    name: 'COMMAND with ttl and hops',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 37,
      to: 'r2',
      node: 'cam',
      controller: 'controller[cam]@r1',
      app: 'pan',
      content: { deg: -3 },
      ttl: 120000,
      hops: 2,
    },
    frame:
      '{"v":1,"t":"COMMAND","id":37,"to":"r2","node":"cam","controller":"controller[cam]@r1","app":"pan","content":{"deg":-3},"ttl":120000,"hops":2}',
  },
  // Long names of multi-byte characters (their frames are split inside a character)
  {
    name: 'COMMAND to a node of 256 UTF-16 code units: 128 four-byte emoji',
    message: {
      v: 1,
      t: 'COMMAND',
      id: 38,
      node: '😀'.repeat(128),
      controller: C('😀'.repeat(128)),
      app: 'a',
      content: '€',
    },
    frame: `{"v":1,"t":"COMMAND","id":38,"node":"${'😀'.repeat(128)}","controller":"controller[${'😀'.repeat(128)}]@r1","app":"a","content":"€"}`,
  },
  {
    name: 'EVENT from a node of 256 three-byte characters, to its monitor',
    message: {
      v: 1,
      t: 'EVENT',
      node: 'カ'.repeat(256),
      monitor: M('カ'.repeat(256), ID128),
      content: { 温度: 21.5 },
    },
    frame: `{"v":1,"t":"EVENT","node":"${'カ'.repeat(256)}","monitor":"monitor[${'カ'.repeat(256)}]@${ID128}","content":{"温度":21.5}}`,
  },
  // Spellings encode does not produce
  {
    name: 'whitespace and line breaks between tokens, keys in another order',
    message: { t: 'UPDATENODE', from: 'r1', v: 1 } as CtpMessage,
    frame: ' {\n "t" : "UPDATENODE" ,\r\n\t"from":"r1", "v" : 1 }\n',
    canonical: false,
  },
  {
    name: 'v as 1.0 and content as an exponent',
    message: { v: 1, t: 'POST', node: 'cam', content: 100 },
    frame: '{"v":1.0,"t":"POST","node":"cam","content":1e2}',
    canonical: false,
  },
  {
    name: 'v as 1e0 and \\u escapes in the node and content',
    message: { v: 1, t: 'POST', node: 'cam', content: 'é' },
    frame: '{"v":1e0,"t":"POST","node":"\\u0063am","content":"\\u00e9"}',
    canonical: false,
  },
  {
    name: 'id 2.0 and hops 1e1',
    message: { v: 1, t: 'REGISTER', id: 2, node: 'cam', monitor: 'm', hops: 10 },
    frame: '{"v":1,"t":"REGISTER","id":2.0,"node":"cam","monitor":"m","hops":1e1}',
    canonical: false,
  },
  {
    name: 'a repeated key: the last one counts',
    message: { v: 1, t: 'UPDATENODE', from: 'r1' },
    frame: '{"v":2,"v":1,"t":"UPDATENODE","from":"r1"}',
    canonical: false,
  },
];

// ---------------------------------------------------------------------------
// Bad frames
// ---------------------------------------------------------------------------

/** A valid message of each type, addressed to router r2 which hosts `cam`. */
export const BASE: Record<string, Obj> = {
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
export const TYPES = Object.keys(BASE);
const REQUESTS = ['REGISTER', 'UNREGISTER', 'START', 'STOP', 'COMMAND'];

/** `BASE[t]` with `changes` applied (`undefined` deletes a field), as a frame. */
export function mk(t: string, changes: Obj = {}): string {
  const o: Obj = { ...BASE[t] };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete o[k];
    else o[k] = v;
  }
  return JSON.stringify(o);
}
/** `BASE.REPORTNODE` with a second advert, changed. */
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
/** Replace the JSON text of field `key` of `BASE[t]` with raw `text` (for values JSON.stringify cannot write). */
function raw(t: string, key: string, text: string): string {
  const o: Obj = { ...BASE[t], [key]: '\u0001RAW\u0001' };
  return JSON.stringify(o).replace('"\\u0001RAW\\u0001"', text);
}
const show = (v: unknown): string =>
  typeof v === 'string' && v.length > 40
    ? `${v.slice(0, 12)}… (${v.length} chars)`
    : JSON.stringify(v);

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
const badNonNegative = badIntegers.filter(([n]) => n !== 'zero');
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
/** Where a router id goes: `from`, an advert's `origin` and `neighbors`, each request's `to`. */
const routerIdSites: [string, (v: unknown) => string][] = [
  ['REPORTNODE from', (v) => mk('REPORTNODE', { from: v })],
  ['UPDATENODE from', (v) => mk('UPDATENODE', { from: v })],
  ['advert origin', (v) => mkAdvert({ origin: v })],
  ['advert neighbor', (v) => mkAdvert({ neighbors: ['r2', v] })],
  ...['REGISTER', 'UNREGISTER', 'START', 'STOP', 'COMMAND', 'POST'].map(
    (t): [string, (v: unknown) => string] => [`${t} to`, (v) => mk(t, { to: v })],
  ),
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
/**
 * The string fields of each type's base message checked as strings only (the
 * node names, router ids and destinations, non-strings included, have their
 * own lists above and below).
 */
const stringSites: [string, string][] = TYPES.flatMap((t) =>
  ['controller', 'monitor', 'app', 'code', 'reason']
    .filter((k) => k in (BASE[t] as Obj))
    .filter((k) => !(t === 'RESPONSE' && k === 'controller') && !(t === 'EVENT' && k === 'monitor'))
    .map((k): [string, string] => [t, k]),
);

const bad: BadFixture[] = [
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
  // Safe integers: hops (any type) and advert seq non-negative; id (each request) and re positive
  ...zip(badNonNegative, TYPES).map(([[n, text], t]): BadFixture => ({
    name: `${t} hops ${n}`,
    frame: raw(t, 'hops', text),
    reason: 'malformed',
  })),
  ...zip(badIntegers, REQUESTS).map(([[n, text], t]): BadFixture => ({
    name: `${t} id ${n}`,
    frame: raw(t, 'id', text),
    reason: 'malformed',
  })),
  ...badIntegers.map(([n, text]): BadFixture => ({
    name: `RESPONSE re ${n}`,
    frame: raw('RESPONSE', 're', text),
    reason: 'malformed',
  })),
  ...badNonNegative.map(([n, text]): BadFixture => ({
    name: `advert seq ${n}`,
    frame: mk('REPORTNODE', {
      adverts: [{ origin: 'r1', seq: '\u0001RAW\u0001', nodes: [], neighbors: [] }],
    }).replace('"\\u0001RAW\\u0001"', text),
    reason: 'malformed',
  })),
  // Each required field missing, for each type
  ...TYPES.flatMap((t) =>
    (required[t] as string[]).map((k): BadFixture => ({
      name: `${t} without ${k}`,
      frame: mk(t, { [k]: undefined }),
      reason: 'malformed',
    })),
  ),
  // Each string-only field of each type, mistyped
  ...zip(notString, stringSites).map(([v, [t, k]]): BadFixture => ({
    name: `${t} ${k}: ${JSON.stringify(v)}`,
    frame: mk(t, { [k]: v }),
    reason: 'malformed',
  })),
  // Invalid node names, at each type that has a node
  ...zip(
    badNodeNames,
    TYPES.filter((t) => 'node' in (BASE[t] as Obj)),
  ).map(([[n, v], t]): BadFixture => {
    // Keep the destination a virtual node of the bad name so only `node` is wrong.
    const changes: Obj = { node: v };
    if (typeof v === 'string' && t === 'RESPONSE') changes.controller = C(v, 'r2');
    if (typeof v === 'string' && t === 'EVENT') changes.monitor = M(v, 'r2');
    return { name: `${t} node ${n}`, frame: mk(t, changes), reason: 'malformed' };
  }),
  // Bad router ids, at each place one goes
  ...zip(badRouterIds, routerIdSites).map(([[n, v], [site, frame]]): BadFixture => ({
    name: `${site} ${n}`,
    frame: frame(v),
    reason: 'malformed',
  })),
  // REGISTER / UNREGISTER registrant
  {
    name: 'REGISTER with both controller and monitor',
    frame: mk('REGISTER', { monitor: 'monitor[cam]@r1' }),
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
  // REGISTER idleTimeoutMs and claim: positive safe integers; claimSig: bounded base64
  ...([0, -5, 1.5, '5000', null, 2 ** 53] as unknown[]).map((v): BadFixture => ({
    name: `REGISTER idleTimeoutMs ${JSON.stringify(v)}`,
    frame: mk('REGISTER', { idleTimeoutMs: v }),
    reason: 'malformed',
  })),
  ...([0, -1, 1.5, '5', null, 2 ** 53] as unknown[]).map((v): BadFixture => ({
    name: `REGISTER claim ${JSON.stringify(v)}`,
    frame: mk('REGISTER', { claim: v }),
    reason: 'malformed',
  })),
  ...([12, null, '', 'not base64!', 'QU JD', 'A'.repeat(1028)] as unknown[]).map(
    (v): BadFixture => ({
      name: `REGISTER claimSig ${show(v)}`,
      frame: mk('REGISTER', { claim: 5, claimSig: v }),
      reason: 'malformed',
    }),
  ),
  // ttl: a non-negative safe integer, on START, STOP and COMMAND
  ...zip([-1, 1.5, '5', null, true, 2 ** 53, {}] as unknown[], ['START', 'STOP', 'COMMAND']).map(
    ([v, t]): BadFixture => ({
      name: `${t} ttl ${JSON.stringify(v)}`,
      frame: mk(t, { ttl: v }),
      reason: 'malformed',
    }),
  ),
  // RESPONSE / EVENT destinations
  ...zip(badDestinations, [
    ['RESPONSE', 'controller'],
    ['EVENT', 'monitor'],
  ]).map(([[n, v], [t, k]]): BadFixture => ({
    name: `${t} to ${n}`,
    frame: mk(t as string, { [k as string]: v }),
    reason: 'malformed',
  })),
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
  // code
  ...['success', 'OK', '', 'SUCCESS ', 'toString'].map((code): BadFixture => ({
    name: `RESPONSE code ${JSON.stringify(code)}`,
    frame: mk('RESPONSE', { code }),
    reason: 'malformed',
  })),
  // optionals
  ...zip(
    [
      ['an array', [1]],
      ['null', null],
      ['a string', 'x'],
      ['a number', 1],
      ['true', true],
    ] as [string, unknown][],
    ['START', 'STOP'],
  ).map(([[n, v], t]): BadFixture => ({
    name: `${t} optionals ${n}`,
    frame: mk(t, { optionals: v }),
    reason: 'malformed',
  })),
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
  ...['origin', 'seq', 'nodes', 'neighbors'].map((k): BadFixture => ({
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
  ).map(([n, v]): BadFixture => ({
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

/** The bad frames; each frame once (the first name that builds it is kept). */
export const BAD: BadFixture[] = bad.filter(
  (b, i) => bad.findIndex((o) => o.frame === b.frame) === i,
);
