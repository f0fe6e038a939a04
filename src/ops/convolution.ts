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
 * - The 3-D ops (conv3d, conv3dTranspose, maxPool3d, avgPool3d) are the same compositions over
 *   volume patches: (plane, row, column) wherever the 2-D ops say (row, column).
 * Padding follows TensorFlow: 'valid'; 'same' with output ceil(size / stride) and the extra
 * padding row or column at the bottom or right; a number; or explicit [[0,0],[t,b],[l,r],[0,0]].
 */
import { withGradient } from '../autograd/custom.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { patchesOutputSize } from '../primitives/patches.js';
import type { PatchAttrs } from '../primitives/signature.js';
import { sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { convertToTensor, ones, range, type TensorLike } from './creation.js';
import { add, cast, div, equal, mul, relu } from './elementwise.js';
import { fusedMatMul, matMul } from './linalg.js';
import { op } from './op.js';
import { argMax, max, sum } from './reduction.js';
import { expandDims, reshape, squeeze, transpose } from './shape.js';

export type Padding = 'valid' | 'same' | number | readonly (readonly [number, number])[];
export type DataFormat = 'NHWC' | 'NCHW';
export type DataFormat3D = 'NDHWC' | 'NCDHW';
type Pair = number | readonly [number, number];
type Triple = number | readonly [number, number, number];
/** A number for every spatial axis, or one per axis. */
type PerAxis = number | readonly number[];

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

/** One positive integer per spatial axis (`rank` of them) from a number or an array. */
function perAxis(context: string, argument: string, value: PerAxis, rank: number): number[] {
  const v = typeof value === 'number' ? new Array<number>(rank).fill(value) : value;
  if (!Array.isArray(v) || v.length !== rank || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw invalid(context, `Expected ${argument} to be a positive integer or ${rank === 2 ? 'a pair' : `an array of ${rank}`} of them`, { [argument]: value });
  }
  return [...v];
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
  context: string, pad: Padding, extent: number, kernel: number, stride: number, dilation: number, axis: number, rank: number, rounding?: DimRoundingMode,
): [number, number] {
  const [before, after] = explicitPadding(context, pad, extent, kernel, stride, dilation, axis, rank);
  if (rounding === undefined || typeof pad === 'string') return [before, after];
  const effective = (kernel - 1) * dilation + 1;
  const exact = (extent + before + after - effective) / stride + 1;
  const size = rounding === 'ceil' ? Math.ceil(exact) : rounding === 'round' ? Math.round(exact) : Math.floor(exact);
  return [before, Math.max(after, (size - 1) * stride + effective - extent - before)];
}

function explicitPadding(context: string, pad: Padding, extent: number, kernel: number, stride: number, dilation: number, axis: number, rank: number): [number, number] {
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
  if (Array.isArray(pad) && pad.length === rank + 2 && pad.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0))
    && pad[0]![0] === 0 && pad[0]![1] === 0 && pad[rank + 1]![0] === 0 && pad[rank + 1]![1] === 0) {
    return [pad[axis + 1]![0]!, pad[axis + 1]![1]!];
  }
  const explicit = rank === 2 ? '[[0, 0], [top, bottom], [left, right], [0, 0]]' : '[[0, 0], [front, back], [top, bottom], [left, right], [0, 0]]';
  throw invalid(context, `Expected pad 'valid', 'same', a non-negative integer or ${explicit}`, { pad });
}

/** The patch geometry of a channels-last x [N, ...spatial, C] and a kernel over its spatial axes. */
function geometry(context: string, shape: readonly number[], kernel: number[], strides: PerAxis, pad: Padding, dilations: PerAxis, dimRoundingMode?: DimRoundingMode | null): PatchAttrs {
  // null is no mode, as in TF.js (JS programs pass it for "none").
  const rounding = dimRoundingMode ?? undefined;
  const rank = kernel.length;
  const s = perAxis(context, 'strides', strides, rank);
  const d = perAxis(context, 'dilations', dilations, rank);
  if (s.some((v) => v > 1) && d.some((v) => v > 1)) {
    throw invalid(context, 'Expected strides or dilations of 1 (TensorFlow does not combine them)', { strides, dilations });
  }
  if (rounding !== undefined && !['floor', 'round', 'ceil'].includes(rounding)) throw invalid(context, "Expected dimRoundingMode 'floor', 'round' or 'ceil'", { dimRoundingMode: rounding });
  if (rounding !== undefined && typeof pad === 'string') throw invalid(context, 'Expected a number or explicit pads with dimRoundingMode (as TF.js)', { pad, dimRoundingMode: rounding });
  const pads = kernel.flatMap((k, i) => axisPadding(context, pad, shape[i + 1]!, k, s[i]!, d[i]!, i, rank, rounding));
  return { kernel, strides: s, dilations: d, pads };
}

