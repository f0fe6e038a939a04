/**
 * custom-layer: the "antirectifier" layer, a subclass of tf.layers.Layer that centres each
 * sample, L2-normalizes it and concatenates its positive and negative parts (twice the
 * features, computeOutputShape says so), registered with tf.serialization; a classifier
 * Dense -> Antirectifier -> Dense softmax on 20-feature, 4-class data; the layer's output split
 * into its two halves with tf.split.
 */
import { lcg, lossesOf, uniformRows, type Program } from './program.js';

const program: Program = async (tf) => {
  class Antirectifier extends tf.layers.Layer {
    static className = 'Antirectifier';
    override computeOutputShape(inputShape: number[]): number[] {
      return [inputShape[0]!, inputShape[1]! * 2];
    }
    override call(inputs: ReturnType<typeof tf.tensor2d> | ReturnType<typeof tf.tensor2d>[]) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const centred = x.sub(x.mean(1, true));
        const normalized = centred.div(centred.square().sum(1, true).add(1e-6).sqrt());
        return tf.concat([tf.relu(normalized), tf.relu(tf.neg(normalized))], 1);
      });
    }
  }
  tf.serialization.registerClass(Antirectifier);
  const random = lcg(20);
  const rows = uniformRows(random, 96, 20);
  const labels = rows.map((r) => (r[0]! > 0 ? 1 : 0) + (r[1]! > 0 ? 2 : 0));
  const xs = tf.tensor2d(rows);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 16, inputShape: [20] }));
  model.add(new Antirectifier({}));
  model.add(tf.layers.dense({ units: 4, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: 'rmsprop', metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, { epochs: 12, batchSize: 16 });
  const antirectified = model.layers[1]!.apply(model.layers[0]!.apply(xs.slice([0, 0], [4, 20]))) as ReturnType<typeof tf.tensor2d>;
  const [positive, negative] = tf.split(antirectified, 2, 1);
  if (positive!.min().dataSync()[0]! < 0 || negative!.min().dataSync()[0]! < 0) throw new Error('custom-layer: a negative part');
  const accuracy = history.history.acc as number[];
  return { losses: lossesOf(history), weights: model.getWeights(), accuracy: { value: Number(accuracy[accuracy.length - 1]), chance: 0.25 } };
};
export default program;
