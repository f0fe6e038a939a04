/**
 * mnist-transfer-cnn: a convnet trained on digits 0-4 (loaded with tf.loadLayersModel in the
 * original), then retrained on 5-9 with its convolutional layers frozen (layer.trainable =
 * false, recompiled), checking that the frozen weights did not move.
 */
import { lcg, lossesOf, syntheticDigits, type Program } from './program.js';

const program: Program = async (tf, env) => {
  const data = syntheticDigits(lcg(40), 60);
  const images = tf.tensor4d(data.pixels, [60, 28, 28, 1]);
  const labels = tf.tensor1d(data.labels, 'int32');
  const firstHalf = tf.tensor1d(data.labels.map((_, i) => i).filter((i) => data.labels[i]! < 5), 'int32');
  const secondHalf = tf.tensor1d(data.labels.map((_, i) => i).filter((i) => data.labels[i]! >= 5), 'int32');
  const build = () => {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ filters: 4, kernelSize: [3, 3], activation: 'relu', inputShape: [28, 28, 1] }));
    model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
    model.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
    return model;
  };
  const base = build();
  base.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['acc'] });
  await base.fit(tf.gather(images, firstHalf), tf.oneHot(tf.gather(labels, firstHalf), 5).toFloat(), { epochs: 3, batchSize: 16 });
  await base.save(env.saveUrl('transfer-base'));
  const model = await tf.loadLayersModel(env.loadUrl('transfer-base'));
  for (const layer of model.layers) if (layer.getClassName() === 'Conv2D') layer.trainable = false;
  model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['acc'] });
  const frozenBefore = model.layers[0]!.getWeights()[0]!.clone();
  const history = await model.fit(
    tf.gather(images, secondHalf), tf.oneHot(tf.gather(labels, secondHalf).sub(tf.scalar(5, 'int32')), 5).toFloat(),
    { epochs: 6, batchSize: 16, validationSplit: 0.15 },
  );
  const moved = frozenBefore.sub(model.layers[0]!.getWeights()[0]!).abs().max().dataSync()[0];
  if (moved !== 0) throw new Error('mnist-transfer-cnn: a frozen layer trained');
  return { losses: lossesOf(history), weights: model.getWeights() };
};
export default program;
