/**
 * The documentation is true: every ```ts block of README.md, docs/*.md and
 * docs/examples/*.md, and every docs/api-examples/*.ts (the API reference's
 * `@example`s), type-checks under `strict` against the built package (each is a
 * complete module), the blocks marked `<!-- runnable -->` run and exit 0,
 * every ```json block holds frames the codec accepts, and every relative link
 * points to a file the package ships (and to a heading that exists).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../src/wire/codec.js';
import { ensureBuilt } from './tcp/procs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const RUN_TIMEOUT_MS = 30_000;

/** One fenced block of a markdown file. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  runnable: boolean;
  code: string;
}

/** The fenced blocks of a markdown text; `<!-- runnable -->` on the line before a fence (or `ts runnable`) marks it runnable. */
export function extractBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const out: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*([\w-]*)\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const fence = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.startsWith(fence)) body.push(lines[j++]!);
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    const marked = i > 0 && lines[i - 1]!.trim() === '<!-- runnable -->';
    out.push({
      file,
      line: i + 1,
      lang: open[2]!,
      runnable: marked || /\brunnable\b/.test(open[3]!),
      code: body.join('\n'),
    });
    i = j;
  }
  return out;
}

/** The text outside fenced blocks (fences open and close at the start of a line). */
export function prose(text: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(`{3,})/.exec(line);
    if (fence === undefined && m !== null) fence = m[1];
    else if (fence !== undefined && line.startsWith(fence)) fence = undefined;
    else if (fence === undefined) out.push(line);
  }
  return out.join('\n');
}

/** A GitHub-style heading anchor. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => `docs/${e.name}`);
  return ['README.md', ...docs, 'docs/examples/README.md'];
}

/** The API reference's `@example`s (`{@includeCode ../docs/api-examples/x.ts}` in src/), as blocks. */
function apiExamples(): CodeBlock[] {
  const dir = join(ROOT, 'docs/api-examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({
      file: `docs/api-examples/${f}`,
      line: 1,
      lang: 'ts',
      runnable: false,
      code: readFileSync(join(dir, f), 'utf8'),
    }));
}

const files = docFiles();
const blocks = files.flatMap((f) => extractBlocks(f, readFileSync(join(ROOT, f), 'utf8')));
const tsBlocks = [
  ...blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript'),
  ...apiExamples(),
];
const name = (b: CodeBlock): string => `${b.file.replace(/[/.]/g, '_')}_${b.line}`;

describe('code blocks of README.md and docs/*.md', () => {
  let work: string;
  let diagnostics = '';
  /** How tsc ended: a time-out or a crash must fail the blocks, not pass them with no diagnostics. */
  let tsc: { status: number | null; signal: string | null; error: Error | undefined } = {
    status: null,
    signal: null,
    error: undefined,
  };
  /** tsc ran to its end (with or without diagnostics). */
  const expectTscFinished = (): void => {
    expect(
      { error: tsc.error?.message, signal: tsc.signal, finished: tsc.status !== null },
      `tsc did not finish:\n${diagnostics}`,
    ).toEqual({ error: undefined, signal: null, finished: true });
  };

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'ctp-docs-'));
    // 'ctp-router' resolves to this repository, through its package.json exports (dist/).
    mkdirSync(join(work, 'node_modules'));
    symlinkSync(ROOT, join(work, 'node_modules/ctp-router'), 'dir');
    // and prom-client (a dependency: the metrics example, docs/api-examples/metrics.ts, imports it).
    symlinkSync(
      join(ROOT, 'node_modules/prom-client'),
      join(work, 'node_modules/prom-client'),
      'dir',
    );
    // The OpenTelemetry API and SDK the tracing guide registers (devDependencies here).
    symlinkSync(
      join(ROOT, 'node_modules/@opentelemetry'),
      join(work, 'node_modules/@opentelemetry'),
      'dir',
    );
    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({ name: 'ctp-router-docs', private: true, type: 'module' }),
    );
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2022'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules/@types')],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      outDir: 'out',
      rootDir: 'src',
    };
    mkdirSync(join(work, 'src'));
    // `export {}` keeps a block without imports a module (top-level await, no global clashes).
    for (const b of tsBlocks)
      writeFileSync(join(work, 'src', `${name(b)}.ts`), `${b.code}\nexport {};\n`);
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, include: ['src'] }),
    );
    const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 150_000,
    });
    diagnostics = `${r.stdout}${r.stderr}`;
    tsc = { status: r.status, signal: r.signal, error: r.error };
  }, 180_000);
  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('finds the examples (README quick start, guides, API reference)', () => {
    expect(tsBlocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(2);
    expect(tsBlocks.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThanOrEqual(10);
    expect(tsBlocks.filter((b) => b.file.startsWith('docs/api-examples/')).length).toBeGreaterThan(
      0,
    );
    expect(tsBlocks.filter((b) => b.runnable).length).toBeGreaterThanOrEqual(2);
  });

  it('every `{@includeCode}` in src/ names a file of docs/api-examples/', () => {
    const found = spawnSync('grep', ['-rHoE', 'includeCode [^}]+', join(ROOT, 'src')], {
      encoding: 'utf8',
    }).stdout;
    const named = found
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [file, rest] = l.split(':includeCode ') as [string, string];
        return relative(ROOT, join(dirname(file), rest.trim()));
      });
    expect(named.length).toBeGreaterThan(0);
    for (const named_ of named) {
      // `file.ts#region`: the `// #region region` ... `// #endregion region` of the file.
      const [f, region] = named_.split('#') as [string, string | undefined];
      expect(f.startsWith('docs/api-examples/'), f).toBe(true);
      expect(existsSync(join(ROOT, f)), f).toBe(true);
      if (region === undefined) continue;
      const text = readFileSync(join(ROOT, f), 'utf8');
      expect(text, named_).toContain(`// #region ${region}\n`);
      expect(text, named_).toContain(`// #endregion ${region}\n`);
    }
  });

  it('tsc ran to its end and exited 0', () => {
    expectTscFinished();
    expect(tsc.status, `tsc exited ${tsc.status}:\n${diagnostics}`).toBe(0);
  });

  it.each(tsBlocks.map((b) => [`${b.file}:${b.line}`, b] as const))(
    '%s type-checks under strict',
    (_where, b) => {
      expectTscFinished();
      const mine = diagnostics.split('\n').filter((l) => l.startsWith(`src/${name(b)}.ts`));
      expect(mine).toEqual([]);
    },
  );

  it('reports nothing outside the blocks (no error was missed)', () => {
    expectTscFinished();
    const other = diagnostics
      .split('\n')
      .filter(
        (l) => l.includes('error TS') && !tsBlocks.some((b) => l.startsWith(`src/${name(b)}.ts`)),
      );
    expect(other).toEqual([]);
  });

  const runnable = tsBlocks.filter((b) => b.runnable);
  it.each(runnable.map((b) => [`${b.file}:${b.line}`, b] as const))(
    '%s runs and exits 0',
    (_where, b) => {
      const js = join(work, 'out', `${name(b)}.js`);
      expect(existsSync(js)).toBe(true);
      const r = spawnSync(process.execPath, [js], {
        cwd: work,
        encoding: 'utf8',
        timeout: RUN_TIMEOUT_MS,
        env: { ...process.env, DEBUG: '' },
      });
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({
        status: 0,
        signal: null,
        stderr: '',
      });
    },
    RUN_TIMEOUT_MS + 5_000,
  );
});

