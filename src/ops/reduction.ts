/**
 * Reductions over any axes (all axes by default). mean = sum / count and variance = mean of the
 * squared deviations from the mean (two passes), so their canonical order is that of sum.
 */
import { ENGINE } from '../engine/engine.js';
import type { ReducePrimitive } from '../primitives/types.js';
import { axisList, normalizeAxes, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { invalid } from '../errors.js';
import { convertToTensor, range, scalar, type TensorLike } from './creation.js';
import { abs, asFloat, cast, div, greater, mul, sqrt, sub } from './elementwise.js';
import { gather, reshape, scatterAdd } from './shape.js';
import { op } from './op.js';

export type Axis = number | readonly number[];

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A reduction's keepDims: a boolean (null and undefined mean false, as TF.js reads them). */
function checkKeepDims(keepDims: unknown, context: string): void {
  if (keepDims !== undefined && keepDims !== null && typeof keepDims !== 'boolean') throw invalid(context, 'Expected keepDims to be true or false', { keepDims });
}

/** The axes a reduction of t runs over (every axis by default), checked under the op's own name, with its keepDims. */
export function reductionAxes(axis: Axis | null | undefined, keepDims: unknown, t: Tensor, context: string): number[] {
  checkKeepDims(keepDims, context);
  const axes = normalizeAxes(axis, t.rank, context);
  // normalizeAxis lets a scalar have axis 0 (ops such as concat need it); a reduction has no axis of a scalar to run over.
  if (t.rank === 0 && axes.length > 0) throw invalid(context, 'Expected no axis for a scalar x', { axis });
  return axes;
}

function reduction(name: ReducePrimitive) {
  return op((x: TensorLike, axis?: Axis | null, keepDims: boolean = false): Tensor => {
    let t = convertToTensor(x, 'x', name);
    if (t.dtype === 'bool') t = cast(t, 'int32');
    const axes = reductionAxes(axis, keepDims, t, name);
    const y = ENGINE.run(name, [t], { axes });
    return keepDims ? reshape(y, keptShape(t.shape, axes)) : y;
  });
}

export const sum = reduction('sum');
export const prod = reduction('prod');
export const max = reduction('max');
export const min = reduction('min');

/**
 * Logical reductions (TF.js's all and any): true where every (some) element is true. Elements of
 * any dtype count as true when non-zero (Keras's ops.all, ops.any); all of no elements is true
 * and any of none is false, as in TensorFlow.
 */
function logicalReduction(name: 'all' | 'any', reduce: typeof min) {
  return op((x: TensorLike, axis?: Axis | null, keepDims: boolean = false): Tensor => {
    const t = convertToTensor(x, 'x', name, 'bool');
    const axes = reductionAxes(axis, keepDims, t, name);
    // The int32 identity of an empty min (max) is 2^31 - 1 (-2^31): > 0 gives true (false).
    return greater(reduce(t.dtype === 'bool' ? t : cast(t, 'bool'), axes, keepDims), 0);
  });
}

export const all = logicalReduction('all', min);
export const any = logicalReduction('any', max);

/** norm's ord: 'euclidean', 'fro', 1, 2, Infinity or -Infinity (others are refused). */
export type NormOrder = 'euclidean' | 'fro' | number;

/**
 * TF.js's norm(x, ord, axis, keepDims). Vector norms over one axis, or over every element when
 * axis is null: 'euclidean' and 2 sqrt(sum(x x)), 1 sum(|x|), Infinity max(|x|), -Infinity
 * min(|x|). Matrix norms over two axes [rows, columns]: 'euclidean' and 'fro' sqrt(sum(x x)),
 * 1 the largest column sum of |x|, Infinity the largest row sum, -Infinity the smallest. Sums
 * follow sum's order; the result is float32.
 */
export const norm = op(function norm(x: TensorLike, ord: NormOrder = 'euclidean', axis: number | readonly number[] | null = null, keepDims: boolean = false): Tensor {
  const t = asFloat(x, 'norm');
  checkKeepDims(keepDims, 'norm');
  const list = axis === null || axis === undefined ? null : axisList(axis, 'norm');
  const axes = list === null ? t.shape.map((_, i) => i) : list.map((a) => normalizeAxis(a, t.rank, 'norm'));
  if ((list !== null && (axes.length === 0 || axes.length > 2)) || new Set(axes).size !== axes.length || (list !== null && t.rank === 0)) {
    throw invalid('norm', 'Expected axis null, one axis or two distinct axes of x', { axis, 'x.shape': t.shape });
  }
  const matrix = list !== null && axes.length === 2;
  const orders: unknown[] = matrix ? ['euclidean', 'fro', 1, Infinity, -Infinity] : ['euclidean', 2, 1, Infinity, -Infinity];
  if (!orders.includes(ord)) {
    const names = orders.map((o) => (typeof o === 'string' ? `"${o}"` : String(o))).join(', ');
    throw invalid('norm', `Expected ord among ${names} for a ${matrix ? 'matrix' : 'vector'} norm`, { ord });
  }
  // A scalar's norm of any order is its absolute value (TF.js), not sqrt(x x), which may overflow.
  if (t.rank === 0) return abs(t);
  let result: Tensor;
  if (ord === 'euclidean' || ord === 'fro' || ord === 2) result = sqrt(sum(mul(t, t), axes, true));
  else if (!matrix) result = (ord === 1 ? sum : ord === Infinity ? max : min)(abs(t), axes, true);
  else {
    const [rows, columns] = axes as [number, number];
    result = ord === 1 ? max(sum(abs(t), rows, true), columns, true) : (ord === Infinity ? max : min)(sum(abs(t), columns, true), rows, true);
  }
  return reshape(result, keepDims ? keptShape(t.shape, axes) : t.shape.filter((_, i) => !axes.includes(i)));
});

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
  const axes = reductionAxes(axis, keepDims, t, 'mean');
  return div(sum(t, axes, keepDims), countOf(t.shape, axes));
});

