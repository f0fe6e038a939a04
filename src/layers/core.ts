import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { foldIn, key as keyOf, type Key, type Seed } from '../random/keys.js';
import { uniformValues } from '../random/samplers.js';
import { ENGINE } from '../engine/engine.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { fusableActivation, getActivation, type ActivationFn, type ActivationIdentifier, type ResolvedActivation } from './activations.js';
import { checkDataFormat, toChannelsLast, type DataFormat } from './convolutional.js';
import { constraintOptions, getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, firstDraw, keyForPath, type BatchRows, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | ActivationFn;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier | Initializer;
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
  biasRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
  kernelConstraint?: ConstraintOption;
  biasConstraint?: ConstraintOption;
}

/** activation(x . kernel + bias) on the last axis. */
export class Dense extends Layer {
  override supportsMasking = true;
  readonly units: number;
  readonly useBias: boolean;
  private readonly activation: ResolvedActivation;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private readonly kernelRegularizer: Regularizer | undefined;
  private readonly biasRegularizer: Regularizer | undefined;
  private readonly kernelConstraint: Constraint | undefined;
  private readonly biasConstraint: Constraint | undefined;
  kernel: Variable | undefined;
  bias: Variable | undefined;

  constructor(args: DenseArgs) {
    super('Dense', args);
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw invalid('Dense', 'Expected units to be a positive integer', { units: args.units });
    }
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.activation = getActivation(args.activation, 'Dense');
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform', 'Dense');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros', 'Dense');
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, 'Dense');
    this.biasRegularizer = getRegularizer(args.biasRegularizer, 'Dense');
    this.kernelConstraint = getConstraint(args.kernelConstraint, 'Dense', 'kernelConstraint');
    this.biasConstraint = getConstraint(args.biasConstraint, 'Dense', 'biasConstraint');
  }

  override build(inputShape: SymbolicShape): void {
    const inputDim = inputShape.at(-1);
    if (typeof inputDim !== 'number') {
      throw invalid(`Dense (${this.name})`, 'Expected an input whose last dimension is known', { inputShape });
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.units], this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  call(x: Tensor): Tensor {
    // int32 and bool inputs are promoted to float32, as Keras's and TF.js's matmul promotes them.
    if (x.dtype !== 'float32') return ENGINE.tidy(() => this.call(ops.cast(x, 'float32')));
    const inputDim = this.kernel!.shape[0]!;
    if (x.shape.at(-1) !== inputDim) {
      throw invalid(`Dense (${this.name})`, `Expected inputs whose last dimension is ${inputDim}`, { 'inputs.shape': x.shape });
    }
    const fusable = fusableActivation(this.activation);
    if (x.rank === 2 && this.bias && fusable) {
      return ops.fusedMatMul({ a: x, b: this.kernel!, bias: this.bias, activation: fusable });
    }
    return ENGINE.tidy(() => {
      const flat = x.rank === 2 ? x : ops.reshape(x, [-1, inputDim]);
      let y = ops.matMul(flat, this.kernel!);
      if (this.bias) y = ops.add(y, this.bias);
      if (x.rank !== 2) y = ops.reshape(y, [...x.shape.slice(0, -1), this.units]);
      return this.activation.fn(y);
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units, activation: this.activation.name, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer.name, biasInitializer: this.biasInitializer.name,
      kernelRegularizer: this.kernelRegularizer?.config ?? null, biasRegularizer: this.biasRegularizer?.config ?? null,
      ...constraintOptions({ kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
  }
}

export interface DropoutArgs extends LayerArgs {
  rate: number;
  /** With a seed the masks come from key(seed); otherwise from keyFor('<model>/<layer>'). */
  seed?: Seed | string | null;
  /** The mask's shape; null entries take the input's size (e.g. [null, 1, null]). */
  noiseShape?: (number | null)[] | null;
}

/** A layer's seed argument, checked; a bigint seed comes back from getConfig() as a decimal string (JSON has no bigint). */
export function parseSeed(context: string, seed: Seed | string | null | undefined): Seed | undefined {
  if (seed === null || seed === undefined) return undefined;
  const valid = typeof seed === 'bigint' || Number.isSafeInteger(seed) || (typeof seed === 'string' && /^-?\d+$/.test(seed));
  if (!valid) throw invalid(context, 'Expected seed to be an integer (a safe integer, a bigint or its decimal string)', { seed });
  return typeof seed === 'string' ? BigInt(seed) : seed;
}

/** A seed as getConfig() reports it. */
export function seedConfig(seed: Seed | undefined): number | string | null {
  return typeof seed === 'bigint' ? seed.toString() : seed ?? null;
}

/**
 * The key of a noise layer's draws at training step `step`: foldIn(layerKey, step), where the
 * layer's key is key(seed) or, unseeded, keyFor('<model>/<layer>'). Fresh every step, the same on
 * every run.
 */
export function stepKey(layer: Layer, seed: Seed | undefined, step: number): Key {
  return foldIn(seed === undefined ? keyForPath(layer.path) : keyOf(seed), step);
}

/**
 * Zeroes each element of x with probability `rate` and scales the rest by 1 / (1 - rate), with
 * the uniform mask (broadcast from maskShape) drawn from `key` (a layer's stepKey). With `rows`
 * (a micro-batch of data-parallel training) and a mask per example (maskShape's first dimension
 * x's), the mask is rows [offset, offset + batch) of the whole training batch's mask.
 */
export function invertedDropout(x: Tensor, rate: number, key: Key, maskShape: readonly number[] = x.shape, rows?: BatchRows): Tensor {
  const count = maskShape.reduce((a, b) => a * b, 1);
  const perExample = x.rank > 0 && maskShape[0] === x.shape[0];
  const u = uniformValues(key, count, 0, 1, perExample ? firstDraw(rows, count, maskShape[0]!) : 0);
  return ENGINE.tidy(() => {
    const keep = ops.greaterEqual(ENGINE.makeTensor(u, [...maskShape], 'float32'), rate);
    return ops.where(keep, ops.div(x, 1 - rate), 0);
  });
}

/**
 * In training, zeroes each element with probability `rate` and scales the rest by
 * 1 / (1 - rate). The mask of training step s is drawn from foldIn(layerKey, s): a fresh mask
 * every step, the same masks on every run.
 */
export class Dropout extends Layer {
  override supportsMasking = true;
  readonly rate: number;
  readonly seed: Seed | undefined;
  readonly noiseShape: (number | null)[] | undefined;

  /** className: subclasses with a fixed noise shape (SpatialDropout1D, ...) name themselves. */
  constructor(args: DropoutArgs, className = 'Dropout') {
    super(className, args);
    if (typeof args.rate !== 'number' || !(args.rate >= 0 && args.rate < 1)) {
      throw invalid(className, 'Expected rate in [0, 1)', { rate: args.rate });
    }
    this.rate = args.rate;
    this.seed = parseSeed('Dropout', args.seed);
    this.noiseShape = args.noiseShape ?? undefined;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.rate === 0) return x;
    const maskShape = this.noiseShape ? this.noiseShape.map((d, i) => d ?? x.shape[i]!) : [...x.shape];
    // A batch dimension fixed in noiseShape shares the mask across examples: no rows to pick.
    const rows = this.noiseShape?.[0] == null ? context.rows : undefined;
    return invertedDropout(x, this.rate, stepKey(this, this.seed, context.step), maskShape, rows);
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate, seed: seedConfig(this.seed), noiseShape: this.noiseShape ?? null };
  }
}

export class Activation extends Layer {
  override supportsMasking = true;
  private readonly activation: ResolvedActivation;

  constructor(args: LayerArgs & { activation: ActivationIdentifier | ActivationFn }) {
    super('Activation', args);
    this.activation = getActivation(args.activation, 'Activation');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => this.activation.fn(x));
  }

  getConfig(): Record<string, unknown> {
    return { activation: this.activation.name };
  }
}

/**
 * Keras's Masking: a time step whose features all equal maskValue is masked for the layers after
 * it (mask [batch, time], true where any feature differs) and its output is the input times the
 * mask, as Keras and TF.js compute it (0 for a masked step of a finite maskValue).
 */
export class Masking extends Layer {
  override supportsMasking = true;
  readonly maskValue: number;

  constructor(args: LayerArgs & { maskValue?: number } = {}) {
    super('Masking', args);
    const maskValue = args.maskValue ?? 0;
    // NaN and Infinity cannot be saved (JSON writes null, which TF.js and verbatim load as 0), as other layers' options.
    if (typeof maskValue !== 'number' || !Number.isFinite(maskValue)) throw invalid('Masking', 'Expected maskValue to be a finite number', { maskValue });
    this.maskValue = maskValue;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => ops.mul(x, ops.cast(ops.any(ops.notEqual(x, this.maskValue), -1, true), x.dtype)));
  }

  override computeMask(input: Tensor, _mask?: Tensor): Tensor {
    return ENGINE.tidy(() => ops.any(ops.notEqual(input, this.maskValue), -1));
  }

  getConfig(): Record<string, unknown> {
    return { maskValue: this.maskValue };
  }
}

