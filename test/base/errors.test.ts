/**
 * Errors share a base class with a `code` (src/base/errors.ts); a fault inside the
 * router is reported as ERR_CTP_INTERNAL naming the entry point, never as a
 * host-callback error.
 */
import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/wire/codec.js';
import {
  CtpArgumentError,
  CtpCallbackError,
  CtpClosedError,
  CtpDecodeError,
  CtpError,
  CtpInternalError,
} from '../../src/base/errors.js';
import type { CtpMessage } from '../../src/base/messages.js';
import { CtpRouter } from '../../src/router.js';

describe('CtpError', () => {
  it('is the base of every error class, CtpArgumentError (a TypeError) included', () => {
    const all = [
      new CtpArgumentError('x'),
      new CtpClosedError(),
      new CtpDecodeError('malformed', 'x'),
      new CtpCallbackError('send', new Error('x')),
      new CtpInternalError('receive', new Error('x')),
    ];
    for (const e of all) {
      expect(e).toBeInstanceOf(CtpError);
      expect(e.code).toMatch(/^ERR_CTP_/);
    }
    expect(all[0]).toBeInstanceOf(TypeError);
    expect(new TypeError('x')).not.toBeInstanceOf(CtpError);
    expect(new Error('x')).not.toBeInstanceOf(CtpError);
    expect(new CtpClosedError()).not.toBeInstanceOf(CtpArgumentError);
  });
});

describe('internal faults', () => {
  it('a codec handing the router an impossible message is reported as ERR_CTP_INTERNAL of `receive`, and the router carries on', () => {
    // A codec that lies: REPORTNODE without `adverts`.
    const codec = {
      encode: jsonCodec.encode,
      decode: (frame: string): CtpMessage =>
        frame === 'lie'
          ? ({ v: 1, t: 'REPORTNODE', from: 'p1' } as unknown as CtpMessage)
          : jsonCodec.decode(frame),
    };
    const sent: string[] = [];
    const r = new CtpRouter<string>(
      () => undefined,
      (_p, f) => void sent.push(f),
      () => undefined,
      { id: 'me', nodes: ['n'], codec },
    );
    const errors: Error[] = [];
    r.on('error', (e) => errors.push(e));
    r.receive('p', 'lie');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CtpInternalError);
    expect(errors[0]).not.toBeInstanceOf(CtpCallbackError);
    expect((errors[0] as CtpInternalError).operation).toBe('receive');
    expect((errors[0] as CtpInternalError).code).toBe('ERR_CTP_INTERNAL');
    // Still working: a valid UPDATENODE from another peer is answered with the table.
    r.receive('q', JSON.stringify({ v: 1, t: 'UPDATENODE', from: 'p2' }));
    expect(sent.some((f) => f.includes('"REPORTNODE"') && f.includes('"n"'))).toBe(true);
  });
});

describe('send info (the optional third argument of send)', () => {
  it("goes only to a send declared with three parameters, and names a flood's source and its adverts", () => {
    const two: unknown[][] = [];
    const three: unknown[][] = [];
    const a = new CtpRouter<string>(
      () => undefined,
      (p, f) => void two.push([p, f]),
      () => undefined,
      { id: 'a' },
    );
    const b = new CtpRouter<string>(
      () => undefined,
      (p, f, info) => void three.push([p, f, info]),
      () => undefined,
      { id: 'b' },
    );
    const advert = JSON.stringify({
      v: 1,
      t: 'REPORTNODE',
      from: 'x',
      adverts: [{ origin: 'x', seq: 5, nodes: ['n'], neighbors: ['a', 'b'] }],
    });
    for (const r of [a, b]) {
      r.peerUp('px');
      r.receive('px', advert);
    }
    expect(two.every((c) => c.length === 2)).toBe(true);
    const flooded = three.find((c) => c[0] === null && String(c[1]).includes('"origin":"x"'));
    expect(flooded?.[2]).toEqual({ adverts: [{ origin: 'x', seq: 5 }], except: 'px' });
    const told = three.find((c) => c[0] === 'px' && String(c[1]).includes('"REPORTNODE"'));
    expect(told?.[2]).toEqual({ adverts: [{ origin: 'b', seq: expect.any(Number) }] });
    // Frames that are not adverts carry no info.
    expect(
      three.filter((c) => String(c[1]).includes('"UPDATENODE"')).every((c) => c[2] === undefined),
    ).toBe(true);
  });
});
