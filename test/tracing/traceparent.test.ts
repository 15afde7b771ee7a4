/** The W3C `traceparent` format (src/tracing/traceparent.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatTraceparent,
  isTraceparent,
  parseTraceparent,
} from '../../src/tracing/traceparent.js';
import { decode, encode } from '../../src/wire/codec.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('formats two flag digits and parses back', () => {
    expect(formatTraceparent(TRACE, SPAN, 1)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent(TRACE, SPAN, 0)).toBe(`00-${TRACE}-${SPAN}-00`);
    expect(formatTraceparent(TRACE, SPAN, 0x1ff)).toBe(`00-${TRACE}-${SPAN}-ff`);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-03`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: 3,
    });
  });

  it('round-trips any ids and flags', () => {
    const hex = (n: number) =>
      fc
        .array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n })
        .map((a) => a.join(''))
        .filter((s) => /[^0]/.test(s));
    fc.assert(
      fc.property(hex(32), hex(16), fc.integer({ min: 0, max: 255 }), (t, s, f) => {
        expect(parseTraceparent(formatTraceparent(t, s, f))).toEqual({
          traceId: t,
          spanId: s,
          traceFlags: f,
        });
      }),
    );
  });

  it.each([
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-1`,
    `00-${TRACE}-${SPAN}-01 `,
    `00_${TRACE}_${SPAN}_01`,
    '',
    7,
    undefined,
  ])('rejects %j', (bad) => {
    expect(isTraceparent(bad)).toBe(false);
  });

  it('the codec keeps a valid one on any frame, and drops a frame with an invalid one as malformed', () => {
    const cmd = {
      v: 1,
      t: 'COMMAND',
      id: 1,
      node: 'cam1',
      controller: 'controller[cam1]@c',
      app: 'pan',
      content: null,
      traceparent: `00-${TRACE}-${SPAN}-01`,
    } as const;
    expect(decode(encode(cmd))).toEqual(cmd);
    expect(() => decode(JSON.stringify({ ...cmd, traceparent: 'x' }))).toThrow(
      expect.objectContaining({ reason: 'malformed' }),
    );
    // On any frame type: a REGISTER carrying garbage under that name is dropped too.
    const reg = { v: 1, t: 'REGISTER', id: 2, node: 'cam1', controller: 'controller[cam1]@c' };
    expect(() => decode(JSON.stringify({ ...reg, traceparent: 1 }))).toThrow(
      expect.objectContaining({ reason: 'malformed' }),
    );
  });
});
