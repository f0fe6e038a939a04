/** getting-started: one Dense unit learns y = 2x - 1 with SGD and mean squared error, then predicts. */
import { lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1] }));
  model.compile({ loss: 'meanSquaredError', optimizer: 'sgd' });
  const xs = tf.tensor2d([-1, 0, 1, 2, 3, 4], [6, 1]);
  const ys = tf.tensor2d([-3, -1, 1, 3, 5, 7], [6, 1]);
  const history = await model.fit(xs, ys, { epochs: 30 });
  const prediction = model.predict(tf.tensor2d([20], [1, 1])) as ReturnType<typeof tf.tensor2d>;
  prediction.dataSync();
  return { losses: lossesOf(history), weights: model.getWeights() };
};
export default program;
