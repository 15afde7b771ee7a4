/**
 * Property-based codec tests (fast-check). fast-check prints the seed and the
 * shrunk counterexample on failure; replay with `{ seed, path }` in the
 * parameters of the failing `fc.assert`.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, encode, MAX_CONTENT_DEPTH } from '../../src/wire/codec.js';
import { CtpDecodeError } from '../../src/base/errors.js';
import { DropReason } from '../../src/events.js';
import { ReturnCode, type CtpMessage } from '../../src/base/messages.js';
import { virtualName } from '../../src/base/names.js';
import { CtpRouter } from '../../src/router.js';

const NUM_RUNS = 300;
const CODEC_REASONS = ['malformed', 'unsupported-version', 'unknown-type'];
const SPEC_REASONS: string[] = Object.values(DropReason);

// ---------------------------------------------------------------------------
// Arbitraries, built from the SPEC rules (not from the predicates under test)
// ---------------------------------------------------------------------------

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-'.split('');
const routerId = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 12 }),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 120, maxLength: 128 }),
  },
);

// SPEC.md section 1: 1–256 characters, no U+0000–U+001F or U+007F, and not of
// the reserved form `controller[…]@…` / `monitor[…]@…`.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const RESERVED = /^(?:controller|monitor)\[[\s\S]*\]@/;
const nameUnit = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'a',
      'b',
      'z',
      '0',
      ' ',
      ';',
      '[',
      ']',
      '@',
      ']@',
      'é',
      'カ',
      '😀',
      '\u2028',
      '\ud800',
      '\udc00',
      '"',
      '\\',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('controller[', 'monitor[') },
);
const plainName = fc
  .oneof(
    { weight: 6, arbitrary: fc.string({ unit: nameUnit, minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: nameUnit, minLength: 200, maxLength: 256 }) },
  )
  .map((s) => (s.length > 256 ? s.slice(0, 256) : s))
  .filter((s) => s.length >= 1 && s.length <= 256 && !CONTROL.test(s) && !RESERVED.test(s));
const regType = fc.constantFrom('controller' as const, 'monitor' as const);
const virtualOf = (node: string): fc.Arbitrary<string> =>
  fc.tuple(regType, routerId).map(([t, id]) => virtualName(t, node, id));
const advertName = fc.oneof(plainName, plainName.chain(virtualOf));

function hasProtoKey(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasProtoKey);
  return Object.keys(v).some(
    (k) => k === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k]),
  );
}
// What JSON carries unchanged: no `-0` (it travels as `0`), no `__proto__` keys.
const json = fc
  .jsonValue({ maxDepth: 4 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
  .filter((v) => !hasProtoKey(v));
const jsonObject = fc
  .dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 5, noNullPrototype: true })
  .map((v) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>)
  .filter((v) => !hasProtoKey(v));

const requestId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const hops = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const code = fc.constantFrom(...Object.values(ReturnCode));
/** Unknown extra fields a newer peer might send. */
const extras = fc.record(
  { ext: json, zz_future: fc.string() },
  { requiredKeys: [], noNullPrototype: true },
);

function withBase<T extends Record<string, unknown>>(
  t: string,
  fields: fc.Arbitrary<T>,
): fc.Arbitrary<CtpMessage> {
  return fc.tuple(fields, fc.option(hops, { nil: undefined }), extras).map(([f, h, x]) => {
    const m: Record<string, unknown> = { v: 1, t, ...f };
    if (h !== undefined) m.hops = h;
    return { ...m, ...x } as unknown as CtpMessage;
  });
}

const advert = fc.record(
  {
    origin: routerId,
    seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    nodes: fc.array(advertName, { maxLength: 5 }),
    neighbors: fc.array(routerId, { maxLength: 4 }),
  },
  { noNullPrototype: true },
);

const reportNode = withBase(
  'REPORTNODE',
  fc.record(
    { from: routerId, adverts: fc.array(advert, { maxLength: 3 }) },
    { noNullPrototype: true },
  ),
);
const updateNode = withBase('UPDATENODE', fc.record({ from: routerId }, { noNullPrototype: true }));
const registration = (t: 'REGISTER' | 'UNREGISTER'): fc.Arbitrary<CtpMessage> =>
  withBase(
    t,
    fc
      .tuple(
        plainName,
        regType,
        routerId,
        fc.option(routerId, { nil: undefined }),
        requestId,
        fc.boolean(),
      )
      .map(([node, type, id, to, reqId, refresh]) => {
        const m: Record<string, unknown> = { id: reqId };
        if (to !== undefined) m.to = to;
        m.node = node;
        m[type] = virtualName(type, node, id);
        if (t === 'REGISTER' && refresh) m.refresh = true;
        return m;
      }),
  );
