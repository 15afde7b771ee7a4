/**
 * One hosted node's state machine (src/host/hosted-node.ts) through its
 * methods alone: FREE → CONTROLLED → REQUEST_OPEN and back, a newer request
 * superseding the open one, the controller dropped, the removal grace, and
 * when the record is `empty`.
 */
import { describe, expect, it } from 'vitest';
import { CtpClosedError, CtpTimeoutError } from '../../src/base/errors.js';
import { CtpHostedNode, HostedNodeState } from '../../src/host/hosted-node.js';

const CTRL = 'controller[cam1]@c';

/** A node held by `CTRL`. */
function controlled(): CtpHostedNode {
  const h = new CtpHostedNode('cam1');
  h.control(CTRL);
  return h;
}

describe('CtpHostedNode', () => {
  it('starts FREE and empty, with no open request', () => {
    const h = new CtpHostedNode('cam1');
    expect(h.state).toBe(HostedNodeState.FREE);
    expect(h.empty).toBe(true);
    expect(h.open).toBeUndefined();
    expect(h.holds(CTRL)).toBe(false);
  });

  it('FREE → CONTROLLED → REQUEST_OPEN → CONTROLLED when the request is answered', () => {
    const h = new CtpHostedNode('cam1');
    h.control(CTRL);
    expect(h.state).toBe(HostedNodeState.CONTROLLED);
    expect(h.empty).toBe(false);
    expect(h.holds(CTRL)).toBe(true);

    const { opened, superseded } = h.openFor(7);
    expect(superseded).toBeUndefined();
    expect(h.state).toBe(HostedNodeState.REQUEST_OPEN);
    expect(h.open).toBe(opened);
    expect(opened).toMatchObject({ node: 'cam1', re: 7, controller: CTRL });
    const signal = opened.signal;
    expect(signal.aborted).toBe(false);

    expect(h.endOpen('answered')).toBe(opened);
    expect(h.state).toBe(HostedNodeState.CONTROLLED);
    expect(h.open).toBeUndefined();
    expect(opened.ended).toBe('answered');
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    // Nothing open: nothing to end.
    expect(h.endOpen('answered')).toBeUndefined();
  });

  it('a newer request supersedes the open one: still REQUEST_OPEN, the old one ended with an aborted signal', () => {
    const h = controlled();
    const first = h.openFor(1).opened;
    let aborts = 0;
    first.signal.addEventListener('abort', () => aborts++);
    const { opened: second, superseded } = h.openFor(2);
    expect(superseded).toBe(first);
    expect(first.ended).toBe('superseded');
    expect(aborts).toBe(1);
    expect(String((first.signal.reason as Error).message)).toContain('superseded');
    expect(h.state).toBe(HostedNodeState.REQUEST_OPEN);
    expect(h.open).toBe(second);
    expect(second.re).toBe(2);
    expect(second.signal.aborted).toBe(false);
    // The old one ends once only.
    expect(first.end('answered')).toBe(false);
    expect(aborts).toBe(1);
  });

  it('dropController ends the open request the same way and leaves the node FREE', () => {
    const h = controlled();
    const open = h.openFor(3).opened;
    expect(h.dropController('unregistered')).toBe(open);
    expect(open.ended).toBe('unregistered');
    expect(open.signal.aborted).toBe(true);
    expect(h.controller).toBeUndefined();
    expect(h.open).toBeUndefined();
    expect(h.state).toBe(HostedNodeState.FREE);
    expect(h.empty).toBe(true);
    // Without an open request there is nothing to return.
    h.control(CTRL);
    expect(h.dropController('released')).toBeUndefined();
    expect(h.state).toBe(HostedNodeState.FREE);
  });

  it('the signal of an expired request aborts with a timeout, of a closed one with a closed error', () => {
    const h = controlled();
    const expired = h.openFor(1).opened;
    h.endOpen('expired');
    expect(expired.signal.reason).toBeInstanceOf(CtpTimeoutError);
    const closed = h.openFor(2).opened;
    const signal = closed.signal;
    h.endOpen('closed');
    expect(signal.reason).toBeInstanceOf(CtpClosedError);
  });

  it('REMOVAL_GRACE while the removal timer is set, whatever the controller; back after', () => {
    const h = controlled();
    h.openFor(1);
    h.startGrace(() => ({}));
    expect(h.state).toBe(HostedNodeState.REMOVAL_GRACE);
    expect(h.empty).toBe(false);
    h.endOpen('removed');
    expect(h.state).toBe(HostedNodeState.REMOVAL_GRACE);
    h.endGrace();
    expect(h.state).toBe(HostedNodeState.CONTROLLED);
    const free = new CtpHostedNode('cam2');
    free.startGrace(() => ({}));
    expect(free.state).toBe(HostedNodeState.REMOVAL_GRACE);
    expect(free.empty).toBe(false);
  });

  it('empty only with no controller, no monitor and no grace running', () => {
    const h = new CtpHostedNode('cam1');
    h.monitors.add('monitor[cam1]@m');
    expect(h.state).toBe(HostedNodeState.FREE);
    expect(h.empty).toBe(false);
    expect(h.holds('monitor[cam1]@m')).toBe(true);
    h.monitors.delete('monitor[cam1]@m');
    expect(h.empty).toBe(true);
    h.control(CTRL);
    expect(h.empty).toBe(false);
    h.dropController('idle');
    expect(h.empty).toBe(true);
  });
});
