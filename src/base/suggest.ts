/**
 * "Did you mean …?": the known name closest to a misspelled one (an option
 * key, a CLI option or command), and the check that refuses unknown option
 * keys. Shared by `CtpRouter`, `TcpTransport`, `NatsTransport` and the CLI.
 */
import { unknownOptionError } from './errors.js';

/** Edit distance (insertions, deletions, substitutions) between `a` and `b`. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      row.push(
        Math.min(
          (prev[j] as number) + 1,
          (row[j - 1] as number) + 1,
          (prev[j - 1] as number) + cost,
        ),
      );
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * The known name `given` most likely meant, or `undefined`: the same name in
 * another case, else the closest (case-insensitively) within an edit distance
 * of 2 or a third of its length (1 for names of up to 3 characters), else one
 * that starts with it or that it starts with (4 characters or more in common,
 * `maxQueued` → `maxQueuedBytes`). Ties go to the first in `known`.
 */
export function closest(given: string, known: Iterable<string>): string | undefined {
  const g = given.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const name of known) {
    const n = name.toLowerCase();
    if (n === g) return name;
    const d = levenshtein(g, n);
    const within =
      d <=
      (Math.min(g.length, n.length) <= 3
        ? 1
        : Math.max(2, Math.floor(Math.max(g.length, n.length) / 3)));
    const prefix = Math.min(g.length, n.length) >= 4 && (n.startsWith(g) || g.startsWith(n));
    if (!within && !prefix) continue;
    // A prefix match ranks after every match within the distance.
    const score = within ? d : 1000 + d;
    if (score < bestScore) {
      best = name;
      bestScore = score;
    }
  }
  return best;
}

/** `'; did you mean `x`?'` for the closest known name (`format` writes it), or `''`. */
export function didYouMean(
  given: string,
  known: Iterable<string>,
  format: (name: string) => string = (n) => n,
): string {
  const hit = closest(given, known);
  return hit === undefined ? '' : `; did you mean \`${format(hit)}\`?`;
}

/**
 * Throw `CtpArgumentError` for the first own key of `options` not in `known`
 * (``Unknown option `responseTimeout` of CtpRouter; did you mean `responseTimeoutMs`?``).
 * `path` prefixes nested keys (`'reconnect.'`).
 */
export function checkOptionKeys(
  options: object,
  known: readonly string[],
  owner: string,
  path = '',
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key))
      throw unknownOptionError(
        `${path}${key}`,
        owner,
        didYouMean(key, known, (n) => `${path}${n}`),
      );
  }
}

/** The keys of a `Record<keyof T, true>`: a list the compiler keeps complete and exact. */
export function keysOf<T>(keys: Record<keyof T, true>): readonly string[] {
  return Object.freeze(Object.keys(keys));
}
