/**
 * The HTML report in a real browser: headless Chromium (Debian's, driven by playwright-core)
 * must draw the plots; a screenshot is kept in test-output/. Without a browser this is an
 * explicit, reported skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const WORK = join(REPO_ROOT, 'test-output', 'report');
const STORE = join(WORK, 'store');

describe('HTML report in headless Chromium', () => {
  it('draws every curve and distribution', { skip: CHROMIUM ? false : 'no Chromium at /usr/bin/chromium (.ci/run installs Debian\'s chromium)' }, async () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    const env = { ...process.env, VERBATIM_STORE: STORE };
    const cli = join(REPO_ROOT, 'dist/src/cli/main.js');
    const run = spawnSync(process.execPath, [cli, 'run', join(REPO_ROOT, 'examples/modern-tutorial.ts'), '--seeds', '1,2,3', '--name', 'report'], { cwd: WORK, env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const html = join(WORK, 'report.html');
    const report = spawnSync(process.execPath, [cli, 'report', '--name', 'report', '--out', html], { cwd: WORK, env, encoding: 'utf8' });
    assert.equal(report.status, 0, report.stderr);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(`file://${html}`);
      const drawn = await page.evaluate(() => ({
        plots: document.querySelectorAll('svg.plot').length,
        curves: [...document.querySelectorAll('polyline.curve')].filter((p) => (p as SVGPolylineElement).getTotalLength() > 10).length,
        dots: document.querySelectorAll('svg.strip circle.dot').length,
        boxes: [...document.querySelectorAll('svg.strip rect.box')].filter((r) => (r as SVGRectElement).getBBox().width > 0).length,
        statsRows: document.querySelectorAll('table')[0]?.querySelectorAll('tbody tr').length ?? 0,
        notes: document.querySelector('.notes')?.textContent ?? '',
      }));
      assert.equal(drawn.plots, 4, 'loss and accuracy curves, and their final distributions');
      assert.equal(drawn.curves, 6, 'three runs times two metrics, each a drawn line');
      assert.equal(drawn.dots, 6);
      assert.equal(drawn.boxes, 2);
      assert.equal(drawn.statsRows, 2);
      assert.match(drawn.notes, /No two runs share a seed/);
      assert.deepEqual(requests, [], 'the report loads nothing from the network');
      const screenshot = join(WORK, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      assert.ok(statSync(screenshot).size > 10000);
      console.log(`screenshot: ${screenshot}`);
    } finally {
      await browser.close();
    }
  });
});
