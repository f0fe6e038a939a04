/**
 * 3-D convolution and pooling (conv3d, conv3dTranspose, maxPool3d, avgPool3d): TF.js 4.22 (cpu)
 * as the oracle for values and gradients on random geometries, finite differences where TF.js
 * has no gradient (dilated conv3d), the tie and padding rules TF.js does not share, bad
 * arguments, and the WASM kernels bit for bit against the reference with 1, 2 and 3 threads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose, assertTensorClose } from './helpers/close.js';

const seeded = (shape: number[], seed: number) => vb.randomNormal(shape, 0, 1, 'float32', seed);
const twin = (t: vb.Tensor) => tf.tensor(t.dataSync() as Float32Array, [...t.shape]);
type Triple = [number, number, number];

/** A small deterministic generator for the random geometries (xorshift32). */
function generator(seed: number) {
  let s = seed;
  const next = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 32; };
  return { int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

/**
 * A random conv3d case that TF.js computes as TensorFlow does: with 'same', TF.js 4.22 does not
 * clamp a negative total padding to 0 (a stride larger than the window), so those are left to
 * the TensorFlow-padding test below.
 */
function randomCase(r: ReturnType<typeof generator>) {
  for (;;) {
    const kernel = [r.int(1, 3), r.int(1, 3), r.int(1, 3)] as Triple;
    const dilated = r.int(0, 3) === 0;
    const strides = (dilated ? [1, 1, 1] : [r.int(1, 3), r.int(1, 3), r.int(1, 3)]) as Triple;
    const dilations = (dilated ? [r.int(1, 2), r.int(1, 2), r.int(1, 2)] : [1, 1, 1]) as Triple;
    const pad = r.pick(['same', 'valid'] as const);
    const effective = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
    const spatial = effective.map((e) => e + r.int(0, 5));
    if (pad === 'same' && spatial.some((d, i) => (Math.ceil(d / strides[i]!) - 1) * strides[i]! + effective[i]! < d)) continue;
    return { x: [r.int(1, 2), ...spatial, r.int(1, 3)], filter: [...kernel, 0, r.int(1, 3)], strides, dilations, pad };
  }
}

describe('3-D convolution and pooling against TF.js', () => {
  before(() => tf.setBackend('cpu'));

  const r = generator(20261129);
  for (let i = 0; i < 12; i++) {
    const c = randomCase(r);
    c.filter[3] = c.x[4]!;
    it(`conv3d ${JSON.stringify(c)}: values and gradients`, () => {
      const x = seeded(c.x, 100 + i);
      const w = seeded(c.filter, 200 + i);
      const ours = (a: vb.Tensor, b: vb.Tensor) => vb.conv3d(a, b, c.strides, c.pad, 'NDHWC', c.dilations);
      const theirs = (a: tf.Tensor, b: tf.Tensor) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.strides, c.pad, 'NDHWC', c.dilations);
      assertTensorClose(ours(x, w), theirs(twin(x), twin(w)), 'conv3d');
      if (c.dilations.some((d) => d > 1)) return; // TF.js has no gradient of a dilated conv3d: the finite differences below
      const [dx, dw] = vb.grads((a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.square(ours(a, b))))([x, w]);
      const [tdx, tdw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(theirs(a, b))))([twin(x), twin(w)]);
      assertTensorClose(dx!, tdx!, 'dx');
      assertTensorClose(dw!, tdw!, 'dw');
    });
  }

  const pools: [number | Triple, number | Triple, 'same' | 'valid'][] = [[2, 2, 'valid'], [3, [1, 2, 2], 'same'], [[2, 3, 1], [2, 1, 1], 'valid'], [[1, 3, 3], [1, 3, 2], 'same']];
  for (const [size, strides, pad] of pools) {
    it(`maxPool3d and avgPool3d ${JSON.stringify([size, strides, pad])}: values and gradients`, () => {
      const x = seeded([2, 5, 6, 7, 3], 300);
      const tx = twin(x) as tf.Tensor5D;
      assertTensorClose(vb.maxPool3d(x, size, strides, pad), tf.maxPool3d(tx, size, strides, pad), 'maxPool3d');
      assertTensorClose(vb.avgPool3d(x, size, strides, pad), tf.avgPool3d(tx, size, strides, pad), 'avgPool3d');
      const maxGrad = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.maxPool3d(a, size, strides, pad))))(x);
      // TF.js 4.22's maxPool3d gradient loses windows when the strides differ between axes: the float64 model there.
      if (typeof strides === 'number') assertTensorClose(maxGrad, tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.maxPool3d(a as tf.Tensor5D, size, strides, pad))))(tx), 'maxPool3d gradient');
      else assertTensorClose(maxGrad, maxPool3dGrad64(x, size, strides, pad), 'maxPool3d gradient (float64 model)');
      const avgGrad = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.avgPool3d(a, size, strides, pad))))(x);
      // TF.js's avgPool3d gradient divides by the whole window under 'same'; verbatim by the positions inside (as its forward pass).
      if (pad === 'valid') assertTensorClose(avgGrad, tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.avgPool3d(a as tf.Tensor5D, size, strides, pad))))(tx), 'avgPool3d gradient');
      else assertFiniteDifferences((a) => vb.sum(vb.square(vb.avgPool3d(a, size, strides, pad))), x, avgGrad);
    });
  }

  it('numeric pads with dimRoundingMode, unbatched inputs, conv3dTranspose', () => {
    const x = seeded([2, 6, 5, 7, 2], 400);
    const tx = twin(x) as tf.Tensor5D;
    for (const mode of ['ceil', 'round', 'floor'] as const) {
      assertTensorClose(vb.maxPool3d(x, 3, 2, 1, mode), tf.maxPool3d(tx, 3, 2, 1, mode), `maxPool3d ${mode}`);
      assertTensorClose(vb.avgPool3d(x, 3, 2, 1, mode), tf.avgPool3d(tx, 3, 2, 1, mode), `avgPool3d ${mode}`);
    }
    const w = seeded([2, 3, 2, 2, 4], 401);
    const one = vb.slice(x, [0, 0, 0, 0, 0], [1, 6, 5, 7, 2]).reshape([6, 5, 7, 2]);
    assertTensorClose(vb.conv3d(one, w, 1, 'same'), tf.conv3d(twin(one) as tf.Tensor4D, twin(w) as tf.Tensor5D, 1, 'same'), 'unbatched conv3d');
    assertTensorClose(vb.maxPool3d(one, 2, 1, 'valid'), tf.maxPool3d(twin(one) as tf.Tensor4D, 2, 1, 'valid'), 'unbatched maxPool3d');
    const y = seeded([2, 3, 4, 3, 4], 402);
    for (const [pad, outShape] of [['same', [2, 6, 8, 6, 2]], ['valid', [2, 7, 9, 6, 2]]] as ['same' | 'valid', [number, number, number, number, number]][]) {
      assertTensorClose(vb.conv3dTranspose(y, w, outShape, 2, pad), tf.conv3dTranspose(twin(y) as tf.Tensor5D, twin(w) as tf.Tensor5D, outShape, 2, pad), `conv3dTranspose ${pad}`);
      const ours = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.conv3dTranspose(a, w, outShape, 2, pad))))(y);
      assertFiniteDifferences((a) => vb.sum(vb.square(vb.conv3dTranspose(a, w, outShape, 2, pad))), y, ours);
    }
  });

  it("channels first ('NCDHW', which TF.js refuses) is the transposed NDHWC result", () => {
    const x = seeded([2, 4, 5, 3, 3], 500);
    const w = seeded([2, 2, 2, 3, 2], 501);
    const first = vb.transpose(x, [0, 4, 1, 2, 3]);
    const back = (t: vb.Tensor) => vb.digest(vb.transpose(t, [0, 2, 3, 4, 1]));
    assert.equal(back(vb.conv3d(first, w, 1, 'same', 'NCDHW')), vb.digest(vb.conv3d(x, w, 1, 'same')));
    assert.equal(back(vb.maxPool3d(first, 2, 1, 'same', undefined, 'NCDHW')), vb.digest(vb.maxPool3d(x, 2, 1, 'same')));
    assert.equal(back(vb.avgPool3d(first, 2, 1, 'valid', undefined, 'NCDHW')), vb.digest(vb.avgPool3d(x, 2, 1, 'valid')));
  });
});

