/**
 * A small, strict argument parser for the CLI: long options (`--name value`,
 * `--name=value`, repeatable ones collected), `-h`, and `--` splitting the
 * positionals into groups (the `call` command's operations).
 */
import { isValidPlainNodeName } from '../base/names.js';
import { didYouMean } from '../base/suggest.js';
import { formatAddress, parseAddress, parseTarget, type TcpAddress } from '../tcp/address.js';

/** A misuse of the command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** One option's shape. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
}

/** The parsed command line. */
export interface ParsedArgs {
  /** Option values by name (repeatable ones as arrays). */
  options: Record<string, string | string[] | boolean | undefined>;
  /** Positionals, split at every `--`. */
  groups: string[][];
}

/** Parse `argv` against `spec`; throws `UsageError` on an unknown option (with a "did you mean") or a missing value. */
export function parseArgs(
  argv: readonly string[],
  spec: Record<string, OptionSpec>,
  command: string,
): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const groups: string[][] = [[]];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      groups.push([]);
      continue;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      (groups[groups.length - 1] as string[]).push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const s = spec[name];
    if (s === undefined)
      throw new UsageError(
        `unknown option \`--${name}\`${didYouMean(name, Object.keys(spec), (n) => `--${n}`)}`,
        command,
      );
    let value: string | boolean;
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`option \`--${name}\` takes no value`, command);
      value = true;
    } else if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2))
        throw new UsageError(`option \`--${name}\` needs a value`, command);
      value = next;
      i++;
    }
    if (s.multiple === true) {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(value as string);
      options[name] = list;
    } else {
      if (options[name] !== undefined)
        throw new UsageError(`option \`--${name}\` given twice`, command);
      options[name] = value;
    }
  }
  return { options, groups };
}

/** A dial target: an address, and for `ID@HOST:PORT` the router id expected there. */
export interface CliTarget extends TcpAddress {
  id?: string;
}

/** `HOST:PORT` (and for `--connect`, `ID@HOST:PORT`), or a usage error naming the option. */
export function addressArg(
  text: string,
  option: string,
  command: string,
  allowZero = false,
): CliTarget {
  const target = option === 'connect' && text.includes('@') ? parseTarget(text) : undefined;
  if (target?.id !== undefined) return { ...target.address, id: target.id };
  const a = parseAddress(text, allowZero);
  if (a === undefined)
    throw new UsageError(
      `bad address for \`--${option}\`: \`${text}\` (expected HOST:PORT, e.g. 127.0.0.1:7000)`,
      command,
    );
  return a;
}

/** `[ID@]HOST:PORT` as the transport's `connect` takes it. */
export function formatTarget(t: CliTarget): string {
  return t.id === undefined ? formatAddress(t) : `${t.id}@${formatAddress(t)}`;
}

/** An integer option that may be absent: `undefined` then, else as `intArg` checks it. */
export function optionalIntArg(
  value: string | string[] | boolean | undefined,
  option: string,
  command: string,
  min = 0,
): number | undefined {
  return value === undefined ? undefined : intArg(value, option, command, 0, min);
}

/** A non-negative integer option (milliseconds, bytes). */
export function intArg(
  value: string | string[] | boolean | undefined,
  option: string,
  command: string,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'string' ||
    !/^\d+$/.test(value) ||
    !Number.isSafeInteger(Number(value)) ||
    Number(value) < min
  )
    throw new UsageError(
      `bad value for \`--${option}\`: \`${String(value)}\` (expected an integer${min > 0 ? ` of at least ${min}` : ''})`,
      command,
    );
  return Number(value);
}

/** Parse a JSON argument (content, optionals). */
export function jsonArg(text: string, what: string, command: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(
      `bad JSON for ${what}: \`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``,
      command,
    );
  }
}

/** A plain node name. */
export function nodeArg(text: string | undefined, command: string): string {
  if (text === undefined) throw new UsageError('missing node name', command);
  if (!isValidPlainNodeName(text)) throw new UsageError(`bad node name \`${text}\``, command);
  return text;
}

/** A string option (the last value when given). */
export function stringOpt(v: string | string[] | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option. */
export function listOpt(v: string | string[] | boolean | undefined): string[] {
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
