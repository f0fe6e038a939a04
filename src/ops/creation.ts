import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { allocate, assertDType, coerce, type DataArray, type DType } from '../tensor/dtype.js';
import { assertShape, checkTensorSize, sizeOf } from '../tensor/shape.js';
import { Tensor, Variable, type NestedArray } from '../tensor/tensor.js';

type TypedArray = Float32Array | Int32Array | Uint8Array | Float64Array;
type NestedBool = boolean | NestedBool[];
export type TensorLike = Tensor | number | boolean | NestedArray | NestedBool | TypedArray;

function isTypedArray(value: unknown): value is TypedArray {
  return value instanceof Float32Array || value instanceof Int32Array || value instanceof Uint8Array || value instanceof Float64Array;
}

/** The shape of a nested array, checking that it is rectangular. */
function inferShape(values: unknown, context: string): number[] {
  if (isTypedArray(values)) return [values.length];
  if (!Array.isArray(values)) return [];
  const shape = [values.length];
  if (values.length > 0) shape.push(...inferShape(values[0], context));
  const check = (node: unknown, axis: number, path: string) => {
    if (axis === shape.length) {
      if (Array.isArray(node) || isTypedArray(node)) throw invalid(context, 'Expected a rectangular nested array', { [`values${path}`]: 'an array where a number was expected' });
      return;
    }
    const length = Array.isArray(node) || isTypedArray(node) ? node.length : -1;
    if (length !== shape[axis]) {
      throw invalid(context, `Expected a rectangular nested array (length ${shape[axis]} at depth ${axis})`, { [`values${path}`]: node });
    }
    if (Array.isArray(node)) node.forEach((child, i) => check(child, axis + 1, `${path}[${i}]`));
  };
  check(values, 0, '');
  return shape;
}

function inferDType(values: unknown): DType {
  if (values instanceof Int32Array || values instanceof Uint8Array) return 'int32';
  if (isTypedArray(values)) return 'float32';
  let leaf: unknown = values;
  while (Array.isArray(leaf)) leaf = leaf[0];
  return typeof leaf === 'boolean' ? 'bool' : 'float32';
}

function flatten(values: unknown, dtype: DType, size: number, context: string): DataArray {
  const out = allocate(dtype, size);
  let i = 0;
  const visit = (node: unknown) => {
    if (Array.isArray(node) || isTypedArray(node)) {
      for (const child of node) visit(child);
    } else if (typeof node === 'number' || typeof node === 'boolean') {
      out[i++] = coerce(Number(node), dtype);
    } else {
      throw invalid(context, 'Expected numbers or booleans', { [`values[${i}]`]: node });
    }
  };
  visit(values);
  return out;
}

/** tensor(values, shape?, dtype?): values may be nested arrays, a typed array or a number. */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  if (values instanceof Tensor) return values;
  const context = 'tensor';
  const inferred = inferShape(values, context);
  const resolvedType = dtype === undefined ? inferDType(values) : assertDType(dtype, context);
  if (shape !== undefined) {
    assertShape(shape, context);
    const count = sizeOf(inferred);
    if (sizeOf(shape) !== count && !(inferred.length === 0 && typeof values !== 'object')) {
      throw invalid(context, `Expected shape to hold ${count} values`, { shape, 'values.length': count });
    }
  }
  const finalShape = shape ?? inferred;
  if (inferred.length === 0 && shape !== undefined) {
    return fill(shape, Number(values), resolvedType);
  }
  return ENGINE.makeTensor(flatten(values, resolvedType, sizeOf(finalShape), context), finalShape, resolvedType);
}

function withRank(rank: number, name: string) {
  return (values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor => {
    const t = tensor(values, shape, dtype);
    if (t.rank !== rank) {
      t.dispose();
      throw invalid(name, `Expected values of rank ${rank}`, { shape: t.shape });
    }
    return t;
  };
}

export function scalar(value: number | boolean, dtype?: DType): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw invalid('scalar', 'Expected a number or a boolean', { value });
  }
  return tensor(value, undefined, dtype);
}

const rank1 = withRank(1, 'tensor1d');

/** tensor1d(values, dtype?): TF.js's signature (a 1-D tensor has no shape to give). */
export function tensor1d(values: TensorLike, dtype?: DType): Tensor {
  if (Array.isArray(dtype)) throw invalid('tensor1d', "Expected tensor1d(values, dtype) (TF.js's signature: no shape)", { dtype });
  return rank1(values, undefined, dtype);
}

export const tensor2d = withRank(2, 'tensor2d');
export const tensor3d = withRank(3, 'tensor3d');
export const tensor4d = withRank(4, 'tensor4d');
export const tensor5d = withRank(5, 'tensor5d');
export const tensor6d = withRank(6, 'tensor6d');

