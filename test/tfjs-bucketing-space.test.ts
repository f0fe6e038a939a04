/**
 * TF.js's bincount, denseBincount and searchSorted (lowerBound, upperBound) (src/ops/bucketing.ts)
 * against TF.js 4.22 (cpu), bit for bit: the counts add weights in TF.js's order and the searches
 * run TF.js's binary search. Errors naming the argument, and no tensor left behind.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { rng } from './helpers/data.js';

before(async () => {
  await tf.setBackend('cpu');
});

/** Shape, dtype and values (as bits, so -0 and NaN count) of a verbatim tensor and a TF.js tensor. */
const same = (ours: vb.Tensor, theirs: tf.Tensor, label: string) => {
  const bits = (t: vb.Tensor | tf.Tensor) => Array.from(t.dataSync() as ArrayLike<number>, (v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v));
  assert.deepEqual([ours.shape, ours.dtype, bits(ours)], [theirs.shape, theirs.dtype, bits(theirs)], label);
};

const floats = (count: number, seed: number, scale = 10) => {
  const next = rng(seed);
  return Array.from({ length: count }, () => Math.fround((next() * 2 - 1) * scale));
};
const ints = (count: number, seed: number, hi: number) => {
  const next = rng(seed);
  return Array.from({ length: count }, () => Math.floor(next() * hi));
};

