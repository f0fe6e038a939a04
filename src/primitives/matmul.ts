/**
 * Batched matrix product. Canonical order: each output element c[b, i, j] is the sum over k of
 * the float32-rounded products fl(a[b, i, k] * b[b, k, j]), added left to right (k = 0, 1, ...)
 * into an accumulator that starts at +0 and is rounded to float32 after every addition. No fused
 * multiply-add. Batch dimensions broadcast. Transposes only change which element is read.
 */
import { invalid } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { unbroadcast } from './elementwise.js';
import type { Meta, Rule } from './types.js';

interface Layout {
  batchShape: number[];
  m: number;
  k: number;
  n: number;
}

function layoutOf(a: Meta, b: Meta, transposeA: boolean, transposeB: boolean): Layout {
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw invalid('matMul', 'Expected a and b of rank 2 or more', { 'a.shape': a.shape, 'b.shape': b.shape });
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw invalid('matMul', 'Expected a and b of dtype float32', { 'a.dtype': a.dtype, 'b.dtype': b.dtype });
  }
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== kb) {
    throw invalid('matMul', `Expected the inner dimensions to match (a's ${transposeA ? 'rows' : 'columns'} == b's ${transposeB ? 'columns' : 'rows'})`,
      { 'a.shape': a.shape, 'b.shape': b.shape, transposeA, transposeB });
  }
  const batchShape = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], 'matMul');
  return { batchShape, m, k, n };
}

export const matMulRule: Rule<'matMul'> = {
  infer([a, b], { transposeA, transposeB }) {
    const { batchShape, m, n } = layoutOf(a!, b!, transposeA, transposeB);
    return { shape: [...batchShape, m, n], dtype: 'float32' };
  },
  reference([a, b], { transposeA, transposeB }, out) {
    const { batchShape, m, k, n } = layoutOf(a!, b!, transposeA, transposeB);
    const result = allocate('float32', sizeOf(out.shape));
    const av = a!.values;
    const bv = b!.values;
    // Element strides of a (as m x k) and b (as k x n) within one matrix.
    const [aRow, aCol] = transposeA ? [1, m] : [k, 1];
    const [bRow, bCol] = transposeB ? [1, k] : [n, 1];
    const batches = sizeOf(batchShape);
    const aBatch = broadcastStrides(a!.shape.slice(0, -2), batchShape);
    const bBatch = broadcastStrides(b!.shape.slice(0, -2), batchShape);
    const f = Math.fround;
    for (let batch = 0; batch < batches; batch++) {
      let aOffset = 0;
      let bOffset = 0;
      let rest = batch;
      for (let d = batchShape.length - 1; d >= 0; d--) {
        const coordinate = rest % batchShape[d]!;
        rest = Math.floor(rest / batchShape[d]!);
        aOffset += coordinate * aBatch[d]! * m * k;
        bOffset += coordinate * bBatch[d]! * k * n;
      }
      const cOffset = batch * m * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc = f(acc + f(av[aOffset + i * aRow + p * aCol]! * bv[bOffset + p * bRow + j * bCol]!));
          result[cOffset + i * n + j] = acc;
        }
      }
    }
    return result;
  },
  grad(dy, { inputs: [a, b], attrs: { transposeA, transposeB }, needsGrad }, ops) {
    const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean) => ops.matMul(x, y, tx, ty);
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needsGrad[0]) {
      da = transposeA ? mm(b!, dy, transposeB, true) : mm(dy, b!, false, !transposeB);
      da = unbroadcast(da, a!.shape, ops);
    }
    if (needsGrad[1]) {
      db = transposeB ? mm(dy, a!, true, transposeA) : mm(a!, dy, !transposeA, false);
      db = unbroadcast(db, b!.shape, ops);
    }
    return [da, db];
  },
  kernel: { dedicated: 'matmul' },
};
