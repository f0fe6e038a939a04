/**
 * squaredDifference, floorDiv, mod, reverse, all, any, isNaN and norm against TF.js 4.22 (cpu):
 * values bit for bit where the op is one IEEE operation per element (or moves elements), within
 * the oracle tolerance where TF.js computes in float64 (its sums, its squared difference);
 * gradients against TF.js's; the chained methods; bad arguments.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { assertTensorClose, toTf } from './helpers/close.js';
import { rng } from './helpers/data.js';

before(async () => {
  await tf.setBackend('cpu');
});

const f = Math.fround;
/** float32 bits, every NaN as the canonical one (TF.js keeps the NaN its arithmetic made). */
const bits = (values: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(values).buffer), (b, i) => (Number.isNaN(values[i]) ? 0x7fc00000 : b));

/** Seeded float32 values in [lo, hi). */
function values(n: number, seed: number, lo = -4, hi = 4): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => f(lo + (hi - lo) * next()));
}

function assertSameBits(ours: vb.Tensor, theirs: tf.Tensor | ArrayLike<number>, label: string): void {
  if (theirs instanceof tf.Tensor) assert.deepEqual(ours.shape, theirs.shape, `${label}: shape`);
  assert.deepEqual(bits(ours.dataSync()), bits(theirs instanceof tf.Tensor ? theirs.dataSync() : theirs), label);
}

