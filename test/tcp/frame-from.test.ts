/**
 * claimsOtherFrom: the transport's check of a TLS link's frames. It must
 * agree with what the router's JSON codec would decode, whatever the bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimsOtherFrom } from '../../src/tcp/frame-from.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The oracle: decode as the router does, and compare the top-level `from`. */
function oracle(line: Buffer, id: string): boolean {
  let o: unknown;
  try {
    o = JSON.parse(utf8.decode(line));
  } catch {
    return false;
  }
  return (
    typeof o === 'object' &&
    o !== null &&
    Object.hasOwn(o, 'from') &&
    (o as { from: unknown }).from !== id
  );
}

describe('claimsOtherFrom', () => {
  const cases: [string, string, boolean][] = [
    ['own from', '{"v":1,"t":"UPDATENODE","from":"console"}', false],
    ['another from', '{"v":1,"t":"UPDATENODE","from":"mallory"}', true],
    [
      'no from',
      '{"v":1,"t":"COMMAND","id":1,"node":"cam1","controller":"controller[cam1]@console","app":"x","content":null}',
      false,
    ],
    [
      "a nested from is not the frame's",
      '{"v":1,"t":"COMMAND","content":{"from":"mallory"},"from":"console"}',
      false,
    ],
    ['nested from only', '{"t":"COMMAND","content":[{"from":"mallory"}]}', false],
    [
      '"from" inside a string',
      '{"t":"POST","content":"\\"from\\":\\"mallory\\"","from":"console"}',
      false,
    ],
    [
      'a duplicate from key (JSON.parse keeps the last)',
      '{"from":"console","from":"mallory"}',
      true,
    ],
    ['an escaped key', '{"fr\\u006fm":"mallory"}', true],
    ['an escaped own value', '{"from":"c\\u006fnsole"}', false],
    ['an escaped other value', '{"from":"m\\u0061llory"}', true],
    ['a non-string from', '{"from":7}', true],
    ['from null', '{"from":null}', true],
    ['whitespace everywhere', ' \t{ "from" :\r "mallory" , "v" : 1 }  ', true],
    ['a byte-order mark', '\ufeff{"from":"mallory"}', true],
    ['not JSON', '{"from":"mallory"', false],
    ['an array', '[{"from":"mallory"}]', false],
    ['a string', '"from"', false],
    ['empty object', '{}', false],
    ['empty line', '', false],
    [
      'a from key after a big nested value',
      `{"t":"REPORTNODE","adverts":[${'{"origin":"a","seq":1,"nodes":["x","y]"],"neighbors":[]},'.repeat(50)}{}],"from":"mallory"}`,
      true,
    ],
    ['a string ending in a backslash before from', '{"a":"x\\\\","from":"mallory"}', true],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(claimsOtherFrom(b(text), 'console')).toBe(expected);
    expect(oracle(b(text), 'console')).toBe(expected);
  });

  it('refuses duplicate from keys where any is another router, even when JSON.parse would keep the own one', () => {
    expect(claimsOtherFrom(b('{"from":"mallory","from":"console"}'), 'console')).toBe(true);
  });

  it('agrees with JSON.parse on arbitrary JSON objects carrying from keys', () => {
    const id = 'console';
    const value = fc.oneof(
      fc.constant(id),
      fc.constant('mallory'),
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const entry = fc.tuple(
      fc.oneof(fc.constant('from'), fc.constant('fr\\u006fm'), fc.string({ maxLength: 6 })),
      value,
    );
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 6 }),
        fc.constantFrom('', ' ', '\n\t'),
        (entries, ws) => {
          // Raw keys (an escaped spelling of "from" stays escaped on the wire).
          const body = entries
            .map(
              ([k, v]) =>
                `${ws}${k.includes('\\') ? `"${k}"` : JSON.stringify(k)}${ws}:${ws}${JSON.stringify(v)}`,
            )
            .join(',');
          const line = b(`{${body}}`);
          const got = claimsOtherFrom(line, id);
          // Never looser than the decoder; exactly the decoder when there is at most one from key.
          if (oracle(line, id)) expect(got).toBe(true);
          if (entries.filter(([k]) => isFromKey(k)).length <= 1) expect(got).toBe(oracle(line, id));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws and never says "same" where JSON.parse sees another from, on mutated bytes', () => {
    const base = b(
      '{"v":1,"t":"REPORTNODE","from":"console","adverts":[{"origin":"console","seq":3,"nodes":["a"],"neighbors":["b"]}]}',
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        (edits) => {
          const line = Buffer.from(base);
          for (const [i, v] of edits) line[i] = v;
          const got = claimsOtherFrom(line, 'console');
          if (oracle(line, 'console')) expect(got).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

function isFromKey(k: string): boolean {
  return k === 'from' || k === 'fr\\u006fm';
}
