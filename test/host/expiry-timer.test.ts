/**
 * The host's open requests expire on one shared sweep (src/host/host.ts,
 * src/caller/deadline-sweep.ts). On a clock that never waits for its timers
 * to run out (the system's, the test network's: `IDLE_TIMERS_HARMLESS`), the
 * sweep keeps its timer while no request is open, so requests one after the
 * other set one timer, not one each; on any other clock (a simulator that
 * runs timers until none is left) the timer goes as soon as nothing waits.
 */
import { describe, expect, it } from 'vitest';
import {
  IDLE_TIMERS_HARMLESS,
  idleTimersHarmless,
  systemClock,
  type CtpClock,
} from '../../src/base/clock.js';
import { CtpTestNetwork } from '../../src/testing/index.js';

const TIMEOUT = 60_000;

/** The network's clock seen through a wrapper that counts the host sweep's timers (set about `TIMEOUT` ahead). */
function sweepCounter(base: CtpClock, harmless: boolean) {
  const live = new Set<unknown>();
  const counts = { set: 0 };
  const clock: CtpClock & { [IDLE_TIMERS_HARMLESS]?: boolean } = {
    now: () => base.now(),
    setTimeout: (fn, ms, purpose) => {
      const sweep = ms > TIMEOUT - 5_000 && ms <= TIMEOUT;
      if (sweep) counts.set++;
      const h = base.setTimeout(
        () => {
          live.delete(h);
          fn();
        },
        ms,
        purpose,
      );
      if (sweep) live.add(h);
      return h;
    },
    clearTimeout: (h) => {
      live.delete(h);
      base.clearTimeout(h);
    },
  };
  if (harmless) clock[IDLE_TIMERS_HARMLESS] = true;
  return { clock, live, counts };
}

async function fiveInARow(harmless: boolean): Promise<{ sets: number; liveAfter: number }> {
  const net = new CtpTestNetwork();
  const { clock, live, counts } = sweepCounter(net.clock, harmless);
  try {
    net.addRouter('host', {
      nodes: ['cam1'],
      clock,
      responseTimeoutMs: TIMEOUT,
      onReceived: (_t, msg, r) => void r.respond((msg as { node: string }).node, { ok: true }),
    });
    const client = net.addRouter('client');
    net.link('host', 'client');
    await net.settle();
    expect((await client.register('cam1', 'controller')).code).toBe('SUCCESS');
    for (let i = 0; i < 5; i++) {
      expect((await client.command('cam1', 'x', i)).code).toBe('SUCCESS');
      for (let j = 0; j < 4; j++) await null;
    }
    return { sets: counts.set, liveAfter: live.size };
  } finally {
    await net.close();
    expect(live.size).toBe(0);
  }
}

describe('the host sweep timer', () => {
  it('the system clock and the test clock are marked; a plain clock is not', () => {
    expect(idleTimersHarmless(systemClock)).toBe(true);
    expect(idleTimersHarmless(new CtpTestNetwork().clock)).toBe(true);
    expect(idleTimersHarmless({ now: Date.now, setTimeout, clearTimeout } as CtpClock)).toBe(false);
  });

  it('stays armed between requests one after the other on a marked clock: one timer for five', async () => {
    expect(await fiveInARow(true)).toEqual({ sets: 1, liveAfter: 1 });
  });

  it('goes as soon as no request is open on an unmarked clock: one per request, none left', async () => {
    expect(await fiveInARow(false)).toEqual({ sets: 5, liveAfter: 0 });
  });
});