forEachBackend('bincount, denseBincount and searchSorted', () => {
  it('bincount and denseBincount give TF.js\'s bits: counts, float32 and int32 weight sums (in x\'s order), values past size ignored', () => {
    for (const [count, size, seed] of [[40, 10, 1], [200, 7, 2], [5, 0, 3], [0, 4, 4], [64, 1, 5]] as const) {
      const x = ints(count, seed, size + 3);
      const weights = floats(count, seed + 10, 1e3);
      const label = `${count} values, size ${size}`;
      same(vb.bincount(vb.tensor(x, [count], 'int32'), vb.tensor(weights, [count]), size), tf.bincount(tf.tensor1d(x, 'int32'), tf.tensor1d(weights), size), `${label}, float32 weights`);
      same(vb.bincount(vb.tensor(x, [count], 'int32'), vb.tensor(x, [count], 'int32'), size), tf.bincount(tf.tensor1d(x, 'int32'), tf.tensor1d(x, 'int32'), size), `${label}, int32 weights`);
      same(vb.bincount(vb.tensor(x, [count], 'int32'), [], size), tf.bincount(tf.tensor1d(x, 'int32'), tf.tensor1d([]), size), `${label}, counts`);
      same(vb.denseBincount(vb.tensor(x, [count], 'int32'), vb.tensor(weights, [count]), size), tf.denseBincount(tf.tensor1d(x, 'int32'), tf.tensor1d(weights), size), `${label}, denseBincount rank 1`);
    }
    for (const [rows, columns, size] of [[3, 8, 5], [6, 30, 12], [0, 4, 3], [2, 0, 3]] as const) {
      const x = ints(rows * columns, rows + columns, size + 2);
      const weights = floats(rows * columns, size, 100);
      const [ours, theirs] = [vb.tensor(x, [rows, columns], 'int32'), tf.tensor2d(x, [rows, columns], 'int32')];
      const label = `[${rows}, ${columns}], size ${size}`;
      same(vb.denseBincount(ours, vb.tensor(weights, [rows, columns]), size), tf.denseBincount(theirs, tf.tensor2d(weights, [rows, columns]), size), `${label}, weights`);
      same(vb.denseBincount(ours, [], size), tf.denseBincount(theirs, tf.tensor1d([]) as tf.Tensor as tf.Tensor2D, size), `${label}, counts`);
      same(vb.denseBincount(ours, vb.tensor(weights, [rows, columns]), size, true), tf.denseBincount(theirs, tf.tensor2d(weights, [rows, columns]), size, true), `${label}, binaryOutput`);
    }
    // binaryOutput of a rank-1 x is 1 where a value occurs, as TensorFlow (TF.js 4.22's cpu backend counts).
    assert.deepEqual(vb.denseBincount(vb.tensor([1, 1, 2, 5], [4], 'int32'), vb.tensor([3, 3, 3, 3], [4], 'int32'), 4, true).arraySync(), [0, 1, 1, 0]);
    assert.deepEqual(tf.denseBincount(tf.tensor1d([1, 1, 2, 5], 'int32'), tf.tensor1d([]) as tf.Tensor1D, 4, true).arraySync(), [0, 2, 1, 0], 'TF.js 4.22 counts');
  });

  it('bincount and denseBincount: bad arguments are errors naming them, leaving no tensor behind', () => {
    const floatX = vb.tensor([1.5, 2]);
    const before = vb.memory().numTensors;
    const failing: [() => unknown, RegExp][] = [
      [() => vb.bincount([1, -2, 3], [], 4), /^ValueError: bincount: Expected every value of x to be non-negative. Received: x\[1\]=-2$/],
      [() => vb.denseBincount([[1, 2], [0, -1]], [], 4), /denseBincount: Expected every value of x to be non-negative. Received: x\[1\]\[1\]=-1/],
      [() => vb.bincount(floatX, [], 4), /bincount: Expected x of dtype int32. Received: x.dtype="float32"/],
      [() => vb.bincount([1, 2], [], -1), /bincount: Expected size to be a non-negative integer. Received: size=-1/],
      [() => vb.bincount([1, 2], [], 2.5), /bincount: Expected size to be a non-negative integer. Received: size=2.5/],
      [() => vb.bincount([1, 2], [1, 2, 3], 4), /bincount: Expected weights of x's size \(2\) or of size 0. Received: weights.shape=\[3\], x.shape=\[2\]/],
      [() => vb.bincount([1, 2], [true, false], 4), /bincount: Expected weights of dtype float32 or int32. Received: weights.dtype="bool"/],
      [() => vb.bincount([[1, 2]], [], 4), /bincount: Expected x of rank 1. Received: x.shape=\[1, 2\]/],
      [() => vb.denseBincount([[[1]]], [], 4), /denseBincount: Expected x of rank 1 to 2. Received: x.shape=\[1, 1, 1\]/],
      [() => vb.denseBincount([1], [], 4, 1 as never), /denseBincount: Expected binaryOutput to be true or false. Received: binaryOutput=1/],
    ];
    for (const [call, message] of failing) {
      assert.throws(call, message);
      assert.equal(vb.memory().numTensors, before, `${message}: no tensor left behind`);
    }
    vb.denseBincount([[1, 2], [0, 7]], [[1, 2], [3, 4]], 4).dispose();
    assert.equal(vb.memory().numTensors, before, 'the result only');
  });

  it('searchSorted, lowerBound and upperBound give TF.js\'s indices (ties, NaN, infinities, long rows, batches), shaped as values', () => {
    const edges = [-Infinity, -3, -3, -1.5, 0, 0, 2, 7.25, 7.25, 7.25, 9, Infinity];
    const values = [-Infinity, -4, -3, -2, -0, 0, 1, 7.25, 8, 9, 10, Infinity, NaN, -1.5];
    for (const side of ['left', 'right'] as const) {
      same(vb.searchSorted(edges, values, side), tf.reshape(tf.searchSorted(edges, values, side), [values.length]), `${side}: ties, infinities and NaN`);
    }
    same(vb.lowerBound(edges, values), tf.reshape(tf.lowerBound(edges, values), [values.length]), 'lowerBound');
    same(vb.upperBound(edges, values), tf.reshape(tf.upperBound(edges, values), [values.length]), 'upperBound');
    for (const [rows, n, m, seed] of [[1, 1, 5, 1], [2, 2, 3, 2], [3, 3, 4, 3], [4, 1000, 50, 4], [2, 31, 7, 5], [2, 32, 7, 6], [2, 33, 9, 7], [3, 0, 2, 8]] as const) {
      // Sorted rows with repeated values, and values that hit them exactly.
      const sequence = Array.from({ length: rows }, (_, r) => ints(n, seed + r, 40).sort((a, b) => a - b).map((v) => v - 20)).flat();
      const queries = ints(rows * m, seed + 50, 44).map((v, i) => (i % 3 === 0 ? v - 22 : v - 22 + 0.5));
      for (const side of ['left', 'right'] as const) {
        const ours = vb.searchSorted(vb.tensor(sequence, [rows, n]), vb.tensor(queries, [rows, m]), side);
        const theirs = n === 0 ? tf.zeros([rows, m], 'int32') : tf.searchSorted(tf.tensor2d(sequence, [rows, n]), tf.tensor2d(queries, [rows, m]), side);
        same(ours, theirs, `[${rows}, ${n}] sequence, ${m} values, ${side}`);
      }
    }
    // An unsorted row: TF.js's binary search all the same. int32 sequences.
    const unsorted = floats(23, 9);
    const probes = floats(17, 10);
    same(vb.searchSorted(unsorted, probes, 'right'), tf.reshape(tf.searchSorted(unsorted, probes, 'right'), [17]), 'an unsorted row');
    same(vb.searchSorted(vb.tensor([1, 5, 9], [3], 'int32'), vb.tensor([[0, 5, 10]], [1, 3], 'int32')), tf.searchSorted(tf.tensor1d([1, 5, 9], 'int32'), tf.tensor2d([[0, 5, 10]], [1, 3], 'int32')), 'int32');
    // Leading dimensions: as many rows, values' shape kept (TF.js 4.22 returns [rows, values per row], here [4, 4]).
    const batched = vb.searchSorted(vb.reshape(vb.range(0, 12), [2, 2, 3]), vb.reshape(vb.range(-1, 15), [2, 2, 4]));
    assert.deepEqual(batched.shape, [2, 2, 4]);
    assert.deepEqual(Array.from(batched.dataSync()), Array.from(tf.searchSorted(tf.reshape(tf.range(0, 12), [2, 2, 3]), tf.reshape(tf.range(-1, 15), [2, 2, 4])).dataSync()));
  });

  it('searchSorted: bad arguments are errors naming them, leaving no tensor behind', () => {
    const before = vb.memory().numTensors;
    const failing: [() => unknown, RegExp][] = [
      [() => vb.searchSorted([1, 2], [1], 'middle' as never), /^ValueError: searchSorted: Expected side 'left' or 'right'. Received: side="middle"$/],
      [() => vb.searchSorted([[1, 2], [3, 4]], [[1, 2, 3]]), /searchSorted: Expected sortedSequence and values to hold as many rows .*sortedSequence.shape=\[2, 2\], values.shape=\[1, 3\]/],
      [() => vb.searchSorted([1, 2], 1.5), /searchSorted: Expected sortedSequence and values of rank 1 or more. Received: sortedSequence.shape=\[2\], values.shape=\[\]/],
      [() => vb.searchSorted([true, false], [true]), /searchSorted: Expected sortedSequence and values of dtype float32 or int32/],
    ];
    for (const [call, message] of failing) {
      assert.throws(call, message);
      assert.equal(vb.memory().numTensors, before, `${message}: no tensor left behind`);
    }
    vb.upperBound([1, 2, 3, 4, 5], [2, 4]).dispose();
    assert.equal(vb.memory().numTensors, before, 'the result only');
  });
});
