import { MAX_THREADS } from '../backend.js';

/** The kernels workers can run, by index in the job descriptor; shared by the pool and workers. */
export const KERNEL_NAMES = [
  'unaryF32', 'unaryI32', 'unaryU8', 'binary', 'binaryFlat', 'select', 'selectFlat', 'cast', 'reduceF32', 'reduceI32', 'argReduce',
  'copyStrided', 'fill32', 'gatherRows', 'scatterAdd', 'padRows', 'extractPatches', 'scatterPatches', 'cumsum', 'matmul', 'adam', 'sgd', 'momentum',
] as const;

export type KernelName = typeof KERNEL_NAMES[number];

/** Int32 slots of the control block shared by the main thread and the workers. */
/** The generation bits kept in CONTROL.ready's tag. */
export const READY_TAG_MASK = 0x7fffff;

export const CONTROL = {
  sequence: 0,
  /**
   * Workers ready in the current generation: (generation & READY_TAG_MASK) << 8 | count, so that
   * one atomic word resets the count and tells apart a late worker of a stopped pool.
   */
  ready: 1,
  kernel: 2,
  argc: 3,
  /**
   * The pool's generation: a worker serves while it equals the one it was spawned for. Bumped
   * (never reset) when the pool stops, so that a worker still winding down, or one that starts
   * late, can never take part in a job of the next pool.
   */
  generation: 4,
  /** Set by a worker whose kernel threw (a bug), so that the main thread fails instead of waiting. */
  failed: 5,
  /** Per thread, 4 slots: start, end, scratch pointer, and the last job sequence it completed. */
  threads: 8,
  slotsPerThread: 4,
  maxThreads: MAX_THREADS,
  /** Byte offset of the float64 arguments. */
  argsByte: 2048,
  maxArgs: 24,
  bytes: 2240,
} as const;
