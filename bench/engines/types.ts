/** A benchmarked library: the same workloads, measured the same way. */
export interface Engine {
  /** Throughput of workload A or B in examples per second, over `budgetSeconds` at most. */
  train(workload: 'A' | 'B', budgetSeconds: number): Promise<number>;
  /** Throughput of workload C (the small CNN) in examples per second. */
  trainCnn(budgetSeconds: number): Promise<number>;
  /** Throughput of workload D (embedding, lstm, dense) in examples per second; undefined where the engine cannot express it. */
  trainRecurrent?(budgetSeconds: number): Promise<number>;
  /** Throughput of workload E (a transformer encoder block) in examples per second. */
  trainTransformer?(budgetSeconds: number): Promise<number>;
  /**
   * GFLOP/s of an n x n x n float32 matrix product, counting 2 n^3 operations, timed from the call
   * until the product has been read back to a JavaScript array (every engine alike), after one
   * untimed product.
   */
  matmul(n: number): Promise<number>;
}

/** The data of workload A (1000 x 20, y = row sum > 0) and B (8192 x 784, 10 classes), as plain arrays. */
export function workloadData(workload: 'A' | 'B'): { x: Float32Array; y: Float32Array; rows: number; inputs: number; outputs: number } {
  let state = workload === 'A' ? 1 : 2;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  if (workload === 'A') {
    const rows = 1000;
    const x = Float32Array.from({ length: rows * 20 }, () => next() * 2 - 1);
    const y = Float32Array.from({ length: rows }, (_, r) => (x.subarray(r * 20, r * 20 + 20).reduce((a, b) => a + b, 0) > 0 ? 1 : 0));
    return { x, y, rows, inputs: 20, outputs: 1 };
  }
  const rows = 8192;
  const x = Float32Array.from({ length: rows * 784 }, () => next());
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + Math.floor(next() * 10)] = 1;
  return { x, y, rows, inputs: 784, outputs: 10 };
}

/**
 * Workload C: 28x28x1 images (uniform in [0, 1)) of 10 classes, 2048 examples; conv2d 32 3x3
 * relu, maxPooling2d 2, conv2d 64 3x3 relu, maxPooling2d 2, flatten, dropout 0.5, dense 10
 * softmax; adam, batch 64, one epoch per fit. NHWC layout.
 */
export function cnnData(): { x: Float32Array; y: Float32Array; rows: number } {
  let state = 3;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const rows = 2048;
  const x = Float32Array.from({ length: rows * 784 }, () => next());
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + Math.floor(next() * 10)] = 1;
  return { x, y, rows };
}

/**
 * Workloads D and E: 1024 sequences of 40 (D) or 32 (E) tokens in [1, 1000), label 1 when token 1
 * appears more often than token 2 (a learnable rule, so the numbers stay in range). D: embedding
 * 1000x32, lstm 64, dense 1 sigmoid; E: embedding 1000x64 plus positions, one encoder block
 * (4 heads of 16, feed-forward 128), average pooling, dense 1 sigmoid; adam, batch 32.
 */
export function sequenceData(length: number): { tokens: Int32Array; labels: Float32Array; rows: number } {
  let state = 4;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const rows = 1024;
  const tokens = Int32Array.from({ length: rows * length }, () => 1 + Math.floor(next() * 999));
  const labels = Float32Array.from({ length: rows }, (_, r) => {
    const row = tokens.subarray(r * length, (r + 1) * length);
    return row.filter((t) => t === 1).length > row.filter((t) => t === 2).length ? 1 : 0;
  });
  return { tokens, labels, rows };
}

export const SEQUENCE = { vocabulary: 1000, batchSize: 32, epochs: 1, recurrentLength: 40, transformerLength: 32 } as const;

export const CNN = { batchSize: 64, epochs: 1, filters: [32, 64], classes: 10 } as const;

export const SPEC = {
  A: { hidden: [32], batchSize: 32, epochs: 3 },
  B: { hidden: [512, 512], batchSize: 128, epochs: 2 },
} as const;

/**
 * Throughput of `fit(rows, epochs)` (the workload's epochs over the first `rows` examples):
 * after repeating the fit for at least 2 s as a warm-up (every engine's JIT settles), the fit
 * is repeated for at least 2 s more and examples / time is returned. Rows are cut, by whole
 * batches, so that one fit takes about budgetSeconds at most (estimated on four batches).
 */
export async function timedFit(rows: number, batchSize: number, epochs: number, budgetSeconds: number, fit: (rows: number, epochs: number) => Promise<void>): Promise<number> {
  const probeRows = Math.min(rows, 4 * batchSize);
  const p0 = performance.now();
  await fit(probeRows, 1);
  const perBatch = (performance.now() - p0) / 1000 / Math.ceil(probeRows / batchSize);
  const used = Math.min(rows, Math.max(4, Math.floor(budgetSeconds / perBatch / epochs)) * batchSize);
  const repeatFor = async (seconds: number) => {
    const t0 = performance.now();
    let fits = 0;
    do {
      await fit(used, epochs);
      fits++;
    } while ((performance.now() - t0) / 1000 < seconds);
    return { fits, seconds: (performance.now() - t0) / 1000 };
  };
  await repeatFor(2);
  const timed = await repeatFor(2);
  return (timed.fits * used * epochs) / timed.seconds;
}
