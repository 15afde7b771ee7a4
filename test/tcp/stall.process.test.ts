/**
 * Issue 10, request deadlines with real processes: a host process frozen
 * (SIGSTOP) for longer than its callers' timeouts runs none of the commands
 * sent meanwhile once it resumes (SIGCONT): they are dropped as `expired`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CtpRouter } from '../../src/index.js';
import { TcpTransport, type TcpPeer } from '../../src/tcp/index.js';
import { ensureBuilt, killAll, startPeer } from './procs.js';

beforeAll(ensureBuilt, 120_000);
afterAll(killAll);

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const skip = process.platform === 'win32';
if (skip) console.warn('skipped: stall.process.test.ts (SIGSTOP/SIGCONT need a POSIX platform)');

describe.skipIf(skip)('a frozen host process', () => {
  it('SIGSTOP past the callers’ timeouts, commands meanwhile, SIGCONT: the host app runs none of them', async () => {
    const station = await startPeer([
      '--id',
      'frozen',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
      '--echo',
    ]);
    const transport = new TcpTransport({ connect: [station.addr] });
    const router = new CtpRouter<TcpPeer>(
      () => undefined,
      transport.send,
      () => undefined,
      { id: 'caller' },
    );
    transport.attach(router);
    let stopped = false;
    try {
      await until(() => router.nodes().includes('cam1'), 10_000, 'cam1 to be reachable');
      expect((await router.register('cam1', 'controller', { timeoutMs: 10_000 })).code).toBe(
        'SUCCESS',
      );
      const before = await router.command('cam1', 'pan', { n: 0 }, { timeoutMs: 10_000 });
      expect(before).toEqual({
        code: 'SUCCESS',
        content: { t: 'COMMAND', app: 'pan', content: { n: 0 } },
      });

      station.proc.child.kill('SIGSTOP');
      stopped = true;
      const during: string[] = [];
      for (let n = 1; n <= 5; n++)
        during.push((await router.command('cam1', 'pan', { n }, { timeoutMs: 300 })).code);
      expect(during).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
      station.proc.child.kill('SIGCONT');
      stopped = false;

      // The host is alive and runs what its caller still waits for…
      const after = await router.command('cam1', 'pan', { n: 99 }, { timeoutMs: 10_000 });
      expect(after.code).toBe('SUCCESS');
      // …and none of what was sent while it was frozen: those were dropped as expired.
      await station.proc.waitFor(
        (r) =>
          r.type === 'dropped' &&
          r.reason === 'expired' &&
          station.proc.records.filter((x) => x.reason === 'expired').length === 5,
        5000,
        'five expired drops',
      );
      // The host prints its own record of n: 99 after it answered; the answer can
      // arrive over TCP before that line is read from its stdout.
      await station.proc.waitFor(
        (r) => r.type === 'received' && (r.content as { n?: number }).n === 99,
        5000,
        'the record of n: 99',
      );
      const ran = station.proc.records
        .filter((r) => r.type === 'received')
        .map((r) => (r.content as { n: number }).n);
      expect(ran).toEqual([0, 99]);
    } finally {
      if (stopped) station.proc.child.kill('SIGCONT');
      await transport.close();
      await router.close();
      await station.proc.stop();
    }
  }, 40_000);
});
