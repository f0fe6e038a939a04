/** The kernels workers can run, by index in the job descriptor; shared by the pool and workers. */
export const KERNEL_NAMES = [
  'unaryF32', 'unaryI32', 'unaryU8', 'binary', 'binaryFlat', 'select', 'selectFlat', 'cast', 'reduceF32', 'reduceI32', 'argReduce',
  'copyStrided', 'fill32', 'gatherRows', 'scatterAdd', 'padRows', 'extractPatches', 'scatterPatches', 'cumsum', 'matmul', 'adam', 'sgd', 'momentum',
] as const;

export type KernelName = typeof KERNEL_NAMES[number];

/** Int32 slots of the control block shared by the main thread and the workers. */
export const CONTROL = {
  sequence: 0,
  ready: 1,
  kernel: 2,
  argc: 3,
  stop: 4,
  /** Set by a worker whose kernel threw (a bug), so that the main thread fails instead of waiting. */
  failed: 5,
  /** Per thread, 4 slots: start, end, scratch pointer, and the last job sequence it completed. */
  threads: 8,
  slotsPerThread: 4,
  maxThreads: 64,
  /** Byte offset of the float64 arguments. */
  argsByte: 2048,
  maxArgs: 24,
  bytes: 2240,
} as const;
