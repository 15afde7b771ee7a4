/**
 * The wire role (src/wire/wire.ts) through its interface: `receive` admits,
 * decodes, authorizes and hands each frame to the one `CtpWireHandler` by
 * its kind, or drops it with its reason. The handler here is a fake that
 * records its calls; the codec, the reporter and the outbound edge are real.
 */
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import { CtpCallbackError, CtpDecodeError, CtpInternalError } from '../../src/base/errors.js';
import type { CtpError } from '../../src/base/errors.js';
import type {
  CtpCodec,
  CtpHostBoundMessage,
  CtpMessage,
  CtpRegistrantBoundMessage,
  CtpReportNode,
  CtpUpdateNode,
} from '../../src/base/messages.js';
import type { CtpDropped, CtpRouterEvents } from '../../src/events.js';
import { jsonCodec } from '../../src/wire/codec.js';
import { CtpReporter } from '../../src/wire/report.js';
import { CtpWire, type CtpWireHandler } from '../../src/wire/wire.js';

type Call =
  | { door: 'onAdverts'; peer: string; msg: CtpReportNode }
  | { door: 'onTableRequest'; peer: string; msg: CtpUpdateNode }
  | { door: 'onHostBound'; peer: string; msg: CtpHostBoundMessage; text: string }
  | {
      door: 'onRegistrantBound';
      peer: string;
      msg: CtpRegistrantBoundMessage;
      text: string;
      checked: boolean;
    };

/** A handler that records every call; `down` peers are refused, `throwing` makes every door throw. */
class FakeHandler implements CtpWireHandler<string> {
  readonly calls: Call[] = [];
  readonly down = new Set<string>();
  throwing: Error | undefined;

  isDown(peer: string): boolean {
    return this.down.has(peer);
  }
  neighborOf(peer: string): string | undefined {
    return `id-of-${peer}`;
  }
  onAdverts(peer: string, msg: CtpReportNode): void {
    this.record({ door: 'onAdverts', peer, msg });
  }
  onTableRequest(peer: string, msg: CtpUpdateNode): void {
    this.record({ door: 'onTableRequest', peer, msg });
  }
  onHostBound(msg: CtpHostBoundMessage, peer: string, text: string): void {
    this.record({ door: 'onHostBound', peer, msg, text });
  }
  onRegistrantBound(
    msg: CtpRegistrantBoundMessage,
    peer: string,
    text: string,
    checked: boolean,
  ): void {
    this.record({ door: 'onRegistrantBound', peer, msg, text, checked });
  }
  private record(c: Call): void {
    if (this.throwing !== undefined) throw this.throwing;
    this.calls.push(c);
  }
}

interface Setup {
  wire: CtpWire<string>;
  handler: FakeHandler;
  report: CtpReporter<string>;
  sent: { peer: string | null; frame: string }[];
  drops: CtpDropped<string>[];
  errors: CtpError[];
}

function setup(
  opts: {
    codec?: CtpCodec;
    maxFrameBytes?: number;
    authorize?: (peer: string, msg: CtpMessage) => boolean;
    attach?: boolean;
  } = {},
): Setup {
  const events = new EventEmitter<CtpRouterEvents<string>>();
  const drops: CtpDropped<string>[] = [];
  const errors: CtpError[] = [];
  events.on('dropped', (d) => drops.push(d));
  events.on('error', (e) => errors.push(e));
  const report = new CtpReporter<string>('r1', events);
  const sent: { peer: string | null; frame: string }[] = [];
  const wire = new CtpWire<string>(
    opts.codec ?? jsonCodec,
    (peer, frame) => void sent.push({ peer, frame }),
    report,
    { id: 'r1', maxFrameBytes: opts.maxFrameBytes ?? 4096, authorize: opts.authorize },
  );
  const handler = new FakeHandler();
  if (opts.attach !== false) wire.attach(handler);
  return { wire, handler, report, sent, drops, errors };
}

