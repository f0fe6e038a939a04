/**
 * TF.js ops that are compositions of verbatim's ops (no primitive of their own), so that TF.js
 * programs calling them run unchanged. Each one's numbers are those of the ops it is made of.
 */
import { invalid } from '../errors.js';
import { assertShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, disposeConverted, eye, onesLike, tensor, zeros, type TensorLike } from './creation.js';
import {
  abs, add, asFloat, cast, div, equal, greater, isNaN, logicalAnd, logicalNot, logicalOr, less, mul, neg, notEqual, softplus, sqrt, sub, where,
} from './elementwise.js';
import { matMul } from './linalg.js';
import { op } from './op.js';
import { any, norm, topk } from './reduction.js';
import { broadcastTo, concat, expandDims, gather, pad, reshape, reverse, scatterAdd, slice, transpose } from './shape.js';

/** A copy of x (a new tensor of the same values). */
export const clone = op(function clone(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'clone');
  return reshape(t, t.shape);
});

/** The elementwise sum of tensors of one shape and dtype, added left to right. */
export const addN = op(function addN(tensors: readonly TensorLike[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw invalid('addN', 'Expected a non-empty array of tensors', { tensors });
  const ts = tensors.map((t, i) => convertToTensor(t, `tensors[${i}]`, 'addN'));
  const first = ts[0]!;
  ts.forEach((t, i) => {
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, k) => d !== first.shape[k])) {
      throw invalid('addN', `Expected every tensor to have tensors[0]'s shape ${JSON.stringify(first.shape)} and dtype ${first.dtype}`, { [`tensors[${i}].shape`]: t.shape, [`tensors[${i}].dtype`]: t.dtype });
    }
  });
  return ts.slice(1).reduce((sum, t) => add(sum, t), clone(first));
});

/** TF.js's dot(t1, t2) of vectors and matrices, as a matMul: vector . vector is a scalar. */
export const dot = op(function dot(t1: TensorLike, t2: TensorLike): Tensor {
  const a = convertToTensor(t1, 't1', 'dot');
  const b = convertToTensor(t2, 't2', 'dot');
  if ((a.rank !== 1 && a.rank !== 2) || (b.rank !== 1 && b.rank !== 2)) {
    throw invalid('dot', 'Expected t1 and t2 of rank 1 or 2', { 't1.shape': a.shape, 't2.shape': b.shape });
  }
  // matMul's dtype (TF.js also multiplies int32), checked here so that the error names this op.
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw invalid('dot', 'Expected t1 and t2 of dtype float32 (as matMul)', { 't1.dtype': a.dtype, 't2.dtype': b.dtype });
  const inner = a.shape[a.rank - 1];
  if (inner !== b.shape[0]) throw invalid('dot', `Expected t2's first dimension to be t1's last (${inner})`, { 't1.shape': a.shape, 't2.shape': b.shape });
  const product = matMul(a.rank === 1 ? reshape(a, [1, -1]) : a, b.rank === 1 ? reshape(b, [-1, 1]) : b);
  return reshape(product, [...a.shape.slice(0, -1), ...b.shape.slice(1)]);
});

/** The outer product of two vectors: [v1.size, v2.size]. */
export const outerProduct = op(function outerProduct(v1: TensorLike, v2: TensorLike): Tensor {
  const a = convertToTensor(v1, 'v1', 'outerProduct');
  const b = convertToTensor(v2, 'v2', 'outerProduct');
  if (a.rank !== 1 || b.rank !== 1) throw invalid('outerProduct', 'Expected vectors (rank 1)', { 'v1.shape': a.shape, 'v2.shape': b.shape });
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw invalid('outerProduct', 'Expected v1 and v2 of dtype float32 (as matMul)', { 'v1.dtype': a.dtype, 'v2.dtype': b.dtype });
  return matMul(reshape(a, [-1, 1]), reshape(b, [1, -1]));
});

/** a / b, and 0 where b is 0 (whose gradient is 0 there too, not NaN). */
export const divNoNan = op(function divNoNan(a: TensorLike, b: TensorLike): Tensor {
  const divisor = convertToTensor(b, 'b', 'divNoNan');
  const zero = equal(divisor, 0);
  const quotient = div(a, where(zero, 1, divisor));
  return where(zero, 0, quotient);
});

