/**
 * batchNorm, composed from elementwise ops (its gradients come from the composition). The
 * canonical order, per element: inv = fl(scale / sqrt(fl(variance + epsilon))) (fl(1 / ...)
 * without a scale), y = fl(fl(x - mean) * inv), then fl(y + offset) with an offset.
 */
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorLike } from './creation.js';
import { add, asFloat, div, mul, pow, sqrt, sub } from './elementwise.js';
import { op } from './op.js';
import { pad, reshape, slice } from './shape.js';

/**
 * (x - mean) * scale / sqrt(variance + varianceEpsilon) + offset, TF.js's `tf.batchNorm` with its
 * argument order and default epsilon (0.001). mean, variance, offset and scale broadcast to x.
 */
export const batchNorm = op(function batchNorm(
  x: TensorLike, mean: TensorLike, variance: TensorLike, offset?: TensorLike | null, scale?: TensorLike | null, varianceEpsilon: number = 0.001,
): Tensor {
  const context = 'batchNorm';
  if (typeof varianceEpsilon !== 'number' || !(varianceEpsilon >= 0) || !Number.isFinite(varianceEpsilon)) {
    throw invalid(context, 'Expected varianceEpsilon to be a finite non-negative number', { varianceEpsilon });
  }
  const t = asFloat(x, context);
  const parameter = (value: TensorLike, argument: string): Tensor => {
    const p = asFloat(value, context);
    const lead = t.rank - p.rank;
    if (lead < 0 || p.shape.some((d, i) => d !== 1 && d !== t.shape[lead + i])) {
      throw invalid(context, `Expected ${argument} of a shape that broadcasts to x's ${JSON.stringify(t.shape)}`, { [`${argument}.shape`]: p.shape });
    }
    return p;
  };
  const m = parameter(mean, 'mean');
  const v = parameter(variance, 'variance');
  const o = offset === undefined || offset === null ? undefined : parameter(offset, 'offset');
  const s = scale === undefined || scale === null ? undefined : parameter(scale, 'scale');
  const inv = div(s ?? 1, sqrt(add(v, varianceEpsilon)));
  const y = mul(sub(t, m), inv);
  return o ? add(y, o) : y;
});

/**
 * TF.js's localResponseNormalization(x, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5), x of
 * rank 3 or 4: y = x * pow(bias + alpha * s, -beta), s the sum of x^2 over the channels (last
 * axis) within depthRadius of the element's, added from the lowest channel up (NUMERICS.md).
 * pow is verbatim's float32 pow; the gradient is the composition's.
 */
export const localResponseNormalization = op(function localResponseNormalization(
  x: TensorLike, depthRadius: number = 5, bias: number = 1, alpha: number = 1, beta: number = 0.5,
): Tensor {
  const context = 'localResponseNormalization';
  const t = asFloat(x, context);
  if (t.rank !== 3 && t.rank !== 4) throw invalid(context, 'Expected x of rank 3 or 4', { 'x.shape': t.shape });
  if (!Number.isInteger(depthRadius) || depthRadius < 0) throw invalid(context, 'Expected depthRadius to be a non-negative integer', { depthRadius });
  for (const [name, value] of Object.entries({ bias, alpha, beta })) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(context, `Expected ${name} to be a finite number`, { [name]: value });
  }
  const channels = t.shape[t.rank - 1]!;
  if (channels === 0) return reshape(t, t.shape);
  // A window never reaches further than the last channel: a larger radius adds only zeros.
  const radius = Math.min(depthRadius, channels - 1);
  const squares = pad(mul(t, t), [...t.shape.slice(0, -1).map(() => [0, 0] as [number, number]), [radius, radius]]);
  const begin = t.shape.map(() => 0);
  const window = (k: number) => slice(squares, [...begin.slice(0, -1), k], t.shape);
  // Channel c - radius first; the zeros of the padding add exactly nothing.
  let sum = window(0);
  for (let k = 1; k <= 2 * radius; k++) sum = add(sum, window(k));
  return mul(t, pow(add(mul(sum, alpha), bias), -beta));
});
