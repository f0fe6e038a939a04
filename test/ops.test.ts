/**
 * Every op against the naive model on awkward shapes (rank 0, size 1, primes, empty tensors,
 * broadcasting on each axis), bit for bit where the determinism contract fixes the bits.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { assertBits, assertClose, intSample, sample } from './helpers/data.js';
import * as naive from './helpers/naive.js';
import { erf64 } from './helpers/float64-reference.js';

const f = Math.fround;

const BROADCAST_PAIRS: [number[], number[]][] = [
  [[], []], [[1], [1]], [[7], [7]], [[7], []], [[], [7]], [[3, 1], [1, 5]], [[2, 3, 5], [5]],
  [[2, 1, 5], [3, 1]], [[0, 3], [3]], [[5, 0], [1]], [[13, 1, 2], [13, 7, 1]], [[1, 1, 1], [2, 3, 4]],
];

const UNARY_SHAPES: number[][] = [[], [1], [0], [17], [3, 5, 7]];

const UNARY: [string, (x: vb.Tensor) => vb.Tensor, (v: number) => number, number, number][] = [
  ['neg', vb.neg, (v) => -v, -3, 3],
  ['abs', vb.abs, Math.abs, -3, 3],
  ['sign', vb.sign, (v) => Math.sign(v), -3, 3],
  ['sqrt', vb.sqrt, vb.f32.sqrt, 0, 9],
  ['exp', vb.exp, vb.f32.exp, -90, 90],
  ['expm1', vb.expm1, vb.f32.expm1, -5, 5],
  ['log', vb.log, vb.f32.log, 0, 100],
  ['log1p', vb.log1p, vb.f32.log1p, -1, 5],
  ['tanh', vb.tanh, vb.f32.tanh, -6, 6],
  ['sigmoid', vb.sigmoid, vb.f32.sigmoid, -20, 20],
  ['softplus', vb.softplus, vb.f32.softplus, -20, 20],
  ['erf', vb.erf, vb.f32.erf, -4, 4],
  ['relu', vb.relu, (v) => (v > 0 ? v : 0), -3, 3],
  ['floor', vb.floor, Math.floor, -3, 3],
  ['ceil', vb.ceil, Math.ceil, -3, 3],
];

const BINARY: [string, (a: vb.Tensor, b: vb.Tensor) => vb.Tensor, (a: number, b: number) => number][] = [
  ['add', vb.add, (a, b) => f(a + b)],
  ['sub', vb.sub, (a, b) => f(a - b)],
  ['mul', vb.mul, (a, b) => f(a * b)],
  ['div', vb.div, (a, b) => f(a / b)],
  ['maximum', vb.maximum, (a, b) => Math.max(a, b)],
  ['minimum', vb.minimum, (a, b) => Math.min(a, b)],
  ['pow', (a, b) => vb.pow(vb.abs(a), b), (a, b) => vb.f32.pow(Math.abs(a), b)],
  ['greater', vb.greater, (a, b) => Number(a > b)],
  ['greaterEqual', vb.greaterEqual, (a, b) => Number(a >= b)],
  ['less', vb.less, (a, b) => Number(a < b)],
  ['lessEqual', vb.lessEqual, (a, b) => Number(a <= b)],
  ['equal', vb.equal, (a, b) => Number(a === b)],
  ['notEqual', vb.notEqual, (a, b) => Number(a !== b)],
];

const AXES_3D = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];

forEachBackend('ops', () => {
  it('unary ops match the scalar specification bit for bit', () => {
    for (const [name, op, spec, lo, hi] of UNARY) {
      UNARY_SHAPES.forEach((shape, k) => {
        const x = sample(shape, 11 + k, lo, hi);
        assertBits(op(x.t), naive.map(x.nd, spec), `${name}${JSON.stringify(shape)}`);
      });
    }
  });

  it('round is half to even, as TensorFlow', () => {
    assert.deepEqual(Array.from(vb.round([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, 2.6]).dataSync()), [-2, -2, -0, 0, 2, 2, 2, 3]);
  });

  it('binary ops broadcast on every axis and match bit for bit', () => {
    for (const [name, op, spec] of BINARY) {
      BROADCAST_PAIRS.forEach(([sa, sb], k) => {
        const a = sample(sa, 100 + k);
        const b = sample(sb, 200 + k);
        assertBits(op(a.t, b.t), naive.zip(a.nd, b.nd, spec), `${name}(${JSON.stringify(sa)}, ${JSON.stringify(sb)})`);
      });
    }
  });

  it('comparisons return bool; int32 arithmetic wraps and divides by flooring', () => {
    assert.equal(vb.greater([1, 2], [2, 1]).dtype, 'bool');
    const a = vb.tensor([2147483647, -7, 7, 65536], [4], 'int32');
    const b = vb.tensor([1, 2, -2, 65536], [4], 'int32');
    assert.deepEqual(Array.from(vb.add(a, b).dataSync()), [-2147483648, -5, 5, 131072]);
    assert.deepEqual(Array.from(vb.mul(a, b).dataSync()), [2147483647, -14, -14, 0]);
    assert.deepEqual(Array.from(vb.div(a, b).dataSync()), [2147483647, -4, -4, 1]);
    assert.equal(vb.add(a, 1).dtype, 'int32');
    assert.equal(vb.add(a, 0.5).dtype, 'float32');
    assert.equal(vb.add(a, vb.tensor([1.5])).dtype, 'float32');
  });

  it('reductions follow the canonical order over every axis subset', () => {
    const x = sample([3, 5, 7], 7);
    for (const axes of AXES_3D) {
      const label = JSON.stringify(axes);
      assertBits(vb.sum(x.t, axes), naive.sum(x.nd, axes, f), `sum ${label}`);
      assertBits(vb.prod(x.t, axes), naive.reduce(x.nd, axes, 1, (acc, v) => f(acc * v)), `prod ${label}`);
      assertBits(vb.max(x.t, axes), naive.reduce(x.nd, axes, -Infinity, Math.max), `max ${label}`);
      assertBits(vb.min(x.t, axes), naive.reduce(x.nd, axes, Infinity, Math.min), `min ${label}`);
      const count = axes.reduce((n, a) => n * x.nd.shape[a]!, 1);
      assertBits(vb.mean(x.t, axes), naive.map(naive.sum(x.nd, axes, f), (v) => f(v / count)), `mean ${label}`);
    }
    assert.deepEqual(vb.sum(x.t, [1], true).shape, [3, 1, 7]);
    assert.deepEqual(vb.sum(x.t, -1).shape, [3, 5]);
  });

  it('reductions of empty tensors give the identity; NaN propagates through max', () => {
    assert.deepEqual(Array.from(vb.sum(vb.zeros([0, 4]), 0).dataSync()), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(vb.prod(vb.zeros([4, 0]), 1).dataSync()), [1, 1, 1, 1]);
    assert.deepEqual(Array.from(vb.max(vb.zeros([2, 0]), 1).dataSync()), [-Infinity, -Infinity]);
    assert.ok(Number.isNaN(vb.max([1, NaN, 3]).dataSync()[0]));
    assert.ok(Number.isNaN(vb.min([NaN, 1]).dataSync()[0]));
    assert.deepEqual(vb.sum(vb.zeros([0])).arraySync(), 0);
  });

  it('argMax and argMin of a large bool tensor (several threads) find the first true / false', () => {
    const rows = 300;
    const columns = 401;
    const values = new Uint8Array(rows * columns);
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) values[r * columns + c] = (r * 7 + c * 13) % 97 === 3 ? 1 : 0;
    const x = vb.tensor(values, [rows, columns], 'bool');
    const firstWhere = (r: number, v: number) => Math.max(0, Array.from(values.subarray(r * columns, (r + 1) * columns)).indexOf(v));
    assert.deepEqual(Array.from(vb.argMax(x, 1).dataSync()), Array.from({ length: rows }, (_, r) => firstWhere(r, 1)));
    assert.deepEqual(Array.from(vb.argMin(x, 1).dataSync()), Array.from({ length: rows }, (_, r) => firstWhere(r, 0)));
    const firstDown = (c: number, v: number) => Math.max(0, Array.from({ length: rows }, (_, r) => values[r * columns + c]).indexOf(v));
    assert.deepEqual(Array.from(vb.argMax(x, 0).dataSync()), Array.from({ length: columns }, (_, c) => firstDown(c, 1)));
  });

  it('int32 reductions start from their identity: max of negatives, min of positives, empty axes', () => {
    const x = vb.tensor([-5, -3, -9, -2147483648, 7, 4], [2, 3], 'int32');
    assert.deepEqual(Array.from(vb.max(x, 1).dataSync()), [-3, 7]);
    assert.deepEqual(Array.from(vb.min(vb.abs(x), 1).dataSync()), [3, -2147483648]);
    assert.deepEqual(Array.from(vb.max(vb.zeros([2, 0], 'int32'), 1).dataSync()), [-2147483648, -2147483648]);
    assert.deepEqual(Array.from(vb.min(vb.zeros([1, 0], 'int32'), 1).dataSync()), [2147483647]);
    assert.deepEqual(Array.from(vb.prod(x, 1).dataSync()), [-135, 0]);
  });

  it('argMax and argMin return the first extreme index along the axis (the first NaN if any)', () => {
    const x = vb.tensor([[1, 5, 5, 2], [7, 7, 0, 0], [3, NaN, 9, NaN]]);
    assert.deepEqual(vb.argMax(x, 1).arraySync(), [1, 0, 1]);
    assert.deepEqual(vb.argMin(x, 1).arraySync(), [0, 2, 1]);
    assert.deepEqual(vb.argMax(x, 0).arraySync(), [1, 2, 2, 2]);
    assert.equal(vb.argMax(x, 1).dtype, 'int32');
  });

  it('variance and moments are the mean squared deviation (two passes)', () => {
    const x = sample([4, 6], 5);
    const m = naive.map(naive.sum(x.nd, [1], f), (v) => f(v / 6));
    const dev = naive.zip(x.nd, { shape: [4, 1], values: m.values }, (a, b) => f(a - b));
    const sq = naive.map(dev, (v) => f(v * v));
    assertBits(vb.variance(x.t, 1), naive.map(naive.sum(sq, [1], f), (v) => f(v / 6)), 'variance');
    const { mean, variance } = vb.moments(x.t, 1, true);
    assert.deepEqual(mean.shape, [4, 1]);
    assert.deepEqual(variance.shape, [4, 1]);
  });

  it('matMul is the left-to-right float32 sum over k, in every transpose combination', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false], [[3, 5], [5, 7], false, false], [[13, 17], [17, 11], false, false],
      [[5, 3], [5, 7], true, false], [[3, 5], [7, 5], false, true], [[5, 3], [7, 5], true, true],
      [[2, 3, 4], [4, 5], false, false], [[2, 1, 3, 4], [3, 4, 2], false, false], [[4, 3], [2, 4, 5], true, false],
      [[3, 0], [0, 4], false, false], [[0, 5], [5, 2], false, false],
    ];
    cases.forEach(([sa, sb, ta, tb], k) => {
      const a = sample(sa, 300 + k);
      const b = sample(sb, 400 + k);
      assertBits(vb.matMul(a.t, b.t, ta, tb), naive.matMul(a.nd, b.nd, ta, tb, f), `matMul ${JSON.stringify([sa, sb, ta, tb])}`);
    });
  });

  it('fused.matMul (dense forward) gives the bits of the composition', () => {
    for (const [n, k, units] of [[1, 1, 1], [7, 13, 5], [33, 17, 9], [4, 0, 3]] as const) {
      const x = sample([n, k], 500 + k);
      const w = sample([k, units], 600 + k);
      const b = sample([units], 700 + k);
      for (const activation of ['linear', 'relu'] as const) {
        const fused = vb.fused.matMul({ a: x.t, b: w.t, bias: b.t, activation });
        const composed = activation === 'relu' ? vb.relu(vb.add(vb.matMul(x.t, w.t), b.t)) : vb.add(vb.matMul(x.t, w.t), b.t);
        assert.deepEqual(fused.dataSync(), composed.dataSync(), `${activation} ${[n, k, units]}`);
        const expected = naive.zip(naive.matMul(x.nd, w.nd, false, false, f), b.nd, (p, q) => f(p + q));
        assertBits(fused, activation === 'relu' ? naive.map(expected, (v) => (v > 0 ? v : 0)) : expected, `fused ${activation}`);
      }
    }
    assert.deepEqual(vb.fused.matMul({ a: [[1, 2]], b: [[1], [1]], transposeA: false, activation: 'relu' }).arraySync(), [[3]]);
    assert.throws(() => vb.fused.matMul({ a: [[1]], b: [[1]], activation: 'tanh' as never }), /Expected activation 'linear' or 'relu'\. Received: activation="tanh"/);
  });

  it('movement ops: transpose, slice, pad, concat, stack, gather, tile, broadcastTo', () => {
    const x = sample([2, 3, 5], 9);
    assertBits(vb.transpose(x.t, [2, 0, 1]), naive.transpose(x.nd, [2, 0, 1]), 'transpose');
    assertBits(vb.transpose(x.t), naive.transpose(x.nd, [2, 1, 0]), 'transpose default');
    assertBits(vb.slice(x.t, [1, 0, 2], [1, 3, 3]), naive.slice(x.nd, [1, 0, 2], [1, 3, 3]), 'slice');
    assertBits(vb.slice(x.t, [0, 1], [-1, 2]), naive.slice(x.nd, [0, 1, 0], [2, 2, 5]), 'slice -1');
    assertBits(vb.pad(x.t, [[1, 0], [0, 2], [3, 1]], 7), naive.pad(x.nd, [[1, 0], [0, 2], [3, 1]], 7), 'pad');
    const y = sample([2, 4, 5], 10);
    assertBits(vb.concat([x.t, y.t], 1), naive.concat([x.nd, y.nd], 1), 'concat');
    assertBits(vb.concat([x.t, x.t], -1), naive.concat([x.nd, x.nd], 2), 'concat -1');
    const s = vb.stack([x.t, x.t], 1);
    assert.deepEqual(s.shape, [2, 2, 3, 5]);
    const idx = intSample([2, 3], 3, 0, 3);
    assertBits(vb.gather(x.t, idx.t, 1), naive.gather(x.nd, idx.nd, 1), 'gather');
    assertBits(vb.tile(vb.tensor([[1, 2], [3, 4]]), [2, 3]), {
      shape: [4, 6], values: [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4],
    }, 'tile');
    assertBits(vb.broadcastTo(sample([3, 1], 4).t, [2, 3, 4]), naive.broadcastTo(sample([3, 1], 4).nd, [2, 3, 4]), 'broadcastTo');
    assert.deepEqual(vb.unstack(x.t, 1).map((t) => t.shape), [[2, 5], [2, 5], [2, 5]]);
    assert.deepEqual(vb.expandDims(x.t, -1).shape, [2, 3, 5, 1]);
    assert.deepEqual(vb.squeeze(vb.zeros([1, 3, 1])).shape, [3]);
    // One axis as a number, as TF.js and Keras take it (it was a TypeError, 'axis?.map is not a function').
    assert.deepEqual(vb.squeeze(vb.zeros([1, 3, 1]), 0).shape, [3, 1]);
    assert.deepEqual(vb.zeros([1, 3, 1]).squeeze(-1).shape, [1, 3]);
    assert.throws(() => vb.squeeze(vb.zeros([1, 3, 1]), 1), /squeeze: Expected every squeezed axis to have size 1\. Received: axis=1/);
    assert.deepEqual(vb.reshape(x.t, [5, -1]).shape, [5, 6]);
  });

  it('where, cast, clipByValue and oneHot', () => {
    const c = vb.tensor([true, false, true]);
    assert.deepEqual(vb.where(c, [1, 2, 3], [-1, -2, -3]).arraySync(), [1, -2, 3]);
    assert.deepEqual(vb.where(vb.tensor([[true], [false]]), 1, vb.zeros([2, 3])).arraySync(), [[1, 1, 1], [0, 0, 0]]);
    assert.deepEqual(vb.cast([1.7, -1.7, NaN, 3e10], 'int32').arraySync(), [1, -1, 0, 2147483647]);
    assert.deepEqual(vb.cast([0, 2, -0.5, NaN, -0, Infinity], 'bool').arraySync(), [0, 1, 1, 1, 0, 1], 'x != 0: NaN is true, as TensorFlow casts it');
    assert.deepEqual(vb.clipByValue([-3, 0.5, 9], -1, 1).arraySync(), [-1, 0.5, 1]);
    assert.deepEqual(vb.oneHot(vb.tensor([2, 0, 5], [3], 'int32'), 3).arraySync(), [[0, 0, 1], [1, 0, 0], [0, 0, 0]]);
    assert.deepEqual(vb.logicalAnd([true, true, false], [true, false, false]).arraySync(), [1, 0, 0]);
    assert.deepEqual(vb.logicalOr([true, false], [false, false]).arraySync(), [1, 0]);
    assert.deepEqual(vb.logicalNot([true, false]).arraySync(), [0, 1]);
  });

  it('activations agree with float64 definitions', () => {
    const x = sample([4, 9], 21, -5, 5);
    const v = x.nd.values;
    const check = (name: string, t: vb.Tensor, fn: (v: number) => number, rtol = 2e-6) =>
      assertClose(t.dataSync(), v.map(fn), name, rtol, 1e-6);
    check('relu6', vb.relu6(x.t), (a) => Math.min(Math.max(a, 0), 6));
    check('elu', vb.elu(x.t), (a) => (a > 0 ? a : Math.expm1(a)));
    check('selu', vb.selu(x.t), (a) => 1.0507009873554805 * (a > 0 ? a : 1.6732632423543772 * Math.expm1(a)));
    check('leakyRelu', vb.leakyRelu(x.t), (a) => (a > 0 ? a : 0.2 * a));
    check('softsign', vb.softsign(x.t), (a) => a / (1 + Math.abs(a)));
    check('swish', vb.swish(x.t), (a) => a / (1 + Math.exp(-a)));
    check('gelu', vb.gelu(x.t), (a) => 0.5 * a * (1 + erf64(a / Math.SQRT2)));
    check('gelu approximate', vb.gelu(x.t, true),
      (a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3))));
    const rows = [0, 1, 2, 3].map((r) => v.slice(r * 9, r * 9 + 9));
    const softmax64 = rows.flatMap((row) => {
      const m = Math.max(...row);
      const e = row.map((a) => Math.exp(a - m));
      const s = e.reduce((p, q) => p + q, 0);
      return e.map((a) => a / s);
    });
    assertClose(vb.softmax(x.t).dataSync(), softmax64, 'softmax', 1e-5, 1e-7);
    assertClose(vb.logSoftmax(x.t).dataSync(), softmax64.map(Math.log), 'logSoftmax', 1e-5, 1e-6);
    assertClose(vb.logSumExp(x.t, 1).dataSync(), rows.map((row) => Math.log(row.reduce((p, a) => p + Math.exp(a), 0))), 'logSumExp');
    assert.deepEqual(vb.logSumExp(vb.tensor([-Infinity, -Infinity])).arraySync(), -Infinity);
    assert.deepEqual(vb.softmax(vb.tensor([1000, 1000])).arraySync(), [0.5, 0.5]);
  });
});
