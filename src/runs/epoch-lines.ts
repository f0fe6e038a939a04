/**
 * The lines of epochs.jsonl, made from the recorder's per-epoch snapshots: each epoch's weight
 * digests (src/models/weight-digest.ts: every weight's header and little-endian bytes, in order)
 * and metrics with their float32 bits. Plain data in, text out, so that the same code runs in
 * the recorder's worker thread (src/runs/epoch-lines-worker.ts) or, without one, in the
 * recording thread.
 */
import type { SnapshotLayout } from '../models/weight-digest.js';
import { jsonSafe } from './store.js';

/** One epoch to record: its snapshot's values and layout, or (a model too large to copy) its digests already computed. */
export type EpochEntry = { fit: number; epoch: number; logs: Record<string, number> } & (
  | { layout: number; values: Uint8Array; layerDigests: boolean }
  | { digest: string; layers: Record<string, string> }
);

type Hash = { update(data: string | Uint8Array): Hash; digest(encoding: 'hex'): string };
export type CreateHash = (algorithm: 'sha256') => Hash;

const BITS = new DataView(new ArrayBuffer(4));

export function float32Bits(value: number): string {
  // One NaN (NUMERICS.md): a NaN metric is recorded as the canonical NaN, whatever bits the engine gave it.
  if (value !== value) return '7fc00000';
  BITS.setFloat32(0, value);
  return BITS.getUint32(0).toString(16).padStart(8, '0');
}

/**
 * One line of epochs.jsonl, the bytes JSON.stringify gives {fit, epoch, logs, logBits, digest,
 * layers?}, put together directly (a line per epoch: the objects and arrays the generic way
 * allocates cost more than the line itself).
 */
function epochLine(fit: number, epoch: number, logs: Record<string, number>, digest: string, layers: Record<string, string> | undefined): string {
  let bits = '';
  for (const key in logs) bits += `${bits ? ',' : ''}${JSON.stringify(key)}:"${float32Bits(logs[key]!)}"`;
  return `{"fit":${fit},"epoch":${epoch},"logs":${JSON.stringify(jsonSafe(logs))},"logBits":{${bits}},"digest":"${digest}"${layers ? `,"layers":${JSON.stringify(layers)}` : ''}}\n`;
}

/** A layout with its headers encoded and each weight's offset in a snapshot. */
interface Prepared {
  headers: Uint8Array[];
  offsets: number[];
  bytes: readonly number[];
  all: number[];
  layers: SnapshotLayout['layers'];
}

const ENCODER = new TextEncoder();

/** Makes the lines of epochs, in order, their snapshots' layouts added (by id) before them. */
export class EpochLines {
  private readonly prepared = new Map<number, Prepared>();

  constructor(private readonly createHash: CreateHash) {}

  addLayout(id: number, layout: SnapshotLayout): void {
    const offsets: number[] = [];
    let offset = 0;
    for (const n of layout.bytes) {
      offsets.push(offset);
      offset += n;
    }
    this.prepared.set(id, { headers: layout.headers.map((h) => ENCODER.encode(h)), offsets, bytes: layout.bytes, all: layout.bytes.map((_, i) => i), layers: layout.layers });
  }

  linesOf(entries: readonly EpochEntry[]): string {
    let text = '';
    for (const entry of entries) {
      if ('digest' in entry) {
        text += epochLine(entry.fit, entry.epoch, entry.logs, entry.digest, entry.layers);
        continue;
      }
      const layout = this.prepared.get(entry.layout)!;
      const digestOf = (weights: readonly number[]) => {
        const hash = this.createHash('sha256');
        for (const i of weights) hash.update(layout.headers[i]!).update(entry.values.subarray(layout.offsets[i]!, layout.offsets[i]! + layout.bytes[i]!));
        return hash.digest('hex');
      };
      const layers = entry.layerDigests ? Object.fromEntries(layout.layers.map(([name, weights]) => [name, digestOf(weights)])) : undefined;
      text += epochLine(entry.fit, entry.epoch, entry.logs, digestOf(layout.all), layers);
    }
    return text;
  }
}

/**
 * Epochs as a worker thread is sent them: numbers in one array and the snapshots' memory by
 * reference, so that sending a flush's epochs costs the recording thread one copy of that array
 * (cloning an object per epoch cost about as much as making the lines).
 */
export interface PackedEntries {
  /** Per epoch: fit, epoch, layout (-1: digests given), buffer, byte offset, byte length, layer digests (0 or 1), key set, then its metrics. */
  numbers: Float64Array;
  /** The memory the snapshots are in (shared with the worker). */
  buffers: ArrayBufferLike[];
  /** The distinct lists of metric names. */
  keySets: string[][];
  /** The digests given (models too large to copy), by epoch index. */
  given: [number, { digest: string; layers: Record<string, string> }][];
}

export function packEntries(entries: readonly EpochEntry[]): PackedEntries {
  const numbers: number[] = [];
  const buffers: ArrayBufferLike[] = [];
  const keySets: string[][] = [];
  const keySetIndex = new Map<string, number>();
  const given: PackedEntries['given'] = [];
  for (const [i, entry] of entries.entries()) {
    const keys = Object.keys(entry.logs);
    const joined = keys.join('\0');
    let keySet = keySetIndex.get(joined);
    if (keySet === undefined) keySetIndex.set(joined, (keySet = keySets.push(keys) - 1));
    if ('digest' in entry) {
      given.push([i, { digest: entry.digest, layers: entry.layers }]);
      numbers.push(entry.fit, entry.epoch, -1, 0, 0, 0, 0, keySet);
    } else {
      let buffer = buffers.indexOf(entry.values.buffer);
      if (buffer < 0) buffer = buffers.push(entry.values.buffer) - 1;
      numbers.push(entry.fit, entry.epoch, entry.layout, buffer, entry.values.byteOffset, entry.values.byteLength, entry.layerDigests ? 1 : 0, keySet);
    }
    for (const key of keys) numbers.push(entry.logs[key]!);
  }
  return { numbers: Float64Array.from(numbers), buffers, keySets, given };
}

export function unpackEntries({ numbers, buffers, keySets, given }: PackedEntries): EpochEntry[] {
  const digests = new Map(given);
  const entries: EpochEntry[] = [];
  for (let at = 0; at < numbers.length;) {
    const [fit, epoch, layout, buffer, offset, length, layerDigests, keySet] = numbers.subarray(at, at + 8) as unknown as number[];
    at += 8;
    const logs: Record<string, number> = {};
    for (const key of keySets[keySet!]!) logs[key] = numbers[at++]!;
    entries.push(layout === -1
      ? { fit: fit!, epoch: epoch!, logs, ...digests.get(entries.length)! }
      : { fit: fit!, epoch: epoch!, logs, layout: layout!, values: new Uint8Array(buffers[buffer!]!, offset, length), layerDigests: layerDigests === 1 });
  }
  return entries;
}
