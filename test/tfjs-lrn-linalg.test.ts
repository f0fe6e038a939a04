/**
 * TF.js's localResponseNormalization (src/ops/normalization.ts) and tf.linalg's bandPart,
 * gramSchmidt and qr (src/ops/linalg-namespace.ts) against TF.js 4.22 (cpu): bandPart bit for
 * bit (it only selects), the others within float32 tolerance (TF.js sums in float64), and
 * localResponseNormalization bit for bit against its documented float32 order with verbatim's
 * pow. Gradients, methods, errors naming the argument, and no tensor left behind.
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

const same = (ours: vb.Tensor, theirs: tf.Tensor, label: string) => {
  assert.deepEqual([ours.shape, ours.dtype, ours.arraySync()], [theirs.shape, theirs.dtype, theirs.arraySync()], label);
};

const floats = (count: number, seed: number, scale = 3) => {
  const next = rng(seed);
  return Array.from({ length: count }, () => Math.fround((next() * 2 - 1) * scale));
};

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** TF.js's Householder QR of a row-major [m, n] matrix in float64: [q [m, k], r [k, n]], k = min(m, n). */
function householderQr64(values: readonly number[], m: number, n: number): [number[], number[]] {
  const r = Array.from({ length: m }, (_, i) => values.slice(i * n, (i + 1) * n));
  const q = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
  const k = Math.min(m, n);
  for (let j = 0; j < k; j++) {
    const column = r.slice(j).map((row) => row[j]!);
    const norm = Math.sqrt(column.reduce((acc, v) => acc + v * v, 0));
    const s = column[0]! > 0 ? -1 : 1;
    const u = column[0]! - s * norm;
    const w = column.map((v, i) => (i === 0 ? 1 : v / u));
    const tau = (-s * u) / norm;
    for (let c = 0; c < n; c++) {
      const d = w.reduce((acc, wi, i) => acc + wi * r[j + i]![c]!, 0);
      w.forEach((wi, i) => { r[j + i]![c]! -= tau * wi * d; });
    }
    for (const row of q) {
      const d = w.reduce((acc, wi, i) => acc + row[j + i]! * wi, 0);
      w.forEach((wi, i) => { row[j + i]! -= d * tau * wi; });
    }
  }
  return [q.flatMap((row) => row.slice(0, k)), r.slice(0, k).flat()];
}

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

