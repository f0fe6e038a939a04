/**
 * iris-fitDataset: the iris model trained from tf.data: features and one-hot labels as two
 * array datasets, zipped into {xs, ys}, shuffled, batched, and given to fitDataset with a
 * validation dataset.
 */
import { lcg, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(5);
  const centers = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];
  const features: number[][] = [];
  const labels: number[][] = [];
  for (let i = 0; i < 90; i++) {
    features.push(centers[i % 3]!.map((v) => v + (random() - 0.5) * 0.6));
    labels.push([0, 1, 2].map((k) => (k === i % 3 ? 1 : 0)));
  }
  const dataset = (from: number, to: number) => tf.data.zip({
    xs: tf.data.array(features.slice(from, to)),
    ys: tf.data.array(labels.slice(from, to)),
  });
  const train = dataset(0, 72).shuffle(72, 'iris').batch(16);
  const validation = dataset(72, 90).batch(18);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 10, activation: 'sigmoid', inputShape: [4] }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fitDataset(train, { epochs: 25, validationData: validation });
  const accuracy = history.history.val_acc as number[];
  return {
    losses: (history.history.loss as number[]).map(Number), weights: model.getWeights(),
    accuracy: { value: Number(accuracy[accuracy.length - 1]), chance: 1 / 3 },
  };
};
export default program;