/** 1 / sqrt(x): two float32 roundings (TF.js rounds once, so the last bit may differ). */
export const rsqrt = op(function rsqrt(x: TensorLike): Tensor {
  return div(1, sqrt(asFloat(x, 'rsqrt')));
});

export const logicalXor = op(function logicalXor(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = [convertToTensor(a, 'a', 'logicalXor', 'bool'), convertToTensor(b, 'b', 'logicalXor', 'bool')];
  // Checked here so that the error names this op, not the ones it is made of.
  if (x.dtype !== 'bool' || y.dtype !== 'bool') throw invalid('logicalXor', 'Expected a and b of dtype bool', { 'a.dtype': x.dtype, 'b.dtype': y.dtype });
  return logicalAnd(logicalOr(x, y), logicalNot(logicalAnd(x, y)));
});

/** Whether each element is finite (bool): false for NaN and the infinities; int32 and bool always are. */
export const isFinite = op(function isFinite(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'isFinite');
  return t.dtype === 'float32' ? equal(sub(t, t), 0) : equal(t, t);
});

/** Whether each element is Infinity or -Infinity (bool). */
export const isInf = op(function isInf(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'isInf');
  return t.dtype === 'float32' ? equal(abs(t), Infinity) : notEqual(t, t);
});

/** TF.js's step(x, alpha = 0): 1 where x > 0, alpha elsewhere, NaN where x is NaN. */
export const step = op(function step(x: TensorLike, alpha: number = 0): Tensor {
  const t = asFloat(x, 'step');
  return where(isNaN(t), t, where(greater(t, 0), 1, alpha));
});

/** log(sigmoid(x)), computed as -softplus(-x) (as TF.js), which neither overflows nor underflows. */
export const logSigmoid = op(function logSigmoid(x: TensorLike): Tensor {
  return neg(softplus(neg(asFloat(x, 'logSigmoid'))));
});

/** norm(x, 'euclidean', axis, keepDims). */
export const euclideanNorm = op(function euclideanNorm(x: TensorLike, axis: number | readonly number[] | null = null, keepDims: boolean = false): Tensor {
  return norm(x, 'euclidean', axis, keepDims);
});

/** TF.js's prelu op: x where x >= 0 (or NaN), alpha x where x < 0, alpha broadcast to x. */
export const prelu = op(function prelu(x: TensorLike, alpha: TensorLike): Tensor {
  const t = asFloat(x, 'prelu');
  return where(less(t, 0), mul(alpha, t), t);
});

/**
 * TF.js's diag(x): a tensor of shape [...x.shape, ...x.shape] holding x on its diagonal and 0
 * elsewhere.
 */
export const diag = op(function diag(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'diag');
  const n = t.size;
  const onDiagonal = cast(eye(n), 'bool');
  return reshape(where(onDiagonal, reshape(t, [1, n]), zeros([], t.dtype)), [...t.shape, ...t.shape]);
});

/**
 * TF.js's meshgrid(x, y, {indexing}): the grids of x's and y's values (flattened), [y.size,
 * x.size] with 'xy' indexing (the default), [x.size, y.size] with 'ij'.
 */
export const meshgrid = op(function meshgrid(x?: TensorLike, y?: TensorLike, { indexing = 'xy' }: { indexing?: 'xy' | 'ij' } = {}): Tensor[] {
  if (indexing !== 'xy' && indexing !== 'ij') throw invalid('meshgrid', "Expected indexing 'xy' or 'ij'", { indexing });
  if (x === undefined) return [];
  const xs = reshape(convertToTensor(x, 'x', 'meshgrid'), [-1]);
  if (y === undefined) return [xs];
  const ys = reshape(convertToTensor(y, 'y', 'meshgrid'), [-1]);
  const [w, h] = [xs.size, ys.size];
  if (indexing === 'xy') return [broadcastTo(reshape(xs, [1, w]), [h, w]), broadcastTo(reshape(ys, [h, 1]), [h, w])];
  return [broadcastTo(reshape(xs, [w, 1]), [w, h]), broadcastTo(reshape(ys, [1, h]), [w, h])];
});

