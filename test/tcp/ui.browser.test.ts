/**
 * `ctp-router ui` in a real browser (headless Chromium driven by
 * playwright-core): three peer processes, a viewer, a console taking control
 * of cam1, and the page following them live. Saves docs/ui.png, the README's
 * screenshot. Skipped, with one printed line, where Chromium is not installed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, killAll, ROOT, runCli, spawnCli, startPeer, type Proc } from './procs.js';

/** Run a `call --json` to its end: the code of its (last) result. */
async function runCliNoWait(args: string[]): Promise<string | undefined> {
  const r = await runCli(args);
  return r.records.filter((x) => x.type === 'result').at(-1)?.code as string | undefined;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `ui.browser.test.ts: no Chromium at ${CHROMIUM}: skipped "ctp-router ui in a real browser" (install the chromium package to run it)`,
  );

let browser: Browser | undefined;

describe.skipIf(!hasChromium)('ctp-router ui in a real browser', () => {
  beforeAll(async () => {
    await ensureBuilt();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await killAll();
  });

  /** The texts of the elements matching `selector`. */
  const texts = (page: Page, selector: string): Promise<string[]> =>
    page.locator(selector).allTextContents();
  /** The node table's row for `node`, as `{ node, host, via, controller, monitors }` texts. */
  const row = (page: Page, node: string): Promise<Record<string, string> | null> =>
    js(
      page,
      `(() => {
      const tr = [...document.querySelectorAll('#node-table tbody tr')].find((r) => r.dataset.node === ${JSON.stringify(node)});
      if (tr === undefined) return null;
      const cell = (cls) => tr.querySelector('td.' + cls).textContent;
      return { node: cell('node'), host: cell('host'), via: cell('via'), controller: cell('controller'), monitors: cell('monitors') };
    })()`,
    );
  // In-page code is given as text: the tests compile without the DOM's types.
  /** Evaluate `expr` in the page. */
  const js = <T>(page: Page, expr: string): Promise<T> => page.evaluate(expr) as Promise<T>;
  /** Wait until `expr` is truthy in the page. */
  // (Polled from here: waitForFunction with text would need the page's CSP to allow eval.)
  const until = async (page: Page, expr: string, timeout: number): Promise<void> => {
    const deadline = Date.now() + timeout;
    while (!(await js<boolean>(page, `Boolean(${expr})`))) {
      if (Date.now() >= deadline) throw new Error(`not within ${timeout} ms: ${expr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('shows routers, links and cam1 under its host; its controller once advertised; a killed peer leaves; no console errors', async () => {
    const station = await startPeer([
      '--id',
      'station',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam1',
      '--node',
      'mic1',
      '--echo',
    ]);
    const relay = await startPeer([
      '--id',
      'relay',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
    ]);
    const studio = await startPeer([
      '--id',
      'studio',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      '--connect',
      relay.addr,
      '--node',
      'lamp1',
    ]);
    const ui = spawnCli([
      'ui',
      '--json',
      '--id',
      'observer',
      '--connect',
      studio.addr,
      '--http',
      '127.0.0.1:0',
    ]);
    const served = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    expect(served.host).toBe('127.0.0.1');
    const viewer = spawnCli(['watch', '--json', '--id', 'viewer', '--connect', relay.addr, 'cam1']);
    await viewer.waitFor((r) => r.type === 'watching', 10_000, 'the viewer to watch cam1');

    const problems: string[] = [];
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => {
      // A poll of /updates in flight when the page closes may fail.
      if (!r.url().includes('/updates')) problems.push(`request failed: ${r.url()}`);
    });
    await page.goto(served.url as string);
    await js(page, 'window.notReloaded = true');

    // Routers and links, as text and in the graph.
    await until(
      page,
      `['station', 'relay', 'studio', 'observer', 'viewer'].every((id) => document.querySelector('#routers li[data-router="' + id + '"]') !== null)`,
      10_000,
    );
    await until(page, `document.querySelectorAll('#links li[data-link]').length >= 5`, 10_000);
    expect(await texts(page, '#links li:not(.down) .lname')).toEqual([
      'observer — studio',
      'relay — station',
      'relay — studio',
      'relay — viewer',
      'station — studio',
    ]);
    const graph = await js<Record<string, unknown>>(
      page,
      `(() => {
      const cy = window.ctpUi.cy;
      return {
        routers: cy.nodes('.router').map((n) => n.id()).sort(),
        devices: cy.nodes('.device').map((n) => n.id() + ' at ' + n.data('host')).sort(),
        hosts: cy.edges('.hosts').map((e) => e.data('source') + ' -> ' + e.data('target')).sort(),
        links: cy.edges('.link').length,
      };
    })()`,
    );
    // The viewer and the console are routers too (every CLI process runs one).
    expect(graph.routers).toEqual(['r:observer', 'r:relay', 'r:station', 'r:studio', 'r:viewer']);
    expect(graph.devices).toEqual(['n:cam1 at station', 'n:lamp1 at studio', 'n:mic1 at station']);
    expect(graph.hosts).toEqual([
      'r:station -> n:cam1',
      'r:station -> n:mic1',
      'r:studio -> n:lamp1',
    ]);
    expect(graph.links).toBe(5);
    expect(await row(page, 'cam1')).toEqual({
      node: 'cam1',
      host: 'station',
      via: 'studio',
      controller: '—',
      monitors: 'viewer',
    });
    expect(await texts(page, '#routers li[data-router="station"] .hosted')).toEqual([
      ' hosts cam1, mic1',
    ]);

    // A controller appears within a second, without a reload.
    const consoleProc: Proc = spawnCli([
      'call',
      '--json',
      '--id',
      'console',
      '--connect',
      studio.addr,
      'register',
      'cam1',
      'controller',
      '--hold',
    ]);
    const result = await consoleProc.waitFor(
      (r) => r.type === 'result',
      10_000,
      'the register result',
    );
    expect(result.code).toBe('SUCCESS');
    // The console's advert that lists its registration leaves at most 2 × minAdvertIntervalMs
    // (1 s by default) after its previous one; the register itself is answered on its claim.
    await until(
      page,
      `document.querySelector('#node-table tbody tr[data-node="cam1"] td.controller')?.textContent === 'console'`,
      3000,
    );
    await until(
      page,
      `[...document.querySelectorAll('#feed[role="log"] li')].some((li) => li.textContent.includes('registered console controller of cam1'))`,
      1000,
    );
    expect(
      await js(
        page,
        `window.ctpUi.cy.edges('.controller').map((e) => e.data('source') + ' -> ' + e.data('target'))`,
      ),
    ).toEqual(['n:cam1 -> r:console']);

    // Search filters the table.
    await page.fill('#search', 'lamp');
    expect(
      await js(
        page,
        `[...document.querySelectorAll('#node-table tbody tr')].filter((r) => !r.hidden).map((r) => r.dataset.node)`,
      ),
    ).toEqual(['lamp1']);
    await page.fill('#search', '');

    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.waitForTimeout(300); // let the layout settle for the picture
    await page.screenshot({ path: join(ROOT, 'docs/ui.png'), fullPage: true });

    // Killing a peer: it leaves the routers and the graph, its links go, it is shown apart.
    await relay.proc.stop('SIGKILL');
    await until(
      page,
      `document.querySelector('#routers li[data-router="relay"]') === null`,
      10_000,
    );
    expect(await texts(page, '#links li:not(.down) .lname')).toEqual([
      'console — studio',
      'observer — studio',
      'station — studio',
    ]);
    expect(await js(page, `window.ctpUi.cy.nodes('.router').map((n) => n.id()).sort()`)).toEqual([
      'r:console',
      'r:observer',
      'r:station',
      'r:studio',
    ]);
    // Unreachable adverts are shown apart (the viewer was linked through the relay only).
    expect(await texts(page, '#unreachable li .rid')).toEqual(['relay', 'viewer']);
    expect(
      await js(page, `window.ctpUi.cy.nodes('.unreachable').map((n) => n.id()).sort()`),
    ).toEqual(['u:relay', 'u:viewer']);
    expect((await row(page, 'cam1'))?.monitors).toBe('—');
    expect(await js(page, 'window.notReloaded')).toBe(true);

    // A hostile node name is shown as text, never run as markup.
    const evil = '<img src=x onerror="window.pwned=1">';
    await startPeer([
      '--id',
      'odd',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      studio.addr,
      '--node',
      evil,
    ]);
    await until(
      page,
      `[...document.querySelectorAll('#node-table tbody tr')].some((r) => r.dataset.node === ${JSON.stringify(evil)})`,
      10_000,
    );
    expect(await row(page, evil)).toMatchObject({ node: evil, host: 'odd' });
    expect(
      await js(page, `document.querySelectorAll('img').length + ':' + String(window.pwned)`),
    ).toBe('0:undefined');
    expect(
      await js(
        page,
        `window.ctpUi.cy.getElementById('n:' + ${JSON.stringify(evil)}).data('label')`,
      ),
    ).toBe(evil);
    await page.close();
    expect(problems).toEqual([]);
  }, 90_000);
  it('health columns after known traffic through the ui; positions stay when a node is added; search filters graph and feed', async () => {
    const station = await startPeer([
      '--id',
      'hstation',
      '--listen',
      '127.0.0.1:0',
      '--node',
      'cam7',
      '--echo',
    ]);
    // The ui relays between the station and the consoles, so their traffic crosses its router.
    const ui = spawnCli([
      'ui',
      '--json',
      '--id',
      'hobserver',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      '--http',
      '127.0.0.1:0',
    ]);
    const served = await ui.waitFor((r) => r.type === 'http', 10_000, 'the ui to serve');
    await ui.waitFor(
      (r) => r.type === 'feed' && r.text === 'node +cam7 at hstation',
      10_000,
      'cam7',
    );
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(served.url as string);
    await until(
      page,
      `document.querySelector('#node-table tr[data-node="cam7"]') !== null`,
      10_000,
    );

    // Known traffic: hconsole registers cam7 and sends 3 commands (the station echoes each as an event).
    const hconsole = spawnCli([
      'call',
      '--json',
      '--id',
      'hconsole',
      '--connect',
      served.listen as string,
      'register',
      'cam7',
      'controller',
      '--',
      'command',
      'cam7',
      'pan',
      '1',
      '--',
      'command',
      'cam7',
      'pan',
      '2',
      '--',
      'command',
      'cam7',
      'tilt',
      '3',
      '--hold',
    ]);
    for (let i = 0; i < 4; i++)
      await hconsole.waitFor(
        (r) =>
          r.type === 'result' && hconsole.records.filter((x) => x.type === 'result').length > i,
        10_000,
        `result ${i + 1}`,
      );
    expect(hconsole.records.filter((r) => r.type === 'result').map((r) => r.code)).toEqual([
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
    ]);
    // A second console asks for control too: refused by the station, an error.
    const late = await runCliNoWait([
      'call',
      '--json',
      '--id',
      'hlate',
      '--connect',
      served.listen as string,
      'register',
      'cam7',
      'controller',
    ]);
    expect(late).not.toBe('SUCCESS');
    // A raw client sends a frame of an unknown type: the observer drops it.
    await new Promise<void>((resolve, reject) => {
      const port = Number(String(served.listen).split(':')[1]);
      const s = connect(port, '127.0.0.1', () => {
        s.write('{"v":1,"t":"NOPE","node":"x"}\n');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 200);
      });
      s.on('error', reject);
    });

    const cell = (node: string, cls: string): Promise<string> =>
      js(
        page,
        `document.querySelector('#node-table tr[data-node="${node}"] td.${cls}')?.textContent`,
      );
    const health = (id: string, cls: string): Promise<string | undefined> =>
      js(
        page,
        `document.querySelector('#health-table tr[data-router="${id}"] td.${cls}')?.textContent`,
      );
    await until(
      page,
      `document.querySelector('#node-table tr[data-node="cam7"] td.last-request')?.textContent.startsWith('REGISTER by hlate → ')`,
      10_000,
    );
    // The controller shows once hconsole's advert lists its virtual node: a registration is
    // answered on its claim, before that (paced) advert arrives (docs/PROTOCOL.md section 5).
    await until(
      page,
      `document.querySelector('#node-table tr[data-node="cam7"] td.controller')?.textContent === 'hconsole'`,
      10_000,
    );
    expect(await cell('cam7', 'since')).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await cell('cam7', 'last-request')).toMatch(
      /^REGISTER by hlate → (REJECTED|ALREADY_ASSIGNED|[A-Z_]+) at \d\d:\d\d:\d\d$/,
    );
    expect(await cell('cam7', 'last-request')).not.toContain('SUCCESS');
    expect(await cell('cam7', 'last-event')).toMatch(/^\d\d:\d\d:\d\d$/);
    // Rates over the last 5 s: hconsole made 4 requests, hlate 1; the station answered one error;
    // the observer dropped one unknown-type frame.
    await until(
      page,
      `document.querySelector('#health-table tr[data-router="hobserver"] td.drops')?.textContent.includes('unknown-type')`,
      10_000,
    );
    expect(Number(await health('hconsole', 'requests'))).toBeGreaterThan(0);
    expect(Number(await health('hlate', 'requests'))).toBeGreaterThan(0);
    expect(Number(await health('hstation', 'errors'))).toBeGreaterThan(0);
    expect(Number(await health('hconsole', 'errors'))).toBe(0);
    expect(await health('hobserver', 'drops')).toMatch(/^unknown-type \d+\.\d\d$/);
    // Its own links: heard within the heartbeat (5 s by default), with their history.
    const heard = await js<string | null>(
      page,
      `document.querySelector('#links li[data-link="hobserver hstation"]')?.getAttribute('data-heard-ms')`,
    );
    expect(Number(heard)).toBeLessThanOrEqual(10_000);
    expect(
      await js(
        page,
        `document.querySelector('#links li[data-link="hobserver hstation"] .link-health').textContent`,
      ),
    ).toMatch(/up since \d\d:\d\d:\d\d · heard \d+ s ago · ▲\d\d:\d\d:\d\d/);

    // Positions stay put when the topology changes: a new router with a node joins.
    const before = await js<Record<string, { x: number; y: number }>>(
      page,
      `Object.fromEntries(window.ctpUi.cy.nodes().map((n) => [n.id(), n.position()]))`,
    );
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining(['n:cam7', 'r:hconsole', 'r:hobserver', 'r:hstation']),
    );
    await startPeer([
      '--id',
      'hextra',
      '--listen',
      '127.0.0.1:0',
      '--connect',
      station.addr,
      '--node',
      'lamp7',
    ]);
    await until(page, `window.ctpUi.cy.getElementById('n:lamp7').length === 1`, 10_000);
    const after = await js<Record<string, { x: number; y: number }>>(
      page,
      `Object.fromEntries(window.ctpUi.cy.nodes().map((n) => [n.id(), n.position()]))`,
    );
    for (const [id, p] of Object.entries(before)) {
      expect([id, Math.round(after[id]?.x ?? NaN)]).toEqual([id, Math.round(p.x)]);
      expect([id, Math.round(after[id]?.y ?? NaN)]).toEqual([id, Math.round(p.y)]);
    }
    // Labels do not overlap: no two node label boxes intersect.
    const overlaps = await js<string[]>(
      page,
      `(() => {
      const boxes = window.ctpUi.cy.nodes().map((n) => [n.id(), n.boundingBox({ includeLabels: true, includeOverlays: false })]);
      const out = [];
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const [a, p] = boxes[i], [b, q] = boxes[j];
        if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) out.push(a + ' / ' + b);
      }
      return out;
    })()`,
    );
    expect(overlaps).toEqual([]);

    // Search filters the graph and the feed too.
    await page.fill('#search', 'lamp7');
    // The page may be redrawing a pushed view as the search is typed: wait for the filter to apply.
    await until(
      page,
      `window.ctpUi.cy.nodes('.device').filter((n) => n.visible()).length === 1`,
      5_000,
    );
    expect(
      await js(
        page,
        `window.ctpUi.cy.nodes('.device').filter((n) => n.visible()).map((n) => n.id())`,
      ),
    ).toEqual(['n:lamp7']);
    expect(
      await js(
        page,
        `window.ctpUi.cy.nodes('.router').filter((n) => !n.hasClass('dim')).map((n) => n.id())`,
      ),
    ).toEqual(['r:hextra']);
    const feed = await js<string[]>(
      page,
      `[...document.querySelectorAll('#feed li')].filter((li) => !li.hidden).map((li) => li.textContent)`,
    );
    expect(feed.length).toBeGreaterThan(0);
    for (const line of feed) expect(line).toContain('lamp7');
    expect(
      await js(page, `[...document.querySelectorAll('#feed li')].filter((li) => li.hidden).length`),
    ).toBeGreaterThan(0);
    await page.fill('#search', '');
    // As above: cleared, every device shows again once the page has applied it.
    await until(
      page,
      `window.ctpUi.cy.nodes('.device').filter((n) => !n.visible()).length === 0`,
      5_000,
    );
    await page.close();
    expect(problems).toEqual([]);
    await hconsole.stop('SIGTERM');
    expect(await ui.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 90_000);
});
