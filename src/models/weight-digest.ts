/**
 * Weight digests: SHA-256 over every weight in order, its name, a NUL, its shape as JSON, a NUL,
 * and its float32 values as little-endian bytes. Equal digests mean bitwise-equal weights.
 * A model's digest hashes all its weights (model.weights order); a layer's, the layer's weights.
 */
import { ENGINE } from '../engine/engine.js';
import type { Variable } from '../tensor/tensor.js';
import { littleEndianBytes } from '../util/bytes.js';
import { Sha256 } from '../util/sha256.js';

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
 * What the digests of a snapshot's values need, as plain data (the run recorder computes them in
 * a worker thread): in the snapshot's order, each weight's digest header and byte length; each
 * layer's name and weights (indices into that order).
 */
export interface SnapshotLayout {
  readonly headers: readonly string[];
  readonly bytes: readonly number[];
  readonly layers: readonly (readonly [string, readonly number[]])[];
}

/** A model's weights at one moment (the run recorder's per-epoch snapshot; src/runs/epoch-lines.ts digests it). */
export interface WeightSnapshot {
  /** Every weight's little-endian float32 bytes, in model.weights order (the run's snapshot file). */
  values: Uint8Array;
  /** Where each weight's bytes are in values: one object for every snapshot of the same weights. */
  layout: WeightLayout;
}

/**
 * The order of a model's weights in its snapshots, and each layer's weights. Made once per list
 * of weights and reused every epoch: a snapshot costs one read of each weight into one array
 * (the run recorder takes one per epoch, and with small models, allocations and calls cost more
 * than the copying).
 */
export class WeightLayout {
  /** Per layer, its name and weights, as they were when the layout was made. */
  private readonly layers: readonly (readonly [string, readonly Variable[]])[];
  /** Each weight once, in model.weights order. */
  private readonly weights: readonly Variable[];
  /** The bytes of every weight's values. */
  readonly valueBytes: number;

  constructor(private readonly source: readonly WeightOwner[]) {
    this.layers = source.map((l) => [l.name!, l.weights.map((w) => w.variable)] as const);
    this.weights = [...new Set(this.layers.flatMap(([, weights]) => weights))];
    this.valueBytes = this.weights.reduce((n, w) => n + w.size * 4, 0);
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
    for (const w of this.weights) {
      ENGINE.readLittleEndianInto(w, values, offset);
      offset += w.size * 4;
    }
    return { values, layout: this };
  }

  private described: SnapshotLayout | undefined;

  describe(): SnapshotLayout {
    return (this.described ??= {
      headers: this.weights.map((w) => digestHeader(w.name, w.shape)),
      bytes: this.weights.map((w) => w.size * 4),
      layers: this.layers.map(([name, own]) => [name, own.map((w) => this.weights.indexOf(w))] as const),
    });
  }
}
