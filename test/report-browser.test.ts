/**
 * The HTML report in a real browser: headless Chromium (Debian's, driven by playwright-core)
 * must show the Vega-Lite charts (pre-rendered SVG without scripts, live views with hover and
 * zoom with them), one panel per fit, the distributions with their points, the same-seed
 * divergence with its diff, and the environment once; a screenshot is kept in
 * test-output/report/. Without a browser this is an explicit, reported skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const WORK = join(REPO_ROOT, 'test-output', 'report');
const STORE = join(WORK, 'store');

// Two fits per run and a custom value; with --noisy the data comes from Math.random, so runs of
// one seed differ.
const SCRIPT = `import * as vb from 'verbatim';
const noisy = process.argv.includes('--noisy');
const xs = Array.from({ length: 16 }, (_, i) => (noisy ? Math.random() : i / 16));
const x = vb.tensor2d(xs, [16, 1]);
const y = vb.tensor2d(xs.map((v) => 2 * v + 1), [16, 1]);
for (let fit = 0; fit < 2; fit++) {
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputDim: 1, activation: 'relu' }), vb.layers.dense({ units: 1 })] });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 12, batchSize: 8, verbose: 0 });
  vb.runs.log('score', vb.tidy(() => vb.mean(vb.abs(vb.sub(model.predict(x), y))).dataSync()[0]!), { step: fit });
}
`;

describe('HTML report in headless Chromium', () => {
  it('draws a panel per fit, distributions with points, the same-seed diff and the environment once', { skip: CHROMIUM ? false : 'no Chromium at /usr/bin/chromium (.ci/run installs Debian\'s chromium)' }, async () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    const script = join(WORK, 'two-fits.ts');
    writeFileSync(script, SCRIPT);
    const env = { ...process.env, VERBATIM_STORE: STORE };
    const cli = join(REPO_ROOT, 'dist/src/cli/bin.js');
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [cli, ...args], { cwd: WORK, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.match(run('run', script, '--seeds', '1,2', '--name', 'report'), /score\s+2\s/);
    run('run', script, '--seed', '3', '--repeats', '2', '--name', 'report', '--', '--noisy');
    const html = join(WORK, 'report.html');
    run('report', '--name', 'report', '--out', html);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      // Without scripts: the pre-rendered SVG charts are there.
      const still = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
      await still.goto(`file://${html}`);
      const staticCharts = await still.evaluate(() => [...document.querySelectorAll('figure.chart .picture > svg')].filter((s) => s.getBoundingClientRect().width > 200 && s.querySelectorAll('path').length > 5).length);
      assert.equal(staticCharts, 4, 'two loss panels and two distributions, as SVG, without running a script');

      const page = await browser.newPage({ viewport: { width: 1300, height: 1200 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${html}`);
      await page.waitForFunction(() => document.querySelectorAll('figure.chart.live').length === document.querySelectorAll('figure.chart').length);
      const drawn = await page.evaluate(() => {
        const axisLabels = (f: Element) => [...f.querySelectorAll('.role-axis-label text')].map((t) => t.textContent ?? '');
        const curves = [...document.querySelectorAll('figure.chart.curve')];
        return {
          curvePanels: curves.map((f) => `${(f as HTMLElement).dataset.metric} ${(f as HTMLElement).dataset.fit}`),
          linesPerPanel: curves.map((f) => [...f.querySelectorAll('.mark-line path')].filter((p) => (p as SVGPathElement).getTotalLength() > 20).length),
          xLabels: axisLabels(curves[0]!),
          distributions: [...document.querySelectorAll('figure.chart.distribution')].map((f) => [(f as HTMLElement).dataset.metric, f.querySelectorAll('.mark-symbol.role-mark path').length]),
          statistics: [...document.querySelectorAll('table.statistics tbody tr')].map((r) => r.firstElementChild?.textContent),
          sameSeed: document.querySelector('ul.same-seed')?.textContent ?? '',
          diffLink: document.querySelector('ul.same-seed a')?.getAttribute('href') ?? '',
          diffText: document.querySelector('section.diff pre')?.textContent ?? '',
          sharedFields: [...document.querySelectorAll('table.environment-shared tbody tr')].map((r) => r.firstElementChild?.textContent),
          differingFields: [...document.querySelectorAll('table.environment-differences thead th')].map((c) => c.textContent),
        };
      });
      assert.deepEqual(errors, []);
      assert.deepEqual(drawn.curvePanels, ['loss 0', 'loss 1'], 'one panel per fit, not the fits concatenated');
      assert.deepEqual(drawn.linesPerPanel, [4, 4], 'each panel: a line per run');
      assert.ok(drawn.xLabels.includes('2') && drawn.xLabels.includes('12'), `epoch ticks up to 12, got ${drawn.xLabels.join(' ')}`);
      assert.deepEqual(drawn.distributions, [['loss', 4], ['score', 4]], 'a distribution for the fit metric and the custom value, a point per run');
      assert.deepEqual(drawn.statistics, ['loss', 'score']);
      // The runs are of two commands (with and without --noisy): the pair is labelled with its own.
      assert.match(drawn.sameSeed, /Seed 3 \(two-fits\.ts --noisy\): \S+ differs from \S+, first divergence at fit 0, epoch 1: weights, loss/);
      assert.match(drawn.diffLink, /^#diff-/);
      assert.ok(await page.locator(drawn.diffLink).count() === 1, 'the link leads to the diff');
      assert.match(drawn.diffText, /data content: fit 0 batches x: [0-9a-f]{16} -> [0-9a-f]{16}; /, 'the diff names the data as different');
      assert.ok(drawn.sharedFields.includes('kernelSha256') && drawn.sharedFields.includes('node'), 'shared environment shown once');
      assert.ok(drawn.differingFields.includes('seed') && !drawn.differingFields.includes('kernelSha256'), `per-run differences only: ${drawn.differingFields.join(', ')}`);

      // The screenshot of the report as it opens, before hovering and zooming.
      const screenshot = join(WORK, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      assert.ok(statSync(screenshot).size > 30000);
      console.log(`screenshot: ${screenshot}`);

      // Hover: the live view's tooltip names the run and the value.
      const point = page.locator('figure.chart.distribution').first().locator('.mark-symbol.role-mark path').first();
      await point.hover({ force: true });
      const tooltip = await page.waitForFunction(() => document.querySelector('figure.chart.distribution .picture [title]')?.getAttribute('title') ?? '', undefined, { timeout: 3000 }).then((h) => h.jsonValue()).catch(() => '');
      assert.match(String(tooltip), /run: seed \d/);
      // Zoom: the wheel over a curve panel changes its x axis.
      const panel = page.locator('figure.chart.curve').first();
      const box = (await panel.locator('svg').first().boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
      await page.mouse.wheel(0, -400);
      await page.waitForTimeout(300);
      const zoomed = await panel.evaluate((f) => [...f.querySelectorAll('.role-axis-label text')].map((t) => t.textContent ?? ''));
      assert.notDeepEqual(zoomed, drawn.xLabels, 'zooming changes the axis ticks');

      assert.deepEqual(requests, [], 'the report loads nothing from the network');
    } finally {
      await browser.close();
    }
  });
});
