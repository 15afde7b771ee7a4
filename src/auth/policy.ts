/**
 * The operator's authorization policy (issue 25, option `policy`, CLI
 * `--policy FILE`): which router identities may control or monitor which
 * local nodes. The host enforces it on the request's origin — verified with
 * `identity` (origin-auth.ts), as the registrant's name says without — and
 * answers a refused REGISTER, START, STOP or COMMAND `REJECTED` with reason
 * `policy`. Format: docs/hosting.md, "Policy".
 */
import { argumentError } from '../base/errors.js';

/** A role a policy grants: `controller` and `monitor` of a local node, checked at its host; `host`: advertising a node name, checked by every router with the policy. */
export type CtpPolicyRole = 'controller' | 'monitor' | 'host';

/** One rule: routers matching `routers` may (or, with `effect: 'deny'`, may not) be `roles` of nodes matching `nodes`. */
export interface CtpPolicyRule {
  /** Grant or refuse what the rule matches; the first matching rule decides. @default 'allow' */
  effect?: 'allow' | 'deny';
  /** Router id patterns (the certificate's CN with `identity`); `*` any run of characters, `?` one. */
  routers: string[];
  /** Node name patterns, as `routers`. */
  nodes: string[];
  /**
   * What the matching routers may be: `controller` (REGISTER as controller,
   * START, STOP, COMMAND), `monitor`, `host` (advertise the matching names:
   * a name some `host` rule matches is ignored in the adverts of the
   * routers no such rule grants it to; `default` does not apply to `host`).
   */
  roles: CtpPolicyRole[];
}

/** A policy: the first rule that matches a request decides; `default` when none does. */
export interface CtpPolicy {
  /** What a request no rule grants gets. @default 'deny' */
  default?: 'allow' | 'deny';
  rules: CtpPolicyRule[];
}

/** Patterns and decisions kept; past it, the cache starts again. */
const MAX_CACHED = 10_000;

function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

function patterns(v: unknown, name: string): RegExp[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((p) => typeof p !== 'string' || p === ''))
    throw argumentError(name, 'a non-empty array of non-empty patterns', v);
  return (v as string[]).map(glob);
}

/** A checked policy, ready to answer `allows`. */
export class CtpResolvedPolicy {
  private readonly cache = new Map<string, boolean>();
  /** Names some `host` rule matches (one pattern: a name it does not match is free, with no cache). */
  private readonly hosted: RegExp | undefined;

  private constructor(
    private readonly allowByDefault: boolean,
    private readonly rules: {
      allow: boolean;
      routers: RegExp[];
      nodes: RegExp[];
      roles: Set<string>;
    }[],
  ) {
    const globs = rules
      .filter((r) => r.roles.has('host'))
      .flatMap((r) => r.nodes.map((re) => re.source.slice(1, -1)));
    this.hosted = globs.length === 0 ? undefined : new RegExp(`^(?:${globs.join('|')})$`, 's');
  }

  /** Check `p` (a `CtpPolicy`, e.g. parsed from a policy file); throws `CtpArgumentError` naming the bad field. */
  static from(p: unknown, name = 'options.policy'): CtpResolvedPolicy {
    if (typeof p !== 'object' || p === null || Array.isArray(p))
      throw argumentError(name, 'an object with `rules`', p);
    const o = p as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (k !== 'default' && k !== 'rules')
        throw argumentError(`${name}.${k}`, 'no such key (`default`, `rules`)', o[k]);
    if (o.default !== undefined && o.default !== 'allow' && o.default !== 'deny')
      throw argumentError(`${name}.default`, "'allow' or 'deny'", o.default);
    if (!Array.isArray(o.rules)) throw argumentError(`${name}.rules`, 'an array of rules', o.rules);
    const rules = o.rules.map((r: unknown, i) => {
      const at = `${name}.rules[${i}]`;
      if (typeof r !== 'object' || r === null) throw argumentError(at, 'an object', r);
      const rr = r as Record<string, unknown>;
      for (const k of Object.keys(rr))
        if (k !== 'routers' && k !== 'nodes' && k !== 'roles' && k !== 'effect')
          throw argumentError(
            `${at}.${k}`,
            'no such key (`routers`, `nodes`, `roles`, `effect`)',
            rr[k],
          );
      if (rr.effect !== undefined && rr.effect !== 'allow' && rr.effect !== 'deny')
        throw argumentError(`${at}.effect`, "'allow' or 'deny'", rr.effect);
      const roles = rr.roles;
      if (
        !Array.isArray(roles) ||
        roles.length === 0 ||
        roles.some((x) => x !== 'controller' && x !== 'monitor' && x !== 'host')
      )
        throw argumentError(
          `${at}.roles`,
          "a non-empty array of 'controller', 'monitor', 'host'",
          roles,
        );
      return {
        allow: rr.effect !== 'deny',
        routers: patterns(rr.routers, `${at}.routers`),
        nodes: patterns(rr.nodes, `${at}.nodes`),
        roles: new Set<string>(roles as string[]),
      };
    });
    return new CtpResolvedPolicy(o.default === 'allow', rules);
  }

  /** Does any rule say who may host (advertise) some names? */
  get restrictsHosting(): boolean {
    return this.hosted !== undefined;
  }

  /**
   * May router `router` advertise node `node`? The first `host` rule whose
   * patterns match both decides; a name some `host` rule matches is refused
   * to a router none of them matches; a name no `host` rule matches is free.
   */
  mayHost(router: string, node: string): boolean {
    if (this.hosted === undefined || !this.hosted.test(node)) return true;
    const key = `  ${node} ${router}`;
    let ok = this.cache.get(key);
    if (ok !== undefined) return ok;
    ok = true;
    for (const r of this.rules) {
      if (!r.roles.has('host') || !r.nodes.some((p) => p.test(node))) continue;
      if (r.routers.some((p) => p.test(router))) {
        ok = r.allow;
        break;
      }
      ok = false;
    }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, ok);
    return ok;
  }

  /** May router `router` be `role` of node `node`? */
  allows(router: string, node: string, role: CtpPolicyRole): boolean {
    const key = `${role} ${node} ${router}`;
    let ok = this.cache.get(key);
    if (ok !== undefined) return ok;
    ok = this.allowByDefault;
    for (const r of this.rules)
      if (
        r.roles.has(role) &&
        r.routers.some((p) => p.test(router)) &&
        r.nodes.some((p) => p.test(node))
      ) {
        ok = r.allow;
        break;
      }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, ok);
    return ok;
  }
}