/** Flattens every dimension but the batch. */
export class Flatten extends Layer {
  /** channelsFirst inputs are flattened in channels-last order (Keras, TF.js), so Dense weights fit either layout. */
  readonly dataFormat: DataFormat;

  constructor(args: LayerArgs & { dataFormat?: DataFormat } = {}) {
    super('Flatten', args);
    this.dataFormat = checkDataFormat('Flatten', args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const rest = inputShape.slice(1);
    return [inputShape[0] ?? null, rest.every((d) => d !== null) ? (rest as number[]).reduce((a, b) => a * b, 1) : null];
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => ops.reshape(toChannelsLast(x, this.dataFormat), [x.shape[0] ?? 1, -1]));
  }

  getConfig(): Record<string, unknown> {
    return { dataFormat: this.dataFormat };
  }
}

/** Reshapes each example to targetShape (one entry may be -1). */
export class Reshape extends Layer {
  readonly targetShape: number[];

  constructor(args: LayerArgs & { targetShape: number[] }) {
    super('Reshape', args);
    const ok = Array.isArray(args.targetShape) && args.targetShape.every((d) => d === -1 || (Number.isInteger(d) && d > 0))
      && args.targetShape.filter((d) => d === -1).length <= 1;
    if (!ok) throw invalid('Reshape', 'Expected targetShape of positive integers with at most one -1', { targetShape: args.targetShape });
    this.targetShape = args.targetShape;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const rest = inputShape.slice(1);
    if (!this.targetShape.includes(-1) || rest.some((d) => d === null)) return [inputShape[0] ?? null, ...this.targetShape];
    const total = (rest as number[]).reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return [inputShape[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? total / known : d))];
  }

  call(x: Tensor): Tensor {
    return ops.reshape(x, [x.shape[0]!, ...this.targetShape]);
  }

  getConfig(): Record<string, unknown> {
    return { targetShape: this.targetShape };
  }
}

