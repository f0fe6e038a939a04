/**
 * Layers that pad, crop or repeat the spatial positions of [batch, height, width, channels]
 * images (or channels first): ZeroPadding2D, Cropping2D, UpSampling2D (nearest neighbour).
 */
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
    return fromChannelsLast(ops.pad(toChannelsLast(x, this.dataFormat), [[0, 0], this.padding[0], this.padding[1], [0, 0]]), this.dataFormat);
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
    const image = toChannelsLast(x, this.dataFormat);
    const [n, h, w, c] = image.shape as [number, number, number, number];
    const [[top, bottom], [left, right]] = this.cropping;
    this.computeOutputShape([null, h, w, c]);
    return fromChannelsLast(ops.slice(image, [0, top, left, 0], [n, h - top - bottom, w - left - right, c]), this.dataFormat);
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
    const image = toChannelsLast(x, this.dataFormat);
    const [n, h, w, c] = image.shape as [number, number, number, number];
    const repeated = ops.tile(ops.reshape(image, [n, h, 1, w, 1, c]), [1, 1, this.size[0], 1, this.size[1], 1]);
    return fromChannelsLast(ops.reshape(repeated, [n, h * this.size[0], w * this.size[1], c]), this.dataFormat);
  }

  getConfig(): Record<string, unknown> {
    return { size: this.size, dataFormat: this.dataFormat, interpolation: 'nearest' };
  }
}
