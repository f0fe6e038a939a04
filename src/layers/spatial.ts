/**
 * Layers that pad, crop or repeat the spatial positions of [batch, height, width, channels]
 * images (or channels first): ZeroPadding2D, Cropping2D, UpSampling2D (nearest neighbour); and
 * the steps of [batch, steps, features] sequences: ZeroPadding1D, Cropping1D, UpSampling1D.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, fromChannelsLast, toChannelsLast, type DataFormat } from './convolutional.js';
import { Layer, type LayerArgs, type SymbolicShape } from './layer.js';

type Amount = number | [number, number] | [[number, number], [number, number]];

/** [[top, bottom], [left, right]] from n, [h, w] or the pairs themselves (non-negative integers). */
function pairs(context: string, argument: string, value: Amount): [[number, number], [number, number]] {
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (ok(value)) return [[value as number, value as number], [value as number, value as number]];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) {
    const [h, w] = value as [number, number];
    return [[h, h], [w, w]];
  }
  if (Array.isArray(value) && value.length === 2 && value.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
    return value as [[number, number], [number, number]];
  }
  throw invalid(context, `Expected ${argument} as a non-negative integer, [height, width] or [[top, bottom], [left, right]]`, { [argument]: value });
}

function spatialShape(context: string, inputShape: SymbolicShape, dataFormat: DataFormat): { h: number | null; w: number | null; rebuild: (h: number | null, w: number | null) => SymbolicShape } {
  if (inputShape.length !== 4) throw invalid(context, 'Expected inputs of rank 4', { inputShape });
  if (dataFormat === 'channelsLast') return { h: inputShape[1]!, w: inputShape[2]!, rebuild: (h, w) => [inputShape[0]!, h, w, inputShape[3]!] };
  return { h: inputShape[2]!, w: inputShape[3]!, rebuild: (h, w) => [inputShape[0]!, inputShape[1]!, h, w] };
}

const plus = (d: number | null, n: number) => (d === null ? null : d + n);

export interface ZeroPadding2DArgs extends LayerArgs {
  padding?: Amount;
  dataFormat?: DataFormat;
}

export class ZeroPadding2D extends Layer {
  readonly padding: [[number, number], [number, number]];
  readonly dataFormat: DataFormat;

  constructor(args: ZeroPadding2DArgs = {}) {
    super('ZeroPadding2D', args);
    this.padding = pairs('ZeroPadding2D', 'padding', args.padding ?? 1);
    this.dataFormat = checkDataFormat('ZeroPadding2D', args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { h, w, rebuild } = spatialShape(`ZeroPadding2D (${this.name})`, inputShape, this.dataFormat);
    return rebuild(plus(h, this.padding[0][0] + this.padding[0][1]), plus(w, this.padding[1][0] + this.padding[1][1]));
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => fromChannelsLast(ops.pad(toChannelsLast(x, this.dataFormat), [[0, 0], this.padding[0], this.padding[1], [0, 0]]), this.dataFormat));
  }

  getConfig(): Record<string, unknown> {
    return { padding: this.padding, dataFormat: this.dataFormat };
  }
}

export interface Cropping2DArgs extends LayerArgs {
  cropping?: Amount;
  dataFormat?: DataFormat;
}

export class Cropping2D extends Layer {
  readonly cropping: [[number, number], [number, number]];
  readonly dataFormat: DataFormat;

  constructor(args: Cropping2DArgs = {}) {
    super('Cropping2D', args);
    this.cropping = pairs('Cropping2D', 'cropping', args.cropping ?? 0);
    this.dataFormat = checkDataFormat('Cropping2D', args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { h, w, rebuild } = spatialShape(`Cropping2D (${this.name})`, inputShape, this.dataFormat);
    const [[top, bottom], [left, right]] = this.cropping;
    if ((h !== null && top + bottom >= h) || (w !== null && left + right >= w)) {
      throw invalid(`Cropping2D (${this.name})`, 'Expected cropping smaller than the input', { cropping: this.cropping, inputShape });
    }
    return rebuild(plus(h, -top - bottom), plus(w, -left - right));
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const image = toChannelsLast(x, this.dataFormat);
      const [n, h, w, c] = image.shape as [number, number, number, number];
      const [[top, bottom], [left, right]] = this.cropping;
      // The input's shape, in the layer's data format (the image is channels last by now).
      this.computeOutputShape([null, ...x.shape.slice(1)]);
      return fromChannelsLast(ops.slice(image, [0, top, left, 0], [n, h - top - bottom, w - left - right, c]), this.dataFormat);
    });
  }

  getConfig(): Record<string, unknown> {
    return { cropping: this.cropping, dataFormat: this.dataFormat };
  }
}

export interface UpSampling2DArgs extends LayerArgs {
  size?: number | [number, number];
  dataFormat?: DataFormat;
  interpolation?: 'nearest';
}

/** Repeats every row size[0] times and every column size[1] times (nearest neighbour). */
export class UpSampling2D extends Layer {
  readonly size: [number, number];
  readonly dataFormat: DataFormat;

  constructor(args: UpSampling2DArgs = {}) {
    super('UpSampling2D', args);
    const size = typeof args.size === 'number' ? [args.size, args.size] : args.size ?? [2, 2];
    if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
      throw invalid('UpSampling2D', 'Expected size as a positive integer or [height, width]', { size: args.size });
    }
    if (args.interpolation !== undefined && args.interpolation !== 'nearest') {
      throw invalid('UpSampling2D', "Expected interpolation 'nearest' (bilinear is not supported yet)", { interpolation: args.interpolation });
    }
    this.size = size as [number, number];
    this.dataFormat = checkDataFormat('UpSampling2D', args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const { h, w, rebuild } = spatialShape(`UpSampling2D (${this.name})`, inputShape, this.dataFormat);
    return rebuild(h === null ? null : h * this.size[0], w === null ? null : w * this.size[1]);
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const image = toChannelsLast(x, this.dataFormat);
      const [n, h, w, c] = image.shape as [number, number, number, number];
      const repeated = ops.tile(ops.reshape(image, [n, h, 1, w, 1, c]), [1, 1, this.size[0], 1, this.size[1], 1]);
      return fromChannelsLast(ops.reshape(repeated, [n, h * this.size[0], w * this.size[1], c]), this.dataFormat);
    });
  }

  getConfig(): Record<string, unknown> {
    return { size: this.size, dataFormat: this.dataFormat, interpolation: 'nearest' };
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
