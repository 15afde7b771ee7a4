/**
 * Lock timeouts, SiLA 2 style (issue 10): a controller registers with
 * `idleTimeoutMs` (REGISTER field of the same name), and its host releases
 * control when that controller sent no control request for that long —
 * a frozen or forgotten controller cannot hold a node for ever. A host caps
 * it with `maxControlIdleMs`, which also gives every controller registering
 * without one the cap. The host tells the registrant with a release notice
 * (a RESPONSE without `re`, code NOT_ASSIGNED, reason `idle`, content
 * `{ host }`); the registrant also keeps its own, later, timer (the idle
 * timeout plus `leaseGraceMs` after its last control request), so that a
 * notice lost on the way does not leave it believing in control it lost.
 */
import createDebug from 'debug';
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';

const debug = createDebug('ctp:idle-locks');

/** The idle timeout a host applies: the request, capped; the cap when none was asked for. */
export function effectiveIdleMs(
  requested: number | undefined,
  cap: number | undefined,
): number | undefined {
  if (requested === undefined) return cap;
  return cap === undefined ? requested : Math.min(requested, cap);
}

interface Lock {
  controller: string;
  ms: number;
  timer: CtpTimerHandle;
}

/** At the host: one idle timer per controlled local node that has an idle timeout. */
export class CtpIdleLocks {
  private readonly locks = new Map<string, Lock>();

  constructor(
    private readonly timers: CtpTimers,
    private readonly cap: number | undefined,
    /** The controller of `node` sent no control request for its idle timeout. */
    private readonly onIdle: (node: string, controller: string) => void,
  ) {}

  /**
   * `controller` now holds `node`, having asked for `requested`: (re)start
   * its idle timer. Returns the timeout applied, if any.
   */
  arm(node: string, controller: string, requested: number | undefined): number | undefined {
    this.disarm(node);
    const ms = effectiveIdleMs(requested, this.cap);
    if (ms === undefined) return undefined;
    this.locks.set(node, { controller, ms, timer: this.start(node, controller, ms) });
    return ms;
  }

  /** The timeout `controller` holds `node` with (a refresh keeps it). */
  current(node: string, controller: string): number | undefined {
    const l = this.locks.get(node);
    return l?.controller === controller ? l.ms : undefined;
  }

  /** A control request from `node`'s controller: its idle time starts again. */
  touch(node: string, controller: string): void {
    const l = this.locks.get(node);
    if (l === undefined || l.controller !== controller) return;
    this.timers.clear(l.timer);
    l.timer = this.start(node, controller, l.ms);
  }

  /** `node` has no controller any more (or another one). */
  disarm(node: string): void {
    const l = this.locks.get(node);
    if (l === undefined) return;
    this.timers.clear(l.timer);
    this.locks.delete(node);
  }

  private start(node: string, controller: string, ms: number): CtpTimerHandle {
    return this.timers.set(() => {
      if (this.locks.get(node)?.controller !== controller) return;
      this.locks.delete(node);
      debug('%s: %s idle for %d ms', node, controller, ms);
      this.onIdle(node, controller);
    }, ms);
  }

  close(): void {
    this.timers.clearAll();
    this.locks.clear();
  }
}

/** At the registrant: its own, later, idle timer per controller registration. */
export class CtpIdleWatch {
  private readonly watched = new Map<string, { ms: number; timer: CtpTimerHandle }>();

  constructor(
    private readonly timers: CtpTimers,
    private readonly graceMs: number,
    /** The registration `virtual` sent no control request for its idle timeout and the grace. */
    private readonly onIdle: (virtual: string) => void,
  ) {}

  /** Watch `virtual`, held with idle timeout `ms` (nothing when `undefined`). */
  watch(virtual: string, ms: number | undefined): void {
    this.unwatch(virtual);
    if (ms === undefined) return;
    this.watched.set(virtual, { ms, timer: this.start(virtual, ms) });
  }

  /** A control request goes out on `virtual`. */
  touch(virtual: string): void {
    const w = this.watched.get(virtual);
    if (w === undefined) return;
    this.timers.clear(w.timer);
    w.timer = this.start(virtual, w.ms);
  }

  unwatch(virtual: string): void {
    const w = this.watched.get(virtual);
    if (w === undefined) return;
    this.timers.clear(w.timer);
    this.watched.delete(virtual);
  }

  private start(virtual: string, ms: number): CtpTimerHandle {
    return this.timers.set(() => {
      this.watched.delete(virtual);
      this.onIdle(virtual);
    }, ms + this.graceMs);
  }

  close(): void {
    this.timers.clearAll();
    this.watched.clear();
  }
}
