/**
 * Unknown option keys (issue 19): `CtpRouter`, `TcpTransport` and
 * `NatsTransport` refuse a key they do not know, nested objects included,
 * with a "did you mean" when a known key is close (src/base/suggest.ts, shared
 * with the CLI); the NATS client's own options still pass through, and the
 * README lists exactly those.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CtpArgumentError } from '../../src/base/errors.js';
import { NatsTransport } from '../../src/nats/index.js';
import { NATS_CLIENT_KEYS, resolveNatsOptions } from '../../src/nats/options.js';
import { CtpRouter } from '../../src/router.js';
import { closest, didYouMean, levenshtein } from '../../src/base/suggest.js';
import { TcpTransport } from '../../src/tcp/index.js';

const pem = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), 'utf8');
const station = { key: pem('station.key'), cert: pem('station.crt'), ca: pem('ca.crt') };

/** The error `fn` throws (it must throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

/** `fn` throws a `CtpArgumentError` (a TypeError, ERR_CTP_INVALID_ARG) with exactly `message`. */
function expectArgumentError(fn: () => unknown, message: string): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(CtpArgumentError);
  expect(err).toBeInstanceOf(TypeError);
  expect((err as CtpArgumentError).code).toBe('ERR_CTP_INVALID_ARG');
  expect(err.message).toBe(message);
}

const router = (options: unknown): CtpRouter<string> =>
  new CtpRouter<string>(
    () => {},
    () => {},
    () => {},
    options as never,
  );

describe('did you mean (src/base/suggest.ts)', () => {
  it('levenshtein counts insertions, deletions and substitutions', () => {
    expect(levenshtein('', '')).toBe(0);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('conect', 'connect')).toBe(1);
    expect(levenshtein('responseTimeout', 'responseTimeoutMs')).toBe(2);
  });

  it('finds the misspellings of the issue, case-insensitive matches and prefixes', () => {
    const router = [
      'id',
      'nodes',
      'responseTimeoutMs',
      'registrationWaitMs',
      'leaseGraceMs',
      'maxHops',
    ];
    expect(closest('responseTimeout', router)).toBe('responseTimeoutMs');
    expect(closest('RESPONSETIMEOUTMS', router)).toBe('responseTimeoutMs');
    expect(closest('heartbeatMS', ['heartbeatMs', 'deadAfterMs'])).toBe('heartbeatMs');
    expect(closest('maxQueued', ['maxFrameBytes', 'maxQueuedBytes'])).toBe('maxQueuedBytes'); // a prefix, 5 edits away
    expect(closest('leaseGrace', router)).toBe('leaseGraceMs');
    expect(closest('cal', ['peer', 'nodes', 'call', 'watch', 'ui'])).toBe('call');
    expect(closest('conect', ['connect', 'listen', 'node'])).toBe('connect');
  });

  it('suggests nothing far off, and nothing for short names two edits away', () => {
    expect(closest('xyzzy', ['id', 'nodes', 'responseTimeoutMs'])).toBeUndefined();
    expect(closest('ca', ['id', 'key'])).toBeUndefined();
    expect(closest('timeout', ['responseTimeoutMs'])).toBeUndefined();
    expect(closest('node', [])).toBeUndefined();
  });

  it('takes the nearest, the first of equals, and formats the sentence', () => {
    expect(closest('maxHop', ['maxHopz', 'maxHops'])).toBe('maxHopz');
    expect(closest('maxHopss', ['maxHo', 'maxHops'])).toBe('maxHops');
    expect(didYouMean('conect', ['connect'], (n) => `--${n}`)).toBe('; did you mean `--connect`?');
    expect(didYouMean('zzz', ['connect'])).toBe('');
  });
});

describe('CtpRouter options', () => {
  it('refuses an unknown key, with a did you mean for a close one (house template)', () => {
    expectArgumentError(
      () => router({ id: 'r', responseTimeout: 5000 }),
      'Unknown option `responseTimeout` of CtpRouter; did you mean `responseTimeoutMs`?',
    );
    expectArgumentError(
      () => router({ maxhops: 3 }),
      'Unknown option `maxhops` of CtpRouter; did you mean `maxHops`?',
    );
    expectArgumentError(
      () => router({ frobnicate: true }),
      'Unknown option `frobnicate` of CtpRouter',
    );
    // A misspelled key with an undefined value is refused too: it is still a typo.
    expectArgumentError(
      () => router({ virtualNode: undefined }),
      'Unknown option `virtualNode` of CtpRouter; did you mean `virtualNodes`?',
    );
  });

  it('refuses an unknown key of `identity`', () => {
    expectArgumentError(
      () => router({ identity: { ...station, passphrase: 'x' } }),
      'Unknown option `identity.passphrase` of CtpRouter',
    );
    expectArgumentError(
      () => router({ identity: { key: station.key, cert: station.cert, cas: station.ca } }),
      'Unknown option `identity.cas` of CtpRouter; did you mean `identity.ca`?',
    );
  });

  it('accepts every documented key', () => {
    const all = {
      id: 'station',
      nodes: ['cam1'],
      virtualNodes: false,
      responseTimeoutMs: 1000,
      registrationWaitMs: 100,
      leaseGraceMs: 100,
      maxHops: 8,
      maxFrameBytes: 4096,
      maxNodesPerAdvert: 100,
      maxWaitingRegistrations: 8,
      maxRouters: 100,
      staleAdvertMs: 1000,
      codec: undefined,
      authorize: () => true,
      clock: undefined,
      minAdvertIntervalMs: 0,
      maxTableNodes: 1000,
      maxMonitorsPerNode: 4,
      maxControlIdleMs: 1000,
      identity: station,
    };
    const r = router(all);
    expect(r.id).toBe('station');
    void r.close();
  });
});

