/** Float comparisons for oracle tests (TF.js, float64 references): one tolerance rule everywhere. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

/**
 * Every element within rtol relative, with an absolute floor of atol times the largest expected
 * magnitude (at least 1), for sums that cancel; the arrays must be the same, non-zero length.
 */
export function assertClose(ours: ArrayLike<number>, expected: ArrayLike<number>, label: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(ours.length, expected.length, `${label}: size`);
  assert.ok(ours.length > 0, `${label}: empty`);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  for (let i = 0; i < ours.length; i++) {
    if (!(Math.abs(ours[i]! - expected[i]!) <= atol * scale + rtol * Math.abs(expected[i]!))) assert.fail(`${label}: element ${i}: verbatim ${ours[i]}, expected ${expected[i]}`);
  }
}

/** A verbatim tensor against a TF.js tensor (same shape) or float64 values. */
export function assertTensorClose(ours: vb.Tensor, theirs: tf.Tensor | Float64Array, label: string, rtol = 1e-5, atol = 1e-6): void {
  if (!(theirs instanceof Float64Array)) assert.deepEqual(ours.shape, theirs.shape, `${label}: shape`);
  assertClose(ours.dataSync(), theirs instanceof Float64Array ? theirs : theirs.dataSync(), label, rtol, atol);
}

/** The same values as a TF.js tensor. */
export const toTf = (t: vb.Tensor): tf.Tensor => tf.tensor(t.dataSync() as Float32Array, [...t.shape]);

/**
 * One SGD step (learning rate 0.1, mean squared error) of both models, which hold the same
 * weights, towards `target`: every weight after it within tolerance of TF.js's.
 */
export async function assertSameSgdStep(ours: vb.LayersModel, theirs: tf.LayersModel, x: vb.Tensor, target: vb.Tensor, label: string): Promise<void> {
  ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
  theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  await ours.trainOnBatch(x, target);
  await theirs.trainOnBatch(toTf(x), toTf(target));
  const after = theirs.getWeights();
  ours.getWeights().forEach((w, i) => assertClose(w.dataSync(), after[i]!.dataSync(), `${label}: weight ${i} after one step`));
}
