import { ENGINE } from '../engine/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, type TensorLike } from './creation.js';
import { op } from './op.js';

/** Batched matrix product; see src/primitives/matmul.ts for the canonical order. */
export const matMul = op(function matMul(a: TensorLike, b: TensorLike, transposeA: boolean = false, transposeB: boolean = false): Tensor {
  const x = convertToTensor(a, 'a', 'matMul', 'float32');
  const y = convertToTensor(b, 'b', 'matMul', 'float32');
  return ENGINE.run('matMul', [x, y], { transposeA, transposeB });
});
