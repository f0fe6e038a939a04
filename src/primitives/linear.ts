/**
 * Fused dense forward: y = x . w + b, then relu when asked. Canonical order: exactly the
 * composition it replaces, the matrix product of matmul.ts (left-to-right over k from +0), then
 * one float32 addition of the bias, then relu, so fused and composed results are bit-identical.
 * The gradient is the composed one: relu's mask from the output (y > 0 exactly when x.w + b > 0),
 * dx = dy' . w^T, dw = x^T . dy', db = column sums of dy'.
 */
import { invalid } from '../errors.js';
import { matMulRule } from './matmul.js';
import type { Rule } from './types.js';

export const linearRule: Rule<'linear'> = {
  infer([x, w, b]) {
    const ok = x!.shape.length === 2 && w!.shape.length === 2 && b!.shape.length === 1 && x!.shape[1] === w!.shape[0] && b!.shape[0] === w!.shape[1]
      && x!.dtype === 'float32' && w!.dtype === 'float32' && b!.dtype === 'float32';
    if (!ok) {
      throw invalid('linear', 'Expected float32 x [n, k], w [k, units] and b [units]', { 'x.shape': x!.shape, 'w.shape': w!.shape, 'b.shape': b!.shape });
    }
    return { shape: [x!.shape[0]!, w!.shape[1]!], dtype: 'float32' };
  },
  reference([x, w, b], { relu }, out) {
    const y = matMulRule.reference([x!, w!], { transposeA: false, transposeB: false }, out);
    const units = out.shape[1]!;
    for (let i = 0; i < y.length; i++) {
      const v = Math.fround(y[i]! + b!.values[i % units]!);
      y[i] = relu && !(v > 0 || v !== v) ? 0 : v;
    }
    return y;
  },
  grad(dy, { inputs: [x, w], output: y, attrs: { relu }, needsGrad }, ops) {
    const g = relu ? ops.where(ops.greater(y, 0), dy, 0) : dy;
    return [
      needsGrad[0] ? ops.matMul(g, w!, false, true) : null,
      needsGrad[1] ? ops.matMul(x!, g, true, false) : null,
      needsGrad[2] ? ops.sum(g, [0]) : null,
    ];
  },
  kernel: { dedicated: 'matmul' },
};