forEachBackend('TF.js arithmetic ops', () => {
  it('squaredDifference is fl(d d) with d = fl(a - b), within 1e-6 of TF.js (float64), broadcasting; int32 exact', () => {
    const a = vb.tensor(values(24, 1), [2, 3, 4]);
    const b = vb.tensor(values(4, 2), [4]);
    const ours = vb.squaredDifference(a, b);
    const av = a.dataSync();
    const bv = b.dataSync();
    assertSameBits(ours, Array.from(av, (v, i) => f(f(v - bv[i % 4]!) * f(v - bv[i % 4]!))), 'the canonical arithmetic');
    assertTensorClose(ours, tf.squaredDifference(toTf(a), toTf(b)), 'against TF.js', 1e-6);
    const ia = vb.tensor([7, -3, 0, 46340], [4], 'int32');
    const ib = vb.tensor([2, 5, -9, 0], [4], 'int32');
    const theirs = tf.squaredDifference(tf.tensor([7, -3, 0, 46340], [4], 'int32'), tf.tensor([2, 5, -9, 0], [4], 'int32'));
    assert.equal(vb.squaredDifference(ia, ib).dtype, 'int32');
    assert.deepEqual(Array.from(vb.squaredDifference(ia, ib).dataSync()), Array.from(theirs.dataSync()));
    assertSameBits(vb.squaredDifference([1.5, -2], 0.25), [f(1.25 * 1.25), f(2.25 * 2.25)], 'arrays and numbers');
  });

  it('floorDiv: float32 floor(fl(a / b)) with float32 out (TF.js gives int32), int32 floored, as TF.js', () => {
    const av = [...values(30, 3, -20, 20), 5.5, -5.5, 7, -7, 0, 1, -1];
    const bv = [...values(30, 4, 0.5, 3).map((v, i) => (i % 2 ? -v : v)), 2, 2, 0, 0, 3, Infinity, Infinity];
    const ours = vb.floorDiv(vb.tensor(av), vb.tensor(bv));
    assert.equal(ours.dtype, 'float32');
    assertSameBits(ours, av.map((a, i) => Math.floor(f(a / bv[i]!))), 'the canonical arithmetic');
    // TF.js casts to int32 (division by zero and overflow wrap): compare where its result is finite.
    const theirs = tf.floorDiv(tf.tensor(av), tf.tensor(bv)).dataSync();
    const finite = (i: number) => Number.isFinite(av[i]! / bv[i]!);
    // (+ 0: TF.js's int32 has no -0.)
    assert.deepEqual(Array.from(ours.dataSync(), (v) => v + 0).filter((_, i) => finite(i)), Array.from(theirs).filter((_, i) => finite(i)));
    const ia = [7, -7, 7, -7, 0, 5, -2147483648, 9];
    const ib = [2, 2, -2, -2, 3, 0, -1, 1];
    const intOurs = vb.floorDiv(vb.tensor(ia, [8], 'int32'), vb.tensor(ib, [8], 'int32'));
    assert.equal(intOurs.dtype, 'int32');
    assert.deepEqual(Array.from(intOurs.dataSync()), Array.from(tf.floorDiv(tf.tensor(ia, [8], 'int32'), tf.tensor(ib, [8], 'int32')).dataSync()));
    assertSameBits(vb.floorDiv(vb.tensor([[7], [-7]]), [2, -4]), [3, -2, -4, 1], 'broadcast');
  });

  it('mod is the floored remainder, bit for bit as TF.js (also -0, b = 0, int32 by zero)', () => {
    const av = [...values(40, 5, -50, 50), 5.5, -5.5, 7, -7, -0, 0, 1e-3, 3, 1e30, -1.25];
    const bv = [...values(40, 6, 0.1, 7).map((v, i) => (i % 3 ? v : -v)), 2, 2, 0, -2, 3, -3, -2, -0.75, 7, 0.5];
    const ours = vb.mod(vb.tensor(av), vb.tensor(bv));
    assertSameBits(ours, tf.mod(tf.tensor(av), tf.tensor(bv)), 'float32');
    assert.deepEqual(bits(ours.dataSync().slice(40, 48)), bits([1.5, 0.5, NaN, -1, -0, -0, f(f(1e-3) - 2), -0]), 'a zero takes b\'s sign, but -0 % 3 is -0');
    // A divisor of +-Infinity: a where the signs agree, else +-Infinity (TensorFlow and Python; TF.js: NaN).
    assertSameBits(vb.mod([-1, 1, 2], [Infinity, -Infinity, Infinity]), [Infinity, -Infinity, 2], 'infinite divisor');
    const ia = [7, -7, 7, -7, 0, 5, -2147483648, -2147483648, 13];
    const ib = [3, 3, -3, -3, 4, 0, -1, 7, -5];
    const intOurs = vb.mod(vb.tensor(ia, [9], 'int32'), vb.tensor(ib, [9], 'int32'));
    assert.equal(intOurs.dtype, 'int32');
    assert.deepEqual(Array.from(intOurs.dataSync()), Array.from(tf.mod(tf.tensor(ia, [9], 'int32'), tf.tensor(ib, [9], 'int32')).dataSync()));
    assertSameBits(vb.mod(vb.tensor([[7.5], [-7.5]]), [2, -4]), [1.5, -0.5, 0.5, -3.5], 'broadcast');
    // fl(r + b) is b itself where a is negligible next to b (TensorFlow and Python); TF.js adds in
    // float64, where the sum is b exactly, and takes % b again: 0.
    assertSameBits(vb.mod([-1, 1, -1e-45, 1e-45], [1e30, -1e30, 7, -1]), [f(1e30), -f(1e30), 7, -1], 'fl(r + b) rounding to b');
    assert.deepEqual(bits(tf.mod(tf.tensor([-1, 1, -1e-45, 1e-45]), tf.tensor([1e30, -1e30, 7, -1])).dataSync()), bits([0, -0, 0, -0]), 'TF.js');
  });

  it('isNaN gives bool, true only for NaN, as TF.js', () => {
    const xs = [NaN, 1, -Infinity, Infinity, 0, -0];
    const ours = vb.isNaN(vb.tensor(xs));
    assert.equal(ours.dtype, 'bool');
    assert.deepEqual(Array.from(ours.dataSync()), Array.from(tf.isNaN(tf.tensor(xs)).dataSync()));
    assert.deepEqual(Array.from(vb.isNaN(vb.tensor([1, 2], [2], 'int32')).dataSync()), [0, 0]);
    assert.deepEqual(Array.from(vb.isNaN(vb.div(vb.zeros([2]), vb.zeros([2]))).dataSync()), [1, 1]);
  });

  it('reverse moves elements as TF.js: every axis by default, one, several, negative', () => {
    const x = vb.tensor(values(60, 7), [3, 4, 5]);
    for (const axis of [undefined, 0, 1, -1, [0, 2], [2, 0, 1], []] as (number | number[] | undefined)[]) {
      assertSameBits(vb.reverse(x, axis), tf.reverse(toTf(x), axis), `axis ${JSON.stringify(axis)}`);
    }
    assert.deepEqual(vb.reverse(vb.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), 1).arraySync(), [[2, 1], [4, 3]]);
    assert.deepEqual(vb.reverse(vb.tensor([true, false, false])).arraySync(), [0, 0, 1]);
    assert.deepEqual(vb.reverse(vb.zeros([0, 3]), 0).shape, [0, 3]);
    const s = vb.scalar(2.5);
    const r = vb.reverse(s);
    assert.equal(r.arraySync(), 2.5);
    assert.notEqual(r, s, 'a new tensor, which the caller may dispose');
  });
});

