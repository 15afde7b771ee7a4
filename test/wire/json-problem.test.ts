/**
 * `jsonProblem` (the check of every command's content and every answer)
 * walks values without an array per call: it must give exactly the answers
 * of the straightforward walk it replaced (the reference below).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonProblem, MAX_CONTENT_DEPTH } from '../../src/wire/codec.js';

type Obj = Record<string, unknown>;

/** The reference: the chain of ancestors always as an array, keys by Object.keys. */
function reference(value: unknown, depth = 1, ancestors?: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `a non-finite number (${value})`;
    case 'object': {
      if (value === null) return undefined;
      if (depth > MAX_CONTENT_DEPTH) return `a value nested deeper than ${MAX_CONTENT_DEPTH}`;
      const seen = ancestors ?? [];
      if (seen.includes(value)) return 'a cycle';
      const proto = Object.getPrototypeOf(value);
      if (!Array.isArray(value) && proto !== Object.prototype && proto !== null)
        return 'an object that is not plain data';
      seen.push(value);
      if (Array.isArray(value)) {
        for (const item of value) {
          const p = reference(item, depth + 1, seen);
          if (p !== undefined) return p;
        }
      } else {
        for (const key of Object.keys(value)) {
          if (key === '__proto__') return 'a `__proto__` key';
          const p = reference((value as Obj)[key], depth + 1, seen);
          if (p !== undefined) return p;
        }
      }
      seen.pop();
      return undefined;
    }
    default:
      return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
  }
}

const leaf = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.double(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(NaN),
  fc.constant(() => 1),
  fc.constant(new Date(0)),
  fc.constant(1n),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'c', '0', '1'), tie('value'), {
    maxKeys: 4,
  }),
}));

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

describe('jsonProblem', () => {
  it('agrees with the reference walk on arbitrary values (fast-check)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(jsonProblem(v)).toBe(reference(v));
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees on cycles, shared children, own __proto__ keys, null prototypes and depth limits', () => {
    const cyc: Obj = { a: 1 };
    cyc.self = cyc;
    const arr: unknown[] = [1];
    arr.push([arr]);
    const shared = { x: 1 };
    const proto = JSON.parse('{"ok":1,"__proto__":{"p":1}}') as unknown;
    const bare = Object.assign(Object.create(null) as Obj, { a: [1, { b: 2 }] });
    const inherited = Object.create({ inheritedKey: () => 1 }) as Obj;
    for (const v of [
      cyc,
      arr,
      { a: shared, b: shared, c: [shared, shared] },
      proto,
      bare,
      inherited,
      deep(MAX_CONTENT_DEPTH - 1),
      deep(MAX_CONTENT_DEPTH),
      deep(MAX_CONTENT_DEPTH + 1),
      [[[[{ a: [undefined] }]]]],
    ])
      expect(jsonProblem(v)).toBe(reference(v));
    expect(jsonProblem(cyc)).toBe('a cycle');
    expect(jsonProblem({ a: shared, b: shared })).toBeUndefined();
  });
});
