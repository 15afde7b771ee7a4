/**
 * REGISTERs waiting at a host for their registrant's virtual node to become
 * routable (PROTOCOL.md section 5: its advert can arrive after the request),
 * event-driven instead of the seed's sleep loop, bounded by
 * `maxWaitingRegistrations`, each for `registrationWaitMs` at most.
 */
import type { CtpTimerHandle, CtpTimers } from '../base/clock.js';
import type { CtpRegister } from '../base/messages.js';

interface Waiting {
  msg: CtpRegister;
  timer: CtpTimerHandle;
}

export class CtpWaitingRegisters {
  private readonly byName = new Map<string, Waiting[]>();
  private count = 0;

  constructor(
    private readonly timers: CtpTimers,
    private readonly max: number,
    private readonly waitMs: number,
  ) {}

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

  /** Wait for `name`; `expired` runs if it is still waiting after `registrationWaitMs`. False when full. */
  add(name: string, msg: CtpRegister, expired: () => void): boolean {
    if (this.count >= this.max) return false;
    const entry: Waiting = {
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
    this.timers.clear(entry.timer);
    return true;
  }

  clear(): void {
    for (const list of this.byName.values()) for (const w of list) this.timers.clear(w.timer);
    this.byName.clear();
    this.count = 0;
  }
}
