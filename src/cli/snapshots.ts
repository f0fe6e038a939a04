/**
 * A run's kept weight snapshots (weights/fit-F.bin: every epoch's weights, one after the other),
 * read back to locate a divergence: which layers and which weights differ, by how much.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { digestHeader } from '../models/weight-digest.js';
import { MAX_EPOCH_WEIGHT_BYTES, type EpochLine } from '../runs/store.js';
import { isIndex } from '../runs/record-files.js';

/** What of a recorded run the snapshot readers need (a RunDetails). */
export interface RecordedWeights {
  summary: { dir: string };
  fits: readonly {
    fit: number;
    weights?: { name: string; shape: number[] }[];
    /** Each layer's weights, as indices into weights (recorded since epoch records leave layer digests out). */
    layers?: { name: string; weights: number[] }[];
  }[];
  epochs: readonly EpochLine[];
}

/** One recorded weight: its name, shape and number of values. */
export interface WeightEntry {
  name: string;
  shape: number[];
  size: number;
}

/** The bytes of one snapshot of these weights (float32 values). */
export function snapshotBytes(layout: readonly WeightEntry[]): number {
  return layout.reduce((n, w) => n + w.size * 4, 0);
}

function ordinal(v: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v);
  const w = view.getInt32(0);
  return w < 0 ? -(w & 0x7fffffff) : w;
}

/**
 * The recorded weights' names and sizes, checked before anything is allocated or read: a
 * store's fits.jsonl is input like any other (a shape [1e9, 1e9] must not become a loop of 1e18
 * steps). No kept snapshot is larger than MAX_EPOCH_WEIGHT_BYTES, the default bound (the
 * integrity check reads files in pieces, checks their lengths first, and passes none).
 */
export function weightLayout(weights: unknown, maxBytes = MAX_EPOCH_WEIGHT_BYTES): WeightEntry[] | string {
  if (!Array.isArray(weights)) return '(the fit records no weight shapes)';
  let total = 0;
  const layout = [];
  for (const w of weights as { name?: unknown; shape?: unknown }[]) {
    const shape = w?.shape;
    if (typeof w?.name !== 'string' || !Array.isArray(shape) || !shape.every(isIndex)) return `(a recorded weight shape is not a list of non-negative integers: ${JSON.stringify(w).slice(0, 80)})`;
    const size = shape.reduce((p: number, d: number) => p * d, 1);
    total += size;
    if (total * 4 > maxBytes) return `(the recorded weight shapes hold more values than a kept snapshot can: over ${maxBytes / 4})`;
    layout.push({ name: w.name, shape: shape as number[], size });
  }
  return layout;
}

/**
 * Where one recorded epoch's weights are kept: the k-th epoch record of fit F is the k-th
 * snapshot in weights/fit-F.bin (runs recorded before that file existed kept
 * weights/fit-F-epoch-E.bin, one snapshot each).
 */
export function snapshotLocation(run: RecordedWeights, fit: number, epoch: number): { file: string; index: number; perEpoch: boolean } {
  const dir = join(run.summary.dir, 'weights');
  const perEpoch = join(dir, `fit-${fit}-epoch-${epoch}.bin`);
  if (existsSync(perEpoch)) return { file: perEpoch, index: 0, perEpoch: true };
  return { file: join(dir, `fit-${fit}.bin`), index: run.epochs.filter((e) => e.fit === fit).findIndex((e) => e.epoch === epoch), perEpoch: false };
}

/** One recorded epoch's weight bytes (see snapshotLocation), or why the file cannot hold them. */
function epochWeightBytes(run: RecordedWeights, fit: number, epoch: number, epochBytes: number): Uint8Array | string | undefined {
  const { file, index, perEpoch } = snapshotLocation(run, fit, epoch);
  if (!existsSync(file) || index < 0) return undefined;
  const length = statSync(file).size;
  if (length % 4 !== 0) return `(${file} holds ${length} bytes, not a whole number of float32 values)`;
  if (epochBytes === 0 || length % epochBytes !== 0 || (perEpoch && length !== epochBytes)) {
    return `(${file} holds ${length} bytes, not whole snapshots of the ${epochBytes} bytes the recorded weight shapes need)`;
  }
  if ((index + 1) * epochBytes > length) return undefined;
  const bytes = new Uint8Array(epochBytes);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, bytes, 0, epochBytes, index * epochBytes);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Per weight of one recorded epoch: max |a - b| and max ULP distance, when both runs kept the weights. */
