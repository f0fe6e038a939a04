/**
 * TF.js's non-maximum suppression (tf.image.nonMaxSuppression and its async twin), which object
 * detectors run on their boxes, cropAndResize (their regions of interest) and rgbToGrayscale. It selects indices, computing no tensor values: the boxes and
 * scores are read on the host and each intersection over union is computed in float64, as TF.js
 * computes it (IEEE double operations, the same in every engine), so the selection is TF.js's.
 */
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, disposeConverted, tensor, type TensorLike } from './creation.js';
import { add, cast, mul, sub, where } from './elementwise.js';
import { matMul } from './linalg.js';
import { op } from './op.js';
import { gather, reshape } from './shape.js';

const CONTEXT = 'image.nonMaxSuppression';

/** Intersection over union of boxes i and j ([y1, x1, y2, x2], corners in either order); 0 for an empty box. */
function intersectionOverUnion(boxes: ArrayLike<number>, i: number, j: number): number {
  const [yminI, xminI, ymaxI, xmaxI] = corners(boxes, i);
  const [yminJ, xminJ, ymaxJ, xmaxJ] = corners(boxes, j);
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const height = Math.max(Math.min(ymaxI, ymaxJ) - Math.max(yminI, yminJ), 0);
  const width = Math.max(Math.min(xmaxI, xmaxJ) - Math.max(xminI, xminJ), 0);
  const intersection = height * width;
  return intersection / (areaI + areaJ - intersection);
}

function corners(boxes: ArrayLike<number>, i: number): [number, number, number, number] {
  const [y1, x1, y2, x2] = [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!];
  return [Math.min(y1, y2), Math.min(x1, x2), Math.max(y1, y2), Math.max(x1, x2)];
}

function checked(boxes: TensorLike, scores: TensorLike, maxOutputSize: number, iouThreshold: number, scoreThreshold: number): { b: Tensor; s: Tensor; limit: number } {
  const b = convertToTensor(boxes, 'boxes', CONTEXT, 'float32');
  const s = convertToTensor(scores, 'scores', CONTEXT, 'float32');
  if (b.rank !== 2 || b.shape[1] !== 4) throw invalid(CONTEXT, 'Expected boxes of shape [numBoxes, 4]', { 'boxes.shape': b.shape });
  if (s.rank !== 1 || s.shape[0] !== b.shape[0]) throw invalid(CONTEXT, `Expected scores of shape [${b.shape[0]}] (one per box)`, { 'scores.shape': s.shape });
  if (!Number.isInteger(maxOutputSize) || maxOutputSize < 0) throw invalid(CONTEXT, 'Expected maxOutputSize to be an integer >= 0', { maxOutputSize });
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw invalid(CONTEXT, 'Expected iouThreshold in [0, 1]', { iouThreshold });
  if (typeof scoreThreshold !== 'number' || Number.isNaN(scoreThreshold)) throw invalid(CONTEXT, 'Expected scoreThreshold to be a number', { scoreThreshold });
  return { b, s, limit: Math.min(maxOutputSize, b.shape[0]!) };
}

/**
 * The indices (int32, at most maxOutputSize) of the boxes kept, best score first: boxes scoring
 * above scoreThreshold are taken by descending score (equal scores: lower index first) unless
 * their intersection over union with a box already kept is at least iouThreshold.
 */
function select(boxes: ArrayLike<number>, scores: ArrayLike<number>, limit: number, iouThreshold: number, scoreThreshold: number): Tensor {
  const candidates = Array.from({ length: scores.length }, (_, i) => i)
    .filter((i) => scores[i]! > scoreThreshold)
    .sort((i, j) => scores[j]! - scores[i]! || i - j);
  const kept: number[] = [];
  for (const candidate of candidates) {
    if (kept.length >= limit) break;
    if (kept.every((k) => intersectionOverUnion(boxes, candidate, k) < iouThreshold)) kept.push(candidate);
  }
  return tensor(kept, [kept.length], 'int32');
}

