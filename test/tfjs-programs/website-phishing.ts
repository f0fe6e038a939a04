/**
 * website-phishing: 30 page features, z-score normalized, a binary classifier (Dense relu
 * layers and a sigmoid unit) trained with binary cross-entropy, then scored with
 * tf.metrics.precision and tf.metrics.recall on thresholded predictions.
 */
import { lcg, lossesOf, uniformRows, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(30);
  const rows = uniformRows(random, 120, 30);
  const labels = rows.map((r) => (r[0]! + r[3]! - r[7]! + 0.5 * r[12]! > 0 ? 1 : 0));
  const raw = tf.tensor2d(rows);
  const { mean, variance } = tf.moments(raw, 0);
  const xs = raw.sub(mean).div(variance.sqrt().add(1e-6));
  const ys = tf.tensor2d(labels, [120, 1]);
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [30], units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, { epochs: 15, batchSize: 32, validationSplit: 0.2, shuffle: true });
  const predictions = (model.predict(xs) as ReturnType<typeof tf.tensor2d>).greater(0.5).cast('float32');
  const precision = tf.metrics.precision(ys, predictions).dataSync()[0]!;
  tf.metrics.recall(ys, predictions).dataSync();
  return { losses: lossesOf(history), weights: model.getWeights(), accuracy: { value: precision, chance: 0.5 } };
};
export default program;
