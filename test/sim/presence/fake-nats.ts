/**
 * A NATS server and its clients on virtual time (loop.ts), for the presence
 * simulator: subjects with `*` and `>`, `noEcho`, per-connection FIFO
 * delivery with a latency drawn from the run's seed, `flush()` answered by a
 * PONG that comes after everything queued before it, `status()` with
 * `disconnect` and `reconnect`. A client that loses the server buffers what
 * it publishes and sends it at its reconnect, as the NATS client does; what
 * the server had for it meanwhile is lost. Counts every delivery, as
 * nats-server's `/varz` `out_msgs` does.
 */
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import type { Rng } from '../rng.js';
import type { SimProcess, VirtualLoop } from './loop.js';

/** What a subscriber gets (the fields the transport reads of a NATS `Msg`). */
export interface SimMsg {
  subject: string;
  data: Uint8Array;
  headers?: MsgHdrs;
}

type Callback = (err: Error | null, m: SimMsg) => void;

interface Sub {
  subject: string;
  parts: string[];
  callback: Callback;
  active: boolean;
}

const enc = new TextEncoder();

function matches(pattern: string[], subject: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/** One client connection, hosted by a `SimProcess`. */
export class SimConnection {
  online = true;
  closed = false;
  /** Bumped at each loss of the server: what was on its way is dropped. */
  gen = 0;
  /** The time the last thing queued to it gets there (deliveries stay in order). */
  lastAt = 0;
  private readonly subs: Sub[] = [];
  /** Publishes and PINGs made while away from the server, sent at the reconnect. */
  private readonly buffered: (() => void)[] = [];
  private readonly statuses: { type: string }[] = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly server: SimNats,
    readonly proc: SimProcess,
  ) {}

  subscribe(subject: string, opts: { callback: Callback }): { unsubscribe(): void } {
    const sub: Sub = { subject, parts: subject.split('.'), callback: opts.callback, active: true };
    this.subs.push(sub);
    return {
      unsubscribe: () => {
        sub.active = false;
        const i = this.subs.indexOf(sub);
        if (i >= 0) this.subs.splice(i, 1);
      },
    };
  }

  /** The subscriptions that take `subject`. */
  takers(parts: string[]): Sub[] {
    return this.subs.filter((s) => s.active && matches(s.parts, parts));
  }

  publish(subject: string, data?: string | Uint8Array, opts?: { headers?: MsgHdrs }): void {
    if (this.closed) throw new Error('CONNECTION_CLOSED');
    const bytes = typeof data === 'string' ? enc.encode(data) : (data ?? new Uint8Array());
    const send = (): void => this.server.route(this, subject, bytes, opts?.headers);
    if (this.online) send();
    else this.buffered.push(send);
  }

  /** Do `fn` at the reconnect (now if online). */
  later(fn: () => void): void {
    if (this.online) fn();
    else this.buffered.push(fn);
  }

  /** Resolves at the PONG: after everything the server queued for this client before the PING. */
  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('CONNECTION_CLOSED'));
    return new Promise<void>((resolve) => {
      this.later(() => this.server.ping(this, resolve));
    });
  }

  status(): AsyncIterable<{ type: string }> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<{ type: string }>> => {
          for (;;) {
            const s = this.statuses.shift();
            if (s !== undefined) return { value: s, done: false };
            if (this.closed) return { value: undefined, done: true };
            await new Promise<void>((r) => (this.wake = r));
          }
        },
      }),
    };
  }

  private tell(type: string): void {
    this.statuses.push({ type });
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  isClosed(): boolean {
    return this.closed;
  }

  getServer(): string {
    return 'sim:4222';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.server.drop(this);
    this.tell('close');
  }

  /** The server is gone for this client (its socket broke): it says `disconnect`. */
  lose(): void {
    if (this.closed || !this.online) return;
    this.online = false;
    this.gen++;
    this.tell('disconnect');
  }

  /** Back on the server: its subscriptions again, what it buffered sent, `reconnect`. */
  regain(): void {
    if (this.closed || this.online) return;
    this.online = true;
    this.tell('reconnect');
    for (const send of this.buffered.splice(0)) send();
  }
}

/** The server: routes each publish to every connection with a subscription that takes it. */
export class SimNats {
  readonly conns = new Set<SimConnection>();
  /** Messages delivered, as `/varz` `out_msgs` counts them. */
  outMsgs = 0;
  /** When each process published a roster (`<prefix>.r.<from>`). */
  readonly rosters = new Map<SimProcess, number[]>();
  /** Published, by process and the subject's kind (its second token): `a1 r`, `m3 h`, `m3 u`. */
  readonly published = new Map<string, number>();

  constructor(
    private readonly loop: VirtualLoop,
    private readonly rng: Rng,
    /** One way, client to server or server to client, ms: [min, max]. */
    private readonly latency: [number, number] = [0.2, 3],
  ) {}

  /** The NATS client's `connect` for a transport hosted by `proc`. */
  connector(proc: SimProcess): () => Promise<NatsConnection> {
    return () =>
      new Promise((resolve) => {
        const c = new SimConnection(this, proc);
        this.loop.at(this.loop.now + this.hop() * 2, proc, () => {
          this.conns.add(c);
          resolve(c as unknown as NatsConnection);
        });
      });
  }

  private hop(): number {
    const [lo, hi] = this.latency;
    return lo + this.rng.next() * (hi - lo);
  }

  /** A publish of `from` reaches the server after one hop, then each taker after another. */
  route(from: SimConnection, subject: string, data: Uint8Array, headers?: MsgHdrs): void {
    const kind = `${from.proc.name} ${subject.split('.')[1] ?? ''}`;
    if (subject.split('.')[1] === 'r') {
      const times = this.rosters.get(from.proc) ?? [];
      times.push(this.loop.now);
      this.rosters.set(from.proc, times);
    }
    this.published.set(kind, (this.published.get(kind) ?? 0) + 1);
    const gen = from.gen;
    const arrive = this.loop.now + this.hop();
    this.loop.at(arrive, undefined, () => {
      if (from.gen !== gen) return; // lost on the way with the connection
      const parts = subject.split('.');
      for (const c of this.conns) {
        if (c === from || !c.online || c.closed) continue; // noEcho
        const subs = c.takers(parts);
        if (subs.length === 0) continue;
        this.deliver(
          c,
          () => {
            for (const s of subs) if (s.active) s.callback(null, { subject, data, headers });
          },
          subs.length,
        );
      }
    });
  }

  /** Queue `fn` for connection `c`, after whatever it has queued (FIFO), on its process; `lost`: it never got there. */
  private deliver(c: SimConnection, fn: () => void, count = 0, lost?: () => void): void {
    const at = Math.max(this.loop.now + this.hop(), c.lastAt);
    c.lastAt = at;
    const gen = c.gen;
    this.outMsgs += count;
    this.loop.at(at, c.proc, () => {
      if (c.gen === gen && c.online && !c.closed) fn();
      else if (!c.closed) lost?.();
    });
  }

  /** A PING of `c`: the PONG comes after everything queued for it (a PING lost with the connection goes again at the reconnect). */
  ping(c: SimConnection, pong: () => void): void {
    const gen = c.gen;
    const again = (): void => c.later(() => this.ping(c, pong));
    this.loop.at(this.loop.now + this.hop(), undefined, () => {
      if (c.closed) return;
      if (c.gen !== gen || !c.online) return again();
      this.deliver(c, pong, 0, again);
    });
  }

  /** `c` closed or its process died: the server forgets it. */
  drop(c: SimConnection): void {
    this.conns.delete(c);
  }
}