/**
 * Declares the model's input shape; passes inputs through. vb.input() makes one as the source
 * of a graph; its shape may leave dimensions unknown (null).
 */
export class InputLayer extends Layer {
  /** The input's shape, batch first (null for the batch and any unknown dimension). */
  readonly batchInputShape: SymbolicShape;
  readonly dtype: 'float32' | 'int32';

  constructor(args: { inputShape?: (number | null)[]; batchInputShape?: (number | null)[]; name?: string; dtype?: 'float32' | 'int32' }) {
    const shape = args.inputShape ?? (args.batchInputShape ? args.batchInputShape.slice(1) : undefined);
    if (!shape) throw invalid('InputLayer', 'Expected inputShape or batchInputShape', { args });
    if (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
      throw invalid('InputLayer', 'Expected a shape of positive integers or null (one example, no batch dimension)', { shape });
    }
    super('InputLayer', { inputShape: shape, ...(args.name ? { name: args.name } : {}) });
    this.batchInputShape = [null, ...shape];
    this.dtype = args.dtype ?? 'float32';
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(x: Tensor): Tensor {
    return x;
  }

  getConfig(): Record<string, unknown> {
    return { inputShape: this.declaredInputShape ?? this.batchInputShape.slice(1) };
  }

  /** Holds no weights: stays built, so that its input can start the graph of another model. */
  override dispose(): void {}
}
