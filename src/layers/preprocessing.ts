/**
 * Image preprocessing layers with Keras 3 semantics (TensorFlow backend): Rescaling, CenterCrop,
 * Resizing. Resizing is tf.image.resize: half-pixel centres, no antialiasing.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { resizeBilinear, resizeNearestNeighbor } from '../ops/image.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, fromChannelsLast, toChannelsLast, type DataFormat } from './convolutional.js';
import { Layer, type LayerArgs, type SymbolicShape } from './layer.js';

export type ResizeInterpolation = 'bilinear' | 'nearest';

export function checkPositiveInteger(context: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw invalid(context, `Expected ${name} to be a positive integer`, { [name]: value });
  return value as number;
}

export function checkInterpolation(context: string, interpolation: unknown): ResizeInterpolation {
  if (interpolation !== 'bilinear' && interpolation !== 'nearest') {
    throw invalid(context, "Expected interpolation 'bilinear' or 'nearest'", { interpolation });
  }
  return interpolation;
}

/** Rank-4 images' spatial size and the shape with it replaced (channels last or first). */
export function imageShape(context: string, inputShape: readonly (number | null)[], dataFormat: DataFormat) {
  if (inputShape.length !== 4) throw invalid(context, 'Expected inputs of rank 4 (a batch of images)', { inputShape });
  const [hAxis, wAxis] = dataFormat === 'channelsLast' ? [1, 2] : [2, 3];
  return {
    h: inputShape[hAxis]!, w: inputShape[wAxis]!,
    with: (h: number | null, w: number | null): SymbolicShape => inputShape.map((d, i) => (i === hAxis ? h : i === wAxis ? w : d)),
  };
}

/** tf.image.resize of channels-last images (half-pixel centres). */
export function resize(x: Tensor, height: number, width: number, interpolation: ResizeInterpolation): Tensor {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  return interpolation === 'bilinear' ? resizeBilinear(x, [height, width], false, true) : resizeNearestNeighbor(x, [height, width], false, true);
}

/**
 * The largest centred window of channels-last images with the target's aspect ratio (Keras's
 * crop_to_aspect_ratio and smart_resize), then resized to the target.
 */
export function cropToAspectThenResize(x: Tensor, height: number, width: number, interpolation: ResizeInterpolation): Tensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const cropH = Math.max(Math.min(h, Math.floor((w * height) / width)), 1);
  const cropW = Math.max(Math.min(w, Math.floor((h * width) / height)), 1);
  const cropped = cropH === h && cropW === w ? x : ops.slice(x, [0, Math.floor((h - cropH) / 2), Math.floor((w - cropW) / 2), 0], [n, cropH, cropW, c]);
  return resize(cropped, height, width, interpolation);
}

const floatImages = (x: Tensor) => (x.dtype === 'float32' ? x : ops.cast(x, 'float32'));

export interface RescalingArgs extends LayerArgs {
  scale: number | number[];
  offset?: number | number[];
}

/** x * scale + offset (per channel when given as arrays), in float32. */
export class Rescaling extends Layer {
  readonly scale: number | number[];
  readonly offset: number | number[];

  constructor(args: RescalingArgs) {
    super('Rescaling', args);
    const ok = (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && v.length > 0 && v.every((e) => typeof e === 'number' && Number.isFinite(e)));
    if (!ok(args.scale)) throw invalid('Rescaling', 'Expected scale to be a finite number or an array of them', { scale: args.scale });
    if (!ok(args.offset ?? 0)) throw invalid('Rescaling', 'Expected offset to be a finite number or an array of them', { offset: args.offset });
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => ops.add(ops.mul(floatImages(x), ops.tensor(this.scale)), ops.tensor(this.offset)));
  }

  getConfig(): Record<string, unknown> {
    return { scale: this.scale, offset: this.offset };
  }
}

export interface CropArgs extends LayerArgs {
  height: number;
  width: number;
  dataFormat?: DataFormat;
}

/**
 * Crops the centre height x width of each image (offsets floor((size - target) / 2)); an image
 * smaller than the target on either side is cropped to the target's aspect ratio and resized
 * (bilinear), as Keras does.
 */
export class CenterCrop extends Layer {
  readonly height: number;
  readonly width: number;
  readonly dataFormat: DataFormat;

  constructor(args: CropArgs) {
    super('CenterCrop', args);
    this.height = checkPositiveInteger('CenterCrop', 'height', args.height);
    this.width = checkPositiveInteger('CenterCrop', 'width', args.width);
    this.dataFormat = checkDataFormat('CenterCrop', args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return imageShape(`CenterCrop (${this.name})`, inputShape, this.dataFormat).with(this.height, this.width);
  }

  call(x: Tensor): Tensor {
    imageShape(`CenterCrop (${this.name})`, x.shape, this.dataFormat);
    return ENGINE.tidy(() => {
      const images = floatImages(toChannelsLast(x, this.dataFormat));
      const [n, h, w, c] = images.shape as [number, number, number, number];
      const fits = h >= this.height && w >= this.width;
      const out = fits
        ? ops.slice(images, [0, Math.floor((h - this.height) / 2), Math.floor((w - this.width) / 2), 0], [n, this.height, this.width, c])
        : cropToAspectThenResize(images, this.height, this.width, 'bilinear');
      return fromChannelsLast(out, this.dataFormat);
    });
  }

  getConfig(): Record<string, unknown> {
    return { height: this.height, width: this.width, dataFormat: this.dataFormat };
  }
}

export interface ResizingArgs extends CropArgs {
  interpolation?: ResizeInterpolation;
  cropToAspectRatio?: boolean;
}

/** Resizes images to height x width (tf.image.resize), optionally cropping to the aspect ratio first. */
export class Resizing extends Layer {
  readonly height: number;
  readonly width: number;
  readonly interpolation: ResizeInterpolation;
  readonly cropToAspectRatio: boolean;
  readonly dataFormat: DataFormat;

  constructor(args: ResizingArgs) {
    super('Resizing', args);
    this.height = checkPositiveInteger('Resizing', 'height', args.height);
    this.width = checkPositiveInteger('Resizing', 'width', args.width);
    this.interpolation = checkInterpolation('Resizing', args.interpolation ?? 'bilinear');
    if (typeof (args.cropToAspectRatio ?? false) !== 'boolean') {
      throw invalid('Resizing', 'Expected cropToAspectRatio to be a boolean', { cropToAspectRatio: args.cropToAspectRatio });
    }
    this.cropToAspectRatio = args.cropToAspectRatio ?? false;
    this.dataFormat = checkDataFormat('Resizing', args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return imageShape(`Resizing (${this.name})`, inputShape, this.dataFormat).with(this.height, this.width);
  }

  call(x: Tensor): Tensor {
    imageShape(`Resizing (${this.name})`, x.shape, this.dataFormat);
    return ENGINE.tidy(() => {
      const images = floatImages(toChannelsLast(x, this.dataFormat));
      const out = this.cropToAspectRatio
        ? cropToAspectThenResize(images, this.height, this.width, this.interpolation)
        : resize(images, this.height, this.width, this.interpolation);
      return fromChannelsLast(out === images ? ops.reshape(images, images.shape) : out, this.dataFormat);
    });
  }

  getConfig(): Record<string, unknown> {
    return { height: this.height, width: this.width, interpolation: this.interpolation, cropToAspectRatio: this.cropToAspectRatio, dataFormat: this.dataFormat };
  }
}
