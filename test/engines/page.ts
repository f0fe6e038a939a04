/**
 * The browser page: esbuild bundles this file with the built package, the test's server serves
 * it, and the page POSTs its EngineReport (or the error that stopped it) to /result. Firefox is
 * not driven by a protocol here, so the POST is the only way a result leaves the page.
 */
import * as vb from '../../src/index.js';
import { runEngine, type EngineReport } from './runner.js';
import { goldenDigests } from '../golden/workload.js';

export interface PageReport extends EngineReport {
  crossOriginIsolated: boolean;
  /** Workers the library constructed: evidence that threads came from real workers. */
  workersStarted: number;
}

// Counts the library's workers by wrapping the global it constructs them from (it reads the
// global when the WASM backend is created, after this module's body has run).
let workersStarted = 0;
const NativeWorker = globalThis.Worker;
globalThis.Worker = class extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    workersStarted++;
  }
};

async function post(body: unknown): Promise<void> {
  await fetch('/result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const engine = navigator.userAgent.includes('Firefox/') ? 'firefox' : 'chromium';
try {
  const report = await runEngine(vb, engine, goldenDigests);
  await post({ ...report, crossOriginIsolated, workersStarted } satisfies PageReport);
} catch (error) {
  await post({ error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
}
