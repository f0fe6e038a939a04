/**
 * Weight digests: SHA-256 over every weight in order, its name, a NUL, its shape as JSON, a NUL,
 * and its float32 values as little-endian bytes. Equal digests mean bitwise-equal weights.
 * A model's digest hashes all its weights (model.weights order); a layer's, the layer's weights.
 */
import { ENGINE } from '../engine/engine.js';
import type { Variable } from '../tensor/tensor.js';
import { concatenateBytes, littleEndianBytes } from '../util/bytes.js';
import { Sha256, type BytesDigest } from '../util/sha256.js';

/** What the digest hashes before a weight's values: its name, NUL, its shape as JSON, NUL. */
export function digestHeader(name: string, shape: readonly number[]): string {
  return `${name}\0${JSON.stringify(shape)}\0`;
}

/** Each weight's digest header, encoded once (a variable's name and shape never change). */
const HEADERS = new WeakMap<Variable, Uint8Array>();
const ENCODER = new TextEncoder();
function header(w: Variable): Uint8Array {
  return HEADERS.get(w) ?? HEADERS.set(w, ENCODER.encode(digestHeader(w.name, w.shape))).get(w)!;
}

/** Feeds the weights' digest bytes to an incremental SHA-256 (ours, or Node's for the run recorder), one weight at a time. */
export function hashWeights<H extends { update(data: Uint8Array): unknown }>(hash: H, weights: readonly Variable[]): H {
  for (const w of weights) {
    hash.update(header(w));
    hash.update(littleEndianBytes(w.dataSync() as Float32Array));
  }
  return hash;
}

export function weightsDigest(weights: readonly Variable[]): string {
  return hashWeights(new Sha256(), weights).hex();
}

/** A layer as far as digests go: its name and weights. */
export interface WeightOwner {
  readonly name?: string;
  readonly weights: readonly { readonly variable: Variable }[];
}

/**
 * Where each weight's header and bytes sit in one buffer of the bytes the model's digest hashes.
 * Made once per list of weights and reused every epoch: reading the weights costs one read of
 * each, their digest a copy into the buffer and one hash (the run recorder reads every epoch and
 * hashes later, many epochs in one loop; with small models, calls cost more than the hashing).
 */
export class WeightLayout {
  /** Per layer, its name and weights, as they were when the layout was made. */
  private readonly layers: readonly (readonly [string, readonly Variable[]])[];
  /** Each weight once (model.weights order): where its header, values and end are in the buffer. */
  private readonly ranges = new Map<Variable, { start: number; values: number; end: number }>();
  private readonly length: number;
  /** The bytes of every weight's values. */
  readonly valueBytes: number;
  private laidOut: { buffer: Uint8Array; weights: Variable[]; valueViews: Uint8Array[]; layerViews: (Uint8Array | undefined)[] } | undefined;

  /** The layers as they were (a copy: a Sequential's list grows in place when a layer is added). */
  private readonly source: readonly WeightOwner[];

  constructor(source: readonly WeightOwner[]) {
    this.source = [...source];
    this.layers = source.map((l) => [l.name!, l.weights.map((w) => w.variable)] as const);
    let length = 0;
    for (const [, weights] of this.layers) {
      for (const w of weights) {
        if (this.ranges.has(w)) continue;
        const values = length + header(w).length;
        length = values + w.size * 4;
        this.ranges.set(w, { start: values - header(w).length, values, end: length });
      }
    }
    this.length = length;
    this.valueBytes = [...this.ranges.values()].reduce((n, r) => n + r.end - r.values, 0);
  }

  /** The buffer and its views, made at the first read (never for a model too large to snapshot). */
  private layout(): NonNullable<WeightLayout['laidOut']> {
    if (this.laidOut) return this.laidOut;
    const buffer = new Uint8Array(this.length);
    for (const [w, { start }] of this.ranges) buffer.set(header(w), start);
    const layerViews = this.layers.map(([, weights]) => {
      const spans = weights.map((w) => this.ranges.get(w)!);
      const contiguous = spans.every((s, i) => i === 0 || s.start === spans[i - 1]!.end);
      if (!contiguous) return undefined;
      return spans.length === 0 ? buffer.subarray(0, 0) : buffer.subarray(spans[0]!.start, spans.at(-1)!.end);
    });
    const valueViews = [...this.ranges.values()].map((r) => buffer.subarray(r.values, r.end));
    return (this.laidOut = { buffer, weights: [...this.ranges.keys()], valueViews, layerViews });
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

  /** Reads every weight's values into `values` (model.weights order: the run's snapshot file), and returns it. */
  read(values: Uint8Array): Uint8Array {
    const { weights, valueViews } = this.layout();
    let offset = 0;
    for (let i = 0; i < weights.length; i++) {
      ENGINE.readLittleEndianInto(weights[i]!, values, offset);
      offset += valueViews[i]!.length;
    }
    return values;
  }

  /** The model's digest of values read by `read`; layerDigests then hashes the same values. */
  digest(digestOf: BytesDigest, values: Uint8Array): string {
    const { buffer, valueViews } = this.layout();
    let offset = 0;
    for (const view of valueViews) {
      view.set(values.subarray(offset, offset + view.length));
      offset += view.length;
    }
    return digestOf(buffer);
  }

  /** Each layer's digest, of the values the last `digest` hashed. */
  layerDigests(digestOf: BytesDigest): Record<string, string> {
    const { buffer, layerViews } = this.layout();
    return Object.fromEntries(this.layers.map(([name, weights], i) => [name, digestOf(layerViews[i] ?? this.gather(buffer, weights))]));
  }

  /** A layer's bytes gathered from the buffer (its weights are not next to each other in it). */
  private gather(buffer: Uint8Array, weights: readonly Variable[]): Uint8Array {
    return concatenateBytes(weights.map((w) => buffer.subarray(this.ranges.get(w)!.start, this.ranges.get(w)!.end)));
  }
}
