/**
 * boston-housing: 12 features normalized by their mean and standard deviation, a linear
 * regression (one Dense unit) and a two-layer MLP, SGD and mean squared error with a
 * validation split and an onEpochEnd callback, then evaluate on a test set.
 */
import { lcg, uniformRows, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(12);
  const rows = uniformRows(random, 96, 12).map((r) => r.map((v, i) => v * (i + 1) + i));
  const target = rows.map((r) => [r.reduce((s, v, i) => s + v * ((i % 3) - 1) / (i + 1), 22)]);
  const features = tf.tensor2d(rows);
  const dataMean = features.mean(0);
  const dataStd = features.sub(dataMean).square().mean(0).sqrt();
  const normalized = features.sub(dataMean).div(dataStd);
  const xs = normalized.slice([0, 0], [80, 12]);
  const testXs = normalized.slice([80, 0], [16, 12]);
  const ys = tf.tensor2d(target.slice(0, 80));
  const testYs = tf.tensor2d(target.slice(80));
  const losses: number[] = [];
  const weights = [];
  for (const hidden of [0, 16]) {
    const model = tf.sequential();
    if (hidden) model.add(tf.layers.dense({ inputShape: [12], units: hidden, activation: 'sigmoid', kernelInitializer: 'leCunNormal' }));
    model.add(tf.layers.dense({ inputShape: hidden ? undefined : [12], units: 1 }));
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
    const epochLosses: number[] = [];
    await model.fit(xs, ys, {
      batchSize: 16, epochs: 12, validationSplit: 0.2,
      callbacks: { onEpochEnd: async (_epoch, logs) => { epochLosses.push(logs!.loss!); } },
    });
    const testLoss = model.evaluate(testXs, testYs, { batchSize: 16 }) as ReturnType<typeof tf.scalar>;
    testLoss.dataSync();
    if (!hidden) losses.push(...epochLosses);
    weights.push(...model.getWeights());
  }
  return { losses, weights };
};
export default program;
