/**
 * TF.js's counting and bucketing ops: bincount, denseBincount, searchSorted, lowerBound and
 * upperBound, composed from verbatim's ops (no primitive of their own).
 */
import { invalid } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, fill, ones, range, zeros, type TensorLike } from './creation.js';
import { add, cast, div, greater, less, lessEqual, logicalAnd, logicalNot, minimum, where } from './elementwise.js';
import { op } from './op.js';
import { gather, reshape, scatterAdd, slice } from './shape.js';

/**
 * The counts (or weight sums) of each value of x in [0, size), per row of a rank-2 x: one
 * scatterAdd, so each bin adds its weights in increasing flat index of x from +0 (TF.js's order).
 * Values of size or more go to an extra bin per row that is sliced off; a negative value is an error.
 */
function binCounts(context: string, x: TensorLike, weights: TensorLike, size: number, binaryOutput: boolean, maxRank: number): Tensor {
  const t = convertToTensor(x, 'x', context, 'int32');
  const w = convertToTensor(weights, 'weights', context);
  if (t.dtype !== 'int32') throw invalid(context, 'Expected x of dtype int32', { 'x.dtype': t.dtype });
  if (t.rank < 1 || t.rank > maxRank) throw invalid(context, `Expected x of rank ${maxRank === 1 ? '1' : `1 to ${maxRank}`}`, { 'x.shape': t.shape });
  if (!Number.isInteger(size) || size < 0) throw invalid(context, 'Expected size to be a non-negative integer', { size });
  if (w.size !== t.size && w.size !== 0) throw invalid(context, `Expected weights of x's size (${t.size}) or of size 0`, { 'weights.shape': w.shape, 'x.shape': t.shape });
  if (w.dtype !== 'float32' && w.dtype !== 'int32') throw invalid(context, 'Expected weights of dtype float32 or int32', { 'weights.dtype': w.dtype });
  if (typeof binaryOutput !== 'boolean') throw invalid(context, 'Expected binaryOutput to be true or false', { binaryOutput });
  const values = t.dataSync();
  const negative = values.findIndex((v) => v < 0);
  if (negative >= 0) {
    const at = t.rank === 1 ? `[${negative}]` : `[${Math.floor(negative / t.shape[1]!)}][${negative % t.shape[1]!}]`;
    throw invalid(context, 'Expected every value of x to be non-negative', { [`x${at}`]: values[negative] });
  }
  const [rows, columns] = t.rank === 2 ? [t.shape[0]!, t.shape[1]!] : [1, t.size];
  const bins = size + 1;
  const rowStarts = reshape(range(0, rows * bins, bins, 'int32'), [rows, 1]);
  const binOf = add(minimum(reshape(t, [rows, columns]), size), rowStarts);
  const counted = binaryOutput || w.size === 0 ? ones([t.size], w.dtype) : reshape(w, [t.size]);
  const sums = slice(reshape(scatterAdd(counted, reshape(binOf, [t.size]), 0, rows * bins), [rows, bins]), [0, 0], [rows, size]);
  const result = binaryOutput ? cast(greater(sums, 0), w.dtype) : sums;
  return t.rank === 2 ? result : reshape(result, [size]);
}

/**
 * TF.js's bincount(x, weights, size): for each value v in [0, size), the number of times x (int32,
 * rank 1) holds it, or the sum of the weights where it does when weights (x's size, float32 or
 * int32) are given; values of size or more are ignored, negative ones are an error.
 */
export const bincount = op(function bincount(x: TensorLike, weights: TensorLike, size: number): Tensor {
  return binCounts('bincount', x, weights, size, false, 1);
});

/**
 * TF.js's denseBincount(x, weights, size, binaryOutput = false): bincount of a rank-1 x, or of
 * each row of a rank-2 x ([rows, size]); binaryOutput gives 1 where a value occurs at all.
 */
export const denseBincount = op(function denseBincount(x: TensorLike, weights: TensorLike, size: number, binaryOutput: boolean = false): Tensor {
  return binCounts('denseBincount', x, weights, size, binaryOutput, 2);
});

/**
 * TF.js's searchSorted(sortedSequence, values, side = 'left'): for each value, the index in its
 * row of sortedSequence (the last axis; leading dimensions hold as many rows as values' do) where
 * it would be inserted: the first element not less than it ('left') or greater than it ('right'),
 * int32 of values' shape. TF.js's binary search run on every value at once, so an unsorted row
 * gives TF.js's answer too.
 */
export const searchSorted = op(function searchSorted(sortedSequence: TensorLike, values: TensorLike, side: 'left' | 'right' = 'left'): Tensor {
  const context = 'searchSorted';
  if (side !== 'left' && side !== 'right') throw invalid(context, "Expected side 'left' or 'right'", { side });
  const s = convertToTensor(sortedSequence, 'sortedSequence', context);
  const v = convertToTensor(values, 'values', context);
  if (s.rank === 0 || v.rank === 0) throw invalid(context, 'Expected sortedSequence and values of rank 1 or more', { 'sortedSequence.shape': s.shape, 'values.shape': v.shape });
  if (s.dtype === 'bool' || v.dtype === 'bool') throw invalid(context, 'Expected sortedSequence and values of dtype float32 or int32', { 'sortedSequence.dtype': s.dtype, 'values.dtype': v.dtype });
  const rows = sizeOf(s.shape.slice(0, -1));
  if (rows !== sizeOf(v.shape.slice(0, -1))) {
    throw invalid(context, 'Expected sortedSequence and values to hold as many rows (the product of their dimensions but the last)', { 'sortedSequence.shape': s.shape, 'values.shape': v.shape });
  }
  const n = s.shape[s.rank - 1]!;
  const m = v.shape[v.rank - 1]!;
  if (n === 0) return zeros(v.shape, 'int32');
  const flat = reshape(s, [rows * n]);
  const queries = reshape(v, [rows, m]);
  const rowStarts = reshape(range(0, rows * n, n, 'int32'), [rows, 1]);
  // The bounds of every search: [left, right), narrowed floor(log2 n) + 1 times (enough for n elements).
  let left = zeros([rows, m], 'int32');
  let right = fill([rows, m], n, 'int32');
  for (let step = 32 - Math.clz32(n); step > 0; step--) {
    const mid = div(add(left, right), 2);
    const probe = gather(flat, add(minimum(mid, n - 1), rowStarts));
    const after = side === 'left' ? less(probe, queries) : lessEqual(probe, queries);
    const searching = less(left, right);
    left = where(logicalAnd(searching, after), add(mid, 1), left);
    right = where(logicalAnd(searching, logicalNot(after)), mid, right);
  }
  return reshape(right, v.shape);
});

/** TF.js's lowerBound(sortedSequence, values): searchSorted(sortedSequence, values, 'left'). */
export function lowerBound(sortedSequence: TensorLike, values: TensorLike): Tensor {
  return searchSorted(sortedSequence, values, 'left');
}

/** TF.js's upperBound(sortedSequence, values): searchSorted(sortedSequence, values, 'right'). */
export function upperBound(sortedSequence: TensorLike, values: TensorLike): Tensor {
  return searchSorted(sortedSequence, values, 'right');
}
