/**
 * TF.js's bincount, denseBincount, searchSorted (lowerBound, upperBound), spaceToBatchND,
 * batchToSpaceND and depthToSpace (src/ops/bucketing.ts, src/ops/space.ts) against TF.js 4.22
 * (cpu), bit for bit: the counts add weights in TF.js's order, the searches run TF.js's binary
 * search, and the space ops only move elements. Gradients, methods, errors naming the argument,
 * and no tensor left behind.
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

forEachBackend('spaceToBatchND, batchToSpaceND and depthToSpace', () => {
  it('spaceToBatchND and batchToSpaceND give TF.js\'s bits (1 to 3 block dimensions, paddings and crops, int32), also as methods', () => {
    const cases: [number[], number[], [number, number][]][] = [
      [[2, 4, 6, 3], [2, 2], [[0, 0], [0, 2]]], [[2, 4, 6, 3], [2, 3], [[1, 1], [0, 0]]], [[3, 5, 2], [3], [[1, 0]]],
      [[1, 2, 2, 1], [2, 2], [[0, 0], [0, 0]]], [[2, 2, 3, 4, 2], [2, 1, 2], [[1, 1], [0, 1], [1, 1]]], [[2, 3, 4], [1, 1], [[0, 0], [2, 1]]],
    ];
    for (const [shape, blockShape, paddings] of cases) {
      const values = floats(shape.reduce((a, b) => a * b), shape.length);
      const label = `x ${JSON.stringify(shape)}, blockShape ${JSON.stringify(blockShape)}, paddings ${JSON.stringify(paddings)}`;
      const ours = vb.spaceToBatchND(vb.tensor(values, shape), blockShape, paddings);
      const theirs = tf.spaceToBatchND(tf.tensor(values, shape), blockShape, paddings);
      same(ours, theirs, `spaceToBatchND ${label}`);
      same(vb.batchToSpaceND(ours, blockShape, paddings), tf.batchToSpaceND(theirs, blockShape, paddings), `batchToSpaceND ${label}`);
      assert.equal(vb.digest(vb.batchToSpaceND(ours, blockShape, paddings)), vb.digest(vb.tensor(values, shape)), `round trip ${label}`);
    }
    const ints4 = Array.from({ length: 16 }, (_, i) => i - 8);
    same(vb.tensor(ints4, [1, 4, 4, 1], 'int32').spaceToBatchND([2, 2], [[0, 0], [0, 0]]), tf.tensor4d(ints4, [1, 4, 4, 1], 'int32').spaceToBatchND([2, 2], [[0, 0], [0, 0]]), 'int32, the method');
    same(vb.tensor(ints4, [4, 2, 2, 1]).batchToSpaceND([2, 2], [[1, 0], [0, 1]]), tf.tensor4d(ints4, [4, 2, 2, 1]).batchToSpaceND([2, 2], [[1, 0], [0, 1]]), 'crops, the method');
  });

  it('the gradient of spaceToBatchND is batchToSpaceND of dy and the other way round, bit for bit, as TF.js\'s', () => {
    const [blockShape, paddings]: [number[], [number, number][]] = [[2, 3], [[1, 1], [2, 1]]];
    const x = vb.tensor(floats(2 * 4 * 3 * 2, 1), [2, 4, 3, 2]);
    const y = vb.spaceToBatchND(x, blockShape, paddings);
    const dy = vb.tensor(floats(y.size, 2), y.shape);
    const dx = vb.grad((t) => vb.spaceToBatchND(t, blockShape, paddings))(x, dy);
    same(dx, tf.grad((t: tf.Tensor) => tf.spaceToBatchND(t, blockShape, paddings))(tf.tensor(x.arraySync() as number[][][][]), tf.tensor(dy.arraySync() as number[][][][])), 'spaceToBatchND: TF.js\'s gradient');
    assert.equal(vb.digest(dx), vb.digest(vb.batchToSpaceND(dy, blockShape, paddings)), 'spaceToBatchND\'s gradient is batchToSpaceND');
    const dyBack = vb.tensor(floats(x.size, 3), x.shape);
    const dyFromBack = vb.grad((t) => vb.batchToSpaceND(t, blockShape, paddings))(y, dyBack);
    assert.equal(vb.digest(dyFromBack), vb.digest(vb.spaceToBatchND(dyBack, blockShape, paddings)), 'batchToSpaceND\'s gradient is spaceToBatchND');
  });

  it('depthToSpace gives TF.js\'s bits (NHWC), TensorFlow\'s layout for NCHW, any dtype, the method; its gradient undoes it', () => {
    for (const [shape, blockSize] of [[[2, 3, 2, 8], 2], [[1, 2, 2, 9], 3], [[3, 1, 4, 12], 2], [[1, 2, 3, 32], 4]] as [number[], number][]) {
      const values = floats(shape.reduce((a, b) => a * b), blockSize);
      same(vb.depthToSpace(vb.tensor(values, shape), blockSize), tf.depthToSpace(tf.tensor4d(values, shape as [number, number, number, number]), blockSize), `x ${JSON.stringify(shape)}, blockSize ${blockSize}`);
      // NCHW is NHWC with the channels moved: TensorFlow's definition (TF.js's cpu backend refuses it).
      const nchw = vb.depthToSpace(vb.transpose(vb.tensor(values, shape), [0, 3, 1, 2]), blockSize, 'NCHW');
      assert.equal(vb.digest(nchw), vb.digest(vb.transpose(vb.depthToSpace(vb.tensor(values, shape), blockSize), [0, 3, 1, 2])), `NCHW ${JSON.stringify(shape)}`);
    }
    same(vb.tensor(floats(16, 4), [1, 1, 2, 8]).depthToSpace(2), tf.tensor4d(floats(16, 4), [1, 1, 2, 8]).depthToSpace(2, 'NHWC'), 'the method');
    assert.deepEqual(vb.depthToSpace(vb.tensor([1, 2, 3, 4], [1, 1, 1, 4], 'int32'), 2).arraySync(), [[[[1], [2]], [[3], [4]]]]);
    // A permutation: the gradient of sum(depthToSpace(x) * w) is w moved back, so depthToSpace of it is w.
    const x = vb.tensor(floats(48, 5), [1, 2, 3, 8]);
    const w = vb.tensor(floats(48, 6), [1, 4, 6, 2]);
    const dx = vb.grad((t) => vb.sum(vb.mul(vb.depthToSpace(t, 2), w)))(x);
    assert.equal(vb.digest(vb.depthToSpace(dx, 2)), vb.digest(w));
  });

  it('bad blocks, paddings, crops, sizes and formats are errors naming them, leaving no tensor behind', () => {
    const before = vb.memory().numTensors;
    const x = vb.zeros([2, 4, 4, 1]);
    const held = vb.memory().numTensors;
    const failing: [() => unknown, RegExp][] = [
      [() => vb.spaceToBatchND(x, [3, 2], [[0, 0], [0, 0]]), /^ValueError: spaceToBatchND: Expected each padded spatial dimension to be divisible by its blockShape. Received: x.shape=\[2, 4, 4, 1\], paddings=\[\[0, 0\], \[0, 0\]\], blockShape=\[3, 2\]$/],
      [() => vb.spaceToBatchND(x, [2, 0], [[0, 0], [0, 0]]), /spaceToBatchND: Expected blockShape to be a non-empty array of positive integers. Received: blockShape=\[2, 0\]/],
      [() => vb.spaceToBatchND(x, [], []), /spaceToBatchND: Expected blockShape to be a non-empty array/],
      [() => vb.spaceToBatchND(x, [2, 2], [[0, 0]]), /spaceToBatchND: Expected paddings to hold 2 \(blockShape.length\) pairs of non-negative integers. Received: paddings=\[\[0, 0\]\]/],
      [() => vb.spaceToBatchND(x, [2, 2], [[0, -2], [0, 0]]), /spaceToBatchND: Expected paddings to hold 2 .*paddings=\[\[0, -2\], \[0, 0\]\]/],
      [() => vb.spaceToBatchND(x, [1, 1, 1, 1], [[0, 0], [0, 0], [0, 0], [0, 0]]), /spaceToBatchND: Expected x of rank 5 or more \(1 \+ blockShape.length\)/],
      [() => vb.batchToSpaceND(x, [2, 2], [[0, 0], [0, 0]]), /batchToSpaceND: Expected x's batch to be divisible by the product of blockShape \(4\). Received: x.shape=\[2, 4, 4, 1\]/],
      [() => vb.batchToSpaceND(x, [1, 2], [[0, 0], [5, 4]]), /batchToSpaceND: Expected the crops of each spatial dimension to total at most its size times its blockShape/],
      [() => vb.batchToSpaceND(x, [1, 1], [[0.5, 0], [0, 0]]), /batchToSpaceND: Expected crops to hold 2 .*crops=\[\[0.5, 0\], \[0, 0\]\]/],
      [() => vb.depthToSpace(x, 2), /depthToSpace: Expected x's depth to be divisible by blockSize \* blockSize \(4\). Received: x.shape=\[2, 4, 4, 1\], blockSize=2/],
      [() => vb.depthToSpace(x, 1), /depthToSpace: Expected blockSize to be an integer greater than 1. Received: blockSize=1/],
      [() => vb.depthToSpace([[1, 2, 3, 4]], 2), /depthToSpace: Expected x of rank 4. Received: x.shape=\[1, 4\]/],
      [() => vb.depthToSpace(x, 2, 'NCWH' as never), /depthToSpace: Expected dataFormat 'NHWC' or 'NCHW'. Received: dataFormat="NCWH"/],
    ];
    for (const [call, message] of failing) {
      assert.throws(call, message);
      assert.equal(vb.memory().numTensors, held, `${message}: no tensor left behind`);
    }
    const batched = vb.spaceToBatchND(x, [2, 2], [[0, 0], [0, 0]]);
    const space = vb.batchToSpaceND(batched, [2, 2], [[1, 1], [0, 0]]);
    const spread = vb.depthToSpace([[[[1, 2, 3, 4]]]], 2);
    assert.equal(vb.memory().numTensors, held + 3, 'the results only');
    vb.dispose([x, batched, space, spread]);
    assert.equal(vb.memory().numTensors, before);
  });
});
