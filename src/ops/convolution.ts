/**
 * Convolution and pooling (TF.js names and argument order), composed of the image-patch
 * primitives and the matrix product, so that their orders follow from those of
 * src/primitives/patches.ts and matmul.ts (NUMERICS.md):
 * - conv2d: each output is the left-to-right float32 sum, from +0, over the kernel rows, then
 *   columns, then input channels; its input gradient is scatterPatches of dy . W^T; its filter
 *   gradient the left-to-right sum over (batch, output row, output column).
 * - depthwiseConv2d: per channel, the sum over kernel rows then columns.
 * - maxPool: the first maximum of each window in (row, column) order, which also takes the
 *   whole gradient (as TensorFlow); avgPool: the window sum in (row, column) order divided by the
 *   number of positions inside the image ('same' padding does not count the padding).
 * Padding follows TensorFlow: 'valid'; 'same' with output ceil(size / stride) and the extra
 * padding row or column at the bottom or right; a number; or explicit [[0,0],[t,b],[l,r],[0,0]].
 */
import { withGradient } from '../autograd/custom.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { patchesOutputSize } from '../primitives/patches.js';
import type { PatchAttrs } from '../primitives/signature.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, ones, range, type TensorLike } from './creation.js';
import { add, cast, div, equal, mul, relu } from './elementwise.js';
import { fusedMatMul, matMul } from './linalg.js';
import { op } from './op.js';
import { argMax, max, sum } from './reduction.js';
import { expandDims, reshape, squeeze, transpose } from './shape.js';

export type Padding = 'valid' | 'same' | number | readonly (readonly [number, number])[];
export type DataFormat = 'NHWC' | 'NCHW';
type Pair = number | readonly [number, number];

/** The patch primitive: [N, H, W, C] -> [N, OH, OW, KH, KW, C] (and [N, D, H, W, C] -> [N, OD, OH, OW, KD, KH, KW, C]). */
export const extractPatches = op(function extractPatches(x: TensorLike, geometry: PatchAttrs, value: number = 0): Tensor {
  const t = convertToTensor(x, 'x', 'extractPatches');
  return ENGINE.run('extractPatches', [t], { ...geometry, value });
});

/** The transpose of extractPatches: sums patches back into an image of `size` (NUMERICS.md). */
export const scatterPatches = op(function scatterPatches(p: TensorLike, geometry: PatchAttrs, size: readonly number[]): Tensor {
  const t = convertToTensor(p, 'p', 'scatterPatches', 'float32');
  return ENGINE.run('scatterPatches', [t], { ...geometry, size: [...size] });
});

function pair(context: string, argument: string, value: Pair): [number, number] {
  const v = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw invalid(context, `Expected ${argument} to be a positive integer or a pair of them`, { [argument]: value });
  }
  return [v[0]!, v[1]!];
}

/** TF.js's dimRoundingMode: how an output size that is not a whole number is rounded (explicit pads only). */
export type DimRoundingMode = 'floor' | 'round' | 'ceil';

/**
 * TensorFlow's padding of one spatial axis: [before, after]. With an explicit pad and TF.js's
 * dimRoundingMode, the output size is TF.js's: (extent + pads - window) / stride + 1 rounded as
 * asked (truncated without a mode); a size rounded up reads past the padding, so `after` grows
 * to cover it with more padding (zeros for a convolution, left out of a pooling window).
 */
function axisPadding(
  context: string, pad: Padding, extent: number, kernel: number, stride: number, dilation: number, axis: number, rounding?: DimRoundingMode,
): [number, number] {
  const [before, after] = explicitPadding(context, pad, extent, kernel, stride, dilation, axis);
  if (rounding === undefined || typeof pad === 'string') return [before, after];
  const effective = (kernel - 1) * dilation + 1;
  const exact = (extent + before + after - effective) / stride + 1;
  const size = rounding === 'ceil' ? Math.ceil(exact) : rounding === 'round' ? Math.round(exact) : Math.floor(exact);
  return [before, Math.max(after, (size - 1) * stride + effective - extent - before)];
}

function explicitPadding(context: string, pad: Padding, extent: number, kernel: number, stride: number, dilation: number, axis: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  if (pad === 'valid') return [0, 0];
  if (pad === 'same') {
    const out = Math.ceil(extent / stride);
    const total = Math.max((out - 1) * stride + effective - extent, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0) throw invalid(context, 'Expected pad to be a non-negative integer', { pad });
    return [pad, pad];
  }
  if (Array.isArray(pad) && pad.length === 4 && pad.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0))
    && pad[0]![0] === 0 && pad[0]![1] === 0 && pad[3]![0] === 0 && pad[3]![1] === 0) {
    return [pad[axis + 1]![0]!, pad[axis + 1]![1]!];
  }
  throw invalid(context, "Expected pad 'valid', 'same', a non-negative integer or [[0, 0], [top, bottom], [left, right], [0, 0]]", { pad });
}

