/**
 * baseball-node: pitch type (7 classes) from 8 pitch measurements, each min-max normalized,
 * served by tf.data (array of {xs, ys}, shuffled, batched) to fitDataset for a Dense relu
 * classifier with Adam and categorical cross-entropy; evaluation per class with tf ops.
 */
import { lcg, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(7);
  const ranges = [[-20, 20], [-10, 10], [-130, -80], [-20, 20], [-50, 50], [-20, 20], [60, 100], [0, 3000]];
  const normalize = (value: number, [min, max]: number[]) => (value - min!) / (max! - min!);
  const samples: { xs: number[]; ys: number[] }[] = [];
  for (let i = 0; i < 140; i++) {
    const pitchType = i % 7;
    const raw = ranges.map(([min, max], f) => min! + (max! - min!) * ((pitchType * (f + 1)) % 7 / 7 + 0.15 * random()));
    samples.push({ xs: raw.map((v, f) => normalize(v, ranges[f]!)), ys: Array.from({ length: 7 }, (_, k) => (k === pitchType ? 1 : 0)) });
  }
  const train = tf.data.array(samples.slice(0, 112)).shuffle(112, 'pitches').batch(16);
  const test = samples.slice(112);
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 32, activation: 'relu', inputShape: [8] }));
  model.add(tf.layers.dense({ units: 24, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 7, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fitDataset(train, { epochs: 12 });
  const predictions = (model.predict(tf.tensor2d(test.map((s) => s.xs))) as ReturnType<typeof tf.tensor2d>).argMax(1);
  const truth = tf.tensor2d(test.map((s) => s.ys)).argMax(1);
  const perClass = tf.tidy(() => tf.unsortedSegmentSum(predictions.equal(truth).toFloat(), truth.toInt() as ReturnType<typeof tf.tensor1d>, 7));
  const accuracy = perClass.sum().dataSync()[0]! / test.length;
  return { losses: (history.history.loss as number[]).map(Number), weights: model.getWeights(), accuracy: { value: accuracy, chance: 1 / 7 } };
};
export default program;