forEachBackend('tf.linalg: bandPart, gramSchmidt, qr', () => {
  it('bandPart keeps TF.js\'s band bit for bit (number and int32 scalar limits, negatives, batches, non-square, int32), with a gradient', () => {
    for (const shape of [[4, 4], [3, 5], [5, 2], [2, 3, 4]]) {
      const [m, n] = shape.slice(-2) as [number, number];
      const values = floats(size(shape), m * n);
      for (const [lower, upper] of [[0, 0], [1, -1], [-1, 0], [-1, -1], [m, n], [2, 1], [0, n - 1]]) {
        same(vb.linalg.bandPart(vb.tensor(values, shape), lower, upper), tf.linalg.bandPart(tf.tensor(values, shape), lower, upper), `a ${JSON.stringify(shape)}, ${lower}, ${upper}`);
      }
      // Scalar tensors are clamped to the matrix (numbers above it are errors).
      same(vb.linalg.bandPart(vb.tensor(values, shape), vb.scalar(m + 3, 'int32'), vb.scalar(-2, 'int32')), tf.linalg.bandPart(tf.tensor(values, shape), tf.scalar(m + 3, 'int32'), tf.scalar(-2, 'int32')), `a ${JSON.stringify(shape)}, tensor limits`);
    }
    same(vb.linalg.bandPart(vb.tensor([[1, 2], [3, 4]], undefined, 'int32'), 0, 1), tf.linalg.bandPart(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), 0, 1), 'int32');
    // The gradient: the weights inside the band, 0 outside (TF.js 4.22 fails to differentiate bandPart).
    const w = floats(12, 5);
    const ours = vb.grad((t) => vb.sum(vb.mul(vb.linalg.bandPart(t, 1, 0), vb.tensor(w, [3, 4]))))(vb.tensor(floats(12, 6), [3, 4]));
    assert.deepEqual(Array.from(ours.dataSync()), w.map((v, i) => (Math.floor(i / 4) - (i % 4) >= 0 && Math.floor(i / 4) - (i % 4) <= 1 ? v : 0)), 'the gradient');
  });

  it('gramSchmidt gives TF.js\'s orthonormal vectors within tolerance, for a matrix and for an array of vectors', () => {
    for (const [count, length] of [[3, 3], [2, 5], [4, 6], [1, 4]]) {
      const values = floats(count * length, count + length);
      const ours = vb.linalg.gramSchmidt(vb.tensor(values, [count, length])) as vb.Tensor;
      assertTensorClose(ours, tf.linalg.gramSchmidt(tf.tensor2d(values, [count, length])) as tf.Tensor, `[${count}, ${length}]`, 1e-4, 1e-5);
      assertTensorClose(vb.matMul(ours, ours, false, true), Float64Array.from(vb.eye(count).dataSync()), `[${count}, ${length}]: orthonormal`, 1e-5, 1e-5);
      const vectors = vb.linalg.gramSchmidt(vb.unstack(vb.tensor(values, [count, length]))) as vb.Tensor[];
      assert.equal(vb.digest(vb.stack(vectors)), vb.digest(ours), `[${count}, ${length}]: an array of vectors gives the same`);
    }
    const values = floats(12, 4);
    const weights = floats(12, 5);
    const gradient = vb.grad((t) => vb.sum(vb.mul(vb.linalg.gramSchmidt(t) as vb.Tensor, vb.tensor(weights, [3, 4]))))(vb.tensor(values, [3, 4]));
    const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.linalg.gramSchmidt(t as tf.Tensor2D) as tf.Tensor, tf.tensor(weights, [3, 4]))))(tf.tensor2d(values, [3, 4]));
    assertTensorClose(gradient, theirs, 'the gradient', 1e-4, 1e-5);
  });

  it('qr gives TF.js\'s q and r within tolerance (tall, wide, square, fullMatrices, batches) and q r = x; batches of non-square matrices too', () => {
    for (const [shape, fullMatrices] of [[[4, 3], false], [[4, 3], true], [[3, 5], false], [[5, 5], false], [[2, 3, 3], false], [[6, 2], true], [[1, 3], false]] as [number[], boolean][]) {
      const values = floats(size(shape), size(shape));
      const [q, r] = vb.linalg.qr(vb.tensor(values, shape), fullMatrices);
      const [tq, tr] = tf.linalg.qr(tf.tensor(values, shape), fullMatrices);
      const label = `x ${JSON.stringify(shape)}, fullMatrices ${fullMatrices}`;
      assertTensorClose(q, tq, `${label}: q`, 1e-4, 1e-5);
      assertTensorClose(r, tr, `${label}: r`, 1e-4, 1e-5);
    }
    const integers = [[2, -1, 3], [0, 4, 1]];
    assert.equal(vb.digest(vb.linalg.qr(vb.tensor(integers, undefined, 'int32'))), vb.digest(vb.linalg.qr(vb.tensor(integers))), 'int32 taken as float32');
    // TF.js 4.22 fails on a batch of non-square matrices (it reshapes q and r to x's shape).
    const values = floats(2 * 4 * 3, 7);
    assert.throws(() => tf.linalg.qr(tf.tensor3d(values, [2, 4, 3])));
    for (const fullMatrices of [false, true]) {
      const [q, r] = vb.linalg.qr(vb.tensor(values, [2, 4, 3]), fullMatrices);
      assert.deepEqual([q.shape, r.shape], fullMatrices ? [[2, 4, 4], [2, 4, 3]] : [[2, 4, 3], [2, 3, 3]]);
      assertTensorClose(vb.matMul(q, r), Float64Array.from(values), `batched, fullMatrices ${fullMatrices}: q r = x`, 1e-5, 1e-5);
      vb.unstack(q).forEach((matrix, i) => {
        const [tq] = tf.linalg.qr(tf.tensor2d(values.slice(i * 12, (i + 1) * 12), [4, 3]), fullMatrices);
        assertTensorClose(matrix, tq, `batched, fullMatrices ${fullMatrices}: q of matrix ${i}`, 1e-4, 1e-5);
      });
    }
  });

  it('qr has a gradient (TF.js 4.22 has none): central finite differences of the same reflections in float64', () => {
    for (const [m, n] of [[4, 3], [3, 4], [3, 3]]) {
      const x = floats(m * n, 8 + m);
      const [qWeights, rWeights] = [floats(m * Math.min(m, n), 9), floats(Math.min(m, n) * n, 10)];
      const loss64 = (values: number[]) => {
        const [q, r] = householderQr64(values, m, n);
        return q.reduce((acc, v, i) => acc + v * qWeights[i]!, 0) + r.reduce((acc, v, i) => acc + v * rWeights[i]!, 0);
      };
      const expected = x.map((v, i) => {
        const h = 1e-6 * Math.max(1, Math.abs(v));
        const shifted = (d: number) => x.map((u, j) => (j === i ? u + d : u));
        return (loss64(shifted(h)) - loss64(shifted(-h))) / (2 * h);
      });
      const ours = vb.grad((t) => {
        const [q, r] = vb.linalg.qr(t);
        return vb.add(vb.sum(vb.mul(q, vb.tensor(qWeights, q.shape))), vb.sum(vb.mul(r, vb.tensor(rWeights, r.shape))));
      })(vb.tensor(x, [m, n]));
      assertTensorClose(ours, Float64Array.from(expected), `[${m}, ${n}]`, 2e-3, 2e-4);
    }
  });

  it('bad arguments are errors naming them, leaving no tensor behind', () => {
    const a = vb.ones([3, 4]);
    const [three, four, floatLimit, tall] = [vb.ones([3]), vb.ones([4]), vb.scalar(1), vb.ones([5, 4])];
    const before = vb.memory().numTensors;
    const failing: [() => unknown, RegExp][] = [
      [() => vb.linalg.bandPart([1, 2], 0, 0), /^ValueError: linalg.bandPart: Expected a of rank 2 or more. Received: a.shape=\[2\]$/],
      [() => vb.linalg.bandPart(a, 4, 0), /linalg.bandPart: Expected numLower to be an integer at most the number of rows \(3\). Received: numLower=4/],
      [() => vb.linalg.bandPart(a, 0, 1.5), /linalg.bandPart: Expected numUpper to be an integer at most the number of columns \(4\). Received: numUpper=1.5/],
      [() => vb.linalg.bandPart(a, floatLimit, 0), /linalg.bandPart: Expected numLower to be a number or an int32 scalar. Received: numLower.dtype="float32", numLower.shape=\[\]/],
      [() => vb.linalg.gramSchmidt(tall), /linalg.gramSchmidt: Expected at most as many vectors as their length \(4\). Received: vectors=5/],
      [() => vb.linalg.gramSchmidt([three, 2 as never]), /linalg.gramSchmidt: Expected xs to be an array of tensors. Received: xs\[1\]=2/],
      [() => vb.linalg.gramSchmidt([]), /linalg.gramSchmidt: Expected a non-empty array of vectors. Received: xs.length=0/],
      [() => vb.linalg.gramSchmidt([three, four]), /linalg.gramSchmidt: Expected vectors \(rank 1\) of xs\[0\]'s length. Received: xs\[0\].shape=\[3\], xs\[1\].shape=\[4\]/],
      [() => vb.linalg.gramSchmidt([a]), /linalg.gramSchmidt: Expected vectors \(rank 1\) of xs\[0\]'s length. Received: xs\[0\].shape=\[3, 4\]/],
      [() => vb.linalg.qr([1, 2]), /linalg.qr: Expected x of rank 2 or more. Received: x.shape=\[2\]/],
      [() => vb.linalg.qr([[1, 2]], 1 as never), /linalg.qr: Expected fullMatrices to be true or false. Received: fullMatrices=1/],
    ];
    for (const [call, message] of failing) {
      assert.throws(call, message);
      assert.equal(vb.memory().numTensors, before, `${message}: no tensor left behind`);
    }
    vb.dispose([vb.linalg.bandPart(a, 1, 1), vb.linalg.qr(a), vb.linalg.gramSchmidt(a), vb.linalg.gramSchmidt([four])]);
    assert.equal(vb.memory().numTensors, before, 'the results only');
    vb.dispose([a, three, four, floatLimit, tall]);
  });
});
