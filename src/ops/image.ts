/**
 * Image ops with TF.js names and argument order (`tf.image.*`, `tf.mirrorPad`), composed from
 * gather and elementwise ops, so their gradients come from gather's (scatterAdd) and need no
 * primitive of their own. Which pixels are read and with which weights depends on shapes and
 * transforms only, so it is computed here on the host in float32 (Math.fround after every
 * operation, the order documented in NUMERICS.md, "Image resampling"); the pixel arithmetic runs
 * as ordinary float32 tensor ops.
 */
import { invalid } from '../errors.js';
import { cos, sin } from '../numerics/f32math.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, fill, tensor, type TensorLike } from './creation.js';
import { add, cast, mul, sub } from './elementwise.js';
import { op } from './op.js';
import { concat, gather, reshape } from './shape.js';

const f = Math.fround;

/** Rank-4 images from rank-3 or rank-4 input, and the function that restores the input's rank. */
function batched(context: string, images: TensorLike): { x: Tensor; restore: (y: Tensor) => Tensor } {
  const t = convertToTensor(images, 'images', context);
  if (t.rank === 4) return { x: t, restore: (y) => y };
  if (t.rank === 3) return { x: reshape(t, [1, ...t.shape]), restore: (y) => reshape(y, y.shape.slice(1)) };
  throw invalid(context, 'Expected images of rank 3 or 4', { 'images.shape': t.shape });
}

function checkSize(context: string, size: unknown): [number, number] {
  const ok = Array.isArray(size) && size.length === 2 && size.every((d) => Number.isInteger(d) && d > 0);
  if (!ok) throw invalid(context, 'Expected size as [newHeight, newWidth] of positive integers', { size });
  return size as [number, number];
}

function checkCorners(context: string, alignCorners: boolean, halfPixelCenters: boolean): void {
  if (alignCorners && halfPixelCenters) {
    throw invalid(context, 'Expected alignCorners and halfPixelCenters not both true', { alignCorners, halfPixelCenters });
  }
}

/** TensorFlow's input-per-output scale: (in - 1) / (out - 1) with alignCorners, else in / out. */
function resizeScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? f((inSize - 1) / (outSize - 1)) : f(inSize / outSize);
}

const indexTensor = (values: Int32Array, shape: number[]) => tensor(values, shape, 'int32');

/** For each output row (or column): the two input rows it blends and the second one's weight. */
function bilinearAxis(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean) {
  const scale = resizeScale(inSize, outSize, alignCorners);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const source = halfPixelCenters ? f(f(f(i + 0.5) * scale) - 0.5) : f(i * scale);
    const floor = Math.floor(source);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(source), inSize - 1);
    lerp[i] = f(source - floor);
  }
  return { lower, upper, lerp };
}

/**
 * tf.image.resizeBilinear: each output is top + (bottom - top) * yLerp, where top and bottom
 * are the same blend of the two nearest input columns, left + (right - left) * xLerp.
 */
export const resizeBilinear = op(function resizeBilinear(images: TensorLike, size: readonly [number, number], alignCorners: boolean = false, halfPixelCenters: boolean = false): Tensor {
  const context = 'resizeBilinear';
  const { x: raw, restore } = batched(context, images);
  const [outH, outW] = checkSize(context, size);
  checkCorners(context, alignCorners, halfPixelCenters);
  const x = raw.dtype === 'float32' ? raw : cast(raw, 'float32');
  const [, h, w] = x.shape as [number, number, number, number];
  const rows = bilinearAxis(h, outH, alignCorners, halfPixelCenters);
  const columns = bilinearAxis(w, outW, alignCorners, halfPixelCenters);
  const left = indexTensor(columns.lower, [outW]);
  const right = indexTensor(columns.upper, [outW]);
  const xLerp = tensor(columns.lerp, [outW, 1]);
  const blendColumns = (r: Tensor) => {
    const l = gather(r, left, 2);
    return add(l, mul(sub(gather(r, right, 2), l), xLerp));
  };
  const top = blendColumns(gather(x, indexTensor(rows.lower, [outH]), 1));
  const bottom = blendColumns(gather(x, indexTensor(rows.upper, [outH]), 1));
  return restore(add(top, mul(sub(bottom, top), tensor(rows.lerp, [outH, 1, 1]))));
});

