/**
 * Layers that pad, crop or repeat the spatial positions of [batch, height, width, channels]
 * images and [batch, depth, height, width, channels] volumes (or channels first): ZeroPadding2D
 * and 3D, Cropping2D and 3D, UpSampling2D and 3D (nearest neighbour); and the steps of [batch,
 * steps, features] sequences: ZeroPadding1D, Cropping1D, UpSampling1D.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, fromChannelsLast, toChannelsLast, type DataFormat } from './convolutional.js';
import { Layer, type LayerArgs, type SymbolicShape } from './layer.js';

type Amount = number | number[] | number[][];
const AXES: Record<number, [string, string]> = {
  2: ['[height, width]', '[[top, bottom], [left, right]]'],
  3: ['[depth, height, width]', '[[front, back], [top, bottom], [left, right]]'],
};

/** [before, after] per spatial axis from n, one n per axis, or the pairs themselves (non-negative integers). */
function pairs(context: string, argument: string, value: Amount, rank: number): [number, number][] {
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (ok(value)) return Array.from({ length: rank }, () => [value as number, value as number]);
  if (Array.isArray(value) && value.length === rank && value.every(ok)) return (value as number[]).map((n) => [n, n]);
  if (Array.isArray(value) && value.length === rank && value.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
    return (value as number[][]).map(([before, after]) => [before!, after!]);
  }
  throw invalid(context, `Expected ${argument} as a non-negative integer, ${AXES[rank]![0]} or ${AXES[rank]![1]}`, { [argument]: value });
}

/** The spatial dimensions of an input shape, and the shape with other spatial dimensions. */
function spatialShape(context: string, inputShape: SymbolicShape, dataFormat: DataFormat, rank: number): { spatial: (number | null)[]; rebuild: (spatial: (number | null)[]) => SymbolicShape } {
  if (inputShape.length !== rank + 2) throw invalid(context, `Expected inputs of rank ${rank + 2}`, { inputShape });
  if (dataFormat === 'channelsLast') return { spatial: inputShape.slice(1, -1), rebuild: (spatial) => [inputShape[0]!, ...spatial, inputShape.at(-1)!] };
  return { spatial: inputShape.slice(2), rebuild: (spatial) => [inputShape[0]!, inputShape[1]!, ...spatial] };
}

const plus = (d: number | null, n: number) => (d === null ? null : d + n);

export interface ZeroPadding2DArgs extends LayerArgs {
  padding?: Amount;
  dataFormat?: DataFormat;
}

/** Zeros before and after each spatial axis. */
export class ZeroPadding2D extends Layer {
  readonly padding: [number, number][];
  readonly dataFormat: DataFormat;

  constructor(args: ZeroPadding2DArgs = {}, className = 'ZeroPadding2D', readonly rank = 2) {
    super(className, args);
    this.padding = pairs(className, 'padding', args.padding ?? 1, rank);
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { spatial, rebuild } = spatialShape(`${this.className} (${this.name})`, inputShape, this.dataFormat, this.rank);
    return rebuild(spatial.map((d, i) => plus(d, this.padding[i]![0] + this.padding[i]![1])));
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => fromChannelsLast(ops.pad(toChannelsLast(x, this.dataFormat), [[0, 0], ...this.padding, [0, 0]]), this.dataFormat));
  }

  getConfig(): Record<string, unknown> {
    return { padding: this.padding, dataFormat: this.dataFormat };
  }
}

/** Keras's ZeroPadding3D (TF.js has none). */
export class ZeroPadding3D extends ZeroPadding2D {
  constructor(args: ZeroPadding2DArgs = {}) {
    super(args, 'ZeroPadding3D', 3);
  }
}

export interface Cropping2DArgs extends LayerArgs {
  cropping?: Amount;
  dataFormat?: DataFormat;
}

/** Removes positions at the start and the end of each spatial axis. */
export class Cropping2D extends Layer {
  readonly cropping: [number, number][];
  readonly dataFormat: DataFormat;