/** TF.js's concat1d ... concat4d, slice1d ... slice4d, reverse1d ... reverse4d and pad1d ... pad4d: the op on a tensor of that rank. */
function ofRank<A extends unknown[]>(rank: number, name: string, fn: (t: Tensor, ...args: A) => Tensor) {
  return (x: TensorLike, ...args: A): Tensor => {
    const t = convertToTensor(x, 'x', name);
    if (t.rank !== rank) throw invalid(name, `Expected x of rank ${rank}`, { 'x.shape': t.shape });
    return fn(t, ...args);
  };
}

function concatOfRank(rank: number) {
  const name = `concat${rank}d`;
  return (tensors: readonly TensorLike[], axis: number = 0): Tensor => {
    if (!Array.isArray(tensors)) throw invalid(name, 'Expected an array of tensors', { tensors });
    return concat(tensors.map((t, i) => {
      const c = convertToTensor(t, `tensors[${i}]`, name);
      if (c.rank !== rank) throw invalid(name, `Expected tensors of rank ${rank}`, { [`tensors[${i}].shape`]: c.shape });
      return c;
    }), axis);
  };
}

export const concat1d = (tensors: readonly TensorLike[]): Tensor => concatOfRank(1)(tensors, 0);
export const concat2d = concatOfRank(2);
export const concat3d = concatOfRank(3);
export const concat4d = concatOfRank(4);

export const slice1d = ofRank(1, 'slice1d', (t, begin: number, size: number) => slice(t, [begin], [size]));
export const slice2d = ofRank(2, 'slice2d', (t, begin: [number, number], size: [number, number]) => slice(t, begin, size));
export const slice3d = ofRank(3, 'slice3d', (t, begin: [number, number, number], size: [number, number, number]) => slice(t, begin, size));
export const slice4d = ofRank(4, 'slice4d', (t, begin: [number, number, number, number], size: [number, number, number, number]) => slice(t, begin, size));

export const reverse1d = ofRank(1, 'reverse1d', (t) => reverse(t));
export const reverse2d = ofRank(2, 'reverse2d', (t, axis?: number | number[]) => reverse(t, axis));
export const reverse3d = ofRank(3, 'reverse3d', (t, axis?: number | number[]) => reverse(t, axis));
export const reverse4d = ofRank(4, 'reverse4d', (t, axis?: number | number[]) => reverse(t, axis));

type Pair = [number, number];
export const pad1d = ofRank(1, 'pad1d', (t, paddings: Pair, constantValue: number = 0) => pad(t, [paddings], constantValue));
export const pad2d = ofRank(2, 'pad2d', (t, paddings: [Pair, Pair], constantValue: number = 0) => pad(t, paddings, constantValue));
export const pad3d = ofRank(3, 'pad3d', (t, paddings: [Pair, Pair, Pair], constantValue: number = 0) => pad(t, paddings, constantValue));
export const pad4d = ofRank(4, 'pad4d', (t, paddings: [Pair, Pair, Pair, Pair], constantValue: number = 0) => pad(t, paddings, constantValue));

/** The coordinates of condition's true elements, in row-major order: int32 [count, rank]. */
export async function whereAsync(condition: TensorLike): Promise<Tensor> {
  const c = convertToTensor(condition, 'condition', 'whereAsync', 'bool');
  // As where (and TF.js): a float condition would need a rule for NaN.
  if (c.dtype !== 'bool') throw invalid('whereAsync', 'Expected condition of dtype bool', { 'condition.dtype': c.dtype });
  const values = await c.data().finally(() => disposeConverted([c, condition]));
  const coordinates: number[] = [];
  let count = 0;
  for (let flat = 0; flat < values.length; flat++) {
    if (!values[flat]) continue;
    count++;
    let rest = flat;
    const coordinate = new Array<number>(c.rank);
    for (let axis = c.rank - 1; axis >= 0; axis--) {
      coordinate[axis] = rest % c.shape[axis]!;
      rest = Math.floor(rest / c.shape[axis]!);
    }
    coordinates.push(...coordinate);
  }
  return tensor(coordinates, [count, c.rank], 'int32');
}

