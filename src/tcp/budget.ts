/**
 * The partial-frame budget (issue 10): bytes held by line splitters for lines
 * not yet complete, summed over every connection of a transport. When a chunk
 * takes the sum past `maxBufferedBytes`, the connections holding the largest
 * partial lines are closed first until it is met again, so many large partial
 * lines cannot grow memory past the budget (one connection alone is already
 * bounded by `maxFrameBytes`).
 */
import createDebug from 'debug';
import type { TcpCloseReason, TcpConnection } from './connection.js';

const debug = createDebug('ctp:tcp:budget');

/** @internal */
export class TcpBufferBudget {
  /** Partial-line bytes held now, across connections. */
  total = 0;
  /** Connections closed to stay within the budget. */
  evictions = 0;
  private readonly held = new Map<TcpConnection, number>();

  constructor(
    private readonly max: number,
    private readonly kill: (c: TcpConnection, reason: TcpCloseReason) => void,
  ) {}

  /** Feed `chunk` to `c`'s splitter, account for what it now holds, enforce the budget. */
  push(c: TcpConnection, chunk: Buffer): void {
    c.splitter.push(chunk);
    const now = c.isOpen ? c.splitter.buffered : 0;
    const before = this.held.get(c) ?? 0;
    if (now === before) return;
    this.total += now - before;
    if (now === 0) this.held.delete(c);
    else this.held.set(c, now);
    if (this.total > this.max) this.enforce();
  }

  /** `c` is closing: its partial line no longer counts (and is let go). */
  release(c: TcpConnection): void {
    const n = this.held.get(c);
    if (n === undefined) return;
    this.held.delete(c);
    this.total -= n;
    c.splitter.reset();
  }

  private enforce(): void {
    const largest = [...this.held].sort((a, b) => b[1] - a[1]);
    for (const [c, n] of largest) {
      if (this.total <= this.max) break;
      this.evictions++;
      debug(
        'partial frames hold %d bytes (budget %d): closing %s, which holds %d',
        this.total,
        this.max,
        c,
        n,
      );
      this.release(c);
      this.kill(c, 'buffer-budget');
    }
  }
}
