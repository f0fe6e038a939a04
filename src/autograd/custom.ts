import { ENGINE } from '../engine/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * An op with its own gradient: forward runs without recording its inner primitives, and
 * backward(dy, output) returns one gradient (or null) per input.
 */
export function withGradient(
  inputs: readonly Tensor[], forward: () => Tensor, backwardFn: (dy: Tensor, output: Tensor) => (Tensor | null)[],
): Tensor {
  const output = ENGINE.withoutRecording(forward);
  ENGINE.record({ primitive: 'custom', inputs, output, attrs: undefined, backward: (dy) => backwardFn(dy, output) });
  return output;
}

/** The function customGrad's f is given last, as in TF.js, to keep tensors for its gradFunc. */
export type GradSaveFunc = (save: Tensor[]) => void;

/** What customGrad's f returns: its value, and the inputs' gradients from dy and the saved tensors. */
type CustomGradResult = { value: Tensor; gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[] };

/**
 * TF.js-style customGrad: f(...inputs, save) returns its value and gradFunc(dy, saved), which
 * gives the inputs' gradients; `saved` holds the tensors f passed to save (TF.js's way to keep
 * them for the backward pass; a closure over them does the same).
 */
// Tensors only: an f whose parameters are not annotated takes them as tensors ((x) => x.shape ...).
export function customGrad(f: (...inputs: Tensor[]) => CustomGradResult): (...inputs: Tensor[]) => Tensor;
// never[]: f declares the inputs it takes, (x: Tensor, save: GradSaveFunc), as TF.js's callers do.
export function customGrad(f: (...args: never[]) => CustomGradResult): (...inputs: Tensor[]) => Tensor;
export function customGrad(f: (...args: never[]) => CustomGradResult): (...inputs: Tensor[]) => Tensor {
  const forward = f as (...args: (Tensor | GradSaveFunc)[]) => CustomGradResult;
  return (...inputs) => {
    let gradFunc: ((dy: Tensor, saved: Tensor[]) => Tensor | Tensor[]) | undefined;
    let saved: Tensor[] = [];
    const save: GradSaveFunc = (tensors) => {
      saved = tensors;
    };
    return withGradient(inputs, () => {
      const result = forward(...inputs, save);
      gradFunc = result.gradFunc;
      return result.value;
    }, (dy) => {
      const g = gradFunc!(dy, saved);
      return Array.isArray(g) ? g : [g];
    });
  };
}