describe('TcpTransport options', () => {
  it('refuses an unknown key, with a did you mean for a close one', () => {
    expectArgumentError(
      () => new TcpTransport({ heartbeatMS: 100 } as never),
      'Unknown option `heartbeatMS` of TcpTransport; did you mean `heartbeatMs`?',
    );
    expectArgumentError(
      () => new TcpTransport({ conect: ['127.0.0.1:1'] } as never),
      'Unknown option `conect` of TcpTransport; did you mean `connect`?',
    );
    expectArgumentError(
      () => new TcpTransport({ maxQueued: 1 } as never),
      'Unknown option `maxQueued` of TcpTransport; did you mean `maxQueuedBytes`?',
    );
    expectArgumentError(
      () => new TcpTransport({ nodes: ['cam1'] } as never),
      'Unknown option `nodes` of TcpTransport',
    );
  });

  it('refuses an unknown key of `listen`, `reconnect` and `tls`', () => {
    expectArgumentError(
      () => new TcpTransport({ listen: { hots: '127.0.0.1' } } as never),
      'Unknown option `listen.hots` of TcpTransport; did you mean `listen.host`?',
    );
    expectArgumentError(
      () => new TcpTransport({ reconnect: { maxDelay: 100 } } as never),
      'Unknown option `reconnect.maxDelay` of TcpTransport; did you mean `reconnect.maxDelayMs`?',
    );
    expectArgumentError(
      () => new TcpTransport({ tls: { ...station, rejectUnauthorised: true } } as never),
      'Unknown option `tls.rejectUnauthorised` of TcpTransport; did you mean `tls.rejectUnauthorized`?',
    );
    expectArgumentError(
      () => new TcpTransport({ tls: { ...station, handshakeTimeoutMs: 100 } } as never),
      'Unknown option `tls.handshakeTimeoutMs` of TcpTransport; did you mean `tls.handshakeTimeout`?',
    );
  });

  it('accepts every documented key, node:tls secure-context options and the verification flags left on', () => {
    const t = new TcpTransport({
      listen: { host: '127.0.0.1', port: 0 },
      connect: [],
      id: 'station',
      maxFrameBytes: 4096,
      maxQueuedBytes: 8192,
      reconnect: { initialDelayMs: 10, maxDelayMs: 100, factor: 2, jitter: 0 },
      connectTimeoutMs: 1000,
      maxConnections: 4,
      keepAliveMs: 0,
      closeTimeoutMs: 10,
      heartbeatMs: 0,
      deadAfterMs: 0,
      handshakeTimeoutMs: 0,
      maxBufferedBytes: 8192,
      tls: {
        ...station,
        handshakeTimeout: 500,
        minVersion: 'TLSv1.2',
        ciphers: undefined,
        passphrase: undefined,
        ...{ requestCert: true, rejectUnauthorized: true },
      },
    });
    expect(t.peers()).toEqual([]);
    expect(() => new TcpTransport({ reconnect: false })).not.toThrow();
  });
});

describe('NatsTransport options', () => {
  it('refuses an unknown key, with a did you mean for a close one', () => {
    expectArgumentError(
      () => new NatsTransport({ servers: 'x', heartbeatMS: 100 } as never),
      'Unknown option `heartbeatMS` of NatsTransport; did you mean `heartbeatMs`?',
    );
    expectArgumentError(
      () => new NatsTransport({ servers: 'x', prefx: 'a' } as never),
      'Unknown option `prefx` of NatsTransport; did you mean `prefix`?',
    );
    // A misspelled client option is caught too.
    expectArgumentError(
      () => new NatsTransport({ servers: 'x', reconectTimeWait: 10 } as never),
      'Unknown option `reconectTimeWait` of NatsTransport; did you mean `reconnectTimeWait`?',
    );
    expectArgumentError(
      () => new NatsTransport({ server: 'x' } as never),
      'Unknown option `server` of NatsTransport; did you mean `servers`?',
    );
    expectArgumentError(
      () => new NatsTransport({ servers: 'x', nodes: ['a'] } as never),
      'Unknown option `nodes` of NatsTransport',
    );
    // noEcho keeps its own message: the transport sets it.
    expect(() => new NatsTransport({ servers: 'x', noEcho: false } as never)).toThrow(
      /`options\.noEcho` to be not given/,
    );
  });

  it("passes every client option through to connect() as is (the tls object unchecked: it is the client's)", () => {
    const given: Record<string, unknown> = Object.fromEntries(
      NATS_CLIENT_KEYS.map((k, i) => [k, `value-${i}`]),
    );
    given.tls = { ca: 'x', servername: 'bus.example', anything: 1 };
    const o = resolveNatsOptions({
      servers: 'nats://127.0.0.1:4222',
      prefix: 'p',
      ...given,
    } as never);
    for (const k of NATS_CLIENT_KEYS)
      expect(o.client[k as keyof typeof o.client], k).toEqual(given[k]);
    expect(o.client).not.toHaveProperty('prefix');
  });

  it('passes through exactly the client keys docs/nats.md lists', () => {
    const readme = readFileSync(new URL('../../docs/nats.md', import.meta.url), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| client options |'));
    expect(row, 'the docs/nats.md row `| client options |` of the NATS options').toBeDefined();
    const listed = [...(row as string).matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...NATS_CLIENT_KEYS].sort());
    expect(NATS_CLIENT_KEYS).toContain('tls');
    expect(NATS_CLIENT_KEYS).not.toContain('servers');
    expect(NATS_CLIENT_KEYS).not.toContain('noEcho');
  });
});
