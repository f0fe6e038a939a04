/**
 * mnist: a convnet (conv2d, maxPooling2d, conv2d, maxPooling2d, flatten, Dense relu, Dense
 * softmax) on 28x28x1 digits with one-hot labels, RMSprop, categorical cross-entropy, a
 * validation split and onBatchEnd/onEpochEnd callbacks with tf.nextFrame; then evaluate and
 * argMax predictions.
 */
import { lcg, lossesOf, syntheticDigits, type Program } from './program.js';

const program: Program = async (tf) => {
  const { pixels, labels } = syntheticDigits(lcg(28), 60);
  const images = tf.tensor4d(pixels, [60, 28, 28, 1]);
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], kernelSize: 3, filters: 4, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ kernelSize: 3, filters: 8, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten({}));
  model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  let batches = 0;
  const history = await model.fit(images, oneHot, {
    batchSize: 16, validationSplit: 0.15, epochs: 8,
    callbacks: { onBatchEnd: async () => { batches++; await tf.nextFrame(); }, onEpochEnd: async () => { await tf.nextFrame(); } },
  });
  if (batches === 0) throw new Error('mnist: onBatchEnd never called');
  const [, accuracy] = model.evaluate(images, oneHot) as ReturnType<typeof tf.scalar>[];
  const predictions = (model.predict(images.slice([0, 0, 0, 0], [10, 28, 28, 1])) as ReturnType<typeof tf.tensor2d>).argMax(-1);
  predictions.dataSync();
  return { losses: lossesOf(history), weights: model.getWeights(), accuracy: { value: accuracy!.dataSync()[0]!, chance: 0.1 } };
};
export default program;
