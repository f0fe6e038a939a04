/**
 * Activation layers with options (TF.js's tf.layers.leakyReLU, softmax, reLU, elu, thresholdedReLU;
 * Keras's LeakyReLU, Softmax, ReLU, ELU, ThresholdedReLU): the ops leakyRelu, softmax and elu, relu
 * capped by minimum, and x times (x > theta).
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';

/** What a masked entry counts as before a masked softmax (Keras's large negative number for float32; exact in float32). */
const LARGE_NEGATIVE = -1e9;

/** A layer that maps each input to an output of its shape (the element-wise ones also pass the mask on: supportsMasking). */
abstract class ActivationLayer extends Layer {
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
}

function finiteNumber(context: string, argument: string, value: unknown, atLeastZero: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (atLeastZero && value < 0)) {
    throw invalid(context, `Expected ${argument} to be a finite number${atLeastZero ? ' of at least 0' : ''}`, { [argument]: value });
  }
  return value;
}

export interface LeakyReLUArgs extends LayerArgs {
  /** The slope for negative inputs (default 0.3, as Keras's negative_slope and TF.js's alpha). */
  alpha?: number;
}

/** max(x, alpha x) as a layer (TF.js's tf.layers.leakyReLU, Keras's LeakyReLU). */
export class LeakyReLU extends ActivationLayer {
  override supportsMasking = true;
  readonly alpha: number;

  constructor(args: LeakyReLUArgs = {}) {
    super('LeakyReLU', args);
    this.alpha = finiteNumber('LeakyReLU', 'alpha', args.alpha ?? 0.3, false);
  }

  call(x: Tensor): Tensor {
    return ops.leakyRelu(x, this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}

export interface SoftmaxArgs extends LayerArgs {
  /** The axis normalized (default -1, the last). */
  axis?: number;
}

/**
 * softmax(x) along `axis`. A mask (carried by the input, or `apply(x, {mask})`) is Keras 3's: it
 * broadcasts to x from the last dimension (each of its dimensions 1 or x's), a masked entry counts
 * as -1e9 before the softmax and is 0 after it (so a fully masked row is 0, not uniform).
 */
export class Softmax extends ActivationLayer {
  override supportsMasking = true;
  readonly axis: number;

  constructor(args: SoftmaxArgs = {}) {
    super('Softmax', args);
    const axis = args.axis ?? -1;
    if (!Number.isInteger(axis)) throw invalid('Softmax', 'Expected axis to be an integer', { axis });
    this.axis = axis;
  }

  call(x: Tensor, context?: CallContext): Tensor {
    const mask = context?.mask;
    if (!mask) return ops.softmax(x, this.axis);
    const [xs, ms] = [x.shape, mask.shape];
    if (ms.length > xs.length || ms.some((d, i) => d !== 1 && d !== xs[xs.length - ms.length + i])) {
      throw invalid(`${this.name ?? 'Softmax'}.call`, "Expected a mask that broadcasts to the input (each dimension 1 or the input's, counted from the last; Keras 3's Softmax). A [batch, time] mask carried from embedding({maskZero}) to a softmax over classes does not: give the layer before it activation 'softmax' instead", { 'input.shape': xs, 'mask.shape': ms });
    }
    return ENGINE.tidy(() => {
      const keep = mask.dtype === 'bool' ? mask : ops.greater(mask, 0.5);
      return ops.where(keep, ops.softmax(ops.where(keep, x, LARGE_NEGATIVE), this.axis), 0);
    });
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

export interface ReLUArgs extends LayerArgs {
  /** The largest output (default null: none). */
  maxValue?: number | null;
}

/** max(x, 0), then at most maxValue when one is given. */
export class ReLU extends ActivationLayer {
  override supportsMasking = true;
  readonly maxValue: number | null;

  constructor(args: ReLUArgs = {}) {
    super('ReLU', args);
    this.maxValue = args.maxValue === undefined || args.maxValue === null ? null : finiteNumber('ReLU', 'maxValue', args.maxValue, true);
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const y = ops.relu(ops.asFloat(x, 'ReLU'));
      return this.maxValue === null ? y : ops.minimum(y, this.maxValue);
    });
  }

  getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue };
  }
}

export interface ELUArgs extends LayerArgs {
  /** The scale of the negative part, alpha (exp(x) - 1) (default 1). */
  alpha?: number;
}

/** x where x > 0, alpha (exp(x) - 1) elsewhere (Keras's ELU; TF.js's takes only alpha 1). */
export class ELU extends ActivationLayer {
  override supportsMasking = true;
  readonly alpha: number;

  constructor(args: ELUArgs = {}) {
    super('ELU', args);
    this.alpha = finiteNumber('ELU', 'alpha', args.alpha ?? 1, false);
  }

  call(x: Tensor): Tensor {
    return ops.elu(x, this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}

export interface ThresholdedReLUArgs extends LayerArgs {
  /** The threshold (default 1): x where x > theta, 0 elsewhere. */
  theta?: number;
}

/** x times (x > theta): x above the threshold, 0 (-0 for negative x) elsewhere, as Keras 2 and TF.js compute it. */
export class ThresholdedReLU extends ActivationLayer {
  override supportsMasking = true;
  readonly theta: number;

  constructor(args: ThresholdedReLUArgs = {}) {
    super('ThresholdedReLU', args);
    this.theta = finiteNumber('ThresholdedReLU', 'theta', args.theta ?? 1, true);
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const t = ops.asFloat(x, 'ThresholdedReLU');
      return ops.mul(t, ops.cast(ops.greater(t, this.theta), 'float32'));
    });
  }

  getConfig(): Record<string, unknown> {
    return { theta: this.theta };
  }
}
