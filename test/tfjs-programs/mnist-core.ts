/**
 * mnist-core (tfjs-examples, Core API): a convolutional classifier written with ops on
 * tf.variable weights (no layers): x.as4D, x.conv2d(filter, 1, 'same').relu().maxPool([2, 2],
 * 2, 0) twice, as2D, matMul and add, tf.losses.softmaxCrossEntropy(labels, logits).mean(),
 * trained by tf.train.sgd's minimize(f, returnCost), predictions by argMax.
 */
import { lcg, syntheticDigits, type Program, type Tensor } from './program.js';

const program: Program = async (tf) => {
  const optimizer = tf.train.sgd(0.1);
  const conv1Weights = tf.variable(tf.randomNormal([5, 5, 1, 8], 0, 0.1, 'float32', 1));
  const conv2Weights = tf.variable(tf.randomNormal([5, 5, 8, 16], 0, 0.1, 'float32', 2));
  const fullyConnectedWeights = tf.variable(tf.randomNormal([7 * 7 * 16, 10], 0, 1 / Math.sqrt(7 * 7 * 16), 'float32', 3));
  const fullyConnectedBias = tf.variable(tf.zeros([10]));
  const model = (inputXs: Tensor) => {
    const xs = inputXs.as4D(-1, 28, 28, 1);
    const layer1 = tf.tidy(() => xs.conv2d(conv1Weights as ReturnType<typeof tf.tensor4d>, 1, 'same').relu().maxPool([2, 2], 2, 0));
    const layer2 = tf.tidy(() => layer1.conv2d(conv2Weights as ReturnType<typeof tf.tensor4d>, 1, 'same').relu().maxPool([2, 2], 2, 0));
    return layer2.as2D(-1, fullyConnectedWeights.shape[0]!).matMul(fullyConnectedWeights).add(fullyConnectedBias);
  };
  const { pixels, labels } = syntheticDigits(lcg(11), 20);
  const xs = tf.tensor2d(pixels, [20, 784]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model(xs)).mean() as ReturnType<typeof tf.scalar>, true)!;
    losses.push(cost.dataSync()[0]!);
    await tf.nextFrame();
  }
  const predicted = tf.tidy(() => model(xs).argMax(1));
  const correct = predicted.equal(ys.argMax(1)).sum().dataSync()[0]!;
  return { losses, weights: [conv1Weights, conv2Weights, fullyConnectedWeights, fullyConnectedBias], accuracy: { value: correct / 20, chance: 0.1 } };
};
export default program;
