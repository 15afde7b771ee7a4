/**
 * `PhasedTimer`: a repeating timer that keeps its own phase. `setInterval`
 * re-arms every timer that ran in one batch from the same loop time, so the
 * timers of hundreds of routers in one process, once a stall made them run
 * together, stay together: a thousand heartbeats then went out in one
 * synchronous burst each second, and the burst grew with the bus
 * (bench/NOTES.md "A thousand routers, seventh part"). This one fires at
 * `start + k × every` for its own start. A run late by half an interval or
 * more takes a new phase from its own time (`Date.now()`, not the loop's
 * cached time: a batch of late timers spreads over the batch's real time), so
 * no run is skipped and none is hurried. (Skipping to the phase after next
 * halved the heartbeats of a saturated process, whose timers all ran late;
 * running again half an interval later doubled its checks.)
 * @internal
 */
export class PhasedTimer {
  private timer: NodeJS.Timeout | undefined;
  private start = Date.now();
  /** When the armed run is due (`Date.now()` time). */
  private due = 0;

  constructor(
    private readonly every: number,
    /** Called each time, with how late this run is (ms after it was due; 0 on time). */
    private readonly run: (late: number) => void,
  ) {
    this.arm();
  }

  /** Stop it: no run after this. `undefined`, to clear a field with it (`t = t?.stop()`). */
  stop(): undefined {
    clearTimeout(this.timer);
    this.timer = undefined;
    return undefined;
  }

  get stopped(): boolean {
    return this.timer === undefined;
  }

  private arm(): void {
    const now = Date.now();
    let into = (now - this.start) % this.every;
    if (into >= this.every / 2) {
      // Half an interval late or more: a new phase from now, as `setInterval` would take, but from
      // this timer's own time (a batch of late timers spreads over the batch's real time).
      this.start = now;
      into = 0;
    }
    const wait = this.every - into;
    this.due = now + wait;
    this.timer = setTimeout(() => this.fire(), wait).unref();
  }

  private fire(): void {
    try {
      this.run(Math.max(0, Date.now() - this.due));
    } finally {
      if (this.timer !== undefined) this.arm();
    }
  }
}
