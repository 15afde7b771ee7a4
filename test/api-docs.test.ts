/**
 * The API reference is complete (issue 22): every class, function, method and
 * constructor exported by the four entry points (typedoc.json) has a TSDoc
 * description and an `@example` (docs/api-examples/, type-checked by
 * test/docs.test.ts), except the ones listed in `NO_EXAMPLE_YET`; every other
 * export (interface, type, variable) has a description. A constructor is
 * covered by its class's example. Inherited members (EventEmitter's) are not
 * this package's. An entry of `NO_EXAMPLE_YET` that has an example now must be
 * removed from it, so the list only shrinks.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Application,
  ReflectionKind,
  type Comment,
  type DeclarationReflection,
  type ProjectReflection,
} from 'typedoc';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Exports without an `@example` (module.Class.member): `CtpError[Symbol.hasInstance]` makes
 * `instanceof CtpError` accept `CtpArgumentError` too, as `CtpError`'s description says.
 */
const NO_EXAMPLE_YET: ReadonlySet<string> = new Set(['ctp-router.CtpError.[hasInstance]']);

/** The public entry points' modules. */
const ENTRY_MODULES = ['ctp-router', 'ctp-router/tcp', 'ctp-router/nats', 'ctp-router/testing'];

interface Documented {
  name: string;
  kind: string;
  description: boolean;
  example: boolean;
  /** Needs an `@example` (class, function, method, constructor). */
  needsExample: boolean;
}

const hasExample = (c: Comment | undefined): boolean =>
  c?.blockTags.some((t) => t.tag === '@example') ?? false;
const hasSummary = (c: Comment | undefined): boolean =>
  c?.summary.some((p) => p.text.trim() !== '') ?? false;
const comments = (r: DeclarationReflection): (Comment | undefined)[] => [
  r.comment,
  ...(r.signatures ?? []).map((s) => s.comment),
  ...[r.getSignature, r.setSignature].map((s) => s?.comment),
];

/** Every export of the entry points, and every own public member of their classes. */
function inventory(project: ProjectReflection): Documented[] {
  const out: Documented[] = [];
  const visit = (r: DeclarationReflection, path: string, classExample: boolean): void => {
    const name = `${path}.${r.name}`;
    const cs = comments(r);
    const example = cs.some(hasExample) || (r.kindOf(ReflectionKind.Constructor) && classExample);
    out.push({
      name,
      kind: ReflectionKind[r.kind],
      description: cs.some(hasSummary),
      example,
      needsExample: r.kindOf(
        ReflectionKind.Class |
          ReflectionKind.Function |
          ReflectionKind.Method |
          ReflectionKind.Constructor,
      ),
    });
    if (!r.kindOf(ReflectionKind.Class)) return;
    for (const m of r.children ?? []) {
      if (m.inheritedFrom !== undefined || m.flags.isPrivate || m.flags.isProtected) continue;
      visit(m, name, example);
    }
  };
  for (const mod of project.children ?? []) {
    if (!ENTRY_MODULES.includes(mod.name)) continue;
    for (const r of mod.children ?? []) visit(r, mod.name, false);
  }
  return out;
}

describe('the API reference', () => {
  let items: Documented[] = [];

  beforeAll(async () => {
    const app = await Application.bootstrap({
      options: join(ROOT, 'typedoc.json'),
      logLevel: 'Error',
    });
    const project = await app.convert();
    if (project === undefined) throw new Error('typedoc could not convert the entry points');
    items = inventory(project);
  }, 120_000);

  it('covers the four entry points', () => {
    const modules = new Set(items.map((i) => /^[^.]+/.exec(i.name)![0]));
    expect([...modules].sort()).toEqual([...ENTRY_MODULES].sort());
    expect(items.length).toBeGreaterThan(100);
  });

  it('every export and public method or accessor has a description', () => {
    // A class's properties (`code`, `name`, ...) and constructors are described by their class.
    const own = (i: Documented): boolean => i.kind !== 'Property' && i.kind !== 'Constructor';
    const missing = items.filter((i) => own(i) && !i.description);
    expect(missing.map((i) => i.name)).toEqual([]);
  });

  it('every class, function, method and constructor has an @example (or is listed)', () => {
    const missing = items.filter(
      (i) => i.needsExample && !i.example && !NO_EXAMPLE_YET.has(i.name),
    );
    expect(missing.map((i) => `${i.kind} ${i.name}`)).toEqual([]);
  });

  it('NO_EXAMPLE_YET lists only exports that exist and still lack an example', () => {
    const byName = new Map(items.map((i) => [i.name, i]));
    const stale = [...NO_EXAMPLE_YET].filter((n) => byName.get(n)?.example !== false);
    expect(stale).toEqual([]);
  });
});
