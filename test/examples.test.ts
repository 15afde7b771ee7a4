/**
 * The programs in docs/examples/ run against the built package: the two TCP
 * processes talk to each other, and the vitest example passes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATS_BIN, NatsServer, reportSkip } from './nats/server.js';
import { ensureBuilt, ROOT } from './tcp/procs.js';

const EXAMPLES = join(ROOT, 'docs/examples');
const env = { ...process.env, DEBUG: '' };
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl) console.warn('examples.test.ts: no openssl: skipped docs/examples/tls.mjs');
reportSkip('docs/examples/nats.mjs');

/** Run an example to its end; its stdout lines. */
function run(file: string, extra: Record<string, string> = {}): string[] {
  const r = spawnSync(process.execPath, [join(EXAMPLES, file)], {
    env: { ...env, ...extra },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
  });
  return r.stdout.trim().split('\n');
}

describe('docs/examples', () => {
  it('host.mjs and console.mjs: two processes over TCP', async () => {
    await ensureBuilt();
    const host = spawn(process.execPath, [join(EXAMPLES, 'host.mjs')], {
      env: { ...env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      host.stdout.setEncoding('utf8');
      const port = await new Promise<number>((resolve, reject) => {
        host.stdout.on('data', (chunk: string) => {
          out += chunk;
          const m = /listening (\d+)/.exec(out);
          if (m !== null) resolve(Number(m[1]));
        });
        host.once('exit', (code) => reject(new Error(`host.mjs exited ${code}: ${out}`)));
      });
      const c = spawnSync(process.execPath, [join(EXAMPLES, 'console.mjs')], {
        env: { ...env, PORT: String(port) },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect({ status: c.status, stderr: c.stderr }).toEqual({ status: 0, stderr: '' });
      expect(c.stdout.trim().split('\n')).toEqual([
        'register SUCCESS',
        'command SUCCESS {"rpm":300}',
        'event {"speed":3}',
      ]);
      // SIGTERM drains: the router and its transport close, and the process exits by itself.
      const exited = once(host, 'exit');
      host.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, string | null];
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
    }
  }, 40_000);

  it.skipIf(!hasOpenssl)(
    'tls.mjs: mutual TLS and signed adverts',
    async () => {
      await ensureBuilt();
      expect(run('tls.mjs')).toEqual([
        'register SUCCESS',
        'command over mutual TLS SUCCESS {"ok":true}',
      ]);
    },
    40_000,
  );

  it.skipIf(NATS_BIN === undefined)(
    'nats.mjs: two routers on a NATS bus',
    async () => {
      await ensureBuilt();
      const server = await NatsServer.start();
      try {
        expect(run('nats.mjs', { NATS_URL: server.url })).toEqual([
          'register SUCCESS',
          'command over NATS SUCCESS {"ok":true}',
        ]);
      } finally {
        await server.stop();
      }
    },
    40_000,
  );

  it('pump.test.mjs: a vitest test with ctp-router/testing', async () => {
    await ensureBuilt();
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', EXAMPLES],
      { env, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/1 passed/);
  }, 70_000);
});
