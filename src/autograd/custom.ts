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

/** TF.js-style customGrad: f returns its value and a function from dy to the inputs' gradients. */
export function customGrad(
  f: (...inputs: Tensor[]) => { value: Tensor; gradFunc: (dy: Tensor) => Tensor | Tensor[] },
): (...inputs: Tensor[]) => Tensor {
  return (...inputs) => {
    let gradFunc: ((dy: Tensor) => Tensor | Tensor[]) | undefined;
    return withGradient(inputs, () => {
      const result = f(...inputs);
      gradFunc = result.gradFunc;
      return result.value;
    }, (dy) => {
      const g = gradFunc!(dy);
      return Array.isArray(g) ? g : [g];
    });
  };
}
