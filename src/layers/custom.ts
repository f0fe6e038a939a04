/**
 * The base class users extend, with TF.js's contract: `class MyLayer extends vb.layers.Layer`,
 * `constructor(config) { super(config); }`, `build(inputShape)` creating weights with
 * `this.addWeight(name, shape, dtype, initializer, regularizer, trainable)`, `call(inputs,
 * kwargs)`, `computeOutputShape(inputShape)`, `getConfig()` (extending `super.getConfig()`) and a
 * static `className`. Weights are keyed by name like every built-in layer's
 * (`<model>/<layer>/<weight>`), so the same seed gives the same initial weights.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';

export class UserLayer extends Layer {
  /** A user's layer decides what its call takes. */
  override takesInputList = true;
  constructor(config: LayerArgs = {}) {
    super(config ?? {});
  }

  /** `vb.layers.Layer` stands for every layer: built-in layers are instances of it too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return this === UserLayer ? value instanceof Layer : Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** TF.js's default: the output has the input's shape. */
  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    return inputShape;
  }

  /** TF.js's default: the identity. */
  call(inputs: Tensor | Tensor[], _kwargs: CallContext): Tensor | Tensor[] {
    return inputs;
  }

  /** TF.js's base config, which subclasses extend: the name and trainable. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, trainable: this.trainable };
  }
}
