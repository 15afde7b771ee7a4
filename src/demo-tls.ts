/**
 * `npm run demo -- --tls`: a throwaway CA and one certificate per demo
 * process (CN = its router id), made with `openssl` in a temporary directory
 * that `remove()` deletes. The same commands as the README's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The certificates of one demo run. */
export interface DemoCerts {
  dir: string;
  /** `--tls-cert/--tls-key/--tls-ca` for router `id`. */
  flags(id: string): string[];
  /** Delete the directory (keys included). */
  remove(): void;
}

/** Make a CA and a certificate for each id; throws when `openssl` is missing or fails. */
export function makeDemoCerts(ids: readonly string[]): DemoCerts {
  const dir = mkdtempSync(join(tmpdir(), 'ctp-demo-tls-'));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-sha256',
      '-days',
      '1',
      '-subj',
      '/CN=ctp-router demo CA',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    writeFileSync(
      join(dir, 'router.ext'),
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    for (const id of ids) {
      openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.key`);
      openssl('req', '-new', '-key', `${id}.key`, '-subj', `/CN=${id}`, '-out', `${id}.csr`);
      openssl(
        'x509',
        '-req',
        '-in',
        `${id}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-sha256',
        '-days',
        '1',
        '-extfile',
        'router.ext',
        '-out',
        `${id}.crt`,
      );
    }
  } catch (err) {
    remove();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `could not make the demo certificates with openssl: ${stderr !== undefined && stderr !== '' ? stderr : (err as Error).message}`,
    );
  }
  return {
    dir,
    flags: (id) => [
      '--tls-cert',
      join(dir, `${id}.crt`),
      '--tls-key',
      join(dir, `${id}.key`),
      '--tls-ca',
      join(dir, 'ca.crt'),
    ],
    remove,
  };
}
