/**
 * LineSplitter, parseAddress and backoffDelay: pure pieces of the TCP transport.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, formatAddress, LineSplitter, parseAddress } from '../../src/tcp/index.js';

function split(
  chunks: (string | Buffer)[],
  max = 16,
): { lines: string[]; oversized: number[]; maxBuffered: number } {
  const lines: string[] = [];
  const oversized: number[] = [];
  const s = new LineSplitter(
    max,
    (l) => void lines.push(l.toString('utf8')),
    (n) => void oversized.push(n),
  );
  let maxBuffered = 0;
  for (const c of chunks) {
    s.push(typeof c === 'string' ? Buffer.from(c) : c);
    maxBuffered = Math.max(maxBuffered, s.buffered);
  }
  return { lines, oversized, maxBuffered };
}

describe('LineSplitter', () => {
  const cases: { name: string; chunks: string[]; lines: string[]; oversized?: number[] }[] = [
    { name: 'one chunk, several lines', chunks: ['a\nbb\nccc\n'], lines: ['a', 'bb', 'ccc'] },
    { name: 'a line across chunks', chunks: ['ab', 'cd', 'e\nf', '\n'], lines: ['abcde', 'f'] },
    { name: 'CRLF and empty lines', chunks: ['a\r\n\n\r\nb\n'], lines: ['a', 'b'] },
    { name: 'no trailing newline: held', chunks: ['a\nbc'], lines: ['a'] },
    {
      name: 'a line of exactly max bytes',
      chunks: ['0123456789abcdef\n'],
      lines: ['0123456789abcdef'],
    },
    {
      name: 'too long in one chunk',
      chunks: ['0123456789abcdefX\nok\n'],
      lines: ['ok'],
      oversized: [17],
    },
    {
      name: 'too long across chunks, then recovers',
      chunks: ['0123456789', 'abcdefXYZ', 'still the same line', ' end\nok\n'],
      lines: ['ok'],
      oversized: [19],
    },
    {
      name: 'too long, newline in a later chunk',
      chunks: ['x'.repeat(40), 'y'.repeat(40), '\n', 'next\n'],
      lines: ['next'],
      oversized: [40],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = split(c.chunks);
      expect(r.lines).toEqual(c.lines);
      expect(r.oversized).toEqual(c.oversized ?? []);
    });
  }

  it('never holds more than max bytes, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 60 }), {
          maxLength: 20,
        }),
        (chunks) => {
          const r = split(chunks);
          expect(r.maxBuffered).toBeLessThanOrEqual(16);
          // Lines of at most 16 bytes come out exactly as split('\n') gives them.
          const expected = chunks
            .join('')
            .split('\n')
            .slice(0, -1)
            .filter((l) => l.length > 0 && l.length <= 16);
          expect(r.lines).toEqual(expected);
        },
      ),
    );
  });

  it('stops a chunk when the handler returns false', () => {
    const seen: string[] = [];
    const s = new LineSplitter(
      100,
      (l) => (seen.push(l.toString()), false),
      () => {},
    );
    expect(s.push(Buffer.from('a\nb\n'))).toBe(false);
    expect(seen).toEqual(['a']);
  });
});

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1:7000', { host: '127.0.0.1', port: 7000 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['[::1]:7000', { host: '::1', port: 7000 }],
    ['example.com:65535', { host: 'example.com', port: 65535 }],
  ])('parses %s', (text, address) => {
    expect(parseAddress(text)).toEqual(address);
    expect(formatAddress(address)).toBe(text);
  });
  it.each([
    '7000',
    ':7000',
    'host:',
    'host:port',
    'host:70000',
    'host:0',
    '::1:7000',
    '[::1]7000',
    'a b:1',
    'host:-1',
    'host:1.5',
  ])('refuses %s', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
  it('accepts port 0 only when asked', () => {
    expect(parseAddress('127.0.0.1:0', true)).toEqual({ host: '127.0.0.1', port: 0 });
  });
});

describe('backoffDelay', () => {
  const r = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.2 };
  it('grows exponentially, bounded', () => {
    expect([0, 1, 2, 3, 4, 10, 1000].map((a) => backoffDelay(r, a, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });
  it('spreads by the jitter, never above the bound', () => {
    expect(backoffDelay(r, 0, () => 0)).toBe(80);
    expect(backoffDelay(r, 0, () => 1)).toBe(120);
    expect(backoffDelay(r, 5, () => 1)).toBe(1000);
    expect(backoffDelay(r, 5, () => 0)).toBe(800);
  });
});
