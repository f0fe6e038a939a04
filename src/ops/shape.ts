/** Shape ops: thin wrappers over the movement primitives, and their compositions. */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { type DType } from '../tensor/dtype.js';
import { assertShape, normalizeAxes, normalizeAxis, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, range, type TensorLike } from './creation.js';
import { add, cast, equal, where } from './elementwise.js';
import { op } from './op.js';

/** Reshapes x; one dimension may be -1 and is then inferred. */
export const reshape = op(function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = convertToTensor(x, 'x', 'reshape');
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1 || !shape.every((d) => d === -1 || (Number.isInteger(d) && d >= 0))) {
    throw invalid('reshape', 'Expected non-negative integer dimensions and at most one -1', { shape });
  }
  let resolved = [...shape];
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || t.size % known !== 0) {
      throw invalid('reshape', `Expected a shape whose -1 can be inferred from ${t.size} elements`, { shape, 'x.shape': t.shape });
    }
    resolved = shape.map((d) => (d === -1 ? t.size / known : d));
  }
  return ENGINE.run('reshape', [t], { shape: resolved });
});

export const transpose = op(function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = convertToTensor(x, 'x', 'transpose');
  const order = perm ? [...perm] : t.shape.map((_, i) => t.rank - 1 - i);
  return ENGINE.run('transpose', [t], { perm: order });
});

export const broadcastTo = op(function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = convertToTensor(x, 'x', 'broadcastTo');
  assertShape(shape, 'broadcastTo');
  if (shape.length < t.rank) {
    throw invalid('broadcastTo', 'Expected a shape of rank at least x.rank', { shape, 'x.shape': t.shape });
  }
  return ENGINE.run('broadcastTo', [t], { shape: [...shape] });
});

export const expandDims = op(function expandDims(x: TensorLike, axis: number = 0): Tensor {
  const t = convertToTensor(x, 'x', 'expandDims');
  const a = normalizeAxis(axis, t.rank + 1, 'expandDims');
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return reshape(t, shape);
});

/** Removes the given size-1 axes (all size-1 axes by default); one axis may be given as a number (TF.js and Keras take it). */
export const squeeze = op(function squeeze(x: TensorLike, axis?: number | readonly number[] | null): Tensor {
  const t = convertToTensor(x, 'x', 'squeeze');
  const axes = axis === undefined || axis === null ? undefined : (Array.isArray(axis) ? axis : [axis]).map((a: number) => normalizeAxis(a, t.rank, 'squeeze'));
  axes?.forEach((a) => {
    if (t.shape[a] !== 1) throw invalid('squeeze', 'Expected every squeezed axis to have size 1', { axis: a, 'x.shape': t.shape });
  });
  return reshape(t, t.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
});

export const concat = op(function concat(tensors: readonly TensorLike[], axis: number = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw invalid('concat', 'Expected a non-empty array of tensors', { tensors });
  }
  const ts = tensors.map((t, i) => convertToTensor(t, `tensors[${i}]`, 'concat'));
  return ENGINE.run('concat', ts, { axis: normalizeAxis(axis, ts[0]!.rank, 'concat') });
});

export const stack = op(function stack(tensors: readonly TensorLike[], axis: number = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw invalid('stack', 'Expected a non-empty array of tensors', { tensors });
  }
  const ts = tensors.map((t, i) => convertToTensor(t, `tensors[${i}]`, 'stack'));
  const a = normalizeAxis(axis, ts[0]!.rank + 1, 'stack');
  ts.forEach((t, i) => {
    if (t.shape.length !== ts[0]!.shape.length || t.shape.some((d, k) => d !== ts[0]!.shape[k])) {
      throw invalid('stack', `Expected every tensor to have shape ${JSON.stringify(ts[0]!.shape)}`, { [`tensors[${i}].shape`]: t.shape });
    }
  });
  return concat(ts.map((t) => expandDims(t, a)), a);
});

export const unstack = op(function unstack(x: TensorLike, axis: number = 0): Tensor[] {
  const t = convertToTensor(x, 'x', 'unstack');
  const a = normalizeAxis(axis, t.rank, 'unstack');
  const size = t.shape.map((d, i) => (i === a ? 1 : d));
  const rest = t.shape.filter((_, i) => i !== a);
  return Array.from({ length: t.shape[a]! }, (_, k) =>
    reshape(slice(t, t.shape.map((_, i) => (i === a ? k : 0)), size), rest));
});

