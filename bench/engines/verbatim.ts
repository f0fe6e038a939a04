import * as vb from 'verbatim';
import { SPEC, timedFit, workloadData, type Engine } from './types.js';

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
