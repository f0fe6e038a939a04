/**
 * Random augmentation layers with Keras 3 semantics: RandomFlip, RandomRotation,
 * RandomTranslation, RandomZoom, RandomCrop, RandomContrast. They are the identity at inference
 * (RandomCrop: a centre crop to the aspect ratio, then a resize). In training, the draws of step
 * s come from foldIn(layerKey, s), where layerKey is key(seed) or keyFor('<model>/<layer>'), as
 * Dropout's masks do: the same augmented batches on every run, backend and thread count, fresh
 * ones every step, and a layer added elsewhere shifts no one's randomness. Example i of a batch
 * uses word i of each draw, so every example gets its own transformation.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { FILL_MODES, reversed, rotationTransform, transform, type FillMode } from '../ops/image.js';
import { foldIn, key as keyOf, randomBits, type Key, type Seed } from '../random/keys.js';
import { scaledIndex, uniformValues } from '../random/samplers.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, fromChannelsLast, toChannelsLast, type DataFormat } from './convolutional.js';
import { parseSeed } from './core.js';
import { Layer, keyForPath, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
import { checkInterpolation, checkPositiveInteger, cropToAspectThenResize, imageShape, type ResizeInterpolation } from './preprocessing.js';

const f = Math.fround;

type Factor = number | [number, number];

/** Keras's factor: a number f gives [-|f|, |f|], a pair its sorted bounds, all within [lo, hi]. */
function factorBounds(context: string, name: string, factor: unknown, lo = -1, hi = 1): [number, number] {
  const inRange = (v: unknown) => typeof v === 'number' && v >= lo && v <= hi;
  if (inRange(factor)) return [-Math.abs(factor as number), Math.abs(factor as number)];
  if (Array.isArray(factor) && factor.length === 2 && factor.every(inRange)) return [Math.min(...factor), Math.max(...factor)];
  throw invalid(context, `Expected ${name} as a number or [lower, upper] in [${lo}, ${hi}]`, { [name]: factor });
}

function checkFillMode(context: string, fillMode: unknown): FillMode {
  if (!FILL_MODES.includes(fillMode as FillMode)) throw invalid(context, `Expected fillMode one of ${FILL_MODES.map((m) => `'${m}'`).join(', ')}`, { fillMode });
  return fillMode as FillMode;
}

/** `count` uniform draws in [lo, hi) (exactly lo when the range is empty), from draw `first` of the key's on. */
function uniforms(k: Key, count: number, lo: number, hi: number, first: number): Float32Array {
  return lo === hi ? new Float32Array(count).fill(lo) : uniformValues(k, count, lo, hi, first);
}

export interface AugmentationArgs extends LayerArgs {
  /** With a seed the draws come from key(seed); otherwise from keyFor('<model>/<layer>'). */
  seed?: Seed | string | null;
  dataFormat?: DataFormat;
}

/** The shared parts: seed, data format, identity at inference, the key of a training step. */
abstract class Augmentation extends Layer {
  readonly seed: Seed | undefined;
  readonly dataFormat: DataFormat;

  constructor(className: string, args: AugmentationArgs) {
    super(className, args);
    this.seed = parseSeed(className, args.seed);
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    imageShape(`${this.className} (${this.name})`, inputShape, this.dataFormat);
    return inputShape;
  }

  call(x: Tensor, context: CallContext): Tensor {
    imageShape(`${this.className} (${this.name})`, x.shape, this.dataFormat);
    if (!context.training) return x.dtype === 'float32' ? x : ops.cast(x, 'float32');
    const layerKey = this.seed === undefined ? keyForPath(this.path) : keyOf(this.seed);
    return ENGINE.tidy(() => {
      const images = toChannelsLast(x.dtype === 'float32' ? x : ops.cast(x, 'float32'), this.dataFormat);
      // A micro-batch (data-parallel training) draws its rows' values of its batch's draws.
      return fromChannelsLast(this.augment(images, foldIn(layerKey, context.step), context.rows?.offset ?? 0), this.dataFormat);
    });
  }

