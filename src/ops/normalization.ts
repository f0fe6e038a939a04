/**
 * batchNorm, composed from elementwise ops (its gradients come from the composition). The
 * canonical order, per element: inv = fl(scale / sqrt(fl(variance + epsilon))) (fl(1 / ...)
 * without a scale), y = fl(fl(x - mean) * inv), then fl(y + offset) with an offset.
 */
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorLike } from './creation.js';
import { add, asFloat, div, mul, sqrt, sub } from './elementwise.js';
import { op } from './op.js';

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
