import * as tf from '@tensorflow/tfjs';
import { CNN, SEQUENCE, SPEC, cnnData, sequenceData, timedFit, workloadData, type Engine } from './types.js';

export async function tfjsEngine(backend: 'cpu' | 'wasm'): Promise<Engine> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend(backend);
  await tf.ready();
  return {
    async train(workload, budgetSeconds) {
      const { x, y, rows, inputs, outputs } = workloadData(workload);
      const xs = tf.tensor2d(x, [rows, inputs]);
      const ys = tf.tensor2d(y, [rows, outputs]);
      const m = tf.sequential();
      SPEC[workload].hidden.forEach((units, i) => {
        m.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [inputs] } : {}) }));
        if (workload === 'A') m.add(tf.layers.dropout({ rate: 0.2 }));
      });
      m.add(tf.layers.dense({ units: outputs, activation: workload === 'A' ? 'sigmoid' : 'softmax' }));
      m.compile({ optimizer: tf.train.adam(0.001), loss: workload === 'A' ? 'binaryCrossentropy' : 'categoricalCrossentropy' });
      const { batchSize, epochs } = SPEC[workload];
      return timedFit(rows, batchSize, epochs, budgetSeconds, async (n, e) => {
        const [xb, yb] = [xs.slice([0], [n]), ys.slice([0], [n])];
        await m.fit(xb, yb, { epochs: e, batchSize, shuffle: false, verbose: 0 });
        tf.dispose([xb, yb]);
      });
    },
    async trainCnn(budgetSeconds) {
      const { x, y, rows } = cnnData();
      const xs = tf.tensor4d(x, [rows, 28, 28, 1]);
      const ys = tf.tensor2d(y, [rows, CNN.classes]);
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ filters: CNN.filters[0], kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: CNN.filters[1], kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: CNN.classes, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
      return timedFit(rows, CNN.batchSize, CNN.epochs, budgetSeconds, async (n, e) => {
        const [xb, yb] = [xs.slice([0], [n]), ys.slice([0], [n])];
        await m.fit(xb, yb, { epochs: e, batchSize: CNN.batchSize, shuffle: false, verbose: 0 });
        tf.dispose([xb, yb]);
      });
    },
    async trainRecurrent(budgetSeconds) {
      const { tokens, labels, rows } = sequenceData(SEQUENCE.recurrentLength);
      const xs = tf.tensor2d(tokens, [rows, SEQUENCE.recurrentLength], 'int32');
      const ys = tf.tensor2d(labels, [rows, 1]);
      const m = tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: SEQUENCE.vocabulary, outputDim: 32, inputLength: SEQUENCE.recurrentLength }),
          tf.layers.lstm({ units: 64 }),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      });
      m.compile({ optimizer: tf.train.adam(0.001), loss: 'binaryCrossentropy' });
      return timedFit(rows, SEQUENCE.batchSize, SEQUENCE.epochs, budgetSeconds, async (n, e) => {
        const [xb, yb] = [xs.slice([0], [n]), ys.slice([0], [n])];
        await m.fit(xb, yb, { epochs: e, batchSize: SEQUENCE.batchSize, shuffle: false, verbose: 0 });
        tf.dispose([xb, yb]);
      });
    },
    async matmul(n) {
      const a = tf.randomUniform([n, n], -1, 1);
      const b = tf.randomUniform([n, n], -1, 1);
      tf.matMul(a, b).dataSync();
      const reps = Math.max(3, Math.round(2e9 / (2 * n ** 3)));
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      }
      return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
    },
  };
}
