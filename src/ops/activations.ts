/**
 * Activation functions, composed from primitives. softmax and logSoftmax have closed-form
 * backward passes; their canonical order: m = max over the axis, e = exp(x - m), s = sum of e
 * (the reduction order of sum), softmax = e / s and logSoftmax = (x - m) - log(s).
 */
import { withGradient } from '../autograd/custom.js';
import { invalid } from '../errors.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorLike } from './creation.js';
import {
  abs, add, asFloat, div, erf, exp, expm1, greater, log, minimum, mul, relu, sigmoid, sub, tanh, where,
} from './elementwise.js';
import { op } from './op.js';
import { max, reductionAxes, sum } from './reduction.js';
import { reshape } from './shape.js';

export const relu6 = op((x: TensorLike): Tensor => minimum(relu(asFloat(x, 'relu6')), 6));

export const elu = op((x: TensorLike, alpha: number = 1): Tensor => {
  const t = asFloat(x, 'elu');
  return where(greater(t, 0), t, mul(expm1(t), alpha));
});

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export const selu = op((x: TensorLike): Tensor => mul(elu(x, SELU_ALPHA), SELU_SCALE));

/** x where x > 0, alpha * x elsewhere (alpha defaults to 0.2, as in TF.js and keras.activations). */
export const leakyRelu = op((x: TensorLike, alpha: number = 0.2): Tensor => {
  const t = asFloat(x, 'leakyRelu');
  return where(greater(t, 0), t, mul(t, alpha));
});

export const softsign = op((x: TensorLike): Tensor => {
  const t = asFloat(x, 'softsign');
  return div(t, add(abs(t), 1));
});

/** x * sigmoid(x), also called SiLU. */
export const swish = op((x: TensorLike): Tensor => {
  const t = asFloat(x, 'swish');
  return mul(t, sigmoid(t));
});

/**
 * Gaussian error linear unit: x * 0.5 * (1 + erf(x / sqrt(2))), or with `approximate` the tanh
 * form 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
 */
export const gelu = op((x: TensorLike, approximate: boolean = false): Tensor => {
  const t = asFloat(x, 'gelu');
  if (approximate) {
    const inner = mul(add(t, mul(mul(mul(t, t), t), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(t, 0.5), add(tanh(inner), 1));
  }
  return mul(mul(t, 0.5), add(erf(mul(t, Math.SQRT1_2)), 1));
});

/** log(sum(exp(x))) over the axes, computed as m + log(sum(exp(x - m))) with m the maximum. */
export const logSumExp = op((x: TensorLike, axis?: number | number[] | null, keepDims: boolean = false): Tensor => {
  const t = asFloat(x, 'logSumExp');
  const axes = reductionAxes(axis, keepDims, t, 'logSumExp');
  const m = max(t, axes, true);
  // An infinite maximum would turn x - m into NaN; shifting by 0 there keeps +-Infinity.
  const shift = where(greater(abs(m), 3.4028234663852886e38), 0, m);
  const result = add(log(sum(exp(sub(t, shift)), axes, true)), shift);
  return keepDims ? result : reshape(result, t.shape.filter((_, i) => !axes.includes(i)));
});

function shifted(t: Tensor, axis: number): Tensor {
  return sub(t, max(t, axis, true));
}

/** softmax's and logSoftmax's axis; a scalar has none (normalizeAxis lets axis 0 through for it, and max then named itself). */
function softmaxAxis(t: Tensor, axis: number, context: string): number {
  if (t.rank === 0) throw invalid(context, 'Expected logits of rank at least 1', { 'logits.shape': t.shape });
  return normalizeAxis(axis, t.rank, context);
}

export const softmax = op((logits: TensorLike, dim: number = -1): Tensor => {
  const t = asFloat(logits, 'softmax');
  const axis = softmaxAxis(t, dim, 'softmax');
  return withGradient([t], () => {
    const e = exp(shifted(t, axis));
    return div(e, sum(e, axis, true));
  }, (dy, y) => [mul(y, sub(dy, sum(mul(dy, y), axis, true)))]);
});

export const logSoftmax = op((logits: TensorLike, axis: number = -1): Tensor => {
  const t = asFloat(logits, 'logSoftmax');
  const a = softmaxAxis(t, axis, 'logSoftmax');
  return withGradient([t], () => {
    const z = shifted(t, a);
    return sub(z, log(sum(exp(z), a, true)));
  }, (dy, y) => [sub(dy, mul(exp(y), sum(dy, a, true)))]);
});
