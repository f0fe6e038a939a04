/**
 * Runs a workload on every registered backend at 1, 2 and (where threads exist) 3 threads and
 * reports the digests with the thread count each run really had. The same function runs in
 * Node, Deno, Bun and the browser page; it touches no engine-specific API.
 */
import type * as Verbatim from 'verbatim';
import { setParallelWork } from '../../src/backends/wasm/backend.js';

export type Digests = Record<string, string>;
/** What the runner runs: a workload given the library, answering digests by name. */
export type Workload = (vb: typeof Verbatim) => Promise<Digests>;

export interface RunResult {
  backend: string;
  /** Threads asked for with setNumThreads. */
  threads: number;
  /** vb.getNumThreads() while the workload ran (below `threads` where threads are unavailable). */
  actualThreads: number;
  digests: Digests;
}

export interface EngineReport {
  engine: string;
  /** Whether SharedArrayBuffer is usable here (in a page: whether it is cross-origin isolated). */
  shared: boolean;
  results: RunResult[];
}

/** Browser workers start asynchronously: give them this long to report ready. */
const WORKER_START_MS = 10_000;

async function threadsReady(vb: typeof Verbatim, wanted: number): Promise<number> {
  // The clock only bounds the wait; no number the workload computes depends on it.
  const deadline = Date.now() + WORKER_START_MS;
  while (vb.getNumThreads() < wanted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return vb.getNumThreads();
}

export async function runEngine(vb: typeof Verbatim, engine: string, workload: Workload): Promise<EngineReport> {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  const shared = typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
  const results: RunResult[] = [];
  for (const backend of vb.backendNames()) {
    vb.setBackend(backend);
    // Only the WASM backend with shared memory has threads; elsewhere a request runs on one.
    const threaded = backend === 'wasm' && shared;
    for (const threads of threaded ? [1, 2, 3] : [1, 2]) {
      vb.setNumThreads(threads);
      const before = await threadsReady(vb, threaded ? threads : 1);
      // The workloads' tensors are small: a low threshold makes every kernel split across the threads.
      setParallelWork(threads > 1 ? 16 : undefined);
      const digests = await workload(vb);
      setParallelWork();
      // The smaller of the counts before and after: a pool that lost a worker mid-run must show.
      results.push({ backend, threads, actualThreads: Math.min(before, vb.getNumThreads()), digests });
    }
  }
  return { engine, shared, results };
}
