/**
 * The run recorder's hashes through Node's crypto (recording is Node-only): weight digests (the
 * same as src/util/sha256's, many times faster) and the fingerprints of the data a fit is given.
 */
import { Variable, type Tensor } from '../tensor/tensor.js';
import type { BytesDigest } from '../util/sha256.js';
import { hashWeights } from '../models/weight-digest.js';
import { builtin } from '../util/node.js';

type Hash = { update(data: string | Uint8Array): Hash; digest(encoding: 'hex'): string };
type Crypto = { createHash(algorithm: string): Hash; hash?(algorithm: string, data: Uint8Array, encoding: 'hex'): string };
let crypto: Crypto | undefined;
const nodeCrypto = (): Crypto => (crypto ??= builtin<Crypto>('node:crypto'));

export function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = nodeCrypto().createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Node's one-call SHA-256 (crypto.hash, Node 20.12+) where it exists: the per-epoch digests are many small hashes. */
export const bytesSha256: BytesDigest = (bytes) => nodeCrypto().hash?.('sha256', bytes, 'hex') ?? sha256(bytes);

/** The digest of these weights (src/models/weight-digest.ts), hashed a weight at a time. */
export function streamedWeightsDigest(weights: readonly Variable[]): string {
  return hashWeights(nodeCrypto().createHash('sha256'), weights).digest('hex');
}

const ENCODER = new TextEncoder();

/** SHA-256 of each example (each index of the first axis) of a tensor: of its dtype, shape, NUL and bytes. */
export function exampleHashes(t: Tensor): string[] {
  const values = t.dataSync();
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const rows = t.shape[0] ?? 1;
  const rowBytes = rows === 0 ? 0 : bytes.length / rows;
  // One message buffer for every row, its header written once: a dataset has thousands of rows.
  const header = ENCODER.encode(`${t.dtype}${JSON.stringify(t.shape.slice(1))}\0`);
  const message = new Uint8Array(header.length + rowBytes);
  message.set(header);
  return Array.from({ length: rows }, (_, i) => {
    message.set(bytes.subarray(i * rowBytes, (i + 1) * rowBytes), header.length);
    return bytesSha256(message);
  });
}

/** The fingerprint of the multiset of examples: their hashes sorted, so any order gives the same value. */
export function contentFingerprint(hashes: readonly string[]): string {
  return sha256([...hashes].sort().join('\n'));
}

/** SHA-256 of the whole tensor: its dtype, shape, NUL and bytes. */
export function tensorFingerprint(t: Tensor): string {
  const bytes = new Uint8Array(t.dataSync().slice().buffer);
  return sha256(`${t.dtype}${JSON.stringify(t.shape)}\0`, bytes);
}

/** A data tensor's fingerprints: the whole tensor's, each example's, and the examples' as a multiset. */
export interface DataFingerprints {
  readonly sha256: string;
  readonly examples: readonly string[];
  readonly content: string;
}

/**
 * Computed once per tensor: a script that fits many models on the same tensors (the classic
 * tutorial's ten) hashes them once. A tensor's values never change; a variable's can (assign),
 * so a variable is hashed every time.
 */
const FINGERPRINTS = new WeakMap<Tensor, DataFingerprints>();

export function dataFingerprints(t: Tensor): DataFingerprints {
  const known = FINGERPRINTS.get(t);
  if (known) return known;
  const examples = exampleHashes(t);
  const fingerprints = { sha256: tensorFingerprint(t), examples, content: contentFingerprint(examples) };
  if (!(t instanceof Variable)) FINGERPRINTS.set(t, fingerprints);
  return fingerprints;
}
