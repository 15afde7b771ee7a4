/**
 * `router.events(node?, { signal, bufferSize })`: the EVENTs this router
 * receives as an `AsyncIterable<CtpEvent>` (for-await, as nats.js
 * subscriptions). Each stream buffers at most `bufferSize` events: when the
 * consumer is slower than the events come, the OLDEST buffered event is
 * dropped and counted in the stream's `dropped`, so memory stays bounded and
 * the newest state is kept. A stream ends (its loop exits) when its signal
 * aborts, the router closes, or the loop breaks (`return()`).
 */
import { argumentError } from '../base/errors.js';
import type { CtpEvent } from '../base/messages.js';

/** Events a stream buffers by default. */
export const DEFAULT_EVENT_BUFFER = 1024;

/** Options of `router.events`. */
export interface CtpEventsOptions {
  /** Ends the stream when it aborts. */
  signal?: AbortSignal;
  /** Events buffered for a slow consumer; past it the oldest is dropped (and counted). @default 1024 */
  bufferSize?: number;
}

/**
 * An `AsyncIterable` of the EVENTs this router receives (for one node, or all), from `router.events()`; bounded (the oldest is dropped past `bufferSize`),
 * it ends on `end()`, `break`, the signal's abort or the router's close.
 * @example
 * {@includeCode ../../docs/api-examples/events.ts}
 */
export class CtpEventStream implements AsyncIterableIterator<CtpEvent> {
  /** Events dropped (the oldest first) because the consumer fell `bufferSize` behind. */
  dropped = 0;
  private buf: CtpEvent[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<CtpEvent>) => void) | undefined;
  private ended = false;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    /** Only this node's events; all when undefined. */
    readonly node: string | undefined,
    private readonly capacity: number,
    private readonly signal: AbortSignal | undefined,
    private readonly detach: (s: CtpEventStream) => void,
  ) {
    if (signal !== undefined) {
      this.onAbort = () => this.end();
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Has the stream ended? */
  get done(): boolean {
    return this.ended;
  }

  /** An EVENT arrived at this router. @example
   * {@includeCode ../../docs/api-examples/event-stream.ts#methods} */
  push(msg: CtpEvent): void {
    if (this.ended || (this.node !== undefined && msg.node !== this.node)) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      return w({ value: msg, done: false });
    }
    if (this.buf.length - this.head >= this.capacity) {
      this.head++;
      this.dropped++;
    }
    this.buf.push(msg);
    // Compact now and then: the array never holds more than twice the capacity.
    if (this.head >= this.capacity) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
  }

  /** The next EVENT (waits for one); `done` once the signal aborts or the router closes. @example
   * {@includeCode ../../docs/api-examples/event-stream.ts#methods} */
  next(): Promise<IteratorResult<CtpEvent>> {
    if (this.head < this.buf.length) {
      const value = this.buf[this.head] as CtpEvent;
      this.buf[this.head++] = undefined as unknown as CtpEvent;
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== undefined)
      return Promise.reject(new Error('`next()` called again before the previous one resolved'));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Ends the stream (a `break` out of for-await calls it). @example
   * {@includeCode ../../docs/api-examples/event-stream.ts#methods} */
  return(): Promise<IteratorResult<CtpEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The stream is its own iterator (`for await`). @example
   * {@includeCode ../../docs/api-examples/event-stream.ts#methods} */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** End the stream: buffered events are discarded, a waiting `next()` resolves done. @example
   * {@includeCode ../../docs/api-examples/event-stream.ts#methods} */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.buf = [];
    this.head = 0;
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.detach(this);
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }
}

/** The router's open streams. */
export class CtpEventStreams {
  private readonly streams = new Set<CtpEventStream>();

  /** Open a stream (arguments checked: `CtpArgumentError`). */
  open(node: string | undefined, opts: CtpEventsOptions | undefined): CtpEventStream {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null))
      throw argumentError('opts', 'an object', opts);
    const signal = opts?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw argumentError('opts.signal', 'an AbortSignal', signal);
    const size = opts?.bufferSize ?? DEFAULT_EVENT_BUFFER;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1)
      throw argumentError('opts.bufferSize', 'a positive integer', size);
    const s = new CtpEventStream(node, size, signal, (x) => this.streams.delete(x));
    if (signal?.aborted === true) s.end();
    else this.streams.add(s);
    return s;
  }

  /** An EVENT arrived: hand it to every open stream. */
  push(msg: CtpEvent): void {
    if (this.streams.size === 0) return;
    for (const s of this.streams) s.push(msg);
  }

  /** The router closes: every stream ends. */
  close(): void {
    for (const s of [...this.streams]) s.end();
  }
}
