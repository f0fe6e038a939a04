/**
 * SHA-256 of tensors' raw bytes (NUMERICS.md: one NaN, digests hash raw bytes), so that equal
 * digests mean bitwise-equal tensors in every engine.
 */
import { littleEndianBytes } from '../util/bytes.js';
import { Sha256 } from '../util/sha256.js';
import { invalid } from '../errors.js';
import { Tensor } from './tensor.js';

/**
 * One hex SHA-256 over the tensors in order (a record's in its key order): for each, its name
 * (the key, or the index in a list), dtype and shape as JSON, NUL-separated, then its values as
 * little-endian bytes.
 */
export function digest(tensors: Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>): string {
  const plainRecord = typeof tensors === 'object' && tensors !== null && Object.getPrototypeOf(tensors) === Object.prototype;
  const entries: [string, unknown][] = tensors instanceof Tensor ? [['0', tensors]]
    : Array.isArray(tensors) ? tensors.map((t, i) => [String(i), t])
    : plainRecord ? Object.entries(tensors) : [['', tensors]];
  const hash = new Sha256();
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) {
      // Named by its kind, not dumped: a stray object may hold the whole engine.
      const kind = t === null || typeof t !== 'object' ? String(t) : `a ${(t as object).constructor?.name ?? 'object'}`;
      throw invalid('digest', 'Expected a tensor, a list of tensors or a plain record of tensors', { [name === '' ? 'tensors' : `tensors[${JSON.stringify(name)}]`]: kind });
    }
    const values = t.dataSync();
    const bytes = values instanceof Uint8Array ? values : littleEndianBytes(values);
    hash.update(name).update('\0').update(t.dtype).update('\0').update(JSON.stringify(t.shape)).update('\0').update(bytes);
  }
  return hash.hex();
}
