/**
 * quantization: how much accuracy a model loses when its weights are stored in 8 or 16 bits
 * (the converter's quantization in the original): a housing MLP is trained, each weight is
 * quantized and dequantized with tensor ops (min, max, round), set back with setWeights, and
 * the model is evaluated before and after.
 */
import { lcg, lossesOf, uniformRows, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(50);
  const rows = uniformRows(random, 80, 12);
  const xs = tf.tensor2d(rows);
  const ys = tf.tensor2d(rows.map((r) => [r[0]! * 2 - r[5]! + 0.5 * r[9]! * r[2]!]));
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 24, activation: 'relu', inputShape: [12] }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ loss: 'meanSquaredError', optimizer: tf.train.adam(0.02) });
  const history = await model.fit(xs, ys, { epochs: 15, batchSize: 16 });
  const lossBefore = (model.evaluate(xs, ys) as ReturnType<typeof tf.scalar>).dataSync()[0]!;
  const trained = model.getWeights().map((w) => w.clone());
  for (const bits of [16, 8]) {
    const levels = 2 ** bits - 1;
    const quantized = trained.map((w) => tf.tidy(() => {
      const min = w.min();
      const scale = w.max().sub(min).div(tf.scalar(levels)).add(tf.scalar(1e-12));
      return w.sub(min).div(scale).round().mul(scale).add(min);
    }));
    model.setWeights(quantized);
    const loss = (model.evaluate(xs, ys) as ReturnType<typeof tf.scalar>).dataSync()[0]!;
    if (!(Math.abs(loss - lossBefore) < 0.1 * lossBefore + 1e-3)) throw new Error(`quantization: ${bits}-bit weights lose too much (${loss} vs ${lossBefore})`);
  }
  model.setWeights(trained);
  return { losses: lossesOf(history), weights: model.getWeights() };
};
export default program;
