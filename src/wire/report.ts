/**
 * Reporting: drops (counted per reason, emitted as `dropped`), errors
 * (`error`; with no listener, `process.emitWarning` once per code and
 * callback, so nothing is ever silent), and the safe emit every part reports
 * through — a listener that throws never breaks the router's state.
 */
import createDebug from 'debug';
import type { EventEmitter } from 'eventemitter3';
import { CtpCallbackError, type CtpError } from '../base/errors.js';
import type { CtpDropped, CtpEmit, CtpRouterEvents, DropReason } from '../events.js';
import { CtpMeter } from '../metrics/meter.js';

const debug = createDebug('ctp:report');

/** Details of a drop beside its reason and peer. */
export type CtpDropDetail<P> = Omit<CtpDropped<P>, 'reason' | 'peer'>;

/** How the parts report what went wrong: the router turns these into events. */
export interface CtpReport<P> {
  /** An inbound frame (or one advert of it) was not processed. */
  drop(peer: P, reason: DropReason, detail?: CtpDropDetail<P>): void;
  /** A host callback, `send` or the router itself failed; the router carries on. */
  error(err: CtpError): void;
}

export class CtpReporter<P> implements CtpReport<P> {
  /** Drops per reason (`stats().dropped`). */
  readonly drops: Record<string, number> = {};
  /** Drops of every reason so far (the advert budget charges a bulk frame that ended in one). */
  dropTotal = 0;
  /** The metric counters the roles bump (`router.metrics()`, src/metrics/). */
  readonly meter = new CtpMeter();
  /** Kinds of error already warned about with no `error` listener (code and callback). */
  private readonly warned = new Set<string>();

  constructor(
    private readonly id: string,
    private readonly events: Pick<EventEmitter<CtpRouterEvents<P>>, 'emit' | 'listenerCount'>,
  ) {}

  /** Emit without letting a throwing listener break the caller. */
  readonly emit: CtpEmit<P> = (event, ...args) => {
    try {
      (this.events.emit as (e: typeof event, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.error(new CtpCallbackError(`${String(event)} listener`, err));
    }
  };

  drop(peer: P, reason: DropReason, detail?: CtpDropDetail<P>): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    this.dropTotal++;
    debug('%s dropped a frame: %s %o', this.id, reason, detail ?? {});
    const e: CtpDropped<P> = { reason, peer };
    if (detail !== undefined)
      for (const [k, v] of Object.entries(detail))
        if (v !== undefined) (e as unknown as Record<string, unknown>)[k] = v;
    this.emit('dropped', e);
  }

  error(err: CtpError): void {
    debug('%s: %s', this.id, err.message);
    if (this.events.listenerCount('error') === 0) return this.warn(err);
    try {
      this.events.emit('error', err);
    } catch (inner) {
      debug('%s: an error listener threw: %o', this.id, inner);
    }
  }

  /** No `error` listener: a process warning, once per kind (code and callback or operation) per router. */
  private warn(err: CtpError): void {
    const where =
      (err as { callback?: string; operation?: string }).callback ??
      (err as { operation?: string }).operation ??
      '';
    const kind = `${err.code}:${where}`;
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    try {
      process.emitWarning(
        `ctp-router ${this.id}: ${err.message} (no 'error' listener; further ones of this kind are not shown)`,
        {
          type: 'CtpRouterWarning',
          code: err.code,
        },
      );
    } catch (inner) {
      debug('%s: emitWarning threw: %o', this.id, inner);
    }
  }
}