/**
 * The gradient of sum(maxPool3d(x)^2) in float64, written independently of the library: each
 * window's first maximum receives 2 max (TensorFlow's padding; 'same' pads at most the window).
 */
function maxPool3dGrad64(x: vb.Tensor, size: number | Triple, strides: number | Triple, pad: 'same' | 'valid'): Float64Array {
  const [n, d, h, w, c] = x.shape as [number, number, number, number, number];
  const k = typeof size === 'number' ? [size, size, size] : size;
  const s = typeof strides === 'number' ? [strides, strides, strides] : strides;
  const extents = [d, h, w];
  const out = extents.map((e, i) => (pad === 'same' ? Math.ceil(e / s[i]!) : Math.floor((e - k[i]!) / s[i]!) + 1));
  const before = extents.map((e, i) => (pad === 'same' ? Math.floor(Math.max((out[i]! - 1) * s[i]! + k[i]! - e, 0) / 2) : 0));
  const xv = x.dataSync();
  const g = new Float64Array(xv.length);
  for (let b = 0; b < n; b++) for (let o0 = 0; o0 < out[0]!; o0++) for (let o1 = 0; o1 < out[1]!; o1++) for (let o2 = 0; o2 < out[2]!; o2++) for (let ch = 0; ch < c; ch++) {
    let best = -Infinity;
    let at = -1;
    for (let a = 0; a < k[0]!; a++) for (let e = 0; e < k[1]!; e++) for (let f = 0; f < k[2]!; f++) {
      const [z, y, xx] = [o0 * s[0]! + a - before[0]!, o1 * s[1]! + e - before[1]!, o2 * s[2]! + f - before[2]!];
      if (z < 0 || z >= d || y < 0 || y >= h || xx < 0 || xx >= w) continue;
      const i = (((b * d + z) * h + y) * w + xx) * c + ch;
      if (xv[i]! > best) { best = xv[i]!; at = i; }
    }
    g[at] += 2 * best;
  }
  return g;
}

