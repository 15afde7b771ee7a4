/**
 * Options every CLI command shares.
 */
import {
  addressArg,
  intArg,
  listOpt,
  stringOpt,
  UsageError,
  type OptionSpec,
  type ParsedArgs,
} from './args.js';
import { isValidRouterId } from '../base/names.js';
import type { TcpAddress } from '../tcp/address.js';
import { tlsArgs, TLS_SPEC, type CliTls } from './tls.js';
import { natsAuthArgs, NATS_AUTH_SPEC, type CliNatsAuth } from './nats-auth.js';
import { policyArg } from './policy.js';
import type { CtpPolicy } from '../auth/policy.js';

/** Options every command accepts. */
export const COMMON_SPEC: Record<string, OptionSpec> = {
  json: { type: 'boolean' },
  help: { type: 'boolean' },
  id: { type: 'string' },
  ...TLS_SPEC,
  'timeout-ms': { type: 'string' },
  'wait-ms': { type: 'string' },
  connect: { type: 'string', multiple: true },
  nats: { type: 'string', multiple: true },
  'nats-prefix': { type: 'string' },
  ...NATS_AUTH_SPEC,
  'heartbeat-ms': { type: 'string' },
  policy: { type: 'string' },
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
  /** `--nats URL` (repeatable): NATS servers of the bus. */
  nats: string[];
  /** `--nats-creds`, `--nats-user`/`--nats-pass` (or `user:pass@` in the URL), `--nats-tls-*`. */
  natsAuth: CliNatsAuth;
  /** `--nats-prefix`: the bus's subject prefix. */
  natsPrefix: string | undefined;
  /** `--heartbeat-ms`: transport `heartbeatMs` (TCP links silent for 3× it are closed as dead) and the bus presence interval; undefined: the defaults. */
  heartbeatMs: number | undefined;
  /** `--policy FILE`: the router option `policy` (its `host` rules apply at every router; the rest where nodes are hosted). */
  policy: CtpPolicy | undefined;
}

/** Validate the shared options; throws `UsageError`. */
export function commonOptions(p: ParsedArgs, command: string): CommonOptions {
  const id = stringOpt(p.options.id);
  if (id !== undefined && !isValidRouterId(id))
    throw new UsageError(`bad router id \`${id}\` (1–128 chars of A-Z a-z 0-9 . _ : -)`, command);
  const tls = tlsArgs(p, command, id);
  const nats = natsAuthArgs(
    p,
    listOpt(p.options.nats).map((u) => natsArg(u, command)),
    command,
  );
  return {
    json: p.options.json === true,
    id: id ?? tls?.id,
    tls,
    timeoutMs: intArg(p.options['timeout-ms'], 'timeout-ms', command, 10_000, 1),
    waitMs: intArg(p.options['wait-ms'], 'wait-ms', command, 5_000),
    connect: listOpt(p.options.connect).map((a) => addressArg(a, 'connect', command)),
    nats: nats.servers,
    natsAuth: nats.auth,
    natsPrefix: prefixArg(stringOpt(p.options['nats-prefix']), command),
    policy: policyArg(stringOpt(p.options.policy), command),
    // 0 turns TCP heartbeats off; the bus's presence needs an interval.
    heartbeatMs:
      p.options['heartbeat-ms'] === undefined
        ? undefined
        : intArg(
            p.options['heartbeat-ms'],
            'heartbeat-ms',
            command,
            0,
            p.options.nats === undefined ? 0 : 1,
          ),
  };
}

/** A NATS server URL: `nats://HOST:PORT`, `tls://HOST:PORT` or `HOST:PORT`. */
function natsArg(text: string, command: string): string {
  if (
    !/^((nats|tls|ws|wss):\/\/)?([^\s/@]+@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(
      text,
    )
  )
    throw new UsageError(
      `bad URL for \`--nats\`: \`${text}\` (expected nats://HOST:PORT)`,
      command,
    );
  return text;
}

function prefixArg(text: string | undefined, command: string): string | undefined {
  if (text !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(text))
    throw new UsageError(
      `bad value for \`--nats-prefix\`: \`${text}\` (subject tokens of A-Z a-z 0-9 _ - joined by dots)`,
      command,
    );
  return text;
}

/** Commands that talk to a network need somewhere to connect. */
export function requireConnect(c: CommonOptions, command: string): void {
  if (c.connect.length === 0 && c.nats.length === 0)
    throw new UsageError('missing `--connect HOST:PORT` or `--nats URL`', command);
}
