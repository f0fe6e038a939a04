/**
 * fashion-mnist-vae: a variational autoencoder on flattened 28x28 images: an encoder (Dense
 * relu, then zMean and zLogVar), a custom sampling layer (a tf.layers.Layer subclass drawing
 * tf.randomNormal noise), a decoder (Dense relu, Dense sigmoid), the three joined as
 * functional models; the loss (binary cross-entropy reconstruction plus KL divergence) is
 * minimized by optimizer.minimize over batches.
 */
import { lcg, syntheticDigits, type Program } from './program.js';

const program: Program = async (tf) => {
  const originalDim = 784;
  const intermediateDim = 32;
  const latentDim = 2;
  const { pixels } = syntheticDigits(lcg(77), 48);
  const images = tf.tensor2d(pixels, [48, originalDim]);

  class ZLayer extends tf.layers.Layer {
    static className = 'ZLayer';
    override computeOutputShape(inputShape: number[][]): number[] {
      return inputShape[0]!;
    }
    override call(inputs: ReturnType<typeof tf.tensor2d> | ReturnType<typeof tf.tensor2d>[]) {
      const [zMean, zLogVar] = inputs as ReturnType<typeof tf.tensor2d>[];
      const epsilon = tf.randomNormal(zMean!.shape, 0, 1, 'float32', 5);
      return zMean!.add(zLogVar!.mul(0.5).exp().mul(epsilon));
    }
  }
  tf.serialization.registerClass(ZLayer);

  const encoderInput = tf.input({ shape: [originalDim], name: 'encoder_input' });
  const hidden = tf.layers.dense({ units: intermediateDim, activation: 'relu' }).apply(encoderInput);
  const zMean = tf.layers.dense({ units: latentDim, name: 'z_mean' }).apply(hidden);
  const zLogVar = tf.layers.dense({ units: latentDim, name: 'z_log_var' }).apply(hidden);
  const z = new ZLayer({ name: 'z' }).apply([zMean, zLogVar] as never);
  const encoder = tf.model({ inputs: encoderInput, outputs: [zMean, zLogVar, z] as ReturnType<typeof tf.input>[], name: 'encoder' });
  const decoderInput = tf.input({ shape: [latentDim], name: 'z_sampling' });
  const decoded = tf.layers.dense({ units: originalDim, activation: 'sigmoid' })
    .apply(tf.layers.dense({ units: intermediateDim, activation: 'relu' }).apply(decoderInput));
  const decoder = tf.model({ inputs: decoderInput, outputs: decoded as ReturnType<typeof tf.input>, name: 'decoder' });
  const [encodedMean, encodedLogVar, encodedZ] = encoder.apply(encoderInput) as ReturnType<typeof tf.input>[];
  const vae = tf.model({
    inputs: encoderInput,
    outputs: [decoder.apply(encodedZ!) as ReturnType<typeof tf.input>, encodedMean!, encodedLogVar!],
    name: 'vae',
  });
  const vaeLoss = (inputs: ReturnType<typeof tf.tensor2d>, outputs: ReturnType<typeof tf.tensor2d>[]) => tf.tidy(() => {
    const [decoderOutput, mean, logVar] = outputs as [ReturnType<typeof tf.tensor2d>, ReturnType<typeof tf.tensor2d>, ReturnType<typeof tf.tensor2d>];
    const reconstruction = tf.metrics.binaryCrossentropy(inputs, decoderOutput).mul(originalDim);
    const kl = tf.scalar(1).add(logVar).sub(mean.square()).sub(logVar.exp()).sum(-1).mul(-0.5);
    return reconstruction.add(kl).mean() as ReturnType<typeof tf.scalar>;
  });
  const optimizer = tf.train.adam(0.005);
  const losses: number[] = [];
  for (let epoch = 0; epoch < 8; epoch++) {
    let total = 0;
    for (let start = 0; start < 48; start += 16) {
      const batch = images.slice([start, 0], [16, originalDim]);
      const loss = optimizer.minimize(() => vaeLoss(batch, vae.apply(batch, { training: true }) as ReturnType<typeof tf.tensor2d>[]), true);
      total += loss!.dataSync()[0]!;
      tf.dispose([loss!, batch]);
    }
    losses.push(total / 3);
  }
  return { losses, weights: vae.getWeights() };
};
export default program;