/**
 * Runs f on a channels-last view of x with a batch ([N, ...spatial, C]: rank - 2 spatial axes of
 * a layout `[channels last, channels first]`), adding the batch to an unbatched x and transposing
 * channels first, and back.
 */
function channelsLast(context: string, x: TensorLike, rank: number, dataFormat: string, layouts: readonly [string, string], f: (image: Tensor) => Tensor): Tensor {
  const t = convertToTensor(x, 'x', context, 'float32');
  if (t.rank !== rank - 1 && t.rank !== rank) throw invalid(context, `Expected x of rank ${rank - 1} or ${rank}`, { 'x.shape': t.shape });
  if (!layouts.includes(dataFormat)) throw invalid(context, `Expected dataFormat '${layouts[0]}' or '${layouts[1]}'`, { dataFormat });
  const first = dataFormat === layouts[1];
  const batched = t.rank === rank - 1 ? expandDims(t, 0) : t;
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const image = first ? transpose(batched, [0, ...spatial, 1]) : batched;
  const result = f(image);
  const back = first ? transpose(result, [0, rank - 1, ...spatial.map((a) => a - 1)]) : result;
  return t.rank === rank - 1 ? reshape(back, back.shape.slice(1)) : back;
}

/** Runs f on a rank-4 NHWC view of x (adding the batch for rank 3, transposing NCHW), and back. */
function asNHWC(context: string, x: TensorLike, dataFormat: DataFormat, f: (image: Tensor) => Tensor): Tensor {
  return channelsLast(context, x, 4, dataFormat, ['NHWC', 'NCHW'], f);
}

/** Runs f on a rank-5 NDHWC view of x (adding the batch for rank 4, transposing NCDHW), and back. */
function asNDHWC(context: string, x: TensorLike, dataFormat: DataFormat3D, f: (image: Tensor) => Tensor): Tensor {
  return channelsLast(context, x, 5, dataFormat, ['NDHWC', 'NCDHW'], f);
}

function filterOf(context: string, filter: TensorLike, rank: number, argument = 'filter'): Tensor {
  const w = convertToTensor(filter, argument, context, 'float32');
  if (w.rank !== rank) throw invalid(context, `Expected ${argument} of rank ${rank}`, { [`${argument}.shape`]: w.shape });
  return w;
}

const ORDINAL = ['first', 'second', 'third', 'fourth'];

/**
 * The convolution of a channels-last image or volume [N, ...spatial, C] with a filter
 * [...kernel, C, F]: the matrix product of its patches and the filter, optionally with the fused
 * dense epilogue (bias, relu) of fusedMatMul.
 */
function convolve(
  context: string, image: Tensor, w: Tensor, strides: PerAxis, pad: Padding, dilations: PerAxis,
  epilogue?: { bias: Tensor; activation: 'linear' | 'relu' }, rounding?: DimRoundingMode,
): Tensor {
  const rank = w.rank - 2;
  const kernel = w.shape.slice(0, rank);
  const [inC, outC] = w.shape.slice(rank) as [number, number];
  if (image.shape.at(-1) !== inC) throw invalid(context, `Expected x with ${inC} channels (the filter's ${ORDINAL[rank]} dimension)`, { 'x.shape': image.shape, 'filter.shape': w.shape });
  const p = extractPatches(image, geometry(context, image.shape, kernel, strides, pad, dilations, rounding));
  const out = p.shape.slice(0, rank + 1);
  const rows = reshape(p, [sizeOf(out), sizeOf(kernel) * inC]);
  const filter = reshape(w, [sizeOf(kernel) * inC, outC]);
  const product = epilogue ? fusedMatMul({ a: rows, b: filter, bias: epilogue.bias, activation: epilogue.activation }) : matMul(rows, filter);
  return reshape(product, [...out, outC]);
}

/** 2-D convolution: x [N, H, W, C] (or [H, W, C]), filter [KH, KW, C, F]. */
export const conv2d = op(function conv2d(
  x: TensorLike, filter: TensorLike, strides: Pair, pad: Padding, dataFormat: DataFormat = 'NHWC', dilations: Pair = 1, dimRoundingMode?: DimRoundingMode,
): Tensor {
  const w = filterOf('conv2d', filter, 4);
  return asNHWC('conv2d', x, dataFormat, (image) => convolve('conv2d', image, w, strides, pad, dilations, undefined, dimRoundingMode));
});

