/**
 * The raw baseline over mutual TLS: the same NDJSON request/response as
 * raw-ndjson.ts, over `node:tls` with client certificates required and
 * verified (the test fixtures' CA), writes batched per read (raw-ndjson.ts);
 * `flush: 'turn'`, once per event-loop turn (the diagnostic turn-taking pair).
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:tls';
import { answerCommands, RawClient, type RawFlush } from './raw-ndjson.js';

const FIXTURES = new URL('../../../test/fixtures/tls/', import.meta.url);

/** Key, certificate and CA of a test router (`station`, `console`, ...). */
export function benchTls(name: string): { key: string; cert: string; ca: string } {
  const pem = (f: string): string => readFileSync(new URL(f, FIXTURES), 'utf8');
  return { key: pem(`${name}.key`), cert: pem(`${name}.crt`), ca: pem('ca.crt') };
}

/** The raw TLS server (as `station`): answers every COMMAND line with a RESPONSE line. */
export function rawTlsServer(port = 0, flush: RawFlush = 'read'): Promise<Server> {
  const server = createServer(
    { ...benchTls('station'), requestCert: true, rejectUnauthorized: true },
    (socket) => answerCommands(socket, flush),
  );
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** A raw client over mutual TLS (as `console`). */
export function rawTlsClient(port: number, flush: RawFlush = 'read'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = connect(
      { host: '127.0.0.1', port, ...benchTls('console'), checkServerIdentity: () => undefined },
      () => {
        s.setNoDelay(true);
        resolve(new RawClient(s, flush));
      },
    );
    s.once('error', reject);
  });
}
