/**
 * A kernel worker: instantiates the shared kernel module over the shared memory, then runs its
 * range of each job the main thread posts in the control block, until told to stop. The pool
 * does not load this file: the build bundles it into WORKER_SOURCE (scripts/build-worker.mjs),
 * which the pool starts, so it must stay self-contained apart from kernel-names.ts.
 */
import { CONTROL, KERNEL_NAMES, READY_TAG_MASK } from './kernel-names.js';

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  index: number;
  /** The pool generation this worker serves (CONTROL.generation). */
  generation: number;
}

function serve({ module, memory, control, index, generation }: WorkerInit): void {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = KERNEL_NAMES.map((name) => instance.exports[name] as (...args: number[]) => void);
  const ctrl = new Int32Array(memory.buffer, control, CONTROL.bytes / 4);
  let sequence = Atomics.load(ctrl, CONTROL.sequence);
  // Counts itself ready only while its own generation's count is current: a worker that starts
  // after its pool stopped must not be taken for one of the next pool's.
  for (;;) {
    const ready = Atomics.load(ctrl, CONTROL.ready);
    if (ready >>> 8 !== (generation & READY_TAG_MASK)) return;
    if (Atomics.compareExchange(ctrl, CONTROL.ready, ready, ready + 1) === ready) break;
  }
  Atomics.notify(ctrl, CONTROL.ready);
  for (;;) {
    // Only a new sequence number is a new job, never a wake-up alone: the main thread can pause
    // between publishing a job and notifying it, this worker can serve the job in that pause, and
    // the late notify then finds it waiting again. Taken for a job, it would run the finished job
    // once more, over the next job's arguments as they are written (an in-place update applied twice).
    let published = Atomics.load(ctrl, CONTROL.sequence);
    while (published === sequence) {
      Atomics.wait(ctrl, CONTROL.sequence, sequence);
      published = Atomics.load(ctrl, CONTROL.sequence);
    }
    sequence = published;
    if (Atomics.load(ctrl, CONTROL.generation) !== generation) return;
    const args = new Float64Array(memory.buffer, control + CONTROL.argsByte, Atomics.load(ctrl, CONTROL.argc));
    const slot = CONTROL.threads + CONTROL.slotsPerThread * index;
    const start = ctrl[slot]!;
    const end = ctrl[slot + 1]!;
    try {
      if (start < end) kernels[Atomics.load(ctrl, CONTROL.kernel)]!(...args, start, end, ctrl[slot + 2]!);
    } catch {
      Atomics.store(ctrl, CONTROL.failed, 1);
    }
    Atomics.store(ctrl, slot + 3, sequence);
    Atomics.notify(ctrl, slot + 3);
  }
}

type NodeWorkerThreads = { workerData: WorkerInit | null; isMainThread: boolean };
const nodeThreads = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
  .process?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;

if (nodeThreads && !nodeThreads.isMainThread && nodeThreads.workerData) {
  serve(nodeThreads.workerData);
} else if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') {
  (globalThis as unknown as { onmessage: (event: { data: WorkerInit }) => void }).onmessage = (event) => serve(event.data);
}
