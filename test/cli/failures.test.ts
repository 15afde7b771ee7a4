/**
 * The CLI's lines for failed dials and refused connections (src/cli/failures.ts):
 * their wording, and which lines of a repeating run are printed.
 */
import { describe, expect, it } from 'vitest';
import { dialCause, dialLine, errorText, RepeatFilter } from '../../src/cli/failures.js';

const coded = (code: string, message: string, reason?: string): Error =>
  Object.assign(new Error(message), reason === undefined ? { code } : { code, reason });

describe('failure lines', () => {
  it('a failed dial: code and message, one line', () => {
    expect(
      dialLine(
        '127.0.0.1:7999',
        coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:7999'),
        'me',
      ),
    ).toBe('dial 127.0.0.1:7999 failed: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:7999)');
    expect(dialLine('h:1', new Error('no code here'), 'me')).toBe('dial h:1 failed: no code here');
    // OpenSSL's messages span lines of library internals: the code says it.
    const ssl = coded(
      'ERR_SSL_WRONG_VERSION_NUMBER',
      '80CC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl3_record.c:350:\n',
    );
    expect(errorText(ssl)).toBe('ERR_SSL_WRONG_VERSION_NUMBER');
    expect(errorText(coded('X', 'first\nsecond'))).toBe('X (first)');
  });

  it('a refusal names who refused and why', () => {
    const dup = coded('ERR_CTP_LINK_REFUSED', '127.0.0.1:7000 refused the link: ...', 'duplicate');
    expect(dialLine('127.0.0.1:7000', dup, 'console')).toBe(
      'refused by 127.0.0.1:7000: duplicate router id console (a router with this id is linked there already; retrying with backoff)',
    );
    expect(dialCause(dup)).toBe('refused (duplicate router id)');
    expect(dialCause(coded('ECONNREFUSED', 'connect ECONNREFUSED x'))).toBe('ECONNREFUSED');
    expect(
      dialCause(coded('ERR_CTP_CERT_ID', 'the server certificate names station, expected relay')),
    ).toBe('the server certificate names station, expected relay');
  });
});

describe('RepeatFilter', () => {
  it('prints the first of a run, holds back repeats within the quiet interval, then says how many it held', () => {
    let now = 0;
    const f = new RepeatFilter(1000, () => now);
    expect(f.admit('a', 'E')).toBe(0);
    now = 100;
    expect(f.admit('a', 'E')).toBeUndefined();
    now = 500;
    expect(f.admit('a', 'E')).toBeUndefined();
    // Another target, or another cause: printed at once.
    expect(f.admit('b', 'E')).toBe(0);
    now = 1200;
    expect(f.admit('a', 'E')).toBe(2);
    now = 1300;
    expect(f.admit('a', 'F')).toBe(0);
    expect(f.admit('a', 'F')).toBeUndefined();
    expect(f.admit('a', 'E')).toBe(0);
  });

  it('remembers a bounded number of keys', () => {
    const f = new RepeatFilter(1000, () => 0);
    for (let i = 0; i < 5000; i++) f.admit(`10.0.${i >> 8}.${i & 255}`, 'E');
    expect((f as unknown as { last: Map<string, unknown> }).last.size).toBeLessThanOrEqual(1024);
    // The oldest were forgotten: printed again.
    expect(f.admit('10.0.0.0', 'E')).toBe(0);
  });
});