/** For each output row (or column), the input row it copies (TensorFlow's rule). */
function nearestAxis(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const scale = resizeScale(inSize, outSize, alignCorners);
  const source = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const scaled = halfPixelCenters ? f(f(i + 0.5) * scale) : f(i * scale);
    // scaled >= 0, so rounding half away from zero is floor(scaled + 0.5) (exact in float64).
    const index = Math.min(alignCorners ? Math.floor(scaled + 0.5) : Math.floor(scaled), inSize - 1);
    source[i] = Math.max(index, 0);
  }
  return source;
}

/** tf.image.resizeNearestNeighbor: keeps the input's dtype. */
export const resizeNearestNeighbor = op(function resizeNearestNeighbor(images: TensorLike, size: readonly [number, number], alignCorners: boolean = false, halfPixelCenters: boolean = false): Tensor {
  const context = 'resizeNearestNeighbor';
  const { x, restore } = batched(context, images);
  const [outH, outW] = checkSize(context, size);
  checkCorners(context, alignCorners, halfPixelCenters);
  const [, h, w] = x.shape as [number, number, number, number];
  const rows = gather(x, indexTensor(nearestAxis(h, outH, alignCorners, halfPixelCenters), [outH]), 1);
  return restore(gather(rows, indexTensor(nearestAxis(w, outW, alignCorners, halfPixelCenters), [outW]), 2));
});

/** The indices 0 .. n-1 in reverse. */
export function reversed(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => n - 1 - i);
}

/** tf.image.flipLeftRight: reverses the width axis of [batch, height, width, channels] images. */
export const flipLeftRight = op(function flipLeftRight(images: TensorLike): Tensor {
  const x = convertToTensor(images, 'images', 'flipLeftRight');
  if (x.rank !== 4) throw invalid('flipLeftRight', 'Expected images of rank 4', { 'images.shape': x.shape });
  return gather(x, indexTensor(reversed(x.shape[2]!), [x.shape[2]!]), 2);
});

/**
 * tf.mirrorPad: pads each axis with its own mirror image. 'reflect' leaves the edge out
 * ([a b c] padded by 2: c b | a b c | b a), 'symmetric' repeats it (b a | a b c | c b).
 * The gradient adds each mirrored position's gradient to its source (TensorFlow's MirrorPadGrad).
 */
export const mirrorPad = op(function mirrorPad(x: TensorLike, paddings: readonly (readonly [number, number])[], mode: 'reflect' | 'symmetric'): Tensor {
  const context = 'mirrorPad';
  const t = convertToTensor(x, 'x', context);
  if (mode !== 'reflect' && mode !== 'symmetric') throw invalid(context, "Expected mode 'reflect' or 'symmetric'", { mode });
  if (!Array.isArray(paddings) || paddings.length !== t.rank) {
    throw invalid(context, `Expected one [before, after] pair per axis (${t.rank})`, { paddings, 'x.shape': t.shape });
  }
  const edge = mode === 'reflect' ? 1 : 0;
  let result = t;
  paddings.forEach((pair, axis) => {
    const n = t.shape[axis]!;
    const limit = n - edge;
    const ok = Array.isArray(pair) && pair.length === 2 && pair.every((p) => Number.isInteger(p) && p >= 0 && p <= limit);
    if (!ok) {
      throw invalid(context, `Expected paddings[${axis}] as two integers in [0, ${limit}] for mode '${mode}' and x.shape[${axis}] = ${n}`, { [`paddings[${axis}]`]: pair });
    }
    const [before, after] = pair;
    if (before === 0 && after === 0) return;
    const indices = Int32Array.from({ length: before + n + after }, (_, j) => {
      const i = j - before;
      if (i < 0) return -i - 1 + edge;
      if (i >= n) return 2 * n - 1 - i - edge;
      return i;
    });
    result = gather(result, indexTensor(indices, [indices.length]), axis);
  });
  return result === t ? reshape(t, t.shape) : result;
});

