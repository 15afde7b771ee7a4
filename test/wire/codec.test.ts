/**
 * Codec v1 (PROTOCOL.md section 6) against its fixtures (fixtures.ts), as
 * mqtt-packet does: one test per good fixture checks decode, encode, the
 * round trip, a router taking it, and the frame's bytes split across TCP
 * chunks at every position (20 of them for long frames); one test per bad
 * fixture asserts the decode error and, through a real router, that the frame
 * is dropped with that reason and nothing else happens.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decode, encode, jsonCodec } from '../../src/wire/codec.js';
import { CtpDecodeError } from '../../src/base/errors.js';
import type { CtpDropped } from '../../src/events.js';
import type { CtpMessage } from '../../src/base/messages.js';
import { CtpRouter } from '../../src/router.js';
import { LineSplitter } from '../../src/tcp/line-splitter.js';
import { frameText } from '../../src/wire/admission.js';
import { BAD, BASE, GOOD, mk, nestedArrays, TYPES } from './fixtures.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

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
// Frames split across TCP chunks
// ---------------------------------------------------------------------------

/** The TCP transport's default `maxFrameBytes` (src/tcp/options.ts), the splitter's line limit. */
const TCP_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * The lines a TCP connection's splitter (src/tcp/connection.ts) hands on when
 * `chunks` arrive, as the router's admission (src/wire/admission.ts) turns
 * them into text.
 */
function tcpLines(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(
    TCP_MAX_FRAME_BYTES,
    (line) => {
      const text = frameText(line, TCP_MAX_FRAME_BYTES);
      if (typeof text !== 'string') throw new Error(`refused: ${text.reason}`);
      lines.push(text);
    },
    (bytes) => {
      throw new Error(`oversized line of ${bytes} bytes`);
    },
  );
  for (const c of chunks) expect(splitter.push(c)).toBe(true);
  expect(splitter.buffered).toBe(0);
  return lines;
}

/**
 * Where to cut `bytes` in two: everywhere for a frame under 300 bytes;
 * otherwise 20 places: both ends, inside multi-byte characters (up to 4, when
 * there are any), and evenly spread.
 */
function splitPoints(bytes: Buffer): number[] {
  const n = bytes.length;
  if (n < 300) return Array.from({ length: n - 1 }, (_, i) => i + 1);
  const points = new Set([1, 2, n - 2, n - 1]);
  // A continuation byte (10xxxxxx): cutting before it splits a character.
  const inside: number[] = [];
  for (let i = 0; i < n; i++) if (((bytes[i] as number) & 0xc0) === 0x80) inside.push(i);
  for (let k = 0; k < Math.min(4, inside.length); k++)
    points.add(inside[Math.floor((k * inside.length) / 4)] as number);
  for (let k = 1; points.size < 20; k++) points.add(Math.floor((k * n) / 17));
  return [...points].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------
// Good fixtures
// ---------------------------------------------------------------------------

describe('codec fixtures', () => {
  it('cover every message type, with unique names', () => {
    expect(new Set(GOOD.map((g) => g.message.t))).toEqual(
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
    expect(new Set(GOOD.map((g) => g.name)).size).toBe(GOOD.length);
    expect(new Set(BAD.map((b) => b.name)).size).toBe(BAD.length);
    expect(BAD.length).toBeGreaterThanOrEqual(60);
  });

  it('are counted in docs/testing.md as they are', () => {
    const readme = readFileSync(new URL('../../docs/testing.md', import.meta.url), 'utf8');
    expect(readme).toContain(`${GOOD.length} good and ${BAD.length} bad codec fixtures`);
  });

  it('the base messages the bad frames are built from are valid', () => {
    for (const t of TYPES) expect(decode(mk(t))).toStrictEqual(BASE[t]);
  });

  it('split positions reach inside multi-byte characters of long frames', () => {
    const long = GOOD.filter((g) => Buffer.byteLength(g.frame) >= 300);
    const cutInside = long.filter((g) => {
      const bytes = Buffer.from(`${g.frame}\n`);
      return splitPoints(bytes).some((p) => ((bytes[p] as number) & 0xc0) === 0x80);
    });
    expect(cutInside.length).toBeGreaterThanOrEqual(2);
    for (const g of long) expect(splitPoints(Buffer.from(`${g.frame}\n`))).toHaveLength(20);
  });
});

describe.each(GOOD)('good: $name', ({ message, frame, canonical }) => {
  it('decodes, encodes, round-trips, reaches a router and survives any split into TCP chunks', () => {
    // Decode.
    expect(decode(frame)).toStrictEqual(message);
    // Encode, and the round trip both ways.
    expect(decode(encode(message))).toStrictEqual(message);
    expect(jsonCodec.decode(jsonCodec.encode(message))).toStrictEqual(message);
    if (canonical !== false) {
      expect(encode(message)).toBe(frame);
      expect(encode(decode(frame))).toBe(frame);
    } else expect(encode(message)).not.toBe(frame);

    // A router takes it: the codec accepted it (the router may still drop it for a routing reason).
    const h = harness();
    h.router.receive(h.peer, frame);
    expect(h.decodeSpy).toHaveBeenCalledTimes(1);
    expect(h.decodeSpy).toHaveReturnedTimes(1);
    for (const d of h.dropped)
      expect(['unsupported-version', 'unknown-type', 'too-large']).not.toContain(d.reason);
    expect(h.errors).toEqual([]);

    // Over TCP: the frame and its newline in two chunks, cut at each split point, then byte by byte.
    // (A frame spelled with raw line breaks is no TCP frame: the encoded one travels instead.)
    const line = /[\r\n]/.test(frame) ? encode(message) : frame;
    const bytes = Buffer.from(`${line}\n`);
    for (const p of splitPoints(bytes)) {
      const lines = tcpLines([bytes.subarray(0, p), bytes.subarray(p)]);
      expect(lines, `cut at byte ${p}`).toEqual([line]);
      expect(decode(lines[0] as string), `cut at byte ${p}`).toStrictEqual(message);
    }
    const byByte = tcpLines([...bytes].map((b) => Buffer.from([b])));
    expect(byByte).toEqual([line]);
    expect(decode(byByte[0] as string)).toStrictEqual(message);
  });
});

describe('encoding', () => {
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
// Bad fixtures
// ---------------------------------------------------------------------------

describe.each(BAD)('bad: $name', ({ frame, reason }) => {
  it(`decode throws CtpDecodeError ${reason}; a router drops it (${reason}) and does nothing else`, () => {
    const err = decodeError(frame);
    expect(err.reason).toBe(reason);
    expect(err.code).toBe('ERR_CTP_DECODE');
    expect(err.name).toBe('CtpDecodeError');
    expect(typeof err.message).toBe('string');
    const h = harness();
    expectDroppedOnly(h, frame, reason);
    expect(h.decodeSpy).toHaveBeenCalledTimes(1);
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
