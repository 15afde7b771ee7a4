/**
 * A past revision of the library, built beside this one, so that a suite can
 * run both in the same process and the same minutes (`bench/against.ts`):
 * `git archive` of its `src/` and TypeScript configs into
 * `node_modules/.cache/ctp-against/<sha>/`, compiled there with this
 * checkout's TypeScript and dependencies (built once, then reused).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CtpRouter } from '../../src/router.js';
import type { CtpTestNetwork } from '../../src/testing/index.js';
import type { TcpTransport } from '../../src/tcp/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The library's classes a benchmark drives, from this checkout or a built revision. */
export interface CtpLibrary {
  CtpRouter: typeof CtpRouter;
  TcpTransport: typeof TcpTransport;
  CtpTestNetwork: typeof CtpTestNetwork;
}

/** Load the library compiled into `dist` (a directory holding `router.js`, `tcp/`, `testing/`). */
export async function loadLibrary(dist: string): Promise<CtpLibrary> {
  const at = (file: string): string => pathToFileURL(`${dist}/${file}`).href;
  const [router, tcp, testing] = await Promise.all([
    import(at('router.js')) as Promise<Pick<CtpLibrary, 'CtpRouter'>>,
    import(at('tcp/index.js')) as Promise<Pick<CtpLibrary, 'TcpTransport'>>,
    import(at('testing/index.js')) as Promise<Pick<CtpLibrary, 'CtpTestNetwork'>>,
  ]);
  return {
    CtpRouter: router.CtpRouter,
    TcpTransport: tcp.TcpTransport,
    CtpTestNetwork: testing.CtpTestNetwork,
  };
}

export interface CtpBuiltRevision {
  /** The commit, in full and abbreviated. */
  sha: string;
  short: string;
  /** Its compiled library. */
  dist: string;
}

/** Build `rev` (any name git knows) once; a sentence saying why not when it cannot be (no git, not in this clone's history). */
export function buildRevision(rev: string): CtpBuiltRevision | string {
  let sha: string;
  try {
    sha = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return `revision ${rev} is not in this checkout's git history`;
  }
  if (!/^[0-9a-f]{40}$/.test(sha)) return `revision ${rev} did not resolve to a commit`;
  const dir = `${ROOT}node_modules/.cache/ctp-against/${sha}`;
  const built = { sha, short: sha.slice(0, 7), dist: `${dir}/dist` };
  if (existsSync(`${dir}/dist/router.js`)) return built;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync(
    'git',
    ['archive', sha, 'src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
    { cwd: ROOT, maxBuffer: 256 * 2 ** 20 },
  );
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(`${ROOT}node_modules`, `${dir}/node_modules`, 'dir');
  try {
    execFileSync(
      process.execPath,
      [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${dir}/tsconfig.build.json`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return `revision ${sha.slice(0, 7)} does not compile with this checkout's TypeScript`;
  }
  return built;
}
