/**
 * A pool of kernel workers sharing the backend's WebAssembly.Memory. A job is one kernel over a
 * range of independent outputs (elements, rows, output tiles), split into one contiguous part
 * per thread; the main thread runs part 0. Splitting never changes a result, because no output
 * is computed by two threads and each output's arithmetic does not depend on its neighbours.
 */
import { CONTROL, KERNEL_NAMES, READY_TAG_MASK, type KernelName } from './kernel-names.js';
import { WORKER_SOURCE } from './worker-source.generated.js';

type NodeWorker = { unref(): void; terminate(): Promise<number>; on(event: 'error', listener: (error: Error) => void): void };
type NodeWorkerThreads = { Worker: new (url: URL, options: { workerData: unknown; execArgv: string[] }) => NodeWorker };
type BrowserWorker = { postMessage(m: unknown): void; terminate(): void; addEventListener(type: 'error', listener: () => void): void };

interface Platform {
  spawn(init: { module: WebAssembly.Module; memory: WebAssembly.Memory; control: number; index: number; generation: number }): { terminate(): void };
  /** Whether this thread may block in Atomics.wait (not a browser's main thread). */
  canBlock: boolean;
  /**
   * Whether a worker starts while the thread that created it blocks: Node's do; Chromium starts a
   * worker created in a Worker only once that Worker returns to its event loop, so waiting for it
   * there would block 10 s and leave the pool on one thread.
   */
  startsWhileBlocked: boolean;
  cores: number;
}

// Workers start from the worker's source text (generated from worker.ts at build time), never
// from `new URL('./worker.js', import.meta.url)`: a bundler leaves that URL pointing at a file
// the bundle does not contain, and the pool would silently stay on one thread.
let blobUrl: string | undefined;
function browserWorkerUrl(): string {
  // A Blob URL has the page's origin, so the worker may share the page's memory; a data: URL
  // would give it an opaque origin, which browsers do not let share a SharedArrayBuffer.
  blobUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  return blobUrl;
}
// Node's worker_threads load a data: URL as an ES module (they do not take Blob URLs).
const NODE_WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);

function detectPlatform(): Platform | undefined {
  const processLike = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  const workerThreads = processLike?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
  if (workerThreads) {
    const os = processLike!.getBuiltinModule!('node:os') as { availableParallelism(): number };
    return {
      spawn(init) {
        // Not the parent's flags: e.g. --input-type is an error for a worker started from a file.
        const worker = new workerThreads.Worker(NODE_WORKER_URL, { workerData: init, execArgv: [] });
        worker.unref();
        // A worker that fails to start (e.g. out of memory) must not end the process: unheard, its
        // error would be thrown here; resize then finds it not ready and runs on one thread.
        worker.on('error', (error) => console.warn(`verbatim: a kernel worker failed to start (${error.message})`));
        return { terminate: () => void worker.terminate() };
      },
      canBlock: true,
      startsWhileBlocked: true,
      cores: os.availableParallelism(),
    };
  }
  const WebWorker = (globalThis as { Worker?: new (url: string, options: { type: 'module' }) => BrowserWorker }).Worker;
  if (!WebWorker) return undefined;
  return {
    spawn(init) {
      const worker = new WebWorker(browserWorkerUrl(), { type: 'module' });
      // A worker that cannot start (e.g. a Content-Security-Policy without blob:) leaves the pool
      // on one thread with the same results; say so instead of staying silent.
      worker.addEventListener('error', () => console.warn('verbatim: a kernel worker failed to start; running on fewer threads'));
      worker.postMessage(init);
      return worker;
    },
    canBlock: typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined',
    startsWhileBlocked: false,
    cores: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
  };
}

/** How many times the main thread checks a worker's progress before it sleeps on it. */
const SPIN_CHECKS = 20_000;