/** Central differences in float64 of f's scalar at every element of x, against the gradient g. */
function assertFiniteDifferences(f: (x: vb.Tensor) => vb.Tensor, x: vb.Tensor, g: vb.Tensor): void {
  const values = Float32Array.from(x.dataSync() as Float32Array);
  const at = (v: Float32Array) => vb.tidy(() => f(vb.tensor(v, [...x.shape])).dataSync()[0]!);
  const expected = new Float64Array(values.length);
  const h = 1e-2;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    values[i] = v + h;
    const up = at(values);
    values[i] = v - h;
    const down = at(values);
    values[i] = v;
    expected[i] = (up - down) / (2 * h);
  }
  // Quadratic losses: the central difference is exact up to float32 rounding of the loss.
  assertClose(g.dataSync(), expected, 'gradient against finite differences', 2e-2, 2e-3);
}

describe('3-D convolution and pooling: rules TF.js does not share', () => {
  it('a dilated conv3d: gradients with respect to the input and the filter by finite differences', () => {
    const x = seeded([1, 5, 4, 6, 2], 600);
    const w = seeded([2, 2, 3, 2, 2], 601);
    const loss = (a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.square(vb.conv3d(a, b, 1, 'same', 'NDHWC', [2, 1, 2])));
    const [dx, dw] = vb.grads(loss)([x, w]);
    assertFiniteDifferences((a) => loss(a, w), x, dx!);
    assertFiniteDifferences((b) => loss(x, b), w, dw!);
  });

  it("'same' padding is TensorFlow's (never negative) where TF.js 4.22 shifts the windows (a stride above the window)", () => {
    // Depth 6, window 1, stride 3: TensorFlow reads planes 0 and 3; TF.js pads -1 and reads 1 and 4.
    const x = vb.reshape(vb.range(0, 6), [1, 6, 1, 1, 1]);
    assert.deepEqual(Array.from(vb.maxPool3d(x, 1, [3, 1, 1], 'same').dataSync()), [0, 3]);
    assert.deepEqual(Array.from(vb.conv3d(x, vb.ones([1, 1, 1, 1, 1]), [3, 1, 1], 'same').dataSync()), [0, 3]);
    assert.deepEqual(Array.from(tf.maxPool3d(twin(x) as tf.Tensor5D, 1, [3, 1, 1], 'same').dataSync()), [1, 4]);
  });

  it("a window wholly in the padding (dimRoundingMode 'ceil') averages to NaN, as avgPool's and TF.js's avgPool (TF.js's avgPool3d: 0)", () => {
    const x = vb.add(vb.reshape(vb.range(0, 27), [1, 3, 3, 3, 1]), 1);
    assert.deepEqual(Array.from(vb.avgPool3d(x, 2, 3, 0, 'ceil').dataSync()), [7.5, NaN, NaN, NaN, NaN, NaN, NaN, NaN]);
    const image = vb.add(vb.reshape(vb.range(0, 9), [1, 3, 3, 1]), 1);
    assert.deepEqual(Array.from(tf.avgPool(twin(image) as tf.Tensor4D, 2, 3, 0, 'ceil').dataSync()), [3, NaN, NaN, NaN]);
    assert.deepEqual(Array.from(tf.avgPool3d(twin(x) as tf.Tensor5D, 2, 3, 0, 'ceil').dataSync()), [7.5, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('maxPool3d ties: the first maximum in (plane, row, column) order takes the whole gradient (TF.js: the last)', () => {
    const x = vb.tensor([1, 0, 1, 1, 0, 1, 0, 1], [1, 2, 2, 2, 1]);
    const g = vb.grad((a: vb.Tensor) => vb.sum(vb.maxPool3d(a, 2, 2, 'valid')))(x);
    assert.deepEqual(Array.from(g.dataSync()), [1, 0, 0, 0, 0, 0, 0, 0]);
    const theirs = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool3d(a as tf.Tensor5D, 2, 2, 'valid')))(twin(x));
    assert.deepEqual(Array.from(theirs.dataSync()), [0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('bad arguments name the argument, what was expected and what was received', () => {
    const x = vb.zeros([1, 4, 4, 4, 2]);
    const w = vb.zeros([2, 2, 2, 2, 3]);
    assert.throws(() => vb.conv3d(vb.zeros([4, 4, 2]), w, 1, 'same'), /conv3d: Expected x of rank 4 or 5. Received: x.shape=\[4, 4, 2\]/);
    assert.throws(() => vb.conv3d(x, vb.zeros([2, 2, 2, 3]), 1, 'same'), /conv3d: Expected filter of rank 5. Received: filter.shape=\[2, 2, 2, 3\]/);
    assert.throws(() => vb.conv3d(x, vb.zeros([2, 2, 2, 3, 3]), 1, 'same'), /conv3d: Expected x with 3 channels \(the filter's fourth dimension\). Received: x.shape=\[1, 4, 4, 4, 2\], filter.shape=\[2, 2, 2, 3, 3\]/);
    assert.throws(() => vb.conv3d(x, w, [1, 2] as never, 'same'), /conv3d: Expected strides to be a positive integer or an array of 3 of them. Received: strides=\[1, 2\]/);
    assert.throws(() => vb.conv3d(x, w, 2, 'same', 'NDHWC', [1, 2, 1]), /conv3d: Expected strides or dilations of 1 \(TensorFlow does not combine them\). Received: strides=2, dilations=\[1, 2, 1\]/);
    assert.throws(() => vb.conv3d(x, w, 1, 'same', 'NHWC' as never), /conv3d: Expected dataFormat 'NDHWC' or 'NCDHW'. Received: dataFormat="NHWC"/);
    assert.throws(() => vb.conv3d(x, w, 1, 'full' as never), /conv3d: Expected pad 'valid', 'same', a non-negative integer or \[\[0, 0\], \[front, back\], \[top, bottom\], \[left, right\], \[0, 0\]\]. Received: pad="full"/);
    assert.throws(() => vb.conv3d(vb.zeros([1, 1, 4, 4, 2]), vb.zeros([3, 2, 2, 2, 3]), 1, 'valid'), /extractPatches: Expected the kernel to fit in the padded image/);
    assert.throws(() => vb.maxPool3d(x, [2, 2] as never, 1, 'valid'), /maxPool3d: Expected filterSize to be a positive integer or an array of 3 of them. Received: filterSize=\[2, 2\]/);
    assert.throws(() => vb.avgPool3d(x, 2, 0, 'valid'), /avgPool3d: Expected strides to be a positive integer or an array of 3 of them. Received: strides=0/);
    assert.throws(() => vb.maxPool3d(x, 2, 1, 'same', 'ceil'), /maxPool3d: Expected a number or explicit pads with dimRoundingMode \(as TF.js\). Received: pad="same", dimRoundingMode="ceil"/);
    assert.throws(() => vb.conv3dTranspose(vb.zeros([1, 2, 2, 2, 3]), w, [1, 4, 4, 4, 3], 2, 'same'), /conv3dTranspose: Expected outputShape \[batch, depth, height, width, 2\] and x with 3 channels/);
    assert.throws(() => vb.conv3dTranspose(vb.zeros([1, 3, 2, 2, 3]), w, [1, 4, 4, 4, 2], 2, 'same'), /conv3dTranspose: Expected x of spatial size \[2, 2, 2\] for this outputShape, strides and pad. Received: x.shape=\[1, 3, 2, 2, 3\]/);
    assert.throws(() => vb.extractPatches(x, { kernel: [2, 2, 2], strides: [1, 1, 1], dilations: [1, 1, 1], pads: [0, 0, 0, 0] }), /extractPatches: Expected pads \[front, back, top, bottom, left, right\] of non-negative integers. Received: pads=\[0, 0, 0, 0\]/);
    assert.throws(() => vb.extractPatches(vb.zeros([1, 4, 4, 2]), { kernel: [2, 2, 2], strides: [1, 1, 1], dilations: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0] }), /extractPatches: Expected x of rank 5 \[batch, depth, height, width, channels\] for a kernel of 3 axes. Received: x.shape=\[1, 4, 4, 2\]/);
    assert.throws(() => vb.extractPatches(x, { kernel: [2, 2, 2, 2], strides: [1], dilations: [1], pads: [] }), /extractPatches: Expected kernel \[height, width\] or \[depth, height, width\]. Received: kernel=\[2, 2, 2, 2\]/);
    assert.throws(() => vb.scatterPatches(vb.zeros([1, 3, 3, 3, 2, 2, 2, 2]), { kernel: [2, 2, 2], strides: [1, 1, 1], dilations: [1, 1, 1], pads: [0, 0, 0, 0, 0, 0] }, [4, 4, 5]), /scatterPatches: Expected patches of an image of size \[4,4,5\] with this geometry/);
  });
});

describe('3-D kernels: WASM bit for bit with the reference, 1-3 threads', () => {
  let previous = '';
  before(() => { previous = vb.getBackend(); });
  after(() => vb.setBackend(previous));

  it('conv3d, its gradients, conv3dTranspose and the 3-D poolings with their gradients', (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('WebAssembly SIMD is unavailable here');
    const bits = (x: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(x.dataSync()).buffer));
    const run = () => vb.tidy(() => {
      const x = seeded([3, 9, 11, 10, 6], 700);
      const w = seeded([3, 2, 3, 6, 5], 701);
      const [dx, dw] = vb.grads((a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.square(vb.conv3d(a, b, [2, 1, 2], 'same'))))([x, w]);
      const dilated = vb.grads((a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.square(vb.conv3d(a, b, 1, 'valid', 'NDHWC', [2, 2, 1]))))([x, w]);
      const maxGrad = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.maxPool3d(a, 3, 2, 'same'))))(x);
      const avgGrad = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.avgPool3d(a, [2, 3, 2], 1, 'same'))))(x);
      return [vb.conv3d(x, w, 1, 'same'), dx!, dw!, ...dilated, vb.conv3dTranspose(vb.conv3d(x, w, 2, 'same'), vb.transpose(w, [0, 1, 2, 4, 3]).slice([0, 0, 0, 0, 0], [3, 2, 3, 4, 5]), [3, 9, 11, 10, 4], 2, 'same'),
        vb.maxPool3d(x, 3, 2, 'same'), maxGrad, vb.avgPool3d(x, [2, 3, 2], 1, 'same'), avgGrad].map(bits);
    });
    vb.setBackend('reference');
    const expected = run();
    vb.setBackend('wasm');
    for (const threads of [1, 2, 3]) {
      vb.setNumThreads(threads);
      run().forEach((actual, i) => assert.ok(actual.every((b, j) => b === expected[i]![j]), `output ${i}, ${threads} threads`));
    }
  });
});