/**
 * TF.js's booleanMaskAsync(tensor, mask, axis = 0): the slices of tensor where mask (of the
 * shape of tensor's dimensions axis, axis + 1, ...) is true, flattened into one dimension.
 */
export async function booleanMaskAsync(x: TensorLike, mask: TensorLike, axis: number = 0): Promise<Tensor> {
  const t = convertToTensor(x, 'tensor', 'booleanMaskAsync');
  const m = convertToTensor(mask, 'mask', 'booleanMaskAsync', 'bool');
  try {
    if (m.dtype !== 'bool') throw invalid('booleanMaskAsync', 'Expected mask of dtype bool', { 'mask.dtype': m.dtype });
    const a = axis < 0 ? axis + t.rank : axis;
    if (!Number.isInteger(a) || a < 0 || m.rank === 0 || a + m.rank > t.rank || !m.shape.every((d, i) => d === t.shape[a + i])) {
      throw invalid('booleanMaskAsync', "Expected a mask of rank 1 or more whose shape is tensor's from axis on", { 'tensor.shape': t.shape, 'mask.shape': m.shape, axis });
    }
    const flatMask = reshape(m, [-1]);
    const indices = await whereAsync(flatMask);
    const rows = reshape(t, [...t.shape.slice(0, a), sizeOf(m.shape), ...t.shape.slice(a + m.rank)]);
    const flatIndices = reshape(indices, [-1]);
    const result = gather(rows, flatIndices, a);
    for (const temporary of [flatMask, indices, flatIndices, rows]) temporary.dispose();
    return result;
  } finally {
    disposeConverted([t, x], [m, mask]);
  }
}

/**
 * The row of each index tuple (the last axis of indices, K values) in `shape`'s first K
 * dimensions flattened, checked on the host so that no tuple reads or writes a neighbour's row.
 */
function flatIndices(indices: Tensor, shape: readonly number[], context: string): Tensor {
  const k = indices.shape[indices.rank - 1];
  if (indices.dtype !== 'int32') throw invalid(context, 'Expected indices of dtype int32', { 'indices.dtype': indices.dtype });
  if (k === undefined || k === 0 || k > shape.length) {
    throw invalid(context, `Expected indices of rank 1 or more whose last dimension is in [1, ${shape.length}] (the rank indexed into)`, { 'indices.shape': indices.shape });
  }
  const values = indices.dataSync();
  const outside = values.findIndex((v, i) => v < 0 || v >= shape[i % k]!);
  if (outside >= 0) {
    throw invalid(context, `Expected index tuples within ${JSON.stringify(shape.slice(0, k))}`, { [`indices (flat) [${outside}]`]: values[outside] });
  }
  // Each tuple dotted with the row-major strides of shape[:k], in int32 (exact).
  const tuples = reshape(indices, [-1, k]);
  const rows = shape.slice(0, k)
    .map((_, i) => mul(slice(tuples, [0, i], [-1, 1]), sizeOf(shape.slice(i + 1, k))))
    .reduce((sum, term) => add(sum, term));
  return reshape(rows, indices.shape.slice(0, -1));
}

/** TF.js's gatherND(x, indices): the slices of x at the index tuples of indices' last axis. */
export const gatherND = op(function gatherND(x: TensorLike, indices: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'gatherND');
  const idx = convertToTensor(indices, 'indices', 'gatherND', 'int32');
  const k = idx.shape[idx.rank - 1] ?? 0;
  const rows = flatIndices(idx, t.shape, 'gatherND');
  return gather(reshape(t, [sizeOf(t.shape.slice(0, k)), ...t.shape.slice(k)]), rows, 0);
});

/** TF.js's scatterND(indices, updates, shape): zeros of shape with updates added at the index tuples (repeated tuples sum). */
export const scatterND = op(function scatterND(indices: TensorLike, updates: TensorLike, outputShape: readonly number[]): Tensor {
  const shape = assertShape(outputShape, 'scatterND');
  const idx = convertToTensor(indices, 'indices', 'scatterND', 'int32');
  const u = convertToTensor(updates, 'updates', 'scatterND');
  const k = idx.shape[idx.rank - 1] ?? 0;
  const rows = flatIndices(idx, shape, 'scatterND');
  const expected = [...idx.shape.slice(0, -1), ...shape.slice(k)];
  if (u.rank !== expected.length || u.shape.some((d, i) => d !== expected[i])) {
    throw invalid('scatterND', `Expected updates of shape ${JSON.stringify(expected)} (indices.shape[:-1] + shape[${k}:])`, { 'updates.shape': u.shape });
  }
  return reshape(scatterAdd(u, rows, 0, sizeOf(shape.slice(0, k))), shape);
});

