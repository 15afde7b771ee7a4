/**
 * NATS credentials on the command line and the lockdown of docs/nats.md
 * (issue 25), against a real nats-server whose configuration has one user per
 * router, each allowed to publish only under its own id: `user:pass@` in the
 * `--nats` URL and `--nats-user`/`--nats-pass` authenticate CLI processes;
 * bad credentials end with a clear line and exit code 1; `peer` warns when it
 * joins a bus with neither credentials nor identity; and a member cannot
 * publish as another (its forged subjects never reach anyone).
 */
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, runCli, spawnCli } from '../tcp/procs.js';
import { until } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip('test/nats/credentials.test.ts (CLI credentials and subject permissions)');

const P = 'lk';
/** docs/nats.md's lockdown for router `id` (its password: `<id>-pw`). */
const user = (id: string): string => `{ user: ${id}, password: "${id}-pw", permissions: {
    publish: ["${P}.u.*.${id}", "${P}.b.${id}", "${P}.p.${id}"],
    subscribe: ["${P}.u.${id}.*", "${P}.b.*", "${P}.p.*"] } }`;
const CONFIG = `authorization {
  users = [
    ${user('station')}
    ${user('console')}
    { user: audit, password: "audit-pw", permissions: { publish: { deny: ">" }, subscribe: ["${P}.>"] } }
  ]
}
`;

describe.skipIf(NATS_BIN === undefined)('NATS credentials and subject permissions', () => {
  let server: NatsServer;
  const url = (cred = ''): string => `nats://${cred}127.0.0.1:${server.port}`;
  beforeAll(async () => {
    await ensureBuilt();
    server = await NatsServer.withConfig(CONFIG);
  }, 120_000);
  afterEach(killAll);
  afterAll(stopAllServers);

  it('user:pass@ in the URL and --nats-user/--nats-pass authenticate: a command reaches the station', async () => {
    const st = spawnCli([
      'peer',
      '--json',
      '--id',
      'station',
      '--nats',
      url('station:station-pw@'),
      '--nats-prefix',
      P,
      '--node',
      'cam1',
      '--echo',
    ]);
    await st.waitFor((r) => r.type === 'bus', 10_000, 'the station on the bus');
    const run = await runCli([
      'call',
      '--json',
      '--id',
      'console',
      '--nats',
      url(),
      '--nats-user',
      'console',
      '--nats-pass',
      'console-pw',
      '--nats-prefix',
      P,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '{"deg":30}',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.records.filter((r) => r.type === 'result').map((r) => r.code)).toEqual([
      'SUCCESS',
      'SUCCESS',
    ]);
    // Credentials given: no warning; the station's TCP side is not in play.
    expect(st.stderr).not.toMatch(/without credentials/);
  });

  it('bad credentials: one clear line on stderr and exit code 1', async () => {
    const run = await runCli([
      'nodes',
      '--nats',
      url(),
      '--nats-user',
      'console',
      '--nats-pass',
      'wrong',
      '--nats-prefix',
      P,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot connect to NATS: .*Authorization Violation.*\(the server refused these credentials/i,
    );
  });

  it('peer warns when it joins a bus with neither credentials nor identity', async () => {
    const run = await runCli(['peer', '--id', 'station', '--nats', url(), '--nats-prefix', P]);
    expect(run.stderr.split('\n')[0]).toMatch(
      /joining the NATS bus without credentials or identity/,
    );
    expect(run.code).toBe(1); // and this server refuses it
  });

  it('a member cannot publish as another: forged subjects reach nobody', async () => {
    const audit = await connect({ servers: url(), user: 'audit', pass: 'audit-pw' });
    const mallory = await connect({ servers: url(), user: 'console', pass: 'console-pw' });
    const errors: string[] = [];
    void (async () => {
      for await (const s of mallory.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    try {
      const seen: string[] = [];
      const sub = audit.subscribe(`${P}.>`, {
        callback: (_e, m) => {
          seen.push(m.subject);
        },
      });
      await audit.flush();
      const hello = '{"v":1,"i":"forged"}';
      const frame = '{"v":1,"t":"UPDATENODE","from":"station"}';
      mallory.publish(`${P}.p.station`, hello); // presence as the station
      mallory.publish(`${P}.b.station`, frame); // a broadcast as the station
      mallory.publish(`${P}.u.viewer.station`, frame); // a unicast as the station
      mallory.publish(`${P}.u.station.console`, '{"v":1,"t":"UPDATENODE","from":"console"}');
      await mallory.flush();
      await until(() => seen.length >= 1, 3000, 'the genuine frame');
      await audit.flush();
      expect(seen).toEqual([`${P}.u.station.console`]);
      await until(() => errors.length >= 3, 3000, 'the permission errors');
      expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "lk\.p\.station"/i);
      sub.unsubscribe();
    } finally {
      await mallory.close();
      await audit.close();
    }
  });
});
