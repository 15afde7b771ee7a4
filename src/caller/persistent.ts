/**
 * Persistent registrations: `register(node, type, { persistent: true })`.
 * After the registration is `lost`, the router registers again, with a
 * bounded, jittered exponential backoff on the clock seam (and at once when
 * the node becomes reachable again), until `unregister(node, type)` or
 * `close()`. Each success emits `registered` as any registration does.
 */
import createDebug from 'debug';
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';
import { argumentError, CtpClosedError, CtpInternalError } from '../base/errors.js';
import type { CtpLostEvent } from '../events.js';
import { ReturnCode, type CtpResult } from '../base/messages.js';
import type { CtpRegistrationType } from '../base/names.js';
import type { CtpRequestOptions } from '../options.js';
import type { CtpReport } from '../wire/report.js';

const debug = createDebug('ctp:persistent');

/** The first retry waits about this long… */
export const PERSISTENT_BASE_MS = 250;
/** …doubling per failed try up to this bound; each delay is jittered down by up to half. */
export const PERSISTENT_MAX_MS = 30_000;

/** What persistence needs of the router. */
export interface CtpPersistenceHooks {
  /** Register again (a plain, non-persistent `register`). */
  register(node: string, type: CtpRegistrationType): Promise<CtpResult>;
  /** Does this router hold the registration now? */
  holds(node: string, type: CtpRegistrationType): boolean;
  /** Is `node` reachable? */
  reachable(node: string): boolean;
}

interface Entry {
  readonly node: string;
  readonly type: CtpRegistrationType;
  /** Failed tries since the last success. */
  tries: number;
  timer: CtpTimerHandle | undefined;
  inFlight: boolean;
  /** Waiting to register again (after `lost`, until a success). */
  retrying: boolean;
}

/** The persistent registrations of one router and their retry timers. */
export class CtpPersistence<P> {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly timers: CtpTimers,
    private readonly hooks: CtpPersistenceHooks,
    private readonly report: CtpReport<P>,
    private readonly random: () => number = Math.random,
  ) {}

  /** A persistent `register` answered `r`: keep the registration when it is held. */
  holdsOrKeeps(r: CtpResult, node: string, type: CtpRegistrationType): void {
    if (r.code === ReturnCode.SUCCESS || this.hooks.holds(node, type)) this.keep(node, type);
  }

  /** A persistent `register` succeeded: keep it. */
  keep(node: string, type: CtpRegistrationType): void {
    const k = key(node, type);
    if (!this.entries.has(k))
      this.entries.set(k, {
        node,
        type,
        tries: 0,
        timer: undefined,
        inFlight: false,
        retrying: false,
      });
  }

  /** `unregister(node, type)`: stop keeping it. */
  forget(node: string, type: CtpRegistrationType): void {
    const e = this.entries.get(key(node, type));
    if (e === undefined) return;
    this.timers.clear(e.timer);
    this.entries.delete(key(node, type));
  }

  /** Is the registration kept? */
  has(node: string, type: CtpRegistrationType): boolean {
    return this.entries.has(key(node, type));
  }

  /** A registration was lost: a kept one is registered again after a backoff. */
  lost(e: CtpLostEvent): void {
    const entry = this.entries.get(key(e.node, e.type));
    if (entry === undefined) return;
    entry.retrying = true;
    entry.tries = 0;
    this.schedule(entry);
  }

  /** The table changed: a kept registration waiting for its node tries at once when the node is back. */
  onTableChange(): void {
    if (this.entries.size === 0) return;
    for (const e of this.entries.values()) {
      if (!e.retrying || e.inFlight || e.timer === undefined || !this.hooks.reachable(e.node))
        continue;
      e.timer = this.timers.clear(e.timer);
      this.attempt(e);
    }
  }

  close(): void {
    this.timers.clearAll();
    this.entries.clear();
  }

  /** The delay before try `tries` (0-based): 250 ms · 2^tries, at most 30 s, jittered to 50–100 %. */
  delay(tries: number): number {
    const full = Math.min(PERSISTENT_MAX_MS, PERSISTENT_BASE_MS * 2 ** Math.min(tries, 30));
    return Math.round(full * (0.5 + this.random() * 0.5));
  }

  private schedule(e: Entry): void {
    this.timers.clear(e.timer);
    e.timer = this.timers.set(() => {
      e.timer = undefined;
      this.attempt(e);
    }, this.delay(e.tries));
  }

  private attempt(e: Entry): void {
    if (this.entries.get(key(e.node, e.type)) !== e) return;
    e.inFlight = true;
    debug('registering %s of %s again (try %d)', e.type, e.node, e.tries + 1);
    this.hooks.register(e.node, e.type).then(
      (r) => this.tried(e, r.code === ReturnCode.SUCCESS || this.hooks.holds(e.node, e.type)),
      (err: unknown) => {
        if (err instanceof CtpClosedError) return;
        this.report.error(new CtpInternalError('persistent register', err));
        this.tried(e, false);
      },
    );
  }

  private tried(e: Entry, ok: boolean): void {
    e.inFlight = false;
    if (this.entries.get(key(e.node, e.type)) !== e) return;
    if (ok) {
      e.retrying = false;
      e.tries = 0;
      return;
    }
    e.tries++;
    this.schedule(e);
  }
}

function key(node: string, type: CtpRegistrationType): string {
  return `${type} ${node}`;
}

/** Options of `register`: the request options and `persistent`. */
export interface CtpRegisterOptions extends CtpRequestOptions {
  /**
   * Register again after every `lost` (bounded, jittered backoff; at once
   * when the node is back) until `unregister` or `close`. @default false
   */
  persistent?: boolean;
}

/** `persistent` must be a boolean when given. */
export function checkPersistent(opts: CtpRegisterOptions | undefined): void {
  const v = opts?.persistent;
  if (v !== undefined && typeof v !== 'boolean')
    throw argumentError('opts.persistent', 'a boolean', v);
}