/**
 * TF.js's split(x, numOrSizeSplits, axis = 0): equal parts (a number that divides the axis) or
 * parts of the given sizes (one may be -1: the rest), as slices along the axis.
 */
export const split = op(function split(x: TensorLike, numOrSizeSplits: number | readonly number[], axis: number = 0): Tensor[] {
  const t = convertToTensor(x, 'x', 'split');
  const a = normalizeAxis(axis, t.rank, 'split');
  const length = t.shape[a]!;
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits <= 0 || length % numOrSizeSplits !== 0) {
      throw invalid('split', `Expected a positive number of splits that divides the axis (${length})`, { numOrSizeSplits });
    }
    sizes = new Array<number>(numOrSizeSplits).fill(length / numOrSizeSplits);
  } else {
    const rest = numOrSizeSplits.filter((n) => n === -1).length;
    const given = numOrSizeSplits.filter((n) => n !== -1);
    const total = given.reduce((s, n) => s + n, 0);
    if (rest > 1 || given.some((n) => !Number.isInteger(n) || n < 0) || (rest === 0 ? total !== length : total > length)) {
      throw invalid('split', `Expected sizes of at least 0 that add up to the axis (${length}), at most one -1`, { numOrSizeSplits });
    }
    sizes = numOrSizeSplits.map((n) => (n === -1 ? length - total : n));
  }
  let begin = 0;
  return sizes.map((size) => {
    const part = slice(t, t.shape.map((_, i) => (i === a ? begin : 0)), t.shape.map((d, i) => (i === a ? size : d)));
    begin += size;
    return part;
  });
});

/** slice(x, begin, size): size -1 on an axis takes everything from begin to the end. */
export const slice = op(function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = convertToTensor(x, 'x', 'slice');
  const b = typeof begin === 'number' ? [begin, ...new Array<number>(t.rank - 1).fill(0)] : [...begin];
  while (b.length < t.rank) b.push(0);
  const s = size === undefined ? t.shape.map(() => -1) : typeof size === 'number' ? [size, ...new Array<number>(t.rank - 1).fill(-1)] : [...size];
  while (s.length < t.rank) s.push(-1);
  const resolved = s.map((d, i) => (d === -1 ? t.shape[i]! - b[i]! : d));
  return ENGINE.run('slice', [t], { begin: b, size: resolved });
});

export const pad = op(function pad(x: TensorLike, paddings: readonly (readonly [number, number])[], constantValue: number = 0): Tensor {
  const t = convertToTensor(x, 'x', 'pad');
  return ENGINE.run('pad', [t], { paddings: paddings.map(([a, b]) => [a, b] as [number, number]), value: constantValue });
});

/**
 * TF.js's gather(x, indices, axis, batchDims): with batchDims b (negative counts from
 * indices.rank), x and indices share their first b dimensions and each batch gathers from its
 * own slice of x.
 */
export const gather = op(function gather(x: TensorLike, indices: TensorLike, axis: number = 0, batchDims: number = 0): Tensor {
  const t = convertToTensor(x, 'x', 'gather');
  const idx = convertToTensor(indices, 'indices', 'gather', 'int32');
  const ax = normalizeAxis(axis, t.rank, 'gather');
  if (!Number.isInteger(batchDims)) throw invalid('gather', 'Expected batchDims to be an integer', { batchDims });
  const b = batchDims < 0 ? batchDims + idx.rank : batchDims;
  if (b === 0) return ENGINE.run('gather', [t, idx], { axis: ax });
  if (b < 0 || b > idx.rank || b > ax) {
    throw invalid('gather', `Expected batchDims in [-${idx.rank}, ${Math.min(idx.rank, ax)}] (at most indices.rank and axis)`, { batchDims, axis, 'indices.shape': idx.shape });
  }
  if (!t.shape.slice(0, b).every((d, i) => d === idx.shape[i])) {
    throw invalid('gather', `Expected x and indices to share their first ${b} (batchDims) dimensions`, { 'x.shape': t.shape, 'indices.shape': idx.shape });
  }
  return batchedGather(t, idx, ax, b);
});

/**
 * gather with b batch dimensions, as one plain gather: the batches are flattened into one
 * dimension, the gathered axis is moved next to it and merged with it, and each batch's indices
 * are offset to its own rows; the result is then put back in TF.js's order
 * (x.shape[:axis], indices.shape[b:], x.shape[axis + 1:]).
 */
