/**
 * NATS credentials on the command line (issue 25): `--nats-creds FILE`,
 * `--nats-user`/`--nats-pass` (or `user:pass@` in a `--nats` URL, which the
 * NATS client itself ignores), and `--nats-tls-cert/--nats-tls-key/--nats-tls-ca`,
 * turned into the `NatsTransport` options `creds`, `user`/`pass` and `tls`
 * (docs/nats.md, "Security").
 */
import { readFileSync } from 'node:fs';
import { stringOpt, UsageError, type OptionSpec, type ParsedArgs } from './args.js';

/** The NATS credential options every command that joins a bus accepts. */
export const NATS_AUTH_SPEC: Record<string, OptionSpec> = {
  'nats-creds': { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-pass': { type: 'string' },
  'nats-tls-cert': { type: 'string' },
  'nats-tls-key': { type: 'string' },
  'nats-tls-ca': { type: 'string' },
};

/** What `NatsTransport` gets from the credential flags (each absent when not given). */
export interface CliNatsAuth {
  /** `--nats-creds`: the text of the `.creds` file. */
  creds?: string;
  /** `--nats-user`, else the user of the first `--nats` URL that has one. */
  user?: string;
  /** `--nats-pass`, else that URL's password. */
  pass?: string;
  /** `--nats-tls-*`: the PEM texts (a client certificate needs its key). */
  tls?: { cert?: string; key?: string; ca?: string };
}

function readFile(path: string, option: string, command: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read \`--${option}\` file \`${path}\`: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      command,
    );
  }
}

/**
 * The `--nats` URLs without their `user:pass@` part, and the credentials of every flag.
 * Throws `UsageError` for an unreadable file, a key without its certificate, or a password
 * without a user.
 */
export function natsAuthArgs(
  p: ParsedArgs,
  urls: string[],
  command: string,
): { servers: string[]; auth: CliNatsAuth } {
  const auth: CliNatsAuth = {};
  const servers = urls.map((u) => {
    const m = /^((?:[a-z]+:\/\/)?)([^\s/@]+)@(.*)$/.exec(u);
    if (m === null) return u;
    const info = m[2] as string;
    const colon = info.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? info : info.slice(0, colon));
    const pass = colon < 0 ? undefined : decodeURIComponent(info.slice(colon + 1));
    if (auth.user === undefined) {
      auth.user = user;
      if (pass !== undefined) auth.pass = pass;
    }
    return `${m[1] as string}${m[3] as string}`;
  });
  const o = p.options;
  const user = stringOpt(o['nats-user']);
  const pass = stringOpt(o['nats-pass']);
  if (user !== undefined) {
    auth.user = user;
    if (pass === undefined) delete auth.pass;
  }
  if (pass !== undefined) {
    if (auth.user === undefined) throw new UsageError('`--nats-pass` needs `--nats-user`', command);
    auth.pass = pass;
  }
  const creds = stringOpt(o['nats-creds']);
  if (creds !== undefined) auth.creds = readFile(creds, 'nats-creds', command);
  const tls: NonNullable<CliNatsAuth['tls']> = {};
  for (const part of ['cert', 'key', 'ca'] as const) {
    const path = stringOpt(o[`nats-tls-${part}`]);
    if (path !== undefined) tls[part] = readFile(path, `nats-tls-${part}`, command);
  }
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new UsageError('give both `--nats-tls-cert` and `--nats-tls-key`, or neither', command);
  if (Object.keys(tls).length > 0) auth.tls = tls;
  const flags = Object.keys(NATS_AUTH_SPEC).filter((k) => o[k] !== undefined);
  if (urls.length === 0 && flags.length > 0)
    throw new UsageError(`\`--${flags[0] as string}\` needs \`--nats URL\``, command);
  return { servers, auth };
}

/** Does this bus authenticate its client (credentials, a user, or a client certificate)? */
export function hasNatsCredentials(auth: CliNatsAuth): boolean {
  return auth.creds !== undefined || auth.user !== undefined || auth.tls?.cert !== undefined;
}
