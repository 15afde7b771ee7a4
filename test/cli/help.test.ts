/**
 * The command line's `--version`, `help <command>`, the "did you mean" of a
 * mistyped command, option or operation, and the one-line hints `call`
 * prints after NOT_ASSIGNED, NODE_UNFOUND and ALREADY_ASSIGNED.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { parseOp } from '../../src/cli/call.js';
import { COMMON_SPEC } from '../../src/cli/common.js';
import { hintFor } from '../../src/cli/hints.js';
import { USAGE } from '../../src/cli/usage.js';
import { ensureBuilt, killAll, runCli, startPeer, type Proc } from '../tcp/procs.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

let station: { proc: Proc; port: number; addr: string };

beforeAll(async () => {
  await ensureBuilt();
  station = await startPeer([
    '--id',
    'hintstation',
    '--listen',
    '127.0.0.1:0',
    '--node',
    'cam1',
    '--echo',
  ]);
}, 120_000);
afterAll(killAll);

describe('ctp-router --version and help <command>', () => {
  it.each(['--version', '-V', 'version'])(
    '%s prints the package version and exits 0',
    async (flag) => {
      const r = await runCli([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    },
  );

  it.each(['peer', 'nodes', 'call', 'watch'])(
    'help %s prints that command help, not the program help',
    async (command) => {
      const r = await runCli(['help', command]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${USAGE[command] as string}\n`);
      expect(r.stdout).not.toContain('Commands:');
    },
  );

  it('help alone prints the program help; help of an unknown command is a usage error', async () => {
    expect(await runCli(['help'])).toMatchObject({ code: 0, stdout: `${USAGE.main as string}\n` });
    const r = await runCli(['help', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command `nosuch`/);
  });
});

describe('ctp-router: did you mean', () => {
  it('a mistyped command names the closest one and exits 2; a far-off one names none', async () => {
    const r = await runCli(['cal', '--connect', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('ctp-router: unknown command `cal`; did you mean `call`?');
    const far = await runCli(['xyzzy']);
    expect(far.code).toBe(2);
    expect(far.stderr.split('\n')[0]).toBe('ctp-router: unknown command `xyzzy`');
    const help = await runCli(['help', 'wach']);
    expect(help.code).toBe(2);
    expect(help.stderr.split('\n')[0]).toBe(
      'ctp-router help: unknown command `wach`; did you mean `watch`?',
    );
  });

  it('a mistyped option names the closest option of that command and exits 2', async () => {
    const r = await runCli(['peer', '--conect', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ctp-router peer: unknown option `--conect`; did you mean `--connect`?\nRun `ctp-router peer --help` for usage.\n',
    );
  });

  it('parseArgs and call operations: did you mean, only for a close name', () => {
    const usage = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('expected a UsageError');
    };
    expect(usage(() => parseArgs(['--timeout', '5'], COMMON_SPEC, 'call'))).toBe(
      'unknown option `--timeout`; did you mean `--timeout-ms`?',
    );
    expect(usage(() => parseArgs(['--NATS=x'], COMMON_SPEC, 'nodes'))).toBe(
      'unknown option `--NATS`; did you mean `--nats`?',
    );
    expect(usage(() => parseArgs(['--tls-crt', 'f'], COMMON_SPEC, 'nodes'))).toBe(
      'unknown option `--tls-crt`; did you mean `--tls-cert`?',
    );
    expect(usage(() => parseArgs(['--frobnicate'], COMMON_SPEC, 'nodes'))).toBe(
      'unknown option `--frobnicate`',
    );
    expect(usage(() => parseOp(['regster', 'cam1', 'controller']))).toBe(
      'unknown operation `regster` (register, unregister, start, stop, command, post); did you mean `register`?',
    );
    expect(usage(() => parseOp(['launch', 'cam1', 'app']))).toBe(
      'unknown operation `launch` (register, unregister, start, stop, command, post)',
    );
  });
});

describe('ctp-router call: hints', () => {
  it('prints one hint line on stderr after NOT_ASSIGNED, ALREADY_ASSIGNED and NODE_UNFOUND, none after SUCCESS', async () => {
    const r = await runCli([
      'call',
      '--json',
      '--wait-ms',
      '300',
      '--connect',
      station.addr,
      'command',
      'cam1',
      'pan',
      '--',
      'register',
      'cam1',
      'controller',
      '--',
      'register',
      'cam1',
      'controller',
      '--',
      'register',
      'nosuch',
      'monitor',
    ]);
    expect(r.code).toBe(1);
    expect(r.records.filter((x) => x.type === 'result').map((x) => x.code)).toEqual([
      'NOT_ASSIGNED',
      'SUCCESS',
      'ALREADY_ASSIGNED',
      'NODE_UNFOUND',
    ]);
    const hints = r.stderr.split('\n').filter((l) => l.startsWith('hint: '));
    expect(hints).toHaveLength(3);
    expect(hints[0]).toMatch(
      /register the node as controller first.*register cam1 controller -- command cam1/,
    );
    expect(hints[1]).toMatch(/holds that registration of cam1 already/);
    expect(hints[2]).toMatch(/no reachable router hosts nosuch.*ctp-router nodes/);
    // stdout stays machine-readable: only JSON records
    for (const line of r.stdout.trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('hintFor: another controller, a lost registration, and nothing for other codes', () => {
    expect(
      hintFor({ op: 'register', node: 'n', type: 'controller' }, { code: 'ALREADY_ASSIGNED' }),
    ).toMatch(/another router controls n/);
    expect(
      hintFor(
        { op: 'register', node: 'n', type: 'controller' },
        { code: 'ALREADY_ASSIGNED' },
        true,
      ),
    ).toMatch(/holds that registration of n already/);
    expect(
      hintFor({ op: 'unregister', node: 'n', type: 'monitor' }, { code: 'NOT_ASSIGNED' }),
    ).toMatch(/holds no monitor registration of n/);
    expect(
      hintFor({ op: 'unregister', node: 'n', type: 'controller' }, { code: 'ALREADY_ASSIGNED' }),
    ).toMatch(/gave n to another router/);
    for (const code of ['SUCCESS', 'ERROR', 'TIMEOUT', 'IN_PROGRESS', 'REJECTED'] as const)
      expect(hintFor({ op: 'command', node: 'n' }, { code })).toBeUndefined();
  });
});
