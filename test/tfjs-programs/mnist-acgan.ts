/**
 * mnist-acgan: an auxiliary-classifier GAN on 28x28x1 digits. The generator embeds the class
 * (tf.layers.embedding), multiplies it with the latent vector, and upsamples with Dense,
 * reshape, conv2dTranspose and batchNormalization to a tanh image; the discriminator
 * (conv2d, leakyReLU, dropout, flatten) has two heads: real/fake (sigmoid, binary
 * cross-entropy) and class (softmax, sparse categorical cross-entropy). The combined model
 * freezes the discriminator (trainable = false) and trains the generator; both with
 * trainOnBatch and soft labels.
 */
import { lcg, syntheticDigits, type Program } from './program.js';

const program: Program = async (tf) => {
  const latentSize = 8;
  const numClasses = 10;
  const batchSize = 16;
  const buildGenerator = () => {
    const cnn = tf.sequential();
    cnn.add(tf.layers.dense({ units: 7 * 7 * 8, inputShape: [latentSize], activation: 'relu' }));
    cnn.add(tf.layers.reshape({ targetShape: [7, 7, 8] }));
    cnn.add(tf.layers.conv2dTranspose({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: 'glorotNormal' }));
    cnn.add(tf.layers.batchNormalization());
    cnn.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: 'glorotNormal' }));
    const latent = tf.input({ shape: [latentSize] });
    const imageClass = tf.input({ shape: [1] });
    const classEmbedding = tf.layers.embedding({ inputDim: numClasses, outputDim: latentSize, embeddingsInitializer: 'glorotNormal' }).apply(imageClass);
    const h = tf.layers.multiply().apply([latent, tf.layers.flatten().apply(classEmbedding)] as never);
    return tf.model({ inputs: [latent, imageClass], outputs: cnn.apply(h) as ReturnType<typeof tf.input> });
  };
  const buildDiscriminator = () => {
    const cnn = tf.sequential();
    cnn.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', strides: 2, inputShape: [28, 28, 1] }));
    cnn.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    cnn.add(tf.layers.dropout({ rate: 0.3 }));
    cnn.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', strides: 2 }));
    cnn.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    cnn.add(tf.layers.flatten());
    const image = tf.input({ shape: [28, 28, 1] });
    const features = cnn.apply(image);
    const realness = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(features) as ReturnType<typeof tf.input>;
    const auxiliary = tf.layers.dense({ units: numClasses, activation: 'softmax' }).apply(features) as ReturnType<typeof tf.input>;
    const model = tf.model({ inputs: image, outputs: [realness, auxiliary] });
    model.compile({ optimizer: tf.train.adam(0.0005, 0.5), loss: ['binaryCrossentropy', 'sparseCategoricalCrossentropy'] });
    return model;
  };
  const discriminator = buildDiscriminator();
  const generator = buildGenerator();
  const latent = tf.input({ shape: [latentSize] });
  const imageClass = tf.input({ shape: [1] });
  const fake = generator.apply([latent, imageClass]) as ReturnType<typeof tf.input>;
  discriminator.trainable = false;
  const [fakeness, auxiliary] = discriminator.apply(fake) as ReturnType<typeof tf.input>[];
  const combined = tf.model({ inputs: [latent, imageClass], outputs: [fakeness!, auxiliary!] });
  combined.compile({ optimizer: tf.train.adam(0.0005, 0.5), loss: ['binaryCrossentropy', 'sparseCategoricalCrossentropy'] });

  const random = lcg(88);
  const real = syntheticDigits(random, 64);
  const realImages = tf.tensor4d(real.pixels, [64, 28, 28, 1]).mul(2).sub(1);
  const realLabels = tf.tensor2d(real.labels, [64, 1]);
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    const start = (step % 4) * batchSize;
    const imageBatch = realImages.slice([start, 0, 0, 0], [batchSize, 28, 28, 1]);
    const labelBatch = realLabels.slice([start, 0], [batchSize, 1]);
    const noise = tf.randomUniform([batchSize, latentSize], -1, 1, 'float32', step);
    const sampledLabels = tf.randomUniform([batchSize, 1], 0, numClasses, 'int32', 1000 + step).asType('float32');
    const generated = generator.predict([noise, sampledLabels], { batchSize }) as ReturnType<typeof tf.tensor4d>;
    const x = tf.concat([imageBatch, generated], 0);
    const y = tf.tensor1d([...Array(batchSize).fill(0.95), ...Array(batchSize).fill(0)]).reshape([2 * batchSize, 1]);
    const auxY = tf.concat([labelBatch, sampledLabels], 0);
    const discriminatorLosses = await discriminator.trainOnBatch(x, [y, auxY]) as number[];
    losses.push(discriminatorLosses[0]!);
    const combinedNoise = tf.randomUniform([2 * batchSize, latentSize], -1, 1, 'float32', 2000 + step);
    const combinedLabels = tf.randomUniform([2 * batchSize, 1], 0, numClasses, 'int32', 3000 + step).asType('float32');
    await combined.trainOnBatch([combinedNoise, combinedLabels], [tf.ones([2 * batchSize, 1]).mul(0.95), combinedLabels]);
    tf.dispose([imageBatch, labelBatch, noise, sampledLabels, generated, x, y, auxY, combinedNoise, combinedLabels]);
  }
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  return { losses: [mean(losses.slice(0, 3)), mean(losses.slice(-3))], weights: [...generator.getWeights(), ...discriminator.getWeights()] };
};
export default program;