/** Keys of x's slices along axis (values as TF.js compares them: -0 is 0, NaN is NaN), with x's axis moved first. */
function sliceKeys(t: Tensor, axis: number): string[] {
  const moved = axis === 0 ? t : transpose(t, [axis, ...t.shape.map((_, i) => i).filter((i) => i !== axis)]);
  const values = moved.dataSync();
  const width = t.shape[axis] === 0 ? 0 : values.length / t.shape[axis]!;
  if (moved !== t) moved.dispose();
  return Array.from({ length: t.shape[axis]! }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width), String).join(','));
}

/**
 * TF.js's unique(x, axis = 0): {values, indices}, x's distinct slices along axis in order of
 * first occurrence, and for each slice of x the index of its value (int32).
 */
export const unique = op(function unique(x: TensorLike, axis: number = 0): { values: Tensor; indices: Tensor } {
  const t = convertToTensor(x, 'x', 'unique');
  const a = axis < 0 ? axis + t.rank : axis;
  if (t.rank === 0 || !Number.isInteger(a) || a < 0 || a >= t.rank) throw invalid('unique', `Expected x of rank 1 or more and an axis in [-${t.rank}, ${t.rank})`, { axis, 'x.shape': t.shape });
  const seen = new Map<string, number>();
  const first: number[] = [];
  const indices = sliceKeys(t, a).map((keyOfSlice, i) => {
    let index = seen.get(keyOfSlice);
    if (index === undefined) {
      index = first.length;
      seen.set(keyOfSlice, index);
      first.push(i);
    }
    return index;
  });
  return { values: gather(t, tensor(first, [first.length], 'int32'), a), indices: tensor(indices, [indices.length], 'int32') };
});

/** TF.js's setdiff1dAsync(x, y): [the values of x not in y, in x's order, and their int32 indices in x]. */
export async function setdiff1dAsync(x: TensorLike, y: TensorLike): Promise<[Tensor, Tensor]> {
  const a = convertToTensor(x, 'x', 'setdiff1dAsync');
  const b = convertToTensor(y, 'y', 'setdiff1dAsync');
  try {
    if (a.rank !== 1 || b.rank !== 1 || a.dtype !== b.dtype) {
      throw invalid('setdiff1dAsync', 'Expected x and y of rank 1 and of one dtype', { 'x.shape': a.shape, 'y.shape': b.shape, 'x.dtype': a.dtype, 'y.dtype': b.dtype });
    }
    const [xs, ys] = await Promise.all([a.data(), b.data()]);
    const excluded = new Set(Array.from(ys));
    const kept = Array.from(xs.keys()).filter((i) => !excluded.has(xs[i]!));
    return [tensor(kept.map((i) => xs[i]!), [kept.length], a.dtype), tensor(kept, [kept.length], 'int32')];
  } finally {
    disposeConverted([a, x], [b, y]);
  }
}

/** Whether each row's target is among the indices of its k largest values, in topk's order. */
const targetInTopK = op(function targetInTopK(predictions: Tensor, targets: Tensor, k: number): Tensor {
  return any(equal(topk(predictions, k).indices, expandDims(targets, -1)), -1);
});

/**
 * TF.js's inTopKAsync(predictions, targets, k = 1): for each row of predictions [batch,
 * classes], whether its target class is among the k largest, bool. The order is topk's: equal
 * values lower class first, NaN largest (TF.js sorts with a comparator that NaN makes
 * inconsistent, so its answer for such a row depends on the engine's sort).
 */
