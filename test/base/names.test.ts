/**
 * Node-name, router-id and virtual-node-name rules (SPEC.md section 1).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isReservedName,
  isValidAdvertName,
  isValidPlainNodeName,
  isValidRouterId,
  MAX_NODE_NAME_LENGTH,
  MAX_ROUTER_ID_LENGTH,
  parseVirtualName,
  virtualName,
} from '../../src/base/names.js';

const N256 = 'n'.repeat(256);
const N257 = 'n'.repeat(257);
const ID128 = 'r'.repeat(128);
const ID129 = 'r'.repeat(129);

describe('limits', () => {
  it('are the SPEC values', () => {
    expect(MAX_NODE_NAME_LENGTH).toBe(256);
    expect(MAX_ROUTER_ID_LENGTH).toBe(128);
  });
});

describe('isValidRouterId', () => {
  it.each([
    ['a single letter', 'r'],
    ['digits', '0123456789'],
    ['a UUID', '3f2b8c1e-9a7d-4e2f-8b1c-0d9e8f7a6b5c'],
    ['every allowed punctuation', 'a.b_c:d-e'],
    ['only punctuation', '._:-'],
    ['mixed case', 'RouterA'],
    ['128 chars', ID128],
  ])('accepts %s', (_n, id) => {
    expect(isValidRouterId(id)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['129 chars', ID129],
    ['a space', 'r 1'],
    ['a leading space', ' r1'],
    ['a trailing newline', 'r1\n'],
    ['a slash', 'r/1'],
    ['an @', 'r@1'],
    ['a [', 'r[1'],
    ['a ]', 'r]1'],
    ['a comma', 'r,1'],
    ['a plus', 'r+1'],
    ['non-ASCII letter', 'rü'],
    ['a fullwidth digit', 'r１'],
    ['an emoji', 'r😀'],
    ['NUL', 'r\u0000'],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['r1']],
    ['a String object', new String('r1')],
  ])('refuses %s', (_n, id) => {
    expect(isValidRouterId(id)).toBe(false);
  });
});

describe('isReservedName', () => {
  it.each([
    'controller[cam]@r1',
    'monitor[cam]@r1',
    'controller[]@',
    'monitor[x]@',
    'controller[a]@b]@c',
    'controller[[]]@ bad id',
    'monitor[\n]@x',
    `controller[${N257}]@r1`,
  ])('%j is reserved', (name) => {
    expect(isReservedName(name)).toBe(true);
  });

  it.each([
    '',
    'cam',
    'controller',
    'controller[cam]',
    'controller[cam]_0',
    'monitor[cam]_0',
    'controller[cam@r1',
    'controllercam]@r1',
    'Controller[cam]@r1',
    'MONITOR[cam]@r1',
    ' controller[cam]@r1',
    'xcontroller[cam]@r1',
    'mon[cam]@r1',
    'observer[cam]@r1',
    'controller(cam)@r1',
    'cam]@r1',
  ])('%j is not reserved', (name) => {
    expect(isReservedName(name)).toBe(false);
  });
});

describe('isValidPlainNodeName', () => {
  it.each([
    ['one char', 'a'],
    ['a space', ' '],
    ['spaces inside', ' front door '],
    ['`;`', 'a;b;c'],
    ['`]@`', 'a]@b'],
    ['`[`', 'a[b'],
    ['the seed virtual form', 'controller[cam]'],
    ['the seed monitor form', 'monitor[cam]_3'],
    ['`@`', 'cam@r1'],
    ['unicode', 'カメラ'],
    ['an emoji', '😀'],
    ['U+0080 (not a C0 control)', 'a\u0080'],
    ['U+2028', 'a\u2028b'],
    ['a lone surrogate', '\ud800'],
    ['Object.prototype names', '__proto__'],
    ['constructor', 'constructor'],
    ['256 chars', N256],
    ['256 code units of 128 emoji', '😀'.repeat(128)],
  ])('accepts %s', (_n, name) => {
    expect(isValidPlainNodeName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['257 chars', N257],
    ['129 emoji (258 code units)', '😀'.repeat(129)],
    ['U+0000', '\u0000'],
    ['U+0000 inside', 'a\u0000b'],
    ['U+0001', 'a\u0001'],
    ['U+0009 tab', 'a\tb'],
    ['U+000A newline', 'a\nb'],
    ['U+000D carriage return', 'a\rb'],
    ['U+001B escape', '\u001b[31m'],
    ['U+001F', 'a\u001f'],
    ['U+007F', 'a\u007f'],
    ['a controller virtual name', 'controller[cam]@r1'],
    ['a monitor virtual name', 'monitor[cam]@r1'],
    ['a reserved but malformed name', 'controller[]@'],
    ['a reserved name with a bad router id', 'monitor[cam]@bad id'],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
  ])('refuses %s', (_n, name) => {
    expect(isValidPlainNodeName(name)).toBe(false);
  });
});

describe('parseVirtualName', () => {
  it.each([
    ['controller[cam]@r1', { type: 'controller', node: 'cam', routerId: 'r1' }],
    ['monitor[cam]@r1', { type: 'monitor', node: 'cam', routerId: 'r1' }],
    ['controller[a]@b]@r1', { type: 'controller', node: 'a]@b', routerId: 'r1' }],
    ['monitor[a]@b]@c]@r-2', { type: 'monitor', node: 'a]@b]@c', routerId: 'r-2' }],
    ['controller[[x]]@r1', { type: 'controller', node: '[x]', routerId: 'r1' }],
    ['controller[a[b]@r1', { type: 'controller', node: 'a[b', routerId: 'r1' }],
    ['controller[]]@r1', { type: 'controller', node: ']', routerId: 'r1' }],
    ['controller[]@]@r1', { type: 'controller', node: ']@', routerId: 'r1' }],
    ['controller[@]@r1', { type: 'controller', node: '@', routerId: 'r1' }],
    ['monitor[カメラ 😀]@r1', { type: 'monitor', node: 'カメラ 😀', routerId: 'r1' }],
    ['monitor[a;b]@x.y:z_0-9', { type: 'monitor', node: 'a;b', routerId: 'x.y:z_0-9' }],
    [
      'controller[controller[cam]]@r1',
      { type: 'controller', node: 'controller[cam]', routerId: 'r1' },
    ],
    ['controller[ ]@r1', { type: 'controller', node: ' ', routerId: 'r1' }],
    [`controller[${N256}]@${ID128}`, { type: 'controller', node: N256, routerId: ID128 }],
    [`monitor[${N256}]@${ID128}`, { type: 'monitor', node: N256, routerId: ID128 }],
  ])('parses %j', (name, expected) => {
    expect(parseVirtualName(name)).toStrictEqual(expected);
  });

  it.each([
    ['a plain name', 'cam'],
    ['empty', ''],
    ['the seed controller form', 'controller[cam]'],
    ['the seed monitor form', 'monitor[cam]_0'],
    ['no router id', 'controller[cam]@'],
    ['an empty node', 'controller[]@r1'],
    ['a bad router id', 'controller[cam]@r 1'],
    ['a router id with ]', 'controller[cam]@r]1'],
    ['a 129-char router id', `controller[cam]@${ID129}`],
    ['a 257-char node', `controller[${N257}]@r1`],
    ['a node with U+0000', 'controller[a\u0000]@r1'],
    ['a node with U+001F', 'monitor[\u001f]@r1'],
    ['a node with U+007F', 'monitor[\u007f]@r1'],
    ['a node with a newline', 'monitor[a\nb]@r1'],
    ['a node that is itself virtual', 'monitor[controller[cam]@r1]@r2'],
    ['an unknown kind', 'observer[cam]@r1'],
    ['an upper-case kind', 'Controller[cam]@r1'],
    ['a leading space', ' controller[cam]@r1'],
    ['a trailing space', 'controller[cam]@r1 '],
    ['a trailing newline', 'controller[cam]@r1\n'],
    ['no brackets', 'controller cam@r1'],
    ['a missing ]', 'controller[cam@r1'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { type: 'controller', node: 'cam', routerId: 'r1' }],
  ])('refuses %s', (_n, name) => {
    expect(parseVirtualName(name)).toBeUndefined();
  });

  it('refuses a very long string, and parses the same shape at the longest a virtual name can be', () => {
    // 300 000 characters of `]@` separators: a backtracking parse would not
    // finish within the test's timeout (no wall-clock assertion needed).
    const long = `controller[${'a]@'.repeat(100_000)}]@r1`;
    expect(parseVirtualName(long)).toBeUndefined();
    expect(parseVirtualName(`${long.slice(0, -3)}]@${ID128}`)).toBeUndefined();
    // At the length limit (256-character node, 128-character id) the same
    // shape parses, the last `]@` separating; one more node character is too many.
    const node = `${'a]@'.repeat(85)}a`;
    expect(node).toHaveLength(MAX_NODE_NAME_LENGTH);
    expect(parseVirtualName(`controller[${node}]@${ID128}`)).toStrictEqual({
      type: 'controller',
      node,
      routerId: ID128,
    });
    expect(parseVirtualName(`controller[${node}a]@${ID128}`)).toBeUndefined();
  });

  it('greedy parse is unique: the last `]@` separates node and router id', () => {
    // Every split of `controller[a]@b]@c` at a `]@` other than the last leaves
    // a router id with `]` or `@`, which is invalid; so exactly one parse exists.
    const name = 'controller[a]@b]@c';
    const candidates = [...name.matchAll(/\]@/g)].map((m) => ({
      node: name.slice('controller['.length, m.index),
      routerId: name.slice((m.index ?? 0) + 2),
    }));
    const valid = candidates.filter(
      (c) => isValidRouterId(c.routerId) && isValidPlainNodeName(c.node),
    );
    expect(valid).toEqual([{ node: 'a]@b', routerId: 'c' }]);
    expect(parseVirtualName(name)).toStrictEqual({
      type: 'controller',
      node: 'a]@b',
      routerId: 'c',
    });
  });
});

describe('isValidAdvertName', () => {
  it.each([
    'cam',
    'a;b',
    'a]@b',
    'controller[cam]',
    'controller[cam]@r1',
    'monitor[a]@b]@r1',
    N256,
    `controller[${N256}]@${ID128}`,
    'カメラ',
  ])('accepts %j', (name) => {
    expect(isValidAdvertName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['257 chars', N257],
    ['a control character', 'cam\u0000'],
    ['a virtual name with an empty node', 'controller[]@r1'],
    ['a virtual name with no router id', 'controller[cam]@'],
    ['a virtual name with a bad router id', 'monitor[cam]@r 1'],
    ['a virtual name of a virtual name', 'monitor[controller[cam]@r1]@r2'],
    ['a virtual name with a 257-char node', `controller[${N257}]@r1`],
    ['a virtual name with a 129-char router id', `controller[cam]@${ID129}`],
    ['a number', 1],
    ['null', null],
  ])('refuses %s', (_n, name) => {
    expect(isValidAdvertName(name)).toBe(false);
  });
});

describe('virtualName', () => {
  it('builds `<type>[<node>]@<routerId>`', () => {
    expect(virtualName('controller', 'cam', 'r1')).toBe('controller[cam]@r1');
    expect(virtualName('monitor', 'a]@b', 'r-2')).toBe('monitor[a]@b]@r-2');
  });

  it.each([
    ['cam', 'r1'],
    ['a]@b', 'r1'],
    [']@]@', 'x'],
    ['[', 'y'],
    [']', 'z'],
    ['@', 'w'],
    ['controller[x]', 'r1'],
    ['カメラ 😀', 'r.1:2_3-4'],
    ['\ud800', 'r1'],
    [N256, ID128],
  ])('round-trips %j @ %j through parseVirtualName', (node, routerId) => {
    for (const type of ['controller', 'monitor'] as const) {
      const v = virtualName(type, node, routerId);
      expect(isReservedName(v)).toBe(true);
      expect(isValidPlainNodeName(v)).toBe(false);
      expect(isValidAdvertName(v)).toBe(true);
      expect(parseVirtualName(v)).toStrictEqual({ type, node, routerId });
    }
  });
});

describe('properties (fast-check; the seed is printed on failure)', () => {
  // Reference grammar straight from SPEC.md section 1, independent of src/base/names.ts.
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\u0000-\u001f\u007f]/;
  const RESERVED = /^(?:controller|monitor)\[[\s\S]*\]@/;
  const VIRTUAL = /^(controller|monitor)\[([\s\S]+)\]@([A-Za-z0-9._:-]{1,128})$/;
  const plainRef = (s: string): boolean =>
    s.length >= 1 && s.length <= 256 && !CONTROL.test(s) && !RESERVED.test(s);
  const parseRef = (s: string): { type: string; node: string; routerId: string } | undefined => {
    const m = VIRTUAL.exec(s);
    if (m === null || !plainRef(m[2] as string)) return undefined;
    return { type: m[1] as string, node: m[2] as string, routerId: m[3] as string };
  };
  const unit = fc.constantFrom(
    'controller[',
    'monitor[',
    ']@',
    ']',
    '@',
    '[',
    'a',
    'Z',
    '0',
    '.',
    '-',
    ':',
    '_',
    ' ',
    ';',
    'é',
    '😀',
    '\u0000',
    '\u001f',
    '\u007f',
    '\n',
  );
  const text = fc.oneof(
    fc.string({ unit, maxLength: 12 }),
    fc
      .tuple(
        fc.constantFrom('controller[', 'monitor['),
        fc.string({ unit, maxLength: 10 }),
        fc.constantFrom(']@', ']@]@', ']'),
        fc.string({ unit, maxLength: 6 }),
      )
      .map((p) => p.join('')),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );

  it('parseVirtualName, isReservedName, isValidPlainNodeName and isValidAdvertName agree with the SPEC grammar', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(parseVirtualName(s)).toStrictEqual(parseRef(s));
        expect(isReservedName(s)).toBe(RESERVED.test(s));
        expect(isValidPlainNodeName(s)).toBe(plainRef(s));
        expect(isValidAdvertName(s)).toBe(plainRef(s) || parseRef(s) !== undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('virtualName round-trips through parseVirtualName for every valid node and router id', () => {
    const idChars = 'ABCXYZabcxyz0123456789._:-'.split('');
    const node = fc
      .string({
        unit: fc.oneof(unit, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
        minLength: 1,
        maxLength: 40,
      })
      .filter(plainRef);
    const id = fc.string({ unit: fc.constantFrom(...idChars), minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(
        fc.constantFrom('controller' as const, 'monitor' as const),
        node,
        id,
        (type, n, r) => {
          const v = virtualName(type, n, r);
          expect(parseVirtualName(v)).toStrictEqual({ type, node: n, routerId: r });
          expect(isValidAdvertName(v)).toBe(true);
          expect(isValidPlainNodeName(v)).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
