/**
 * Runs a workload on every registered backend at 1, 2 and (where threads exist) 3 threads and
 * reports the digests with the thread count each run really had. The same function runs in
 * Node, Deno, Bun and the browser page; it touches no engine-specific API.
 */
import type * as Verbatim from 'verbatim';
import { setParallelWork } from '../../src/backends/wasm/backend.js';
import { CONTROL } from '../../src/backends/wasm/kernel-names.js';
import { ENGINE } from '../../src/engine/engine.js';

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
  /**
   * Where WASM has worker threads: the weights after each of three in-place SGD updates on 3
   * threads, each followed by a stray wake-up of the workers (lateWakeUp).
   */
  lateWakeUp?: string;
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
  // Last: its variable would shift the automatic names (and so the keys) of later workloads.
  return { engine, shared, results, ...(shared && vb.backendNames().includes('wasm') ? { lateWakeUp: await lateWakeUp(vb) } : {}) };
}

/**
 * A wake-up that reaches the workers after they served a job (the main thread paused between
 * publishing the job and notifying it) must not make them run it again: here one follows each
 * of three SGD updates of ones by 0.5 * 0.25, and the weights must read 0.875, 0.75, 0.625. A
 * worker that ran the in-place update again would leave its part a step ahead.
 */
async function lateWakeUp(vb: typeof Verbatim): Promise<string> {
  vb.setBackend('wasm');
  vb.setNumThreads(3);
  await threadsReady(vb, 3);
  setParallelWork(16);
  const ctrl = (ENGINE.backend as unknown as { pool: { ctrl: Int32Array } }).pool.ctrl;
  const w = vb.variable(vb.ones([3000]), true, 'late_wake_up');
  const optimizer = vb.optimizers.sgd({ learningRate: 0.5 });
  const seen: string[] = [];
  for (let step = 0; step < 3; step++) {
    const gradient = vb.fill([3000], 0.25);
    optimizer.applyGradients({ late_wake_up: gradient });
    gradient.dispose();
    Atomics.notify(ctrl, CONTROL.sequence);
    // The clock only gives the workers time to act on the wake-up; no number depends on it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen.push([...new Set(w.dataSync())].join('/'));
  }
  setParallelWork();
  optimizer.dispose();
  w.dispose();
  return `${seen.join(' ')} on ${vb.getNumThreads()} threads`;
}
