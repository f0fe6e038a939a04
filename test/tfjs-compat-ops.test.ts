/**
 * TF.js ops that ported programs call and verbatim composes from its own ops (src/ops/compat.ts),
 * gather's batchDims, and tf.image's nonMaxSuppression and rgbToGrayscale, against TF.js 4.22 (cpu): the same values (bit for bit where the op
 * only moves or selects elements), the tensor methods, gradients, no leaked tensors, and errors
 * that name the argument.
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

/** Shape, dtype and values of a verbatim tensor and a TF.js tensor, for deepEqual. */
const same = (ours: vb.Tensor, theirs: tf.Tensor, label: string) => {
  assert.deepEqual([ours.shape, ours.dtype, ours.arraySync()], [theirs.shape, theirs.dtype, theirs.arraySync()], label);
};

const iota = (n: number, scale = 1) => Array.from({ length: n }, (_, i) => (i - n / 3) * scale);

forEachBackend('TF.js ops composed from verbatim ops', () => {
  it('gather with batchDims gathers within each batch, as TF.js (it was ignored: every batch gathered from all)', () => {
    const cases: [number[], number[], number, number][] = [
      [[2, 3], [2, 2], 1, 1], [[2, 3, 4], [2, 5], 1, 1], [[2, 3, 4], [2, 5], 2, 1], [[2, 3, 4, 2], [2, 3, 2], 3, 2],
      [[2, 3, 4], [2, 3, 2], 2, 2], [[2, 3, 4], [2, 2, 2], 1, -2], [[3, 4], [3], 1, 1], [[2, 3, 4], [2, 1, 2], 2, 1],
    ];
    for (const [xShape, indexShape, axis, batchDims] of cases) {
      const xValues = iota(xShape.reduce((a, b) => a * b));
      const indexValues = Array.from({ length: indexShape.reduce((a, b) => a * b) }, (_, i) => (i * 7) % xShape[axis]!);
      const label = `x ${xShape}, indices ${indexShape}, axis ${axis}, batchDims ${batchDims}`;
      same(vb.gather(vb.tensor(xValues, xShape), vb.tensor(indexValues, indexShape, 'int32'), axis, batchDims),
        tf.gather(tf.tensor(xValues, xShape), tf.tensor(indexValues, indexShape, 'int32'), axis, batchDims), label);
    }
    const x = [[1, 2, 3], [4, 5, 6]];
    const indices = [[0, 0], [2, 1]];
    same(vb.tensor(x).gather(vb.tensor(indices, undefined, 'int32'), 1, 1), tf.tensor(x).gather(tf.tensor(indices, undefined, 'int32'), 1, 1), 'the method');
    const ours = vb.grad((t) => vb.gather(t, vb.tensor(indices, undefined, 'int32'), 1, 1).mul(vb.tensor([[1, 2], [3, 4]])).sum())(vb.tensor(x));
    const theirs = tf.grad((t) => tf.gather(t, tf.tensor(indices, undefined, 'int32'), 1, 1).mul(tf.tensor([[1, 2], [3, 4]])).sum())(tf.tensor(x));
    same(ours, theirs, 'the gradient');
  });

  it('gather with batchDims: bad arguments are errors naming them; an index is checked against its own batch', () => {
    const x = vb.tensor([[1, 2, 3], [4, 5, 6]]);
    const indices = vb.tensor([[0, 1], [2, 0]], undefined, 'int32');
    assert.throws(() => vb.gather(x, indices, 0, 1), /batchDims in \[-2, 0\].*batchDims=1/);
    assert.throws(() => vb.gather(x, indices, 1, 1.5), /batchDims to be an integer.*batchDims=1.5/);
    assert.throws(() => vb.gather(x, vb.tensor([[0], [1], [2]], undefined, 'int32'), 1, 1), /share their first 1 \(batchDims\) dimensions.*indices.shape=\[3, 1\]/);
    // Index 3 of batch 0 would be row 0 of batch 1 once the batches are merged: it is refused.
    assert.throws(() => vb.gather(x, vb.tensor([[3, 0], [0, 0]], undefined, 'int32'), 1, 1), /every index in \[0, 3\).*indices\[0\]=3/);
  });

  it('clone, addN, dot, outerProduct, euclideanNorm, diag, meshgrid give TF.js\'s values; print prints', () => {
    const a = [[1, -2], [3.5, 4]];
    same(vb.clone(vb.tensor(a)), tf.clone(tf.tensor(a)), 'clone');
    const printed: unknown[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => printed.push(...args);
    try {
      vb.print(vb.tensor(a));
      vb.print([7], true);
    } finally {
      console.log = log;
    }
    assert.deepEqual(printed, [vb.tensor(a).toString(), vb.tensor([7]).toString()], 'print');
    same(vb.addN([vb.tensor(a), vb.tensor(a).neg(), vb.tensor([[1, 1], [1, 1]])]), tf.addN([tf.tensor(a), tf.tensor(a).neg(), tf.tensor([[1, 1], [1, 1]])]), 'addN');
    same(vb.addN([vb.tensor([1, 2], undefined, 'int32'), vb.tensor([3, 4], undefined, 'int32')]), tf.addN([tf.tensor([1, 2], undefined, 'int32'), tf.tensor([3, 4], undefined, 'int32')]), 'addN int32');
    const v = [1, 2];
    for (const [left, right] of [[v, v], [v, a], [a, v], [a, a]] as const) {
      same(vb.dot(vb.tensor(left), vb.tensor(right)), tf.dot(tf.tensor(left), tf.tensor(right)), `dot ${JSON.stringify(left)} ${JSON.stringify(right)}`);
    }
    same(vb.tensor(v).dot(vb.tensor(a)), tf.tensor(v).dot(tf.tensor(a)), 'dot method');
    same(vb.outerProduct(vb.tensor([1, 2, 3]), vb.tensor([3, 4])), tf.outerProduct(tf.tensor1d([1, 2, 3]), tf.tensor1d([3, 4])), 'outerProduct');
    same(vb.euclideanNorm(vb.tensor(a), 1, true), tf.euclideanNorm(tf.tensor(a), 1, true), 'euclideanNorm');
    same(vb.tensor([3, 4]).euclideanNorm(), tf.tensor([3, 4]).euclideanNorm(), 'euclideanNorm method');
    same(vb.diag(vb.tensor(a)), tf.diag(tf.tensor(a)), 'diag of a matrix');
    same(vb.diag(vb.tensor([-1, 2], undefined, 'int32')), tf.diag(tf.tensor([-1, 2], undefined, 'int32')), 'diag int32');
    for (const indexing of ['xy', 'ij'] as const) {
      const ours = vb.meshgrid(vb.tensor([1, 2, 3]), vb.tensor([4, 5]), { indexing });
      const theirs = tf.meshgrid(tf.tensor([1, 2, 3]), tf.tensor([4, 5]), { indexing });
      ours.forEach((t, i) => same(t, theirs[i]!, `meshgrid ${indexing} ${i}`));
    }
  });

  it('divNoNan, rsqrt, step, logSigmoid, prelu, isFinite, isInf, logicalXor give TF.js\'s values, also as methods', () => {
    const x = [-3, -0.5, 0, 0.5, 2, NaN, Infinity, -Infinity];
    same(vb.divNoNan(vb.tensor([1, -4, 0, 6]), vb.tensor([0, 2, 0, -3])), tf.divNoNan(tf.tensor([1, -4, 0, 6]), tf.tensor([0, 2, 0, -3])), 'divNoNan');
    same(vb.tensor([1, 6]).divNoNan(vb.tensor([0, 3])), tf.tensor([1, 6]).divNoNan(tf.tensor([0, 3])), 'divNoNan method');
    assertTensorClose(vb.tensor([1, 4, 0.3, 1e-30, 7e30]).rsqrt(), tf.tensor([1, 4, 0.3, 1e-30, 7e30]).rsqrt(), 'rsqrt', 2e-7, 0);
    same(vb.tensor(x).step(), tf.tensor(x).step(), 'step');
    same(vb.step(vb.tensor(x), 0.25), tf.step(tf.tensor(x), 0.25), 'step with alpha');
    assertTensorClose(vb.tensor([-100, -2, 0, 0.7, 50]).logSigmoid(), tf.tensor([-100, -2, 0, 0.7, 50]).logSigmoid(), 'logSigmoid');
    same(vb.prelu(vb.tensor([[-2, 3], [-4, 0]]), vb.tensor([0.5, 0.25])), tf.prelu(tf.tensor([[-2, 3], [-4, 0]]), tf.tensor([0.5, 0.25])), 'prelu');
    same(vb.tensor([-2, 3]).prelu(vb.scalar(0.5)), tf.tensor([-2, 3]).prelu(tf.scalar(0.5)), 'prelu method');
    same(vb.tensor(x).isFinite(), tf.tensor(x).isFinite(), 'isFinite');
    same(vb.tensor(x).isInf(), tf.tensor(x).isInf(), 'isInf');
    same(vb.isFinite(vb.tensor([1, -7], undefined, 'int32')), tf.isFinite(tf.tensor([1, -7], undefined, 'int32')), 'isFinite int32');
    same(vb.isInf(vb.tensor([1, -7], undefined, 'int32')), tf.isInf(tf.tensor([1, -7], undefined, 'int32')), 'isInf int32');
    const [p, q] = [[false, false, true, true], [false, true, false, true]];
    same(vb.tensor(p, undefined, 'bool').logicalXor(vb.tensor(q, undefined, 'bool')), tf.tensor(p, undefined, 'bool').logicalXor(tf.tensor(q, undefined, 'bool')), 'logicalXor');
  });

  it('gradients: logSigmoid and prelu as TF.js; divNoNan gives 0 where the divisor is 0 (not NaN)', () => {
    const x = [-3, -0.5, 0.5, 2];
    assertTensorClose(vb.grad((t) => vb.logSigmoid(t))(vb.tensor(x)), tf.grad((t) => tf.logSigmoid(t))(tf.tensor(x)), 'logSigmoid');
    same(vb.grad((t) => vb.prelu(t, vb.scalar(0.25)))(vb.tensor(x)), tf.grad((t) => tf.prelu(t, tf.scalar(0.25)))(tf.tensor(x)), 'prelu');
    const [da, db] = vb.grads((a, b) => vb.divNoNan(a, b))([vb.tensor([1, 6]), vb.tensor([0, 3])]);
    assert.deepEqual([da!.arraySync(), db!.arraySync()], [[0, 1 / 3].map(Math.fround), [0, Math.fround(-6 / 9)]]);
  });

  it('concat1d ... 4d, slice1d ... 4d, reverse1d ... 4d, pad1d ... 4d check the rank and do what the op does', () => {
    const m = [[1, 2, 3], [4, 5, 6]];
    same(vb.concat1d([vb.tensor([1]), vb.tensor([2, 3])]), tf.concat1d([tf.tensor1d([1]), tf.tensor1d([2, 3])]), 'concat1d');
    same(vb.concat2d([vb.tensor(m), vb.tensor(m)], 1), tf.concat2d([tf.tensor2d(m), tf.tensor2d(m)], 1), 'concat2d');
    same(vb.slice1d(vb.tensor([1, 2, 3, 4]), 1, 2), tf.slice1d(tf.tensor1d([1, 2, 3, 4]), 1, 2), 'slice1d');
    same(vb.slice2d(vb.tensor(m), [1, 1], [1, -1]), tf.slice2d(tf.tensor2d(m), [1, 1], [1, -1]), 'slice2d');
    same(vb.reverse1d(vb.tensor([1, 2, 3])), tf.reverse1d(tf.tensor1d([1, 2, 3])), 'reverse1d');
    same(vb.reverse2d(vb.tensor(m), 1), tf.reverse2d(tf.tensor2d(m), 1), 'reverse2d');
    same(vb.pad1d(vb.tensor([1, 2]), [1, 2], 9), tf.pad1d(tf.tensor1d([1, 2]), [1, 2], 9), 'pad1d');
    same(vb.pad2d(vb.tensor(m), [[1, 0], [0, 2]]), tf.pad2d(tf.tensor2d(m), [[1, 0], [0, 2]]), 'pad2d');
    assert.throws(() => vb.slice1d(vb.tensor(m), 0, 1), /slice1d: Expected x of rank 1. Received: x.shape=\[2, 3\]/);
    assert.throws(() => vb.concat2d([vb.tensor(m), vb.tensor([1, 2, 3])]), /concat2d: Expected tensors of rank 2. Received: tensors\[1\].shape=\[3\]/);
    assert.throws(() => vb.addN([vb.tensor([1, 2]), vb.tensor([1, 2, 3])]), /addN: .*tensors\[1\].shape=\[3\]/);
    assert.throws(() => vb.dot(vb.tensor([1, 2]), vb.tensor([1, 2, 3])), /dot: Expected t2's first dimension to be t1's last \(2\)/);
    assert.throws(() => vb.meshgrid(vb.tensor([1]), vb.tensor([2]), { indexing: 'yx' as never }), /meshgrid: .*indexing="yx"/);
  });

  it('gatherND and scatterND as TF.js (repeated tuples sum), gatherND differentiable, index tuples checked', () => {
    const x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]];
    for (const indices of [[[0, 1], [1, 0]], [[1], [0]], [[[0, 1, 1]], [[1, 0, 0]]], [1, 1]]) {
      same(vb.gatherND(vb.tensor(x), vb.tensor(indices, undefined, 'int32')), tf.gatherND(tf.tensor(x), tf.tensor(indices, undefined, 'int32')), `gatherND ${JSON.stringify(indices)}`);
    }
    same(vb.gatherND(vb.tensor(x, undefined, 'int32'), vb.tensor([[1, 1, 0]], undefined, 'int32')), tf.gatherND(tf.tensor(x, undefined, 'int32'), tf.tensor([[1, 1, 0]], undefined, 'int32')), 'gatherND int32');
    const scatters: [number[][], number[] | number[][], number[]][] = [[[[4], [3], [1], [7]], [9, 10, 11, 12], [8]], [[[1], [1], [0]], [1, 2, 3], [3]], [[[0, 1], [2, 0]], [5, 6], [3, 2]], [[[2], [0]], [[1, 2], [3, 4]], [3, 2]]];
    for (const [indices, updates, shape] of scatters) {
      same(vb.scatterND(vb.tensor(indices, undefined, 'int32'), vb.tensor(updates), shape), tf.scatterND(tf.tensor(indices, undefined, 'int32'), tf.tensor(updates), shape), `scatterND ${JSON.stringify(indices)}`);
    }
    same(vb.scatterND(vb.tensor([[0], [0]], undefined, 'int32'), vb.tensor([2, 5], undefined, 'int32'), [2]), tf.scatterND(tf.tensor([[0], [0]], undefined, 'int32'), tf.tensor([2, 5], undefined, 'int32'), [2]), 'scatterND int32');
    const dx = vb.grad((t) => vb.gatherND(t, vb.tensor([[0, 1], [0, 1], [1, 0]], undefined, 'int32')).sum())(vb.tensor([[1, 2], [3, 4]]));
    assert.deepEqual(dx.arraySync(), [[0, 2], [1, 0]]);
    // Tuple (0, 2) would be row 2 of the flattened [2, 2] x, that is (1, 0): it is refused.
    assert.throws(() => vb.gatherND(vb.tensor([[1, 2], [3, 4]]), vb.tensor([[0, 2]], undefined, 'int32')), /gatherND: Expected index tuples within \[2,2\]. Received: indices \(flat\) \[1\]=2/);
    assert.throws(() => vb.gatherND(vb.tensor([1, 2]), vb.tensor([[0, 0]], undefined, 'int32')), /gatherND: Expected indices .* last dimension is in \[1, 1\]/);
    assert.throws(() => vb.scatterND(vb.tensor([[0], [1]], undefined, 'int32'), vb.tensor([1, 2, 3]), [4]), /scatterND: Expected updates of shape \[2\]/);
  });

  it('stridedSlice as TF.js for Python-style slices (steps, negatives, ellipsis, new and shrunk axes), with a gradient', () => {
    const shape = [3, 4, 5];
    const values = Array.from({ length: 60 }, (_, i) => i);
    // [begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask] and the Python slice each stands for.
    const cases: [number[], number[], number[] | undefined, number, number, number, number, number][] = [
      [[1], [3], undefined, 0, 0, 0, 0, 0], // x[1:3]
      [[0, 0, 0], [0, 0, 0], [-1, -1, -1], 7, 7, 0, 0, 0], // x[::-1, ::-1, ::-1]
      [[0, 1, -1], [3, -1, -6], [2, 2, -2], 1, 0, 0, 0, 0], // x[::2, 1:-1:2, -1:-6:-2]
      [[0, 2], [0, 3], [1, 1], 0, 0, 1, 0, 2], // x[..., 2]
      [[1, 0, 0], [2, 0, 0], [1, 1, 1], 0, 2, 4, 2, 1], // x[1, None, ...]
      [[-2, 0], [0, 0], [1, 1], 0, 2, 0, 0, 1], // x[-2, :]
      [[0, -3, 1], [0, 100, 4], [1, 1, 2], 1, 0, 0, 0, 0], // x[:, -3:100, 1:4:2]
      [[2, 0], [1, 0], [1, 1], 0, 0, 0, 0, 0], // x[2:1] (empty)
    ];
    for (const args of cases) {
      same(vb.stridedSlice(vb.tensor(values, shape), ...args), tf.stridedSlice(tf.tensor(values, shape), ...args), `stridedSlice ${JSON.stringify(args)}`);
    }
    // TensorFlow's rule where TF.js 4.22 picks another element: x[::2, -1] of a [2, 4] x (axis 0 masked, axis 1 shrunk) is [x[0, 3]] = [3] (TF.js: [0]).
    assert.deepEqual(vb.stridedSlice(vb.tensor(values.slice(0, 8), [2, 4]), [2, -1], [-5, -3], [2, 2], 1, 1, 0, 0, 2).arraySync(), [3]);
    const dx = vb.grad((t) => vb.stridedSlice(t, [0, 1], [3, 5], [2, 3], 0, 0, 0, 0, 0).sum())(vb.tensor(values.slice(0, 12), [3, 4]));
    assert.deepEqual(dx.arraySync(), [[0, 1, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]]);
    assert.throws(() => vb.stridedSlice(vb.tensor(values, shape), [0], [1], [0]), /stridedSlice: Expected non-zero integer strides/);
    assert.throws(() => vb.stridedSlice(vb.tensor(values, shape), [5], [6], [1], 0, 0, 0, 0, 1), /stridedSlice: Expected the shrunk position of axis 0 in \[-3, 3\). Received: begin\[0\]=5/);
    assert.throws(() => vb.stridedSlice(vb.tensor(values, shape), [0, 0], [1, 1], [1, 1], 0, 0, 3), /stridedSlice: Expected at most one ellipsis/);
  });

  it('einsum: TF.js\'s equations (one or two operands, explicit output) with TF.js\'s values, and a gradient', () => {
    const seededOf = (shape: number[], seed: number) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.3 + seed));
    const cases: [string, number[][]][] = [
      ['ij,jk->ik', [[2, 3], [3, 4]]], ['i,i->', [[3], [3]]], ['bi,bi->b', [[2, 3], [2, 3]]], ['i,j->ij', [[3], [2]]], ['ij->ji', [[2, 3]]],
      ['bij->bji', [[2, 2, 3]]], ['ij->', [[2, 3]]], ['ij->j', [[2, 3]]], ['bqhd,bkhd->bhqk', [[2, 3, 2, 4], [2, 5, 2, 4]]],
      ['bhqk,bkhd->bqhd', [[2, 2, 3, 5], [2, 5, 2, 4]]], ['abc,cd->dba', [[2, 3, 4], [4, 2]]], ['ij, jk -> ik', [[2, 3], [3, 4]]],
    ];
    for (const [equation, shapes] of cases) {
      const ours = vb.einsum(equation, ...shapes.map((shape, i) => vb.tensor(seededOf(shape, i), shape)));
      const theirs = tf.einsum(equation, ...shapes.map((shape, i) => tf.tensor(seededOf(shape, i), shape)));
      assertTensorClose(ours, theirs, equation);
    }
    // A label only one operand has is summed out (TF.js 4.22 returns a [1, 4] tensor here).
    const a = vb.tensor(seededOf([2, 3], 0), [2, 3]);
    const b = vb.tensor(seededOf([4], 1), [4]);
    const summedOut = vb.einsum('ij,k->i', a, b);
    assert.deepEqual(summedOut.shape, [2]);
    assertTensorClose(summedOut, Float64Array.from(vb.mul(vb.sum(a, 1), vb.sum(b)).dataSync()), 'ij,k->i');
    const w = vb.tensor(seededOf([3, 2], 5), [3, 2]);
    assert.equal(vb.digest(vb.grad((x) => vb.einsum('ij,jk->ik', x, w).sum())(a)), vb.digest(vb.grad((x) => vb.matMul(x, w).sum())(a)), 'the gradient of matMul');
    assert.throws(() => vb.einsum('ij,jk', a, w), /einsum: Expected an equation with one arrow/);
    assert.throws(() => vb.einsum('ii->i', vb.ones([2, 2])), /einsum: Expected input term 0 to hold one distinct letter per axis/);
    assert.throws(() => vb.einsum('ij,jk->ik', a, vb.ones([2, 2])), /einsum: Expected label j to have one size/);
    assert.throws(() => vb.einsum('i,i,i->', b, b, b), /einsum: Expected one or two operands/);
  });

  it('cumprod as TF.js (exclusive, reverse, axes, int32, the method), each product one float32 rounding; its gradient, zeros included', () => {
    const values = Array.from({ length: 15 }, (_, i) => Math.fround(Math.sin(i * 1.3) * 1.7));
    for (const [axis, exclusive, reverse] of [[0, false, false], [1, false, false], [1, true, false], [1, false, true], [1, true, true]] as const) {
      same(vb.cumprod(vb.tensor(values, [3, 5]), axis, exclusive, reverse), tf.cumprod(tf.tensor(values, [3, 5]), axis, exclusive, reverse), `cumprod ${axis} ${exclusive} ${reverse}`);
    }
    // A negative axis counts from the end (TF.js 4.22's fails: '[,3] does not match the input size 0').
    assert.equal(vb.digest(vb.cumprod(vb.tensor(values, [3, 5]), -1, true, true)), vb.digest(vb.cumprod(vb.tensor(values, [3, 5]), 1, true, true)));
    same(vb.tensor([1, -2, 3], undefined, 'int32').cumprod(), tf.tensor([1, -2, 3], undefined, 'int32').cumprod(), 'int32, the method');
    const row = values.slice(0, 5);
    assert.deepEqual(Array.from(vb.cumprod(vb.tensor(row)).dataSync()), row.map((_, k) => row.slice(0, k + 1).reduce((p, v) => Math.fround(p * v))), 'left to right, rounded at each step');
    // d/dx_i of x0 + x0 x1 + x0 x1 x2 at [2, 0, 4]: [1 + 0 + 0, 2 + 2 * 4, 0] (TF.js 4.22 has no cumprod gradient).
    assert.deepEqual(vb.grad((t) => vb.cumprod(t).sum())(vb.tensor([2, 0, 4])).arraySync(), [1, 10, 0]);
    assert.throws(() => vb.cumprod(vb.tensor([1, 2]), 1), /cumprod: Expected x of rank 1 or more and an axis in \[-1, 1\). Received: axis=1/);
  });

  it('unique, setdiff1dAsync and inTopKAsync as TF.js (-0 is 0 and NaN is NaN to unique; equal scores: lower class first)', async () => {
    const cases: [number[] | number[][], number, 'float32' | 'int32'][] = [
      [[1, 1, 2, 4, 4, 4, 7, 8, 8], 0, 'float32'], [[0, -0, NaN, NaN, 1], 0, 'float32'], [[3, 1, 3], 0, 'int32'],
      [[[1, 0, 0], [1, 0, 0], [2, 0, 0]], 0, 'float32'], [[[1, 0, 1], [1, 0, 1], [2, 0, 2]], 1, 'float32'], [[[1, 0, 1], [1, 0, 1]], -1, 'float32'],
    ];
    for (const [x, axis, dtype] of cases) {
      const ours = vb.unique(vb.tensor(x, undefined, dtype), axis);
      const theirs = tf.unique(tf.tensor(x, undefined, dtype), axis);
      same(ours.values, theirs.values, `unique values ${JSON.stringify(x)} axis ${axis}`);
      same(ours.indices, theirs.indices, `unique indices ${JSON.stringify(x)} axis ${axis}`);
    }
    const [values, indices] = await vb.setdiff1dAsync(vb.tensor([5, 1, 5, 3, 2], undefined, 'int32'), vb.tensor([3, 2], undefined, 'int32'));
    const [tfValues, tfIndices] = await tf.setdiff1dAsync(tf.tensor([5, 1, 5, 3, 2], undefined, 'int32'), tf.tensor([3, 2], undefined, 'int32'));
    same(values, tfValues, 'setdiff1dAsync values');
    same(indices, tfIndices, 'setdiff1dAsync indices');
    const predictions = [[20, 10, 40, 30], [30, 50, -20, 10], [1, 1, 1, 0], [0, 1, 1, 1]];
    for (const k of [1, 2, 3]) {
      same(await vb.inTopKAsync(vb.tensor(predictions), vb.tensor([2, 0, 2, 1], undefined, 'int32'), k),
        await tf.inTopKAsync(tf.tensor(predictions), tf.tensor([2, 0, 2, 1], undefined, 'int32'), k), `inTopKAsync k ${k}`);
    }
    // A row holding NaN: topk's order, NaN largest (TF.js's comparator is inconsistent there: its V8 sort puts 1 before 3 in [1, NaN, 3]).
    const withNaN = vb.tensor([[1, NaN, 3], [1, NaN, 3], [3, 1, NaN], [2, NaN, 1]]);
    assert.deepEqual(Array.from((await vb.inTopKAsync(withNaN, vb.tensor([1, 2, 2, 0], undefined, 'int32'), 1)).dataSync()), [1, 0, 1, 0]);
    assert.deepEqual(Array.from((await vb.inTopKAsync(withNaN, vb.tensor([1, 2, 2, 0], undefined, 'int32'), 2)).dataSync()), [1, 1, 1, 1]);
    assert.throws(() => vb.unique(vb.tensor([1, 2]), 1), /unique: Expected x of rank 1 or more and an axis in \[-1, 1\). Received: axis=1/);
    await assert.rejects(vb.inTopKAsync(vb.tensor(predictions), vb.tensor([0, 1, 2, 3], undefined, 'int32'), 5), /inTopKAsync: Expected k to be an integer in \[1, 4\]. Received: k=5/);
    await assert.rejects(vb.setdiff1dAsync(vb.tensor([1]), vb.tensor([1], undefined, 'int32')), /setdiff1dAsync: Expected x and y of rank 1 and of one dtype/);
  });

  it('whereAsync, booleanMaskAsync and x.buffer() as TF.js, leaving only their results', async () => {
    const condition = [[true, false, true], [false, false, true]];
    same(await vb.whereAsync(vb.tensor(condition, undefined, 'bool')), await tf.whereAsync(tf.tensor(condition, undefined, 'bool')), 'whereAsync');
    const x = vb.tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    const tx = tf.tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    const masks: [boolean[] | boolean[][], number][] = [[[true, false], 0], [[false, true, true], 1], [condition, 0], [[true, false], 2]];
    for (const [mask, axis] of masks) {
      const before = vb.memory().numTensors;
      const m = vb.tensor(mask, undefined, 'bool');
      const ours = await vb.booleanMaskAsync(x, m, axis);
      assert.equal(vb.memory().numTensors, before + 2, 'the mask and the result only');
      same(ours, await tf.booleanMaskAsync(tx, tf.tensor(mask, undefined, 'bool'), axis), `booleanMaskAsync ${JSON.stringify(mask)} axis ${axis}`);
    }
    await assert.rejects(vb.booleanMaskAsync(x, vb.tensor([true, false, true], undefined, 'bool')), /booleanMaskAsync: .*mask.shape=\[3\]/);
    const buffer = await vb.tensor([1, 2, 3]).buffer();
    buffer.set(7, 0);
    assert.deepEqual(buffer.toTensor().arraySync(), [7, 2, 3]);
  });

  it('meshgrid, and the ops that read values on the host given arrays and a bad argument, leave no tensor behind', async () => {
    const [x, y] = [vb.tensor([1, 2, 3]), vb.tensor([[4], [5]])];
    const before = vb.memory().numTensors;
    const grids = vb.meshgrid(x, y, { indexing: 'ij' });
    grids.push(...vb.meshgrid([1, 2], [3]));
    assert.equal(vb.memory().numTensors, before + 4, 'meshgrid: the four grids only');
    for (const grid of grids) grid.dispose();
    const failing: [string, () => unknown][] = [
      ['unique', () => vb.unique([1, 2, 1], 1)],
      ['setdiff1dAsync', () => vb.setdiff1dAsync([1, 2], [[1]])],
      ['inTopKAsync', () => vb.inTopKAsync([[1, 2]], [0], 3)],
      ['booleanMaskAsync', () => vb.booleanMaskAsync([1, 2], [true])],
      ['image.nonMaxSuppression', () => vb.image.nonMaxSuppression([[0, 0, 1, 1]], [0.5], -1)],
      ['image.nonMaxSuppression', () => vb.image.nonMaxSuppressionAsync([[0, 0, 1, 1]], [0.5], -1)],
    ];
    for (const [name, call] of failing) {
      await assert.rejects(async () => call(), new RegExp(`${name}: Expected`), name);
      assert.equal(vb.memory().numTensors, before, `${name}: no tensor left behind`);
    }
  });

  it('bad begin, end or output shape are errors naming them (they crashed or sliced at fractional positions)', () => {
    const x = vb.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.throws(() => vb.stridedSlice(x, 1 as never, 2 as never), /stridedSlice: Expected begin, end and strides to be arrays of integers of one length. Received: begin=1, end=2/);
    assert.throws(() => vb.stridedSlice(x, [0.5], [2]), /stridedSlice: Expected begin, end .* arrays of integers.*begin=\[0.5\]/);
    assert.throws(() => vb.stridedSlice(x, [0], [2], 1 as never), /stridedSlice: Expected begin, end and strides .*strides=1/);
    assert.throws(() => vb.scatterND([[0]], [1], vb.tensor([2], undefined, 'int32') as never), /scatterND: Expected shape to be an array of non-negative integers/);
    assert.throws(() => vb.scatterND([[0]], [1], [-2]), /scatterND: Expected shape to be an array of non-negative integers. Received: shape=\[-2\]/);
  });

  it('float32 index tensors, conditions and masks are errors naming the op and the argument (cropAndResize read between two images\' pixels)', async () => {
    const image = vb.reshape(vb.range(0, 8), [2, 2, 2, 1]);
    assert.throws(() => vb.image.cropAndResize(image, vb.tensor([[0, 0, 1, 1]]), vb.tensor([0.7]), [1, 1]), /image.cropAndResize: Expected boxInd of dtype int32. Received: boxInd.dtype="float32"/);
    assert.throws(() => vb.gatherND(vb.tensor([1, 2, 3]), vb.tensor([[1.5]])), /gatherND: Expected indices of dtype int32. Received: indices.dtype="float32"/);
    assert.throws(() => vb.scatterND(vb.tensor([[1]]), vb.tensor([1]), [3]), /scatterND: Expected indices of dtype int32/);
    await assert.rejects(vb.inTopKAsync(vb.tensor([[0.2, 0.8]]), vb.tensor([1.5])), /inTopKAsync: Expected targets of dtype int32. Received: targets.dtype="float32"/);
    // As where: a float condition or mask is refused (whereAsync took NaN as false, where cast takes it as true).
    await assert.rejects(vb.whereAsync(vb.tensor([NaN, 0, 1])), /whereAsync: Expected condition of dtype bool. Received: condition.dtype="float32"/);
    await assert.rejects(vb.booleanMaskAsync(vb.tensor([1, 2]), vb.tensor([NaN, 1])), /booleanMaskAsync: Expected mask of dtype bool. Received: mask.dtype="float32"/);
  });

  it('int32 operands of dot, outerProduct and a two-operand einsum, and non-bool logicalXor operands, are errors naming the op (they named matMul, logicalOr)', () => {
    const ints = vb.tensor([1, 2], undefined, 'int32');
    assert.throws(() => vb.dot(ints, ints), /^ValueError: dot: Expected t1 and t2 of dtype float32 \(as matMul\). Received: t1.dtype="int32"/);
    assert.throws(() => vb.outerProduct(ints, vb.tensor([1, 2])), /^ValueError: outerProduct: Expected v1 and v2 of dtype float32 \(as matMul\)/);
    assert.throws(() => vb.einsum('i,i->', ints, ints), /^ValueError: einsum: Expected two operands of dtype float32 \(as matMul\). Received: dtypes=\["int32", "int32"\]/);
    same(vb.einsum('ij->ji', vb.tensor([[1, 2]], undefined, 'int32')), tf.einsum('ij->ji', tf.tensor([[1, 2]], undefined, 'int32')), 'one int32 operand: no matMul');
    assert.throws(() => vb.logicalXor(vb.tensor([1, 0]), vb.tensor([true, false])), /^ValueError: logicalXor: Expected a and b of dtype bool. Received: a.dtype="float32", b.dtype="bool"/);
  });

  it('diag keeps a bool tensor bool and cumprod counts bool as int32, as TF.js (diag gave float32, cumprod failed in mul)', () => {
    same(vb.diag(vb.tensor([true, false, true])), tf.diag(tf.tensor([true, false, true])), 'diag bool');
    same(vb.cumprod(vb.tensor([[true, true], [false, true]]), 1), tf.cumprod(tf.tensor([[true, true], [false, true]]), 1), 'cumprod bool');
  });
});

