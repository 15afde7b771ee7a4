/**
 * `QueuedRead`: before a member is called silent, this router reads what the
 * server already sent it (members.ts `checkSilent`): it flushes its
 * connection, and the PONG comes after everything queued before the PING.
 * This waits for that PONG by periods of `deadAfterMs`: not connected at the
 * end of one (the PING waits for a reconnect), no longer; connected, a PONG
 * that late says this process is behind on its socket (saturated), not that
 * members are silent, and it waits on. @internal
 */
export class QueuedRead {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly periodMs: number,
    /** Connected to a server now. */
    private readonly online: () => boolean,
    /** Still watching (not closed). */
    private readonly watching: () => boolean,
    private readonly late: (ms: number) => void = () => {},
  ) {}

  /** Resolves once `read` settled, or at the end of a period while not connected or no longer watching. */
  async wait(read: Promise<void>): Promise<void> {
    const done = read.then(
      () => true,
      () => true,
    );
    for (let periods = 1; ; periods++) {
      const period = new Promise<false>(
        (r) => (this.timer = setTimeout(() => r(false), this.periodMs).unref()),
      );
      const settled = await Promise.race([done, period]);
      this.close();
      if (settled || !this.watching() || !this.online()) return;
      this.late(periods * this.periodMs);
    }
  }

  /** No period timer left (the transport closes; a pending `wait` ends when its read settles). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
