/**
 * webcam-transfer-learning (tfjs-examples): a pretrained network cut at an inner layer
 * (tf.model({inputs: base.inputs, outputs: base.getLayer(name).output}); here a small conv
 * network stands in for MobileNet) embeds the captured frames, a ControllerDataset keeps them
 * with tf.keep and concat, and a separate Sequential (flatten with the layer's outputShape,
 * Dense with varianceScaling) is trained on the embeddings; frames are classified through both.
 */
import { lcg, type Program, type Tensor } from './program.js';

const program: Program = async (tf) => {
  const numClasses = 4;
  const base = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 6, kernelSize: 3, activation: 'relu', name: 'conv_1' }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'conv_pw_13_relu' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
  const layer = base.getLayer('conv_pw_13_relu');
  const truncated = tf.model({ inputs: base.inputs, outputs: layer.output as ReturnType<typeof tf.input> });
  const random = lcg(5);
  // A frame of class k: a bright quadrant k in one colour channel, plus noise.
  const capture = (label: number) => tf.tensor4d(Array.from({ length: 12 * 12 * 3 }, (_, i) => {
    const [row, col, channel] = [Math.floor(i / 36), Math.floor(i / 3) % 12, i % 3];
    const quadrant = (row < 6 ? 0 : 2) + (col < 6 ? 0 : 1);
    return (quadrant === label && channel === label % 3 ? 1 : 0) + 0.2 * random();
  }), [1, 12, 12, 3]);
  let xs: Tensor | undefined;
  let ys: Tensor | undefined;
  const addExample = (example: Tensor, label: number) => {
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([label]).toInt(), numClasses));
    if (!xs || !ys) {
      xs = tf.keep(example);
      ys = tf.keep(y);
      return;
    }
    const [oldX, oldY] = [xs, ys];
    xs = tf.keep(oldX.concat(example, 0));
    ys = tf.keep(oldY.concat(y, 0));
    tf.dispose([oldX, oldY, y]);
  };
  for (let i = 0; i < 24; i++) tf.tidy(() => addExample(truncated.predict(capture(i % numClasses)) as Tensor, i % numClasses));
  const model = tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: (layer.outputShape as number[]).slice(1) }),
    tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: 'varianceScaling', useBias: true }),
    tf.layers.dense({ units: numClasses, kernelInitializer: 'varianceScaling', useBias: false, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  await model.fit(xs!, ys!, { batchSize: Math.floor(xs!.shape[0]! * 0.4), epochs: 10, callbacks: { onBatchEnd: async (_batch, logs) => { losses.push(logs!.loss!); } } });
  let correct = 0;
  for (let i = 0; i < 8; i++) {
    const predictedClass = tf.tidy(() => (model.predict(truncated.predict(capture(i % numClasses)) as Tensor) as Tensor).as1D().argMax());
    if ((await predictedClass.data())[0] === i % numClasses) correct++;
    predictedClass.dispose();
  }
  return { losses: [losses[0]!, losses.at(-1)!], weights: model.getWeights(), accuracy: { value: correct / 8, chance: 1 / numClasses } };
};
export default program;
