import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, type TensorLike } from './creation.js';
import { add, relu } from './elementwise.js';
import { op } from './op.js';

/** Batched matrix product; see src/primitives/matmul.ts for the canonical order. */
export const matMul = op(function matMul(a: TensorLike, b: TensorLike, transposeA: boolean = false, transposeB: boolean = false): Tensor {
  const x = convertToTensor(a, 'a', 'matMul', 'float32');
  const y = convertToTensor(b, 'b', 'matMul', 'float32');
  return ENGINE.run('matMul', [x, y], { transposeA, transposeB });
});

export interface FusedMatMulArgs {
  a: TensorLike;
  b: TensorLike;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: TensorLike;
  activation?: 'linear' | 'relu';
}

/**
 * TF.js's fused.matMul: activation(a . b + bias). Runs as one fused primitive for rank-2 operands
 * without transposes, and as the composition otherwise; the bits are the same either way.
 */
export function fusedMatMul({ a, b, transposeA = false, transposeB = false, bias, activation = 'linear' }: FusedMatMulArgs): Tensor {
  if (activation !== 'linear' && activation !== 'relu') {
    throw invalid('fused.matMul', "Expected activation 'linear' or 'relu'", { activation });
  }
  const x = convertToTensor(a, 'a', 'fused.matMul', 'float32');
  const w = convertToTensor(b, 'b', 'fused.matMul', 'float32');
  const c = bias === undefined ? undefined : convertToTensor(bias, 'bias', 'fused.matMul', 'float32');
  if (c && !transposeA && !transposeB && x.rank === 2 && w.rank === 2 && c.rank === 1 && c.shape[0] === w.shape[1]) {
    return ENGINE.run('linear', [x, w, c], { relu: activation === 'relu' });
  }
  return ENGINE.tidy(() => {
    const product = matMul(x, w, transposeA, transposeB);
    const biased = c ? add(product, c) : product;
    return activation === 'relu' ? relu(biased) : biased;
  });
}
