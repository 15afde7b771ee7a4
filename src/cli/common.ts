/**
 * Options every CLI command shares.
 */
import { addressArg, intArg, listOpt, stringOpt, UsageError, type OptionSpec, type ParsedArgs } from './args.js';
import { isValidRouterId } from '../names.js';
import type { TcpAddress } from '../tcp/address.js';
import { tlsArgs, TLS_SPEC, type CliTls } from './tls.js';

/** Options every command accepts. */
export const COMMON_SPEC: Record<string, OptionSpec> = {
  json: { type: 'boolean' },
  help: { type: 'boolean' },
  id: { type: 'string' },
  ...TLS_SPEC,
  'timeout-ms': { type: 'string' },
  'wait-ms': { type: 'string' },
  connect: { type: 'string', multiple: true },
  'heartbeat-ms': { type: 'string' },
};

/** The shared options, validated. */
export interface CommonOptions {
  json: boolean;
  id: string | undefined;
  /** `--tls-cert/--tls-key/--tls-ca`: mutual TLS links, and the router's identity (signed adverts). */
  tls: CliTls | undefined;
  timeoutMs: number;
  waitMs: number;
  connect: TcpAddress[];
  /** Transport `heartbeatMs` (links silent for 3× it are closed as dead); undefined: the transport's default. */
  heartbeatMs: number | undefined;
}

/** Validate the shared options; throws `UsageError`. */
export function commonOptions(p: ParsedArgs, command: string): CommonOptions {
  const id = stringOpt(p.options.id);
  if (id !== undefined && !isValidRouterId(id)) throw new UsageError(`bad router id \`${id}\` (1–128 chars of A-Z a-z 0-9 . _ : -)`, command);
  const tls = tlsArgs(p, command, id);
  return {
    json: p.options.json === true,
    id: id ?? tls?.id,
    tls,
    timeoutMs: intArg(p.options['timeout-ms'], 'timeout-ms', command, 10_000, 1),
    waitMs: intArg(p.options['wait-ms'], 'wait-ms', command, 5_000),
    connect: listOpt(p.options.connect).map((a) => addressArg(a, 'connect', command)),
    heartbeatMs: p.options['heartbeat-ms'] === undefined ? undefined : intArg(p.options['heartbeat-ms'], 'heartbeat-ms', command, 0),
  };
}

/** Commands that talk to a network need somewhere to connect. */
export function requireConnect(c: CommonOptions, command: string): void {
  if (c.connect.length === 0) throw new UsageError('missing `--connect HOST:PORT`', command);
}
