/**
 * The package as a consumer gets it: `npm pack`, the tarball unpacked into a
 * temporary project's node_modules, and that project type-checked under
 * strict TypeScript (library checks on, no ambient `types`). Also: what the
 * tarball ships, that its source maps resolve without `src/`, its peer
 * dependencies, and that ctp-router/nats without its NATS client fails with
 * the install hint.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_CLIENT_HINT } from '../src/nats/client.js';
import { ensureBuilt } from './tcp/procs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let work: string;
let pkgDir: string;
let files: string[];

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Type-check `sources` (file name → text) as a consumer module with the given `types` setting; returns tsc's output and status. */
function consumer(
  name: string,
  sources: Record<string, string>,
  types: string[] | undefined,
): { status: number | null; out: string } {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  // A copy, not a symlink: TypeScript resolves the package's own imports from its real path.
  cpSync(pkgDir, join(dir, 'node_modules/ctp-router'), { recursive: true });
  // The runtime dependencies (the consumer's npm install would bring them) and @types/node.
  for (const dep of ['eventemitter3', 'async-mutex', 'p-timeout', 'debug', 'prom-client'])
    symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  mkdirSync(join(dir, 'node_modules/@types'));
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const compilerOptions: Record<string, unknown> = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
  };
  if (types !== undefined) compilerOptions.types = types;
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions, files: Object.keys(sources) }),
  );
  for (const [file, source] of Object.entries(sources)) writeFileSync(join(dir, file), source);
  const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 110_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const CONSUMER = `import { CtpRouter, ReturnCode, CtpError, type CtpResult } from 'ctp-router';
import { TcpTransport, type TcpPeer } from 'ctp-router/tcp';
import { CtpTestNetwork } from 'ctp-router/testing';

const transport = new TcpTransport({ listen: { host: '127.0.0.1', port: 0 } });
const router = new CtpRouter<TcpPeer>(() => {}, transport.send, () => {}, { id: 'consumer' });
transport.attach(router);
const net = new CtpTestNetwork();
net.addRouter('a');
export async function main(): Promise<ReturnCode> {
  const r: CtpResult = await router.register('cam1', 'controller', { signal: AbortSignal.timeout(10) });
  const e: unknown = new Error('x');
  if (e instanceof CtpError) console.log(e.code);
  await Promise.all([transport.close(), router.close(), net.close()]);
  return r.code;
}
`;

const BAD = `import { ReturnCode } from 'ctp-router';
export const bad: ReturnCode = 'NOPE';
`;