const frame = (o: Record<string, unknown>): string => JSON.stringify({ v: 1, ...o });

const REPORTNODE = frame({
  t: 'REPORTNODE',
  from: 'r2',
  adverts: [{ origin: 'r2', seq: 5, nodes: ['cam1'], neighbors: ['r1'] }],
});
const UPDATENODE = frame({ t: 'UPDATENODE', from: 'r2' });
const CTRL = 'controller[cam1]@r2';
const HOST_BOUND: Record<string, string> = {
  REGISTER: frame({ t: 'REGISTER', id: 1, to: 'r1', node: 'cam1', controller: CTRL, claim: 9 }),
  UNREGISTER: frame({
    t: 'UNREGISTER',
    id: 2,
    to: 'r1',
    node: 'cam1',
    monitor: 'monitor[cam1]@r2',
  }),
  START: frame({ t: 'START', id: 3, to: 'r1', node: 'cam1', controller: CTRL, app: 'a' }),
  STOP: frame({ t: 'STOP', id: 4, node: 'cam1', controller: CTRL, app: 'a', ttl: 50 }),
  COMMAND: frame({ t: 'COMMAND', id: 5, node: 'cam1', controller: CTRL, app: 'a', content: [1] }),
  POST: frame({ t: 'POST', node: 'cam1', content: { x: 1 }, extra: 'kept' }),
};
const RESPONSE = frame({ t: 'RESPONSE', node: 'cam1', controller: CTRL, code: 'SUCCESS', re: 7 });
const EVENT = frame({ t: 'EVENT', node: 'cam1', monitor: 'monitor[cam1]@r2', content: 'hi' });

