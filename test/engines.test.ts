/**
 * Cross-engine reproducibility: the golden workload (test/golden/workload.ts), run from the built
 * package, must give the golden digests in Node and Node's digests for every backend and thread count in Deno, Bun, Chromium and Firefox ESR, the
 * browsers both cross-origin isolated (SharedArrayBuffer, WASM worker threads) and not (one
 * thread). Node runs in this process and is the reference; a missing engine is a reported skip.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as vb from 'verbatim';
import { bundlePage, runChromium, runFirefox, servePage, type Served } from './engines/browsers.js';
import type { PageReport } from './engines/page.js';
import { runEngine, type EngineReport } from './engines/runner.js';
import { goldenDigests } from './golden/workload.js';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/test/engines/cli.js');
const PAGE = join(REPO_ROOT, 'dist/test/engines/page.js');
const DENO = join(REPO_ROOT, 'node_modules/.bin/deno');
const BUN = join(REPO_ROOT, 'node_modules/.bin/bun');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find(existsSync);
const ENGINE_MS = 120_000;

function missing(binary: string | undefined, name: string, hint: string): string | false {
  return binary && existsSync(binary) ? false : `${name} not found (${hint})`;
}

/** Every (backend, threads) of the report must exist in Node's and have its exact digests. */
function assertMatchesNode(report: EngineReport, node: EngineReport, label: string): void {
  const problems: string[] = [];
  for (const run of report.results) {
    const reference = node.results.find((r) => r.backend === run.backend && r.threads === run.threads);
    if (!reference) {
      problems.push(`${label} ${run.backend} threads=${run.threads}: Node has no such run`);
      continue;
    }
    for (const name of new Set([...Object.keys(reference.digests), ...Object.keys(run.digests)])) {
      if (run.digests[name] !== reference.digests[name]) {
        problems.push(`${label} ${run.backend} threads=${run.threads} (ran on ${run.actualThreads}) ${name}: ${label} ${run.digests[name]} != node ${reference.digests[name]}`);
      }
    }
  }
  assert.deepEqual(problems, [], `${label} differs from Node:\n${problems.join('\n')}`);
  assert.deepEqual([...new Set(report.results.map((r) => r.backend))], vb.backendNames(), `${label} ran every backend`);
  if (report.shared) assert.equal(report.lateWakeUp, LATE_WAKE_UP, `${label}: a late wake-up made a worker run a job again`);
}

/** The weights of runner.ts's lateWakeUp: each SGD update applied once, on 3 threads. */
const LATE_WAKE_UP = '0.875 0.75 0.625 on 3 threads';

function threadsOf(report: EngineReport, backend: string): [number, number][] {
  return report.results.filter((r) => r.backend === backend).map((r) => [r.threads, r.actualThreads]);
}

/** Runs the CLI runner under another engine; its stdout is one line of JSON. */
function runProcess(command: string, args: string[], env: Record<string, string>): Promise<EngineReport> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: REPO_ROOT, timeout: ENGINE_MS, killSignal: 'SIGKILL', env: { ...process.env, ...env }, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as EngineReport);
    });
  });
}

describe('the same digests on every engine', () => {
  let node: EngineReport;
  before(async () => { node = await runEngine(vb, 'node', goldenDigests); });

  it('node: every backend and thread count gives the golden digests, with real threads', () => {
    const golden = (JSON.parse(readFileSync(join(REPO_ROOT, 'test/golden/digests.json'), 'utf8')) as { workload: Record<string, string> }).workload;
    for (const run of node.results) {
      const changed = Object.keys({ ...golden, ...run.digests }).filter((k) => run.digests[k] !== golden[k]);
      assert.deepEqual(changed, [], `node ${run.backend} threads=${run.threads} differs from test/golden/digests.json`);
    }
    assert.deepEqual(threadsOf(node, 'wasm'), [[1, 1], [2, 2], [3, 3]]);
    assert.equal(node.lateWakeUp, LATE_WAKE_UP, 'node: a late wake-up made a worker run a job again');
  });

  it('deno', { skip: missing(DENO, 'deno', `${DENO}: npm install provides it`) }, async () => {
    const deno = await runProcess(DENO, ['run', '--no-prompt', '--allow-read', '--allow-env', CLI, 'deno'], { DENO_NO_UPDATE_CHECK: '1' });
    assertMatchesNode(deno, node, 'deno');
    assert.deepEqual(threadsOf(deno, 'wasm'), [[1, 1], [2, 2], [3, 3]], 'deno runs WASM kernels on worker threads');
  });

  it('bun', { skip: missing(BUN, 'bun', `${BUN}: npm install provides it`) }, async () => {
    const bun = await runProcess(BUN, [CLI, 'bun'], { DO_NOT_TRACK: '1' });
    assertMatchesNode(bun, node, 'bun');
    assert.deepEqual(threadsOf(bun, 'wasm'), [[1, 1], [2, 2], [3, 3]], 'bun runs WASM kernels on worker threads');
  });

  describe('browsers (the page bundled by esbuild)', () => {
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'verbatim-page-'));
      await bundlePage(PAGE, dir);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const browsers = [
      { name: 'chromium', binary: CHROMIUM, hint: '/usr/bin/chromium; .ci/run installs Debian\'s chromium', run: runChromium },
      { name: 'firefox', binary: FIREFOX, hint: '/usr/bin/firefox-esr; .ci/run installs Debian\'s firefox-esr', run: runFirefox },
    ];
    for (const browser of browsers) {
      for (const isolated of [true, false]) {
        const label = `${browser.name} ${isolated ? 'isolated' : 'not isolated'}`;
        it(label, { skip: missing(browser.binary, browser.name, browser.hint) }, async (t) => {
          let served: Served | undefined;
          let posted: unknown;
          try {
            served = await servePage(dir, isolated);
            posted = await browser.run(browser.binary!, served, ENGINE_MS, (line) => t.diagnostic(line));
          } finally {
            await served?.close();
          }
          const report = posted as PageReport | { error: string };
          if ('error' in report) assert.fail(`${label}: the page failed: ${report.error}`);
          assert.equal(report.crossOriginIsolated, isolated, `${label}: crossOriginIsolated`);
          assertMatchesNode(report, node, label);
          if (isolated) {
            // Ready workers, then jobs that only finish when every worker has done its part.
            assert.deepEqual(threadsOf(report, 'wasm'), [[1, 1], [2, 2], [3, 3]], `${label}: WASM on worker threads`);
            assert.ok(report.workersStarted >= 3, `${label}: workers started: ${report.workersStarted}`);
            // In a Worker too: Chromium starts a Worker's own workers only once it returns to its
            // event loop, so a pool that waited for them there blocked and stayed on one thread.
            const inWorker = report.inWorker!;
            if ('error' in inWorker) assert.fail(`${label}: the runner in a Worker failed: ${inWorker.error}`);
            assertMatchesNode(inWorker, node, `${label} in a Worker`);
            assert.deepEqual(threadsOf(inWorker, 'wasm'), [[1, 1], [2, 2], [3, 3]], `${label} in a Worker: WASM on worker threads`);
          } else {
            assert.deepEqual(threadsOf(report, 'wasm'), [[1, 1], [2, 1]], `${label}: WASM falls back to one thread`);
            assert.equal(report.workersStarted, 0, `${label}: no workers without SharedArrayBuffer`);
          }
        });
      }
    }
  });
});
