/**
 * The NATS credential flags (issue 25, src/cli/nats-auth.ts): `user:pass@` in
 * a `--nats` URL is taken out of the URL (the NATS client ignores it) and
 * passed as user and password; the flags win over it; files are read; and
 * incomplete or misplaced flags are usage errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { commonOptions, COMMON_SPEC } from '../../src/cli/common.js';
import { hasNatsCredentials } from '../../src/cli/nats-auth.js';

const common = (argv: string[]) => commonOptions(parseArgs(argv, COMMON_SPEC, 'nodes'), 'nodes');
const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  return 'no error';
};

describe('NATS credentials on the command line', () => {
  it('takes user:pass@ out of the URL; --nats-user/--nats-pass win over it', () => {
    const a = common(['--nats', 'nats://station:s%40cret:x@10.0.0.1:4222', '--nats', 'h2:4222']);
    expect(a.nats).toEqual(['nats://10.0.0.1:4222', 'h2:4222']);
    expect(a.natsAuth).toEqual({ user: 'station', pass: 's@cret:x' });
    expect(hasNatsCredentials(a.natsAuth)).toBe(true);
    const b = common(['--nats', 'station:pw@h:4222', '--nats-user', 'console', '--nats-pass', 'c']);
    expect([b.nats, b.natsAuth]).toEqual([['h:4222'], { user: 'console', pass: 'c' }]);
    const c = common(['--nats', 'nats://h:4222']);
    expect(c.natsAuth).toEqual({});
    expect(hasNatsCredentials(c.natsAuth)).toBe(false);
  });

  it('reads --nats-creds and --nats-tls-* files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctp-nats-auth-'));
    for (const f of ['u.creds', 'c.pem', 'k.pem', 'ca.pem'])
      writeFileSync(join(dir, f), `text of ${f}`);
    const o = common([
      '--nats',
      'tls://h:4222',
      '--nats-creds',
      join(dir, 'u.creds'),
      '--nats-tls-cert',
      join(dir, 'c.pem'),
      '--nats-tls-key',
      join(dir, 'k.pem'),
      '--nats-tls-ca',
      join(dir, 'ca.pem'),
    ]);
    expect(o.natsAuth).toEqual({
      creds: 'text of u.creds',
      tls: { cert: 'text of c.pem', key: 'text of k.pem', ca: 'text of ca.pem' },
    });
  });

  it('usage errors: a missing file, a key without its certificate, a password alone, no --nats', () => {
    expect(usage(() => common(['--nats', 'h:1', '--nats-creds', '/nonexistent/x.creds']))).toMatch(
      /cannot read `--nats-creds` file `\/nonexistent\/x.creds`: ENOENT/,
    );
    expect(
      usage(() => common(['--nats', 'h:1', '--nats-tls-key', fileURLToPath(import.meta.url)])),
    ).toMatch(/both `--nats-tls-cert` and `--nats-tls-key`/);
    expect(usage(() => common(['--nats', 'h:1', '--nats-pass', 'x']))).toMatch(
      /`--nats-pass` needs `--nats-user`/,
    );
    expect(usage(() => common(['--nats-user', 'u']))).toMatch(/`--nats-user` needs `--nats URL`/);
  });
});
