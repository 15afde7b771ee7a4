/**
 * `withHops`: a forwarded frame is the received text with only `hops`
 * changed (SPEC.md section 6), patched without re-encoding. Whatever the
 * text, a patch (when one is made) parses to the received message with the
 * new `hops`, exactly as re-encoding would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withHops } from '../src/codec.js';

const key = fc.constantFrom('hops', 'a', 'content', 'x"y', 'h\\ops', '\u0068ops');
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.constant('hops'), fc.constant('"hops":1'), fc.dictionary(key, tie('v'), { maxKeys: 3 })),
})).v;
const frameObject = fc.record(
  { v: fc.constant(1), t: fc.constant('COMMAND'), hops: fc.nat({ max: 20 }), rest: fc.dictionary(key.filter((k) => k !== 'hops'), value, { maxKeys: 4 }) },
  { requiredKeys: ['v', 't', 'rest'] },
).map(({ rest, ...o }) => ({ ...rest, ...o }) as Record<string, unknown>);

describe('withHops', () => {
  it('patches to exactly what re-encoding gives', () => {
    fc.assert(
      fc.property(frameObject, fc.constantFrom(0, 1, 2), fc.nat({ max: 30 }), (obj, style, hops) => {
        const text = style === 0 ? JSON.stringify(obj) : style === 1 ? JSON.stringify(obj, null, 1) : ` ${JSON.stringify(obj).replace(/":/g, '" : ')} \n`;
        const had = obj.hops as number | undefined;
        const patched = withHops(text, had, hops);
        if (patched === undefined) return;
        expect(JSON.parse(patched)).toEqual({ ...(JSON.parse(text) as object), hops });
        expect(/[\r\n]/.test(patched)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('patches the common cases', () => {
    expect(withHops('{"v":1,"t":"EVENT","node":"n"}', undefined, 1)).toBe('{"v":1,"t":"EVENT","node":"n","hops":1}');
    expect(withHops('{"v":1,"t":"EVENT","hops":3,"node":"n"}', 3, 4)).toBe('{"v":1,"t":"EVENT","hops":4,"node":"n"}');
    expect(withHops('{"v":1,"hops":3,"content":{"hops":3}}', 3, 4)).toBeUndefined();
  });
});