export type Interpolation = 'nearest' | 'bilinear';
export type FillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';
export const FILL_MODES: readonly FillMode[] = ['constant', 'reflect', 'wrap', 'nearest'];

/**
 * Maps a float32 input coordinate outside [0, len - 1] back inside (TensorFlow's
 * MapCoordinate): reflect is (d c b a | a b c d | d c b a), nearest clamps, constant leaves it
 * (the sampler then reads the fill value), wrap takes the floored modulo len (TensorFlow's own
 * wrap goes wrong further than one image width outside).
 */
function mapCoordinate(c: number, len: number, mode: FillMode): number {
  if (mode === 'constant') return c;
  let m = c;
  if (mode === 'reflect' && (c < 0 || c > len - 1)) {
    if (len <= 1) {
      m = 0;
    } else if (c < 0) {
      const period = 2 * len;
      m = f(f(period * Math.trunc(f(-c / period))) + c);
      m = m < -len ? f(m + period) : f(-m - 1);
    } else {
      const period = 2 * len;
      m = f(c - f(period * Math.trunc(f(c / period))));
      if (m >= len) m = f(f(period - m) - 1);
    }
  } else if (mode === 'wrap' && (c < 0 || c > len - 1)) {
    m = len <= 1 ? 0 : f(c - f(len * Math.floor(f(c / len))));
    // The seam between the last and the first pixel is not interpolated (as in TensorFlow):
    // right of the image it reads the first pixel, left of it the last.
    if (m > len - 1) m = c > 0 ? 0 : len - 1;
  }
  return Math.min(Math.max(m, 0), len - 1);
}

/** Rounds half away from zero (C's roundf), as TensorFlow's nearest sampler does. */
const roundHalfAway = (v: number) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));

/**
 * Samples images at transformed coordinates: output pixel (x, y) of image b reads input point
 * ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with k = c0 x + c1 y + 1, where
 * [a0, a1, a2, b0, b1, b2, c0, c1] is row b of transforms (or its only row), with the fill mode
 * applied to each coordinate and then bilinear or nearest sampling. The one implementation
 * behind tf.image.transform and the rotation, translation and zoom layers.
 */
