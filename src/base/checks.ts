/**
 * Argument checks of the public API: caller misuse throws `CtpArgumentError`
 * in one message template (STYLE.md, p-timeout).
 */
import { jsonProblem } from '../wire/codec.js';
import { argumentError, CtpArgumentError } from './errors.js';
import { isValidPlainNodeName, type CtpRegistrationType } from './names.js';

export function checkNode(node: unknown): asserts node is string {
  if (!isValidPlainNodeName(node))
    throw argumentError(
      'node',
      'a node name (1–256 characters, no control characters, not a virtual-node name)',
      node,
    );
}

export function checkType(type: unknown): asserts type is CtpRegistrationType {
  if (type !== 'controller' && type !== 'monitor')
    throw argumentError('type', "'controller' or 'monitor'", type);
}

/** `value` must be what JSON carries unchanged; `undefined` only when not `required`. */
export function checkJson(name: string, value: unknown, required: boolean): void {
  if (value === undefined) {
    if (required) throw argumentError(name, 'a JSON value', value);
    return;
  }
  const problem = jsonProblem(value);
  if (problem !== undefined)
    throw new CtpArgumentError(`Expected \`${name}\` to be a JSON value, got ${problem}`);
}

/** A name or an array of names, each a valid plain node name. */
export function checkNodeNames(names: unknown, what: string): string[] {
  const list = typeof names === 'string' ? [names] : names;
  if (!Array.isArray(list))
    throw argumentError(what, 'a node name or an array of node names', names);
  for (const n of list) checkNode(n);
  return list as string[];
}

/** The arguments of start, stop and command. */
export function checkControl(
  t: 'START' | 'STOP' | 'COMMAND',
  node: unknown,
  app: unknown,
  payload: unknown,
): void {
  checkNode(node);
  if (typeof app !== 'string') throw argumentError('app', 'a string', app);
  if (t === 'COMMAND') checkJson('content', payload, true);
  else if (payload !== undefined) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw argumentError('optionals', 'a plain object', payload);
    checkJson('optionals', payload, false);
  }
}
