import * as vb from 'verbatim';
import { CNN, SEQUENCE, SPEC, cnnData, sequenceData, timedFit, workloadData, type Engine } from './types.js';

function model(workload: 'A' | 'B', inputs: number, outputs: number): vb.Sequential {
  const layers: vb.layers.Layer[] = [];
  SPEC[workload].hidden.forEach((units, i) => {
    layers.push(vb.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [inputs] } : {}) }));
    if (workload === 'A') layers.push(vb.layers.dropout({ rate: 0.2 }));
  });
  layers.push(vb.layers.dense({ units: outputs, activation: workload === 'A' ? 'sigmoid' : 'softmax' }));
  const m = vb.sequential({ layers });
  m.compile({ optimizer: 'adam', loss: workload === 'A' ? 'binaryCrossentropy' : 'categoricalCrossentropy' });
  return m;
}

/** Adds the embeddings of positions 0..length-1 to each sequence (the transformer's positional encoding). */
class PositionAdd extends vb.layers.Layer {
  constructor(private readonly positions: vb.layers.Layer, private readonly length: number) {
    super({});
  }

  override build(): void {
    this.positions.path = `${this.path}/positions`;
    this.positions.apply(vb.range(0, this.length, 1, 'int32')).dispose();
    this.weights.push(...this.positions.weights);
    this.built = true;
  }

  override computeOutputShape(shape: vb.layers.SymbolicShape | vb.layers.SymbolicShape[]): vb.layers.SymbolicShape {
    return shape as vb.layers.SymbolicShape;
  }

  override call(x: vb.Tensor | vb.Tensor[]): vb.Tensor {
    return vb.add(x as vb.Tensor, this.positions.apply(vb.range(0, this.length, 1, 'int32')));
  }

  override getConfig(): Record<string, unknown> {
    return { length: this.length };
  }
}

async function fitSequences(m: vb.LayersModel, xs: vb.Tensor, ys: vb.Tensor, budgetSeconds: number): Promise<number> {
  return timedFit(xs.shape[0]!, SEQUENCE.batchSize, SEQUENCE.epochs, budgetSeconds, async (n, e) => {
    const [xb, yb] = [vb.slice(xs, [0], [n]), vb.slice(ys, [0], [n])];
    await m.fit(xb, yb, { epochs: e, batchSize: SEQUENCE.batchSize, shuffle: false, verbose: 0 });
    vb.dispose([xb, yb]);
  });
}

