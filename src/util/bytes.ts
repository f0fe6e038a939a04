/**
 * Raw bytes of tensor storage, for digests and files. Values never pass through JS numbers
 * (engines differ in the NaN bits such a round trip keeps); the byte order is little-endian,
 * the order of every platform JS engines run on, and swapped if the platform is big-endian.
 */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of 4-byte elements (float32 or int32 storage). */
export function littleEndianBytes(values: Float32Array | Int32Array | Uint32Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    swapped[i] = bytes[i + 3]!;
    swapped[i + 1] = bytes[i + 2]!;
    swapped[i + 2] = bytes[i + 1]!;
    swapped[i + 3] = bytes[i]!;
  }
  return swapped;
}

/** The chunks one after the other in one array (the chunk itself when there is one). */
export function concatenateBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * Hands out byte arrays cut from large chunks: one allocation per CHUNK_BYTES instead of one per
 * request (the run recorder takes a small weight snapshot every epoch), and consecutive requests
 * are contiguous, so that they can be written as one piece. A chunk is never reused.
 */
export class BytePool {
  private static readonly CHUNK_BYTES = 1 << 16;
  private chunk = new Uint8Array(0);
  private used = 0;

  take(bytes: number): Uint8Array {
    if (this.used + bytes > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(bytes, BytePool.CHUNK_BYTES));
      this.used = 0;
    }
    const piece = this.chunk.subarray(this.used, this.used + bytes);
    this.used += bytes;
    return piece;
  }
}