describe('CtpWire: each frame kind reaches its door', () => {
  it('REPORTNODE goes to onAdverts, UPDATENODE to onTableRequest, with the peer and the decoded message', () => {
    const { wire, handler, drops } = setup();
    wire.receive('p1', REPORTNODE);
    wire.receive('p2', UPDATENODE);
    expect(handler.calls).toEqual([
      { door: 'onAdverts', peer: 'p1', msg: JSON.parse(REPORTNODE) },
      { door: 'onTableRequest', peer: 'p2', msg: JSON.parse(UPDATENODE) },
    ]);
    expect(drops).toEqual([]);
  });

  it('REGISTER, UNREGISTER, START, STOP, COMMAND and POST go to onHostBound with the text as it came', () => {
    const { wire, handler, drops } = setup();
    for (const text of Object.values(HOST_BOUND)) wire.receive('p1', text);
    expect(handler.calls.map((c) => c.door)).toEqual(Array(6).fill('onHostBound'));
    expect(handler.calls).toEqual(
      Object.values(HOST_BOUND).map((text) => ({
        door: 'onHostBound',
        peer: 'p1',
        msg: JSON.parse(text),
        text,
      })),
    );
    // Unknown fields are kept (forwarding re-sends them).
    expect((handler.calls[5]?.msg as unknown as { extra: string }).extra).toBe('kept');
    expect(drops).toEqual([]);
  });

  it('RESPONSE and EVENT go to onRegistrantBound, checked with the default codec and no authorize', () => {
    const { wire, handler } = setup();
    wire.receive('p1', RESPONSE);
    wire.receive('p1', EVENT);
    expect(handler.calls).toEqual([
      {
        door: 'onRegistrantBound',
        peer: 'p1',
        msg: JSON.parse(RESPONSE),
        text: RESPONSE,
        checked: true,
      },
      { door: 'onRegistrantBound', peer: 'p1', msg: JSON.parse(EVENT), text: EVENT, checked: true },
    ]);
  });

  it('not checked when an authorize callback could have changed the message', () => {
    const { wire, handler } = setup({ authorize: () => true });
    wire.receive('p1', RESPONSE);
    expect(handler.calls).toEqual([
      {
        door: 'onRegistrantBound',
        peer: 'p1',
        msg: JSON.parse(RESPONSE),
        text: RESPONSE,
        checked: false,
      },
    ]);
  });

  it('not checked with any other codec, even one that decodes as the default does', () => {
    const { wire, handler } = setup({
      codec: { encode: jsonCodec.encode, decode: jsonCodec.decode },
    });
    wire.receive('p1', EVENT);
    expect(handler.calls).toHaveLength(1);
    expect(handler.calls[0]).toMatchObject({ door: 'onRegistrantBound', checked: false });
  });

  it('a Uint8Array frame reaches the door as its UTF-8 text (a leading BOM dropped)', () => {
    const { wire, handler } = setup();
    const bytes = Buffer.from(`\ufeff${HOST_BOUND.COMMAND as string}`, 'utf8');
    wire.receive('p1', new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    expect(handler.calls).toEqual([
      {
        door: 'onHostBound',
        peer: 'p1',
        msg: JSON.parse(HOST_BOUND.COMMAND as string),
        text: HOST_BOUND.COMMAND,
      },
    ]);
  });

  it('neighbor() asks the handler which router id a peer is bound to', () => {
    const { wire } = setup();
    expect(wire.neighbor('p9')).toBe('id-of-p9');
    expect(setup({ attach: false }).wire.neighbor('p9')).toBeUndefined();
  });
});

describe('CtpWire: drops and their reasons', () => {
  it('too-large: a string frame over maxFrameBytes, measured in UTF-8 bytes', () => {
    const { wire, handler, drops, report } = setup({ maxFrameBytes: 64 });
    const content = 'x'.repeat(64);
    wire.receive('p1', frame({ t: 'POST', node: 'cam1', content }));
    // 22 two-byte characters: the frame is within 64 characters but past 64 bytes.
    const accented = frame({ t: 'POST', node: 'n', content: 'é'.repeat(22) });
    expect(accented.length).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(accented)).toBeGreaterThan(64);
    wire.receive('p2', accented);
    expect(handler.calls).toEqual([]);
    expect(drops).toEqual([
      { reason: 'too-large', peer: 'p1' },
      { reason: 'too-large', peer: 'p2' },
    ]);
    expect(report.drops['too-large']).toBe(2);
  });

  it('too-large: a Uint8Array frame over maxFrameBytes; at the limit it passes', () => {
    const small = frame({ t: 'UPDATENODE', from: 'r2' });
    const { wire, handler, drops } = setup({ maxFrameBytes: Buffer.byteLength(small) });
    wire.receive('p1', new Uint8Array(Buffer.from(`${small} `)));
    expect(drops).toEqual([{ reason: 'too-large', peer: 'p1' }]);
    wire.receive('p1', new Uint8Array(Buffer.from(small)));
    expect(handler.calls.map((c) => c.door)).toEqual(['onTableRequest']);
  });

  it('malformed: bytes that are not UTF-8, text that is not JSON, a frame that is not text', () => {
    const { wire, handler, drops, report } = setup();
    wire.receive('p1', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    wire.receive('p1', '{"v":1,"t":"UPDATENODE"');
    wire.receive('p1', 42 as unknown as string);
    wire.receive('p1', '[1,2]');
    expect(handler.calls).toEqual([]);
    expect(drops).toEqual([
      { reason: 'malformed', peer: 'p1', message: 'the frame is not UTF-8' },
      { reason: 'malformed', peer: 'p1', message: 'the frame is not JSON' },
      { reason: 'malformed', peer: 'p1', message: 'the frame is not text' },
      { reason: 'malformed', peer: 'p1', message: 'the frame is not a JSON object' },
    ]);
    expect(report.drops.malformed).toBe(4);
  });

  it('malformed: a frame of a known type that breaks its rules (a RESPONSE to a non-virtual node)', () => {
    const { wire, handler, drops } = setup();
    wire.receive('p1', frame({ t: 'RESPONSE', node: 'cam1', controller: 'cam2', code: 'SUCCESS' }));
    expect(handler.calls).toEqual([]);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'malformed', peer: 'p1' });
    expect(drops[0]?.message).toContain('controller');
  });

  it('unknown-type from the default codec (it refuses an unknown `t`), unsupported-version for a newer `v`', () => {
    const { wire, handler, drops } = setup();
    wire.receive('p1', frame({ t: 'HELLO' }));
    wire.receive('p1', JSON.stringify({ v: 2, t: 'UPDATENODE', from: 'r2' }));
    expect(handler.calls).toEqual([]);
    expect(drops.map((d) => d.reason)).toEqual(['unknown-type', 'unsupported-version']);
    expect(drops[0]?.message).toContain('HELLO');
  });

  it('unknown-type from the dispatch when a custom codec lets an unknown `t` through', () => {
    const codec: CtpCodec = {
      encode: jsonCodec.encode,
      decode: (s) => JSON.parse(s) as CtpMessage,
    };
    const { wire, handler, drops } = setup({ codec });
    wire.receive('p1', frame({ t: 'HELLO' }));
    expect(handler.calls).toEqual([]);
    expect(drops).toEqual([{ reason: 'unknown-type', peer: 'p1' }]);
  });

  it("a custom codec's own reason is the drop's; any other throw, or no message, is malformed", () => {
    let mode: 'reason' | 'plain' | 'null' = 'reason';
    const codec: CtpCodec = {
      encode: jsonCodec.encode,
      decode: () => {
        if (mode === 'reason') throw new CtpDecodeError('unsupported-version', 'too new');
        if (mode === 'plain') throw new Error('boom');
        return null as unknown as CtpMessage;
      },
    };
    const { wire, handler, drops, errors } = setup({ codec });
    wire.receive('p1', 'a');
    mode = 'plain';
    wire.receive('p1', 'b');
    mode = 'null';
    wire.receive('p1', 'c');
    expect(handler.calls).toEqual([]);
    expect(drops).toEqual([
      { reason: 'unsupported-version', peer: 'p1', message: 'too new' },
      { reason: 'malformed', peer: 'p1', message: 'boom' },
      { reason: 'malformed', peer: 'p1', message: 'the codec returned no message' },
    ]);
    expect(errors).toEqual([]);
  });

  it('peer-down: a peer the handler says is down is refused before its frame is read', () => {
    let decoded = 0;
    const codec: CtpCodec = {
      encode: jsonCodec.encode,
      decode: (s) => (decoded++, jsonCodec.decode(s)),
    };
    const { wire, handler, drops } = setup({ codec });
    handler.down.add('p1');
    wire.receive('p1', UPDATENODE);
    wire.receive('p1', 'not even json');
    expect(decoded).toBe(0);
    expect(handler.calls).toEqual([]);
    expect(drops).toEqual([
      { reason: 'peer-down', peer: 'p1' },
      { reason: 'peer-down', peer: 'p1' },
    ]);
    // Another peer is not affected.
    wire.receive('p2', UPDATENODE);
    expect(handler.calls.map((c) => c.peer)).toEqual(['p2']);
  });

  it('unauthorized: authorize returning false (or anything but true) drops the frame with its type', () => {
    const seen: [string, string][] = [];
    const { wire, handler, drops, errors } = setup({
      authorize: (peer, msg) => {
        seen.push([peer, msg.t]);
        if (msg.t === 'POST') return 1 as unknown as boolean;
        return msg.t !== 'COMMAND';
      },
    });
    wire.receive('p1', HOST_BOUND.COMMAND as string);
    wire.receive('p1', HOST_BOUND.POST as string);
    wire.receive('p1', UPDATENODE);
    expect(seen).toEqual([
      ['p1', 'COMMAND'],
      ['p1', 'POST'],
      ['p1', 'UPDATENODE'],
    ]);
    expect(drops).toEqual([
      { reason: 'unauthorized', peer: 'p1', t: 'COMMAND' },
      { reason: 'unauthorized', peer: 'p1', t: 'POST' },
    ]);
    expect(handler.calls.map((c) => c.door)).toEqual(['onTableRequest']);
    expect(errors).toEqual([]);
  });

  it('unauthorized: authorize that throws drops the frame, and the throw is reported as an error', () => {
    const { wire, handler, drops, errors } = setup({
      authorize: () => {
        throw new Error('policy store down');
      },
    });
    expect(() => wire.receive('p1', UPDATENODE)).not.toThrow();
    expect(handler.calls).toEqual([]);
    expect(drops).toEqual([{ reason: 'unauthorized', peer: 'p1', t: 'UPDATENODE' }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CtpCallbackError);
    expect((errors[0] as CtpCallbackError).callback).toBe('authorize');
    expect(errors[0]?.message).toContain('policy store down');
  });
});