function cnnModel(): vb.Sequential {
  const m = vb.sequential({
    layers: [
      vb.layers.conv2d({ filters: CNN.filters[0], kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      vb.layers.maxPooling2d({ poolSize: 2 }),
      vb.layers.conv2d({ filters: CNN.filters[1], kernelSize: 3, activation: 'relu' }),
      vb.layers.maxPooling2d({ poolSize: 2 }),
      vb.layers.flatten(),
      vb.layers.dropout({ rate: 0.5 }),
      vb.layers.dense({ units: CNN.classes, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return m;
}

/**
 * Memory over `steps` training steps of workload C or D: live tensors and bytes after the 10th
 * step and after the last (flat memory: equal), and the process's resident set growth in bytes.
 */
export async function stepsMemory(workload: 'C' | 'D', steps: number): Promise<{ tensors: [number, number]; bytes: [number, number]; rssGrowth: number }> {
  vb.setRandomSeed(1);
  let m: vb.LayersModel;
  let xs: vb.Tensor;
  let ys: vb.Tensor;
  const batchSize = workload === 'C' ? CNN.batchSize : SEQUENCE.batchSize;
  const rows = 10 * batchSize;
  if (workload === 'C') {
    const { x, y } = cnnData();
    xs = vb.tensor(x.subarray(0, rows * 784), [rows, 28, 28, 1]);
    ys = vb.tensor(y.subarray(0, rows * CNN.classes), [rows, CNN.classes]);
    m = cnnModel();
  } else {
    const { tokens, labels } = sequenceData(SEQUENCE.recurrentLength);
    xs = vb.tensor(tokens.subarray(0, rows * SEQUENCE.recurrentLength), [rows, SEQUENCE.recurrentLength], 'int32');
    ys = vb.tensor(labels.subarray(0, rows), [rows, 1]);
    m = vb.sequential({ layers: [vb.layers.embedding({ inputDim: SEQUENCE.vocabulary, outputDim: 32 }), vb.layers.lstm({ units: 64 }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  }
  let early = vb.memory();
  let rss = 0;
  let step = 0;
  const observer = {
    onBatchEnd: () => {
      step++;
      if (step === 10) {
        early = vb.memory();
        rss = process.memoryUsage().rss;
      }
    },
  };
  await m.fit(xs, ys, { epochs: steps / 10, batchSize, shuffle: true, verbose: 0, callbacks: [observer] });
  const late = vb.memory();
  return { tensors: [early.numTensors, late.numTensors], bytes: [early.numBytes, late.numBytes], rssGrowth: process.memoryUsage().rss - rss };
}

/** Examples per micro-batch of the data-parallel measurement (batches of 128: two micro-batches). */
export const DATA_PARALLEL_MICRO_BATCH = 64;

/** `dataParallelWorkers`: train A and B with dataParallel on that many worker threads. */
export function verbatimEngine(backend: string, threads: number, dataParallelWorkers?: number): Engine {
  const dataParallel = dataParallelWorkers === undefined ? {} : { dataParallel: { workers: dataParallelWorkers, microBatch: DATA_PARALLEL_MICRO_BATCH } };
  vb.setBackend(backend);
  vb.setNumThreads(threads);
  vb.setRandomSeed(1);
  return {
    async train(workload, budgetSeconds) {
      const { x, y, rows, inputs, outputs } = workloadData(workload);
      const xs = vb.tensor(x, [rows, inputs]);
      const ys = vb.tensor(y, [rows, outputs]);
      const m = model(workload, inputs, outputs);
      const { batchSize, epochs } = SPEC[workload];
      return timedFit(rows, batchSize, epochs, budgetSeconds, async (n, e) => {
        const [xb, yb] = [vb.slice(xs, [0], [n]), vb.slice(ys, [0], [n])];
        await m.fit(xb, yb, { epochs: e, batchSize, shuffle: false, verbose: 0, ...dataParallel });
        vb.dispose([xb, yb]);
      });
    },
    async trainCnn(budgetSeconds) {
      const { x, y, rows } = cnnData();
      const xs = vb.tensor(x, [rows, 28, 28, 1]);
      const ys = vb.tensor(y, [rows, CNN.classes]);
      const m = cnnModel();
      return timedFit(rows, CNN.batchSize, CNN.epochs, budgetSeconds, async (n, e) => {
        const [xb, yb] = [vb.slice(xs, [0], [n]), vb.slice(ys, [0], [n])];
        await m.fit(xb, yb, { epochs: e, batchSize: CNN.batchSize, shuffle: false, verbose: 0 });
        vb.dispose([xb, yb]);
      });
    },
    async trainRecurrent(budgetSeconds) {
      const { tokens, labels, rows } = sequenceData(SEQUENCE.recurrentLength);
      const m = vb.sequential({
        layers: [
          vb.layers.embedding({ inputDim: SEQUENCE.vocabulary, outputDim: 32, inputLength: SEQUENCE.recurrentLength }),
          vb.layers.lstm({ units: 64 }),
          vb.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      });
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      return fitSequences(m, vb.tensor(tokens, [rows, SEQUENCE.recurrentLength], 'int32'), vb.tensor(labels, [rows, 1]), budgetSeconds);
    },
    async trainTransformer(budgetSeconds) {
      const length = SEQUENCE.transformerLength;
      const { tokens, labels, rows } = sequenceData(length);
      const input = vb.input({ shape: [length], dtype: 'int32' });
      const positions = vb.layers.embedding({ inputDim: length, outputDim: 64 });
      // Position embeddings of 0..length-1, added to every sequence's token embeddings.
      const x = vb.layers.embedding({ inputDim: SEQUENCE.vocabulary, outputDim: 64 }).apply(input);
      const withPositions = new PositionAdd(positions, length).apply(x);
      const attended = vb.layers.multiHeadAttention({ numHeads: 4, keyDim: 16 }).apply([withPositions, withPositions]);
      const x1 = vb.layers.layerNormalization().apply(vb.layers.add().apply([withPositions, attended]));
      const ff = vb.layers.dense({ units: 64 }).apply(vb.layers.dense({ units: 128, activation: 'relu' }).apply(x1));
      const x2 = vb.layers.layerNormalization().apply(vb.layers.add().apply([x1, ff]));
      const out = vb.layers.dense({ units: 1, activation: 'sigmoid' }).apply(vb.layers.globalAveragePooling1d().apply(x2));
      const m = vb.model({ inputs: input, outputs: out });
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      return fitSequences(m, vb.tensor(tokens, [rows, length], 'int32'), vb.tensor(labels, [rows, 1]), budgetSeconds);
    },
    async matmul(n) {
      const a = vb.randomUniform([n, n], -1, 1, 'float32', 1);
      const b = vb.randomUniform([n, n], -1, 1, 'float32', 2);
      vb.matMul(a, b).dispose();
      const reps = Math.max(3, Math.round(2e9 / (2 * n ** 3)));
      const t0 = performance.now();
      // The product is read back every time, as for the peers (types.ts: Engine.matmul).
      for (let r = 0; r < reps; r++) {
        const c = vb.matMul(a, b);
        c.dataSync();
        c.dispose();
      }
      return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
    },
  };
}
