/**
 * `--tls-cert FILE --tls-key FILE --tls-ca FILE` (every command): mutual TLS
 * for the links and the router's signing identity, both from the same PEM
 * files. The router id is the certificate's CN.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateId } from '../tcp/tls.js';
import { stringOpt, UsageError, type OptionSpec, type ParsedArgs } from './args.js';

/** The TLS flags. */
export const TLS_SPEC: Record<string, OptionSpec> = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
};

/** PEM strings read from the flags, and the router id the certificate names. */
export interface CliTls {
  key: string;
  cert: string;
  ca: string;
  /** The certificate's subject CN. */
  id: string;
}

function readPem(path: string, option: string, command: string): string {
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
 * Read the TLS flags (all three or none); `id` is `--id` when given, which
 * must then be the certificate's CN. Throws `UsageError`.
 */
export function tlsArgs(
  p: ParsedArgs,
  command: string,
  id: string | undefined,
): CliTls | undefined {
  const [cert, key, ca] = (['tls-cert', 'tls-key', 'tls-ca'] as const).map((o) =>
    stringOpt(p.options[o]),
  );
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined || ca === undefined)
    throw new UsageError('give all of `--tls-cert`, `--tls-key` and `--tls-ca`, or none', command);
  const tls = {
    cert: readPem(cert, 'tls-cert', command),
    key: readPem(key, 'tls-key', command),
    ca: readPem(ca, 'tls-ca', command),
  };
  const cn = certificateId(tls.cert);
  if (cn === undefined)
    throw new UsageError(
      `\`--tls-cert\` \`${cert}\` is not a certificate whose subject CN is a router id`,
      command,
    );
  if (id !== undefined && id !== cn)
    throw new UsageError(
      `\`--id ${id}\` differs from the router id its certificate names (CN=${cn}); leave \`--id\` out to use the CN`,
      command,
    );
  const problem = certificateProblem(tls);
  if (problem !== undefined) throw new UsageError(`\`--tls-cert\` \`${cert}\` ${problem}`, command);
  return { ...tls, id: cn };
}

/** Why the certificate cannot serve (with this key, under this CA, now), or `undefined`. */
function certificateProblem(tls: { key: string; cert: string; ca: string }): string | undefined {
  const x = new X509Certificate(tls.cert);
  const now = Date.now();
  if (Date.parse(x.validFrom) > now || Date.parse(x.validTo) < now)
    return `is not valid now (valid from ${x.validFrom} to ${x.validTo})`;
  try {
    if (!x.checkPrivateKey(createPrivateKey(tls.key))) return 'does not match `--tls-key`';
  } catch {
    return 'comes with a `--tls-key` that is not a private key';
  }
  const cas = (
    tls.ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  ).flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
  if (cas.length === 0) return 'comes with a `--tls-ca` that holds no certificate';
  if (!cas.some((ca) => x.checkIssued(ca) && x.verify(ca.publicKey)))
    return 'is not issued by `--tls-ca`';
  return undefined;
}
