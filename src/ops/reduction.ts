/**
 * Reductions over any axes (all axes by default). mean = sum / count and variance = mean of the
 * squared deviations from the mean (two passes), so their canonical order is that of sum.
 */
import { ENGINE } from '../engine/engine.js';
import type { ReducePrimitive } from '../primitives/types.js';
import { normalizeAxes, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, type TensorLike } from './creation.js';
import { asFloat, cast, div, mul, sub } from './elementwise.js';
import { reshape } from './shape.js';
import { op } from './op.js';

export type Axis = number | readonly number[];

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduction(name: ReducePrimitive) {
  return op((x: TensorLike, axis?: Axis | null, keepDims: boolean = false): Tensor => {
    let t = convertToTensor(x, 'x', name);
    if (t.dtype === 'bool') t = cast(t, 'int32');
    const axes = normalizeAxes(axis, t.rank, name);
    const y = ENGINE.run(name, [t], { axes });
    return keepDims ? reshape(y, keptShape(t.shape, axes)) : y;
  });
}

export const sum = reduction('sum');
export const prod = reduction('prod');
export const max = reduction('max');
export const min = reduction('min');

function argReduction(name: 'argMax' | 'argMin') {
  return op((x: TensorLike, axis: number = 0): Tensor => {
    const t = convertToTensor(x, 'x', name);
    return ENGINE.run(name, [t], { axis: normalizeAxis(axis, t.rank, name) });
  });
}

export const argMax = argReduction('argMax');
export const argMin = argReduction('argMin');

function countOf(shape: readonly number[], axes: readonly number[]): number {
  return axes.reduce((n, a) => n * shape[a]!, 1);
}

export const mean = op(function mean(x: TensorLike, axis?: Axis | null, keepDims: boolean = false): Tensor {
  const t = asFloat(x, 'mean');
  const axes = normalizeAxes(axis, t.rank, 'mean');
  return div(sum(t, axes, keepDims), countOf(t.shape, axes));
});

/** mean and variance (the mean of squared deviations from the mean) over the axes. */
export const moments = op(function moments(x: TensorLike, axis?: Axis | null, keepDims: boolean = false): { mean: Tensor; variance: Tensor } {
  const t = asFloat(x, 'moments');
  const axes = normalizeAxes(axis, t.rank, 'moments');
  const m = mean(t, axes, true);
  const deviation = sub(t, m);
  const variance = mean(mul(deviation, deviation), axes, keepDims);
  return { mean: keepDims ? m : reshape(m, t.shape.filter((_, i) => !axes.includes(i))), variance };
});

export const variance = op(function variance(x: TensorLike, axis?: Axis | null, keepDims: boolean = false): Tensor {
  return moments(x, axis, keepDims).variance;
});