forEachBackend('TF.js reductions all, any, norm', () => {
  it('all and any reduce as TF.js over axes with keepDims; numbers count when non-zero; empty: all true, any false', () => {
    const mask = [1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1];
    const ours = vb.tensor(mask, [2, 3, 2], 'bool');
    const theirs = tf.tensor(mask, [2, 3, 2], 'bool');
    for (const [axis, keepDims] of [[undefined, false], [0, false], [1, true], [-1, false], [[0, 2], false], [[0, 1, 2], true]] as const) {
      for (const name of ['all', 'any'] as const) {
        const o = vb[name](ours, axis as never, keepDims);
        const t = tf[name](theirs, axis as never, keepDims);
        assert.equal(o.dtype, 'bool');
        assert.deepEqual(o.shape, t.shape, `${name} ${JSON.stringify(axis)}`);
        assert.deepEqual(Array.from(o.dataSync()), Array.from(t.dataSync()), `${name} ${JSON.stringify(axis)} ${keepDims}`);
      }
    }
    assert.deepEqual(vb.all([[1, 0], [2, 3]], 1).arraySync(), [0, 1]);
    assert.deepEqual(vb.any(vb.tensor([[0, 0], [0, -0.5]]), 1).arraySync(), [0, 1]);
    assert.equal(vb.all(vb.tensor([NaN])).arraySync(), 1, 'NaN is non-zero');
    // Also in numbers given as an array, which become a bool tensor (TF.js: true too).
    assert.equal(vb.all([NaN, 2]).arraySync(), 1, 'NaN in an array is non-zero');
    assert.equal(vb.any([0, NaN]).arraySync(), 1);
    assert.equal(vb.all([NaN]).arraySync(), tf.all([NaN]).arraySync());
    assert.deepEqual(Array.from(vb.tensor([NaN, -0, 0.5], [3], 'bool').dataSync()), [1, 0, 1], 'as cast: non-zero is true');
    assert.deepEqual(Array.from(vb.tensor([NaN, -0, 0.5], [3], 'bool').dataSync()), Array.from(vb.cast(vb.tensor([NaN, -0, 0.5]), 'bool').dataSync()));
    assert.equal(vb.all(vb.tensor([], [0], 'bool')).arraySync(), 1);
    assert.equal(vb.any(vb.tensor([], [0], 'bool')).arraySync(), 0);
    assert.deepEqual(vb.all(vb.zeros([2, 0], 'bool'), 1).arraySync(), [1, 1]);
  });

  it('norm: vector and matrix orders, axes and keepDims as TF.js (sums within 1e-6: TF.js sums in float64)', () => {
    const x = vb.tensor(values(24, 8), [2, 3, 4]);
    const cases: [vb.NormOrder, number | number[] | null, boolean][] = [
      ['euclidean', null, false], [2, null, true], [1, null, false], [Infinity, null, false], [-Infinity, null, false],
      ['euclidean', 1, false], [2, -1, true], [1, 0, false], [Infinity, [2], false], [-Infinity, 1, true],
      ['euclidean', [0, 2], false], ['fro', [1, 2], true], [1, [1, 2], false], [1, [0, 1], true], [Infinity, [1, 2], false],
      [-Infinity, [0, 2], false], [-Infinity, [1, 2], true],
    ];
    for (const [ord, axis, keepDims] of cases) {
      const label = `norm ${String(ord)} ${JSON.stringify(axis)} ${keepDims}`;
      assertTensorClose(vb.norm(x, ord, axis, keepDims), tf.norm(toTf(x), ord as never, axis as never, keepDims), label, 1e-6);
    }
    // Negative matrix axes (TF.js applies its second reduction to the wrong axis of the first's result).
    for (const ord of [1, Infinity, -Infinity] as const) assertSameBits(vb.norm(x, ord, [-2, -1]), vb.norm(x, ord, [1, 2]).dataSync(), `norm ${ord} [-2, -1]`);
    const v = vb.tensor([3, -4]);
    assert.equal(vb.norm(v).arraySync(), 5);
    assert.equal(vb.norm(v, 1).arraySync(), 7);
    assert.equal(vb.norm(v, Infinity).arraySync(), 4);
    assert.equal(vb.norm(vb.scalar(-3e30)).arraySync(), f(3e30), 'a scalar: its absolute value, no overflow');
    assert.equal(vb.norm(vb.tensor([3, -4], [2], 'int32')).dtype, 'float32');
    // The canonical order: sqrt of sum's left-to-right float32 sum of fl(x x).
    const xv = x.dataSync();
    let acc = 0;
    for (const value of xv) acc = f(acc + f(value * value));
    assertSameBits(vb.norm(x), [f(Math.sqrt(acc))], 'sqrt(sum(x x)) in sum order');
    // No elements: the max (min) of nothing, as TensorFlow; TF.js gives NaN (README).
    assertSameBits(vb.norm(vb.zeros([0]), Infinity), [-Infinity], 'empty, Infinity');
    assertSameBits(vb.norm(vb.zeros([0]), -Infinity), [Infinity], 'empty, -Infinity');
    assert.ok(Number.isNaN(tf.norm(tf.zeros([0]), Infinity).dataSync()[0]));
  });
});

