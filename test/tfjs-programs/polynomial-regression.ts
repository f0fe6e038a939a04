/**
 * polynomial-regression: four scalar variables a..d fit y = a x^3 + b x^2 + c x + d to noisy
 * samples of a cubic with optimizer.minimize, the loss written with tensor methods.
 */
import { lcg, type Program, type Tensor } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(4);
  const xValues = Array.from({ length: 40 }, () => random() * 2 - 1);
  const yValues = xValues.map((x) => -0.8 * x ** 3 - 0.2 * x ** 2 + 0.9 * x + 0.5 + (random() - 0.5) * 0.04);
  const [a, b, c, d] = [0.1, 0.2, 0.3, 0.4].map((v) => tf.variable(tf.scalar(v)));
  const predict = (x: Tensor) => tf.tidy(() =>
    a!.mul(x.pow(tf.scalar(3, 'int32'))).add(b!.mul(x.square())).add(c!.mul(x)).add(d!));
  const loss = (prediction: Tensor, labels: Tensor) =>
    prediction.sub(labels).square().mean() as ReturnType<typeof tf.scalar>;
  const xs = tf.tensor1d(xValues);
  const ys = tf.tensor1d(yValues);
  const optimizer = tf.train.sgd(0.5);
  const losses: number[] = [];
  for (let i = 0; i < 75; i++) {
    const cost = optimizer.minimize(() => loss(predict(xs), ys), true);
    if (i % 5 === 0) losses.push(cost!.dataSync()[0]!);
    cost!.dispose();
  }
  return { losses, weights: [a!, b!, c!, d!] };
};
export default program;
