/**
 * Weight digests: SHA-256 over every weight in order, its name, a NUL, its shape as JSON, a NUL,
 * and its float32 values as little-endian bytes. Equal digests mean bitwise-equal weights.
 * A model's digest hashes all its weights (model.weights order); a layer's, the layer's weights.
 */
import { ENGINE } from '../engine/engine.js';
import type { Variable } from '../tensor/tensor.js';
import { concatenateBytes, littleEndianBytes } from '../util/bytes.js';
import { Sha256, type BytesDigest } from '../util/sha256.js';

/** Each weight's digest header, name NUL shape NUL, encoded once (a variable's name and shape never change). */
const HEADERS = new WeakMap<Variable, Uint8Array>();
const ENCODER = new TextEncoder();
function header(w: Variable): Uint8Array {
  return HEADERS.get(w) ?? HEADERS.set(w, ENCODER.encode(`${w.name}\0${JSON.stringify(w.shape)}\0`)).get(w)!;
}

export function weightsDigest(weights: readonly Variable[]): string {
  const hash = new Sha256();
  for (const w of weights) hash.update(header(w)).update(littleEndianBytes(w.dataSync() as Float32Array));
  return hash.hex();
}

/** A layer as far as digests go: its name and weights. */
export interface WeightOwner {
  readonly name?: string;
  readonly weights: readonly { readonly variable: Variable }[];
}

/** A model's weights at one moment: their values, and their digests computed when asked (from those values). */
export interface WeightSnapshot {
  /** Every weight's little-endian float32 bytes, in model.weights order (the run's snapshot file). */
  values: Uint8Array;
  /** The model's digest, and with {layers: true} each layer's. */
  digests(digestOf: BytesDigest, options: { layers: boolean }): { digest: string; layers?: Record<string, string> };
}

/**
 * Where each weight's header and bytes sit in one buffer of the bytes the model's digest hashes.
 * Made once per list of weights and reused every epoch: a snapshot costs one read of each weight
 * and one new array, its digests one hash each (the run recorder takes one per epoch, and with
 * small models, allocations and calls cost more than the hashing).
 */
export class WeightLayout {
  private readonly variables: Variable[];
  private readonly buffer: Uint8Array;
  /** Per weight (this.variables order), its values in the buffer. */
  private readonly valueViews: Uint8Array[];
  /** Per layer, its bytes in the buffer; undefined when they are not contiguous (a weight shared with an earlier layer). */
  private readonly layerViews: (Uint8Array | undefined)[];
  private readonly valueBytes: number;

  private readonly layers: readonly (readonly [string, readonly Variable[]])[];

  constructor(private readonly source: readonly WeightOwner[]) {
    this.layers = source.map((l) => [l.name!, l.weights.map((w) => w.variable)] as const);
    const layers = this.layers;
    const ranges = new Map<Variable, { start: number; values: number; end: number }>();
    let length = 0;
    for (const [, weights] of layers) {
      for (const w of weights) {
        if (ranges.has(w)) continue;
        const values = length + header(w).length;
        ranges.set(w, { start: length, values, end: values + w.size * 4 });
        length = values + w.size * 4;
      }
    }
    this.variables = [...ranges.keys()];
    this.buffer = new Uint8Array(length);
    for (const [w, { start }] of ranges) this.buffer.set(header(w), start);
    this.valueViews = [...ranges.values()].map((r) => this.buffer.subarray(r.values, r.end));
    this.valueBytes = this.valueViews.reduce((n, v) => n + v.length, 0);
    this.layerViews = layers.map(([, weights]) => {
      const spans = weights.map((w) => ranges.get(w)!);
      const contiguous = spans.every((s, i) => i === 0 || s.start === spans[i - 1]!.end);
      if (!contiguous) return undefined;
      return spans.length === 0 ? this.buffer.subarray(0, 0) : this.buffer.subarray(spans[0]!.start, spans.at(-1)!.end);
    });
  }

  /** Whether this layout is for these layers, with the weights they had (checked every epoch: no allocation). */
  matches(layers: readonly WeightOwner[]): boolean {
    if (layers.length !== this.source.length) return false;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      const [name, own] = this.layers[i]!;
      if (layer !== this.source[i] || layer.name !== name || layer.weights.length !== own.length) return false;
      for (let j = 0; j < own.length; j++) if (layer.weights[j]!.variable !== own[j]) return false;
    }
    return true;
  }

  /** The weights' values now, in an array from allocate (the run recorder's pool). */
  snapshot(allocate: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes)): WeightSnapshot {
    const values = allocate(this.valueBytes);
    let offset = 0;
    for (const w of this.variables) {
      ENGINE.readLittleEndianInto(w, values, offset);
      offset += w.size * 4;
    }
    return { values, digests: (digestOf, options) => this.digests(values, digestOf, options) };
  }

  private digests(values: Uint8Array, digestOf: BytesDigest, options: { layers: boolean }): { digest: string; layers?: Record<string, string> } {
    let offset = 0;
    for (const view of this.valueViews) {
      view.set(values.subarray(offset, offset + view.length));
      offset += view.length;
    }
    const digest = digestOf(this.buffer);
    if (!options.layers) return { digest };
    return { digest, layers: Object.fromEntries(this.layers.map(([name, weights], i) => [name, digestOf(this.layerViews[i] ?? this.gather(weights))])) };
  }

  /** A layer's bytes gathered from the buffer (its weights are not next to each other in it). */
  private gather(weights: readonly Variable[]): Uint8Array {
    return concatenateBytes(weights.map((w) => {
      const view = this.valueViews[this.variables.indexOf(w)]!;
      return this.buffer.subarray(view.byteOffset - header(w).length, view.byteOffset + view.length);
    }));
  }
}
