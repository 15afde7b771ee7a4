/**
 * `ctp-router watch`: register as monitor, print events until interrupted.
 */
import { nodeArg, parseArgs, UsageError } from './args.js';
import { COMMON_SPEC, commonOptions, requireConnect } from './common.js';
import { CliOutput } from './output.js';
import { interrupted, openClientSession, sleep } from './session.js';
import { METRICS_SPEC, metricsArg, startMetrics } from './metrics-args.js';

/** `ctp-router watch [options] NODE...`: resolves to the exit code, or `'help'`. */
export async function watchCommand(argv: string[]): Promise<number | 'help'> {
  const p = parseArgs(argv, { ...COMMON_SPEC, ...METRICS_SPEC }, 'watch');
  if (p.options.help === true) return 'help';
  const common = commonOptions(p, 'watch');
  requireConnect(common, 'watch');
  if (p.groups.length > 1) throw new UsageError('unexpected `--`', 'watch');
  const nodes = (p.groups[0] ?? []).map((n) => nodeArg(n, 'watch'));
  if (nodes.length === 0) throw new UsageError('missing node name', 'watch');
  const metricsAt = metricsArg(p.options.metrics, 'watch');
  const out = new CliOutput(common.json);

  // No settling: each node is waited for below.
  const session = await openClientSession(common, 'watch', out, true, 0);
  if (session === undefined) return 1;
  const metrics = metricsAt === undefined ? undefined : await startMetrics(metricsAt, session, out);
  if (metricsAt !== undefined && metrics === undefined) return (await session.close(), 1);
  const { router } = session;

  let stopping = false;
  const watch = async (node: string, firstTime: boolean): Promise<boolean> => {
    for (;;) {
      if (stopping) return false;
      await session.nodeReachable(node, firstTime ? common.waitMs : 1000);
      if (stopping) return false;
      const r = await router
        .register(node, 'monitor', { timeoutMs: common.timeoutMs })
        .catch((err: Error) => ({ code: 'ERROR', reason: err.message }));
      if (r.code === 'SUCCESS' || r.code === 'ALREADY_ASSIGNED') {
        out.line('watching', `watching ${node}`, { node });
        return true;
      }
      if (firstTime) {
        out.line(
          'result',
          `register ${node} monitor: ${r.code}${'reason' in r && r.reason !== undefined ? ` (${r.reason})` : ''}`,
          { op: 'register', args: [node, 'monitor'], ...r },
        );
        return false;
      }
      await sleep(500);
    }
  };
  router.on('lost', (e) => {
    if (e.type !== 'monitor' || stopping) return;
    out.line('lost', `lost ${e.node} (${e.reason})`, { node: e.node, reason: e.reason });
    void watch(e.node, false);
  });

  const results = await Promise.all(nodes.map((n) => watch(n, true)));
  if (results.every(Boolean)) await interrupted();
  stopping = true;
  const held = router.snapshot().registrations;
  await Promise.all(
    held.map((reg) =>
      router.unregister(reg.node, reg.type, { timeoutMs: 1000 }).catch(() => undefined),
    ),
  );
  await metrics?.close();
  await session.close();
  return results.every(Boolean) ? 0 : 1;
}