  /** Transforms channels-last float32 images with the draws of this step's key; `first`: the index of image 0 in its batch. */
  protected abstract augment(images: Tensor, stepKey: Key, first: number): Tensor;

  protected baseConfig(): Record<string, unknown> {
    return { seed: typeof this.seed === 'bigint' ? this.seed.toString() : this.seed ?? null, dataFormat: this.dataFormat };
  }
}

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

export interface RandomFlipArgs extends AugmentationArgs {
  mode?: FlipMode;
}

/**
 * Flips each image left-right and/or top-bottom with probability 1/2 each. With
 * 'horizontal_and_vertical' the two flips are drawn independently (Keras 3 draws one coin for
 * both, so it flips both ways or neither; Keras 2 and the docs flip independently).
 */
export class RandomFlip extends Augmentation {
  readonly mode: FlipMode;

  constructor(args: RandomFlipArgs = {}) {
    super('RandomFlip', args);
    const mode = args.mode ?? 'horizontal_and_vertical';
    if (!['horizontal', 'vertical', 'horizontal_and_vertical'].includes(mode)) {
      throw invalid('RandomFlip', "Expected mode 'horizontal', 'vertical' or 'horizontal_and_vertical'", { mode });
    }
    this.mode = mode;
  }

  protected augment(images: Tensor, stepKey: Key, first: number): Tensor {
    const n = images.shape[0]!;
    let out = images;
    const flip = (axis: number, purpose: string) => {
      const coins = uniforms(foldIn(stepKey, purpose), n, 0, 1, first);
      const heads = ops.tensor(Array.from(coins, (u) => u < 0.5), [n, 1, 1, 1], 'bool');
      const size = out.shape[axis]!;
      out = ops.where(heads, ops.gather(out, ops.tensor(reversed(size), [size], 'int32'), axis), out);
    };
    if (this.mode !== 'vertical') flip(2, 'horizontal');
    if (this.mode !== 'horizontal') flip(1, 'vertical');
    return out;
  }

  getConfig(): Record<string, unknown> {
    return { mode: this.mode, ...this.baseConfig() };
  }
}

export interface GeometricArgs extends AugmentationArgs {
  fillMode?: FillMode;
  interpolation?: ResizeInterpolation;
  fillValue?: number;
}

/**
 * Rotation, translation and zoom: one affine transform per image, from output pixel (x, y) to
 * the input point it samples, applied by the one sampler behind vb.image.transform (fill modes,
 * bilinear or nearest, float32 order in NUMERICS.md).
 */
abstract class GeometricAugmentation extends Augmentation {
  readonly fillMode: FillMode;
  readonly interpolation: ResizeInterpolation;
  readonly fillValue: number;

  constructor(className: string, args: GeometricArgs) {
    super(className, args);
    this.fillMode = checkFillMode(className, args.fillMode ?? 'reflect');
    this.interpolation = checkInterpolation(className, args.interpolation ?? 'bilinear');
    if (typeof (args.fillValue ?? 0) !== 'number') throw invalid(className, 'Expected fillValue to be a number', { fillValue: args.fillValue });
    this.fillValue = args.fillValue ?? 0;
  }

  /** Row i: [a0, a1, a2, b0, b1, b2, 0, 0] of image i (image first + i of the batch). */
  protected abstract transforms(stepKey: Key, n: number, height: number, width: number, first: number): number[][];

  protected augment(images: Tensor, stepKey: Key, first: number): Tensor {
    const [n, h, w] = images.shape as [number, number, number, number];
    const matrices = ops.tensor(this.transforms(stepKey, n, h, w, first), [n, 8]);
    return transform(images, matrices, this.interpolation, this.fillMode, this.fillValue);
  }

  protected geometricConfig(): Record<string, unknown> {
    return { fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue, ...this.baseConfig() };
  }
}

export interface RandomRotationArgs extends GeometricArgs {
  /** A fraction of a full turn: f gives angles in [-f, f] * 2 pi, [lower, upper] in [lower, upper] * 2 pi. */
  factor: Factor;
}

