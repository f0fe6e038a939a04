/**
 * iris: four measurements, three species; tf.oneHot labels, Dense(10, sigmoid) then
 * Dense(3, softmax), Adam and categorical cross-entropy with validation data, then argMax
 * predictions scored against the labels.
 */
import { lcg, lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(3);
  const centers = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 90; i++) {
    const species = i % 3;
    features.push(centers[species]!.map((v) => v + (random() - 0.5) * 0.6));
    labels.push(species);
  }
  const xs = tf.tensor2d(features.slice(0, 72), [72, 4]);
  const ys = tf.oneHot(tf.tensor1d(labels.slice(0, 72), 'int32'), 3);
  const xTest = tf.tensor2d(features.slice(72), [18, 4]);
  const yTest = tf.oneHot(tf.tensor1d(labels.slice(72), 'int32'), 3);
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 10, activation: 'sigmoid', inputShape: [4] }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  model.summary(undefined, undefined, () => {});
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, { epochs: 25, validationData: [xTest, yTest], batchSize: 16 });
  const predicted = (model.predict(xTest) as ReturnType<typeof tf.tensor2d>).argMax(-1);
  const correct = predicted.equal(yTest.argMax(-1)).sum().dataSync()[0]!;
  return { losses: lossesOf(history), weights: model.getWeights(), accuracy: { value: correct / 18, chance: 1 / 3 } };
};
export default program;
