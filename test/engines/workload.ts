/**
 * The cross-engine workload: small trainings that touch what engines could disagree on (shuffle
 * and dropout randomness, a ragged last batch, Adam's square roots, NaN bits, convolution and
 * pooling kernels), each reduced to a weights digest. Every model has an explicit name because
 * unnamed models are numbered in creation order, and the runner calls this once per backend and
 * thread count in one process: a digest must not depend on how many runs came before it.
 */
import type * as Verbatim from 'verbatim';

export type Digests = Record<string, string>;
/** What the runner runs: a workload given the library, answering digests by name. */
export type Workload = (vb: typeof Verbatim) => Promise<Digests>;

export const engineWorkload: Workload = async (vb) => {
  vb.setRandomSeed(7);
  const rng = vb.random.generator(7);
  const digests: Digests = {};

  // (a) Dense + dropout, shuffled, 90 examples in batches of 16 (the last batch has 10).
  const x = rng.normal([90, 12]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
  const mlp = vb.sequential({
    name: 'engines_mlp',
    layers: [
      vb.layers.dense({ units: 24, activation: 'relu', inputShape: [12] }),
      vb.layers.dropout({ rate: 0.25 }),
      vb.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  mlp.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await mlp.fit(x, y, { epochs: 2, batchSize: 16, shuffle: true, verbose: 0 });
  digests.mlp = mlp.weightsDigest();

  // (b) Divergence: SGD with learning rate 1e30 overflows the weights to Infinity, then Inf - Inf
  // makes NaN, whose bits must be the canonical 0x7fc00000 on every engine and backend.
  // trainOnBatch, unlike fit, does not stop at the first NaN loss.
  const diverge = vb.sequential({ name: 'engines_diverge', layers: [vb.layers.dense({ units: 3, inputShape: [4] })] });
  diverge.compile({ optimizer: vb.optimizers.sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' });
  const xd = rng.normal([8, 4]);
  const yd = rng.normal([8, 3]);
  for (let step = 0; step < 4; step++) await diverge.trainOnBatch(xd, yd);
  digests.diverge = diverge.weightsDigest();

  // (c) Convolution and max pooling, one shuffled epoch of 20 images in batches of 8.
  const images = rng.normal([20, 8, 8, 2]);
  const labels = vb.oneHot(vb.cast(vb.greater(vb.mean(images, [1, 2, 3]), 0), 'int32'), 2);
  const cnn = vb.sequential({
    name: 'engines_cnn',
    layers: [
      vb.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }),
      vb.layers.maxPooling2d({ poolSize: 2 }),
      vb.layers.flatten(),
      vb.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  cnn.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await cnn.fit(images, labels, { epochs: 1, batchSize: 8, shuffle: true, verbose: 0 });
  digests.cnn = cnn.weightsDigest();

  for (const model of [mlp, diverge, cnn]) model.dispose();
  vb.dispose([x, y, xd, yd, images, labels]);
  return digests;
};
