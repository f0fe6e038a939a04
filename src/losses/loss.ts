/** The Keras loss object that compile uses, and the checks the losses share. */
import { invalid, ValueError } from '../errors.js';
import * as ops from '../ops/index.js';
import { indexText } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export const EPSILON = 1e-7;

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface Loss {
  readonly name: string;
  /** Per-example losses, shape yPred.shape without the last axis. */
  call: LossFn;
}

/**
 * A target that is not a label the loss can take (sparse labels outside [0, classes)), at a flat
 * index of the batch's labels: fit names the data's row from it (see training.ts), where the
 * batch's own index would point into a shuffled batch.
 */
export class LabelError extends ValueError {
  /** The model output whose targets these are, when it has several (set by the training step). */
  output: number | undefined;

  constructor(readonly context: string, readonly expectation: string, readonly index: number, readonly labelShape: readonly number[], readonly value: number) {
    super(invalid(context, expectation, { [`yTrue${indexText(index, labelShape)}`]: value }).message);
  }

  /** Labels per example (row): the product of the labels' shape after the batch axis. */
  get perRow(): number {
    return this.labelShape.slice(1).reduce((n, d) => n * d, 1);
  }

  /** The error for these labels as rows [offset, offset + their rows) of a batch of `rows` (a data-parallel micro-batch's). */
  inBatch(offset: number, rows: number): LabelError {
    const moved = new LabelError(this.context, this.expectation, this.index + offset * this.perRow, [rows, ...this.labelShape.slice(1)], this.value);
    moved.output = this.output;
    return moved;
  }
}

export function checkShapes(name: string, yTrue: Tensor, yPred: Tensor): void {
  const same = yTrue.shape.length === yPred.shape.length && yTrue.shape.every((d, i) => d === yPred.shape[i]);
  if (!same) {
    throw invalid(name, 'Expected yTrue and yPred of the same shape', { 'yTrue.shape': yTrue.shape, 'yPred.shape': yPred.shape });
  }
}

/**
 * The mask an output carries, as float32 0/1 of the shape of its loss (or metric) values: one
 * value per unmasked entry counts (Keras 3 weights the values by y_pred's mask). A mask with an
 * extra last axis of 1 is squeezed, as Keras does; any other shape is an error, where Keras would
 * broadcast the mask against the wrong axis.
 */
export function valuesMask(values: Tensor, mask: Tensor, context: string): Tensor {
  const same = (shape: readonly number[]) => shape.length === values.rank && shape.every((d, i) => d === values.shape[i]);
  const squeezed = mask.rank === values.rank + 1 && mask.shape.at(-1) === 1 ? mask.shape.slice(0, -1) : mask.shape;
  if (!same(squeezed)) {
    throw invalid(context, `Expected the output's mask of the shape of its values ${JSON.stringify(values.shape)} (one per example and step)`, { 'mask.shape': mask.shape });
  }
  return ops.reshape(ops.cast(mask, 'float32'), values.shape);
}
