import { describe, expect, it } from 'vitest';
import { CTP_METRIC_FAMILIES, REQUEST_DURATION_BUCKETS, type CtpMetrics } from '../../src/index.js';
import { CtpTestNetwork } from '../../src/testing/index.js';

/** The value of one labelled sample, 0 when absent. */
function value<K extends keyof CtpMetrics>(
  m: CtpMetrics,
  name: K,
  labels: Record<string, string>,
): number {
  const samples = m[name] as unknown as ({ value: number } & Record<string, unknown>)[];
  const s = samples.find((x) => Object.entries(labels).every(([k, v]) => x[k] === v));
  return s?.value ?? 0;
}

/** station hosts cam1 (answering COMMANDs after `delayMs` on the network's clock) and mic; console controls cam1, a relay between them. */
async function line(delayMs = 0) {
  const net = new CtpTestNetwork();
  const station = net.addRouter('station', { nodes: ['cam1', 'mic'] });
  station.on('error', () => {}); // the handler's 'fail'
  station.handle('cam1', async (req) => {
    if (req.type !== 'COMMAND') return { ok: true };
    if (req.content === 'fail') throw new Error('boom');
    if (delayMs > 0) await new Promise((r) => net.clock.setTimeout(() => r(undefined), delayMs));
    station.publish('cam1', { moved: req.content });
    return { done: req.content };
  });
  const relay = net.addRouter('relay');
  const consoleR = net.addRouter('console');
  net.link('station', 'relay');
  net.link('relay', 'console');
  await net.settle();
  return { net, station, relay, consoleR };
}

