/**
 * The dashboard in a real browser: Playwright (playwright-core) driving Debian's Chromium
 * (/usr/bin/chromium, or $COKNIGHT_CHROMIUM; .ci/run installs it with apt when missing). A short real
 * distributed run (learner + 2 actor processes on loopback, split points 1 and 0): the page's curve
 * gains points and its actor table lists every actor with its split point; then the finished run's
 * directory through `coknight dashboard`'s server, which the page survives being restarted.
 * Screenshots go to test-output/dashboard/. Skipped, saying so, when Chromium is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { validateConfig } from '../src/config/load.js';
import { serveRunDashboard } from '../src/run/dashboard/serve.js';
import { runDistributed } from '../src/run/distributed.js';
import type { LearnerService } from '../src/run/learner-service.js';

const CHROMIUM = process.env.COKNIGHT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard.browser.test: SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set COKNIGHT_CHROMIUM)`);
const OUT = join(__dirname, '..', 'test-output', 'dashboard');

let browser: Browser;
let runDir = '';

async function points(page: Page): Promise<number> {
  return Number(await page.locator('#curve-frames').getAttribute('data-points'));
}

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!haveChromium)('dashboard in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    await initBackend({ log: () => {} });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('a live distributed run: the curve gains points, every actor is listed with its split point', async () => {
    const config = validateConfig(
      {
        frames: 1e7,
        seed: 5,
        mode: 'coknight',
        env: { id: 'minatar/breakout' },
        hyper: { unrollLength: 5, batchSize: 4, learningRate: 0.005 },
        distributed: { actors: 2, envsPerActor: 2, maxWaitMs: 2, metricsListen: '127.0.0.1:0', token: 'browser-token', splitPoints: [1, 0] },
        run: { dir: mkdtempSync(join(tmpdir(), 'ck-dash-live-')), progress: 'none', checkpointEverySeconds: 1000, logEverySeconds: 1 },
      },
      'test',
    );
    const stop = new AbortController();
    const safety = setTimeout(() => stop.abort(), 50_000);
    let checks: Promise<{ first: number; later: number; rows: string[][] }> | undefined;
    const onListening = (svc: LearnerService) => {
      checks = (async () => {
        try {
          const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(`http://${svc.metricsAddress}/dashboard/`);
          await until('the first episodes on the page', async () => (await points(page)) > 0);
          const first = await points(page);
          await until('the curve to gain points', async () => (await points(page)) > first);
          await until('both actors in the table', async () => (await page.locator('#actors tbody tr').count()) === 2);
          await until('an up rate for the actors', async () => !(await page.locator('#actors tbody').innerText()).includes('–\t–'));
          const later = await points(page);
          const rows = await page
            .locator('#actors tbody tr')
            .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
          await page.screenshot({ path: join(OUT, 'live.png'), fullPage: true });
          expect(errors).toEqual([]);
          await page.close();
          return { first, later, rows };
        } finally {
          stop.abort();
        }
      })();
    };
    const summary = await runDistributed(config, { spawnActors: 2, log: () => {}, onListening, stop: stop.signal });
    clearTimeout(safety);
    const seen = await checks!;
    runDir = String(summary.runDir);
    expect(seen.later).toBeGreaterThan(seen.first);
    const byId = Object.fromEntries(seen.rows.map((r) => [r[0], r]));
    expect(Object.keys(byId).sort()).toEqual(['a0', 'a1']);
    expect(byId.a0[3]).toMatch(/^1 \/ \d+$/);
    expect(byId.a1[3]).toMatch(/^0 \/ \d+$/);
    expect(byId.a0[1]).toBe('connected');
    expect(existsSync(join(OUT, 'live.png'))).toBe(true);
  });

  it('a finished run directory (coknight dashboard), surviving a server restart', async () => {
    expect(runDir).not.toBe('');
    const episodes = readFileSync(join(runDir, 'episodes.jsonl'), 'utf8').trim().split('\n').length;
    let served = await serveRunDashboard(runDir);
    const port = new URL(served.url).port;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    try {
      await page.goto(served.url);
      await until('the finished run', async () => (await page.locator('#conn').innerText()) === 'finished run');
      expect(await points(page)).toBe(episodes);
      const splits = await page.locator('#actors tbody td.split').allInnerTexts();
      expect(splits.map((s) => s.split(' ')[0]).sort()).toEqual(['0', '1']);
      expect(await page.locator('#events li').count()).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: join(OUT, 'finished.png'), fullPage: true });
      // The server goes away (a learner restart) and comes back on the same port: the page reconnects.
      await served.close();
      await until('the page to notice', async () => (await page.locator('#conn').innerText()).includes('server stopped'));
      served = await serveRunDashboard(runDir, `127.0.0.1:${port}`);
      await until('the page to reconnect', async () => (await page.locator('#conn').innerText()) === 'finished run');
      expect(await points(page)).toBe(episodes);
    } finally {
      await page.close();
      await served.close();
    }
  });
});
