/**
 * The pure-TypeScript reference backend: storage is a typed array, and every kernel is the
 * primitive's scalar reference implementation, float32 via Math.fround after every operation.
 * Every NaN it stores is the canonical one, whatever NaN the engine's arithmetic produced.
 */
import { RULES } from '../primitives/index.js';
import type { Meta, Primitive, PrimitiveAttrs, Rule } from '../primitives/types.js';
import { canonicalizeNaN, type DataArray, type DType } from '../tensor/dtype.js';
import type { Backend, DataHandle, KernelDeterminism, TensorInfo } from './backend.js';

const asHandle = (values: DataArray) => values as unknown as DataHandle;
const asValues = (handle: DataHandle) => handle as unknown as DataArray;

export class ReferenceBackend implements Backend {
  readonly name = 'reference';

  upload(values: DataArray, dtype: DType): DataHandle {
    const copy = values.slice();
    canonicalizeNaN(copy, dtype);
    return asHandle(copy);
  }

  read(handle: DataHandle, _dtype: DType, _size: number): DataArray {
    return asValues(handle).slice();
  }

  readBytesInto(handle: DataHandle, _dtype: DType, _size: number, target: Uint8Array, offset: number): void {
    const values = asValues(handle);
    target.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
  }

  free(): void {
    // Storage is garbage collected with the handle.
  }

  run<P extends Primitive>(primitive: P, inputs: readonly TensorInfo[], attrs: PrimitiveAttrs[P], out: Meta): DataHandle {
    const rule = RULES[primitive] as Rule<P>;
    const hosts = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, values: asValues(t.handle) }));
    const result = rule.reference(hosts, attrs, out);
    canonicalizeNaN(result, out.dtype);
    return asHandle(result);
  }

  determinism(): KernelDeterminism {
    return 'bitwise';
  }
}
