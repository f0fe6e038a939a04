/**
 * polynomial-regression-core (tfjs-examples, Core API): the coefficients of a cubic learned as
 * four tf.variable scalars by tf.train.sgd's minimize, data from tf.randomUniform and
 * tf.randomNormal (seeded here) normalized to [0, 1], x.pow(tf.scalar(3, 'int32')) as the
 * original writes it, tf.nextFrame between steps.
 */
import type { Program, Tensor } from './program.js';

const program: Program = async (tf) => {
  const [a, b, c, d] = [0.3, 0.6, 0.1, 0.9].map((v) => tf.variable(tf.scalar(v)));
  const optimizer = tf.train.sgd(0.5);
  const { xs, ys } = tf.tidy(() => {
    const [ta, tb, tc, td] = [-0.8, -0.2, 0.9, 0.5].map((v) => tf.scalar(v));
    const x = tf.randomUniform([100], -1, 1, 'float32', 3);
    const y = ta!.mul(x.pow(tf.scalar(3))).add(tb!.mul(x.square())).add(tc!.mul(x)).add(td!)
      .add(tf.randomNormal([100], 0, 0.04, 'float32', 4));
    const ymin = y.min();
    return { xs: x, ys: y.sub(ymin).div(y.max().sub(ymin)) };
  });
  const predict = (x: Tensor) => tf.tidy(() => a!.mul(x.pow(tf.scalar(3, 'int32'))).add(b!.mul(x.square())).add(c!.mul(x)).add(d!));
  const losses: number[] = [];
  for (let iter = 0; iter < 40; iter++) {
    const cost = optimizer.minimize(() => predict(xs).sub(ys).square().mean() as ReturnType<typeof tf.scalar>, true)!;
    losses.push(cost.dataSync()[0]!);
    cost.dispose();
    await tf.nextFrame();
  }
  return { losses: [losses[0]!, losses.at(-1)!], weights: [a!, b!, c!, d!] };
};
export default program;
