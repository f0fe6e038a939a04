/** The Keras loss object that compile uses, and the checks the losses share. */
import { invalid, ValueError } from '../errors.js';
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
}

export function checkShapes(name: string, yTrue: Tensor, yPred: Tensor): void {
  const same = yTrue.shape.length === yPred.shape.length && yTrue.shape.every((d, i) => d === yPred.shape[i]);
  if (!same) {
    throw invalid(name, 'Expected yTrue and yPred of the same shape', { 'yTrue.shape': yTrue.shape, 'yPred.shape': yPred.shape });
  }
}