/** TF.js's tf.image.nonMaxSuppression(boxes, scores, maxOutputSize, iouThreshold = 0.5, scoreThreshold = -Infinity). */
export const nonMaxSuppression = op(function nonMaxSuppression(
  boxes: TensorLike, scores: TensorLike, maxOutputSize: number, iouThreshold: number = 0.5, scoreThreshold: number = Number.NEGATIVE_INFINITY,
): Tensor {
  const { b, s, limit } = checked(boxes, scores, maxOutputSize, iouThreshold, scoreThreshold);
  return select(b.dataSync(), s.dataSync(), limit, iouThreshold, scoreThreshold);
});

/** The same, reading the boxes and scores asynchronously (TF.js's nonMaxSuppressionAsync). */
export async function nonMaxSuppressionAsync(boxes: TensorLike, scores: TensorLike, maxOutputSize: number, iouThreshold = 0.5, scoreThreshold = Number.NEGATIVE_INFINITY): Promise<Tensor> {
  const b = convertToTensor(boxes, 'boxes', CONTEXT, 'float32');
  const s = convertToTensor(scores, 'scores', CONTEXT, 'float32');
  try {
    const { limit } = checked(b, s, maxOutputSize, iouThreshold, scoreThreshold);
    const [boxValues, scoreValues] = await Promise.all([b.data(), s.data()]);
    return select(boxValues, scoreValues, limit, iouThreshold, scoreThreshold);
  } finally {
    disposeConverted([b, boxes], [s, scores]);
  }
}

/**
 * TF.js's tf.image.rgbToGrayscale(image): the last axis (3 channels: R, G, B) weighted by 0.2989,
 * 0.587 and 0.114 and summed (a matMul, so in its canonical order), kept as one channel, in the
 * image's dtype (int32 truncated, as TF.js casts back).
 */
export const rgbToGrayscale = op(function rgbToGrayscale(image: TensorLike): Tensor {
  const t = convertToTensor(image, 'image', 'image.rgbToGrayscale');
  if (t.rank < 2 || t.shape[t.rank - 1] !== 3) throw invalid('image.rgbToGrayscale', 'Expected an image of rank 2 or more with 3 channels last', { 'image.shape': t.shape });
  const gray = matMul(reshape(cast(t, 'float32'), [-1, 3]), tensor([[0.2989], [0.587], [0.114]]));
  const result = reshape(gray, [...t.shape.slice(0, -1), 1]);
  return t.dtype === 'float32' ? result : cast(result, t.dtype);
});

/**
 * TF.js's tf.image.cropAndResize(image, boxes, boxInd, cropSize, method = 'bilinear',
 * extrapolationValue = 0): for each box [y1, x1, y2, x2] (normalized) of image boxInd[i], a
 * cropSize crop sampled as TensorFlow samples it, positions outside the image given
 * extrapolationValue. Positions and weights are computed on the host in float32 (NUMERICS.md,
 * "Image resampling"); the pixels are blended by float32 ops on gathered rows, so the image gets
 * gather's gradient.
 */
