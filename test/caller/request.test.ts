/**
 * One object per request (src/caller/pending-request.ts, requests.ts): a
 * `CtpRequest` is the node's slot, its in-flight entry, its deadline and its
 * abort listener. These tests drive `CtpRequests` over a real pending map
 * with a minimal request, and check what that merge must not change: the
 * slot is freed once whatever ends the request, the abort listener does not
 * outlive the wait, and a result shared between requests is never handed to
 * two callers as the same object.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReturnCode, type CtpRequestMessage, type CtpResult } from '../../src/base/messages.js';
import { CtpPendingMap } from '../../src/caller/pending.js';
import { CtpRequest, CtpRequests, type CtpRunOptions } from '../../src/caller/requests.js';

afterEach(() => {
  vi.useRealTimers();
});

class Probe extends CtpRequest {
  readonly results: CtpResult[] = [];
  abortedCalls = 0;
  constructor(node: string) {
    super(node, 'command');
  }
  check(): string {
    return 'H';
  }
  plan(to: string, id: number): undefined {
    this.msg = {
      v: 1,
      t: 'COMMAND',
      id,
      to,
      node: this.node,
      controller: `controller[${this.node}]@A`,
      app: 'x',
      content: 1,
      ttl: 0,
    };
    return undefined;
  }
  done(r: CtpResult): void {
    this.results.push(r);
  }
  override aborted(): void {
    this.abortedCalls++;
  }
}

function setup() {
  const pending = new CtpPendingMap();
  const sent: CtpRequestMessage[] = [];
  const timeouts: unknown[] = [];
  const measures: string[] = [];
  const requests = new CtpRequests(pending, pending.clock, {
    send: (msg) => void sent.push(msg),
    closed: () => false,
    timedOut: (e) => void timeouts.push(e),
    measured: (op, code) => void measures.push(`${op} ${code}`),
  });
  return { pending, sent, timeouts, measures, requests };
}

const opts = (signal?: AbortSignal, timeoutMs = 1000): CtpRunOptions => ({
  signal,
  timeoutMs,
  queue: false,
  idleTimeoutMs: undefined,
});

describe('CtpRequest: one object per request', () => {
  it('holds the slot and is the in-flight entry; an owned answer is handed over as is, a shared one copied', async () => {
    const { pending, sent, requests } = setup();
    const a = new Probe('n');
    const pa = requests.run(a, opts());
    expect(pending.busy('n')).toBe(true);
    expect(pending.size).toBe(1);
    // A second request for the node is refused while the first holds its slot.
    expect(await requests.run(new Probe('n'), opts())).toEqual({ code: ReturnCode.IN_PROGRESS });
    const fresh: CtpResult = { code: ReturnCode.SUCCESS, content: { x: 1 } };
    expect(pending.settle('n', sent[0]?.id, fresh, true)).toBe(true);
    expect(await pa).toBe(fresh);
    expect(a.results).toEqual([fresh]);
    expect(pending.busy('n')).toBe(false);
    expect(pending.size).toBe(0);

    // Not owned (the default): the caller gets its own copy.
    const b = new Probe('n');
    const pb = requests.run(b, opts());
    const shared: CtpResult = { code: ReturnCode.SUCCESS, content: 2 };
    pending.settle('n', sent[1]?.id, shared);
    const rb = await pb;
    expect(rb).toEqual(shared);
    expect(rb).not.toBe(shared);
    pending.close();
  });

  it('a result shared by a table change reaches each caller as its own object', async () => {
    const { pending, requests } = setup();
    const p1 = requests.run(new Probe('a'), opts());
    const p2 = requests.run(new Probe('b'), opts());
    const shared = { code: ReturnCode.NODE_UNFOUND };
    expect(pending.failWhere(() => true, shared)).toBe(2);
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(r1).toEqual(shared);
    expect(r2).toEqual(shared);
    expect(r1).not.toBe(r2);
    expect(r1).not.toBe(shared);
    expect(pending.busy('a') || pending.busy('b')).toBe(false);
    pending.close();
  });

  it('is its own abort listener: removed once answered; an abort rejects, runs `aborted` once and frees the slot', async () => {
    vi.useFakeTimers();
    const { pending, sent, measures, requests } = setup();
    const ac = new AbortController();
    const p = requests.run(new Probe('n'), opts(ac.signal));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    pending.settle('n', sent[0]?.id, { code: ReturnCode.SUCCESS });
    await p;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);

    const r = new Probe('n');
    const q = requests.run(r, opts(ac.signal));
    ac.abort('bye');
    await expect(q).rejects.toBe('bye');
    expect(r.abortedCalls).toBe(1);
    expect(r.results).toEqual([]);
    expect(pending.busy('n')).toBe(false);
    // A late answer for the aborted request matches nothing.
    expect(pending.settle('n', sent[1]?.id, { code: ReturnCode.SUCCESS })).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    // Each outcome is measured once (metrics): the answer, then the abort as `rejected`.
    expect(measures).toEqual(['command SUCCESS', 'command rejected']);
    pending.close();
  });

  it('times out on the shared sweep (no timer of its own), frees the slot, and reports the timeout once', async () => {
    vi.useFakeTimers();
    const { pending, timeouts, measures, requests } = setup();
    const ps = [requests.run(new Probe('a'), opts()), requests.run(new Probe('b'), opts())];
    // Two requests in flight, one timer.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await Promise.all(ps)).toEqual([
      { code: ReturnCode.TIMEOUT },
      { code: ReturnCode.TIMEOUT },
    ]);
    expect(timeouts).toHaveLength(2);
    expect(measures).toEqual(['command TIMEOUT', 'command TIMEOUT']);
    expect(pending.busy('a') || pending.busy('b')).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    pending.close();
  });
});