export class ThreadPool {
  private readonly platform = detectPlatform();
  private workers: { terminate(): void }[] = [];
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly kernels: ((...args: number[]) => void)[];

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    instance: WebAssembly.Instance,
  ) {
    this.ctrl = new Int32Array(memory.buffer, control, CONTROL.bytes / 4);
    this.args = new Float64Array(memory.buffer, control + CONTROL.argsByte, CONTROL.maxArgs);
    this.kernels = KERNEL_NAMES.map((name) => instance.exports[name] as (...args: number[]) => void);
  }

  /** The number of cores, as the platform reports it. */
  get cores(): number {
    return this.platform?.cores ?? 1;
  }

  /**
   * Threads that take part in jobs: the main thread plus the workers, once all of them are
   * ready (in a browser they start asynchronously; until then jobs run on this thread alone).
   */
  get threads(): number {
    return this.readyWorkers() >= this.workers.length ? 1 + this.workers.length : 1;
  }

  /** Resizes the pool to `threads` threads in all (the main thread included). */
  resize(threads: number): void {
    if (!this.platform || threads - 1 === this.workers.length) return;
    this.stop();
    const wanted = Math.min(threads, CONTROL.maxThreads) - 1;
    for (let index = 1; index <= wanted; index++) {
      try {
        this.workers.push(this.platform.spawn({ module: this.module, memory: this.memory, control: this.control, index, generation: Atomics.load(this.ctrl, CONTROL.generation) }));
      } catch (error) {
        // E.g. Node's permission model without --allow-worker: the same results on one thread,
        // as without SharedArrayBuffer, rather than no backend at all.
        console.warn(`verbatim: kernel workers cannot be started (${error instanceof Error ? error.message : String(error)}); running on one thread`);
        this.stop();
        return;
      }
    }
    if (this.platform.startsWhileBlocked) {
      const deadline = performance.now() + 10_000;
      for (let ready = this.readyWorkers(); ready < wanted; ready = this.readyWorkers()) {
        if (performance.now() > deadline) {
          console.warn(`verbatim: ${wanted - ready} of ${wanted} kernel workers did not start; running on one thread`);
          this.stop();
          return;
        }
        Atomics.wait(this.ctrl, CONTROL.ready, Atomics.load(this.ctrl, CONTROL.ready), 100);
      }
    }
  }

  /** Workers of the current generation that are ready. */
  private readyWorkers(): number {
    const ready = Atomics.load(this.ctrl, CONTROL.ready);
    return ready >>> 8 === (Atomics.load(this.ctrl, CONTROL.generation) & READY_TAG_MASK) ? ready & 0xff : 0;
  }

  private stop(): void {
    if (this.workers.length === 0) return;
    // Workers terminate asynchronously: the bumped generation makes each one that wakes return
    // instead of serving the next pool's jobs with this pool's slots.
    const generation = Atomics.add(this.ctrl, CONTROL.generation, 1) + 1;
    Atomics.store(this.ctrl, CONTROL.ready, (generation & READY_TAG_MASK) << 8);
    const sequence = Atomics.add(this.ctrl, CONTROL.sequence, 1) + 1;
    Atomics.notify(this.ctrl, CONTROL.sequence);
    for (const w of this.workers) w.terminate();
    this.workers = [];
    // The sequence of no job, never 0: the count wraps after 2^32 jobs, and a job numbered 0 would
    // find 0 in the slots of workers that have not run it yet and seem done before they ran it.
    for (let t = 0; t < CONTROL.maxThreads; t++) this.ctrl[CONTROL.threads + CONTROL.slotsPerThread * t + 3] = sequence;
  }

  /**
   * Runs kernel(...args, start, end, scratch[t]) over [0, total) split into `parts` contiguous
   * ranges whose boundaries are multiples of `align`; part 0 on this thread. Every worker gets a
   * range (empty if it has no part), and the job is over when every worker has recorded this
   * job's sequence number in its slot.
   */
  run(kernel: KernelName, args: readonly number[], total: number, parts: number, align = 1, scratch: readonly number[] = []): void {
    const index = KERNEL_NAMES.indexOf(kernel);
    const threads = Math.max(1, Math.min(parts, this.threads, Math.ceil(total / align)));
    if (threads === 1) {
      this.kernels[index]!(...args, 0, total, scratch[0] ?? 0);
      return;
    }
    const chunk = Math.ceil(total / threads / align) * align;
    const ctrl = this.ctrl;
    for (let t = 0; t <= this.workers.length; t++) {
      const slot = CONTROL.threads + CONTROL.slotsPerThread * t;
      ctrl[slot] = t < threads ? Math.min(total, t * chunk) : 0;
      ctrl[slot + 1] = t < threads ? Math.min(total, (t + 1) * chunk) : 0;
      ctrl[slot + 2] = scratch[t] ?? 0;
    }
    this.args.set(args);
    Atomics.store(ctrl, CONTROL.argc, args.length);
    Atomics.store(ctrl, CONTROL.kernel, index);
    const sequence = Atomics.add(ctrl, CONTROL.sequence, 1) + 1;
    Atomics.notify(ctrl, CONTROL.sequence);
    let workerFailed: boolean;
    try {
      this.kernels[index]!(...args, ctrl[CONTROL.threads]!, ctrl[CONTROL.threads + 1]!, scratch[0] ?? 0);
    } finally {
      // Even when this thread's part throws (a trap): the workers still run theirs, and returning
      // at once would let the caller read, free or reuse memory they are writing and publish the
      // next job under them; and a failure of theirs would be reported by the next job instead.
      this.awaitWorkers(sequence);
      workerFailed = Atomics.exchange(ctrl, CONTROL.failed, 0) !== 0;
    }
    if (workerFailed) throw new Error(`verbatim: the ${kernel} kernel failed in a worker thread`);
  }

  /** Waits until every worker has recorded `sequence` as the last job it completed. */
  private awaitWorkers(sequence: number): void {
    const ctrl = this.ctrl;
    // Every worker, even one without a part: one still waking for this job must not read the
    // slots and arguments of the next job while they are being written (it would run this job's
    // kernel on the next job's arguments).
    for (let t = 1; t <= this.workers.length; t++) {
      const done = CONTROL.threads + CONTROL.slotsPerThread * t + 3;
      // Spin a little first: most parts end within microseconds of this thread's, and waking
      // from Atomics.wait costs more than that.
      let spins = 0;
      for (let seen = Atomics.load(ctrl, done); seen !== sequence; seen = Atomics.load(ctrl, done)) {
        if (++spins > SPIN_CHECKS && this.platform?.canBlock) Atomics.wait(ctrl, done, seen, 1000);
      }
    }
  }
}
