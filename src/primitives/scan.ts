/**
 * Scans and selections along one axis.
 *
 * cumsum: out[..., i, ...] is the sum of x[..., j, ...] for j <= i (j < i when exclusive; j >= i,
 * and j > i, when reversed), accumulated from +0 one element at a time in the scan's direction
 * with one float32 rounding per addition, so that each output extends the previous one.
 *
 * topkIndices: per row of the last axis, the indices of the k largest values, largest first; NaN
 * counts as larger than every number, and equal values keep their index order (a stable sort),
 * so the result is one permutation, whatever the backend.
 */
import { invalid } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import type { Rule } from './types.js';

export const cumsumRule: Rule<'cumsum'> = {
  infer([x], { axis, exclusive, reverse }) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= x!.shape.length) throw invalid('cumsum', `Expected axis in [0, ${x!.shape.length})`, { axis });
    if (typeof exclusive !== 'boolean' || typeof reverse !== 'boolean') throw invalid('cumsum', 'Expected boolean exclusive and reverse', { exclusive, reverse });
    if (x!.dtype === 'bool') throw invalid('cumsum', 'Expected x of dtype float32 or int32', { 'x.dtype': x!.dtype });
    return { shape: x!.shape, dtype: x!.dtype };
  },
  reference([x], { axis, exclusive, reverse }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(x!.shape.slice(0, axis));
    const n = x!.shape[axis]!;
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const v = x!.values;
    const float = x!.dtype === 'float32';
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let step = 0; step < n; step++) {
          const j = reverse ? n - 1 - step : step;
          const at = (o * n + j) * inner + i;
          if (exclusive) {
            result[at] = acc;
            acc = float ? Math.fround(acc + v[at]!) : (acc + v[at]!) | 0;
          } else {
            acc = float ? Math.fround(acc + v[at]!) : (acc + v[at]!) | 0;
            result[at] = acc;
          }
        }
      }
    }
    return result;
  },
  // The adjoint of a prefix sum is the suffix sum (and the other way round), with the same exclusivity.
  grad: (dy, { attrs: { axis, exclusive, reverse } }, ops) => [ops.cumsum(dy, axis, exclusive, !reverse)],
  kernel: { dedicated: 'cumsum' },
};

export const topkIndicesRule: Rule<'topkIndices'> = {
  infer([x], { k }) {
    const n = x!.shape.at(-1);
    if (x!.shape.length === 0 || n === undefined) throw invalid('topk', 'Expected x of rank at least 1', { 'x.shape': x!.shape });
    if (!Number.isInteger(k) || k < 0 || k > n) throw invalid('topk', `Expected k in [0, ${n}]`, { k });
    if (x!.dtype === 'bool') throw invalid('topk', 'Expected x of dtype float32 or int32', { 'x.dtype': x!.dtype });
    return { shape: [...x!.shape.slice(0, -1), k], dtype: 'int32' };
  },
  reference([x], { k }, out) {
    const n = x!.shape.at(-1)!;
    const rows = sizeOf(x!.shape.slice(0, -1));
    const result = allocate('int32', sizeOf(out.shape));
    const order = Array.from({ length: n }, (_, i) => i);
    for (let r = 0; r < rows; r++) {
      const row = x!.values.subarray(r * n, (r + 1) * n);
      // Larger first, NaN largest, ties by index: a total order, so the sort is the same everywhere.
      const rank = (i: number) => row[i]!;
      order.forEach((_, i) => { order[i] = i; });
      order.sort((a, b) => {
        const va = rank(a);
        const vb = rank(b);
        if (va !== va || vb !== vb) return va !== va && vb !== vb ? a - b : va !== va ? -1 : 1;
        return va > vb ? -1 : va < vb ? 1 : a - b;
      });
      for (let j = 0; j < k; j++) result[r * k + j] = order[j]!;
    }
    return result;
  },
  grad: 'not-differentiable',
  kernel: { fallback: 'topk sorts on the host (the reference on WASM memory)' },
};
