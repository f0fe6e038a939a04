/**
 * The browser page: esbuild bundles this file with the built package, the test's server serves
 * it, and the page POSTs its EngineReport (or the error that stopped it) to /result. Firefox is
 * not driven by a protocol here, so the POST is the only way a result leaves the page. An isolated
 * page also runs the runner in a Worker of its own, started from this script.
 */
import * as vb from '../../src/index.js';
import { runEngine, type EngineReport } from './runner.js';
import { goldenDigests } from '../golden/workload.js';

export interface PageReport extends EngineReport {
  crossOriginIsolated: boolean;
  /** Workers the library constructed: evidence that threads came from real workers. */
  workersStarted: number;
  /** The same runner in a Worker of the isolated page (applications often train off the page's thread). */
  inWorker?: EngineReport | { error: string };
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
const message = (error: unknown) => (error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error));

/** The runner in a Worker started from this same script (the bundle's URL, /page.js). */
function runInWorker(): Promise<EngineReport | { error: string }> {
  return new Promise((resolve) => {
    const worker = new NativeWorker('/page.js', { type: 'module' });
    worker.onmessage = (event: MessageEvent<EngineReport | { error: string }>) => {
      resolve(event.data);
      worker.terminate();
    };
    worker.onerror = (event) => resolve({ error: `the Worker failed: ${event.message}` });
  });
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') {
  runEngine(vb, `${engine} worker`, goldenDigests).then((report) => postMessage(report), (error: unknown) => postMessage({ error: message(error) }));
} else {
  try {
    const report = await runEngine(vb, engine, goldenDigests);
    const inWorker = crossOriginIsolated ? await runInWorker() : undefined;
    await post({ ...report, crossOriginIsolated, workersStarted, inWorker } satisfies PageReport);
  } catch (error) {
    await post({ error: message(error) });
  }
}
