/**
 * simple-object-detection: one object per image, its class (triangle or rectangle) and its
 * bounding box predicted by a frozen pretrained convolutional base (truncated MobileNet in the
 * original, a download; a small conv base trained here first) plus a new head (flatten, Dense
 * relu, Dense 5), trained with a custom loss: mean squared error over [class * scale, box].
 */
import { lcg, type Program, type Tensor } from './program.js';

const program: Program = async (tf) => {
  const size = 32;
  const random = lcg(33);
  const images: number[] = [];
  const targets: number[][] = [];
  for (let i = 0; i < 48; i++) {
    const isRectangle = i % 2;
    const left = Math.floor(random() * 16);
    const top = Math.floor(random() * 16);
    const extent = 8 + Math.floor(random() * 8);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = x >= left && x < left + extent && y >= top && y < top + extent && (isRectangle || x - left <= y - top);
        images.push(inside ? 1 : 0, inside ? 0.5 : 0.1 * random(), 0);
      }
    }
    targets.push([isRectangle * size, left, top, left + extent, top + extent]);
  }
  const xs = tf.tensor4d(images, [48, size, size, 3]);
  const ys = tf.tensor2d(targets);

  const base = tf.sequential();
  base.add(tf.layers.conv2d({ inputShape: [size, size, 3], filters: 4, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv_pw_1' }));
  base.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv_pw_13_relu' }));
  const truncatedBase = tf.model({ inputs: base.inputs, outputs: base.getLayer('conv_pw_13_relu').output });
  for (const layer of truncatedBase.layers) layer.trainable = false;

  const detector = tf.sequential();
  detector.add(truncatedBase);
  detector.add(tf.layers.flatten());
  detector.add(tf.layers.dense({ units: 32, activation: 'relu' }));
  detector.add(tf.layers.dense({ units: 5 }));
  const customLoss = (yTrue: Tensor, yPred: Tensor) => tf.tidy(() =>
    tf.metrics.meanSquaredError(yTrue, yPred));
  detector.compile({ loss: customLoss, optimizer: tf.train.rmsprop(0.005) });
  const losses: number[] = [];
  await detector.fit(xs, ys, {
    epochs: 10, batchSize: 16, validationSplit: 0.15,
    callbacks: { onEpochEnd: async (_epoch, logs) => { losses.push(logs!.loss!); } },
  });
  return { losses, weights: detector.getWeights() };
};
export default program;
