/**
 * A real Prometheus server (Debian's `prometheus`) scrapes `peer --metrics`
 * every second; after a few commands, its HTTP API (/api/v1/query) answers
 * with the counts. Skipped, with one printed line, without the binary
 * (.ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, freePort, killAll, runCli, startPeer, type Proc } from '../tcp/procs.js';

const which = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
const PROMETHEUS = which.status === 0 ? which.stdout.trim() : '';
if (PROMETHEUS === '')
  console.warn(
    'skipped: test/cli/prometheus.test.ts: `prometheus` not found on the PATH (apt-get install prometheus; .ci/run installs it)',
  );

let dir = '';
let server: ChildProcess | undefined;
let serverLog = '';
let api = '';
let station: { proc: Proc; port: number; addr: string };
let target = '';

/** One instant vector of PromQL `query`: its samples' label sets and values. */
async function query(q: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  expect(body.status).toBe('success');
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** The value of a query with one sample, or `undefined`. */
async function scalar(q: string): Promise<number | undefined> {
  const r = await query(q);
  return r.length === 1 ? r[0]?.value : undefined;
}

describe.skipIf(PROMETHEUS === '')('Prometheus scraping `peer --metrics`', () => {
  beforeAll(async () => {
    await ensureBuilt();
    station = await startPeer([
      '--id',
      'promstation',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
      '--echo',
      '--metrics',
      '127.0.0.1:0',
    ]);
    const rec = station.proc.records.find((r) => r.type === 'metrics');
    target = `127.0.0.1:${rec?.port as number}`;
    dir = mkdtempSync(join(tmpdir(), 'ctp-prom-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 900ms',
        'scrape_configs:',
        '  - job_name: ctp',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    server = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.on('data', (b: Buffer) => (serverLog += b.toString()));
    server.stderr?.on('data', (b: Buffer) => (serverLog += b.toString()));
    // Ready when its web server answers /-/ready (within 10 s).
    for (let i = 0; ; i++) {
      const status = await fetch(`${api}/-/ready`).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) break;
      if (i >= 50 || server.exitCode !== null)
        throw new Error(`prometheus is not ready: ${serverLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await killAll();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('queries the counts after a few commands', async () => {
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
      'command',
      'cam1',
      'pan',
      '3',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Scraped every second: wait for a scrape after the call's link went down.
    await expect
      .poll(() => scalar('ctp_link_events_total{event="down",reason="closed"}'), {
        timeout: 10_000,
        interval: 250,
      })
      .toBe(1);
    expect(await scalar('up{job="ctp"}'), serverLog).toBe(1);
    expect(await scalar('ctp_handled_total{type="COMMAND",code="SUCCESS"}')).toBe(3);
    expect(await scalar('ctp_handled_total{type="REGISTER",code="SUCCESS"}')).toBe(1);
    expect(await scalar('sum(ctp_handled_total)')).toBe(5); // with the UNREGISTER at the end
    expect(await scalar('ctp_frames_total{direction="in",t="COMMAND"}')).toBe(3);
    expect(await scalar('ctp_events_total{direction="published"}')).toBe(3);
    expect(await scalar('ctp_nodes_hosted')).toBe(1);
    expect(await scalar('ctp_link_events_total{event="up"}')).toBe(1);
    // The station made no request: the family is declared, with no series.
    expect(await query('ctp_requests_total')).toEqual([]);
    const meta = (await (
      await fetch(`${api}/api/v1/metadata?metric=ctp_requests_total`)
    ).json()) as {
      data: Record<string, { type: string }[]>;
    };
    expect(meta.data.ctp_requests_total?.[0]?.type).toBe('counter');
  }, 30_000);
});