function geometry(context: string, shape: readonly number[], kernel: [number, number], strides: Pair, pad: Padding, dilations: Pair, dimRoundingMode?: DimRoundingMode | null): PatchAttrs {
  // null is no mode, as in TF.js (JS programs pass it for "none").
  const rounding = dimRoundingMode ?? undefined;
  const s = pair(context, 'strides', strides);
  const d = pair(context, 'dilations', dilations);
  if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) {
    throw invalid(context, 'Expected strides or dilations of 1 (TensorFlow does not combine them)', { strides, dilations });
  }
  if (rounding !== undefined && !['floor', 'round', 'ceil'].includes(rounding)) throw invalid(context, "Expected dimRoundingMode 'floor', 'round' or 'ceil'", { dimRoundingMode: rounding });
  if (rounding !== undefined && typeof pad === 'string') throw invalid(context, 'Expected a number or explicit pads with dimRoundingMode (as TF.js)', { pad, dimRoundingMode: rounding });
  const [top, bottom] = axisPadding(context, pad, shape[1]!, kernel[0], s[0], d[0], 0, rounding);
  const [left, right] = axisPadding(context, pad, shape[2]!, kernel[1], s[1], d[1], 1, rounding);
  return { kernel, strides: s, dilations: d, pads: [top, bottom, left, right] };
}

/** Runs f on a rank-4 NHWC view of x (adding the batch for rank 3, transposing NCHW), and back. */
function asNHWC(context: string, x: TensorLike, dataFormat: DataFormat, f: (image: Tensor) => Tensor): Tensor {
  const t = convertToTensor(x, 'x', context, 'float32');
  if (t.rank !== 3 && t.rank !== 4) throw invalid(context, 'Expected x of rank 3 or 4', { 'x.shape': t.shape });
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') throw invalid(context, "Expected dataFormat 'NHWC' or 'NCHW'", { dataFormat });
  const batched = t.rank === 3 ? expandDims(t, 0) : t;
  const image = dataFormat === 'NCHW' ? transpose(batched, [0, 2, 3, 1]) : batched;
  const result = f(image);
  const back = dataFormat === 'NCHW' ? transpose(result, [0, 3, 1, 2]) : result;
  return t.rank === 3 ? reshape(back, back.shape.slice(1)) : back;
}

function filterOf(context: string, filter: TensorLike, rank: number, argument = 'filter'): Tensor {
  const w = convertToTensor(filter, argument, context, 'float32');
  if (w.rank !== rank) throw invalid(context, `Expected ${argument} of rank ${rank}`, { [`${argument}.shape`]: w.shape });
  return w;
}

/** conv2d's product, optionally with the fused dense epilogue (bias, relu) of fusedMatMul. */
function convolve(
  context: string, x: TensorLike, w: Tensor, strides: Pair, pad: Padding, dataFormat: DataFormat, dilations: Pair,
  epilogue?: { bias: Tensor; activation: 'linear' | 'relu' }, rounding?: DimRoundingMode,
): Tensor {
  return asNHWC(context, x, dataFormat, (image) => {
    const [kh, kw, inC, outC] = w.shape as [number, number, number, number];
    if (image.shape[3] !== inC) throw invalid(context, `Expected x with ${inC} channels (the filter's third dimension)`, { 'x.shape': image.shape, 'filter.shape': w.shape });
    const p = extractPatches(image, geometry(context, image.shape, [kh, kw], strides, pad, dilations, rounding));
    const [n, oh, ow] = p.shape as [number, number, number];
    const rows = reshape(p, [n * oh * ow, kh * kw * inC]);
    const kernel = reshape(w, [kh * kw * inC, outC]);
    const product = epilogue ? fusedMatMul({ a: rows, b: kernel, bias: epilogue.bias, activation: epilogue.activation }) : matMul(rows, kernel);
    return reshape(product, [n, oh, ow, outC]);
  });
}

/** 2-D convolution: x [N, H, W, C] (or [H, W, C]), filter [KH, KW, C, F]. */
export const conv2d = op(function conv2d(
  x: TensorLike, filter: TensorLike, strides: Pair, pad: Padding, dataFormat: DataFormat = 'NHWC', dilations: Pair = 1, dimRoundingMode?: DimRoundingMode,
): Tensor {
  return convolve('conv2d', x, filterOf('conv2d', filter, 4), strides, pad, dataFormat, dilations, undefined, dimRoundingMode);
});

export interface FusedConv2DArgs {
  x: TensorLike;
  filter: TensorLike;
  strides: Pair;
  pad: Padding;
  dataFormat?: DataFormat;
  dilations?: Pair;
  bias?: TensorLike;
  activation?: 'linear' | 'relu';
}

