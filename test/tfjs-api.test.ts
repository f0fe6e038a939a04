/**
 * TF.js programs run by changing the import: vb.util, buffers, multinomial, tf.browser pixels,
 * creation signatures, dispose/memory/backends, and tf.losses / tf.metrics as functions, each
 * against TF.js 4.22 (same inputs, values within 1e-5) or hand-computed values.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose } from './helpers/close.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe('vb.util', () => {
  it('shuffle is keyed: a seed gives one order everywhere, and it is the permutation of that key', () => {
    const a = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    vb.util.shuffle(a, 7);
    assert.deepEqual(a, Array.from(vb.random.permutation(vb.random.key(7), 10).dataSync()));
    const b = Float32Array.from([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    vb.util.shuffle(b, vb.random.key(7));
    assert.deepEqual(Array.from(b), a.map((i) => 10 + i));
    assert.notDeepEqual(a, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('shuffle without a seed follows the global seed (the same after the same setRandomSeed), never Math.random', () => {
    const run = () => {
      vb.setRandomSeed(3);
      const x = vb.util.range(0, 20);
      const y = vb.util.range(0, 20);
      vb.util.shuffle(x);
      vb.util.shuffle(y);
      return [x, y];
    };
    const saved = Math.random;
    Math.random = () => { throw new Error('Math.random used'); };
    try {
      const [x1, y1] = run();
      const [x2, y2] = run();
      assert.deepEqual(x1, x2);
      assert.deepEqual(y1, y2);
      assert.notDeepEqual(x1, y1, 'two unseeded shuffles take two keys');
    } finally {
      Math.random = saved;
    }
  });

  it('createShuffledIndices is the keyed permutation, as a Uint32Array like TF.js', () => {
    const indices = vb.util.createShuffledIndices(10, 7);
    assert.ok(indices instanceof Uint32Array);
    assert.deepEqual(Array.from(indices), Array.from(vb.random.permutation(vb.random.key(7), 10).dataSync()));
    assert.equal(tf.util.createShuffledIndices(10).length, indices.length);
    assert.throws(() => vb.util.createShuffledIndices(-1), /n=-1/);
  });

  it('shuffleCombo moves two arrays together', () => {
    const a = [1, 2, 3, 4, 5];
    const b = ['a', 'b', 'c', 'd', 'e'];
    vb.util.shuffleCombo(a, b, 1);
    assert.deepEqual(b, a.map((v) => 'abcde'[v - 1]));
    assert.throws(() => vb.util.shuffleCombo([1], [1, 2]), /same length/);
  });

  it('assert, sizeFromShape, flatten, range, arraysEqual and now behave as TF.js', () => {
    assert.throws(() => vb.util.assert(false, () => 'the message'), /the message/);
    vb.util.assert(true, () => 'never');
    assert.equal(vb.util.sizeFromShape([2, 3, 4]), tf.util.sizeFromShape([2, 3, 4]));
    assert.equal(vb.util.sizeFromShape([]), tf.util.sizeFromShape([]));
    const nested = [[1, [2, 3]], [4], Float32Array.from([5, 6])];
    assert.deepEqual(vb.util.flatten(nested), tf.util.flatten(nested as never));
    assert.deepEqual(vb.util.flatten(nested, [], true).length, tf.util.flatten(nested as never, [], true).length);
    assert.deepEqual(vb.util.range(2, 5), [2, 3, 4]);
    assert.equal(vb.util.arraysEqual([1, 2], [1, 2]), true);
    assert.equal(vb.util.arraysEqual([1, 2], [2, 1]), false);
    assert.equal(typeof vb.util.now(), 'number');
  });
});

describe('buffer and TensorBuffer', () => {
  it('values given as a plain array or another typed array become the dtype\'s values: one tensor, one digest on every backend', () => {
    const previous = vb.getBackend();
    try {
      for (const [values, dtype] of [[[0.1, 2, -3], 'float32'], [new Float64Array([0.1, 2, -3]), 'float32'], [[1.7, -2.5, 3], 'int32'], [[0, 2, NaN], 'bool']] as const) {
        const digests = vb.backendNames().map((backend) => {
          vb.setBackend(backend);
          const fromBuffer = vb.buffer([3], dtype, values as never).toTensor();
          assert.equal(vb.digest(fromBuffer), vb.digest(vb.cast(vb.tensor(Array.from(values as ArrayLike<number>)), dtype)), `${dtype} ${backend}: the values cast`);
          return vb.digest(fromBuffer);
        });
        assert.equal(new Set(digests).size, 1, `${dtype}: one digest on ${vb.backendNames().join(', ')}`);
      }
      // The dtype's own typed array is shared, as TF.js shares it.
      const shared = new Float32Array(2);
      vb.buffer([2], 'float32', shared).set(5, 1);
      assert.deepEqual(Array.from(shared), [0, 5]);
    } finally {
      vb.setBackend(previous);
    }
  });

  it('set/get/toTensor as TF.js, float32 values rounded once', () => {
    const ours = vb.buffer([2, 3], 'float32');
    const theirs = tf.buffer([2, 3], 'float32');
    for (const [v, i, j] of [[0.1, 0, 0], [5, 1, 2], [-3.5, 0, 2]] as const) {
      ours.set(v, i, j);
      theirs.set(v, i, j);
    }
    assert.equal(ours.get(1, 2), theirs.get(1, 2));
    assert.deepEqual(ours.strides, theirs.strides);
    assert.deepEqual(ours.indexToLoc(4), theirs.indexToLoc(4));
    assert.deepEqual(Array.from(ours.toTensor().dataSync()), Array.from(theirs.toTensor().dataSync()));
    const ints = vb.buffer([3], 'int32', Int32Array.from([1, 2, 3]));
    ints.set(7.9, 1);
    assert.deepEqual(Array.from(ints.toTensor().dataSync()), [1, 7, 3]);
    assert.deepEqual(vb.tensor([[1, 2], [3, 4]]).bufferSync().get(1, 0), 3);
    assert.throws(() => ours.set(1, 2, 0), /coordinates within shape/);
    assert.throws(() => ours.get(0), /Expected 2 coordinates/);
    assert.throws(() => vb.buffer([2], 'float32', new Float32Array(3)), /Expected 2 values/);
  });
});

describe('multinomial (keyed)', () => {
  it('follows the canonical algorithm: first class whose running sum exceeds u times the total', () => {
    const probs = [0.2, 0.5, 0.3];
    const samples = vb.multinomial(vb.tensor1d(probs), 200, 11, true);
    assert.deepEqual(samples.shape, [200]);
    assert.equal(samples.dtype, 'int32');
    const words = vb.random.randomBits(vb.random.key(11), 200);
    const f = Math.fround;
    const c = [f(0.2), f(f(0.2) + f(0.5)), f(f(f(0.2) + f(0.5)) + f(0.3))];
    const expected = Array.from(words, (w) => {
      const t = f(((w >>> 8) * 2 ** -24) * c[2]!);
      return c.findIndex((ci) => t < ci);
    });
    assert.deepEqual(Array.from(samples.dataSync()), expected);
  });

  it('matches the expected frequencies (logits through softmax), rows independent, zero-probability classes never drawn', () => {
    const logits = vb.tensor2d([[Math.log(0.1), Math.log(0.6), Math.log(0.3)], [0, -Infinity, 0]]);
    const n = 20000;
    const samples = vb.multinomial(logits, n, 5).arraySync() as number[][];
    const freq = (row: number[], k: number) => row.filter((s) => s === k).length / n;
    for (const [k, p] of [0.1, 0.6, 0.3].entries()) {
      // 5 standard deviations of a binomial proportion.
      assert.ok(Math.abs(freq(samples[0]!, k) - p) < 5 * Math.sqrt((p * (1 - p)) / n), `row 0 class ${k}: ${freq(samples[0]!, k)} vs ${p}`);
    }
    assert.equal(freq(samples[1]!, 1), 0);
    assert.ok(Math.abs(freq(samples[1]!, 0) - 0.5) < 5 * Math.sqrt(0.25 / n));
  });

  it('is deterministic: the same seed gives the same draws on every backend, unseeded draws follow the global seed', () => {
    const draw = () => Array.from(vb.multinomial(vb.tensor2d([[1, 2, 3, 4]]), 50, 9).dataSync());
    const results = vb.backendNames().map((backend) => {
      const previous = vb.getBackend();
      vb.setBackend(backend);
      try {
        return draw();
      } finally {
        vb.setBackend(previous);
      }
    });
    for (const r of results) assert.deepEqual(r, results[0]);
    const unseeded = () => {
      vb.setRandomSeed(4);
      return [vb.multinomial([0, 0, 0], 30).dataSync(), vb.multinomial([0, 0, 0], 30).dataSync()].map((d) => Array.from(d));
    };
    const [a1, b1] = unseeded();
    const [a2, b2] = unseeded();
    assert.deepEqual([a1, b1], [a2, b2]);
    assert.notDeepEqual(a1, b1);
  });

  it('rejects bad arguments', () => {
    assert.throws(() => vb.multinomial(vb.zeros([2, 2, 2]), 3, 1), /rank 1 or 2/);
    assert.throws(() => vb.multinomial([0.5, 0.5], 0, 1), /numSamples=0/);
    assert.throws(() => vb.multinomial([0.5, -0.5], 2, 1, true), /non-negative probabilities/);
    assert.throws(() => vb.multinomial([0, 0], 2, 1, true), /positive total/);
  });
});

describe('vb.browser', () => {
  const width = 3;
  const height = 2;
  const data = Uint8ClampedArray.from({ length: width * height * 4 }, (_, i) => (i * 37) % 256);

  it('fromPixels reads ImageData-like objects as TF.js does (int32, first numChannels of RGBA)', () => {
    for (const channels of [1, 3, 4]) {
      const ours = vb.browser.fromPixels({ data, width, height }, channels);
      const theirs = tf.browser.fromPixels({ data: new Uint8Array(data), width, height }, channels);
      assert.deepEqual(ours.shape, theirs.shape);
      assert.equal(ours.dtype, theirs.dtype);
      assert.deepEqual(Array.from(ours.dataSync()), Array.from(theirs.dataSync()));
    }
    assert.throws(() => vb.browser.fromPixels({ data, width, height }, 5), /numChannels=5/);
    assert.throws(() => vb.browser.fromPixels({ data: data.subarray(4), width, height }), /RGBA bytes/);
    assert.throws(() => vb.browser.fromPixels({ width: 2, height: 2 } as never), /ImageData-like/);
  });

  it('toPixels gives the bytes TF.js gives for float32, int32 and grayscale images, and draws on a canvas', async () => {
    const images = [
      [vb.tensor3d([[[0, 0.5, 1], [0.25, 0.75, 0.1]]]), tf.tensor3d([[[0, 0.5, 1], [0.25, 0.75, 0.1]]])],
      [vb.tensor3d([[[0, 128, 255, 7]]], undefined, 'int32'), tf.tensor3d([[[0, 128, 255, 7]]], undefined, 'int32')],
      [vb.tensor2d([[0.2, 0.9]]), tf.tensor2d([[0.2, 0.9]])],
    ] as const;
    for (const [ours, theirs] of images) {
      assert.deepEqual(Array.from(await vb.browser.toPixels(ours)), Array.from(await tf.browser.toPixels(theirs as tf.Tensor3D)));
    }
    let drawn: unknown;
    const canvas = { width: 0, height: 0, getContext: () => ({ putImageData: (d: unknown) => { drawn = d; }, drawImage() {}, getImageData: () => ({ data, width, height }) }) };
    const bytes = await vb.browser.toPixels(images[2][0], canvas);
    assert.deepEqual([canvas.width, canvas.height], [2, 1]);
    assert.deepEqual(Array.from((drawn as { data: Uint8ClampedArray }).data), Array.from(bytes));
    assert.deepEqual(vb.browser.fromPixels(canvas as never).shape, [height, width, 3]);
    await assert.rejects(vb.browser.toPixels(vb.tensor2d([[1.5]])), /values in \[0, 1\]/);
    await assert.rejects(vb.browser.toPixels(vb.zeros([1, 1, 2])), /1, 3 or 4 channels/);
  });
});

describe('creation signatures as TF.js', () => {
  it('tensor1d(values, dtype) and every creation function take TF.js arguments and give TF.js dtypes and values', () => {
    const pairs: [vb.Tensor, tf.Tensor][] = [
      [vb.tensor1d([1.7, -2.2, 3], 'int32'), tf.tensor1d([1.7, -2.2, 3], 'int32')],
      [vb.tensor1d([0, 2, 0], 'bool'), tf.tensor1d([0, 2, 0], 'bool')],
      [vb.tensor1d([true, false]), tf.tensor1d([true, false])],
      [vb.tensor1d(Int32Array.from([1, 2])), tf.tensor1d(Int32Array.from([1, 2]))],
      [vb.scalar(3.5, 'int32'), tf.scalar(3.5, 'int32')],
      [vb.tensor([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor([1, 2, 3, 4], [2, 2], 'int32')],
      [vb.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 2, 3, 4], [2, 2])],
      [vb.tensor3d([[[1], [2]]], [1, 2, 1], 'int32'), tf.tensor3d([[[1], [2]]], [1, 2, 1], 'int32')],
      [vb.tensor4d([1, 2], [1, 1, 1, 2]), tf.tensor4d([1, 2], [1, 1, 1, 2])],
      [vb.tensor5d([1, 2], [1, 1, 1, 1, 2]), tf.tensor5d([1, 2], [1, 1, 1, 1, 2])],
      [vb.tensor6d([[[[[[1]]]]]]), tf.tensor6d([[[[[[1]]]]]])],
      [vb.zeros([2, 2], 'int32'), tf.zeros([2, 2], 'int32')],
      [vb.ones([3], 'bool'), tf.ones([3], 'bool')],
      [vb.fill([2], 2.5, 'int32'), tf.fill([2], 2.5, 'int32')],
      [vb.zerosLike([[1, 2]]), tf.zerosLike([[1, 2]])],
      [vb.onesLike(vb.tensor1d([1, 2], 'int32')), tf.onesLike(tf.tensor1d([1, 2], 'int32'))],
      [vb.linspace(0, 1, 5), tf.linspace(0, 1, 5)],
      [vb.range(0, 10, 3, 'int32'), tf.range(0, 10, 3, 'int32')],
      [vb.range(5, 0, -1.5), tf.range(5, 0, -1.5)],
      [vb.eye(2, 3), tf.eye(2, 3)],
      [vb.eye(2, 2, [3], 'int32'), tf.eye(2, 2, [3], 'int32')],
      [vb.eye(3, undefined, undefined, 'bool'), tf.eye(3, undefined, undefined, 'bool')],
      [vb.oneHot(vb.tensor1d([0, 2], 'int32'), 3, 5, -1), tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3, 5, -1).toFloat()],
    ];
    for (const [i, [ours, theirs]] of pairs.entries()) {
      assert.deepEqual(ours.shape, theirs.shape, `case ${i}: shape`);
      assert.equal(ours.dtype, theirs.dtype, `case ${i}: dtype`);
      assertClose(ours.dataSync(), theirs.dataSync() as Float32Array, `case ${i}`);
    }
    assert.throws(() => vb.tensor1d([1, 2], [2] as never), /tensor1d\(values, dtype\)/);
    assert.throws(() => vb.tensor1d([[1]]), /rank 1/);
  });
});

describe('dispose, memory, backends', () => {
  it('dispose frees tensors in nested arrays and objects, skipping other values', () => {
    const start = vb.memory().numTensors;
    const a = vb.zeros([2]);
    const b = vb.ones([3]);
    const c = vb.scalar(1);
    const d = vb.scalar(2);
    assert.equal(vb.memory().numTensors, start + 4);
    vb.dispose({ x: [a, { y: b, label: 'text', n: 3 }], z: [[c]], none: null, w: d } as never);
    assert.equal(vb.memory().numTensors, start);
    assert.ok(a.isDisposed && b.isDisposed && c.isDisposed && d.isDisposed);
  });

  it('memory() has TF.js fields (numTensors, numDataBuffers, numBytes, unreliable) and ours (numLeaked)', () => {
    const m = vb.memory();
    for (const field of Object.keys(tf.memory())) if (field !== 'reasons') assert.ok(field in m, field);
    const t = vb.zeros([10]);
    const after = vb.memory();
    assert.equal(after.numDataBuffers, after.numTensors);
    assert.equal(after.numBytes - m.numBytes, 40);
    assert.equal(after.unreliable, false);
    assert.equal(typeof after.numLeaked, 'number');
    t.dispose();
  });

  it("setBackend('cpu') selects the reference backend; setBackend is awaitable; ready() and nextFrame() resolve", async () => {
    const previous = vb.getBackend();
    try {
      assert.equal(await vb.setBackend('cpu'), true);
      assert.equal(vb.getBackend(), 'reference');
      assert.throws(() => vb.setBackend('webgl'), /registered backends/);
    } finally {
      vb.setBackend(previous);
    }
    await vb.ready();
    await vb.nextFrame();
  });

  it("version lists verbatim's version, package.json's", async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.deepEqual(vb.version, { verbatim: pkg.version });
  });
});

describe('split and util.assertShapesMatch (used by custom-layer and intent-classifier)', () => {
  it('split gives the same parts as TF.js: equal parts, sizes, a -1 size, a negative axis, as a method', () => {
    const values = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const cases: [number | number[], number][] = [[2, 0], [3, 1], [[1, 3], -1], [[2, -1], 2], [4, -1]];
    for (const [splits, axis] of cases) {
      const ours = vb.split(vb.tensor3d(values, [2, 3, 4]), splits, axis);
      const theirs = tf.split(tf.tensor3d(values, [2, 3, 4]), splits, axis);
      assert.equal(ours.length, theirs.length);
      ours.forEach((part, i) => {
        assert.deepEqual(part.shape, theirs[i]!.shape);
        assert.deepEqual(Array.from(part.dataSync()), Array.from(theirs[i]!.dataSync()));
      });
    }
    assert.deepEqual(vb.tensor1d([1, 2, 3, 4]).split(2).map((t) => Array.from(t.dataSync())), [[1, 2], [3, 4]]);
    assert.throws(() => vb.split(vb.zeros([5]), 2), /split: Expected a positive number of splits that divides the axis \(5\)\. Received: numOrSizeSplits=2/);
    assert.throws(() => vb.split(vb.zeros([5]), [2, 2]), /numOrSizeSplits=\[2, 2\]/);
    assert.throws(() => vb.split(vb.zeros([5]), [-1, -1]), /at most one -1/);
  });

  it('assertShapesMatch throws as TF.js does, with the prefix', () => {
    assert.doesNotThrow(() => vb.util.assertShapesMatch([2, 3], [2, 3]));
    const message = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    assert.equal(message(() => vb.util.assertShapesMatch([2, 3], [3, 2], 'labels:')), message(() => tf.util.assertShapesMatch([2, 3], [3, 2], 'labels:')));
    assert.equal(message(() => vb.util.assertShapesMatch([2], [2, 1])), 'Shapes 2 and 2,1 must match'.replace(/^/, ' '));
  });
});