it('gradients match TF.js: squaredDifference, mod, reverse, norm; floorDiv has none (zero, as TensorFlow)', () => {
  const a = vb.tensor(values(12, 9, 1, 9), [3, 4]);
  // (TF.js's squaredDifference gradient does not sum a broadcast operand back: same shapes here.)
  const b = vb.tensor(values(12, 10, 0.5, 2).map((v, i) => (i % 3 ? v : -v)), [3, 4]);
  const probe = vb.tensor(values(12, 11), [3, 4]);
  const pairs: [string, (x: vb.Tensor, y: vb.Tensor) => vb.Tensor, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor][] = [
    ['squaredDifference', vb.squaredDifference, tf.squaredDifference],
    ['mod', vb.mod, tf.mod],
    ['reverse', (x, y) => vb.mul(vb.reverse(x, [0, 1]), y), (x, y) => tf.mul(tf.reverse(x, [0, 1]), y)],
  ];
  for (const [name, ours, theirs] of pairs) {
    const g = vb.grads((x: vb.Tensor, y: vb.Tensor) => vb.sum(vb.mul(ours(x, y), probe)))([a, b]);
    const t = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(theirs(x, y), toTf(probe))))([toTf(a), toTf(b)]);
    g.forEach((gi, i) => assertTensorClose(gi, t[i]!, `${name}: d/d input ${i}`));
  }
  const x = vb.tensor(values(12, 12), [3, 4]);
  const norms: [vb.NormOrder, number | number[] | null][] = [['euclidean', null], [2, 1], [1, 0], [Infinity, 1], [-Infinity, null], ['fro', [0, 1]], [1, [0, 1]], [Infinity, [0, 1]]];
  for (const [ord, axis] of norms) {
    const ours = vb.grad((t: vb.Tensor) => vb.sum(vb.norm(t, ord, axis)))(x);
    const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.norm(t, ord as never, axis as never)))(toTf(x));
    assertTensorClose(ours, theirs, `norm ${String(ord)} ${JSON.stringify(axis)}`);
  }
  const [da, db] = vb.grads((p: vb.Tensor, q: vb.Tensor) => vb.sum(vb.floorDiv(p, q)))([a, b]);
  assert.deepEqual([...da!.dataSync(), ...db!.dataSync()].filter((v) => v !== 0), []);
  // Also where div's own gradient is not finite (b = 0, a quotient that overflows): zeros, not
  // 0 times Infinity (NaN), which would make every weight it reaches NaN.
  const [za, zb] = vb.grads((p: vb.Tensor, q: vb.Tensor) => vb.sum(vb.floorDiv(p, q)))([vb.tensor([1, -3, 0, 5, 2]), vb.tensor([0, 0, 0, 1e-40, 3])]);
  assert.deepEqual([...za!.dataSync(), ...zb!.dataSync()], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const broadcast = vb.grads((p: vb.Tensor, q: vb.Tensor) => vb.sum(vb.floorDiv(p, q)))([vb.ones([2, 3]), vb.tensor([0])]);
  assert.deepEqual(broadcast.map((g) => [g.shape, [...g.dataSync()]]), [[[2, 3], [0, 0, 0, 0, 0, 0]], [[1], [0]]]);
});

