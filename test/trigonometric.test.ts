/**
 * tan, asin, acos, atan, atan2, sinh, cosh, asinh, acosh and atanh: within their documented
 * ULP bounds (NUMERICS.md) of float64 Math over a float32 sweep and dense runs of floats at their
 * edges; IEEE's and TF.js's special values, every NaN the canonical one; the reference backend
 * and the WASM kernels bit for bit; TF.js 4.22 (cpu) as an oracle for values and gradients; the
 * tensor methods.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { rng } from './helpers/data.js';
import { float32Sweep, ulpDistance } from './helpers/float64-reference.js';

before(async () => {
  await tf.setBackend('cpu');
});

const f = Math.fround;
type Unary = 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'asinh' | 'acosh' | 'atanh';

/** Each op, its float64 reference, its documented bound in ULP, and where that bound holds. */
const UNARY: [Unary, (x: number) => number, number, ((x: number) => boolean)?][] = [
  ['tan', Math.tan, 3, (x) => Math.abs(x) < 2 ** 28],
  ['asin', Math.asin, 2],
  ['acos', Math.acos, 2],
  ['atan', Math.atan, 1],
  ['sinh', Math.sinh, 2],
  ['cosh', Math.cosh, 2],
  ['asinh', Math.asinh, 2],
  ['acosh', Math.acosh, 2],
  ['atanh', Math.atanh, 2],
];

/** count consecutive float32 values from `from` upward. */
function run(from: number, count: number): number[] {
  const floats = new Float32Array(1);
  const words = new Int32Array(floats.buffer);
  floats[0] = from;
  return Array.from({ length: count }, () => {
    const v = floats[0]!;
    words[0] = v < 0 || Object.is(v, -0) ? words[0]! - 1 : words[0]! + 1;
    if (Object.is(v, -0)) floats[0] = 0;
    return v;
  });
}

/** Where the compositions switch formula or the result is steep: dense runs of floats there. */
const EDGES = [
  ...[-1, 0.5 - 2e-6, 1 - 4e-5, 1e-4 - 1e-9, 0.4375 - 1e-6, 1.1875 - 1e-6, 2.4375 - 1e-6, 88 - 5e-4, 89.4, 4096 - 0.05].map((x) => run(f(x), 40000)),
  run(f(Math.PI / 2 - 1e-3), 40000), run(f(-3 * Math.PI / 2 - 1e-3), 40000), run(f(1 - 1e-7), 100),
].flat().flatMap((x) => [x, -x]);

const INPUTS = Float32Array.from([...float32Sweep(1009), ...EDGES]);

const bitsOf = (values: ArrayLike<number>) => new Uint32Array(Float32Array.from(values).buffer);

