/**
 * BatchNormalization under dataParallel ("ghost" batch normalization, as tf.keras's
 * virtual_batch_size): each micro-batch normalizes with its own statistics, and the moving mean
 * and variance are updated once per step from the micro-batches' statistics weighted by their
 * share of the batch and summed over the reduction tree. Hence: 1, 2 and 3 workers identical on
 * both backends; one micro-batch per batch is plain fit bit for bit; the moving statistics are
 * the documented formula (bit for bit from public ops, and against a float64 computation).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';

function data(n = 40) {
  const rng = vb.random.generator(7);
  const x = vb.tidy(() => vb.add(vb.mul(rng.normal([n, 3]), vb.tensor([1, 2, 0.5])), vb.tensor([0.5, -1, 3])));
  const y = vb.tidy(() => vb.cast(vb.greater(vb.sum(x, 1, true), 2.5), 'float32'));
  return { x, y };
}

function makeModel(): vb.LayersModel {
  vb.setRandomSeed(5);
  const m = vb.sequential({
    name: 'bn',
    layers: [
      vb.layers.batchNormalization({ inputShape: [3], momentum: 0.9 }),
      vb.layers.dense({ units: 8, activation: 'relu' }),
      vb.layers.dropout({ rate: 0.2 }),
      vb.layers.batchNormalization({ momentum: 0.8 }),
      vb.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

async function train(dataParallel?: vb.FitArgs['dataParallel']) {
  const m = makeModel();
  const { x, y } = data();
  const epochDigests: string[] = [];
  try {
    const history = await m.fit(x, y, {
      epochs: 3, batchSize: 16, verbose: 0, ...(dataParallel ? { dataParallel } : {}),
      callbacks: { onEpochEnd: async () => { epochDigests.push(m.weightsDigest()); } },
    });
    return { epochDigests, history: history.history, weights: m.getWeightValues().map((w) => w.slice()) };
  } finally {
    m.dispose();
    vb.dispose([x, y]);
  }
}

forEachBackend('data-parallel BatchNormalization', () => {
  it('weights (moving statistics included), history and epoch digests identical for 1, 2 and 3 workers and in-process', async () => {
    const inProcess = await train({ workers: 1, microBatch: 3, inProcess: true });
    for (const workers of [1, 2, 3]) {
      const outcome = await train({ workers, microBatch: 3 });
      assert.deepEqual(outcome.epochDigests, inProcess.epochDigests, `${workers} workers`);
      assert.deepEqual(outcome.history, inProcess.history, `${workers} workers`);
    }
    // Ghost statistics differ from the batch's: not plain fit.
    assert.notDeepEqual(inProcess.epochDigests, (await train()).epochDigests);
  });

  it('one micro-batch per batch is plain fit, bit for bit (moving statistics included)', async () => {
    const plain = await train();
    for (const workers of [1, 2]) {
      const one = await train({ workers, microBatch: 16 });
      assert.deepEqual(one.epochDigests, plain.epochDigests, `${workers} workers`);
      assert.deepEqual(one.history, plain.history);
    }
  });
});

it('the moving statistics after one step: the tree sum of fl(micro-batch moments x fl(rows / batch)), bit for bit and against float64', async () => {
  const rows = 13;
  const { x, y } = data(rows);
  vb.setRandomSeed(5);
  const bn = vb.layers.batchNormalization({ inputShape: [3], momentum: 0.9 });
  const m = vb.sequential({ layers: [bn, vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
  m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
  // Micro-batches of 4, 4, 4 and 1 rows: the tree is (0 + 1) + (2 + 3).
  await m.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, verbose: 0, dataParallel: { workers: 3, microBatch: 4 } });
  const [, , movingMean, movingVariance] = bn.getWeights().map((w) => w.dataSync() as Float32Array);

  const sizes = [4, 4, 4, 1];
  const weighted = sizes.map((n, j) => vb.tidy(() => {
    const { mean, variance } = vb.moments(vb.slice(x, [4 * j], [n]), [0]);
    const share = Math.fround(n / rows);
    return [vb.mul(mean, share), vb.mul(variance, share)] as const;
  }));
  const tree = (k: 0 | 1) => vb.add(vb.add(weighted[0]![k], weighted[1]![k]), vb.add(weighted[2]![k], weighted[3]![k]));
  const update = (initial: number, k: 0 | 1) => vb.add(vb.mul(vb.fill([3], initial), 0.9), vb.mul(tree(k), 1 - 0.9)).dataSync();
  assert.deepEqual(movingMean, update(0, 0));
  assert.deepEqual(movingVariance, update(1, 1));

  // float64: the mean of the micro-batches' means and biased variances, weighted by their rows.
  const xs = Array.from(x.dataSync());
  for (let c = 0; c < 3; c++) {
    let mean = 0;
    let variance = 0;
    let start = 0;
    for (const n of sizes) {
      const column = Array.from({ length: n }, (_, i) => xs[3 * (start + i) + c]!);
      const mu = column.reduce((a, b) => a + b, 0) / n;
      mean += (mu * n) / rows;
      variance += (column.reduce((a, b) => a + (b - mu) ** 2, 0) / n) * (n / rows);
      start += n;
    }
    assert.ok(Math.abs(movingMean![c]! - 0.1 * mean) <= 1e-6 * (1 + Math.abs(mean)), `mean ${c}: ${movingMean![c]} against ${0.1 * mean}`);
    assert.ok(Math.abs(movingVariance![c]! - (0.9 + 0.1 * variance)) <= 1e-6 * (1 + variance), `variance ${c}: ${movingVariance![c]} against ${0.9 + 0.1 * variance}`);
  }
  m.dispose();
  vb.dispose([x, y, ...weighted.flat()]);
});

it('a BatchNormalization layer applied twice in one pass is an error naming it', async () => {
  vb.setRandomSeed(5);
  const input = vb.input({ shape: [3] });
  const bn = vb.layers.batchNormalization();
  const out = vb.layers.dense({ units: 1 }).apply(vb.layers.add().apply([bn.apply(input), bn.apply(input)]));
  const m = vb.model({ inputs: input, outputs: out as vb.SymbolicTensor });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const { x, y } = data(8);
  await assert.rejects(m.fit(x, y, { verbose: 0, dataParallel: { workers: 1, microBatch: 4, inProcess: true } }), /moving_mean normalizes more than once in one call \(a shared BatchNormalization layer\)/);
  await assert.rejects(m.fit(x, y, { verbose: 0, dataParallel: { workers: 2, microBatch: 4 } }), /moving_mean normalizes more than once in one call/);
  m.dispose();
  vb.dispose([x, y]);
});