function batchedGather(t: Tensor, idx: Tensor, axis: number, b: number): Tensor {
  const batches = sizeOf(t.shape.slice(0, b));
  const size = t.shape[axis]!;
  const before = t.shape.slice(b, axis);
  const after = t.shape.slice(axis + 1);
  const innerIdx = idx.shape.slice(b);
  const values = idx.dataSync();
  const outside = values.findIndex((v) => v < 0 || v >= size);
  if (outside >= 0) throw invalid('gather', `Expected every index in [0, ${size})`, { [`indices[${outside}]`]: values[outside] });
  // [batches, size, ...before, ...after], merged into rows of [batches * size].
  const moved = transpose(reshape(t, [batches, ...t.shape.slice(b)]), [0, before.length + 1, ...before.map((_, i) => i + 1), ...after.map((_, i) => before.length + 2 + i)]);
  const rows = reshape(moved, [batches * size, ...before, ...after]);
  const offsets = reshape(range(0, batches * size, size, 'int32'), [batches, ...innerIdx.map(() => 1)]);
  const gathered = ENGINE.run('gather', [rows, add(reshape(idx, [batches, ...innerIdx]), offsets)], { axis: 0 });
  // gathered: [batches, ...innerIdx, ...before, ...after]; before goes ahead of innerIdx.
  const k = innerIdx.length;
  const order = [0, ...before.map((_, i) => 1 + k + i), ...innerIdx.map((_, i) => 1 + i), ...after.map((_, i) => 1 + k + before.length + i)];
  return reshape(transpose(gathered, order), [...t.shape.slice(0, axis), ...innerIdx, ...after]);
}

/** The transpose of gather: a tensor with `size` rows along axis, updates added at indices. */
export const scatterAdd = op(function scatterAdd(updates: TensorLike, indices: TensorLike, axis: number, size: number): Tensor {
  const u = convertToTensor(updates, 'updates', 'scatterAdd');
  const idx = convertToTensor(indices, 'indices', 'scatterAdd', 'int32');
  return ENGINE.run('scatterAdd', [u, idx], { axis, size });
});

/** x with the order of its elements reversed along the axes (every axis by default): a gather per axis. */
export const reverse = op(function reverse(x: TensorLike, axis?: number | readonly number[] | null): Tensor {
  const t = convertToTensor(x, 'x', 'reverse');
  if (t.rank === 0 && axis !== undefined && axis !== null && (typeof axis === 'number' || axis.length > 0)) {
    throw invalid('reverse', 'Expected no axis for a scalar x', { axis });
  }
  const axes = normalizeAxes(axis, t.rank, 'reverse');
  if (axes.length === 0) return reshape(t, t.shape);
  return axes.reduce((y, a) => gather(y, range(t.shape[a]! - 1, -1, -1, 'int32'), a), t);
});

/** Repeats x reps[i] times along axis i: reshape, broadcast, reshape. */
export const tile = op(function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = convertToTensor(x, 'x', 'tile');
  if (reps.length !== t.rank || !reps.every((r) => Number.isInteger(r) && r >= 0)) {
    throw invalid('tile', `Expected reps to hold ${t.rank} non-negative integers`, { reps, 'x.shape': t.shape });
  }
  const interleaved = t.shape.flatMap((d) => [1, d]);
  const expanded = t.shape.flatMap((d, i) => [reps[i]!, d]);
  return reshape(broadcastTo(reshape(t, interleaved), expanded), t.shape.map((d, i) => d * reps[i]!));
});

/** One-hot vectors along a new last axis; indices outside [0, depth) give all-off rows. */
export const oneHot = op(function oneHot(indices: TensorLike, depth: number, onValue: number = 1, offValue: number = 0, dtype: DType = 'float32'): Tensor {
  const idx = convertToTensor(indices, 'indices', 'oneHot', 'int32');
  if (idx.dtype !== 'int32') throw invalid('oneHot', 'Expected indices of dtype int32', { 'indices.dtype': idx.dtype });
  if (!Number.isInteger(depth) || depth < 0) throw invalid('oneHot', 'Expected depth to be a non-negative integer', { depth });
  const hot = equal(expandDims(idx, -1), range(0, depth, 1, 'int32'));
  return cast(where(hot, onValue, offValue), dtype);
});