forEachBackend('tf.image.nonMaxSuppression and rgbToGrayscale', () => {
  it('nonMaxSuppression (and its async twin) keeps the boxes TF.js keeps, for overlapping random boxes and every threshold', async () => {
    const next = rng(8);
    const count = 60;
    // Boxes of random corners (either order) around a few centres, so that many overlap; some empty, some tied scores.
    const boxes = Array.from({ length: count }, (_, i) => {
      const [cy, cx] = [(i % 4) * 0.3, (i % 3) * 0.3];
      const box = [cy + next() * 0.2, cx + next() * 0.2, cy + 0.1 + next() * 0.3, cx + 0.1 + next() * 0.3];
      if (i % 7 === 0) box.reverse();
      if (i % 11 === 0) box[2] = box[0]!;
      return box;
    });
    const scores = Array.from({ length: count }, (_, i) => (i % 9 === 0 ? 0.5 : Math.round(next() * 1000) / 1000));
    for (const [maxOutputSize, iouThreshold, scoreThreshold] of [[10, 0.5, undefined], [100, 0.3, 0.2], [5, 0.7, 0.5], [100, 0, undefined], [100, 1, 0.9], [0, 0.5, undefined]] as const) {
      const label = `maxOutputSize ${maxOutputSize}, iouThreshold ${iouThreshold}, scoreThreshold ${scoreThreshold}`;
      const theirs = tf.image.nonMaxSuppression(tf.tensor2d(boxes), tf.tensor1d(scores), maxOutputSize, iouThreshold, scoreThreshold);
      same(vb.image.nonMaxSuppression(vb.tensor(boxes), vb.tensor(scores), maxOutputSize, iouThreshold, scoreThreshold), theirs, label);
      same(await vb.image.nonMaxSuppressionAsync(boxes, scores, maxOutputSize, iouThreshold, scoreThreshold), theirs, `${label} (async, arrays)`);
    }
    const before = vb.memory().numTensors;
    vb.image.nonMaxSuppression(boxes, scores, 3).dispose();
    assert.equal(vb.memory().numTensors, before, 'no tensor left behind');
    assert.throws(() => vb.image.nonMaxSuppression(vb.tensor([[0, 0, 1]]), vb.tensor([1]), 1), /nonMaxSuppression: Expected boxes of shape \[numBoxes, 4\]. Received: boxes.shape=\[1, 3\]/);
    assert.throws(() => vb.image.nonMaxSuppression(boxes, scores.slice(1), 1), /Expected scores of shape \[60\]/);
    assert.throws(() => vb.image.nonMaxSuppression(boxes, scores, 2, 1.5), /Expected iouThreshold in \[0, 1\]. Received: iouThreshold=1.5/);
    assert.throws(() => vb.image.nonMaxSuppression(boxes, scores, -1), /Expected maxOutputSize to be an integer >= 0. Received: maxOutputSize=-1/);
  });

  it('cropAndResize samples boxes as TF.js (bilinear, nearest, one-pixel crops, boxes past the image), and the image gets a gradient', () => {
    const pixels = Array.from({ length: 2 * 5 * 6 * 2 }, (_, i) => Math.sin(i * 0.7) * 10);
    const boxes = [[0, 0, 1, 1], [0.1, 0.25, 0.7, 0.75], [0.5, 0.5, 0.5, 0.5], [-0.2, 0.1, 1.3, 0.8], [0.9, 0.8, 0.1, 0.3], [0.25, 0.3, 0.75, 0.6]];
    const boxInd = [0, 1, 0, 1, 0, 1];
    const run = (library: typeof vb | typeof tf, cropSize: [number, number], method?: 'bilinear' | 'nearest', extrapolationValue?: number) =>
      (library.image.cropAndResize as typeof tf.image.cropAndResize)(library.tensor(pixels, [2, 5, 6, 2]) as never, library.tensor(boxes) as never, library.tensor(boxInd, undefined, 'int32') as never, cropSize, method, extrapolationValue);
    for (const [cropSize, method, extrapolationValue] of [[[4, 3], undefined, undefined], [[3, 4], 'nearest', -1], [[1, 1], 'bilinear', 7], [[2, 5], 'bilinear', 0.5]] as const) {
      assertTensorClose(run(vb, [...cropSize], method, extrapolationValue) as unknown as vb.Tensor, run(tf, [...cropSize], method, extrapolationValue), `${JSON.stringify(cropSize)} ${method} ${extrapolationValue}`);
    }
    // Positions are float32, as TensorFlow computes them: x = 0.2 (5) + 4 (0.7 (5) / 4) is 4.5 and rounds to 5 (TF.js computes 4.49999996 in float64: 4).
    const image = vb.reshape(vb.range(0, 30), [1, 5, 6, 1]);
    assert.deepEqual(vb.image.cropAndResize(image, vb.tensor([[0, 0.2, 0, 0.9]]), vb.tensor([0], undefined, 'int32'), [1, 5], 'nearest').dataSync().at(-1), 5);
    const dx = vb.grad((x) => vb.image.cropAndResize(x, vb.tensor([[0, 0, 1, 1]]), vb.tensor([0], undefined, 'int32'), [3, 3]).sum())(image);
    assert.deepEqual(Array.from(dx.dataSync()).slice(0, 6), [1, 0, 0.5, 0.5, 0, 1], 'the first row: weights of the columns sampled at 0, 2.5 and 5');
    assert.throws(() => vb.image.cropAndResize(image, vb.tensor([[0, 0, 1, 1]]), vb.tensor([1], undefined, 'int32'), [2, 2]), /cropAndResize: Expected every boxInd in \[0, 1\). Received: boxInd\[0\]=1/);
    assert.throws(() => vb.image.cropAndResize(image, vb.tensor([[0, 0, 1, 1]]), vb.tensor([0], undefined, 'int32'), [2, 0]), /cropAndResize: Expected cropSize as \[height, width\] of positive integers/);
  });

  it('rgbToGrayscale weights R, G, B as TF.js, float32 and int32 images of rank 2 to 4', () => {
    const next = rng(9);
    const pixels = Array.from({ length: 2 * 3 * 4 * 3 }, () => Math.floor(next() * 256));
    for (const shape of [[8, 3], [2, 4, 3], [2, 3, 4, 3]]) {
      const values = pixels.slice(0, shape.reduce((a, b) => a * b));
      const theirs = tf.tensor(values, shape as number[]) as tf.Tensor as tf.Tensor2D;
      assertTensorClose(vb.image.rgbToGrayscale(vb.tensor(values, shape)), tf.image.rgbToGrayscale(theirs), `float32 ${shape}`);
    }
    same(vb.image.rgbToGrayscale(vb.tensor(pixels, [2, 3, 4, 3], 'int32')), tf.image.rgbToGrayscale(tf.tensor4d(pixels, [2, 3, 4, 3], 'int32')), 'int32');
    assert.throws(() => vb.image.rgbToGrayscale(vb.ones([2, 4])), /rgbToGrayscale: Expected an image of rank 2 or more with 3 channels last. Received: image.shape=\[2, 4\]/);
  });
});