export async function inTopKAsync(predictions: TensorLike, targets: TensorLike, k: number = 1): Promise<Tensor> {
  const p = convertToTensor(predictions, 'predictions', 'inTopKAsync');
  const t = convertToTensor(targets, 'targets', 'inTopKAsync', 'int32');
  try {
    if (p.rank < 1 || t.rank !== p.rank - 1 || t.shape.some((d, i) => d !== p.shape[i])) {
      throw invalid('inTopKAsync', "Expected predictions of rank 1 or more and targets of predictions' shape without its last dimension", { 'predictions.shape': p.shape, 'targets.shape': t.shape });
    }
    if (t.dtype !== 'int32') throw invalid('inTopKAsync', 'Expected targets of dtype int32', { 'targets.dtype': t.dtype });
    const classes = p.shape[p.rank - 1]!;
    if (!Number.isInteger(k) || k < 1 || k > classes) throw invalid('inTopKAsync', `Expected k to be an integer in [1, ${classes}]`, { k });
    return targetInTopK(p, t, k);
  } finally {
    disposeConverted([p, predictions], [t, targets]);
  }
}

/** TF.js's tf.print(x, verbose?): x.print() (verbose is accepted; the print shows shape and dtype always). */
export function print(x: TensorLike, _verbose = false): void {
  const t = convertToTensor(x, 'x', 'print');
  t.print();
  if (t !== x) t.dispose();
}

/** Where a dimension of stridedSlice's result comes from: an input dimension, or a new axis of size 1. */
const NEW_AXIS = -1;
const SHRINK_AXIS = -2;

/**
 * TF.js's (and TensorFlow's) stridedSlice(x, begin, end, strides?, beginMask, endMask,
 * ellipsisMask, newAxisMask, shrinkAxisMask): per dimension the elements begin, begin + stride,
 * ... before end (negative positions count from the end, and are clamped), masks as TensorFlow
 * defines them. Computed as a gather of those positions per dimension, so it has a gradient.
 */
export const stridedSlice = op(function stridedSlice(
  x: TensorLike, begin: readonly number[], end: readonly number[], strides?: readonly number[],
  beginMask: number = 0, endMask: number = 0, ellipsisMask: number = 0, newAxisMask: number = 0, shrinkAxisMask: number = 0,
): Tensor {
  const t = convertToTensor(x, 'x', 'stridedSlice');
  const given = [begin, end, strides ?? begin];
  if (!given.every((positions) => Array.isArray(positions) && positions.length === begin.length && positions.every((p) => Number.isInteger(p)))) {
    throw invalid('stridedSlice', 'Expected begin, end and strides to be arrays of integers of one length', { begin, end, strides });
  }
  const steps = strides ?? begin.map(() => 1);
  if ((ellipsisMask & (ellipsisMask - 1)) !== 0) throw invalid('stridedSlice', 'Expected at most one ellipsis (one bit of ellipsisMask)', { ellipsisMask });
  // The sparse spec (one entry per given position, an implicit ellipsis after them) made dense: one entry per dimension of x.
  const bit = (mask: number, i: number) => (mask & (1 << i)) !== 0;
  // An ellipsis bit past the given positions is the implicit one. The bit's position by an exact
  // integer op (Math.log2 is approximated by each engine, even of a power of two).
  const ellipsisBit = 31 - Math.clz32(ellipsisMask);
  const explicitEllipsis = ellipsisMask !== 0 && ellipsisBit < begin.length;
  const sparseDims = explicitEllipsis ? begin.length : begin.length + 1;
  const ellipsisAt = explicitEllipsis ? ellipsisBit : begin.length;
  const newAxesAfterEllipsis = begin.filter((_, i) => i > ellipsisAt && bit(newAxisMask, i)).length;
  const dense: { begin: number; end: number; stride: number; beginAll: boolean; endAll: boolean; shrink: boolean }[] = [];
  const gatherFrom: number[] = [];
  for (let i = 0; i < sparseDims; i++) {
    if (i === ellipsisAt) {
      const until = Math.min(t.rank - (sparseDims - i) + 1 + newAxesAfterEllipsis, t.rank);
      while (dense.length < until) {
        gatherFrom.push(dense.length);
        dense.push({ begin: 0, end: 0, stride: 1, beginAll: true, endAll: true, shrink: false });
      }
    } else if (bit(newAxisMask, i)) {
      gatherFrom.push(NEW_AXIS);
    } else {
      if (dense.length >= t.rank) throw invalid('stridedSlice', `Expected at most ${t.rank} positions that index x (x.rank)`, { begin, 'x.shape': t.shape });
      gatherFrom.push(bit(shrinkAxisMask, i) ? SHRINK_AXIS : dense.length);
      dense.push({ begin: begin[i]!, end: end[i]!, stride: steps[i]!, beginAll: bit(beginMask, i), endAll: bit(endMask, i), shrink: bit(shrinkAxisMask, i) });
    }
  }
  const positions = dense.map((d, axis) => {
    const size = t.shape[axis]!;
    if (!Number.isInteger(d.stride) || d.stride === 0) throw invalid('stridedSlice', 'Expected non-zero integer strides', { strides });
    if (d.shrink) {
      if (d.stride < 0) throw invalid('stridedSlice', `Expected a positive stride on axis ${axis}, which shrinkAxisMask removes (TensorFlow: only stride 1 allowed on non-range indexing)`, { strides });
      const at = d.begin < 0 ? size + d.begin : d.begin;
      if (!(at >= 0 && at < size)) throw invalid('stridedSlice', `Expected the shrunk position of axis ${axis} in [-${size}, ${size})`, { [`begin[${axis}]`]: d.begin });
      return [at];
    }
    const [low, high] = d.stride > 0 ? [0, size] : [-1, size - 1];
    const canonical = (value: number, all: boolean, isEnd: boolean) => {
      if (all) return (d.stride > 0) === isEnd ? high : low;
      return Math.min(Math.max(value < 0 ? size + value : value, low), high);
    };
    const from = canonical(d.begin, d.beginAll, false);
    const to = canonical(d.end, d.endAll, true);
    const count = (to - from) / d.stride > 0 ? Math.ceil((to - from) / d.stride) : 0;
    return Array.from({ length: count }, (_, k) => from + k * d.stride);
  });
  // Each dimension's positions, one gather per dimension that is not taken whole.
  const taken = positions.reduce((y, p, axis) => (p.length === t.shape[axis] && p.every((v, k) => v === k) ? y : gather(y, tensor(p, [p.length], 'int32'), axis)), t);
  const finalShape = gatherFrom.flatMap((from) => (from === NEW_AXIS ? [1] : from === SHRINK_AXIS ? [] : [positions[from]!.length]));
  return reshape(taken, finalShape);
});

