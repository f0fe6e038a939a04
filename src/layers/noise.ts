/**
 * Regularization layers that add noise in training and are the identity in inference:
 * SpatialDropout1D/2D (Dropout with whole channels dropped), GaussianNoise, GaussianDropout and
 * AlphaDropout. Like Dropout, the noise of training step s is drawn from foldIn(layerKey, s)
 * (stepKey in core.ts): fresh every step, the same on every run, backend and thread count. The
 * constants Keras computes in float64 (GaussianDropout's stddev, AlphaDropout's a and b) are
 * computed here in float32 with one rounding per operation (NUMERICS.md).
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { sqrt } from '../numerics/f32math.js';
import * as ops from '../ops/index.js';
import type { Seed } from '../random/keys.js';
import { normalValues, uniformValues } from '../random/samplers.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, type DataFormat } from './convolutional.js';
import { Dropout, parseSeed, seedConfig, stepKey } from './core.js';
import { firstDraw, Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';

const f = Math.fround;

export interface SpatialDropoutArgs extends LayerArgs {
  rate: number;
  seed?: Seed | string | null;
}

export interface SpatialDropout2DArgs extends SpatialDropoutArgs {
  dataFormat?: DataFormat;
}

export interface GaussianNoiseArgs extends LayerArgs {
  stddev: number;
  seed?: Seed | string | null;
}

export interface GaussianDropoutArgs extends LayerArgs {
  rate: number;
  seed?: Seed | string | null;
}

export interface AlphaDropoutArgs extends GaussianDropoutArgs {
  /** The mask's shape; null entries take the input's size. */
  noiseShape?: (number | null)[] | null;
}

function checkRank(layer: Layer, inputShape: SymbolicShape, rank: number): void {
  if (inputShape.length !== rank) {
    throw invalid(`${layer.className} (${layer.name})`, `Expected inputs of rank ${rank} (batch first)`, { inputShape });
  }
}

/** Dropout of whole channels of [batch, steps, channels] inputs: mask shape [batch, 1, channels]. */
export class SpatialDropout1D extends Dropout {
  constructor(args: SpatialDropoutArgs) {
    super({ ...args, noiseShape: [null, 1, null] }, 'SpatialDropout1D');
  }

  override build(inputShape: SymbolicShape): void {
    checkRank(this, inputShape, 3);
    this.built = true;
  }

  override getConfig(): Record<string, unknown> {
    return { rate: this.rate, seed: seedConfig(this.seed) };
  }
}

/** Dropout of whole feature maps: mask [batch, 1, 1, channels] (channelsFirst: [batch, channels, 1, 1]). */
export class SpatialDropout2D extends Dropout {
  readonly dataFormat: DataFormat;

  constructor(args: SpatialDropout2DArgs) {
    const dataFormat = checkDataFormat('SpatialDropout2D', args.dataFormat ?? 'channelsLast');
    super({ ...args, noiseShape: dataFormat === 'channelsLast' ? [null, 1, 1, null] : [null, null, 1, 1] }, 'SpatialDropout2D');
    this.dataFormat = dataFormat;
  }

  override build(inputShape: SymbolicShape): void {
    checkRank(this, inputShape, 4);
    this.built = true;
  }

  override getConfig(): Record<string, unknown> {
    return { rate: this.rate, seed: seedConfig(this.seed), dataFormat: this.dataFormat };
  }
}

/** A noise layer's output shape is its input shape, and its seed works as Dropout's. */
abstract class NoiseLayer extends Layer {
  /** The input's mask passes on, as Keras's and TF.js's noise layers pass it. */
  override supportsMasking = true;
  readonly seed: Seed | undefined;

  constructor(className: string, args: LayerArgs & { seed?: Seed | string | null }) {
    super(className, args);
    this.seed = parseSeed(className, args.seed);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  /**
   * Normal draws with this mean and stddev for the call's training step, as a tensor of `shape`
   * (batch first); a micro-batch (context.rows) gets its rows of its batch's draws.
   */
  protected normalNoise(context: CallContext, shape: readonly number[], mean: number, stddev: number): Tensor {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = normalValues(stepKey(this, this.seed, context.step), count, mean, stddev, firstDraw(context.rows, count, shape[0]!));
    return ENGINE.makeTensor(values, shape, 'float32');
  }
}

function checkRate(context: string, rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw invalid(context, 'Expected rate in [0, 1)', { rate });
  return rate;
}

/** x + N(0, stddev^2) noise in training (Keras: x + normal(shape, 0, stddev)). */
export class GaussianNoise extends NoiseLayer {
  readonly stddev: number;