describe('frames shown in ```json blocks', () => {
  const frames = blocks
    .filter((b) => b.lang === 'json')
    .flatMap((b) =>
      b.code.split('\n').map((line, i) => ({ where: `${b.file}:${b.line + 1 + i}`, line })),
    )
    .filter((f) => f.line.trim() !== '');
  it('there are some', () => {
    expect(frames.length).toBeGreaterThanOrEqual(2);
  });
  it.each(frames.map((f) => [f.where, f.line] as const))(
    '%s decodes with codec v1',
    (_where, line) => {
      expect(() => decode(line)).not.toThrow();
    },
  );
});

describe('links in README.md and docs/*.md', () => {
  const shipped = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }
  ).files;
  const links = files.flatMap((file) => {
    const text = prose(readFileSync(join(ROOT, file), 'utf8'));
    return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => ({ file, target: m[1]! }));
  });
  const anchors = (file: string): Set<string> =>
    new Set(
      prose(readFileSync(join(ROOT, file), 'utf8'))
        .split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) => slug(l.replace(/^#+ /, ''))),
    );

  it('the slugger follows GitHub', () => {
    expect(slug('6. Wire format (codec v1)')).toBe('6-wire-format-codec-v1');
    expect(slug('Proof under faults: the simulator')).toBe('proof-under-faults-the-simulator');
    expect(slug('register(node, type) — at the caller')).toBe('registernode-type--at-the-caller');
  });

  it.each(
    links
      .filter((l) => !/^[a-z]+:/.test(l.target))
      .map((l) => [`${l.file} → ${l.target}`, l] as const),
  )('%s resolves to a shipped file and heading', (_where, l) => {
    const [path, hash] = l.target.split('#') as [string, string | undefined];
    const target = path === '' ? l.file : normalize(join(dirname(l.file), path));
    expect(existsSync(join(ROOT, target)), `${target} exists`).toBe(true);
    const rel = relative(ROOT, join(ROOT, target));
    expect(
      shipped.some((f) => rel === f || rel.startsWith(`${f}/`)) ||
        ['README.md', 'LICENSE', 'package.json'].includes(rel),
      `${rel} is in package.json "files"`,
    ).toBe(true);
    if (hash !== undefined) expect([...anchors(target)], `#${hash} in ${target}`).toContain(hash);
  });
});

describe('the README (the first five minutes)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  it('is at most 250 lines, without the seed jargon', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    expect(readme).not.toMatch(/ALPSCTP|CTPC_/);
  });
  it('has a quick start of at most 30 lines using connectRouter, and the two commands', () => {
    const quick = tsBlocks.filter((b) => b.file === 'README.md');
    expect(quick.reduce((n, b) => n + b.code.split('\n').length, 0)).toBeLessThanOrEqual(30);
    for (const word of [
      'connectRouter',
      '.handle',
      'waitForNode',
      'register(',
      'command',
      'events(',
    ])
      expect(
        quick.some((b) => b.code.includes(word)),
        word,
      ).toBe(true);
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
});

describe('the API reference (typedoc.json)', () => {
  it('documents every entry point the package exports, with warnings as errors', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { default: string }>;
      scripts: Record<string, string>;
    };
    const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as {
      entryPoints: string[];
      treatWarningsAsErrors: boolean;
      out: string;
    };
    const sources = Object.entries(pkg.exports)
      .filter(([k]) => k !== './package.json')
      .map(([, v]) =>
        (typeof v === 'string' ? v : v.default)
          .replace(/^\.\/dist\//, 'src/')
          .replace(/\.js$/, '.ts'),
      );
    expect([...config.entryPoints].sort()).toEqual(sources.sort());
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(pkg.scripts.docs).toBe('typedoc');
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain(`${config.out}/`);
  });
});