/** 3-D convolution: x [N, D, H, W, C] (or [D, H, W, C]), filter [KD, KH, KW, C, F]. */
export const conv3d = op(function conv3d(
  x: TensorLike, filter: TensorLike, strides: Triple, pad: 'valid' | 'same' | number, dataFormat: DataFormat3D = 'NDHWC', dilations: Triple = 1,
): Tensor {
  const w = filterOf('conv3d', filter, 5);
  return asNDHWC('conv3d', x, dataFormat, (volume) => convolve('conv3d', volume, w, strides, pad, dilations));
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
    const y = asNHWC('fused.conv2d', x, dataFormat, (image) => convolve('fused.conv2d', image, w, strides, pad, dilations));
    const biased = bias === undefined ? y : add(y, dataFormat === 'NHWC' ? bias : reshape(convertToTensor(bias, 'bias', 'fused.conv2d', 'float32'), [-1, 1, 1]));
    return activation === 'relu' ? relu(biased) : biased;
  }
  const b = convertToTensor(bias, 'bias', 'fused.conv2d', 'float32');
  if (b.rank !== 1 || b.shape[0] !== w.shape[3]) throw invalid('fused.conv2d', `Expected bias of shape [${w.shape[3]}]`, { 'bias.shape': b.shape });
  return asNHWC('fused.conv2d', x, dataFormat, (image) => convolve('fused.conv2d', image, w, strides, pad, dilations, { bias: b, activation }));
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
 * The transpose of a convolution (its gradient with respect to the input) of a channels-last x
 * [N, ...spatial, F] with filter [...kernel, C, F] to outputShape [N, ...outSpatial, C] (or
 * without the batch).
 */
function transposedConvolution(context: string, image: Tensor, w: Tensor, outputShape: readonly number[], strides: PerAxis, pad: Padding, rounding?: DimRoundingMode): Tensor {
  const rank = w.rank - 2;
  const kernel = w.shape.slice(0, rank);
  const [outC, inC] = w.shape.slice(rank) as [number, number];
  const target = outputShape.length === rank + 1 ? [image.shape[0]!, ...outputShape] : [...outputShape];
  if (target.length !== rank + 2 || target[0] !== image.shape[0] || target[rank + 1] !== outC || image.shape[rank + 1] !== inC) {
    const axes = rank === 2 ? 'height, width' : 'depth, height, width';
    throw invalid(context, `Expected outputShape [batch, ${axes}, ${outC}] and x with ${inC} channels`, { outputShape, 'x.shape': image.shape, 'filter.shape': w.shape });
  }
  const size = target.slice(1, -1);
  const g = geometry(context, target, kernel, strides, pad, 1, rounding);
  const out = patchesOutputSize(size, g);
  if (out.some((d, i) => d !== image.shape[i + 1])) {
    throw invalid(context, `Expected x of spatial size [${out.join(', ')}] for this outputShape, strides and pad`, { 'x.shape': image.shape, outputShape });
  }
  const n = image.shape[0]!;
  const columns = matMul(reshape(image, [n * sizeOf(out), inC]), reshape(w, [sizeOf(kernel) * outC, inC]), false, true);
  return scatterPatches(reshape(columns, [n, ...out, ...kernel, outC]), g, size);
}

/**
 * The transpose of conv2d (its gradient with respect to the input): x [N, H, W, F], filter
 * [KH, KW, C, F], outputShape [N, OH, OW, C] (or without the batch).
 */
export const conv2dTranspose = op(function conv2dTranspose(
  x: TensorLike, filter: TensorLike, outputShape: readonly number[], strides: Pair, pad: Padding, dimRoundingMode?: DimRoundingMode,
): Tensor {
  const w = filterOf('conv2dTranspose', filter, 4);
  return asNHWC('conv2dTranspose', x, 'NHWC', (image) => transposedConvolution('conv2dTranspose', image, w, outputShape, strides, pad, dimRoundingMode));
});

/**
 * The transpose of conv3d: x [N, D, H, W, F], filter [KD, KH, KW, C, F], outputShape
 * [N, OD, OH, OW, C] (or without the batch).
 */
export const conv3dTranspose = op(function conv3dTranspose(
  x: TensorLike, filter: TensorLike, outputShape: readonly number[], strides: Triple, pad: 'valid' | 'same' | number,
): Tensor {
  const w = filterOf('conv3dTranspose', filter, 5);
  return asNDHWC('conv3dTranspose', x, 'NDHWC', (volume) => transposedConvolution('conv3dTranspose', volume, w, outputShape, strides, pad));
});

/** Each pooling window [N, ...out, window, C] of a channels-last image or volume, and its geometry. */
function poolWindows(context: string, image: Tensor, filterSize: PerAxis, strides: PerAxis, pad: Padding, value: number, rounding?: DimRoundingMode): { windows: Tensor; g: PatchAttrs } {
  const kernel = perAxis(context, 'filterSize', filterSize, image.rank - 2);
  const g = geometry(context, image.shape, kernel, strides, pad, 1, rounding);
  const p = extractPatches(image, g, value);
  return { windows: reshape(p, [...p.shape.slice(0, image.rank - 1), sizeOf(kernel), image.shape.at(-1)!]), g };
}

/** Max pooling: the first maximum of each window (in row-major order), which takes the whole gradient. */
function maxPooling(context: string, image: Tensor, filterSize: PerAxis, strides: PerAxis, pad: Padding, rounding?: DimRoundingMode): Tensor {
  const { windows, g } = poolWindows(context, image, filterSize, strides, pad, -Infinity, rounding);
  const axis = image.rank - 1;
  return withGradient([image], () => max(windows, axis), (dy) => ENGINE.tidy(() => {
    const size = windows.shape[axis]!;
    const first = expandDims(argMax(windows, axis), axis);
    const positions = reshape(range(0, size, 1, 'int32'), [...new Array<number>(axis).fill(1), size, 1]);
    const routed = mul(cast(equal(positions, first), 'float32'), expandDims(dy, axis));
    return [scatterPatches(reshape(routed, [...windows.shape.slice(0, axis), ...g.kernel, image.shape.at(-1)!]), g, image.shape.slice(1, -1))];
  }));
}

/** Average pooling over the positions of each window inside the image. */
function averagePooling(context: string, image: Tensor, filterSize: PerAxis, strides: PerAxis, pad: Padding, rounding?: DimRoundingMode): Tensor {
  const { windows, g } = poolWindows(context, image, filterSize, strides, pad, 0, rounding);
  const axis = image.rank - 1;
  const inside = extractPatches(ones([1, ...image.shape.slice(1, -1), 1]), g, 0);
  const counts = sum(reshape(inside, [1, ...windows.shape.slice(1, -1), 1]), axis);
  return div(sum(windows, axis), counts);
}

/** 2-D max pooling: the first maximum of each window in (row, column) order, which takes the whole gradient. */
export const maxPool = op(function maxPool(x: TensorLike, filterSize: Pair, strides: Pair, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  return asNHWC('maxPool', x, 'NHWC', (image) => maxPooling('maxPool', image, filterSize, strides, pad, dimRoundingMode));
});

/** 2-D average pooling over the positions of each window inside the image. */
export const avgPool = op(function avgPool(x: TensorLike, filterSize: Pair, strides: Pair, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  return asNHWC('avgPool', x, 'NHWC', (image) => averagePooling('avgPool', image, filterSize, strides, pad, dimRoundingMode));
});

/** 3-D max pooling: the first maximum of each window in (plane, row, column) order, which takes the whole gradient. */
export const maxPool3d = op(function maxPool3d(
  x: TensorLike, filterSize: Triple = 1, strides: Triple, pad: 'valid' | 'same' | number, dimRoundingMode?: DimRoundingMode, dataFormat: DataFormat3D = 'NDHWC',
): Tensor {
  return asNDHWC('maxPool3d', x, dataFormat, (volume) => maxPooling('maxPool3d', volume, filterSize, strides, pad, dimRoundingMode));
});

/** 3-D average pooling over the positions of each window inside the volume. */
export const avgPool3d = op(function avgPool3d(
  x: TensorLike, filterSize: Triple, strides: Triple, pad: 'valid' | 'same' | number, dimRoundingMode?: DimRoundingMode, dataFormat: DataFormat3D = 'NDHWC',
): Tensor {
  return asNDHWC('avgPool3d', x, dataFormat, (volume) => averagePooling('avgPool3d', volume, filterSize, strides, pad, dimRoundingMode));
});

/** The number of outputs of a padded window along one axis (for layers' computeOutputShape). */
export function convOutputLength(extent: number | null, kernel: number, stride: number, pad: 'valid' | 'same', dilation = 1): number | null {
  if (extent === null) return null;
  if (pad === 'same') return Math.ceil(extent / stride);
  return Math.ceil((extent - (kernel - 1) * dilation) / stride);
}