describe('trigonometric and hyperbolic ops', () => {
  it('are within their ULP bounds of float64 Math over the float32 sweep and at their edges', () => {
    for (const [name, reference, bound, where = () => true] of UNARY) {
      const ours = vb.tidy(() => vb[name](vb.tensor(INPUTS)).dataSync());
      let worst = 0;
      let worstAt = 0;
      INPUTS.forEach((x, i) => {
        if (!where(x)) return;
        const d = ulpDistance(ours[i]!, f(reference(x)));
        if (d > worst) {
          worst = d;
          worstAt = x;
        }
      });
      assert.ok(worst <= bound, `${name}: ${worst} ULP at x = ${worstAt} (bound ${bound})`);
    }
  });

  it('atan2(a, b) is within 1 ULP of Math.atan2 on random pairs, broadcasting a column against a row', () => {
    const next = rng(31);
    const column = Array.from({ length: 300 }, (_, i) => f((next() * 2 - 1) * 2 ** ((i % 40) - 20)));
    const row = Array.from({ length: 300 }, (_, i) => f((next() * 2 - 1) * 2 ** ((i % 41) - 20)));
    const ours = vb.tidy(() => vb.atan2(vb.tensor(column, [300, 1]), vb.tensor(row)).dataSync());
    let worst = 0;
    column.forEach((a, i) => row.forEach((b, j) => { worst = Math.max(worst, ulpDistance(ours[i * 300 + j]!, f(Math.atan2(a, b)))); }));
    assert.ok(worst <= 1, `atan2: ${worst} ULP`);
  });

  it('give IEEE\'s special values, every NaN the canonical 0x7fc00000', () => {
    const half = f(Math.PI / 2);
    const cases: [Unary, number[], number[]][] = [
      ['tan', [0, -0, Infinity, -Infinity, NaN], [0, -0, NaN, NaN, NaN]],
      ['asin', [0, -0, 1, -1, f(1 + 2 ** -23), -2, Infinity, NaN], [0, -0, half, -half, NaN, NaN, NaN, NaN]],
      ['acos', [1, -1, 0, -0, f(1 + 2 ** -23), -Infinity, NaN], [0, f(Math.PI), half, half, NaN, NaN, NaN]],
      ['atan', [0, -0, Infinity, -Infinity, 1e30, NaN], [0, -0, half, -half, half, NaN]],
      ['sinh', [0, -0, Infinity, -Infinity, 89.5, -89.5, NaN], [0, -0, Infinity, -Infinity, Infinity, -Infinity, NaN]],
      ['cosh', [0, -0, Infinity, -Infinity, 89.5, NaN], [1, 1, Infinity, Infinity, Infinity, NaN]],
      ['asinh', [0, -0, Infinity, -Infinity, NaN], [0, -0, Infinity, -Infinity, NaN]],
      ['acosh', [1, f(1 - 2 ** -24), 0, -1, -1e10, -Infinity, Infinity, NaN], [0, NaN, NaN, NaN, NaN, NaN, Infinity, NaN]],
      ['atanh', [0, -0, 1, -1, f(1 + 2 ** -23), -Infinity, NaN], [0, -0, Infinity, -Infinity, NaN, NaN, NaN]],
    ];
    for (const [name, xs, want] of cases) {
      const got = vb.tidy(() => vb[name](vb.tensor(xs)).dataSync());
      assert.deepEqual(Array.from(bitsOf(got)), Array.from(bitsOf(want), (b, i) => (Number.isNaN(want[i]) ? 0x7fc00000 : b)), `${name}(${xs.join(', ')})`);
    }
  });

  it('atan2 has C\'s signed zeros and infinities', () => {
    const specials = [0, -0, 2, -2, Infinity, -Infinity, NaN];
    const a = specials.flatMap((y) => specials.map(() => y));
    const b = specials.flatMap(() => specials);
    const got = vb.tidy(() => vb.atan2(vb.tensor(a), vb.tensor(b)).dataSync());
    const want = a.map((y, i) => (Number.isNaN(Math.atan2(y, b[i]!)) ? NaN : f(Math.atan2(y, b[i]!))));
    assert.deepEqual(Array.from(bitsOf(got)), Array.from(bitsOf(want), (w, i) => (Number.isNaN(want[i]) ? 0x7fc00000 : w)));
  });

  it('give the reference backend\'s bits on the WASM kernels', (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('WebAssembly SIMD is unavailable here');
    const previous = vb.getBackend();
    const ops: [string, (x: vb.Tensor) => vb.Tensor][] = [
      ...UNARY.map(([name]) => [name, vb[name]] as [string, (x: vb.Tensor) => vb.Tensor]),
      ['atan2(x, reversed x)', (x) => vb.atan2(x, vb.reverse(x))],
    ];
    // Every other input: the reference backend is slow on millions of elements.
    const inputs = INPUTS.filter((_, i) => i % 2 === 0);
    try {
      for (const [name, op] of ops) {
        const on = (backend: string) => {
          vb.setBackend(backend);
          return vb.tidy(() => bitsOf(op(vb.tensor(inputs)).dataSync()));
        };
        const expected = on('reference');
        const actual = on('wasm');
        const first = expected.findIndex((bits, i) => bits !== actual[i]);
        assert.equal(first, -1, `${name}: x = ${inputs[first]}: reference 0x${expected[first]?.toString(16)}, wasm 0x${actual[first]?.toString(16)}`);
      }
    } finally {
      vb.setBackend(previous);
    }
  });

  it('agree with TF.js within their bounds, NaN where TF.js has NaN; int32 inputs give float32', () => {
    const next = rng(5);
    const xs = [...Array.from({ length: 2000 }, (_, i) => f((next() * 2 - 1) * 2 ** ((i % 16) - 6))), 0, -0, 1, -1, Infinity, -Infinity, NaN];
    const compare = (name: string, ours: ArrayLike<number>, theirs: ArrayLike<number>, bound: number, where: (x: number) => boolean) => {
      xs.forEach((x, i) => {
        if (where(x)) assert.ok(ulpDistance(ours[i]!, theirs[i]!) <= bound, `${name}(${x}): verbatim ${ours[i]}, TF.js ${theirs[i]}`);
      });
    };
    for (const [name, , bound, where = () => true] of UNARY) {
      compare(name, vb.tidy(() => vb[name](vb.tensor(xs)).dataSync()), tf.tidy(() => tf[name](tf.tensor(xs)).dataSync()), bound, where);
    }
    const ours = vb.tidy(() => vb.atan2(vb.tensor(xs), vb.sub(0.3, vb.tensor(xs))).dataSync());
    compare('atan2(x, 0.3 - x) of', ours, tf.tidy(() => tf.atan2(tf.tensor(xs), tf.sub(0.3, tf.tensor(xs))).dataSync()), 1, () => true);
    const ints = vb.tensor([1, 2, 3], [3], 'int32');
    assert.equal(vb.atanh(ints).dtype, 'float32');
    assert.deepEqual(Array.from(bitsOf(vb.asinh(ints).dataSync())), Array.from(bitsOf(vb.asinh([1, 2, 3]).dataSync())));
    assert.deepEqual(Array.from(vb.atan2(vb.tensor([1, -3], [2], 'int32'), 2).dataSync()), [f(Math.atan2(1, 2)), f(Math.atan2(-3, 2))]);
  });

  it('have TF.js\'s gradients', () => {
    const cases: [Unary | 'atan2', number, number][] = [
      ['tan', -1.4, 1.4], ['asin', -0.95, 0.95], ['acos', -0.95, 0.95], ['atan', -20, 20], ['atan2', -3, 3],
      ['sinh', -5, 5], ['cosh', -5, 5], ['asinh', -20, 20], ['acosh', 1.01, 20], ['atanh', -0.95, 0.95],
    ];
    for (const [index, [name, lo, hi]] of cases.entries()) {
      const next = rng(100 + index);
      const xs = Array.from({ length: 64 }, () => f(lo + (hi - lo) * next()));
      const w = Array.from({ length: 64 }, () => f(next() * 2 - 1));
      const ours = vb.tidy(() => {
        const wt = vb.tensor(w);
        const g = name === 'atan2'
          ? vb.grads((a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.mul(vb.atan2(a, b), wt)))([vb.tensor(xs), vb.reverse(vb.tensor(xs))])
          : [vb.grad((x: vb.Tensor) => vb.sum(vb.mul(vb[name](x), wt)))(vb.tensor(xs))];
        return g.map((t) => Array.from(t.dataSync()));
      });
      const theirs = tf.tidy(() => {
        const wt = tf.tensor(w);
        const g = name === 'atan2'
          ? tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.atan2(a, b), wt)))([tf.tensor(xs), tf.reverse(tf.tensor(xs))])
          : [tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf[name](x), wt)))(tf.tensor(xs))];
        return g.map((t) => Array.from(t.dataSync()));
      });
      ours.forEach((g, k) => g.forEach((v, i) => {
        const t = theirs[k]![i]!;
        assert.ok(Math.abs(v - t) <= 1e-5 * Math.abs(t) + 1e-6, `${name}: d/d input ${k} at ${xs[i]}: verbatim ${v}, TF.js ${t}`);
      }));
    }
  });

  it('are tensor methods, as in TF.js', () => {
    const x = vb.tensor([-0.75, -0.1, 0.2, 0.6]);
    for (const [name] of UNARY) assert.deepEqual(Array.from(bitsOf(x[name]().dataSync())), Array.from(bitsOf(vb[name](x).dataSync())), `x.${name}()`);
    assert.deepEqual(Array.from(x.atan2(vb.reverse(x)).dataSync()), Array.from(vb.atan2(x, vb.reverse(x)).dataSync()));
    assert.throws(() => vb.atan2(vb.zeros([2]), vb.zeros([3])), /atan2/);
    assert.throws(() => vb.acosh('one' as never), /acosh: Expected x to be a Tensor/);
  });
});