/** Rotates each image about its centre by a random angle; positive is counter-clockwise. */
export class RandomRotation extends GeometricAugmentation {
  readonly factor: Factor;
  private readonly bounds: [number, number];

  constructor(args: RandomRotationArgs) {
    super('RandomRotation', args);
    this.bounds = factorBounds('RandomRotation', 'factor', args.factor);
    this.factor = args.factor;
  }

  protected transforms(stepKey: Key, n: number, height: number, width: number, first: number): number[][] {
    const angles = uniforms(stepKey, n, this.bounds[0] * 2 * Math.PI, this.bounds[1] * 2 * Math.PI, first);
    return Array.from(angles, (angle) => rotationTransform(angle, height, width));
  }

  getConfig(): Record<string, unknown> {
    return { factor: this.factor, ...this.geometricConfig() };
  }
}

export interface RandomTranslationArgs extends GeometricArgs {
  /** Fractions of the height: f shifts by [-f, f] * height, [lower, upper] by [lower, upper] * height. */
  heightFactor: Factor;
  widthFactor: Factor;
}

/** Shifts each image by a random fraction of its height and width (the content moves down/right for positive draws). */
export class RandomTranslation extends GeometricAugmentation {
  readonly heightFactor: Factor;
  readonly widthFactor: Factor;
  private readonly heightBounds: [number, number];
  private readonly widthBounds: [number, number];

  constructor(args: RandomTranslationArgs) {
    super('RandomTranslation', args);
    this.heightBounds = factorBounds('RandomTranslation', 'heightFactor', args.heightFactor);
    this.widthBounds = factorBounds('RandomTranslation', 'widthFactor', args.widthFactor);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor;
  }

  protected transforms(stepKey: Key, n: number, height: number, width: number, first: number): number[][] {
    const dy = uniforms(foldIn(stepKey, 'height'), n, ...this.heightBounds, first);
    const dx = uniforms(foldIn(stepKey, 'width'), n, ...this.widthBounds, first);
    return Array.from({ length: n }, (_, i) => [1, 0, -f(dx[i]! * width), 0, 1, -f(dy[i]! * height), 0, 0]);
  }

  getConfig(): Record<string, unknown> {
    return { heightFactor: this.heightFactor, widthFactor: this.widthFactor, ...this.geometricConfig() };
  }
}

export interface RandomZoomArgs extends GeometricArgs {
  /** f zooms by 1 + [-f, f] vertically (positive: out, negative: in); [lower, upper] by 1 + [lower, upper]. */
  heightFactor: Factor;
  /** The same horizontally; null (the default) keeps the aspect ratio, using the vertical zoom. */
  widthFactor?: Factor | null;
}

/** Zooms each image about its centre by random factors. */
export class RandomZoom extends GeometricAugmentation {
  readonly heightFactor: Factor;
  readonly widthFactor: Factor | null;
  private readonly heightBounds: [number, number];
  private readonly widthBounds: [number, number] | null;

  constructor(args: RandomZoomArgs) {
    super('RandomZoom', args);
    this.heightBounds = factorBounds('RandomZoom', 'heightFactor', args.heightFactor);
    this.widthBounds = args.widthFactor == null ? null : factorBounds('RandomZoom', 'widthFactor', args.widthFactor);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor ?? null;
  }

  protected transforms(stepKey: Key, n: number, height: number, width: number, first: number): number[][] {
    const zy = uniforms(foldIn(stepKey, 'height'), n, 1 + this.heightBounds[0], 1 + this.heightBounds[1], first);
    const zx = this.widthBounds ? uniforms(foldIn(stepKey, 'width'), n, 1 + this.widthBounds[0], 1 + this.widthBounds[1], first) : zy;
    const [cx, cy] = [f((width - 1) / 2), f((height - 1) / 2)];
    return Array.from({ length: n }, (_, i) => [zx[i]!, 0, f(cx * f(1 - zx[i]!)), 0, zy[i]!, f(cy * f(1 - zy[i]!)), 0, 0]);
  }

  getConfig(): Record<string, unknown> {
    return { heightFactor: this.heightFactor, widthFactor: this.widthFactor, ...this.geometricConfig() };
  }
}

