/**
 * TF.js's tf.browser.fromPixels / toPixels. They work on ImageData-like objects ({data, width,
 * height}, RGBA bytes) everywhere, and on canvases, images, videos and bitmaps where a DOM (or an
 * OffscreenCanvas) can draw them. Pixels are bytes, so there is no arithmetic to reproduce:
 * toPixels scales float32 values by 255 and rounds, as TF.js does.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './elementwise.js';
import { convertToTensor, type TensorLike } from './creation.js';

/** An ImageData or anything shaped like one: RGBA bytes, row by row. */
export interface PixelData {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

interface Drawable {
  width: number;
  height: number;
}

interface Context2D {
  drawImage(image: unknown, x: number, y: number, width?: number, height?: number): void;
  getImageData(x: number, y: number, width: number, height: number): PixelData;
  putImageData(data: unknown, x: number, y: number): void;
}

interface CanvasLike extends Drawable {
  getContext(kind: '2d'): Context2D | null;
}

const isPixelData = (x: unknown): x is PixelData =>
  x !== null && typeof x === 'object' && 'data' in x && (x.data instanceof Uint8Array || x.data instanceof Uint8ClampedArray)
  && Number.isInteger((x as PixelData).width) && Number.isInteger((x as PixelData).height);

/** A drawable's size: a video's intrinsic size, else its width and height. */
function sizeOf(source: Drawable & { videoWidth?: number; videoHeight?: number }): [number, number] {
  return [source.videoWidth || source.width, source.videoHeight || source.height];
}

/** The RGBA bytes of a canvas, image, video or bitmap, drawn on a scratch canvas. */
function readDrawable(source: Drawable): PixelData {
  const [width, height] = sizeOf(source);
  const g = globalThis as { document?: { createElement(tag: 'canvas'): CanvasLike }; OffscreenCanvas?: new (w: number, h: number) => CanvasLike };
  const own = typeof (source as Partial<CanvasLike>).getContext === 'function' ? (source as CanvasLike).getContext('2d') : null;
  if (own) return own.getImageData(0, 0, width, height);
  const canvas = g.OffscreenCanvas ? new g.OffscreenCanvas(width, height) : g.document?.createElement('canvas');
  if (!canvas) throw invalid('fromPixels', 'Expected ImageData-like {data, width, height} (no canvas to draw on here)', { pixels: source });
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  context.drawImage(source, 0, 0, width, height);
  return context.getImageData(0, 0, width, height);
}

/** An int32 tensor [height, width, numChannels] of the first numChannels of each RGBA pixel. */
export function fromPixels(pixels: PixelData | Drawable, numChannels = 3): Tensor {
  if (!Number.isInteger(numChannels) || numChannels < 1 || numChannels > 4) throw invalid('fromPixels', 'Expected numChannels in 1..4', { numChannels });
  if (pixels === null || typeof pixels !== 'object') throw invalid('fromPixels', 'Expected ImageData-like {data, width, height}, a canvas, an image or a video', { pixels });
  const image = isPixelData(pixels) ? pixels : readDrawable(pixels as Drawable);
  const { width, height, data } = image;
  if (data.length !== width * height * 4) {
    throw invalid('fromPixels', `Expected width * height * 4 = ${width * height * 4} RGBA bytes`, { 'data.length': data.length });
  }
  const values = new Int32Array(width * height * numChannels);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < numChannels; c++) values[i * numChannels + c] = data[i * 4 + c]!;
  }
  return ENGINE.makeTensor(values, [height, width, numChannels], 'int32');
}

/**
 * RGBA bytes of an image tensor [height, width] or [height, width, 1 | 3 | 4]: float32 values in
 * [0, 1] (times 255, rounded) or int32 in [0, 255]; drawn on `canvas` when one is given.
 */
export async function toPixels(img: TensorLike, canvas?: CanvasLike): Promise<Uint8ClampedArray> {
  const context = 'toPixels';
  const given = convertToTensor(img, 'img', context);
  // TF.js reads a plain array as int32 pixel values.
  const t = img instanceof Tensor ? given : ENGINE.tidy(() => cast(given, 'int32'));
  if (given !== img && given !== t) given.dispose();
  try {
    if (t.rank !== 2 && t.rank !== 3) throw invalid(context, 'Expected an image of rank 2 or 3', { 'img.shape': t.shape });
    const depth = t.rank === 2 ? 1 : t.shape[2]!;
    if (![1, 3, 4].includes(depth)) throw invalid(context, 'Expected 1, 3 or 4 channels', { 'img.shape': t.shape });
    if (t.dtype === 'bool') throw invalid(context, 'Expected dtype float32 or int32', { 'img.dtype': t.dtype });
    const [height, width] = [t.shape[0]!, t.shape[1]!];
    const data = t.dataSync();
    const [scale, limit] = t.dtype === 'float32' ? [255, 1] : [1, 255];
    const bytes = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      const rgba = [0, 0, 0, 255];
      for (let d = 0; d < depth; d++) {
        const value = data[i * depth + d]!;
        if (!(value >= 0 && value <= limit)) throw invalid(context, `Expected ${t.dtype} values in [0, ${limit}]`, { [`img[${i * depth + d}]`]: value });
        if (depth === 1) rgba[0] = rgba[1] = rgba[2] = value * scale;
        else rgba[d] = value * scale;
      }
      for (let k = 0; k < 4; k++) bytes[i * 4 + k] = Math.round(rgba[k]!);
    }
    if (canvas) {
      canvas.width = width;
      canvas.height = height;
      const ImageDataClass = (globalThis as { ImageData?: new (d: Uint8ClampedArray, w: number, h: number) => unknown }).ImageData;
      canvas.getContext('2d')!.putImageData(ImageDataClass ? new ImageDataClass(bytes, width, height) : { data: bytes, width, height }, 0, 0);
    }
    return bytes;
  } finally {
    if (t !== img) t.dispose();
  }
}

/** TF.js's tf.browser namespace. */
export const browser = { fromPixels, toPixels };