  constructor(args: Cropping2DArgs = {}, className = 'Cropping2D', readonly rank = 2, defaultCropping = 0) {
    super(className, args);
    this.cropping = pairs(className, 'cropping', args.cropping ?? defaultCropping, rank);
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { spatial, rebuild } = spatialShape(`${this.className} (${this.name})`, inputShape, this.dataFormat, this.rank);
    if (spatial.some((d, i) => d !== null && this.cropping[i]![0] + this.cropping[i]![1] >= d)) {
      throw invalid(`${this.className} (${this.name})`, 'Expected cropping smaller than the input', { cropping: this.cropping, inputShape });
    }
    return rebuild(spatial.map((d, i) => plus(d, -this.cropping[i]![0] - this.cropping[i]![1])));
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const image = toChannelsLast(x, this.dataFormat);
      // The input's shape, in the layer's data format (the image is channels last by now).
      this.computeOutputShape([null, ...x.shape.slice(1)]);
      const kept = image.shape.slice(1, -1).map((d, i) => d - this.cropping[i]![0] - this.cropping[i]![1]);
      return fromChannelsLast(ops.slice(image, [0, ...this.cropping.map(([start]) => start), 0], [image.shape[0]!, ...kept, image.shape.at(-1)!]), this.dataFormat);
    });
  }

  getConfig(): Record<string, unknown> {
    return { cropping: this.cropping, dataFormat: this.dataFormat };
  }
}

/** Keras's Cropping3D (TF.js has none); by default one position at each end of each axis, as Keras. */
export class Cropping3D extends Cropping2D {
  constructor(args: Cropping2DArgs = {}) {
    super(args, 'Cropping3D', 3, 1);
  }
}

export interface UpSampling2DArgs extends LayerArgs {
  size?: number | number[];
  dataFormat?: DataFormat;
  interpolation?: 'nearest';
}

/** Repeats every position size[i] times along spatial axis i (nearest neighbour). */
export class UpSampling2D extends Layer {
  readonly size: number[];
  readonly dataFormat: DataFormat;

  constructor(args: UpSampling2DArgs = {}, className = 'UpSampling2D', readonly rank = 2) {
    super(className, args);
    const size = typeof args.size === 'number' ? new Array<number>(rank).fill(args.size) : args.size ?? new Array<number>(rank).fill(2);
    if (!Array.isArray(size) || size.length !== rank || !size.every((d) => Number.isInteger(d) && d > 0)) {
      throw invalid(className, `Expected size as a positive integer or ${AXES[rank]![0]}`, { size: args.size });
    }
    if (args.interpolation !== undefined && args.interpolation !== 'nearest') {
      throw invalid(className, "Expected interpolation 'nearest' (bilinear is not supported yet)", { interpolation: args.interpolation });
    }
    this.size = [...size];
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { spatial, rebuild } = spatialShape(`${this.className} (${this.name})`, inputShape, this.dataFormat, this.rank);
    return rebuild(spatial.map((d, i) => (d === null ? null : d * this.size[i]!)));
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const image = toChannelsLast(x, this.dataFormat);
      const spatial = image.shape.slice(1, -1);
      const [n, c] = [image.shape[0]!, image.shape.at(-1)!];
      // [n, h, 1, w, 1, c] tiled to [n, h, size_h, w, size_w, c]: each position repeated in place.
      const split = ops.reshape(image, [n, ...spatial.flatMap((d) => [d, 1]), c]);
      const repeated = ops.tile(split, [1, ...this.size.flatMap((k) => [1, k]), 1]);
      return fromChannelsLast(ops.reshape(repeated, [n, ...spatial.map((d, i) => d * this.size[i]!), c]), this.dataFormat);
    });
  }

  getConfig(): Record<string, unknown> {
    return { size: this.size, dataFormat: this.dataFormat, ...(this.rank === 2 ? { interpolation: 'nearest' } : {}) };
  }
}

/** Keras's UpSampling3D (TF.js has none): nearest neighbour only, as Keras. */
export class UpSampling3D extends UpSampling2D {
  constructor(args: Omit<UpSampling2DArgs, 'interpolation'> = {}) {
    super(args, 'UpSampling3D', 3);
  }
}

