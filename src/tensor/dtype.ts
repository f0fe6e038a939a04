import { invalid } from '../errors.js';

export type DType = 'float32' | 'int32' | 'bool';
export type DataArray = Float32Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'int32' || value === 'bool';
}

export function assertDType(value: unknown, context: string, argument = 'dtype'): DType {
  if (!isDType(value)) {
    throw invalid(context, `Expected ${argument} to be one of ${DTYPES.join(', ')}`, { [argument]: value });
  }
  return value;
}

export function allocate(dtype: DType, size: number): DataArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'int32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** The dtype that both operands of an arithmetic op are cast to: bool < int32 < float32. */
export function upcast(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

/** Converts a JS number to the value a tensor of `dtype` stores. */
export function coerce(value: number, dtype: DType): number {
  switch (dtype) {
    case 'float32': return Math.fround(value);
    case 'int32': return value | 0;
    // Non-zero is true, NaN included (as cast and TF.js; JavaScript's truthiness calls NaN false).
    case 'bool': return value !== 0 ? 1 : 0;
  }
}

/** The one NaN (NUMERICS.md): the canonical quiet NaN, 0x7fc00000. */
export const CANONICAL_NAN_BITS = 0x7fc00000;

/**
 * Replaces every NaN in float32 storage by the canonical NaN, through the integer view so that
 * no NaN passes through a JS number (engines differ in the NaN bits such a round trip keeps).
 */
export function canonicalizeNaN(values: DataArray, dtype: DType): void {
  if (dtype !== 'float32') return;
  let bits: Uint32Array | undefined;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== values[i]) {
      bits ??= new Uint32Array(values.buffer, values.byteOffset, values.length);
      bits[i] = CANONICAL_NAN_BITS;
    }
  }
}
