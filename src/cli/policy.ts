/**
 * `--policy FILE` (every command; `peer` hosts nodes): the router option `policy` read from a JSON file
 * (format: docs/hosting.md, "Policy"), checked before the router starts.
 */
import { readFileSync } from 'node:fs';
import { CtpResolvedPolicy, type CtpPolicy } from '../auth/policy.js';
import { UsageError } from './args.js';

/** The policy in the file at `path` (`undefined` without the flag); throws `UsageError` naming the problem. */
export function policyArg(path: string | undefined, command: string): CtpPolicy | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`cannot read \`--policy\` file \`${path}\`: ${code}`, command);
  }
  let policy: unknown;
  try {
    policy = JSON.parse(text);
    CtpResolvedPolicy.from(policy, 'policy');
  } catch (err) {
    throw new UsageError(`bad \`--policy\` file \`${path}\`: ${(err as Error).message}`, command);
  }
  return policy as CtpPolicy;
}
