/**
 * Tensor methods as TF.js has them (`x.add(y)`, `x.sum(1)`, `x.reshape([2, 3])`, ...), generated
 * from one list of the ops that TF.js also offers as methods: each method calls the op with the
 * tensor as its first argument. The tensor module does not import the ops (ops are built on
 * tensors); this module installs the methods on Tensor.prototype and declares their types.
 */
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import * as index from './index.js';
import { mirrorPad, resizeBilinear, resizeNearestNeighbor } from './image.js';
import { TensorBuffer } from './buffer.js';

/** The ops methods call: those of ./index.js and TF.js's chained image ops. */
const ops = { ...index, mirrorPad, resizeBilinear, resizeNearestNeighbor };

/** Ops whose first argument is the tensor the method is called on. */
const CHAINED = [
  'abs', 'acos', 'acosh', 'add', 'all', 'any', 'argMax', 'argMin', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'avgPool', 'batchNorm', 'batchToSpaceND', 'broadcastTo',
  'cast', 'ceil', 'clipByValue', 'clone', 'conv1d', 'conv2d', 'conv2dTranspose', 'cos', 'cosh', 'cumprod', 'cumsum', 'depthToSpace', 'depthwiseConv2d', 'div',
  'divNoNan', 'dot', 'elu', 'equal', 'erf', 'euclideanNorm', 'exp', 'expandDims', 'expm1', 'floor', 'floorDiv', 'gather', 'greater', 'greaterEqual', 'isFinite', 'isInf',
  'isNaN', 'leakyRelu', 'less', 'lessEqual', 'localResponseNormalization', 'log', 'log1p', 'logSigmoid', 'logSoftmax', 'logSumExp', 'logicalAnd', 'logicalNot',
  'logicalOr', 'logicalXor', 'matMul', 'max', 'maxPool', 'maximum', 'mean', 'min', 'minimum', 'mirrorPad', 'mod', 'mul', 'neg', 'norm', 'notEqual', 'oneHot', 'onesLike',
  'pad', 'pow', 'prelu', 'prod', 'reciprocal', 'relu', 'relu6', 'reshape', 'resizeBilinear', 'resizeNearestNeighbor', 'reverse', 'round', 'rsqrt', 'selu',
  'separableConv2d', 'sigmoid', 'sign', 'sin', 'sinh', 'slice', 'softmax', 'softplus', 'spaceToBatchND', 'split', 'sqrt', 'square', 'squaredDifference', 'squeeze',
  'step', 'sub', 'sum', 'tan', 'tanh', 'tile', 'topk', 'transpose', 'unsortedSegmentSum', 'unstack', 'zerosLike',
] as const;

type Chained = typeof CHAINED[number];
type WithoutFirst<F> = F extends (first: never, ...rest: infer R) => infer Out ? (...args: R) => Out : never;

/** The methods that are not "the op with this tensor first". */
interface SpecialMethods {
  /** tf.concat([this, ...others], axis). */
  concat(others: Tensor | readonly Tensor[], axis?: number): Tensor;
  /** tf.stack([this, ...others], axis). */
  stack(others: Tensor | readonly Tensor[], axis?: number): Tensor;
  /** tf.where(condition, this, other). */
  where(condition: Tensor, other: Tensor | number): Tensor;
  asType(dtype: DType): Tensor;
  toFloat(): Tensor;
  toInt(): Tensor;
  toBool(): Tensor;
  flatten(): Tensor;
  asScalar(): Tensor;
  as1D(): Tensor;
  as2D(rows: number, columns: number): Tensor;
  as3D(rows: number, columns: number, depth: number): Tensor;
  as4D(rows: number, columns: number, depth: number, depth2: number): Tensor;
  reshapeAs(other: Tensor): Tensor;
  /** A TensorBuffer holding a copy of the values (TF.js's bufferSync). */
  bufferSync(): TensorBuffer;
  /** The same, once the values are read (TF.js's buffer()). */
  buffer(): Promise<TensorBuffer>;
}

declare module '../tensor/tensor.js' {
  interface Tensor extends SpecialMethods, ChainedMethods {}
}

type ChainedMethods = { [K in Chained]: WithoutFirst<(typeof ops)[K]> };

const asList = (others: Tensor | readonly Tensor[]) => (others instanceof Tensor ? [others] : others);

const SPECIAL: SpecialMethods & ThisType<Tensor> = {
  concat(others, axis = 0) { return ops.concat([this, ...asList(others)], axis); },
  stack(others, axis = 0) { return ops.stack([this, ...asList(others)], axis); },
  where(condition, other) { return ops.where(condition, this, other); },
  asType(dtype) { return ops.cast(this, dtype); },
  toFloat() { return ops.cast(this, 'float32'); },
  toInt() { return ops.cast(this, 'int32'); },
  toBool() { return ops.cast(this, 'bool'); },
  flatten() { return ops.reshape(this, [-1]); },
  asScalar() { return ops.reshape(this, []); },
  as1D() { return ops.reshape(this, [-1]); },
  as2D(rows, columns) { return ops.reshape(this, [rows, columns]); },
  as3D(rows, columns, depth) { return ops.reshape(this, [rows, columns, depth]); },
  as4D(rows, columns, depth, depth2) { return ops.reshape(this, [rows, columns, depth, depth2]); },
  reshapeAs(other) { return ops.reshape(this, other.shape); },
  bufferSync() { return new TensorBuffer(this.shape, this.dtype, this.dataSync().slice()); },
  async buffer() { return new TensorBuffer(this.shape, this.dtype, (await this.data()).slice()); },
};

for (const name of CHAINED) {
  const fn = ops[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(Tensor.prototype, name, {
    value: function chained(this: Tensor, ...args: unknown[]) { return fn(this, ...args); },
    writable: true, configurable: true,
  });
}
for (const [name, method] of Object.entries(SPECIAL)) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}

/** The method names, for tests and documentation. */
export const TENSOR_METHODS: readonly string[] = [...CHAINED, ...Object.keys(SPECIAL)];
