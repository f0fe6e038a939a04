/**
 * mnist-node: the Node MNIST trainer: a deeper convnet (two conv2d, maxPooling2d, two more
 * conv2d, maxPooling2d, flatten, dropout, Dense) with RMSprop, a validation split, then
 * evaluate on test data and model.save to a file:// directory (tfjs-node's saver) and load back.
 */
import { lcg, lossesOf, syntheticDigits, type Program } from './program.js';

const program: Program = async (tf, env) => {
  const train = syntheticDigits(lcg(31), 50);
  const test = syntheticDigits(lcg(32), 20);
  const tensors = (data: { pixels: number[]; labels: number[] }) => ({
    images: tf.tensor4d(data.pixels, [data.labels.length, 28, 28, 1]),
    labels: tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10).toFloat(),
  });
  const trainData = tensors(train);
  const testData = tensors(test);
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
  model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: [2, 2] }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.25 }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(trainData.images, trainData.labels, { epochs: 6, batchSize: 16, validationSplit: 0.2 });
  const [, accuracy] = model.evaluate(testData.images, testData.labels) as ReturnType<typeof tf.scalar>[];
  const url = env.saveUrl('mnist-node');
  await model.save(url);
  const loaded = await tf.loadLayersModel(env.loadUrl('mnist-node'));
  const same = (loaded.predict(testData.images) as ReturnType<typeof tf.tensor2d>).sub(model.predict(testData.images) as ReturnType<typeof tf.tensor2d>).abs().max().dataSync()[0]!;
  if (!(same < 1e-5)) throw new Error(`mnist-node: the loaded model predicts differently (${same})`);
  return { losses: lossesOf(history), weights: model.getWeights(), accuracy: { value: accuracy!.dataSync()[0]!, chance: 0.1 } };
};
export default program;
