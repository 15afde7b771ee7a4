/**
 * Stalls (issue 10): a router process that stops processing for a while (a
 * SIGSTOP, a long GC, a blocked event loop). Its inbox accumulates (frames
 * arrive and wait, as they would in its sockets), its timers and its host
 * app's timers do not run; when the stall ends, it processes its inbox and
 * its overdue timers, in either order (both happen in Node, depending on the
 * phase the loop was frozen in).
 */
import type { CtpClock } from '../../src/base/clock.js';
import type { VirtualClock, VirtualTimer } from './clock.js';

interface Stall {
  gen: number;
  until: number;
  inbox: (() => void)[];
  /** Timers that came due during the stall, in order, by handle (a clearTimeout still cancels them). */
  held: Map<VirtualTimer, () => void>;
}

export class SimStalls {
  private readonly stalls = new Map<string, Stall>();
  /** Stalls started so far. */
  count = 0;
  /** Every stall: router id → [start, end] intervals. */
  private readonly history = new Map<string, [number, number][]>();

  constructor(private readonly clock: VirtualClock) {}

  isStalled(id: string): boolean {
    return this.stalls.has(id);
  }

  /** The clock seam of router `id`'s incarnation `gen`: its timers wait while it is stalled. */
  clockFor(id: string, gen: number): CtpClock {
    return {
      now: () => this.clock.now,
      setTimeout: (fn: () => void, ms: number, purpose?: string) => {
        const h: VirtualTimer = this.clock.schedule(
          () => this.run(id, gen, h, fn),
          ms,
          purpose ?? 'lib',
        );
        return h;
      },
      clearTimeout: (h: unknown) => {
        this.clock.cancel(h);
        for (const s of this.stalls.values()) s.held.delete(h as VirtualTimer);
      },
    };
  }

  /** A timer of the host app of router `id` (frozen with it). */
  appTimer(id: string, gen: number, fn: () => void, ms: number): void {
    const h: VirtualTimer = this.clock.schedule(() => this.run(id, gen, h, fn), ms, 'app');
  }

  private run(id: string, gen: number, h: VirtualTimer, fn: () => void): void {
    const s = this.stalls.get(id);
    if (s !== undefined && s.gen === gen) s.held.set(h, fn);
    else fn();
  }

  /** A frame for router `id`: queued while it is stalled (true), else the caller delivers it. */
  queue(id: string, deliver: () => void): boolean {
    const s = this.stalls.get(id);
    if (s === undefined) return false;
    s.inbox.push(deliver);
    return true;
  }

  /** Stall router `id` (incarnation `gen`) for `ms`; `timersFirst`: what runs first when it resumes. */
  start(id: string, gen: number, ms: number, timersFirst: boolean): void {
    if (this.stalls.has(id)) return;
    this.count++;
    const s: Stall = { gen, until: this.clock.now + ms, inbox: [], held: new Map() };
    this.stalls.set(id, s);
    const h = this.history.get(id) ?? [];
    h.push([this.clock.now, s.until]);
    this.history.set(id, h);
    this.clock.schedule(() => this.resume(id, s, timersFirst), ms, 'stall');
  }

  private resume(id: string, s: Stall, timersFirst: boolean): void {
    if (this.stalls.get(id) !== s) return;
    this.stalls.delete(id);
    const timers = (): void => {
      for (const fn of s.held.values()) fn();
      s.held.clear();
    };
    if (timersFirst) timers();
    for (const deliver of s.inbox) deliver();
    if (!timersFirst) timers();
  }

  /**
   * The end of a stall of router `id` that covered time `t`, if any: a
   * request of a stalled caller cannot settle before it resumes.
   */
  coveredUntil(id: string, t: number): number | undefined {
    let end: number | undefined;
    for (const [a, b] of this.history.get(id) ?? [])
      if (a <= t && t <= b) end = Math.max(end ?? b, b);
    return end;
  }

  /** Router `id` crashed: its stall, inbox and held timers are gone. */
  drop(id: string): void {
    this.stalls.delete(id);
  }
}
