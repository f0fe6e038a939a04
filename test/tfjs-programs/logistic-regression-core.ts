/**
 * Logistic regression in the Core API, as TF.js users write it without layers: tf.variable
 * weights, logits by x.dot(w), the numerically stable loss -y logSigmoid(z) - (1 - y)
 * logSigmoid(-z) written with tf.softplus (TF.js 4.22 cannot differentiate tf.logSigmoid of a
 * computed tensor: 'Cannot read properties of undefined (reading 'backend')'), an L2 penalty
 * summed with tf.addN, optimizer.computeGradients then applyGradients each step, then the
 * log-likelihood by tf.logSigmoid and a per-example pick of the predicted class's probability
 * with tf.gather's batchDims.
 */
import { lcg, type Program, type TFJSVariableMap } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(23);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 60; i++) {
    const label = i % 2;
    points.push([random() * 2 - 1 + (label ? 0.8 : -0.8), random() * 2 - 1 + (label ? 0.5 : -0.5)]);
    labels.push(label);
  }
  const x = tf.tensor2d(points);
  const y = tf.tensor2d(labels, [60, 1]);
  const w = tf.variable(tf.zeros([2, 1]), true, 'logistic_w');
  const b = tf.variable(tf.zeros([1]), true, 'logistic_b');
  const optimizer = tf.train.momentum(0.5, 0.9);
  const loss = () => tf.tidy(() => {
    const z = x.dot(w).add(b);
    const nll = y.mul(tf.softplus(z.neg())).add(tf.scalar(1).sub(y).mul(tf.softplus(z))).mean();
    return tf.addN([nll, w.square().sum().mul(0.001), b.square().sum().mul(0.001)]) as ReturnType<typeof tf.scalar>;
  });
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const { value, grads } = optimizer.computeGradients(loss, [w, b]);
    optimizer.applyGradients(grads as unknown as TFJSVariableMap);
    losses.push(value.dataSync()[0]!);
    tf.dispose([value, grads]);
  }
  const { accuracy, confidence, logLikelihood } = tf.tidy(() => {
    const z = x.dot(w).add(b);
    const p = tf.sigmoid(z);
    const probabilities = tf.concat([tf.scalar(1).sub(p), p], 1);
    const predicted = probabilities.argMax(1);
    const picked = tf.gather(probabilities, predicted.expandDims(1), 1, 1);
    return {
      accuracy: predicted.equal(y.squeeze([1]).toInt()).toFloat().mean().dataSync()[0]!,
      confidence: picked.min().dataSync()[0]!,
      logLikelihood: y.mul(tf.logSigmoid(z)).add(tf.scalar(1).sub(y).mul(tf.logSigmoid(z.neg()))).mean().dataSync()[0]!,
    };
  });
  if (!(confidence >= 0.5)) throw new Error(`the picked probabilities are those of the predicted class: min ${confidence}`);
  if (!(logLikelihood > -losses.at(-1)! - 0.01 && logLikelihood < 0)) throw new Error(`log-likelihood ${logLikelihood} is not minus the last loss ${losses.at(-1)} less the penalty`);
  return { losses, weights: [w, b], accuracy: { value: accuracy, chance: 0.5 } };
};
export default program;
