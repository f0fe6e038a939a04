/**
 * Gradients of every differentiable op against central finite differences of the naive
 * float64 model: L = sum(op(inputs) * w) for a fixed random w.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { assertClose, rng } from './helpers/data.js';
import * as naive from './helpers/naive.js';
import { erf64 } from './helpers/float64-reference.js';

type NArray = naive.NArray;
const F64 = naive.F64;

interface Input {
  shape: number[];
  lo?: number;
  hi?: number;
  values?: number[];
}

interface GradCase {
  name: string;
  inputs: Input[];
  f: (...xs: vb.Tensor[]) => vb.Tensor;
  reference: (...xs: NArray[]) => NArray;
}

const u = (fn: (v: number) => number) => (x: NArray) => naive.map(x, fn);
const sigmoid64 = (v: number) => 1 / (1 + Math.exp(-v));
const add = (a: NArray, b: NArray) => naive.zip(a, b, (p, q) => p + q);
const mul = (a: NArray, b: NArray) => naive.zip(a, b, (p, q) => p * q);
const scale = (a: NArray, s: number) => naive.map(a, (p) => p * s);
const sumAxes = (x: NArray, axes: number[], keep = false): NArray => {
  const r = naive.sum(x, axes, F64);
  return keep ? { shape: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)), values: r.values } : r;
};
const softmax64 = (x: NArray): NArray => {
  const m = naive.reduce(x, [x.shape.length - 1], -Infinity, Math.max);
  const e = naive.zip(x, { shape: [...m.shape, 1], values: m.values }, (a, b) => Math.exp(a - b));
  const s = sumAxes(e, [x.shape.length - 1], true);
  return naive.zip(e, s, (a, b) => a / b);
};

const CASES: GradCase[] = [
  { name: 'neg', inputs: [{ shape: [5] }], f: vb.neg, reference: u((v) => -v) },
  { name: 'abs', inputs: [{ shape: [5], values: [-2, -0.5, 0.3, 1, 3] }], f: vb.abs, reference: u(Math.abs) },
  { name: 'sqrt', inputs: [{ shape: [5], lo: 0.5, hi: 4 }], f: vb.sqrt, reference: u(Math.sqrt) },
  { name: 'exp', inputs: [{ shape: [5] }], f: vb.exp, reference: u(Math.exp) },
  { name: 'sin', inputs: [{ shape: [5] }], f: vb.sin, reference: u(Math.sin) },
  { name: 'cos', inputs: [{ shape: [5] }], f: vb.cos, reference: u(Math.cos) },
  { name: 'tan', inputs: [{ shape: [5], lo: -1.4, hi: 1.4 }], f: vb.tan, reference: u(Math.tan) },
  { name: 'asin', inputs: [{ shape: [5], lo: -0.95, hi: 0.95 }], f: vb.asin, reference: u(Math.asin) },
  { name: 'acos', inputs: [{ shape: [5], lo: -0.95, hi: 0.95 }], f: vb.acos, reference: u(Math.acos) },
  { name: 'atan', inputs: [{ shape: [5], lo: -4, hi: 4 }], f: vb.atan, reference: u(Math.atan) },
  {
    name: 'atan2 (broadcast)', inputs: [{ shape: [3, 1] }, { shape: [4] }], f: vb.atan2,
    reference: (a, b) => naive.zip(a, b, Math.atan2),
  },
  { name: 'sinh', inputs: [{ shape: [5], lo: -4, hi: 4 }], f: vb.sinh, reference: u(Math.sinh) },
  { name: 'cosh', inputs: [{ shape: [5], lo: -4, hi: 4 }], f: vb.cosh, reference: u(Math.cosh) },
  { name: 'asinh', inputs: [{ shape: [5], lo: -4, hi: 4 }], f: vb.asinh, reference: u(Math.asinh) },
  { name: 'acosh', inputs: [{ shape: [5], lo: 1.1, hi: 5 }], f: vb.acosh, reference: u(Math.acosh) },
  { name: 'atanh', inputs: [{ shape: [5], lo: -0.95, hi: 0.95 }], f: vb.atanh, reference: u(Math.atanh) },
  { name: 'expm1', inputs: [{ shape: [5] }], f: vb.expm1, reference: u(Math.expm1) },
  { name: 'log', inputs: [{ shape: [5], lo: 0.5, hi: 4 }], f: vb.log, reference: u(Math.log) },
  { name: 'log1p', inputs: [{ shape: [5], lo: -0.5, hi: 4 }], f: vb.log1p, reference: u(Math.log1p) },
  { name: 'tanh', inputs: [{ shape: [5] }], f: vb.tanh, reference: u(Math.tanh) },
  { name: 'sigmoid', inputs: [{ shape: [5] }], f: vb.sigmoid, reference: u(sigmoid64) },
  { name: 'softplus', inputs: [{ shape: [5] }], f: vb.softplus, reference: u((v) => Math.log1p(Math.exp(v))) },
  { name: 'erf', inputs: [{ shape: [5] }], f: vb.erf, reference: u(erf64) },
  { name: 'relu', inputs: [{ shape: [4], values: [-1.5, -0.2, 0.4, 2] }], f: vb.relu, reference: u((v) => Math.max(v, 0)) },
  { name: 'square', inputs: [{ shape: [5] }], f: vb.square, reference: u((v) => v * v) },
  { name: 'add (broadcast)', inputs: [{ shape: [3, 1] }, { shape: [1, 4] }], f: vb.add, reference: add },
  { name: 'sub (broadcast)', inputs: [{ shape: [2, 3] }, { shape: [3] }], f: vb.sub, reference: (a, b) => naive.zip(a, b, (p, q) => p - q) },
  { name: 'mul (broadcast)', inputs: [{ shape: [2, 3, 1] }, { shape: [4] }], f: vb.mul, reference: mul },
  { name: 'div (broadcast)', inputs: [{ shape: [2, 3] }, { shape: [2, 1], lo: 0.5, hi: 2 }], f: vb.div, reference: (a, b) => naive.zip(a, b, (p, q) => p / q) },
  {
    name: 'maximum', inputs: [{ shape: [4], values: [1, -2, 3, 0.5] }, { shape: [4], values: [0, 1, 2.5, 2] }],
    f: vb.maximum, reference: (a, b) => naive.zip(a, b, Math.max),
  },
  {
    name: 'minimum', inputs: [{ shape: [4], values: [1, -2, 3, 0.5] }, { shape: [4], values: [0, 1, 2.5, 2] }],
    f: vb.minimum, reference: (a, b) => naive.zip(a, b, Math.min),
  },
  { name: 'pow', inputs: [{ shape: [4], lo: 0.5, hi: 2 }, { shape: [4], lo: -2, hi: 3 }], f: vb.pow, reference: (a, b) => naive.zip(a, b, Math.pow) },
  {
    name: 'where', inputs: [{ shape: [2, 3] }, { shape: [3] }],
    f: (a, b) => vb.where(vb.tensor([[true, false, true], [false, false, true]]), a, b),
    reference: (a, b) => naive.where({ shape: [2, 3], values: [1, 0, 1, 0, 0, 1] }, a, b),
  },
  { name: 'sum axis 1', inputs: [{ shape: [3, 4, 2] }], f: (x) => vb.sum(x, 1), reference: (x) => sumAxes(x, [1]) },
  { name: 'mean axes [0,2]', inputs: [{ shape: [3, 4, 2] }], f: (x) => vb.mean(x, [0, 2]), reference: (x) => scale(sumAxes(x, [0, 2]), 1 / 6) },
  { name: 'prod', inputs: [{ shape: [2, 3], lo: 0.5, hi: 2 }], f: (x) => vb.prod(x, 1), reference: (x) => naive.reduce(x, [1], 1, (a, v) => a * v) },
  {
    name: 'prod with zeros', inputs: [{ shape: [3, 3], values: [0, 2, 3, 0, 0, 4, 1, 2, 3] }],
    f: (x) => vb.prod(x, 1), reference: (x) => naive.reduce(x, [1], 1, (a, v) => a * v),
  },
  { name: 'max', inputs: [{ shape: [3, 4] }], f: (x) => vb.max(x, 1), reference: (x) => naive.reduce(x, [1], -Infinity, Math.max) },
  { name: 'min', inputs: [{ shape: [3, 4] }], f: (x) => vb.min(x, 0), reference: (x) => naive.reduce(x, [0], Infinity, Math.min) },
  {
    name: 'variance', inputs: [{ shape: [3, 5] }], f: (x) => vb.variance(x, 1),
    reference: (x) => {
      const m = scale(sumAxes(x, [1], true), 1 / 5);
      return scale(sumAxes(naive.zip(x, m, (a, b) => (a - b) ** 2), [1]), 1 / 5);
    },
  },
  { name: 'reshape', inputs: [{ shape: [2, 6] }], f: (x) => vb.reshape(x, [3, 4]), reference: (x) => ({ shape: [3, 4], values: x.values }) },
  { name: 'transpose', inputs: [{ shape: [2, 3, 4] }], f: (x) => vb.transpose(x, [1, 2, 0]), reference: (x) => naive.transpose(x, [1, 2, 0]) },
  { name: 'broadcastTo', inputs: [{ shape: [3, 1] }], f: (x) => vb.broadcastTo(x, [2, 3, 4]), reference: (x) => naive.broadcastTo(x, [2, 3, 4]) },
  { name: 'slice', inputs: [{ shape: [4, 5] }], f: (x) => vb.slice(x, [1, 2], [2, 3]), reference: (x) => naive.slice(x, [1, 2], [2, 3]) },
  { name: 'pad', inputs: [{ shape: [2, 3] }], f: (x) => vb.pad(x, [[1, 2], [0, 1]], 5), reference: (x) => naive.pad(x, [[1, 2], [0, 1]], 5) },
  { name: 'concat', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], f: (a, b) => vb.concat([a, b], 1), reference: (a, b) => naive.concat([a, b], 1) },
  {
    name: 'gather (repeated indices)', inputs: [{ shape: [4, 3] }],
    f: (x) => vb.gather(x, vb.tensor([3, 0, 3, 1], [4], 'int32'), 0),
    reference: (x) => naive.gather(x, { shape: [4], values: [3, 0, 3, 1] }, 0),
  },
  { name: 'tile', inputs: [{ shape: [2, 3] }], f: (x) => vb.tile(x, [2, 2]), reference: (x) => naive.concat([naive.concat([x, x], 1), naive.concat([x, x], 1)], 0) },
  { name: 'stack', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }], f: (a, b) => vb.stack([a, b], 1), reference: (a, b) => ({ shape: [2, 2, 3], values: naive.concat([{ shape: [2, 1, 3], values: a.values }, { shape: [2, 1, 3], values: b.values }], 1).values }) },
  { name: 'matMul', inputs: [{ shape: [3, 4] }, { shape: [4, 2] }], f: (a, b) => vb.matMul(a, b), reference: (a, b) => naive.matMul(a, b, false, false, F64) },
  { name: 'matMul transposeA', inputs: [{ shape: [4, 3] }, { shape: [4, 2] }], f: (a, b) => vb.matMul(a, b, true), reference: (a, b) => naive.matMul(a, b, true, false, F64) },
  { name: 'matMul transposeB', inputs: [{ shape: [3, 4] }, { shape: [2, 4] }], f: (a, b) => vb.matMul(a, b, false, true), reference: (a, b) => naive.matMul(a, b, false, true, F64) },
  { name: 'matMul both', inputs: [{ shape: [4, 3] }, { shape: [2, 4] }], f: (a, b) => vb.matMul(a, b, true, true), reference: (a, b) => naive.matMul(a, b, true, true, F64) },
  { name: 'matMul batch broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 2] }], f: (a, b) => vb.matMul(a, b), reference: (a, b) => naive.matMul(a, b, false, false, F64) },
  {
    name: 'fused.matMul with bias and relu', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }],
    f: (a, b, c) => vb.fused.matMul({ a, b, bias: c, activation: 'relu' }),
    reference: (a, b, c) => naive.map(naive.zip(naive.matMul(a, b, false, false, F64), c, (p, q) => p + q), (v) => Math.max(v, 0)),
  },
  { name: 'softmax', inputs: [{ shape: [3, 4] }], f: (x) => vb.softmax(x), reference: softmax64 },
  { name: 'logSoftmax', inputs: [{ shape: [3, 4] }], f: (x) => vb.logSoftmax(x), reference: (x) => naive.map(softmax64(x), Math.log) },
  {
    name: 'logSumExp', inputs: [{ shape: [3, 4] }], f: (x) => vb.logSumExp(x, 1),
    reference: (x) => naive.map(sumAxes(naive.map(x, Math.exp), [1]), Math.log),
  },
  { name: 'elu', inputs: [{ shape: [6] }], f: (x) => vb.elu(x), reference: u((v) => (v > 0 ? v : Math.expm1(v))) },
  { name: 'selu', inputs: [{ shape: [6] }], f: vb.selu, reference: u((v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))) },
  { name: 'leakyRelu', inputs: [{ shape: [6] }], f: (x) => vb.leakyRelu(x), reference: u((v) => (v > 0 ? v : 0.2 * v)) },
  { name: 'relu6', inputs: [{ shape: [5], values: [-1, 2, 5.5, 6.5, 8] }], f: vb.relu6, reference: u((v) => Math.min(Math.max(v, 0), 6)) },
  { name: 'softsign', inputs: [{ shape: [6] }], f: vb.softsign, reference: u((v) => v / (1 + Math.abs(v))) },
  { name: 'swish', inputs: [{ shape: [6] }], f: vb.swish, reference: u((v) => v * sigmoid64(v)) },
  { name: 'gelu', inputs: [{ shape: [6] }], f: (x) => vb.gelu(x), reference: u((v) => 0.5 * v * (1 + erf64(v / Math.SQRT2))) },
  { name: 'clipByValue', inputs: [{ shape: [4], values: [-3, -0.5, 0.5, 3] }], f: (x) => vb.clipByValue(x, -1, 1), reference: u((v) => Math.min(Math.max(v, -1), 1)) },
  {
    name: 'spaceToBatchND', inputs: [{ shape: [2, 3, 4, 2] }],
    f: (x) => vb.spaceToBatchND(x, [2, 3], [[1, 0], [1, 1]]), reference: (x) => naive.spaceToBatchND(x, [2, 3], [[1, 0], [1, 1]]),
  },
  {
    name: 'batchToSpaceND', inputs: [{ shape: [12, 2, 3, 2] }],
    f: (x) => vb.batchToSpaceND(x, [2, 3], [[1, 0], [2, 1]]), reference: (x) => naive.batchToSpaceND(x, [2, 3], [[1, 0], [2, 1]]),
  },
  { name: 'depthToSpace', inputs: [{ shape: [2, 2, 3, 8] }], f: (x) => vb.depthToSpace(x, 2), reference: (x) => naive.depthToSpace(x, 2) },
  {
    name: 'localResponseNormalization', inputs: [{ shape: [2, 2, 3, 7] }],
    f: (x) => vb.localResponseNormalization(x, 2, 1.5, 0.4, 0.75), reference: (x) => lrn64(x, 2, 1.5, 0.4, 0.75),
  },
];

/** localResponseNormalization in float64: x (bias + alpha s)^-beta, s the sum of squares over channels within radius r. */
function lrn64(x: NArray, r: number, bias: number, alpha: number, beta: number): NArray {
  const channels = x.shape[x.shape.length - 1]!;
  return {
    shape: x.shape,
    values: x.values.map((v, i) => {
      const c = i % channels;
      let s = 0;
      for (let k = Math.max(0, c - r); k <= Math.min(channels - 1, c + r); k++) s += x.values[i - c + k]! ** 2;
      return v * (bias + alpha * s) ** -beta;
    }),
  };
}

