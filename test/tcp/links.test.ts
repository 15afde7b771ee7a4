/**
 * One link per pair of routers: the pure decision of links.ts. Both ends of
 * two crossing dials must agree, whatever order each sees them in; nothing
 * else displaces an established link.
 */
import { describe, expect, it } from 'vitest';
import {
  keepWhich,
  MUTUAL_DIAL_WINDOW_MS,
  TcpLinks,
  type TcpLinkFacts,
} from '../../src/tcp/links.js';

const link = (
  direction: 'in' | 'out',
  instance: string | undefined,
  linkedAt: number,
): TcpLinkFacts & { up: boolean } => ({ direction, instance, linkedAt, up: true });

describe('keepWhich', () => {
  it('keeps the established link against a newcomer with another instance, or none, or the same direction', () => {
    expect(keepWhich('b', 'a', link('in', 'i1', 0), link('in', 'i2', 1))).toBe('old');
    expect(keepWhich('b', 'a', link('out', 'i1', 0), link('in', 'i2', 1))).toBe('old');
    expect(keepWhich('b', 'a', link('out', undefined, 0), link('in', undefined, 1))).toBe('old');
    expect(keepWhich('b', 'a', link('in', 'i1', 0), link('in', 'i1', 1))).toBe('old');
    expect(keepWhich(undefined, 'a', link('out', 'i1', 0), link('in', 'i1', 1))).toBe('old');
  });

  it('settles crossing mutual dials the same way at both ends, whichever came first', () => {
    // Routers a < b dial each other; A = a's dial, B = b's dial. At a, A is 'out'; at b, A is 'in'.
    for (const aFirstAtA of [true, false])
      for (const aFirstAtB of [true, false]) {
        const atA = aFirstAtA
          ? keepWhich('a', 'b', link('out', 'ib', 0), link('in', 'ib', 5))
          : keepWhich('a', 'b', link('in', 'ib', 0), link('out', 'ib', 5));
        const atB = aFirstAtB
          ? keepWhich('b', 'a', link('in', 'ia', 0), link('out', 'ia', 5))
          : keepWhich('b', 'a', link('out', 'ia', 0), link('in', 'ia', 5));
        const keptAtA = (atA === 'old') === aFirstAtA ? 'A' : 'B';
        const keptAtB = (atB === 'old') === aFirstAtB ? 'A' : 'B';
        expect([keptAtA, keptAtB]).toEqual(['A', 'A']);
      }
  });

  it('does not let a crossing dial displace a link established longer ago than the window', () => {
    expect(keepWhich('a', 'b', link('in', 'ib', 0), link('out', 'ib', MUTUAL_DIAL_WINDOW_MS))).toBe(
      'new',
    );
    expect(
      keepWhich('a', 'b', link('in', 'ib', 0), link('out', 'ib', MUTUAL_DIAL_WINDOW_MS + 1)),
    ).toBe('old');
  });
});

describe('TcpLinks', () => {
  it('registers, refuses, displaces and forgets', () => {
    const links = new TcpLinks<ReturnType<typeof link>>();
    const first = link('in', 'i1', 0);
    expect(links.settle('b', 'a', first)).toEqual({ refused: false, displaced: [] });
    expect(links.settle('b', 'a', link('in', 'i2', 1))).toEqual({ refused: true, displaced: [] });
    // b dialled c (b < c) and c's crossing dial arrives: b's own dial stays.
    const mine = link('out', 'i9', 0);
    expect(links.settle('b', 'c', mine)).toEqual({ refused: false, displaced: [] });
    expect(links.settle('b', 'c', link('in', 'i9', 10))).toEqual({ refused: true, displaced: [] });
    // ...whereas at c the crossing dial from b (the lower id) displaces c's own.
    const atC = new TcpLinks<ReturnType<typeof link>>();
    const cOwn = link('out', 'ib', 0);
    atC.settle('c', 'b', cOwn);
    const theirs = link('in', 'ib', 10);
    expect(atC.settle('c', 'b', theirs)).toEqual({ refused: false, displaced: [cOwn] });
    expect(atC.remove('b', cOwn)).toBe(false);
    expect(atC.remove('b', theirs)).toBe(true);
    expect(atC.has('b')).toBe(false);
    expect(links.remove('c', mine)).toBe(true);
    expect(links.has('a')).toBe(true);
    expect(links.remove('a', first)).toBe(true);
    expect(links.has('a')).toBe(false);
  });
});
