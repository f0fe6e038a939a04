/**
 * jena-weather: temperature 24 steps ahead from a lookback window of 14 weather features,
 * served by tf.data.generator datasets (fitDataset with batchesPerEpoch, validation data and
 * validationBatches); models: linear regression on the flattened window, an MLP with L2
 * regularization and dropout, and a GRU; Adam with mean absolute error.
 */
import { lcg, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(14);
  const steps = 400;
  const series = Array.from({ length: steps }, (_, t) =>
    Array.from({ length: 14 }, (_, f) => Math.sin((t + 7 * f) / 12) + 0.1 * (random() - 0.5)));
  const lookback = 10;
  const delay = 4;
  const makeDataset = (from: number, to: number) => tf.data.generator(function* windows() {
    for (let start = from; start + lookback + delay < to; start++) {
      yield { xs: tf.tensor2d(series.slice(start, start + lookback)), ys: tf.tensor1d([series[start + lookback + delay]![1]!]) };
    }
  }).batch(32);
  const train = makeDataset(0, 300);
  const validation = makeDataset(300, steps);
  const losses: number[] = [];
  const weights = [];
  for (const modelType of ['linear-regression', 'mlp-l2-dropout', 'gru']) {
    const model = tf.sequential();
    if (modelType === 'gru') {
      model.add(tf.layers.gru({ units: 8, inputShape: [lookback, 14] }));
    } else {
      model.add(tf.layers.flatten({ inputShape: [lookback, 14] }));
      if (modelType === 'mlp-l2-dropout') {
        model.add(tf.layers.dense({ units: 16, kernelRegularizer: tf.regularizers.l2(), activation: 'relu' }));
        model.add(tf.layers.dropout({ rate: 0.25 }));
      }
    }
    model.add(tf.layers.dense({ units: 1 }));
    model.compile({ loss: 'meanAbsoluteError', optimizer: tf.train.adam(0.01) });
    const history = await model.fitDataset(train, {
      batchesPerEpoch: 6, epochs: modelType === 'linear-regression' ? 8 : 2, validationData: validation, validationBatches: 2,
    });
    if (modelType === 'linear-regression') losses.push(...(history.history.loss as number[]).map(Number));
    weights.push(...model.getWeights());
  }
  return { losses, weights };
};
export default program;
