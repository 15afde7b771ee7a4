import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheVerify } from './verify-memo.js';

describe("the simulator's signature cache", () => {
  it('answers a repeat from the cache and never confuses data, signature or key', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const b = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const data = Buffer.from('{"origin":"r0","seq":1}');
    const sig = sign('sha256', data, a.privateKey);
    const counts = cacheVerify();
    // The ESM binding imported above is the cached one now (syncBuiltinESMExports).
    expect(verify('sha256', data, a.publicKey, sig)).toBe(true);
    expect(verify('sha256', data, a.publicKey, sig)).toBe(true);
    expect(counts.hits()).toBe(1);
    const tampered = Buffer.from('{"origin":"r0","seq":2}');
    expect(verify('sha256', tampered, a.publicKey, sig)).toBe(false);
    expect(verify('sha256', data, b.publicKey, sig)).toBe(false);
    const bad = Buffer.from(sig);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    expect(verify('sha256', data, a.publicKey, bad)).toBe(false);
    // A view into a larger buffer is keyed by its own bytes only.
    const padded = Buffer.concat([Buffer.from('xx'), data]);
    expect(verify('sha256', padded.subarray(2), a.publicKey, sig)).toBe(true);
    expect(counts.hits()).toBe(2);
    expect(counts.misses()).toBe(4);
  });
});