  constructor(args: GaussianNoiseArgs) {
    super('GaussianNoise', args);
    if (typeof args.stddev !== 'number' || !(args.stddev >= 0) || !Number.isFinite(args.stddev)) {
      throw invalid('GaussianNoise', 'Expected stddev to be a finite non-negative number', { stddev: args.stddev });
    }
    this.stddev = args.stddev;
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.stddev === 0) return x;
    return ENGINE.tidy(() => ops.add(x, this.normalNoise(context, x.shape, 0, this.stddev)));
  }

  getConfig(): Record<string, unknown> {
    return { stddev: this.stddev, seed: seedConfig(this.seed) };
  }
}

/** x times N(1, rate / (1 - rate)) noise in training; stddev = fl(sqrt(fl(rate / fl(1 - rate)))). */
export class GaussianDropout extends NoiseLayer {
  readonly rate: number;

  constructor(args: GaussianDropoutArgs) {
    super('GaussianDropout', args);
    this.rate = checkRate('GaussianDropout', args.rate);
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.rate === 0) return x;
    const stddev = sqrt(f(f(this.rate) / f(1 - f(this.rate))));
    return ENGINE.tidy(() => ops.mul(x, this.normalNoise(context, x.shape, 1, stddev)));
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate, seed: seedConfig(this.seed) };
  }
}

/** SELU's alpha and scale (Keras's constants); alpha' = -alpha * scale, the value SELU saturates to. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
const ALPHA_P = f(-SELU_ALPHA * SELU_SCALE);

/**
 * Keras's AlphaDropout (rate below 1: Keras accepts 1 and returns NaN): in training, dropped elements (uniform < rate) are set to alpha' and the
 * result is mapped to a * x + b, which keeps a zero mean and unit variance for SELU networks:
 * a = 1 / sqrt((1 - rate)(1 + rate alpha'^2)), b = -a alpha' rate (float32, one rounding per step).
 */
export class AlphaDropout extends NoiseLayer {
  readonly rate: number;
  readonly noiseShape: (number | null)[] | undefined;

  constructor(args: AlphaDropoutArgs) {
    super('AlphaDropout', args);
    this.rate = checkRate('AlphaDropout', args.rate);
    const noiseShape = args.noiseShape ?? undefined;
    if (noiseShape !== undefined && !(Array.isArray(noiseShape) && noiseShape.every((d) => d === null || (Number.isInteger(d) && d > 0)))) {
      throw invalid('AlphaDropout', 'Expected noiseShape to be an array of positive integers or nulls', { noiseShape });
    }
    this.noiseShape = noiseShape;
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.rate === 0) return x;
    const rate = f(this.rate);
    const a = f(1 / sqrt(f(f(1 - rate) * f(1 + f(rate * f(ALPHA_P * ALPHA_P))))));
    const b = f(f(-a * ALPHA_P) * rate);
    const maskShape = this.noiseShape ? this.noiseShape.map((d, i) => d ?? x.shape[i]!) : [...x.shape];
    const count = maskShape.reduce((m, d) => m * d, 1);
    // A batch dimension fixed in noiseShape shares the mask across examples: no rows to pick.
    const first = this.noiseShape?.[0] == null ? firstDraw(context.rows, count, maskShape[0]!) : 0;
    const u = uniformValues(stepKey(this, this.seed, context.step), count, 0, 1, first);
    return ENGINE.tidy(() => {
      const kept = ops.greaterEqual(ENGINE.makeTensor(u, maskShape, 'float32'), rate);
      return ops.add(ops.mul(ops.where(kept, x, ALPHA_P), a), b);
    });
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate, noiseShape: this.noiseShape ?? null, seed: seedConfig(this.seed) };
  }
}
