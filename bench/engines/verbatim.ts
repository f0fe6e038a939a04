import * as vb from 'verbatim';
import { CNN, SPEC, cnnData, timedFit, workloadData, type Engine } from './types.js';

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
 * Memory over `steps` training steps of workload C: live tensors and bytes after the 10th step
 * and after the last (flat memory: equal), and the process's resident set growth in bytes.
 */
export async function cnnMemory(steps: number): Promise<{ tensors: [number, number]; bytes: [number, number]; rssGrowth: number }> {
  vb.setRandomSeed(1);
  const { x, y } = cnnData();
  const rows = 10 * CNN.batchSize;
  const xs = vb.tensor(x.subarray(0, rows * 784), [rows, 28, 28, 1]);
  const ys = vb.tensor(y.subarray(0, rows * CNN.classes), [rows, CNN.classes]);
  const m = cnnModel();
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
  await m.fit(xs, ys, { epochs: steps / 10, batchSize: CNN.batchSize, shuffle: true, verbose: 0, callbacks: [observer] });
  const late = vb.memory();
  return { tensors: [early.numTensors, late.numTensors], bytes: [early.numBytes, late.numBytes], rssGrowth: process.memoryUsage().rss - rss };
}

export function verbatimEngine(backend: string, threads: number): Engine {
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
        await m.fit(xb, yb, { epochs: e, batchSize, shuffle: false, verbose: 0 });
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