/** A tensor of one value, its arguments checked under the name of the op called. */
function filled(shape: readonly number[], value: number, dtype: DType, context: string): Tensor {
  assertShape(shape, context);
  assertDType(dtype, context);
  checkTensorSize(shape, dtype, context);
  const values = allocate(dtype, sizeOf(shape)).fill(coerce(value, dtype));
  return ENGINE.makeTensor(values, shape, dtype);
}

export function fill(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  return filled(shape, value, dtype, 'fill');
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return filled(shape, 0, dtype, 'zeros');
}

export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return filled(shape, 1, dtype, 'ones');
}

export function zerosLike(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'zerosLike');
  const out = zeros(t.shape, t.dtype);
  if (t !== x) t.dispose();
  return out;
}

export function onesLike(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'onesLike');
  const out = ones(t.shape, t.dtype);
  if (t !== x) t.dispose();
  return out;
}

/** num evenly spaced float32 values: start + i * ((stop - start) / (num - 1)), the last exactly stop. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 0) throw invalid('linspace', 'Expected num to be a non-negative integer', { num });
  const f = Math.fround;
  checkTensorSize([num], 'float32', 'linspace');
  const values = new Float32Array(num);
  const step = num > 1 ? f(f(f(stop) - f(start)) / (num - 1)) : 0;
  for (let i = 0; i < num; i++) values[i] = i === num - 1 && num > 1 ? stop : f(f(start) + f(i * step));
  return ENGINE.makeTensor(values, [num], 'float32');
}

/** start, start + step, ... up to but excluding stop (TF.js's range). */
export function range(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0 || !Number.isFinite(step)) throw invalid('range', 'Expected a finite, non-zero step', { step });
  const count = Math.max(0, Math.ceil((to - from) / step));
  checkTensorSize([count], dtype, 'range');
  const values = allocate(dtype, count);
  for (let i = 0; i < count; i++) values[i] = coerce(from + i * step, dtype);
  return ENGINE.makeTensor(values, [count], dtype);
}

/**
 * eye(numRows, numColumns?, batchShape?, dtype?) as TF.js: an identity matrix, repeated over
 * batchShape's leading dimensions. (A dtype in third place is accepted too.)
 */
export function eye(numRows: number, numColumns = numRows, batchShape?: readonly number[] | DType, dtype: DType = 'float32'): Tensor {
  if (typeof batchShape === 'string') [batchShape, dtype] = [undefined, batchShape];
  const batch = batchShape ?? [];
  assertShape([...batch, numRows, numColumns], 'eye', '[...batchShape, numRows, numColumns]');
  assertDType(dtype, 'eye');
  const shape = [...batch, numRows, numColumns];
  checkTensorSize(shape, dtype, 'eye');
  const values = allocate(dtype, sizeOf(shape));
  const matrix = numRows * numColumns;
  for (let b = 0; b < sizeOf(batch); b++) {
    for (let i = 0; i < Math.min(numRows, numColumns); i++) values[b * matrix + i * numColumns + i] = 1;
  }
  return ENGINE.makeTensor(values, shape, dtype);
}

/** A mutable tensor initialised with a copy of `initialValue`. */
export function variable(initialValue: TensorLike, trainable = true, name?: string, dtype?: DType): Variable {
  const initial = tensor(initialValue, undefined, dtype);
  const v = ENGINE.makeVariable(initial, trainable, name);
  if (initial !== initialValue) initial.dispose();
  return v;
}

/**
 * Converts user input to a tensor. A tensor passes through unchanged; anything else is made
 * into a tensor of `dtype` (inferred when absent).
 */
export function convertToTensor(x: TensorLike, argument: string, context: string, dtype?: DType): Tensor {
  if (x instanceof Tensor) {
    ENGINE.assertUsable(x, context, argument);
    return x;
  }
  const convertible = typeof x === 'number' || typeof x === 'boolean' || Array.isArray(x) || isTypedArray(x);
  if (!convertible) {
    throw invalid(context, `Expected ${argument} to be a Tensor, a number, a boolean or a (nested) array`, { [argument]: x });
  }
  return tensor(x, undefined, dtype ?? inferDType(x));
}

/**
 * Disposes the tensors convertToTensor made from numbers and arrays (each pair: the tensor and
 * the argument it came from), for ops that cannot run in a tidy scope (async ones): in a finally
 * block, so that an error leaves none behind either.
 */
export function disposeConverted(...pairs: readonly (readonly [Tensor, TensorLike])[]): void {
  for (const [converted, given] of pairs) if (converted !== given) converted.dispose();
}