describe('CtpWire: faults, counters and lifecycle', () => {
  it('a handler that throws is reported as an internal error, never thrown out of receive', () => {
    const { wire, handler, drops, errors } = setup();
    handler.throwing = new Error('bug in link state');
    expect(() => wire.receive('p1', REPORTNODE)).not.toThrow();
    expect(() => wire.receive('p1', RESPONSE)).not.toThrow();
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toBeInstanceOf(CtpInternalError);
      expect((e as CtpInternalError).operation).toBe('receive');
      expect(e.message).toContain('bug in link state');
    }
    expect(drops).toEqual([]);
    // The wire carries on.
    handler.throwing = undefined;
    wire.receive('p1', UPDATENODE);
    expect(handler.calls.map((c) => c.door)).toEqual(['onTableRequest']);
  });

  it('framesIn counts every frame received after attach, dropped ones included', () => {
    const { wire, handler } = setup({ maxFrameBytes: 256 });
    handler.down.add('gone');
    wire.receive('p1', UPDATENODE);
    wire.receive('p1', 'junk');
    wire.receive('p1', 'x'.repeat(300));
    wire.receive('gone', UPDATENODE);
    expect(wire.out.counters.framesIn).toBe(4);
    expect(wire.out.counters.framesOut).toBe(0);
  });

  it('nothing happens before attach: no door, no drop, no count', () => {
    const { wire, handler, drops, errors } = setup({ attach: false });
    wire.receive('p1', UPDATENODE);
    wire.receive('p1', 'junk');
    expect(wire.out.counters.framesIn).toBe(0);
    expect(drops).toEqual([]);
    expect(errors).toEqual([]);
    wire.attach(handler);
    wire.receive('p1', UPDATENODE);
    expect(handler.calls).toHaveLength(1);
    expect(wire.out.counters.framesIn).toBe(1);
  });

  it('nothing happens after close: no door, no drop, no count, nothing sent', () => {
    const { wire, handler, drops, sent } = setup();
    wire.receive('p1', UPDATENODE);
    wire.close();
    wire.receive('p1', UPDATENODE);
    wire.receive('p1', 'junk');
    expect(handler.calls).toHaveLength(1);
    expect(drops).toEqual([]);
    expect(wire.out.counters.framesIn).toBe(1);
    wire.out.message('p1', { v: 1, t: 'UPDATENODE', from: 'r1' });
    expect(sent).toEqual([]);
  });

  it('out sends through the send callback with the codec, counted', () => {
    const { wire, sent } = setup();
    expect(wire.out.message('p1', { v: 1, t: 'UPDATENODE', from: 'r1' })).toBe(true);
    expect(sent).toEqual([{ peer: 'p1', frame: '{"v":1,"t":"UPDATENODE","from":"r1"}' }]);
    expect(wire.out.counters.framesOut).toBe(1);
  });
});