it('the ops are tensor methods, as in TF.js', () => {
  const x = vb.tensor(values(6, 13), [2, 3]);
  const y = vb.tensor(values(3, 14, 0.5, 2), [3]);
  assertSameBits(x.squaredDifference(y), vb.squaredDifference(x, y).dataSync(), 'squaredDifference');
  assertSameBits(x.floorDiv(y), vb.floorDiv(x, y).dataSync(), 'floorDiv');
  assertSameBits(x.mod(y), vb.mod(x, y).dataSync(), 'mod');
  assertSameBits(x.reverse(1), vb.reverse(x, 1).dataSync(), 'reverse');
  assertSameBits(x.norm(1, 0, true), vb.norm(x, 1, 0, true).dataSync(), 'norm');
  assert.deepEqual(x.isNaN().arraySync(), vb.isNaN(x).arraySync());
  const m = vb.greater(x, 0);
  assert.deepEqual(m.all(1).arraySync(), vb.all(m, 1).arraySync());
  assert.deepEqual(m.any(0, true).arraySync(), vb.any(m, 0, true).arraySync());
  assertSameBits(x.batchNorm(y, vb.tensor([1, 2, 3]), undefined, undefined, 0.01), vb.batchNorm(x, y, vb.tensor([1, 2, 3]), undefined, undefined, 0.01).dataSync(), 'batchNorm');
  assertSameBits(x.mirrorPad([[1, 1], [2, 2]], 'symmetric'), vb.mirrorPad(x, [[1, 1], [2, 2]], 'symmetric').dataSync(), 'mirrorPad');
  const images = vb.reshape(x, [1, 2, 3, 1]);
  assertSameBits(images.resizeBilinear([3, 4], false, true), vb.image.resizeBilinear(images, [3, 4], false, true).dataSync(), 'resizeBilinear');
  assertSameBits(images.resizeNearestNeighbor([4, 2]), vb.image.resizeNearestNeighbor(images, [4, 2]).dataSync(), 'resizeNearestNeighbor');
});

it('reductions name themselves for a scalar with an axis, and take keepDims only as true or false', () => {
  for (const [name, reduce] of [['sum', vb.sum], ['mean', vb.mean], ['variance', vb.variance], ['moments', vb.moments], ['logSumExp', vb.logSumExp], ['max', vb.max], ['all', vb.all]] as const) {
    assert.throws(() => (reduce as (x: vb.Tensor, axis: number) => unknown)(vb.scalar(2), 0), new RegExp(`^ValueError: ${name}: Expected no axis for a scalar x\\. Received: axis=0`), name);
    // A truthy non-boolean kept the dimensions silently.
    assert.throws(() => (reduce as (x: vb.Tensor, axis: number, keepDims: unknown) => unknown)(vb.ones([2, 2]), 1, 'yes'), new RegExp(`^ValueError: ${name}: Expected keepDims to be true or false\\. Received: keepDims="yes"`), name);
  }
  assert.throws(() => vb.norm(vb.ones([2]), 'euclidean', 0, 1 as unknown as boolean), /^ValueError: norm: Expected keepDims to be true or false\. Received: keepDims=1/);
  assert.deepEqual(vb.sum(vb.ones([2, 2]), 1, null as unknown as boolean).shape, [2], 'null is false, as TF.js reads it');
  // softmax and logSoftmax of a scalar over axis 0 failed as max's 'Expected no axis for a scalar x' (TF.js refuses a scalar too).
  for (const [name, fn] of [['softmax', vb.softmax], ['logSoftmax', vb.logSoftmax]] as const) {
    for (const axis of [0, -1]) assert.throws(() => fn(vb.scalar(2), axis), new RegExp(`^ValueError: ${name}: Expected logits of rank at least 1\\. Received: logits\\.shape=\\[\\]`), `${name} axis ${axis}`);
  }
});