function inputValues(input: Input, seed: number): number[] {
  if (input.values) return input.values.map(Math.fround);
  const next = rng(seed);
  const { lo = -2, hi = 2 } = input;
  return Array.from({ length: naive.size(input.shape) }, () => Math.fround(lo + (hi - lo) * next()));
}

function numericGradients(c: GradCase, xs: NArray[], w: number[]): number[][] {
  const loss = (arrays: NArray[]) => c.reference(...arrays).values.reduce((acc, v, i) => acc + v * w[i]!, 0);
  return xs.map((x, k) => x.values.map((v, j) => {
    const h = 1e-6 * Math.max(1, Math.abs(v));
    const plus = xs.map((a, i) => (i === k ? { shape: a.shape, values: a.values.map((q, jj) => (jj === j ? v + h : q)) } : a));
    const minus = xs.map((a, i) => (i === k ? { shape: a.shape, values: a.values.map((q, jj) => (jj === j ? v - h : q)) } : a));
    return (loss(plus) - loss(minus)) / (2 * h);
  }));
}

forEachBackend('gradients', () => {
  for (const [index, c] of CASES.entries()) {
    it(`${c.name} matches central finite differences (float64)`, () => {
      const xs = c.inputs.map((input, k) => ({ shape: input.shape, values: inputValues(input, 1000 * index + k) }));
      const outShape = c.reference(...xs).shape;
      const next = rng(77 + index);
      const w = Array.from({ length: naive.size(outShape) }, () => Math.fround(next() * 2 - 1));
      const expected = numericGradients(c, xs, w);
      vb.tidy(() => {
        const wt = vb.tensor(new Float32Array(w), outShape);
        const tensors = xs.map((x) => vb.tensor(new Float32Array(x.values), x.shape));
        const grads = vb.grads((...ts: vb.Tensor[]) => vb.sum(vb.mul(c.f(...ts), wt)))(tensors);
        grads.forEach((g, k) => {
          assert.deepEqual(g.shape, xs[k]!.shape, `${c.name}: gradient ${k} shape`);
          assertClose(g.dataSync(), expected[k]!, `${c.name}: d/d input ${k}`, 1e-3, 1e-4);
        });
      });
    });
  }

  it('valueAndGrad, grad with dy, and variableGrads', () => {
    const f = (x: vb.Tensor) => vb.mul(x, x);
    assert.deepEqual(vb.grad(f)([1, 2], [3, 4]).arraySync(), [6, 16]);
    const { value, grad } = vb.valueAndGrad((x) => vb.sum(vb.exp(x)))([0, 0]);
    assert.equal(value.arraySync(), 2);
    assert.deepEqual(grad.arraySync(), [1, 1]);
    const a = vb.variable([1, 2, 3], true, 'grad_test_a');
    const b = vb.variable([4], true, 'grad_test_b');
    const frozen = vb.variable([5], false, 'grad_test_frozen');
    const result = vb.variableGrads(() => vb.sum(vb.mul(vb.mul(a, a), frozen)));
    assert.deepEqual(Object.keys(result.grads), ['grad_test_a']);
    assert.deepEqual(result.grads.grad_test_a!.arraySync(), [10, 20, 30]);
    assert.equal(result.value.arraySync(), 70);
    vb.dispose([a, b, frozen]);
  });

  it('a gradient through an unused argument is a clear error', () => {
    assert.throws(() => vb.grads((x: vb.Tensor, _y: vb.Tensor) => vb.sum(x))([[1], [2]]), /argument 1/);
  });

  it('customGrad uses the given backward pass', () => {
    const clipGrad = vb.customGrad((x: vb.Tensor) => ({ value: vb.square(x), gradFunc: (dy) => vb.clipByValue(dy, -0.5, 0.5) }));
    assert.deepEqual(vb.grad((x) => vb.sum(clipGrad(x)))([1, 2]).arraySync(), [0.5, 0.5]);
    // Parameters without annotations are tensors (they were typed never, and x.shape did not compile).
    const scaled = vb.customGrad((x) => ({ value: vb.mul(x, x.shape[0]!), gradFunc: (dy) => vb.mul(dy, 10) }));
    assert.deepEqual(vb.grad((x) => vb.sum(scaled(x)))([1, 2]).arraySync(), [10, 10]);
  });

  it('customGrad passes TF.js\'s save function to f and the saved tensors to gradFunc', () => {
    // TF.js's documented example: gradient dy * |x| in place of 2x.
    const customOp = vb.customGrad((x: vb.Tensor, save: vb.GradSaveFunc) => {
      save([x]);
      return { value: vb.square(x), gradFunc: (dy, saved) => [vb.mul(dy, vb.abs(saved[0]!))] };
    });
    const { value, grad } = vb.valueAndGrad((x) => vb.sum(customOp(x)))(vb.tensor([-2, 3]));
    assert.equal(value.arraySync(), 13);
    assert.deepEqual(grad.arraySync(), [2, 3]);
  });

  it('second-order gradients compose', () => {
    const d2 = vb.grad((x) => vb.sum(vb.grad((y) => vb.sum(vb.mul(vb.mul(y, y), y)))(x)));
    assert.deepEqual(d2([1, 2]).arraySync(), [6, 12]);
  });

  it('gradient computation leaks no tensors', () => {
    const x = vb.tensor([1, 2, 3]);
    const before = vb.memory().numTensors;
    for (let i = 0; i < 5; i++) vb.grad((t) => vb.sum(vb.softmax(vb.mul(t, 2))))(x).dispose();
    for (let i = 0; i < 5; i++) vb.grads((a, b) => vb.sum(vb.mul(a, b)))([[1, 2], [3, 4]]).forEach((g) => g.dispose());
    assert.equal(vb.memory().numTensors, before);
    assert.equal(x.isDisposed, false);
  });
});
