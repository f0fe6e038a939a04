/** The Keras loss object that compile uses, and the checks the losses share. */
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

export const EPSILON = 1e-7;

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface Loss {
  readonly name: string;
  /** Per-example losses, shape yPred.shape without the last axis. */
  call: LossFn;
}

export function checkShapes(name: string, yTrue: Tensor, yPred: Tensor): void {
  const same = yTrue.shape.length === yPred.shape.length && yTrue.shape.every((d, i) => d === yPred.shape[i]);
  if (!same) {
    throw invalid(name, 'Expected yTrue and yPred of the same shape', { 'yTrue.shape': yTrue.shape, 'yPred.shape': yPred.shape });
  }
}