export interface RandomCropArgs extends AugmentationArgs {
  height: number;
  width: number;
}

/**
 * In training, crops a random height x width window, the same for the whole batch (as Keras),
 * from images larger than the target on both sides. At inference, and for images not larger,
 * crops the largest centred window with the target's aspect ratio and resizes it (bilinear).
 */
export class RandomCrop extends Augmentation {
  readonly height: number;
  readonly width: number;

  constructor(args: RandomCropArgs) {
    super('RandomCrop', args);
    this.height = checkPositiveInteger('RandomCrop', 'height', args.height);
    this.width = checkPositiveInteger('RandomCrop', 'width', args.width);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return imageShape(`RandomCrop (${this.name})`, inputShape, this.dataFormat).with(this.height, this.width);
  }

  override call(x: Tensor, context: CallContext): Tensor {
    if (context.training) return super.call(x, context);
    imageShape(`RandomCrop (${this.name})`, x.shape, this.dataFormat);
    return ENGINE.tidy(() => {
      const images = toChannelsLast(x.dtype === 'float32' ? x : ops.cast(x, 'float32'), this.dataFormat);
      return fromChannelsLast(this.centered(images), this.dataFormat);
    });
  }

  private centered(images: Tensor): Tensor {
    const out = cropToAspectThenResize(images, this.height, this.width, 'bilinear');
    return out === images ? ops.reshape(images, images.shape) : out;
  }

  protected augment(images: Tensor, stepKey: Key): Tensor {
    const [n, h, w, c] = images.shape as [number, number, number, number];
    if (!(h > this.height && w > this.width)) return this.centered(images);
    const [rowWord, columnWord] = randomBits(stepKey, 2);
    const top = scaledIndex(rowWord!, h - this.height + 1);
    const left = scaledIndex(columnWord!, w - this.width + 1);
    return ops.slice(images, [0, top, left, 0], [n, this.height, this.width, c]);
  }

  getConfig(): Record<string, unknown> {
    return { height: this.height, width: this.width, ...this.baseConfig() };
  }
}

export interface RandomContrastArgs extends AugmentationArgs {
  /** f gives contrast factors in [1 - f, 1 + f]; [lower, upper] gives [1 - lower, 1 + upper]; within [0, 1]. */
  factor: Factor;
  /** The range the outputs are clipped to. */
  valueRange?: [number, number];
}

/** Per image: (x - mean) * c + mean per channel (mean over height, then width), clipped to valueRange. */
export class RandomContrast extends Augmentation {
  readonly factor: Factor;
  readonly valueRange: [number, number];
  private readonly bounds: [number, number];

  constructor(args: RandomContrastArgs) {
    super('RandomContrast', args);
    const inUnit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
    const ok = inUnit(args.factor) || (Array.isArray(args.factor) && args.factor.length === 2 && args.factor.every(inUnit));
    if (!ok) throw invalid('RandomContrast', 'Expected factor as a number or [lower, upper] in [0, 1]', { factor: args.factor });
    this.bounds = typeof args.factor === 'number' ? [args.factor, args.factor] : args.factor;
    this.factor = args.factor;
    const range = args.valueRange ?? [0, 255];
    if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === 'number') || !(range[0] < range[1])) {
      throw invalid('RandomContrast', 'Expected valueRange as [low, high] with low < high', { valueRange: args.valueRange });
    }
    this.valueRange = range;
  }

  protected augment(images: Tensor, stepKey: Key, first: number): Tensor {
    const n = images.shape[0]!;
    const factors = ops.tensor(uniforms(stepKey, n, 1 - this.bounds[0], 1 + this.bounds[1], first), [n, 1, 1, 1]);
    const mean = ops.mean(ops.mean(images, 1, true), 2, true);
    return ops.clipByValue(ops.add(ops.mul(ops.sub(images, mean), factors), mean), this.valueRange[0], this.valueRange[1]);
  }

  getConfig(): Record<string, unknown> {
    return { factor: this.factor, valueRange: this.valueRange, ...this.baseConfig() };
  }
}