/**
 * TF.js's fused.conv2d: activation(conv2d(x, filter) + bias), with the bias and relu applied in
 * the matrix product's epilogue (NHWC); the bits are those of the composition.
 */
export const fusedConv2d = op(function fusedConv2d({ x, filter, strides, pad, dataFormat = 'NHWC', dilations = 1, bias, activation = 'linear' }: FusedConv2DArgs): Tensor {
  if (activation !== 'linear' && activation !== 'relu') throw invalid('fused.conv2d', "Expected activation 'linear' or 'relu'", { activation });
  const w = filterOf('fused.conv2d', filter, 4);
  if (bias === undefined || dataFormat !== 'NHWC') {
    const y = convolve('fused.conv2d', x, w, strides, pad, dataFormat, dilations);
    const biased = bias === undefined ? y : add(y, dataFormat === 'NHWC' ? bias : reshape(convertToTensor(bias, 'bias', 'fused.conv2d', 'float32'), [-1, 1, 1]));
    return activation === 'relu' ? relu(biased) : biased;
  }
  const b = convertToTensor(bias, 'bias', 'fused.conv2d', 'float32');
  if (b.rank !== 1 || b.shape[0] !== w.shape[3]) throw invalid('fused.conv2d', `Expected bias of shape [${w.shape[3]}]`, { 'bias.shape': b.shape });
  return convolve('fused.conv2d', x, w, strides, pad, dataFormat, dilations, { bias: b, activation });
});

/** 1-D convolution: x [N, W, C] (or [W, C]), filter [K, C, F], as conv2d over a height of 1. */
export const conv1d = op(function conv1d(
  x: TensorLike, filter: TensorLike, stride: number, pad: 'valid' | 'same' | number, dataFormat: 'NWC' | 'NCW' = 'NWC', dilation: number = 1,
  dimRoundingMode?: DimRoundingMode,
): Tensor {
  const t = convertToTensor(x, 'x', 'conv1d', 'float32');
  const w = filterOf('conv1d', filter, 3);
  if (t.rank !== 2 && t.rank !== 3) throw invalid('conv1d', 'Expected x of rank 2 or 3', { 'x.shape': t.shape });
  if (dataFormat !== 'NWC' && dataFormat !== 'NCW') throw invalid('conv1d', "Expected dataFormat 'NWC' or 'NCW'", { dataFormat });
  const padding: Padding = typeof pad === 'number' ? [[0, 0], [0, 0], [pad, pad], [0, 0]] : pad;
  // A height of 1 inserted before the width: [N, 1, W, C] (NWC) or [N, C, 1, W] (NCW).
  const axis = dataFormat === 'NWC' ? t.rank - 2 : t.rank - 1;
  const y = conv2d(expandDims(t, axis), expandDims(w, 0), [1, stride], padding, dataFormat === 'NWC' ? 'NHWC' : 'NCHW', [1, dilation], dimRoundingMode);
  return squeeze(y, [axis]);
});

/** Depthwise 2-D convolution: filter [KH, KW, C, M] gives C M output channels (c m + j). */
export const depthwiseConv2d = op(function depthwiseConv2d(
  x: TensorLike, filter: TensorLike, strides: Pair, pad: Padding, dataFormat: DataFormat = 'NHWC', dilations: Pair = 1, dimRoundingMode?: DimRoundingMode,
): Tensor {
  const w = filterOf('depthwiseConv2d', filter, 4);
  return asNHWC('depthwiseConv2d', x, dataFormat, (image) => {
    const [kh, kw, inC, multiplier] = w.shape as [number, number, number, number];
    if (image.shape[3] !== inC) throw invalid('depthwiseConv2d', `Expected x with ${inC} channels`, { 'x.shape': image.shape, 'filter.shape': w.shape });
    const p = extractPatches(image, geometry('depthwiseConv2d', image.shape, [kh, kw], strides, pad, dilations, dimRoundingMode));
    const [n, oh, ow] = p.shape as [number, number, number];
    // [N OH OW, C, KH KW] . [C, KH KW, M]: per channel, the sum over kernel rows then columns.
    const windows = transpose(reshape(p, [n * oh * ow, kh * kw, inC]), [2, 0, 1]);
    const kernels = transpose(reshape(w, [kh * kw, inC, multiplier]), [1, 0, 2]);
    const product = matMul(windows, kernels);
    return reshape(transpose(product, [1, 0, 2]), [n, oh, ow, inC * multiplier]);
  });
});

/** Depthwise convolution, then a 1 x 1 convolution with pointwiseFilter [1, 1, C M, F]. */
export const separableConv2d = op(function separableConv2d(
  x: TensorLike, depthwiseFilter: TensorLike, pointwiseFilter: TensorLike, strides: Pair, pad: Padding,
  dilation: Pair = 1, dataFormat: DataFormat = 'NHWC',
): Tensor {
  const depthwise = depthwiseConv2d(x, depthwiseFilter, strides, pad, dataFormat, dilation);
  return conv2d(depthwise, filterOf('separableConv2d', pointwiseFilter, 4, 'pointwiseFilter'), 1, 'valid', dataFormat);
});