const controllerOf = (node: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: routerId.map((id) => virtualName('controller', node, id)) },
    { weight: 1, arbitrary: fc.string() },
  );
const control = (t: 'START' | 'STOP' | 'COMMAND'): fc.Arbitrary<CtpMessage> =>
  withBase(
    t,
    plainName.chain((node) => {
      const model: Record<string, fc.Arbitrary<unknown>> = {
        id: requestId,
        to: routerId,
        node: fc.constant(node),
        controller: controllerOf(node),
        app: fc.string({ unit: 'binary', maxLength: 10 }),
      };
      // COMMAND: `content` required; START/STOP: `optionals` optional (SPEC.md section 6).
      if (t === 'COMMAND') model.content = json;
      else model.optionals = jsonObject;
      const requiredKeys =
        t === 'COMMAND'
          ? ['id', 'node', 'controller', 'app', 'content']
          : ['id', 'node', 'controller', 'app'];
      return fc.record(model, { requiredKeys, noNullPrototype: true });
    }),
  );
const post = withBase(
  'POST',
  fc.record(
    { to: routerId, node: plainName, content: json },
    { requiredKeys: ['node', 'content'], noNullPrototype: true },
  ),
);
const response = withBase(
  'RESPONSE',
  plainName.chain((node) =>
    fc.record(
      {
        node: fc.constant(node),
        controller: virtualOf(node),
        code,
        re: requestId,
        content: json,
        reason: fc.string(),
      },
      { requiredKeys: ['node', 'controller', 'code'], noNullPrototype: true },
    ),
  ),
);
const event = withBase(
  'EVENT',
  plainName.chain((node) =>
    fc.record(
      { node: fc.constant(node), monitor: virtualOf(node), content: json },
      { noNullPrototype: true },
    ),
  ),
);

const message: fc.Arbitrary<CtpMessage> = fc.oneof(
  reportNode,
  updateNode,
  registration('REGISTER'),
  registration('UNREGISTER'),
  control('START'),
  control('STOP'),
  control('COMMAND'),
  post,
  response,
  event,
);

// Any text: arbitrary strings, full Unicode, JSON documents, and mutations of valid frames.
const mutatedFrame = fc
  .tuple(
    message.map(encode),
    fc.nat(),
    fc.nat(),
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.constantFrom('replace', 'insert', 'delete', 'truncate', 'swap-key'),
  )
  .map(([frame, i, j, s, op]) => {
    const a = i % (frame.length + 1);
    const b = Math.min(frame.length, a + (j % 8));
    switch (op) {
      case 'replace':
        return frame.slice(0, a) + s + frame.slice(b);
      case 'insert':
        return frame.slice(0, a) + s + frame.slice(a);
      case 'delete':
        return frame.slice(0, a) + frame.slice(b);
      case 'truncate':
        return frame.slice(0, a);
      default:
        // Rename one key to another known field name, keeping the JSON valid.
        return frame.replace(
          /"(node|to|id|controller|monitor|content|code|from|adverts|re|hops|v|t)":/,
          `"${['node', 'to', 'id', 're', 'hops', 'v', 't', '__proto__', 'monitor'][j % 9]}":`,
        );
    }
  });
const fieldSwap = fc
  .tuple(
    message,
    fc.constantFrom(
      'v',
      't',
      'id',
      're',
      'hops',
      'node',
      'to',
      'from',
      'controller',
      'monitor',
      'code',
      'adverts',
      'optionals',
      'refresh',
      'app',
      'content',
    ),
    fc.oneof(json, fc.constant(-1), fc.constant(1.5), fc.constant(2 ** 53)),
  )
  .map(([m, k, v]) => JSON.stringify({ ...(m as unknown as Record<string, unknown>), [k]: v }));
// Valid frames with an unknown `t` or a newer `v`.
const otherTypeOrVersion = fc.oneof(
  fc
    .tuple(message, fc.string({ maxLength: 12 }))
    .map(([m, t]) => JSON.stringify({ ...(m as unknown as Record<string, unknown>), t })),
  fc
    .tuple(message, fc.integer({ min: 2, max: Number.MAX_SAFE_INTEGER }))
    .map(([m, v]) => JSON.stringify({ ...(m as unknown as Record<string, unknown>), v })),
);
const anyText = fc.oneof(
  otherTypeOrVersion,
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }),
  fc.json({ maxDepth: 4 }),
  fc.json({ maxDepth: 2 }).map((j) => `{"v":1,"t":"POST","node":"cam","content":${j}}`),
  mutatedFrame,
  fieldSwap,
  fc.uint8Array({ maxLength: 64 }).map((b) => new TextDecoder().decode(b)),
);

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

