/**
 * The simulator's signature cache (its CLI only: sweeps and replays). Every
 * simulated router verifies every new signed advert once, so a run with
 * identities verifies the same (key, bytes, signature) once per router — a
 * third of its time. `crypto.verify` is a pure function of its inputs, so
 * this process answers a repeat from a cache keyed by all of them (the
 * algorithm, the public key, a SHA-256 of the bytes and the signature): the
 * outcome of every check is the one `crypto.verify` gave for those inputs.
 * Installed through `syncBuiltinESMExports`, which updates the `verify`
 * binding the library imported. Vitest runs the library without it.
 */
import { createHash, KeyObject } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';

type Verify = (
  algorithm: string | null | undefined,
  data: NodeJS.ArrayBufferView,
  key: unknown,
  signature: NodeJS.ArrayBufferView,
) => boolean;

const LIMIT = 200_000;

/** Replace `crypto.verify` in this process by a caching one; returns how to count hits. */
export function cacheVerify(): { hits: () => number; misses: () => number } {
  const crypto = createRequire(import.meta.url)('node:crypto') as { verify: Verify };
  const verify = crypto.verify;
  const keyIds = new WeakMap<object, string>();
  const results = new Map<string, boolean>();
  let hits = 0;
  let misses = 0;
  const keyId = (key: unknown): string | undefined => {
    if (!(key instanceof KeyObject) || key.type !== 'public') return undefined;
    let id = keyIds.get(key);
    if (id === undefined) {
      id = key.export({ format: 'der', type: 'spki' }).toString('base64');
      keyIds.set(key, id);
    }
    return id;
  };
  const view = (v: NodeJS.ArrayBufferView): Buffer =>
    Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  crypto.verify = (algorithm, data, key, signature) => {
    const id = keyId(key);
    if (id === undefined) return verify(algorithm, data, key, signature);
    const k = createHash('sha256')
      .update(`${algorithm ?? ''}\n${id}\n`)
      .update(view(signature).toString('base64'))
      .update('\n')
      .update(view(data))
      .digest('base64');
    const known = results.get(k);
    if (known !== undefined) {
      hits++;
      return known;
    }
    misses++;
    const ok = verify(algorithm, data, key, signature);
    if (results.size >= LIMIT) results.clear();
    results.set(k, ok);
    return ok;
  };
  syncBuiltinESMExports();
  return { hits: () => hits, misses: () => misses };
}