export function weightDifferences(a: RecordedWeights, b: RecordedWeights, fit: number, epoch: number): string[] {
  // fit and epoch become part of a file name: only non-negative integers (readEpochs checks them; so does this).
  if (!isIndex(fit) || !isIndex(epoch)) return [`(not a recorded epoch: fit ${String(fit)}, epoch ${String(epoch)})`];
  const [weights, weightsB] = [a, b].map((run) => run.fits.find((f) => f.fit === fit && f.weights)?.weights);
  if (!weights || !weightsB) return ['(the weights of this epoch were not kept)'];
  // Each run's files hold its own model: read with the other's shapes, they would seem damaged.
  if (JSON.stringify(weights) !== JSON.stringify(weightsB)) return [`(the runs' models differ at fit ${fit}: other weight names or shapes (a config difference), so their weights are not compared)`];
  const layout = weightLayout(weights);
  if (typeof layout === 'string') return [layout];
  const epochBytes = snapshotBytes(layout);
  const bytesA = epochWeightBytes(a, fit, epoch, epochBytes);
  const bytesB = epochWeightBytes(b, fit, epoch, epochBytes);
  if (typeof bytesA === 'string' || typeof bytesB === 'string') return [(typeof bytesA === 'string' ? bytesA : bytesB) as string];
  if (!bytesA || !bytesB) return ['(the weights of this epoch were not kept)'];
  const x = new Float32Array(bytesA.buffer, bytesA.byteOffset, bytesA.length / 4);
  const y = new Float32Array(bytesB.buffer, bytesB.byteOffset, bytesB.length / 4);
  const lines: string[] = [];
  let offset = 0;
  for (const w of layout) {
    let maxAbs = 0;
    let maxUlp = 0;
    let differing = 0;
    for (let i = offset; i < offset + w.size; i++) {
      if (Object.is(x[i], y[i])) continue;
      differing++;
      maxAbs = Math.max(maxAbs, Math.abs(x[i]! - y[i]!));
      maxUlp = Math.max(maxUlp, Math.abs(ordinal(x[i]!) - ordinal(y[i]!)));
    }
    if (differing > 0) lines.push(`${w.name} ${JSON.stringify(w.shape)}: ${differing} of ${w.size} values differ; max |a - b| = ${maxAbs.toExponential(3)}, max ULP distance = ${maxUlp}`);
    offset += w.size;
  }
  return lines;
}

/**
 * The layer digests of one recorded epoch: as recorded (epochs whose snapshot is too large to
 * keep, and runs recorded before layer digests were left out), else computed from the kept
 * snapshot with weightsDigest's encoding (once the snapshot's own digest is found to be the
 * record's); undefined when neither is there.
 */
export function layerDigestsAt(run: RecordedWeights, fit: number, epoch: number): Record<string, string> | undefined {
  const record = run.epochs.find((e) => e.fit === fit && e.epoch === epoch);
  if (record?.layers && Object.keys(record.layers).length > 0) return record.layers;
  const fitLine = run.fits.find((f) => f.fit === fit && f.weights);
  const layout = weightLayout(fitLine?.weights);
  const members = fitLine?.layers;
  if (typeof layout === 'string' || !Array.isArray(members)) return undefined;
  const epochBytes = snapshotBytes(layout);
  const bytes = epochWeightBytes(run, fit, epoch, epochBytes);
  if (!(bytes instanceof Uint8Array)) return undefined;
  const offsets: number[] = [];
  layout.reduce((offset, w) => (offsets.push(offset), offset + w.size * 4), 0);
  // A store's layer list is input: each index a weight, once per layer, and no more hashing in
  // all than a few times the snapshot (a weight shared by layers is hashed once for each).
  let budget = 4 * Math.max(epochBytes, 1);
  const layers: [string, number[]][] = [];
  for (const layer of members) {
    const indices = layer?.weights;
    if (typeof layer?.name !== 'string' || !Array.isArray(indices) || !indices.every((i) => isIndex(i) && i < layout.length)) return undefined;
    if (new Set(indices).size !== indices.length) return undefined;
    budget -= indices.reduce((n, i) => n + layout[i]!.size * 4, 0);
    if (budget < 0) return undefined;
    layers.push([layer.name, indices]);
  }
  const digest = (indices: readonly number[]) => {
    const hash = createHash('sha256');
    for (const i of indices) {
      const w = layout[i]!;
      hash.update(digestHeader(w.name, w.shape)).update(bytes.subarray(offsets[i]!, offsets[i]! + w.size * 4));
    }
    return hash.digest('hex');
  };
  // The snapshot must be the one the record describes: its digest is the record's.
  if (digest(layout.map((_, i) => i)) !== record?.digest) return undefined;
  return Object.fromEntries(layers.map(([name, indices]) => [name, digest(indices)]));
}
