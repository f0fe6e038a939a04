/**
 * TF.js's localResponseNormalization (src/ops/normalization.ts) against TF.js 4.22 (cpu) within
 * float32 tolerance (TF.js sums in float64), and bit for bit against its documented float32 order
 * with verbatim's pow. Its gradient, the method, errors naming the argument, and no tensor left
 * behind.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { assertTensorClose } from './helpers/close.js';
import { rng } from './helpers/data.js';

before(async () => {
  await tf.setBackend('cpu');
});

const floats = (count: number, seed: number, scale = 3) => {
  const next = rng(seed);
  return Array.from({ length: count }, () => Math.fround((next() * 2 - 1) * scale));
};

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * NUMERICS.md's order: s = the squares fl(x * x) of the window added left to right from the
 * lowest channel, base = fl(bias + fl(alpha * s)), y = fl(x * pow(base, -beta)) with verbatim's pow.
 */
function lrnReference(values: number[], shape: number[], radius: number, bias: number, alpha: number, beta: number): number[] {
  const channels = shape[shape.length - 1]!;
  const f = Math.fround;
  const bases = values.map((_, i) => {
    const c = i % channels;
    let s = 0;
    for (let k = Math.max(0, c - radius); k <= Math.min(channels - 1, c + radius); k++) s = f(s + f(values[i - c + k]! * values[i - c + k]!));
    return f(f(bias) + f(f(alpha) * s));
  });
  const powers = vb.tidy(() => Array.from(vb.pow(vb.tensor(bases), -beta).dataSync()));
  return values.map((v, i) => f(v * powers[i]!));
}

forEachBackend('localResponseNormalization', () => {
  it('gives its documented float32 order bit for bit and TF.js\'s values within tolerance (ranks 3 and 4, radii, betas), also as a method', () => {
    const cases: [number[], number, number, number, number][] = [
      [[2, 3, 4, 7], 2, 1.5, 0.4, 0.75], [[1, 2, 2, 12], 5, 1, 1, 0.5], [[3, 2, 5], 1, 2, 0.1, 1], [[2, 2, 2, 3], 10, 0.5, 2, 2],
      [[1, 3, 3, 6], 0, 1, 1, 0.5], [[2, 1, 4, 9], 3, 1e-3, 3, 0.3],
    ];
    for (const [shape, radius, bias, alpha, beta] of cases) {
      const values = floats(size(shape), shape.length + radius);
      const label = `x ${JSON.stringify(shape)}, depthRadius ${radius}, bias ${bias}, alpha ${alpha}, beta ${beta}`;
      const ours = vb.localResponseNormalization(vb.tensor(values, shape), radius, bias, alpha, beta);
      assert.deepEqual(Array.from(ours.dataSync()), lrnReference(values, shape, radius, bias, alpha, beta), `${label}: the documented order`);
      const theirs = tf.localResponseNormalization(tf.tensor(values, shape as [number, number, number, number]) as tf.Tensor4D, radius, bias, alpha, beta);
      assertTensorClose(ours, theirs, label, 4e-6, 1e-7);
    }
    const values = floats(2 * 2 * 2 * 11, 3);
    assertTensorClose(vb.tensor(values, [2, 2, 2, 11]).localResponseNormalization(), tf.tensor4d(values, [2, 2, 2, 11]).localResponseNormalization(), 'the method, TF.js\'s defaults', 4e-6, 1e-7);
  });

  it('its gradient is TF.js\'s within tolerance', () => {
    for (const [shape, radius, bias, alpha, beta] of [[[2, 2, 3, 7], 2, 1.5, 0.4, 0.75], [[1, 2, 9], 5, 1, 1, 0.5], [[1, 2, 2, 4], 1, 2, 0.3, 1]] as [number[], number, number, number, number][]) {
      const values = floats(size(shape), 11 + radius);
      const weights = floats(size(shape), 12 + radius);
      const ours = vb.grad((t) => vb.sum(vb.mul(vb.localResponseNormalization(t, radius, bias, alpha, beta), vb.tensor(weights, shape))))(vb.tensor(values, shape));
      const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.localResponseNormalization(t as tf.Tensor4D, radius, bias, alpha, beta), tf.tensor(weights, shape))))(tf.tensor(values, shape));
      assertTensorClose(ours, theirs, `gradient, x ${JSON.stringify(shape)}, depthRadius ${radius}`, 2e-5, 1e-6);
    }
  });

  it('bad arguments are errors naming them, leaving no tensor behind', () => {
    const x = vb.ones([1, 2, 2, 3]);
    const before = vb.memory().numTensors;
    const failing: [() => unknown, RegExp][] = [
      [() => vb.localResponseNormalization([[1, 2]]), /^ValueError: localResponseNormalization: Expected x of rank 3 or 4. Received: x.shape=\[1, 2\]$/],
      [() => vb.localResponseNormalization(x, 1.5), /localResponseNormalization: Expected depthRadius to be a non-negative integer. Received: depthRadius=1.5/],
      [() => vb.localResponseNormalization(x, -1), /localResponseNormalization: Expected depthRadius to be a non-negative integer. Received: depthRadius=-1/],
      [() => vb.localResponseNormalization(x, 2, NaN), /localResponseNormalization: Expected bias to be a finite number. Received: bias=NaN/],
      [() => vb.localResponseNormalization(x, 2, 1, 1, '0.5' as never), /localResponseNormalization: Expected beta to be a finite number. Received: beta="0.5"/],
    ];
    for (const [call, message] of failing) {
      assert.throws(call, message);
      assert.equal(vb.memory().numTensors, before, `${message}: no tensor left behind`);
    }
    vb.localResponseNormalization([[[1, 2, 3]]], 1).dispose();
    assert.equal(vb.memory().numTensors, before, 'the result only');
    x.dispose();
  });
});
