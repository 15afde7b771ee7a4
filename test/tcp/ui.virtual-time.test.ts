/**
 * The `ui` page under a headless browser's virtual time: live, it polls
 * `/updates` (a finite answer each time, a pause between), so
 * `--virtual-time-budget` ends and the screenshot is taken; with `?snapshot`
 * it loads the view once and stops.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, spawnCli, startPeer } from './procs.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `ui.virtual-time.test.ts: no Chromium at ${CHROMIUM}: skipped (install the chromium package to run it)`,
  );

describe.skipIf(!hasChromium)('ctp-router ui under headless virtual time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctp-ui-shot-'));
  afterAll(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['live', ''],
    ['?snapshot', '?snapshot'],
  ])(
    '%s: --virtual-time-budget ends and the screenshot is written',
    async (label, query) => {
      await ensureBuilt();
      const station = await startPeer([
        '--id',
        'station',
        '--listen',
        '127.0.0.1:0',
        '--node',
        'cam1',
      ]);
      const ui = spawnCli(['ui', '--json', '--connect', station.addr, '--http', '127.0.0.1:0']);
      const served = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
      const shot = join(dir, `shot-${label === 'live' ? 'live' : 'snapshot'}.png`);
      const chrome = spawn(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--virtual-time-budget=3000',
          '--window-size=1200,800',
          `--screenshot=${shot}`,
          `${served.url as string}${query}`,
        ],
        { stdio: 'ignore' },
      );
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          chrome.kill('SIGKILL');
          resolve(null);
        }, 45_000);
        chrome.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(code, 'chromium ended within 45 s').toBe(0);
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    },
    90_000,
  );
});