/**
 * TF.js's cumprod(x, axis = 0, exclusive = false, reverse = false): the running product along
 * the axis in the scan's direction, one rounding per multiplication (from 1 when exclusive), as
 * a chain of multiplications of slices, so its gradient is exact, zeros included.
 */
export const cumprod = op(function cumprod(x: TensorLike, axis: number = 0, exclusive: boolean = false, reversed: boolean = false): Tensor {
  const given = convertToTensor(x, 'x', 'cumprod');
  // bool counts as int32, as in cumsum (and TF.js).
  const t = given.dtype === 'bool' ? cast(given, 'int32') : given;
  const a = axis < 0 ? axis + t.rank : axis;
  if (t.rank === 0 || !Number.isInteger(a) || a < 0 || a >= t.rank) throw invalid('cumprod', `Expected x of rank 1 or more and an axis in [-${t.rank}, ${t.rank})`, { axis, 'x.shape': t.shape });
  if (typeof exclusive !== 'boolean' || typeof reversed !== 'boolean') throw invalid('cumprod', 'Expected exclusive and reverse to be true or false', { exclusive, reverse: reversed });
  if (t.shape[a] === 0) return clone(t);
  const scanned = reversed ? reverse(t, a) : t;
  const products: Tensor[] = [];
  let running: Tensor | undefined;
  for (let k = 0; k < t.shape[a]!; k++) {
    const step = slice(scanned, t.shape.map((_, i) => (i === a ? k : 0)), t.shape.map((d, i) => (i === a ? 1 : d)));
    if (exclusive) products.push(running ?? onesLike(step));
    running = running === undefined ? step : mul(running, step);
    if (!exclusive) products.push(running);
  }
  const result = concat(products, a);
  return reversed ? reverse(result, a) : result;
});
