/**
 * Several transports under one router: `joinSends` makes the one `send`
 * callback the router takes out of each transport's own (a router with TCP
 * links and a NATS bus forwards between them).
 */
import type { CtpSendCallback, CtpSendInfo } from '../base/callbacks.js';

/**
 * One `send` for a router on several transports: each frame goes to every
 * transport's `send`; each ignores peers that are not its own, and each gets
 * the router's `CtpSendInfo` (so a bus does not re-publish what came from
 * it, while the other media still get the flood). Declared with three
 * parameters. A transport that throws does not keep the frame from the
 * others; the first error is thrown again afterwards, and promises that
 * transports return are returned as one (the router reports a failure as `error`). @example
 * {@includeCode ../../docs/api-examples/multi-transport.ts#joinSends}
 */
export function joinSends<P>(
  ...sends: CtpSendCallback<P>[]
): (peer: P | null, frame: string, info?: CtpSendInfo<P>) => unknown {
  for (const s of sends)
    if (typeof s !== 'function')
      throw new TypeError('Expected every argument of joinSends to be a send function');
  const list = sends.slice();
  return (peer, frame, info) => {
    let failure: unknown;
    let failed = false;
    let pending: Promise<unknown>[] | undefined;
    for (const s of list) {
      try {
        const r = s.length >= 3 && info !== undefined ? s(peer, frame, info) : s(peer, frame);
        if (
          r !== null &&
          typeof r === 'object' &&
          typeof (r as Promise<unknown>).then === 'function'
        )
          (pending ??= []).push(r as Promise<unknown>);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
    if (failed) {
      for (const p of pending ?? []) p.then(undefined, () => {});
      throw failure;
    }
    // A transport's promise that rejects is reported by the router as `error`.
    return pending === undefined ? undefined : Promise.all(pending);
  };
}
