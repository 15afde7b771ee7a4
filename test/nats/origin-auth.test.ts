/**
 * Issue 25, end-to-end authentication on a NATS bus: with `identity`, bus
 * frames carry the same `origin`/`ctr`/`auth` as on TCP, so another client
 * of an open server (no permissions: it reads every subject and publishes
 * on any) cannot forge control traffic. Mallory, a plain NATS client, sees
 * each of the console's COMMANDs and at once forges RESPONSEs to it (bare,
 * and claiming the station with the COMMAND's own `auth`), COMMANDs to the
 * station under the console's controller name, a release notice of the
 * station, and replays the genuine COMMANDs and RESPONSEs byte for byte.
 * Every forgery is dropped with its reason (`bad-origin`, `replayed`); the
 * console keeps control and gets the station's true answers. Real
 * nats-server; the routers run in this process.
 */
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CtpDropped } from '../../src/events.js';
import type { CtpIdentity } from '../../src/link-state/certificates.js';
import { busRouter, closeAllRouters, until } from './bus.js';
import { NATS_BIN, NatsServer, reportSkip, stopAllServers } from './server.js';

reportSkip('test/nats/origin-auth.test.ts (end-to-end authentication on an open bus)');

const dir = new URL('../fixtures/tls/sim/', import.meta.url);
const pem = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const ident = (id: string): CtpIdentity => ({
  key: pem(`${id}.key`),
  cert: pem(`${id}.crt`),
  ca: pem('ca.crt'),
});
const P = 'oa';
const CTL = 'controller[cam1]@r2';
const COMMANDS = 5;

describe.skipIf(NATS_BIN === undefined)('an open bus, identities on', () => {
  let server: NatsServer;
  let mallory: NatsConnection | undefined;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterEach(async () => {
    await mallory?.close();
    mallory = undefined;
    await closeAllRouters();
  });
  afterAll(stopAllServers);

  it("another client cannot forge or replay COMMANDs, RESPONSEs or release notices: the console keeps control and gets the station's answers", async () => {
    const station = await busRouter(server.url, 'r0', {
      nodes: ['cam1'],
      identity: ident('r0'),
      bus: { prefix: P },
    });
    const consoleR = await busRouter(server.url, 'r2', {
      identity: ident('r2'),
      bus: { prefix: P },
    });
    await until(() => consoleR.router.nodes().includes('cam1'), 5000, 'cam1 at the console');
    const drops: Record<string, CtpDropped[]> = { r0: [], r2: [] };
    station.router.on('dropped', (d) => drops.r0!.push(d as CtpDropped));
    consoleR.router.on('dropped', (d) => drops.r2!.push(d as CtpDropped));
    const lost: unknown[] = [];
    consoleR.router.on('lost', (e) => lost.push(e));

    // noEcho: its own publications would otherwise come back to it as new COMMANDs to attack.
    const m = (mallory = await connect({ servers: server.url, noEcho: true }));
    const attacks = { commands: 0, responses: 0 };
    let noticed = false;
    m.subscribe(`${P}.u.>`, {
      callback: (_e, msg) => {
        const text = msg.string();
        const f = JSON.parse(text) as Record<string, unknown>;
        if (f.t === 'COMMAND' && f.origin === 'r2') {
          attacks.commands++;
          const res = { v: 1, t: 'RESPONSE', node: 'cam1', controller: CTL, code: 'SUCCESS' };
          const forged = { ...res, re: f.id, content: 'forged' };
          m.publish(`${P}.u.r2.r0`, JSON.stringify(forged));
          m.publish(
            `${P}.u.r2.r0`,
            JSON.stringify({ ...forged, origin: 'r0', ctr: (f.ctr as number) + 1, auth: f.auth }),
          );
          const cmd = {
            ...f,
            id: (f.id as number) + 1000,
            ctr: (f.ctr as number) + 1,
            app: 'fire',
            content: 'forged',
          };
          m.publish(`${P}.u.r0.r2`, JSON.stringify(cmd)); // the console's MAC on other content
          delete (cmd as { auth?: unknown }).auth;
          delete (cmd as { origin?: unknown }).origin;
          m.publish(`${P}.u.r0.r2`, JSON.stringify(cmd)); // no authentication at all
          m.publish(`${P}.u.r0.r2`, text); // the genuine COMMAND again
          if (!noticed) {
            noticed = true;
            m.publish(
              `${P}.u.r2.r0`,
              JSON.stringify({
                ...res,
                code: 'NOT_ASSIGNED',
                reason: 'released',
                content: { host: 'r0' },
              }),
            );
          }
        } else if (f.t === 'RESPONSE' && f.origin === 'r0' && f.re !== undefined) {
          attacks.responses++;
          m.publish(`${P}.u.r2.r0`, text); // the genuine answer again
        }
      },
    });
    await m.flush();

    expect((await consoleR.router.register('cam1', 'controller')).code).toBe('SUCCESS');
    for (let n = 1; n <= COMMANDS; n++)
      expect(await consoleR.router.command('cam1', 'pan', { n })).toEqual({
        code: 'SUCCESS',
        content: { echo: 'COMMAND', app: 'pan' },
      });
    const count = (id: string, reason: string, t: string) =>
      drops[id]!.filter((d) => d.reason === reason && d.t === t).length;
    // Mallory saw every COMMAND and every genuine answer (the REGISTER's and each command's).
    await until(
      () => attacks.commands === COMMANDS && attacks.responses === COMMANDS + 1,
      5000,
      'every attack',
    );
    await until(
      () =>
        count('r0', 'replayed', 'COMMAND') === COMMANDS &&
        count('r0', 'bad-origin', 'COMMAND') === 2 * COMMANDS &&
        count('r2', 'replayed', 'RESPONSE') === COMMANDS + 1 &&
        count('r2', 'bad-origin', 'RESPONSE') === 2 * COMMANDS + 1,
      5000,
      'every forgery dropped',
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(
          Object.entries(drops).map(([id, ds]) => [id, ds.map((d) => [d.reason, d.t, d.message])]),
        )}`,
      );
    });
    // The station ran the console's commands only, once each.
    expect(station.controls.map((c) => [c.app, (c as { content?: unknown }).content])).toEqual(
      Array.from({ length: COMMANDS }, (_, i) => ['pan', { n: i + 1 }]),
    );
    expect(new Set(drops.r0!.map((d) => d.message))).toEqual(
      new Set([
        'the frame was not authenticated by its origin',
        'the frame names no origin',
        'the counter was seen already or is too old',
      ]),
    );
    const messages = drops.r2!.filter((d) => d.reason === 'bad-origin').map((d) => d.message);
    expect(messages).toContain('the frame names no origin');
    expect(messages).toContain('the frame was not authenticated by its origin');
    expect(drops.r2!.filter((d) => d.reason !== 'bad-origin' && d.reason !== 'replayed')).toEqual(
      [],
    );
    // The forged release notice did not end the console's control.
    expect(lost).toEqual([]);
    expect(station.router.snapshot().nodes.cam1?.controller).toBe(CTL);
    expect((await consoleR.router.command('cam1', 'tilt', 1)).code).toBe('SUCCESS');
  }, 30_000);
});
