// A network over mutual TLS, with signed adverts: a throwaway CA and one certificate per router
// (CN = router id) made with openssl in a temporary directory, then a station and a console.
// Run: node docs/examples/tls.mjs   (needs `openssl` on PATH)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRouter } from 'ctp-router';

const dir = mkdtempSync(join(tmpdir(), 'ctp-tls-example-'));
const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
const pem = (f) => readFileSync(join(dir, f), 'utf8');
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
    '/CN=example CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  );
  writeFileSync(
    join(dir, 'router.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  const creds = {};
  for (const id of ['station', 'console']) {
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
    creds[id] = { key: pem(`${id}.key`), cert: pem(`${id}.crt`), ca: pem('ca.crt') };
  }

  // The router id is the certificate's CN; `identity` signs this router's adverts and checks everyone's.
  const station = await connectRouter({
    identity: creds.station,
    nodes: ['pump'],
    tcp: { listen: { host: '127.0.0.1', port: 0 }, tls: creds.station },
  });
  station.handle('pump', () => ({ ok: true }));
  const port = station.transport.address().port;
  // `station@` names the router expected at that address: its certificate's CN must be `station`.
  const console_ = await connectRouter({
    identity: creds.console,
    tcp: { connect: [`station@127.0.0.1:${port}`], tls: creds.console },
  });
  await console_.waitForNode('pump', { timeoutMs: 10_000 });
  console.log('register', (await console_.register('pump', 'controller')).code);
  const reply = await console_.command('pump', 'motor', { speed: 1 });
  console.log('command over mutual TLS', reply.code, JSON.stringify(reply.content));
  await console_.drain();
  await station.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