export const transform = op(function transform(
  image: TensorLike, transforms: TensorLike, interpolation: Interpolation = 'nearest', fillMode: FillMode = 'constant',
  fillValue: number = 0, outputShape?: readonly [number, number],
): Tensor {
  const context = 'transform';
  const x = convertToTensor(image, 'image', context);
  if (x.rank !== 4) throw invalid(context, 'Expected image of rank 4', { 'image.shape': x.shape });
  const m = convertToTensor(transforms, 'transforms', context, 'float32');
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (m.rank !== 2 || m.shape[1] !== 8 || (m.shape[0] !== 1 && m.shape[0] !== n)) {
    throw invalid(context, `Expected transforms of shape [1, 8] or [${n}, 8]`, { 'transforms.shape': m.shape });
  }
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') throw invalid(context, "Expected interpolation 'nearest' or 'bilinear'", { interpolation });
  if (!FILL_MODES.includes(fillMode)) throw invalid(context, `Expected fillMode one of ${FILL_MODES.join(', ')}`, { fillMode });
  if (typeof fillValue !== 'number') throw invalid(context, 'Expected fillValue to be a number', { fillValue });
  const [outH, outW] = outputShape === undefined ? [h, w] : checkSize(context, outputShape);
  const matrices = m.dataSync() as Float32Array;
  const floatImage = x.dtype === 'float32' ? x : cast(x, 'float32');
  // Every pixel of every image as a row, then one row of the fill value: index n h w.
  const rows = concat([reshape(floatImage, [n * h * w, c]), fill([1, c], fillValue)], 0);
  const fillRow = n * h * w;
  const pixels = n * outH * outW;
  const row = (b: number, yi: number, xi: number) => (yi >= 0 && yi < h && xi >= 0 && xi < w ? (b * h + yi) * w + xi : fillRow);
  const corners = interpolation === 'nearest' ? 1 : 4;
  const indices = Array.from({ length: corners }, () => new Int32Array(pixels).fill(fillRow));
  const weights = Array.from({ length: corners }, () => new Float32Array(pixels));
  for (let b = 0; b < n; b++) {
    const [a0, a1, a2, b0, b1, b2, c0, c1] = matrices.subarray(m.shape[0] === 1 ? 0 : b * 8, (m.shape[0] === 1 ? 0 : b * 8) + 8) as unknown as number[];
    for (let yo = 0; yo < outH; yo++) {
      for (let xo = 0; xo < outW; xo++) {
        const p = (b * outH + yo) * outW + xo;
        const k = f(f(f(c0! * xo) + f(c1! * yo)) + 1);
        const xs = f(f(f(f(a0! * xo) + f(a1! * yo)) + a2!) / k);
        const ys = f(f(f(f(b0! * xo) + f(b1! * yo)) + b2!) / k);
        if (k === 0 || !Number.isFinite(xs) || !Number.isFinite(ys)) {
          weights[0]![p] = 1; // the fill value, read once
          if (corners === 4) weights[2]![p] = 1;
          continue;
        }
        const xm = mapCoordinate(xs, w, fillMode);
        const ym = mapCoordinate(ys, h, fillMode);
        if (corners === 1) {
          indices[0]![p] = row(b, roundHalfAway(ym), roundHalfAway(xm));
          weights[0]![p] = 1;
          continue;
        }
        const x0 = Math.floor(xm);
        const y0 = Math.floor(ym);
        indices[0]![p] = row(b, y0, x0);
        indices[1]![p] = row(b, y0, x0 + 1);
        indices[2]![p] = row(b, y0 + 1, x0);
        indices[3]![p] = row(b, y0 + 1, x0 + 1);
        // Weights: [x1 - x, x - x0] within a row, [y1 - y, y - y0] across rows.
        weights[0]![p] = f(f(x0 + 1) - xm);
        weights[1]![p] = f(xm - x0);
        weights[2]![p] = f(f(y0 + 1) - ym);
        weights[3]![p] = f(ym - y0);
      }
    }
  }
  const read = (i: number) => gather(rows, indexTensor(indices[i]!, [pixels]), 0);
  const weight = (i: number) => tensor(weights[i]!, [pixels, 1]);
  let out: Tensor;
  if (corners === 1) {
    out = read(0);
  } else {
    const upper = add(mul(weight(0), read(0)), mul(weight(1), read(1)));
    const lower = add(mul(weight(0), read(2)), mul(weight(1), read(3)));
    out = add(mul(weight(2), upper), mul(weight(3), lower));
  }
  return reshape(out, [n, outH, outW, c]);
});

/**
 * The transform rotating images of size height x width by `angle` radians about their centre
 * ((width - 1) / 2, (height - 1) / 2), counter-clockwise for positive angles (Keras's matrix).
 */
export function rotationTransform(angle: number, height: number, width: number): number[] {
  const cosA = cos(f(angle));
  const sinA = sin(f(angle));
  const w1 = width - 1;
  const h1 = height - 1;
  const xOffset = f(f(w1 - f(f(cosA * w1) - f(sinA * h1))) / 2);
  const yOffset = f(f(h1 - f(f(sinA * w1) + f(cosA * h1))) / 2);
  return [cosA, f(-sinA), xOffset, sinA, cosA, yOffset, 0, 0];
}