/** mean and variance (the mean of squared deviations from the mean) over the axes. */
export const moments = op(function moments(x: TensorLike, axis?: Axis | null, keepDims: boolean = false): { mean: Tensor; variance: Tensor } {
  return momentsOf(x, axis, keepDims, 'moments');
});

function momentsOf(x: TensorLike, axis: Axis | null | undefined, keepDims: boolean, context: string): { mean: Tensor; variance: Tensor } {
  const t = asFloat(x, context);
  const axes = reductionAxes(axis, keepDims, t, context);
  const m = mean(t, axes, true);
  const deviation = sub(t, m);
  const variance = mean(mul(deviation, deviation), axes, keepDims);
  return { mean: keepDims ? m : reshape(m, t.shape.filter((_, i) => !axes.includes(i))), variance };
}

export const variance = op(function variance(x: TensorLike, axis?: Axis | null, keepDims: boolean = false): Tensor {
  return momentsOf(x, axis, keepDims, 'variance').variance;
});

/** Cumulative sum along an axis (TF.js argument order); see src/primitives/scan.ts for the order. */
export const cumsum = op(function cumsum(x: TensorLike, axis: number = 0, exclusive: boolean = false, reverse: boolean = false): Tensor {
  const t = convertToTensor(x, 'x', 'cumsum');
  const a = axis < 0 ? axis + t.rank : axis;
  return ENGINE.run('cumsum', [t.dtype === 'bool' ? ENGINE.run('cast', [t], { dtype: 'int32' }) : t], { axis: a, exclusive, reverse });
});

/** The k largest values of the last axis and their indices, largest first; ties keep index order. */
export function topk(x: TensorLike, k: number = 1, sorted: boolean = true): { values: Tensor; indices: Tensor } {
  if (sorted !== true) throw invalid('topk', 'Expected sorted true (results are always sorted)', { sorted });
  return ENGINE.tidy(() => {
    const t = convertToTensor(x, 'x', 'topk');
    const indices = ENGINE.run('topkIndices', [t], { k });
    const n = t.shape.at(-1) ?? 0;
    const rows = t.size / Math.max(n, 1);
    // Row r's indices offset by r n pick from the flattened values: one gather for every row.
    const offsets = ENGINE.run('mul', [range(0, rows, 1, 'int32'), scalar(n, 'int32')], {});
    const flat = ENGINE.run('add', [reshape(indices, [rows, k]), reshape(offsets, [rows, 1])], {});
    const values = reshape(gather(reshape(t, [rows * n]), reshape(flat, [rows * k]), 0), indices.shape);
    return { values, indices };
  });
}

/** Sums data's rows (axis 0) into numSegments segments by id; ids outside [0, numSegments) are errors. */
export const unsortedSegmentSum = op(function unsortedSegmentSum(x: TensorLike, segmentIds: TensorLike, numSegments: number): Tensor {
  const t = convertToTensor(x, 'x', 'unsortedSegmentSum');
  const ids = convertToTensor(segmentIds, 'segmentIds', 'unsortedSegmentSum', 'int32');
  if (ids.rank !== 1 || ids.shape[0] !== t.shape[0]) {
    throw invalid('unsortedSegmentSum', 'Expected segmentIds of shape [x.shape[0]]', { 'segmentIds.shape': ids.shape, 'x.shape': t.shape });
  }
  return scatterAdd(t, ids, 0, numSegments);
});
