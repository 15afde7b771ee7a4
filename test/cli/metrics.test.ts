/**
 * `--metrics HOST:PORT`: the CLI serves `/metrics` in the Prometheus text
 * format; scraped here after a few commands (child processes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, runCli, spawnCli, startPeer, type Proc } from '../tcp/procs.js';

/** The samples of a Prometheus text exposition, keyed `name{a="x",b="y"}` with labels sorted. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not an exposition line: ${line}`);
    const labels = (m[2] ?? '').match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
    out.set(`${m[1]}{${[...labels].sort().join(',')}}`, Number(m[3]));
  }
  return out;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

let station: { proc: Proc; port: number; addr: string };
let metricsUrl: string;

beforeAll(async () => {
  await ensureBuilt();
  station = await startPeer([
    '--id',
    'mstation',
    '--listen',
    '127.0.0.1:0',
    '--node',
    'cam1',
    '--echo',
    '--metrics',
    '127.0.0.1:0',
  ]);
  const rec = station.proc.records.find((r) => r.type === 'metrics');
  expect(rec).toMatchObject({ host: '127.0.0.1' });
  metricsUrl = rec?.url as string;
}, 120_000);
afterAll(killAll);

describe('--metrics', () => {
  it('peer: serves the router’s and the transport’s metrics, counting what its node answered', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const before = await scrape(metricsUrl);
    expect(before.get('ctp_nodes_hosted{}')).toBe(1);
    expect(before.get('ctp_links{}')).toBe(0);
    const r = await runCli([
      'call',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'pan',
      '1',
      '--',
      'command',
      'cam1',
      'pan',
      '2',
      '--',
      'start',
      'cam1',
      'rec',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // The call unregistered, then closed its link: wait for the station to see it go.
    await expect
      .poll(
        async () =>
          (await scrape(metricsUrl)).get('ctp_link_events_total{event="down",reason="closed"}'),
        {
          timeout: 8000,
        },
      )
      .toBe(1);
    const m = await scrape(metricsUrl);
    expect(m.get('ctp_handled_total{code="SUCCESS",type="REGISTER"}')).toBe(1);
    expect(m.get('ctp_handled_total{code="SUCCESS",type="COMMAND"}')).toBe(2);
    expect(m.get('ctp_handled_total{code="SUCCESS",type="START"}')).toBe(1);
    expect(m.get('ctp_handled_total{code="SUCCESS",type="UNREGISTER"}')).toBe(1);
    expect(m.get('ctp_frames_total{direction="in",t="COMMAND"}')).toBe(2);
    expect(m.get('ctp_frames_total{direction="out",t="RESPONSE"}')).toBe(5);
    expect(m.get('ctp_events_total{direction="published"}')).toBe(3); // --echo publishes what came
    expect(m.get('ctp_link_events_total{event="up"}')).toBe(1);
    expect(m.get('ctp_links{}')).toBe(0);
    expect(m.get('ctp_heartbeat_age_seconds{}')).toBe(0);
    // The station made no request of its own.
    expect([...m.keys()].some((k) => k.startsWith('ctp_requests_total'))).toBe(false);
  });

  it('call --hold: the requests it made, their round trips, and what it controls', async () => {
    const p = spawnCli([
      'call',
      '--json',
      '--hold',
      '--metrics',
      '0',
      '--connect',
      station.addr,
      'register',
      'cam1',
      'controller',
      '--',
      'command',
      'cam1',
      'tilt',
      '3',
      '--',
      'command',
      'nowhere',
      'x',
    ]);
    const rec = await p.waitFor((r) => r.type === 'metrics', 10_000, 'the metrics record');
    expect(rec.host).toBe('127.0.0.1'); // a bare port is loopback
    await p.waitFor((r) => r.type === 'result' && (r.args as string[])[0] === 'nowhere', 15_000);
    const m = await scrape(rec.url as string);
    expect(m.get('ctp_requests_total{code="SUCCESS",type="REGISTER"}')).toBe(1);
    expect(m.get('ctp_requests_total{code="SUCCESS",type="COMMAND"}')).toBe(1);
    expect(m.get('ctp_requests_total{code="NODE_UNFOUND",type="COMMAND"}')).toBe(1);
    expect(m.get('ctp_request_duration_seconds_count{type="COMMAND"}')).toBe(2);
    expect(m.get('ctp_request_duration_seconds_bucket{le="+Inf",type="COMMAND"}')).toBe(2);
    expect(m.get('ctp_request_duration_seconds_bucket{le="120",type="COMMAND"}')).toBe(2);
    expect(m.get('ctp_nodes_controlled{}')).toBe(1);
    expect(m.get('ctp_links{}')).toBe(1);
    expect(m.get('ctp_routers_reachable{}')).toBe(1);
    expect(m.get('ctp_pending_requests{}')).toBe(0);
    const other = await fetch((rec.url as string).replace(/\/metrics$/, '/'));
    expect(other.status).toBe(404);
    await other.text();
    expect((await p.stop('SIGINT')).code).toBe(1); // one result was not SUCCESS
  });

  it('watch: the EVENTs it received, and its monitor registration', async () => {
    const w = spawnCli([
      'watch',
      '--json',
      '--metrics',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      'cam1',
    ]);
    const rec = await w.waitFor((r) => r.type === 'metrics', 10_000, 'the metrics record');
    await w.waitFor((r) => r.type === 'watching', 15_000, 'the watch');
    const r = await runCli(['call', '--connect', station.addr, 'post', 'cam1', '"clip"']);
    expect(r.code, r.stderr).toBe(0);
    await w.waitFor((x) => x.type === 'event', 10_000, 'the event');
    const m = await scrape(rec.url as string);
    expect(m.get('ctp_events_total{direction="received"}')).toBe(1);
    expect(m.get('ctp_requests_total{code="SUCCESS",type="REGISTER"}')).toBe(1);
    expect(m.get('ctp_nodes_controlled{}')).toBe(0);
    expect((await w.stop('SIGINT')).code).toBe(0);
  });

  it('ui: its observer router’s links, table and frames', async () => {
    const u = spawnCli([
      'ui',
      '--json',
      '--http',
      '127.0.0.1:0',
      '--metrics',
      '127.0.0.1:0',
      '--connect',
      station.addr,
    ]);
    const rec = await u.waitFor((r) => r.type === 'metrics', 10_000, 'the metrics record');
    // The observer links to the station and learns its node.
    let m = await scrape(rec.url as string);
    for (let i = 0; i < 100 && m.get('ctp_nodes_reachable{}') !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      m = await scrape(rec.url as string);
    }
    expect(m.get('ctp_nodes_reachable{}')).toBe(1);
    expect(m.get('ctp_links{}')).toBe(1);
    expect(m.get('ctp_routers_reachable{}')).toBe(1);
    expect(m.get('ctp_link_events_total{event="up"}')).toBe(1);
    expect(m.get('ctp_frames_total{direction="in",t="REPORTNODE"}')).toBeGreaterThan(0);
    expect(m.get('ctp_nodes_hosted{}')).toBe(0);
    expect((await u.stop('SIGINT')).code).toBe(0);
  });

  it('usage errors: --metrics without --hold, a bad address', async () => {
    const a = await runCli([
      'call',
      '--connect',
      station.addr,
      '--metrics',
      '0',
      'register',
      'cam1',
      'monitor',
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--metrics.*--hold/);
    const b = await runCli(['watch', '--connect', station.addr, '--metrics', 'nope', 'cam1']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/bad address for `--metrics`/);
  });
});