it('bad arguments are errors naming them', () => {
  const x = vb.zeros([2, 3]);
  const flags = vb.tensor([true, false]);
  assert.throws(() => vb.floorDiv(flags, flags), /floorDiv: Expected a and b of dtype float32 or int32\. Received: a\.dtype="bool"/);
  assert.throws(() => vb.squaredDifference(flags, true), /squaredDifference: Expected a and b of dtype float32 or int32/);
  assert.throws(() => vb.all(vb.scalar(true), 0), /^ValueError: all: Expected no axis for a scalar x\. Received: axis=0/, 'not min\'s error');
  assert.throws(() => vb.any(vb.scalar(1), [0]), /^ValueError: any: Expected no axis for a scalar x\. Received: axis=\[0\]/);
  assert.equal(vb.all(vb.scalar(true), []).arraySync(), 1);
  // Shapes that do not broadcast: the error names the op called, not sub or div inside it.
  assert.throws(() => vb.squaredDifference(vb.zeros([2, 2]), vb.zeros([3])), /^ValueError: squaredDifference: Expected shapes that broadcast .*Received: shapes\[0\]=\[2, 2\], shapes\[1\]=\[3\]/);
  assert.throws(() => vb.floorDiv(vb.zeros([2, 2]), vb.zeros([3])), /^ValueError: floorDiv: Expected shapes that broadcast/);
  assert.throws(() => vb.mod(flags, flags), /mod: Expected a of dtype float32 or int32\. Received: a\.dtype="bool"/);
  assert.throws(() => vb.mod(vb.zeros([2]), vb.zeros([3])), /mod/);
  assert.throws(() => vb.reverse(x, 2), /reverse: Expected axis to be an integer in \[-2, 2\)\. Received: axis=2/);
  assert.throws(() => vb.reverse(x, [1, -1]), /reverse: Expected distinct axes/);
  assert.throws(() => vb.reverse(vb.scalar(1), 0), /reverse: Expected no axis for a scalar x\. Received: axis=0/);
  assert.throws(() => vb.all(x, 3), /all: Expected axis to be an integer in \[-2, 2\)\. Received: axis=3/);
  assert.throws(() => vb.norm(x, 3), /norm: Expected ord among "euclidean", 2, 1, Infinity, -Infinity for a vector norm\. Received: ord=3/);
  assert.throws(() => vb.norm(x, 'fro'), /Expected ord among .* for a vector norm\. Received: ord="fro"/);
  assert.throws(() => vb.norm(x, 2, [0, 1]), /norm: Expected ord among "euclidean", "fro", 1, Infinity, -Infinity for a matrix norm\. Received: ord=2/);
  assert.throws(() => vb.norm(x, 1, [0, -2]), /norm: Expected axis null, one axis or two distinct axes of x/);
  assert.throws(() => vb.norm(vb.zeros([2, 2, 2]), 1, [0, 1, 2]), /two distinct axes/);
  // An axis that is neither a number nor a list crashed with 'axes is not iterable'.
  for (const [name, call] of [['reverse', () => vb.reverse(x, {} as never)], ['all', () => vb.all(x, {} as never)], ['any', () => vb.any(x, true as never)], ['norm', () => vb.norm(x, 2, {} as never)]] as const) {
    assert.throws(call, new RegExp(`^ValueError: ${name}: Expected axis to be an integer or a list of integers\\. Received: axis=`), name);
  }
  // No axes is no norm (TF.js: 'invalid axis'), not |x| element by element.
  assert.throws(() => vb.norm(x, 'euclidean', []), /norm: Expected axis null, one axis or two distinct axes of x\. Received: axis=\[\], x\.shape=\[2, 3\]/);
  assert.throws(() => tf.norm(tf.zeros([2, 3]), 'euclidean', []), /invalid axis/);
  assert.throws(() => vb.norm(x, 1, 2), /norm: Expected axis to be an integer in \[-2, 2\)/);
  assert.throws(() => vb.isNaN('a' as never), /isNaN: Expected x to be a Tensor/);
});