export const cropAndResize = op(function cropAndResize(
  image: TensorLike, boxes: TensorLike, boxInd: TensorLike, cropSize: readonly [number, number],
  method: 'bilinear' | 'nearest' = 'bilinear', extrapolationValue: number = 0,
): Tensor {
  const context = 'image.cropAndResize';
  const img = convertToTensor(image, 'image', context, 'float32');
  const b = convertToTensor(boxes, 'boxes', context, 'float32');
  const indices = convertToTensor(boxInd, 'boxInd', context, 'int32');
  if (img.rank !== 4) throw invalid(context, 'Expected image of rank 4 [batch, height, width, channels]', { 'image.shape': img.shape });
  if (b.rank !== 2 || b.shape[1] !== 4) throw invalid(context, 'Expected boxes of shape [numBoxes, 4]', { 'boxes.shape': b.shape });
  if (indices.rank !== 1 || indices.shape[0] !== b.shape[0]) throw invalid(context, `Expected boxInd of shape [${b.shape[0]}] (one image per box)`, { 'boxInd.shape': indices.shape });
  // A fractional index would address a pixel between two images' rows.
  if (indices.dtype !== 'int32') throw invalid(context, 'Expected boxInd of dtype int32', { 'boxInd.dtype': indices.dtype });
  if (!Array.isArray(cropSize) || cropSize.length !== 2 || !cropSize.every((d) => Number.isInteger(d) && d > 0)) throw invalid(context, 'Expected cropSize as [height, width] of positive integers', { cropSize });
  if (method !== 'bilinear' && method !== 'nearest') throw invalid(context, "Expected method 'bilinear' or 'nearest'", { method });
  if (typeof extrapolationValue !== 'number') throw invalid(context, 'Expected extrapolationValue to be a number', { extrapolationValue });
  const [batch, height, width, channels] = img.shape as [number, number, number, number];
  const [cropHeight, cropWidth] = cropSize;
  const boxValues = b.dataSync();
  const imageOf = indices.dataSync();
  const outside = imageOf.findIndex((i) => i < 0 || i >= batch);
  if (outside >= 0) throw invalid(context, `Expected every boxInd in [0, ${batch})`, { [`boxInd[${outside}]`]: imageOf[outside] });
  const f = Math.fround;
  // Per crop axis: the source coordinate of each output row (column), TensorFlow's formula.
  const coordinates = (from: number, to: number, extent: number, size: number) => {
    const scale = size > 1 ? f(f(f(to - from) * (extent - 1)) / (size - 1)) : 0;
    return Array.from({ length: size }, (_, i) => (size > 1 ? f(f(from * (extent - 1)) + f(i * scale)) : f(f(0.5 * f(from + to)) * (extent - 1))));
  };
  const count = b.shape[0]! * cropHeight * cropWidth;
  const corners = [new Int32Array(count), new Int32Array(count), new Int32Array(count), new Int32Array(count)] as const;
  const [xLerps, yLerps] = [new Float32Array(count), new Float32Array(count)];
  const inside = new Uint8Array(count);
  for (let box = 0, k = 0; box < b.shape[0]!; box++) {
    const [y1, x1, y2, x2] = boxValues.subarray(4 * box, 4 * box + 4) as unknown as [number, number, number, number];
    const ys = coordinates(y1, y2, height, cropHeight);
    const xs = coordinates(x1, x2, width, cropWidth);
    for (const y of ys) {
      for (const x of xs) {
        if (y >= 0 && y <= height - 1 && x >= 0 && x <= width - 1) {
          inside[k] = 1;
          const [top, bottom, left, right] = method === 'nearest' ? [Math.round(y), Math.round(y), Math.round(x), Math.round(x)] : [Math.floor(y), Math.ceil(y), Math.floor(x), Math.ceil(x)];
          const row = (r: number, c: number) => (imageOf[box]! * height + r) * width + c;
          [corners[0][k], corners[1][k], corners[2][k], corners[3][k]] = [row(top, left), row(top, right), row(bottom, left), row(bottom, right)];
          yLerps[k] = f(y - top);
          xLerps[k] = f(x - left);
        }
        k++;
      }
    }
  }
  const pixels = reshape(img, [batch * height * width, channels]);
  const [topLeft, topRight, bottomLeft, bottomRight] = corners.map((c) => gather(pixels, tensor(c, [count], 'int32'), 0)) as [Tensor, Tensor, Tensor, Tensor];
  const xLerp = tensor(xLerps, [count, 1]);
  const top = add(topLeft, mul(sub(topRight, topLeft), xLerp));
  const bottom = add(bottomLeft, mul(sub(bottomRight, bottomLeft), xLerp));
  const blended = method === 'nearest' ? topLeft : add(top, mul(sub(bottom, top), tensor(yLerps, [count, 1])));
  const sampled = where(tensor(inside, [count, 1], 'bool'), blended, extrapolationValue);
  return reshape(sampled, [b.shape[0]!, cropHeight, cropWidth, channels]);
});
