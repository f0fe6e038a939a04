/**
 * Weight data in TF.js's format: a manifest of {name, shape, dtype} and the values' little-endian
 * bytes concatenated in manifest order. Reading treats both as hostile: every spec is checked,
 * and the sizes are added up and compared with the byte count before anything is allocated.
 */
import { invalid } from '../errors.js';
import { MAX_TENSOR_BYTES } from '../tensor/shape.js';
import { littleEndianBytes } from '../util/bytes.js';
import type { WeightSpec } from './types.js';

/** A weight's values as read from (or written to) weight data. */
export interface NamedValues {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
  /** TF.js's weight group: 'optimizer' for the optimizer's state, absent for the model's weights. */
  group?: 'optimizer';
}

/** Dimensions past this are refused (TF.js tensors have at most rank 6; some ops go to 8). */
const MAX_RANK = 8;

/** The manifest and bytes of these weights (copies of their values, in order). */
export function encodeWeights(weights: readonly NamedValues[]): { specs: WeightSpec[]; data: ArrayBuffer } {
  const total = weights.reduce((n, w) => n + w.values.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const w of weights) {
    bytes.set(littleEndianBytes(w.values), offset);
    offset += w.values.byteLength;
  }
  return { specs: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype, ...(w.group ? { group: w.group } : {}) })), data: bytes.buffer };
}

/** One buffer from weightData given as one ArrayBuffer or (TF.js) a list of them. */
export function concatenateWeightData(data: unknown, context: string): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => d instanceof ArrayBuffer)) {
    const total = data.reduce((n: number, d: ArrayBuffer) => n + d.byteLength, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const d of data as ArrayBuffer[]) {
      bytes.set(new Uint8Array(d), offset);
      offset += d.byteLength;
    }
    return bytes;
  }
  throw invalid(context, 'Expected weightData to be an ArrayBuffer or a list of ArrayBuffers', { weightData: typeof data === 'object' && data !== null ? Object.prototype.toString.call(data) : data });
}

/** A checked weight spec: the element count, refused before allocation if absurd. */
function checkSpec(spec: unknown, i: number, context: string): { name: string; shape: number[]; dtype: 'float32' | 'int32'; size: number; group?: 'optimizer' } {
  const at = `weightSpecs[${i}]`;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalid(context, 'Expected each weight spec to be an object {name, shape, dtype}', { [at]: spec });
  const { name, shape, dtype, group } = spec as Record<string, unknown>;
  if (group !== undefined && group !== null && group !== 'model' && group !== 'optimizer') {
    throw invalid(context, "Expected the weight group to be 'model' or 'optimizer'", { [`${at}.group`]: group });
  }
  if ('quantization' in spec && (spec as Record<string, unknown>).quantization != null) {
    throw invalid(context, 'Expected unquantized weights (quantized weight files are not supported)', { [`${at}.quantization`]: (spec as Record<string, unknown>).quantization });
  }
  if (typeof name !== 'string' || name === '') throw invalid(context, 'Expected the weight name to be a non-empty string', { [`${at}.name`]: name });
  if (!Array.isArray(shape) || shape.length > MAX_RANK) throw invalid(context, `Expected the shape of weight ${name} to be an array of at most ${MAX_RANK} dimensions`, { [`${at}.shape`]: shape });
  if (dtype !== 'float32' && dtype !== 'int32') throw invalid(context, `Expected the dtype of weight ${name} to be 'float32' or 'int32'`, { [`${at}.dtype`]: dtype });
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) throw invalid(context, `Expected the shape of weight ${name} to hold non-negative integers`, { [`${at}.shape`]: shape });
    size *= d as number;
    if (size * 4 > MAX_TENSOR_BYTES) throw invalid(context, `Expected weight ${name} of at most ${MAX_TENSOR_BYTES} bytes`, { [`${at}.shape`]: shape });
  }
  return { name, shape: [...(shape as number[])], dtype, size, ...(group === 'optimizer' ? { group } : {}) };
}

/**
 * The weights the specs describe, read from the bytes: names unique, and the bytes exactly as
 * many as the specs need (checked before any weight is allocated).
 */
export function decodeWeights(specs: unknown, data: Uint8Array, context: string): NamedValues[] {
  if (!Array.isArray(specs)) throw invalid(context, 'Expected weightSpecs to be an array', { weightSpecs: specs });
  const checked = specs.map((s, i) => checkSpec(s, i, context));
  const names = new Set<string>();
  for (const spec of checked) {
    if (names.has(spec.name)) throw invalid(context, 'Expected each weight name once in the manifest', { duplicate: spec.name });
    names.add(spec.name);
  }
  const needed = checked.reduce((n, s) => n + s.size * 4, 0);
  if (needed !== data.byteLength) {
    throw invalid(context, `Expected ${needed} bytes of weight data (the sizes of the ${checked.length} weights in the manifest)`, { bytes: data.byteLength });
  }
  let offset = 0;
  return checked.map(({ name, shape, dtype, size, group }) => {
    // A copy: the values must not alias the caller's buffer, and must be 4-byte aligned.
    const bytes = littleEndianBytes(new Uint32Array(data.slice(offset, offset + size * 4).buffer));
    offset += size * 4;
    const values = dtype === 'float32' ? new Float32Array(bytes.buffer, bytes.byteOffset, size) : new Int32Array(bytes.buffer, bytes.byteOffset, size);
    return { name, shape, dtype, values, ...(group ? { group } : {}) };
  });
}
