/**
 * REGISTERs waiting at a host for their registrant's virtual node to become
 * routable (PROTOCOL.md section 5: its advert can arrive after the request),
 * event-driven instead of the seed's sleep loop, bounded by
 * `maxWaitingRegistrations`, each for `registrationWaitMs` at most, and
 * shared fairly (`fairAdmit`): one origin (the registrant router, the `@id`
 * of the virtual node) always gets its share, `waitingShare(max)`, and goes
 * past it only while the pool is less than half full, so a flood of
 * REGISTERs for virtual nodes that never appear, from one origin, cannot take
 * the places of another origin's REGISTERs, while a legitimate burst of one
 * router (1,000 registrations at once) still fits.
 */
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';
import type { CtpRegister } from '../base/messages.js';

interface Waiting {
  msg: CtpRegister;
  timer: CtpTimerHandle;
  origin: string;
}

/** The least share of one origin, however small `maxWaitingRegistrations / 8` is. */
export const MIN_WAITING_SHARE = 16;

/**
 * Waiting REGISTERs (and standing claims, claims.ts) one origin may hold at
 * once: max(16, max / 8), never more than `max` (1024 → 128).
 */
export function waitingShare(max: number): number {
  return Math.min(max, Math.max(MIN_WAITING_SHARE, Math.floor(max / 8)));
}

/**
 * May an origin holding `held` of a pool of `max` places, `count` of them
 * taken, take one more? Within its share, while there is room; past it, only
 * while fewer than half the places are taken (the other half stays for the
 * other origins' shares).
 */
export function fairAdmit(held: number, count: number, max: number, share: number): boolean {
  if (count >= max) return false;
  return held < share || count < Math.floor(max / 2);
}

export class CtpWaitingRegisters {
  private readonly byName = new Map<string, Waiting[]>();
  private count = 0;
  /** Waiting REGISTERs per origin. */
  private readonly perOrigin = new Map<string, number>();
  private readonly share: number;

  constructor(
    private readonly timers: CtpTimers,
    private readonly max: number,
    private readonly waitMs: number,
  ) {
    this.share = waitingShare(max);
  }

  /** REGISTERs waiting now for `origin`'s virtual nodes. */
  heldBy(origin: string): number {
    return this.perOrigin.get(origin) ?? 0;
  }

  /** Registrant names something waits for. */
  get size(): number {
    return this.byName.size;
  }
  keys(): IterableIterator<string> {
    return this.byName.keys();
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * Wait for `name`; `expired` runs if it is still waiting after
   * `registrationWaitMs`. False when full, or when `origin` holds its share.
   */
  add(name: string, msg: CtpRegister, expired: () => void, origin = ''): boolean {
    const held = this.heldBy(origin);
    if (!fairAdmit(held, this.count, this.max, this.share)) return false;
    this.perOrigin.set(origin, held + 1);
    const entry: Waiting = {
      origin,
      msg,
      timer: this.timers.set(() => {
        if (this.remove(name, entry)) expired();
      }, this.waitMs),
    };
    const list = this.byName.get(name);
    if (list === undefined) this.byName.set(name, [entry]);
    else list.push(entry);
    this.count++;
    return true;
  }

  /** `name` is routable: every REGISTER waiting for it, no longer waiting. */
  take(name: string): CtpRegister[] {
    const list = this.byName.get(name);
    if (list === undefined) return [];
    const all = [...list];
    for (const w of all) this.remove(name, w);
    return all.map((w) => w.msg);
  }

  private remove(name: string, entry: Waiting): boolean {
    const list = this.byName.get(name);
    const i = list?.indexOf(entry) ?? -1;
    if (list === undefined || i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.byName.delete(name);
    this.count--;
    const held = this.heldBy(entry.origin) - 1;
    if (held > 0) this.perOrigin.set(entry.origin, held);
    else this.perOrigin.delete(entry.origin);
    this.timers.clear(entry.timer);
    return true;
  }

  clear(): void {
    for (const list of this.byName.values()) for (const w of list) this.timers.clear(w.timer);
    this.byName.clear();
    this.perOrigin.clear();
    this.count = 0;
  }
}
