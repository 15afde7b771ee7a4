/**
 * `ctp-router call`: one session, several operations, one result line each.
 */
import type { CtpResult } from '../base/messages.js';
import type { CtpRegistrationType } from '../base/names.js';
import { didYouMean } from '../base/suggest.js';
import { jsonArg, nodeArg, parseArgs, UsageError } from './args.js';
import { COMMON_SPEC, commonOptions, requireConnect } from './common.js';
import { hintFor, type CallOp } from './hints.js';

export type { CallOp } from './hints.js';
import { CliOutput, show } from './output.js';
import { interrupted, openClientSession, type Session } from './session.js';
import { METRICS_SPEC, metricsArg, startMetrics } from './metrics-args.js';

const SPEC = { ...COMMON_SPEC, ...METRICS_SPEC, hold: { type: 'boolean' } } as const;

const OPS = new Set(['register', 'unregister', 'start', 'stop', 'command', 'post']);

/** Parse one `<op> [args]` group; throws `UsageError`. */
export function parseOp(group: string[]): CallOp {
  const [op, ...rest] = group;
  if (op === undefined) throw new UsageError('empty operation (two `--` in a row?)', 'call');
  if (!OPS.has(op))
    throw new UsageError(
      `unknown operation \`${op}\` (register, unregister, start, stop, command, post)${didYouMean(op, OPS)}`,
      'call',
    );
  const node = nodeArg(rest[0], 'call');
  const arity = (min: number, max: number): void => {
    if (rest.length < min || rest.length > max)
      throw new UsageError(
        `\`${op}\` takes ${min === max ? min : `${min} to ${max}`} arguments, got ${rest.length}`,
        'call',
      );
  };
  const base = { op: op as CallOp['op'], node, args: rest };
  switch (op) {
    case 'register':
    case 'unregister': {
      arity(2, 2);
      const type = rest[1];
      if (type !== 'controller' && type !== 'monitor')
        throw new UsageError(
          `\`${op}\` takes controller or monitor, got \`${type as string}\``,
          'call',
        );
      return { ...base, type };
    }
    case 'start':
    case 'stop': {
      arity(2, 3);
      const app = rest[1] as string;
      if (rest[2] === undefined) return { ...base, app };
      const optionals = jsonArg(rest[2], `the optionals of \`${op}\``, 'call');
      if (typeof optionals !== 'object' || optionals === null || Array.isArray(optionals))
        throw new UsageError(
          `the optionals of \`${op}\` must be a JSON object, got \`${rest[2]}\``,
          'call',
        );
      return { ...base, app, payload: optionals };
    }
    case 'command':
      arity(2, 3);
      return {
        ...base,
        app: rest[1] as string,
        payload:
          rest[2] === undefined ? null : jsonArg(rest[2], 'the content of `command`', 'call'),
      };
    default:
      arity(2, 2);
      return { ...base, payload: jsonArg(rest[1] as string, 'the content of `post`', 'call') };
  }
}

/** `ctp-router call [options] <op> [args] [-- <op> [args] ...]`: resolves to the exit code, or `'help'`. */
export async function callCommand(argv: string[]): Promise<number | 'help'> {
  const p = parseArgs(argv, SPEC, 'call');
  if (p.options.help === true) return 'help';
  const common = commonOptions(p, 'call');
  requireConnect(common, 'call');
  const groups = p.groups.length === 1 && p.groups[0]?.length === 0 ? [] : p.groups;
  if (groups.length === 0) throw new UsageError('no operation given', 'call');
  const ops = groups.map(parseOp);
  const hold = p.options.hold === true;
  const metricsAt = metricsArg(p.options.metrics, 'call');
  if (metricsAt !== undefined && !hold)
    throw new UsageError(
      '`--metrics` needs `--hold` (without it the session ends at once)',
      'call',
    );
  const out = new CliOutput(common.json);

  // No settling: each operation waits for its node below.
  const session = await openClientSession(common, 'call', out, true, 0);
  if (session === undefined) return 1;
  const metrics = metricsAt === undefined ? undefined : await startMetrics(metricsAt, session, out);
  if (metricsAt !== undefined && metrics === undefined) return (await session.close(), 1);
  const { router } = session;
  router.on('lost', (e) =>
    out.line('lost', `lost ${e.type} ${e.node} (${e.reason})`, {
      node: e.node,
      kind: e.type,
      reason: e.reason,
    }),
  );

  let ok = true;
  for (const op of ops) {
    await session.nodeReachable(op.node, common.waitMs);
    let r: CtpResult;
    try {
      r = await run(session, op, common.timeoutMs);
    } catch (err) {
      // Caller misuse the parser let through (e.g. JSON the router refuses).
      r = { code: 'ERROR', reason: (err as Error).message };
    }
    if (r.code !== 'SUCCESS') ok = false;
    const text = `${op.op} ${op.args.join(' ')}: ${r.code}${r.content === undefined ? '' : ` ${show(r.content)}`}${r.reason === undefined ? '' : ` (${r.reason})`}`;
    out.line('result', text, { op: op.op, args: op.args, ...r });
    const hint = hintFor(
      op,
      r,
      router.snapshot().registrations.some((reg) => reg.node === op.node && reg.type === op.type),
    );
    if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
  }

  if (hold) await interrupted();
  // A registration lives as long as the process: end ours politely, so the
  // host need not wait for its lease grace.
  const held = router.snapshot().registrations;
  await Promise.all(
    held.map((reg) =>
      router.unregister(reg.node, reg.type, { timeoutMs: 1000 }).catch(() => undefined),
    ),
  );
  await metrics?.close();
  await session.close();
  return ok ? 0 : 1;
}

function run(session: Session, op: CallOp, timeoutMs: number): Promise<CtpResult> {
  const { router } = session;
  const opts = { timeoutMs };
  switch (op.op) {
    case 'register':
      return router.register(op.node, op.type as CtpRegistrationType, opts);
    case 'unregister':
      return router.unregister(op.node, op.type as CtpRegistrationType, opts);
    case 'start':
      return router.start(
        op.node,
        op.app as string,
        op.payload as Record<string, unknown> | undefined,
        opts,
      );
    case 'stop':
      return router.stop(
        op.node,
        op.app as string,
        op.payload as Record<string, unknown> | undefined,
        opts,
      );
    case 'command':
      return router.command(op.node, op.app as string, op.payload, opts);
    default:
      return Promise.resolve(router.post(op.node, op.payload));
  }
}
