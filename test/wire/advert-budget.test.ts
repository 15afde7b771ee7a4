/**
 * The advert byte budget (issue 25, "Big signed adverts"; src/wire/advert-budget.ts):
 * a peer past `maxAdvertBytesPerSecond` has its bulk frames (64 KiB and more)
 * held undecoded, in order, and decoded as its bucket refills; past
 * `maxFrameBytes` of them held, dropped unparsed (`rate-limited`). Its small
 * frames and every other peer's pass at once.
 *
 * Smaller than the defaults, so the test stays small: `maxFrameBytes` 1 MiB
 * (the bucket's depth and the most held), 1 KiB a second (the test clock also
 * follows real time: at this rate a second of it refills less than one
 * percent of a frame), and no advert pacing (`minAdvertIntervalMs: 0`), so
 * every decoded advert is stored at once.
 */
import { describe, expect, it } from 'vitest';
import { BULK_FRAME_BYTES } from '../../src/wire/advert-budget.js';
import { CtpArgumentError } from '../../src/base/errors.js';
import { CtpRouter } from '../../src/router.js';
import { CtpTestClock } from '../../src/testing/clock.js';
import { wired } from '../wire.js';

const DEPTH = 1024 * 1024;
const RATE = 1024;
const NAMES = Array.from({ length: 9_500 }, (_, i) => `x-node-${10_000 + i}`);
const big = (origin: string, seq: number): string =>
  JSON.stringify({
    v: 1,
    t: 'REPORTNODE',
    from: origin,
    adverts: [{ origin, seq, nodes: NAMES, neighbors: ['r'] }],
  });

function setup(options: { maxAdvertBytesPerSecond?: number } = {}) {
  const clock = new CtpTestClock();
  const w = wired({
    clock,
    maxFrameBytes: DEPTH,
    maxAdvertBytesPerSecond: RATE,
    minAdvertIntervalMs: 0,
    ...options,
  });
  const seqOf = (origin: string): number | undefined => w.router.snapshot().routers[origin]?.seq;
  return { clock, w, seqOf };
}

describe('the advert budget', () => {
  const size = big('x', 100).length;
  // Decoded while the bucket is not in debt: floor(DEPTH / size) + 1; then held while they fit in DEPTH.
  const admitted = Math.floor(DEPTH / size) + 1;
  const held = Math.floor(DEPTH / size);

  it('decodes a peer within its budget, holds its next bulk frames, and drops the rest unparsed', () => {
    // The frame sizes stay clear of the bucket's edges, whatever real time passes meanwhile.
    expect(size).toBeGreaterThan(BULK_FRAME_BYTES);
    expect(DEPTH % size).toBeGreaterThan(4096);
    expect(size - (DEPTH % size)).toBeGreaterThan(4096);
    const { w, seqOf } = setup();
    const frames = 30;
    for (let i = 0; i < frames; i++) w.feed('p', big('x', 100 + i));
    expect(seqOf('x')).toBe(100 + admitted - 1);
    expect(w.dropped).toHaveLength(frames - admitted - held);
    for (const d of w.dropped) {
      expect(d).toMatchObject({ reason: 'rate-limited', peer: 'p' });
      expect(d).not.toHaveProperty('t');
    }
    // Another peer's bulk advert is decoded at once, and so is the flooder's small frame.
    w.feed('q', big('y', 7));
    expect(seqOf('y')).toBe(7);
    w.clear();
    w.feed('p', { v: 1, t: 'UPDATENODE', from: 'x' });
    expect(w.of('REPORTNODE', 'p').length).toBeGreaterThan(0);
    w.router.close();
  });

  it('decodes the held frames, in order, as the bucket refills; then the peer is within budget again', () => {
    const { clock, w, seqOf } = setup();
    for (let i = 0; i < admitted + held; i++) w.feed('p', big('x', 100 + i));
    expect(w.dropped).toEqual([]);
    expect(seqOf('x')).toBe(100 + admitted - 1);
    // The debt after the burst: (admitted × size − DEPTH) bytes; one more frame per `size / RATE` seconds.
    const debtMs = ((admitted * size - DEPTH) / RATE) * 1000;
    clock.advance(Math.ceil(debtMs) + 50);
    expect(seqOf('x')).toBe(100 + admitted);
    clock.advance(Math.ceil((size / RATE) * 1000));
    expect(seqOf('x')).toBe(100 + admitted + 1);
    // Long enough for every held frame and a full bucket: decoded at once again.
    clock.advance(Math.ceil(((held * size + DEPTH) / RATE) * 1000));
    expect(seqOf('x')).toBe(100 + admitted + held - 1);
    w.feed('p', big('x', 1000));
    expect(seqOf('x')).toBe(1000);
    expect(w.dropped).toEqual([]);
    w.router.close();
  });

  it('charges bulk frames that end in a drop, not small ones', () => {
    const { w } = setup();
    const garbage = `{"v":1,"t":"REPORTNODE","from":"x","adverts":${'['.repeat(5)}${' '.repeat(200_000)}`;
    for (let i = 0; i < 40; i++) w.feed('p', '{"v":1,"t":"nonsense"');
    expect(w.dropped.filter((d) => d.reason === 'rate-limited')).toEqual([]);
    const n = Math.floor(DEPTH / garbage.length) + 1;
    for (let i = 0; i < n + 20; i++) w.feed('p', garbage);
    const reasons = w.dropped.slice(40).map((d) => d.reason);
    expect(reasons.slice(0, n)).toEqual(Array(n).fill('malformed'));
    // Then held (within DEPTH), then refused unparsed.
    expect(reasons.slice(n)).toContain('rate-limited');
    expect(new Set(reasons.slice(n))).toEqual(new Set(['rate-limited']));
    w.router.close();
  });

  it('0 turns the budget off: every frame is decoded', () => {
    const { w, seqOf } = setup({ maxAdvertBytesPerSecond: 0 });
    for (let i = 0; i < 30; i++) w.feed('p', big('x', 100 + i));
    expect(seqOf('x')).toBe(129);
    expect(w.dropped).toEqual([]);
    w.router.close();
  });

  it('drops a held frame whose peer went down (peer-down); close() leaves no timer', async () => {
    const { clock, w } = setup();
    for (let i = 0; i < admitted + 2; i++) w.feed('p', big('x', 100 + i));
    w.router.peerDown('p');
    clock.advance(Math.ceil(((2 * size + DEPTH) / RATE) * 1000));
    expect(w.dropped.map((d) => d.reason)).toEqual(['peer-down', 'peer-down']);
    w.feed('p', big('x', 1000)); // down: dropped before the budget
    w.router.peerUp('p');
    for (let i = 0; i < admitted + 2; i++) w.feed('p', big('x', 2000 + i));
    await w.router.close();
    expect(clock.pending).toBe(0);
  });

  it('the option is an integer of 0 or more', () => {
    for (const bad of [-1, 1.5, '1', Number.NaN])
      expect(
        () =>
          new CtpRouter(
            () => {},
            () => {},
            () => {},
            { maxAdvertBytesPerSecond: bad as number },
          ),
      ).toThrow(CtpArgumentError);
  });
});
