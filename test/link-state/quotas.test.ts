/**
 * Per-origin shares of the table (issue 25, src/link-state/quotas.ts): past
 * half of `maxTableNodes`, an origin's advert may hold at most its share
 * (max(1024, maxTableNodes / 32)), so big adverts from a few origins cannot
 * take the room of the others: the late big advert is dropped (`table-full`),
 * and the other origins' entries, held and new, stay.
 */
import { describe, expect, it } from 'vitest';
import { MIN_TABLE_SHARE, tableAdmit, tableShare } from '../../src/link-state/quotas.js';
import { wired } from '../wire.js';

const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const report = (from: string, adverts: unknown[]) => ({ v: 1, t: 'REPORTNODE', from, adverts });

describe('table shares per origin', () => {
  it('the share is max(1024, maxTableNodes / 32), never more than the pool; past it, only while the table stays half empty', () => {
    expect(tableShare(1_000_000)).toBe(31_250);
    expect(tableShare(10_000)).toBe(MIN_TABLE_SHARE);
    expect(tableShare(10)).toBe(10);
    expect(tableAdmit(31_250, 1_000_000, 1_000_000, 31_250)).toBe(true);
    expect(tableAdmit(31_250, 1_000_001, 1_000_000, 31_250)).toBe(false);
    expect(tableAdmit(50_000, 500_000, 1_000_000, 31_250)).toBe(true);
    expect(tableAdmit(50_000, 500_001, 1_000_000, 31_250)).toBe(false);
  });

  it('a second big advert is dropped (table-full) once the table is half full; small origins still get the other half', () => {
    // A pool of 65,536 names (share 2,048), so the test stays small; the default is 1,000,000.
    const w = wired({ maxTableNodes: 65_536 });
    w.neighbor('p', 'x', ['x0'], 1, ['r', 'hog1', 'hog2', 'a', 'b', 'c']);
    const advert = (origin: string, nodes: string[]) => ({
      origin,
      seq: 1,
      nodes,
      neighbors: ['x'],
    });
    w.feed('p', report('x', [advert('hog1', names('h1-', 30_000))]));
    w.feed('p', report('x', [advert('hog2', names('h2-', 30_000))]));
    expect(w.dropped).toEqual([
      expect.objectContaining({ reason: 'table-full', origin: 'hog2', t: 'REPORTNODE' }),
    ]);
    // Three origins within their share: with the second hog stored, the third would not fit.
    for (const o of ['a', 'b', 'c']) w.feed('p', report('x', [advert(o, names(`${o}-`, 2_000))]));
    expect(w.dropped).toHaveLength(1);
    const nodes = new Set(w.router.nodes());
    expect(nodes.size).toBe(1 + 30_000 + 3 * 2_000);
    for (const n of ['x0', 'h1-29999', 'a-1999', 'b-0', 'c-1999']) expect(nodes.has(n)).toBe(true);
    expect(nodes.has('h2-0')).toBe(false);
  });
});
