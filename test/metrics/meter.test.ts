/**
 * The meter's counters (src/metrics/meter.ts): counts kept in cells bumped in
 * place, codes in the order first seen, anything that is not a return code
 * (nor `rejected`) as `other`, frames of the ten types only.
 */
import { describe, expect, it } from 'vitest';
import {
  countFrame,
  CtpCodeCounts,
  CtpMeter,
  frameTally,
  REQUEST_DURATION_BUCKETS,
} from '../../src/metrics/meter.js';

const plain = (m: ReadonlyMap<string, { n: number }>): [string, number][] =>
  [...m].map(([k, c]) => [k, c.n]);

describe('CtpCodeCounts', () => {
  it('counts by code in first-seen order; unknown codes, and a code named other, as other', () => {
    const c = new CtpCodeCounts();
    for (const code of [
      'SUCCESS',
      'TIMEOUT',
      'SUCCESS',
      'X-CUSTOM',
      'rejected',
      'other',
      'Y',
      'SUCCESS',
    ])
      c.add(code);
    expect(plain(c.codes)).toEqual([
      ['SUCCESS', 3],
      ['TIMEOUT', 1],
      ['other', 3],
      ['rejected', 1],
    ]);
  });
});

describe('frame tallies', () => {
  it('count the ten types and add no key for another', () => {
    const t = frameTally();
    countFrame(t, 'COMMAND');
    countFrame(t, 'COMMAND');
    countFrame(t, 'RESPONSE');
    countFrame(t, 'HELLO');
    expect(t.size).toBe(10);
    expect(t.has('HELLO')).toBe(false);
    expect(t.get('COMMAND')?.n).toBe(2);
    expect(t.get('RESPONSE')?.n).toBe(1);
    expect(t.get('EVENT')?.n).toBe(0);
  });
});

describe('CtpMeter', () => {
  it('measures each op under its type (an unknown op as COMMAND), in the right bucket', () => {
    const m = new CtpMeter();
    m.measured('register', 'SUCCESS', 0.5);
    m.measured('stop', 'TIMEOUT', 3_000);
    m.measured('bogus', 'SUCCESS', 20);
    const reg = m.requests.get('REGISTER');
    expect(reg?.count).toBe(1);
    expect(reg?.buckets[0]).toBe(1);
    const stop = m.requests.get('STOP');
    expect(plain(stop?.codes ?? new Map())).toEqual([['TIMEOUT', 1]]);
    expect(stop?.buckets[REQUEST_DURATION_BUCKETS.indexOf(5)]).toBe(1);
    expect(m.requests.get('COMMAND')?.count).toBe(1);
    expect(m.requests.get('START')?.count).toBe(0);
    m.answered('COMMAND', 'SUCCESS');
    m.answered('COMMAND', 'SUCCESS');
    expect(plain(m.handled.get('COMMAND')?.codes ?? new Map())).toEqual([['SUCCESS', 2]]);
  });
});