/** [before, after] from n or the pair itself (non-negative integers). */
function pair(context: string, argument: string, value: number | [number, number]): [number, number] {
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (ok(value)) return [value as number, value as number];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) return [value[0], value[1]];
  throw invalid(context, `Expected ${argument} as a non-negative integer or [before, after]`, { [argument]: value });
}

/** The steps of [batch, steps, features] inputs, and the shape with other steps. */
function temporalShape(context: string, inputShape: SymbolicShape): { steps: number | null; rebuild: (steps: number | null) => SymbolicShape } {
  if (inputShape.length !== 3) throw invalid(context, 'Expected inputs of rank 3 ([batch, steps, features])', { inputShape });
  return { steps: inputShape[1]!, rebuild: (steps) => [inputShape[0]!, steps, inputShape[2]!] };
}

export interface ZeroPadding1DArgs extends LayerArgs {
  /** Zeros added before and after the steps: n, or [before, after] (default 1). */
  padding?: number | [number, number];
}

/** Keras's ZeroPadding1D: zero steps before and after the steps of [batch, steps, features]. */
export class ZeroPadding1D extends Layer {
  readonly padding: [number, number];

  constructor(args: ZeroPadding1DArgs = {}) {
    super('ZeroPadding1D', args);
    this.padding = pair('ZeroPadding1D', 'padding', args.padding ?? 1);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { steps, rebuild } = temporalShape(`ZeroPadding1D (${this.name})`, inputShape);
    return rebuild(plus(steps, this.padding[0] + this.padding[1]));
  }

  call(x: Tensor): Tensor {
    this.computeOutputShape([...x.shape]);
    return ops.pad(x, [[0, 0], this.padding, [0, 0]]);
  }

  getConfig(): Record<string, unknown> {
    return { padding: this.padding };
  }
}

export interface Cropping1DArgs extends LayerArgs {
  /** Steps removed at the start and the end: n, or [start, end] (default [1, 1], as Keras). */
  cropping?: number | [number, number];
}

/** Keras's Cropping1D: removes steps at the start and the end of [batch, steps, features]. */
export class Cropping1D extends Layer {
  readonly cropping: [number, number];

  constructor(args: Cropping1DArgs = {}) {
    super('Cropping1D', args);
    this.cropping = pair('Cropping1D', 'cropping', args.cropping ?? 1);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { steps, rebuild } = temporalShape(`Cropping1D (${this.name})`, inputShape);
    const [start, end] = this.cropping;
    if (steps !== null && start + end >= steps) {
      throw invalid(`Cropping1D (${this.name})`, 'Expected cropping smaller than the steps', { cropping: this.cropping, inputShape });
    }
    return rebuild(plus(steps, -start - end));
  }

  call(x: Tensor): Tensor {
    const [n, steps, features] = this.computeOutputShape([...x.shape]) as [number, number, number];
    return ops.slice(x, [0, this.cropping[0], 0], [n, steps, features]);
  }

  getConfig(): Record<string, unknown> {
    return { cropping: this.cropping };
  }
}

export interface UpSampling1DArgs extends LayerArgs {
  /** How many times each step is repeated (default 2). */
  size?: number;
}

/** Keras's UpSampling1D: each step of [batch, steps, features] repeated size times. */
export class UpSampling1D extends Layer {
  readonly size: number;

  constructor(args: UpSampling1DArgs = {}) {
    super('UpSampling1D', args);
    const size = args.size ?? 2;
    if (!Number.isInteger(size) || size <= 0) throw invalid('UpSampling1D', 'Expected size to be a positive integer', { size });
    this.size = size;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { steps, rebuild } = temporalShape(`UpSampling1D (${this.name})`, inputShape);
    return rebuild(steps === null ? null : steps * this.size);
  }

  call(x: Tensor): Tensor {
    const [n, steps, features] = this.computeOutputShape([...x.shape]) as [number, number, number];
    return ENGINE.tidy(() => ops.reshape(ops.tile(ops.expandDims(x, 2), [1, 1, this.size, 1]), [n, steps, features]));
  }

  getConfig(): Record<string, unknown> {
    return { size: this.size };
  }
}
