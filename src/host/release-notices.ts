/**
 * Release notices (PROTOCOL.md section 11, host side): a registrant may
 * believe in a registration its host no longer holds — the host released it
 * while the registrant saw no gap, or restarted — and nothing else would tell
 * it (the two sides' graces run on different clocks: simulator seed 5481).
 * The host remembers what it released (bounded, up to `staleAdvertMs`) and,
 * when such a virtual node is back, sends the registrant a release notice: a
 * RESPONSE without `re`, code NOT_ASSIGNED, reason `released`, content
 * `{ host }` (the virtual node's name does not say which host it was made
 * with when two routers host the node's name). A virtual node of a local
 * node that came with its origin but without a registration here gets one
 * after `registrationWaitMs`.
 *
 * A notice can be lost (the link it travels breaks, a frozen registrant's
 * connection drops with it queued): while a released virtual node stays
 * reachable and unrecorded, the notice is sent again, up to NOTICE_TRIES
 * times with a doubling delay (found by the simulator, seed 2088). A controller that gets
 * it ends its registration (its virtual node goes); a monitor refreshes (it
 * is recorded again): either way the retries stop.
 */
import createDebug from 'debug';
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';
import { ReturnCode } from '../base/messages.js';
import { virtualParts } from '../base/names.js';
import type { CtpHostRouting } from '../link-state/routing.js';
import type { CtpTable } from '../link-state/table.js';

const debug = createDebug('ctp:release-notices');

// Released registrations remembered; the oldest is forgotten past this.
const MAX_RELEASED = 10_000;
// A notice is sent at most this many times per return of its virtual node.
const NOTICE_TRIES = 5;
const MIN_RETRY_MS = 1_000;

export interface CtpReleaseNoticeOptions {
  registrationWaitMs: number;
  staleAdvertMs: number;
  /** Bounds the virtual nodes watched at once. */
  maxWaitingRegistrations: number;
}

/** What the notices ask of the host part. */
export interface CtpReleaseNoticeHost {
  /** Does the host hold `name` (controller or monitor of `node`)? */
  isRecorded(name: string, node: string): boolean;
  /** Is a REGISTER waiting for `name`? */
  isWaiting(name: string): boolean;
}

export class CtpReleaseNotices<P> {
  /** Registrations released while their registrant was unreachable → when (oldest first). */
  private readonly releasedAt = new Map<string, number>();
  /** Virtual nodes of local nodes held by no registration here, watched (a notice pending or sent). */
  private readonly watched = new Map<string, CtpTimerHandle>();

  constructor(
    private readonly table: CtpTable<P>,
    private readonly routing: CtpHostRouting<P>,
    private readonly timers: CtpTimers,
    private readonly opts: CtpReleaseNoticeOptions,
    private readonly host: CtpReleaseNoticeHost,
  ) {}

  /** `name` was recorded (a REGISTER or a refresh succeeded): nothing to tell it. */
  recorded(name: string): void {
    this.releasedAt.delete(name);
    const t = this.watched.get(name);
    if (t === undefined) return;
    this.timers.clear(t);
    this.watched.delete(name);
  }

  /** The host released `name` while its registrant was unreachable. */
  released(name: string): void {
    const now = this.timers.now();
    this.releasedAt.delete(name);
    for (const [n, at] of this.releasedAt) {
      if (now - at <= this.opts.staleAdvertMs && this.releasedAt.size < MAX_RELEASED) break;
      this.releasedAt.delete(n);
    }
    this.releasedAt.set(name, now);
  }

  /**
   * The local node `node` was added again after its removal grace dropped its
   * registrations: a registrant that never saw it go (the removal still waited
   * in a paced advert when it came back: simulator seed 9 with identities)
   * still believes in them.
   */
  nodeBack(node: string): void {
    for (const name of [...this.releasedAt.keys()])
      if (virtualParts(name)?.node === node && this.table.isReachableName(name))
        this.added(name, undefined);
  }

  /** The virtual node `name` became reachable (`gained`: the origins that did too). */
  added(name: string, gained: ReadonlySet<string> | undefined): void {
    if (this.releasedAt.delete(name)) return this.notify(name, 1);
    const v = virtualParts(name);
    if (
      gained === undefined ||
      v === undefined ||
      !gained.has(v.routerId) ||
      this.watched.has(name)
    )
      return;
    // Its REGISTER may be on its way (a simple peer advertises, then registers) — or this host restarted
    // (or lost it) while the registrant saw no gap, which adverts held back by `minAdvertIntervalMs` can hide.
    this.watch(name, 0, Math.max(1, this.opts.registrationWaitMs));
  }

  /** Send the notice now (try `tries`; 0: a virtual node that came unrecorded, sent once), and watch for its effect. */
  private notify(name: string, tries: number): void {
    const v = virtualParts(name);
    if (v === undefined || !this.table.hasLocal(v.node) || this.host.isRecorded(name, v.node))
      return;
    debug('%s: %s is back unrecorded, told it was released (try %d)', this.table.id, name, tries);
    this.routing.answer(
      v.node,
      name,
      ReturnCode.NOT_ASSIGNED,
      undefined,
      { host: this.table.id },
      'released',
    );
    // Again only for what this host released (a virtual node that merely came unrecorded may
    // stand for a registration with another router hosting the same name: it ignores the notice).
    if (tries > 0 && tries < NOTICE_TRIES)
      this.watch(
        name,
        tries,
        Math.max(MIN_RETRY_MS, this.opts.registrationWaitMs) * 2 ** (tries - 1),
      );
  }

  /** After `ms`, notify `name` (try `tries + 1`) if it is still reachable, unrecorded and not waiting. */
  private watch(name: string, tries: number, ms: number): void {
    const v = virtualParts(name);
    if (v === undefined || !this.table.hasLocal(v.node) || this.host.isRecorded(name, v.node))
      return;
    if (!this.watched.has(name) && this.watched.size >= this.opts.maxWaitingRegistrations) return;
    this.timers.clear(this.watched.get(name));
    this.watched.set(
      name,
      this.timers.set(() => {
        this.watched.delete(name);
        if (
          this.table.isReachableName(name) &&
          !this.host.isRecorded(name, v.node) &&
          !this.host.isWaiting(name)
        )
          this.notify(name, tries === 0 ? 0 : tries + 1);
      }, ms),
    );
  }

  close(): void {
    this.timers.clearAll();
    this.releasedAt.clear();
    this.watched.clear();
  }
}
