#!/usr/bin/env node
/**
 * `ctp-router <command>`: the command line. Dispatches to one file per command.
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { readFileSync } from 'node:fs';
import createDebug from 'debug';
import { didYouMean } from '../base/suggest.js';
import { UsageError } from './args.js';
import { USAGE } from './usage.js';

const debug = createDebug('ctp:cli');

type Command = (argv: string[]) => Promise<number | 'help'>;

/**
 * Each command's module, loaded only when it runs: a process starts one
 * command, and loading the others (the ui's HTTP server and page, `peer`'s
 * printers) would only add to its start-up.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  peer: async () => (await import('./peer.js')).peerCommand,
  nodes: async () => (await import('./nodes.js')).nodesCommand,
  call: async () => (await import('./call.js')).callCommand,
  watch: async () => (await import('./watch.js')).watchCommand,
  ui: async () => (await import('./ui.js')).uiCommand,
};

/** This package's version, from its package.json (two levels up from dist/cli/ or src/cli/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** What a mistyped command is compared with for its "did you mean". */
const NAMES = [...Object.keys(COMMANDS), 'help', 'version'];

/** `help [command]`: the command's help, or the program's. */
function help(topic: string | undefined): number {
  if (topic === undefined) {
    process.stdout.write(`${USAGE.main}\n`);
    return 0;
  }
  const text = topic === 'main' ? undefined : USAGE[topic];
  if (text === undefined) {
    process.stderr.write(
      `ctp-router help: unknown command \`${topic}\`${didYouMean(topic, Object.keys(COMMANDS))}\n${USAGE.main}\n`,
    );
    return 2;
  }
  process.stdout.write(`${text}\n`);
  return 0;
}

/** Run the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command === 'help') return help(rest[0]);
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE.main}\n`);
    return command === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load === undefined) {
    process.stderr.write(
      `ctp-router: unknown command \`${command}\`${didYouMean(command, NAMES)}\n${USAGE.main}\n`,
    );
    return 2;
  }
  try {
    const code = await (await load())(rest);
    if (code === 'help') {
      process.stdout.write(`${USAGE[command] as string}\n`);
      return 0;
    }
    return code;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(
        `ctp-router ${command}: ${err.message}\nRun \`ctp-router ${command} --help\` for usage.\n`,
      );
      return 2;
    }
    debug('%O', err);
    process.stderr.write(`ctp-router ${command}: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ctp-router: ${String(err)}\n`);
    process.exit(1);
  },
);