describe('the packed package', () => {
  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'ctp-pack-'));
    const [info] = JSON.parse(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT),
    ) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    pkgDir = join(work, 'package');
    run('tar', ['-xzf', join(work, info!.filename), '-C', work], work);
  }, 180_000);
  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ships dist, docs/PROTOCOL.md and BENCHMARKS.md, not src or tests', () => {
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/tcp/index.d.ts',
      'dist/testing/index.d.ts',
      'dist/cli/index.js',
      'docs/PROTOCOL.md',
      'BENCHMARKS.md',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('has source maps that carry their sources (no src/ needed)', () => {
    const maps = walk(join(pkgDir, 'dist')).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(m, 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, m).toBe(map.sources.length);
      for (const s of map.sourcesContent ?? [])
        expect(typeof s === 'string' && s.length > 0, m).toBe(true);
    }
  });

  it('type-checks in a strict consumer with no ambient types (library checks on); only the planted error is reported', () => {
    // One tsc run: main.ts must be clean, bad.ts holds one planted error (so the check is not vacuous).
    const r = consumer('strict-no-types', { 'main.ts': CONSUMER, 'bad.ts': BAD }, []);
    const errors = r.out.split('\n').filter((l) => l.includes('error TS'));
    expect(errors.filter((l) => !l.startsWith('bad.ts'))).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('NOPE');
    expect(r.status).not.toBe(0);
  }, 120_000);

  it('declares one peerDependencies: the NATS client, the OpenTelemetry API and @types/node, all optional', () => {
    const text = readFileSync(join(pkgDir, 'package.json'), 'utf8');
    // JSON.parse keeps the last of two equal keys: count them in the text.
    expect(text.match(/"peerDependencies"\s*:/g)).toHaveLength(1);
    expect(text.match(/"peerDependenciesMeta"\s*:/g)).toHaveLength(1);
    const pkg = JSON.parse(text) as {
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(pkg.peerDependencies).toEqual({
      '@nats-io/transport-node': '^3.4.0',
      '@opentelemetry/api': '^1.3.0',
      '@types/node': '>=20',
    });
    expect(pkg.peerDependenciesMeta).toEqual({
      '@nats-io/transport-node': { optional: true },
      '@opentelemetry/api': { optional: true },
      '@types/node': { optional: true },
    });
    // The lock file agrees (npm ci refuses a lock out of step with package.json).
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { peerDependencies?: unknown; peerDependenciesMeta?: unknown }>;
    };
    expect(lock.packages['']?.peerDependencies).toEqual(pkg.peerDependencies);
    expect(lock.packages['']?.peerDependenciesMeta).toEqual(pkg.peerDependenciesMeta);
  });

  describe('ctp-router/nats without @nats-io/transport-node', () => {
    let app: string;
    /** Run `code` (an ES module) in the consumer project; its stdout is one JSON line. */
    const probe = (code: string): Record<string, unknown> => {
      writeFileSync(join(app, 'probe.mjs'), code);
      const env = { ...process.env };
      delete env.NODE_PATH;
      delete env.NODE_OPTIONS;
      const r = spawnSync(process.execPath, ['probe.mjs'], {
        cwd: app,
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
    };
    const IMPORT = `try { const m = await import('ctp-router/nats'); console.log(JSON.stringify({ loaded: typeof m.NatsTransport })); }
catch (e) { console.log(JSON.stringify({ message: e.message, cause: e.cause?.code })); }`;
    const REQUIRE = `import { createRequire } from 'node:module';
try { const m = createRequire(import.meta.url)('ctp-router/nats'); console.log(JSON.stringify({ loaded: typeof m.NatsTransport })); }
catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, cause: e.cause?.code })); }`;

    beforeAll(() => {
      // A copy of the packed package (a symlink would resolve the client from this repository's node_modules) and its runtime dependencies, no @nats-io.
      app = join(work, 'no-nats');
      mkdirSync(join(app, 'node_modules'), { recursive: true });
      cpSync(pkgDir, join(app, 'node_modules/ctp-router'), { recursive: true });
      const deps = Object.keys(
        (
          JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
            dependencies: Record<string, string>;
          }
        ).dependencies,
      );
      for (const dep of deps)
        symlinkSync(join(ROOT, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: 'no-nats', private: true, type: 'module' }),
      );
    });

    it('import fails with the install hint; the core and ctp-router/tcp still load', () => {
      const r = probe(IMPORT);
      expect(r.loaded).toBeUndefined();
      expect(r.message).toMatch(
        /^ctp-router\/nats needs the package @nats-io\/transport-node \(npm install @nats-io\/transport-node\): /,
      );
      expect(r.message).toContain(NATS_CLIENT_HINT);
      expect(r.cause).toBe('MODULE_NOT_FOUND');
      expect(
        probe(
          `const [a, b] = await Promise.all([import('ctp-router'), import('ctp-router/tcp')]); console.log(JSON.stringify({ loaded: typeof a.CtpRouter + typeof b.TcpTransport }));`,
        ),
      ).toEqual({ loaded: 'functionfunction' });
    });

    it('without @opentelemetry/api either, a command crosses a relay with no traceparent (tracing off)', () => {
      const r = probe(`import { CtpTestNetwork } from 'ctp-router/testing';
const net = new CtpTestNetwork();
net.addRouter('h', { nodes: ['cam1'] }).handle('cam1', () => 'ok');
net.addRouter('r');
net.addRouter('c');
net.link('c', 'r');
net.link('r', 'h');
await net.settle();
const frames = [];
net.onFrame = (f) => frames.push(f.frame);
await net.router('c').register('cam1', 'controller');
const result = await net.router('c').command('cam1', 'pan', 1);
await net.close();
console.log(JSON.stringify({ code: result.code, frames: frames.length, traced: frames.filter((f) => f.includes('traceparent')).length }));`);
      expect(r.code).toBe('SUCCESS');
      expect(r.frames).toBeGreaterThan(3);
      expect(r.traced).toBe(0);
    });

    it.runIf(process.features.require_module === true)(
      'require through the exports fails with the same hint',
      () => {
        const r = probe(REQUIRE);
        expect(r.loaded).toBeUndefined();
        expect(r.message).toContain(`ctp-router/nats ${NATS_CLIENT_HINT}`);
      },
    );

    it('the CLI gives the hint for --nats (exit 1)', () => {
      const r = spawnSync(
        process.execPath,
        [
          'node_modules/ctp-router/dist/cli/index.js',
          'nodes',
          '--nats',
          'nats://127.0.0.1:1',
          '--wait-ms',
          '100',
        ],
        { cwd: app, encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(
        `--nats ${NATS_CLIENT_HINT}: Cannot find module '@nats-io/transport-node'`,
      );
      expect(r.stderr).not.toContain('ctp-router/nats needs');
    });

    it('with the client installed, import and require load it (the failure above is the missing client)', () => {
      mkdirSync(join(app, 'node_modules/@nats-io'), { recursive: true });
      symlinkSync(
        join(ROOT, 'node_modules/@nats-io/transport-node'),
        join(app, 'node_modules/@nats-io/transport-node'),
        'dir',
      );
      try {
        expect(probe(IMPORT)).toEqual({ loaded: 'function' });
        if (process.features.require_module === true)
          expect(probe(REQUIRE)).toEqual({ loaded: 'function' });
      } finally {
        rmSync(join(app, 'node_modules/@nats-io'), { recursive: true, force: true });
      }
    });
  });
});