describe('codec properties', () => {
  it('the SPEC drop reasons include every codec reason', () => {
    for (const r of CODEC_REASONS) expect(SPEC_REASONS).toContain(r);
  });

  it('every valid message round-trips exactly', () => {
    fc.assert(
      fc.property(message, (m) => {
        const frame = encode(m);
        expect(frame).not.toMatch(/[\n\r]/);
        const back = decode(frame);
        expect(back).toStrictEqual(m);
        expect(encode(back)).toBe(frame);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it('any text decodes or throws a CtpDecodeError with a codec drop reason', () => {
    const seen = new Map<string, number>();
    const count = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);
    fc.assert(
      fc.property(anyText, (frame) => {
        let m: CtpMessage;
        try {
          m = decode(frame);
        } catch (err) {
          expect(err).toBeInstanceOf(CtpDecodeError);
          expect(CODEC_REASONS).toContain((err as CtpDecodeError).reason);
          count((err as CtpDecodeError).reason);
          return;
        }
        count('accepted');
        // Whatever is accepted re-encodes and decodes to the same frame.
        expect(typeof m.t).toBe('string');
        expect(m.v).toBe(1);
        const again = encode(m);
        expect(encode(decode(again))).toBe(again);
      }),
      { numRuns: NUM_RUNS * 3 },
    );
    // The generators reach both sides of the codec (else the property says little).
    expect(seen.get('accepted') ?? 0).toBeGreaterThan(0);
    expect(seen.get('malformed') ?? 0).toBeGreaterThan(0);
    expect(seen.get('unknown-type') ?? 0).toBeGreaterThan(0);
    expect(seen.get('unsupported-version') ?? 0).toBeGreaterThan(0);
    console.log('decode outcomes:', Object.fromEntries(seen));
  });

  it('content nested up to MAX_CONTENT_DEPTH decodes, deeper is malformed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_CONTENT_DEPTH + 40 }),
        fc.boolean(),
        (depth, objects) => {
          const content = objects
            ? '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1)
            : '['.repeat(depth) + ']'.repeat(depth);
          const frame = `{"v":1,"t":"POST","node":"cam","content":${content}}`;
          if (depth <= MAX_CONTENT_DEPTH) expect(encode(decode(frame))).toBe(frame);
          else {
            expect(() => decode(frame)).toThrow(CtpDecodeError);
            try {
              decode(frame);
            } catch (err) {
              expect((err as CtpDecodeError).reason).toBe('malformed');
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('router properties', () => {
  const routers: CtpRouter<object>[] = [];
  afterAll(async () => {
    for (const r of routers) await r.close();
  });

  function makeRouter(): { router: CtpRouter<object>; errors: unknown[]; drops: string[] } {
    const router = new CtpRouter<object>(
      () => {},
      () => {},
      () => {},
      { id: 'r2', nodes: ['cam', 'other'] },
    );
    routers.push(router);
    const errors: unknown[] = [];
    const drops: string[] = [];
    router.on('error', (e) => errors.push(e));
    router.on('dropped', (e) => drops.push(e.reason));
    return { router, errors, drops };
  }

  it('receive never throws, and reports no error, for any text or bytes', () => {
    const { router, errors, drops } = makeRouter();
    const peer = {};
    let n = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          message.map(encode),
          fc.uint8Array({ maxLength: 64 }),
          anyText.map((s) => Buffer.from(s)),
          fc.anything(),
        ),
        (frame) => {
          const before = drops.length;
          expect(() => router.receive(peer, frame as string)).not.toThrow();
          n++;
          expect(router.stats().framesIn).toBe(n);
          for (const r of drops.slice(before)) expect(SPEC_REASONS).toContain(r);
          expect(errors).toEqual([]);
        },
      ),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it('a frame the codec refuses is dropped with exactly that reason, once', () => {
    fc.assert(
      fc.property(anyText, (frame) => {
        let reason: string | undefined;
        try {
          decode(frame);
        } catch (err) {
          reason = (err as CtpDecodeError).reason;
        }
        fc.pre(reason !== undefined);
        const { router, errors, drops } = makeRouter();
        router.receive({}, frame);
        expect(drops).toEqual([reason]);
        expect(router.stats().dropped).toEqual({ [reason as string]: 1 });
        expect(router.nodes()).toEqual(['cam', 'other']);
        expect(errors).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
