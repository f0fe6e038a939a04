/**
 * TF.js's TensorBuffer: a mutable array with a shape, filled element by element (`set`, `get`)
 * and turned into a tensor with `toTensor()` (a copy). Values are stored in the dtype's typed
 * array, so a float32 buffer rounds each value once when it is set, as TF.js does.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { allocate, assertDType, coerce, type DataArray, type DType } from '../tensor/dtype.js';
import { assertShape, checkTensorSize, sizeOf, stridesOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export class TensorBuffer {
  readonly shape: number[];
  readonly size: number;
  readonly strides: number[];
  readonly values: DataArray;

  constructor(shape: readonly number[], readonly dtype: DType = 'float32', values?: DataArray | readonly (number | boolean)[]) {
    this.shape = assertShape(shape, 'buffer');
    assertDType(dtype, 'buffer');
    checkTensorSize(this.shape, dtype, 'buffer');
    this.size = sizeOf(this.shape);
    this.strides = stridesOf(this.shape).slice(0, -1);
    if (values !== undefined && values.length !== this.size) {
      throw invalid('buffer', `Expected ${this.size} values for shape ${JSON.stringify(this.shape)}`, { 'values.length': values.length });
    }
    this.values = values === undefined ? allocate(dtype, this.size) : ownValues(values, dtype, this.size);
  }

  /** The flat index of a position (one coordinate per axis), checked against the shape. */
  locToIndex(locs: readonly number[]): number {
    if (locs.length !== this.shape.length) {
      throw invalid('TensorBuffer', `Expected ${this.shape.length} coordinates for shape ${JSON.stringify(this.shape)}`, { locs });
    }
    let index = 0;
    locs.forEach((loc, axis) => {
      if (!Number.isInteger(loc) || loc < 0 || loc >= this.shape[axis]!) {
        throw invalid('TensorBuffer', `Expected coordinates within shape ${JSON.stringify(this.shape)}`, { locs });
      }
      index = index * this.shape[axis]! + loc;
    });
    return index;
  }

  /** The position of a flat index. */
  indexToLoc(index: number): number[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw invalid('TensorBuffer', `Expected an index in [0, ${this.size})`, { index });
    const locs = new Array<number>(this.shape.length);
    for (let axis = this.shape.length - 1; axis >= 0; axis--) {
      locs[axis] = index % this.shape[axis]!;
      index = Math.floor(index / this.shape[axis]!);
    }
    return locs;
  }

  set(value: number | boolean, ...locs: number[]): void {
    this.values[this.locToIndex(locs)] = coerce(Number(value), this.dtype);
  }

  get(...locs: number[]): number {
    return this.values[this.locToIndex(locs)]!;
  }

  toTensor(): Tensor {
    return ENGINE.makeTensor(this.values.slice(), this.shape, this.dtype);
  }
}

/**
 * The buffer's storage: the dtype's own typed array is used as given (TF.js shares it too);
 * anything else (a plain array, another typed array) is copied into one, each value coerced as
 * set() coerces it, so the tensor made from it holds the dtype's values on every backend.
 */
function ownValues(values: ArrayLike<number | boolean>, dtype: DType, size: number): DataArray {
  const storage = allocate(dtype, size);
  if (values instanceof storage.constructor) return values as DataArray;
  for (let i = 0; i < size; i++) storage[i] = coerce(Number(values[i]), dtype);
  return storage;
}

/** tf.buffer(shape, dtype?, values?): a TensorBuffer (zeros unless values are given). */
export function buffer(shape: readonly number[], dtype: DType = 'float32', values?: DataArray | readonly (number | boolean)[]): TensorBuffer {
  return new TensorBuffer(shape, dtype, values);
}
