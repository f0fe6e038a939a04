/**
 * Data-parallel messages between processes (src/models/data-parallel-tcp.ts): length-prefixed
 * frames. A frame is a little-endian uint32 byte count of the rest, a uint32 byte count of a JSON
 * header, the header (UTF-8), then the raw bytes of every typed array and ArrayBuffer of the
 * message, which the header marks as {$blob: type, offset, bytes}: weights, gradients and
 * predictions travel as their float32 bytes, never as decimal text.
 */
const BLOB_TYPES = { Float32Array, Int32Array, Uint8Array } as const;
type BlobType = keyof typeof BLOB_TYPES | 'ArrayBuffer';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndian(context: string): void {
  // Typed arrays are sent in the host's byte order; every platform Node runs on is little-endian.
  if (!littleEndian) throw new Error(`${context}: data-parallel processes need a little-endian host`);
}

export function encodeFrame(message: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const blob = (type: BlobType, bytes: Uint8Array) => {
    blobs.push(bytes);
    offset += bytes.byteLength;
    return { $blob: type, offset: offset - bytes.byteLength, bytes: bytes.byteLength };
  };
  const header = new TextEncoder().encode(JSON.stringify(message, (_key, value: unknown) => {
    if (typeof value === 'bigint') return { $bigint: value.toString() };
    if (value instanceof ArrayBuffer) return blob('ArrayBuffer', new Uint8Array(value));
    for (const [name, type] of Object.entries(BLOB_TYPES)) {
      if (value instanceof type) return blob(name as BlobType, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
    return value;
  }));
  const frame = new Uint8Array(8 + header.byteLength + offset);
  const view = new DataView(frame.buffer);
  view.setUint32(0, frame.byteLength - 4, true);
  view.setUint32(4, header.byteLength, true);
  frame.set(header, 8);
  let at = 8 + header.byteLength;
  for (const b of blobs) {
    frame.set(b, at);
    at += b.byteLength;
  }
  return frame;
}

/**
 * The message of one frame's body (the bytes after its length prefix). A body from a peer is
 * input: a header or blob that does not fit the body, or a typed array of a partial element, is
 * an error, never a short or shifted array.
 */
export function decodeFrame(body: Uint8Array): unknown {
  if (body.byteLength < 4) throw new Error(`a frame of ${body.byteLength} bytes has no header length`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const headerBytes = view.getUint32(0, true);
  if (headerBytes > body.byteLength - 4) throw new Error(`a header of ${headerBytes} bytes in a frame of ${body.byteLength}`);
  const payload = body.subarray(4 + headerBytes);
  return JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + headerBytes)), (_key, value: unknown) => {
    if (value === null || typeof value !== 'object') return value;
    const v = value as { $bigint?: string; $blob?: BlobType; offset?: number; bytes?: number };
    if (v.$bigint !== undefined) return BigInt(v.$bigint);
    if (v.$blob === undefined) return value;
    const type = v.$blob === 'ArrayBuffer' ? undefined : Object.hasOwn(BLOB_TYPES, v.$blob) ? BLOB_TYPES[v.$blob] : null;
    const { offset, bytes } = v;
    if (type === null || !Number.isInteger(offset) || !Number.isInteger(bytes) || offset! < 0 || bytes! < 0 || offset! + bytes! > payload.byteLength
      || bytes! % (type?.BYTES_PER_ELEMENT ?? 1) !== 0) {
      throw new Error(`a blob that does not fit the frame (${JSON.stringify(value)})`);
    }
    // A copy: aligned for its element type, and independent of the receive buffer.
    const copy = payload.slice(offset!, offset! + bytes!);
    return type === undefined ? copy.buffer : new type(copy.buffer);
  });
}

/** The first frame a worker process sends: who it is, so that fit counts only real workers. */
export const HELLO_MAGIC = 'verbatim data-parallel worker';
/** The frames' format; a worker of another protocol is refused at the handshake. */
export const PROTOCOL = 1;
/** The largest hello frame a coordinator reads: a peer announcing more is not a worker. */
export const HELLO_LIMIT = 4096;

/** A frame longer than the reader's limit, announced by its length prefix (the bytes are never buffered). */
export class FrameTooLarge extends Error {}

/**
 * Splits a byte stream into frames' bodies (joining the chunks once per complete frame). A
 * length prefix above `limit` throws FrameTooLarge from push: a peer's 4 GB prefix is refused
 * before anything waits for, or allocates, its bytes.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly onFrame: (body: Uint8Array) => void, public limit = Infinity) {}

  private joined(): Uint8Array {
    if (this.chunks.length > 1) {
      const all = new Uint8Array(this.size);
      let at = 0;
      for (const c of this.chunks) {
        all.set(c, at);
        at += c.byteLength;
      }
      this.chunks = [all];
    }
    return this.chunks[0]!;
  }

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    while (this.size >= 4) {
      const head = this.chunks[0]!.byteLength >= 4 ? this.chunks[0]! : this.joined();
      const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
      if (length > this.limit) throw new FrameTooLarge(`a frame of ${length} bytes (at most ${this.limit} expected)`);
      if (this.size < 4 + length) return;
      const all = this.joined();
      const rest = all.subarray(4 + length);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.size = rest.byteLength;
      this.onFrame(all.subarray(4, 4 + length));
    }
  }
}
