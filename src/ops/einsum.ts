/**
 * TF.js's einsum(equation, ...tensors) with TF.js's scope: an explicit output ('ij,jk->ik'), one
 * or two operands, no label repeated within an operand. Composed from sum, transpose, reshape and
 * one batched matMul, so its sums follow matMul's canonical order and it has a gradient.
 */
import { invalid } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, type TensorLike } from './creation.js';
import { matMul } from './linalg.js';
import { op } from './op.js';
import { sum } from './reduction.js';
import { reshape, transpose } from './shape.js';

/** An operand with one label per axis. */
interface Labelled {
  t: Tensor;
  labels: string[];
}

/** The operand with the axes whose labels `keep` rejects summed out. */
function sumOut(operand: Labelled, keep: (label: string) => boolean): Labelled {
  const axes = operand.labels.flatMap((label, axis) => (keep(label) ? [] : [axis]));
  if (axes.length === 0) return operand;
  return { t: sum(operand.t, axes), labels: operand.labels.filter((label) => keep(label)) };
}

/** The operand's axes put in the order of `labels` (all of its labels). */
function ordered(operand: Labelled, labels: readonly string[]): Tensor {
  const perm = labels.map((label) => operand.labels.indexOf(label));
  return perm.every((p, i) => p === i) ? operand.t : transpose(operand.t, perm);
}

export const einsum = op(function einsum(equation: string, ...tensors: TensorLike[]): Tensor {
  if (typeof equation !== 'string' || equation.split('->').length !== 2) {
    throw invalid('einsum', "Expected an equation with one arrow ('ij,jk->ik'; TF.js has no implicit output)", { equation });
  }
  const [inputs, output] = equation.replace(/\s/g, '').split('->') as [string, string];
  const terms = inputs.split(',');
  if (terms.length !== tensors.length || terms.length > 2) {
    throw invalid('einsum', `Expected one or two operands, one per input term of the equation (${terms.length})`, { equation, tensors: tensors.length });
  }
  const sizes = new Map<string, number>();
  const operands: Labelled[] = terms.map((term, i) => {
    const t = convertToTensor(tensors[i]!, `tensors[${i}]`, 'einsum', 'float32');
    const labels = [...term];
    if (!labels.every((label) => /^[a-zA-Z]$/.test(label)) || new Set(labels).size !== labels.length || labels.length !== t.rank) {
      throw invalid('einsum', `Expected input term ${i} to hold one distinct letter per axis of tensors[${i}] (no repeated label, as TF.js)`, { term, [`tensors[${i}].shape`]: t.shape });
    }
    labels.forEach((label, axis) => {
      const size = t.shape[axis]!;
      if (sizes.has(label) && sizes.get(label) !== size) throw invalid('einsum', `Expected label ${label} to have one size`, { [`tensors[${i}].shape`]: t.shape, [label]: sizes.get(label) });
      sizes.set(label, size);
    });
    return { t, labels };
  });
  const out = [...output];
  if (new Set(out).size !== out.length || !out.every((label) => sizes.has(label))) {
    throw invalid('einsum', 'Expected output labels that are distinct and appear in the inputs', { equation });
  }
  const inOutput = (label: string) => out.includes(label);
  if (operands.length === 1) return ordered(sumOut(operands[0]!, inOutput), out);
  if (operands.some(({ t }) => t.dtype !== 'float32')) {
    throw invalid('einsum', 'Expected two operands of dtype float32 (as matMul)', { dtypes: operands.map(({ t }) => t.dtype) });
  }
  // Labels only one operand has and the output lacks are summed out first.
  const [a, b] = [sumOut(operands[0]!, (l) => inOutput(l) || operands[1]!.labels.includes(l)), sumOut(operands[1]!, (l) => inOutput(l) || operands[0]!.labels.includes(l))];
  const batch = out.filter((l) => a.labels.includes(l) && b.labels.includes(l));
  const contracted = a.labels.filter((l) => b.labels.includes(l) && !inOutput(l));
  const freeA = a.labels.filter((l) => !b.labels.includes(l));
  const freeB = b.labels.filter((l) => !a.labels.includes(l));
  const size = (labels: readonly string[]) => sizeOf(labels.map((l) => sizes.get(l)!));
  const left = reshape(ordered(a, [...batch, ...freeA, ...contracted]), [size(batch), size(freeA), size(contracted)]);
  const right = reshape(ordered(b, [...batch, ...contracted, ...freeB]), [size(batch), size(contracted), size(freeB)]);
  const product = reshape(matMul(left, right), [...batch, ...freeA, ...freeB].map((l) => sizes.get(l)!));
  return ordered({ t: product, labels: [...batch, ...freeA, ...freeB] }, out);
});
