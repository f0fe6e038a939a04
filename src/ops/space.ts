/**
 * TF.js's spaceToBatchND, batchToSpaceND and depthToSpace: pads, reshapes, transposes and slices
 * (no arithmetic), so their gradients are the compositions' and each of the first two has the
 * other as its gradient.
 */
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, type TensorLike } from './creation.js';
import { op } from './op.js';
import { pad, reshape, slice, transpose } from './shape.js';

type Pairs = readonly (readonly [number, number])[];

/** Checks blockShape ([M] positive integers, M >= 1, x of rank M + 1 or more) and M [before, after] pairs of non-negative integers. */
function checkBlocks(context: string, t: Tensor, blockShape: readonly number[], pairs: Pairs, pairsName: string): void {
  if (!Array.isArray(blockShape) || blockShape.length === 0 || !blockShape.every((b) => Number.isInteger(b) && b > 0)) {
    throw invalid(context, 'Expected blockShape to be a non-empty array of positive integers', { blockShape });
  }
  if (t.rank < blockShape.length + 1) throw invalid(context, `Expected x of rank ${blockShape.length + 1} or more (1 + blockShape.length)`, { 'x.shape': t.shape, blockShape });
  const pairsValid = Array.isArray(pairs) && pairs.length === blockShape.length
    && pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!pairsValid) throw invalid(context, `Expected ${pairsName} to hold ${blockShape.length} (blockShape.length) pairs of non-negative integers`, { [pairsName]: pairs });
}

/**
 * TF.js's spaceToBatchND(x, blockShape, paddings): x [batch, ...spatial (M), ...rest] padded with
 * zeros, each spatial dimension split into blocks of blockShape, the block offsets moved into the
 * batch: [batch * prod(blockShape), ...padded spatial / blockShape, ...rest].
 */
export const spaceToBatchND = op(function spaceToBatchND(x: TensorLike, blockShape: readonly number[], paddings: Pairs): Tensor {
  const context = 'spaceToBatchND';
  const t = convertToTensor(x, 'x', context);
  checkBlocks(context, t, blockShape, paddings, 'paddings');
  const m = blockShape.length;
  const padded = t.shape.slice(1, m + 1).map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  if (padded.some((d, i) => d % blockShape[i]! !== 0)) {
    throw invalid(context, 'Expected each padded spatial dimension to be divisible by its blockShape', { 'x.shape': t.shape, paddings, blockShape });
  }
  const rest = t.shape.slice(m + 1);
  const batch = t.shape[0]!;
  const withPadding = pad(t, [[0, 0], ...paddings.map(([a, b]) => [a, b] as [number, number]), ...rest.map(() => [0, 0] as [number, number])]);
  // [batch, p1 / b1, b1, ..., pM / bM, bM, ...rest] -> [b1, ..., bM, batch, p1 / b1, ..., pM / bM, ...rest]
  const split = reshape(withPadding, [batch, ...padded.flatMap((d, i) => [d / blockShape[i]!, blockShape[i]!]), ...rest]);
  const perm = [...blockShape.map((_, i) => 2 + 2 * i), 0, ...blockShape.map((_, i) => 1 + 2 * i), ...rest.map((_, i) => 1 + 2 * m + i)];
  const blocks = blockShape.reduce((a, b) => a * b, 1);
  return reshape(transpose(split, perm), [blocks * batch, ...padded.map((d, i) => d / blockShape[i]!), ...rest]);
});

/**
 * TF.js's batchToSpaceND(x, blockShape, crops), the inverse: x [batch, ...spatial (M), ...rest],
 * the batch split into prod(blockShape) blocks interleaved into the spatial dimensions, then
 * cropped: [batch / prod(blockShape), ...spatial * blockShape - crops, ...rest].
 */
export const batchToSpaceND = op(function batchToSpaceND(x: TensorLike, blockShape: readonly number[], crops: Pairs): Tensor {
  const context = 'batchToSpaceND';
  const t = convertToTensor(x, 'x', context);
  checkBlocks(context, t, blockShape, crops, 'crops');
  const m = blockShape.length;
  const blocks = blockShape.reduce((a, b) => a * b, 1);
  if (t.shape[0]! % blocks !== 0) throw invalid(context, `Expected x's batch to be divisible by the product of blockShape (${blocks})`, { 'x.shape': t.shape, blockShape });
  const spatial = t.shape.slice(1, m + 1);
  const full = spatial.map((d, i) => d * blockShape[i]!);
  if (full.some((d, i) => crops[i]![0] + crops[i]![1] > d)) {
    throw invalid(context, 'Expected the crops of each spatial dimension to total at most its size times its blockShape', { 'x.shape': t.shape, crops, blockShape });
  }
  const rest = t.shape.slice(m + 1);
  const batch = t.shape[0]! / blocks;
  // [b1, ..., bM, batch, s1, ..., sM, ...rest] -> [batch, s1, b1, ..., sM, bM, ...rest]
  const split = reshape(t, [...blockShape, batch, ...spatial, ...rest]);
  const perm = [m, ...blockShape.flatMap((_, i) => [m + 1 + i, i]), ...rest.map((_, i) => 2 * m + 1 + i)];
  const merged = reshape(transpose(split, perm), [batch, ...full, ...rest]);
  return slice(merged, [0, ...crops.map(([before]) => before), ...rest.map(() => 0)], [batch, ...full.map((d, i) => d - crops[i]![0] - crops[i]![1]), ...rest]);
});

/**
 * TF.js's depthToSpace(x, blockSize, dataFormat = 'NHWC'): each pixel's channels [blockSize,
 * blockSize, depth / blockSize^2] spread into a blockSize x blockSize patch of pixels, x of rank 4
 * in 'NHWC' or 'NCHW' (TensorFlow's layout; TF.js's cpu backend has only 'NHWC').
 */
export const depthToSpace = op(function depthToSpace(x: TensorLike, blockSize: number, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): Tensor {
  const context = 'depthToSpace';
  const t = convertToTensor(x, 'x', context, 'float32');
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') throw invalid(context, "Expected dataFormat 'NHWC' or 'NCHW'", { dataFormat });
  if (t.rank !== 4) throw invalid(context, 'Expected x of rank 4', { 'x.shape': t.shape });
  if (!Number.isInteger(blockSize) || blockSize < 2) throw invalid(context, 'Expected blockSize to be an integer greater than 1', { blockSize });
  const [n, a, b, c] = t.shape as [number, number, number, number];
  const [height, width, depth] = dataFormat === 'NHWC' ? [a, b, c] : [b, c, a];
  if (depth % (blockSize * blockSize) !== 0) throw invalid(context, `Expected x's depth to be divisible by blockSize * blockSize (${blockSize * blockSize})`, { 'x.shape': t.shape, blockSize });
  const outDepth = depth / (blockSize * blockSize);
  if (dataFormat === 'NHWC') {
    const split = reshape(t, [n, height, width, blockSize, blockSize, outDepth]);
    return reshape(transpose(split, [0, 1, 3, 2, 4, 5]), [n, height * blockSize, width * blockSize, outDepth]);
  }
  const split = reshape(t, [n, blockSize, blockSize, outDepth, height, width]);
  return reshape(transpose(split, [0, 3, 4, 1, 5, 2]), [n, outDepth, height * blockSize, width * blockSize]);
});
