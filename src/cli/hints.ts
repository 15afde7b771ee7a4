/**
 * One-line hints after results that usually mean a mistake in how the CLI
 * was used rather than a failure of the network (printed to stderr by `call`).
 */
import type { CtpResult } from '../base/messages.js';
import type { CtpRegistrationType } from '../base/names.js';

/** One parsed operation. */
export interface CallOp {
  op: 'register' | 'unregister' | 'start' | 'stop' | 'command' | 'post';
  node: string;
  args: string[];
  type?: CtpRegistrationType;
  app?: string;
  payload?: unknown;
}

/** The hint for `op`'s result, or `undefined` when there is nothing to add; `heldHere`: this session holds that registration. */
export function hintFor(
  op: Pick<CallOp, 'op' | 'node' | 'type'>,
  r: CtpResult,
  heldHere = false,
): string | undefined {
  const { node } = op;
  switch (r.code) {
    case 'NOT_ASSIGNED':
      if (op.op === 'unregister')
        return `this session holds no ${op.type ?? ''} registration of ${node}: a registration lives only as long as the process that made it`;
      return `register the node as controller first, in the same call: \`register ${node} controller -- ${op.op} ${node} …\` (a registration lives only as long as its process)`;
    case 'NODE_UNFOUND':
      return `no reachable router hosts ${node}: list the nodes with \`ctp-router nodes --connect HOST:PORT\`, or wait longer with --wait-ms`;
    case 'ALREADY_ASSIGNED':
      if (op.op === 'register' && op.type === 'controller' && !heldHere)
        return `another router controls ${node} (\`ctp-router nodes\` shows which); it must unregister first, or its lease must lapse`;
      if (op.op === 'unregister')
        return `the host gave ${node} to another router: this registration had ended already`;
      return `this session holds that registration of ${node} already`;
    default:
      return undefined;
  }
}