/**
 * The transpose of conv2d (its gradient with respect to the input): x [N, H, W, F], filter
 * [KH, KW, C, F], outputShape [N, OH, OW, C] (or without the batch).
 */
export const conv2dTranspose = op(function conv2dTranspose(
  x: TensorLike, filter: TensorLike, outputShape: readonly number[], strides: Pair, pad: Padding, dimRoundingMode?: DimRoundingMode,
): Tensor {
  const w = filterOf('conv2dTranspose', filter, 4);
  return asNHWC('conv2dTranspose', x, 'NHWC', (image) => {
    const [kh, kw, outC, inC] = w.shape as [number, number, number, number];
    const target = outputShape.length === 3 ? [image.shape[0]!, ...outputShape] : [...outputShape];
    if (target.length !== 4 || target[0] !== image.shape[0] || target[3] !== outC || image.shape[3] !== inC) {
      throw invalid('conv2dTranspose', `Expected outputShape [batch, height, width, ${outC}] and x with ${inC} channels`, { outputShape, 'x.shape': image.shape, 'filter.shape': w.shape });
    }
    const g = geometry('conv2dTranspose', target, [kh, kw], strides, pad, 1, dimRoundingMode);
    const [oh, ow] = patchesOutputSize([target[1]!, target[2]!], g) as [number, number];
    if (oh !== image.shape[1] || ow !== image.shape[2]) {
      throw invalid('conv2dTranspose', `Expected x of spatial size [${oh}, ${ow}] for this outputShape, strides and pad`, { 'x.shape': image.shape, outputShape });
    }
    const n = image.shape[0]!;
    const columns = matMul(reshape(image, [n * oh * ow, inC]), reshape(w, [kh * kw * outC, inC]), false, true);
    return scatterPatches(reshape(columns, [n, oh, ow, kh, kw, outC]), g, [target[1]!, target[2]!]);
  });
});

function poolWindows(context: string, image: Tensor, filterSize: Pair, strides: Pair, pad: Padding, value: number, rounding?: DimRoundingMode): { windows: Tensor; g: PatchAttrs } {
  const kernel = pair(context, 'filterSize', filterSize);
  const g = geometry(context, image.shape, kernel, strides, pad, 1, rounding);
  const p = extractPatches(image, g, value);
  const [n, oh, ow, , , c] = p.shape as [number, number, number, number, number, number];
  return { windows: reshape(p, [n, oh, ow, kernel[0] * kernel[1], c]), g };
}

/** Max pooling: the first maximum of each window, which takes the whole gradient. */
export const maxPool = op(function maxPool(x: TensorLike, filterSize: Pair, strides: Pair, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  return asNHWC('maxPool', x, 'NHWC', (image) => {
    const { windows, g } = poolWindows('maxPool', image, filterSize, strides, pad, -Infinity, dimRoundingMode);
    return withGradient([image], () => max(windows, 3), (dy) => ENGINE.tidy(() => {
      const size = windows.shape[3]!;
      const first = expandDims(argMax(windows, 3), 3);
      const positions = reshape(range(0, size, 1, 'int32'), [1, 1, 1, size, 1]);
      const routed = mul(cast(equal(positions, first), 'float32'), expandDims(dy, 3));
      const [n, oh, ow, , c] = windows.shape as [number, number, number, number, number];
      return [scatterPatches(reshape(routed, [n, oh, ow, g.kernel[0], g.kernel[1], c]), g, [image.shape[1]!, image.shape[2]!])];
    }));
  });
});

/** Average pooling over the positions of each window inside the image. */
export const avgPool = op(function avgPool(x: TensorLike, filterSize: Pair, strides: Pair, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  return asNHWC('avgPool', x, 'NHWC', (image) => {
    const { windows, g } = poolWindows('avgPool', image, filterSize, strides, pad, 0, dimRoundingMode);
    const inside = extractPatches(ones([1, image.shape[1]!, image.shape[2]!, 1]), g, 0);
    const counts = sum(reshape(inside, [1, windows.shape[1]!, windows.shape[2]!, windows.shape[3]!, 1]), 3);
    return div(sum(windows, 3), counts);
  });
});

/** The number of outputs of a padded window along one axis (for layers' computeOutputShape). */
export function convOutputLength(extent: number | null, kernel: number, stride: number, pad: 'valid' | 'same', dilation = 1): number | null {
  if (extent === null) return null;
  if (pad === 'same') return Math.ceil(extent / stride);
  return Math.ceil((extent - (kernel - 1) * dilation) / stride);
}
