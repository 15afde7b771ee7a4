/**
 * The allocation-free name checks of the hot path (names.ts) give exactly the
 * answers of the reference parse: `virtualRouterAt(name, node)` is where the
 * router id starts when `virtualParts(name)?.node === node`, else -1; the
 * control-character scan of `isValidPlainNodeName` is the regex's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isControllerOf,
  isValidAdvertName,
  isValidPlainNodeName,
  MAX_NODE_NAME_LENGTH,
  MAX_ROUTER_ID_LENGTH,
  virtualParts,
  virtualRouterAt,
} from '../../src/base/names.js';

/** The reference: the parse, then the comparison. */
function reference(name: unknown, node: unknown): number {
  const v = virtualParts(name);
  return v !== undefined && v.node === node ? (name as string).length - v.routerId.length : -1;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const idChar = fc.constantFrom(...'azAZ09._:-]@[ \u0000\u007f\u00e9'.split(''));
const nodeChar = fc.constantFrom(...'ab]@[c\u0000\u001f\u007f\u00e9 '.split(''));
const shortNode = fc.string({ unit: nodeChar, minLength: 0, maxLength: 6 });
const shortId = fc.string({ unit: idChar, minLength: 0, maxLength: 6 });
const prefix = fc.constantFrom(
  'controller[',
  'monitor[',
  'controller',
  'monitor]',
  'Controller[',
  '',
  'x',
);
const sep = fc.constantFrom(']@', ']', '@', '@]', ']@]@', '');

describe('virtualRouterAt', () => {
  it('agrees with virtualParts(name)?.node === node on built names (fast-check)', () => {
    fc.assert(
      fc.property(
        prefix,
        shortNode,
        sep,
        shortId,
        fc.oneof(shortNode, fc.constant(undefined)),
        (p, node, s, id, other) => {
          const name = `${p}${node}${s}${id}`;
          const asked = other ?? node;
          const want = reference(name, asked);
          expect(virtualRouterAt(name, asked)).toBe(want);
          const v = virtualParts(name);
          expect(isControllerOf(name, asked)).toBe(
            v !== undefined && v.type === 'controller' && v.node === asked,
          );
          // With the node known valid, the same answer (the codec's call).
          if (isValidPlainNodeName(asked)) expect(virtualRouterAt(name, asked, true)).toBe(want);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('agrees on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 8 }), (name, node) => {
        expect(virtualRouterAt(name, node)).toBe(reference(name, node));
      }),
      { numRuns: 5_000 },
    );
  });

  it('hostile and boundary cases', () => {
    const n256 = 'n'.repeat(MAX_NODE_NAME_LENGTH);
    const id128 = 'r'.repeat(MAX_ROUTER_ID_LENGTH);
    const cases: [unknown, unknown][] = [
      ['controller[cam1]@client', 'cam1'],
      ['monitor[cam1]@client', 'cam1'],
      ['controller[cam1]@client', 'cam2'],
      ['controller[cam1]@', 'cam1'],
      ['controller[]@client', ''],
      ['controller[a]@b]@c', 'a'],
      ['controller[a]@b]@c', 'a]@b'],
      ['controller[controller[a]@b]@c', 'controller[a]@b'],
      ['controller[cam\u0000]@client', 'cam\u0000'],
      ['controller[cam1]@cli ent', 'cam1'],
      [`controller[${n256}]@${id128}`, n256],
      [`controller[${n256}n]@${id128}`, `${n256}n`],
      [`controller[${n256}]@${id128}r`, n256],
      [42, 'cam1'],
      [undefined, 'cam1'],
      ['controller[cam1]@client', 42],
      ['controller[cam1]@client', undefined],
    ];
    for (const [name, node] of cases) {
      expect(virtualRouterAt(name, node as string), `${String(name)} / ${String(node)}`).toBe(
        reference(name, node),
      );
      const v = virtualParts(name);
      expect(isControllerOf(name, node as string)).toBe(
        v !== undefined && v.type === 'controller' && v.node === node,
      );
    }
    expect(virtualRouterAt('controller[cam1]@client', 'cam1')).toBe('controller[cam1]@'.length);
  });
});

describe('control characters in names', () => {
  it('isValidPlainNodeName and isValidAdvertName refuse exactly U+0000–U+001F and U+007F (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
          minLength: 1,
          maxLength: 12,
        }),
        (s) => {
          const clean = !CONTROL.test(s);
          expect(isValidPlainNodeName(s)).toBe(
            clean && !/^(?:controller|monitor)\[[^]*\]@/.test(s),
          );
          if (!/^(?:controller|monitor)\[/.test(s)) expect(isValidAdvertName(s)).toBe(clean);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