describe('router.metrics()', () => {
  it('counts the requests made, by type and code, and the hosted nodes’ answers', async () => {
    const { net, station, relay, consoleR } = await line();
    expect((await consoleR.register('cam1', 'controller')).code).toBe('SUCCESS');
    expect((await consoleR.register('cam1', 'controller')).code).toBe('ALREADY_ASSIGNED');
    expect((await relay.register('cam1', 'controller')).code).toBe('ALREADY_ASSIGNED');
    expect((await consoleR.command('cam1', 'pan', 1)).code).toBe('SUCCESS');
    expect((await consoleR.command('cam1', 'pan', 2)).code).toBe('SUCCESS');
    expect((await consoleR.command('cam1', 'pan', 'fail')).code).toBe('ERROR');
    expect((await consoleR.command('mic', 'x', 1)).code).toBe('NOT_ASSIGNED');
    expect((await consoleR.command('nowhere', 'x', 1)).code).toBe('NODE_UNFOUND');
    expect((await consoleR.start('cam1', 'rec')).code).toBe('SUCCESS');
    const ac = new AbortController();
    ac.abort(new Error('no'));
    await expect(consoleR.command('cam1', 'pan', 3, { signal: ac.signal })).rejects.toThrow('no');
    expect((await consoleR.unregister('cam1', 'controller')).code).toBe('SUCCESS');
    await net.settle();

    const m = consoleR.metrics();
    const req = (type: string, code: string) => value(m, 'ctp_requests_total', { type, code });
    expect(req('REGISTER', 'SUCCESS')).toBe(1);
    expect(req('REGISTER', 'ALREADY_ASSIGNED')).toBe(1);
    expect(req('COMMAND', 'SUCCESS')).toBe(2);
    expect(req('COMMAND', 'ERROR')).toBe(1);
    expect(req('COMMAND', 'NOT_ASSIGNED')).toBe(1);
    expect(req('COMMAND', 'NODE_UNFOUND')).toBe(1);
    expect(req('COMMAND', 'rejected')).toBe(1);
    expect(req('START', 'SUCCESS')).toBe(1);
    expect(req('UNREGISTER', 'SUCCESS')).toBe(1);
    const total = m.ctp_requests_total.reduce((a, s) => a + s.value, 0);
    expect(total).toBe(10);
    // The relay's own request is its own, not the console's.
    expect(value(relay.metrics(), 'ctp_requests_total', { type: 'REGISTER' })).toBe(1);

    // The host counts what its nodes answered: the console's and the relay's requests that reached it
    // (not NODE_UNFOUND for a node it does not host, nor the aborted one, which never left).
    const h = station.metrics();
    const handled = (type: string, code: string) => value(h, 'ctp_handled_total', { type, code });
    expect(handled('REGISTER', 'SUCCESS')).toBe(1);
    expect(handled('REGISTER', 'ALREADY_ASSIGNED')).toBe(1); // the relay's (the console's second is answered by itself)
    expect(handled('COMMAND', 'SUCCESS')).toBe(2);
    expect(handled('COMMAND', 'ERROR')).toBe(1);
    expect(handled('COMMAND', 'NOT_ASSIGNED')).toBe(0); // the console knew it held no control of mic
    expect(handled('START', 'SUCCESS')).toBe(1);
    expect(handled('UNREGISTER', 'SUCCESS')).toBe(1);
    expect(h.ctp_requests_total).toEqual([]);
    await net.close();
  });

  it('records round trips in the buckets, cumulative, on the router’s clock', async () => {
    const { net, consoleR } = await line(30);
    await consoleR.register('cam1', 'controller');
    const p = consoleR.command('cam1', 'pan', 1);
    await net.advance(30);
    expect((await p).code).toBe('SUCCESS');
    const d = consoleR.metrics().ctp_request_duration_seconds.find((x) => x.type === 'COMMAND');
    expect(d).toBeDefined();
    expect(d!.count).toBe(1);
    expect(d!.buckets).toHaveLength(REQUEST_DURATION_BUCKETS.length);
    // 30 ms of the network's clock (plus no real time): above 25 ms, within 50 ms.
    expect(d!.sum).toBeGreaterThanOrEqual(0.03);
    expect(d!.sum).toBeLessThan(0.05);
    const i25 = REQUEST_DURATION_BUCKETS.indexOf(0.025);
    expect(d!.buckets[i25]).toBe(0);
    expect(d!.buckets[i25 + 1]).toBe(1);
    expect(d!.buckets.at(-1)).toBe(1);
    await net.close();
  });

  it('counts frames by direction and type, drops, forwarding, events and the gauges', async () => {
    const { net, station, relay, consoleR } = await line();
    await consoleR.register('cam1', 'controller');
    await relay.register('mic', 'monitor');
    await consoleR.command('cam1', 'pan', 1);
    await net.settle();
    net.inject('relay', 'console', 'garbage');
    net.inject('relay', 'console', '{"v":1,"t":"NOPE"}');
    await net.settle();

    const c = consoleR.metrics();
    const s = consoleR.stats();
    const frames = (m: CtpMetrics, direction: string) =>
      m.ctp_frames_total.filter((x) => x.direction === direction).reduce((a, x) => a + x.value, 0);
    expect(frames(c, 'in')).toBe(s.framesIn);
    expect(frames(c, 'out')).toBe(s.framesOut);
    expect(value(c, 'ctp_frames_total', { direction: 'out', t: 'COMMAND' })).toBe(1);
    expect(value(c, 'ctp_frames_total', { direction: 'in', t: 'EVENT' })).toBe(1);
    expect(value(c, 'ctp_frames_total', { direction: 'in', t: 'other' })).toBe(2);
    expect(value(c, 'ctp_dropped_total', { reason: 'malformed' })).toBe(1);
    expect(value(c, 'ctp_dropped_total', { reason: 'unknown-type' })).toBe(1);
    expect(value(c, 'ctp_events_total', { direction: 'received' })).toBe(1);
    expect(value(c, 'ctp_events_total', { direction: 'published' })).toBe(0);
    expect(c.ctp_links).toBe(1);
    expect(c.ctp_routers_reachable).toBe(2);
    expect(c.ctp_nodes_reachable).toBe(2);
    expect(c.ctp_nodes_hosted).toBe(0);
    expect(c.ctp_nodes_controlled).toBe(1);
    expect(c.ctp_pending_requests).toBe(0);

    const r = relay.metrics();
    // The relay passed the console's REGISTER and COMMAND on, and the answers and the EVENT back.
    expect(r.ctp_forwarded_total).toBe(relay.stats().forwarded);
    expect(r.ctp_forwarded_total).toBeGreaterThanOrEqual(5);
    expect(r.ctp_links).toBe(2);
    expect(r.ctp_nodes_controlled).toBe(0);

    const h = station.metrics();
    expect(value(h, 'ctp_events_total', { direction: 'published' })).toBe(1);
    expect(h.ctp_nodes_hosted).toBe(2);
    expect(value(h, 'ctp_frames_total', { direction: 'in', t: 'REGISTER' })).toBe(2);
    await net.close();
  });

  it('shows a request waiting as pending, and no label value per node', async () => {
    const { net, consoleR } = await line(1000);
    await consoleR.register('cam1', 'controller');
    const p = consoleR.command('cam1', 'pan', 1);
    await net.settle();
    expect(consoleR.metrics().ctp_pending_requests).toBe(1);
    await net.advance(1000);
    await p;
    expect(consoleR.metrics().ctp_pending_requests).toBe(0);
    const text = JSON.stringify(consoleR.metrics());
    expect(text).not.toContain('cam1');
    await net.close();
  });

  it('describes every metric of the snapshot', async () => {
    const { net, consoleR } = await line();
    const names = new Set(CTP_METRIC_FAMILIES.map((f) => f.name));
    for (const k of Object.keys(consoleR.metrics())) expect(names.has(k as never)).toBe(true);
    expect(names.has('ctp_link_events_total')).toBe(true);
    expect(names.has('ctp_heartbeat_age_seconds')).toBe(true);
    await net.close();
  });
});
