/**
 * tf.multinomial(logits, numSamples, seed?, normalized?), keyed. The canonical algorithm
 * (NUMERICS.md, "Random numbers"): per row, probabilities p = softmax(logits) (or the given
 * ones when normalized), their running sum c_j = fl(c_{j-1} + p_j) from +0 left to right, and
 * for sample s of row r the word w = r * numSamples + s of the key's stream: t =
 * fl(uniform(w) * c_{K-1}), the class is the first j with t < c_j (the last class of non-zero
 * probability should rounding leave none). Same key, same classes, on every backend.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { softmax } from '../ops/activations.js';
import { convertToTensor, type TensorLike } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Key, key, randomBits, type Seed } from './keys.js';
import { uniformFromBits } from './samplers.js';
import { nextUnnamedKey } from './seed.js';

const f = Math.fround;

/** The class of one uniform draw u in [0, 1) from a row's running sums (see the module comment). */
function drawClass(u: number, cumulative: Float32Array, probabilities: ArrayLike<number>, offset: number, classes: number): number {
  const t = f(u * cumulative[classes - 1]!);
  for (let j = 0; j < classes; j++) if (t < cumulative[j]!) return j;
  for (let j = classes - 1; j > 0; j--) if (probabilities[offset + j]! > 0) return j;
  return 0;
}

/**
 * numSamples class indices (int32) per row of logits ([classes] or [batch, classes]), drawn from
 * key(seed), the key itself, or without either from the global seed's unnamed stream.
 */
export function multinomial(logits: TensorLike, numSamples: number, seed?: Seed | Key, normalized = false): Tensor {
  const context = 'multinomial';
  const given = convertToTensor(logits, 'logits', context, 'float32');
  try {
    if (given.rank !== 1 && given.rank !== 2) throw invalid(context, 'Expected logits of rank 1 or 2', { 'logits.shape': given.shape });
    if (given.dtype !== 'float32') throw invalid(context, 'Expected float32 logits', { 'logits.dtype': given.dtype });
    if (!Number.isInteger(numSamples) || numSamples < 1) throw invalid(context, 'Expected numSamples to be a positive integer', { numSamples });
    const classes = given.shape.at(-1)!;
    if (classes < 1) throw invalid(context, 'Expected at least one class', { 'logits.shape': given.shape });
    const rows = given.rank === 1 ? 1 : given.shape[0]!;
    const k = seed instanceof Key ? seed : seed === undefined ? nextUnnamedKey(context) : key(seed);
    const probabilities = normalized ? given.dataSync() : ENGINE.tidy(() => softmax(given, -1).dataSync());
    const words = randomBits(k, rows * numSamples);
    const out = new Int32Array(rows * numSamples);
    const cumulative = new Float32Array(classes);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < classes; j++) {
        const p = probabilities[r * classes + j]!;
        if (!(p >= 0 && p < Infinity)) throw invalid(context, 'Expected finite, non-negative probabilities', { [`probabilities[${r * classes + j}]`]: p });
        sum = f(sum + p);
        cumulative[j] = sum;
      }
      if (!(sum > 0)) throw invalid(context, 'Expected a row with a positive total probability', { row: r });
      for (let s = 0; s < numSamples; s++) {
        out[r * numSamples + s] = drawClass(uniformFromBits(words[r * numSamples + s]!), cumulative, probabilities, r * classes, classes);
      }
    }
    return ENGINE.makeTensor(out, given.rank === 1 ? [numSamples] : [rows, numSamples], 'int32');
  } finally {
    if (given !== logits) given.dispose();
  }
}
