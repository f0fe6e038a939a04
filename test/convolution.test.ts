/**
 * Convolution and pooling: TF.js 4.22 (cpu) as the outside oracle for values and gradients, a
 * float64 model for what TF.js lacks (gradients of dilated convolutions, avgPool gradients with
 * 'same' padding, where TF.js divides by the whole window), and the WASM kernels bit for bit
 * against the reference with 1, 2 and 3 threads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertTensorClose } from './helpers/close.js';

/**
 * Relative 1e-5, with an absolute floor of 1e-6 times the tensor's largest magnitude: gradients
 * are sums of many products whose float32 order differs from TF.js's, so elements that cancel
 * to near zero carry the rounding of their large terms.
 */

const seeded = (shape: number[], seed: number) => vb.randomNormal(shape, 0, 1, 'float32', seed);
const twin = (t: vb.Tensor) => tf.tensor(t.dataSync() as Float32Array, [...t.shape]);

type Pad = 'valid' | 'same' | [[0, 0], [number, number], [number, number], [0, 0]];
const CONV_CASES: { x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad; dilations?: number }[] = [
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], filter: [3, 2, 3, 5], strides: 2, pad: 'same' },
  { x: [1, 9, 7, 2], filter: [2, 3, 2, 3], strides: [2, 1], pad: 'valid' },
  { x: [1, 6, 6, 1], filter: [2, 2, 1, 2], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 10, 10, 2], filter: [3, 3, 2, 2], strides: 1, pad: 'same', dilations: 2 },
];

describe('convolution and pooling against TF.js', () => {
  before(() => tf.setBackend('cpu'));

  for (const c of CONV_CASES) {
    const label = JSON.stringify(c);
    it(`conv2d ${label}: values and gradients`, () => {
      const x = seeded(c.x, 1);
      const w = seeded(c.filter, 2);
      const d = c.dilations ?? 1;
      const ours = (a: vb.Tensor, b: vb.Tensor) => vb.conv2d(a, b, c.strides, c.pad, 'NHWC', d);
      const theirs = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, c.strides, c.pad, 'NHWC', d);
      assertTensorClose(ours(x, w), theirs(twin(x) as tf.Tensor4D, twin(w) as tf.Tensor4D), 'conv2d');
      if (d > 1) return; // TF.js has no gradient for dilated convolutions; see the float64 test below
      const loss = (y: vb.Tensor) => vb.sum(vb.mul(y, y));
      const [dx, dw] = vb.grads((a: vb.Tensor, b: vb.Tensor) => loss(ours(a, b)))([x, w]);
      const [tdx, tdw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(theirs(a as tf.Tensor4D, b as tf.Tensor4D))))([twin(x), twin(w)]);
      assertTensorClose(dx!, tdx!, 'dx');
      assertTensorClose(dw!, tdw!, 'dw');
    });
  }

  it('depthwiseConv2d and separableConv2d', () => {
    const x = seeded([2, 7, 6, 3], 3);
    const depthwise = seeded([3, 2, 3, 2], 4);
    const pointwise = seeded([1, 1, 6, 4], 5);
    for (const pad of ['same', 'valid'] as const) {
      assertTensorClose(vb.depthwiseConv2d(x, depthwise, [1, 2], pad), tf.depthwiseConv2d(twin(x) as tf.Tensor4D, twin(depthwise) as tf.Tensor4D, [1, 2], pad), `depthwise ${pad}`);
      assertTensorClose(vb.separableConv2d(x, depthwise, pointwise, 1, pad), tf.separableConv2d(twin(x) as tf.Tensor4D, twin(depthwise) as tf.Tensor4D, twin(pointwise) as tf.Tensor4D, 1, pad), `separable ${pad}`);
    }
    const [dx, dw] = vb.grads((a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.square(vb.depthwiseConv2d(a, b, 1, 'same'))))([x, depthwise]);
    const [tdx, tdw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([twin(x), twin(depthwise)]);
    assertTensorClose(dx!, tdx!, 'depthwise dx');
    assertTensorClose(dw!, tdw!, 'depthwise dw');
  });

  it('conv1d, conv2dTranspose, channels-first and unbatched inputs', () => {
    const x1 = seeded([2, 11, 3], 6);
    const w1 = seeded([3, 3, 4], 7);
    assertTensorClose(vb.conv1d(x1, w1, 2, 'same'), tf.conv1d(twin(x1) as tf.Tensor3D, twin(w1) as tf.Tensor3D, 2, 'same'), 'conv1d');
    assertTensorClose(vb.conv1d(x1, w1, 1, 'valid', 'NWC', 2), tf.conv1d(twin(x1) as tf.Tensor3D, twin(w1) as tf.Tensor3D, 1, 'valid', 'NWC', 2), 'conv1d dilated');
    const y = seeded([2, 4, 4, 5], 8);
    const w = seeded([3, 3, 2, 5], 9);
    for (const pad of ['same', 'valid'] as const) {
      const outShape: [number, number, number, number] = pad === 'same' ? [2, 8, 8, 2] : [2, 9, 9, 2];
      assertTensorClose(vb.conv2dTranspose(y, w, outShape, 2, pad), tf.conv2dTranspose(twin(y) as tf.Tensor4D, twin(w) as tf.Tensor4D, outShape, 2, pad), `conv2dTranspose ${pad}`);
    }
    const x = seeded([5, 6, 3], 10);
    const filter = seeded([2, 2, 3, 2], 11);
    assertTensorClose(vb.conv2d(x, filter, 1, 'same'), tf.conv2d(twin(x) as tf.Tensor3D, twin(filter) as tf.Tensor4D, 1, 'same'), 'unbatched');
    const nchw = vb.transpose(vb.expandDims(x, 0), [0, 3, 1, 2]);
    assertTensorClose(vb.conv2d(nchw, filter, 1, 'same', 'NCHW'), tf.transpose(tf.conv2d(twin(vb.expandDims(x, 0)) as tf.Tensor4D, twin(filter) as tf.Tensor4D, 1, 'same'), [0, 3, 1, 2]), 'NCHW');
  });

  it('maxPool and avgPool: values, and the gradients TF.js defines alike', () => {
    const x = seeded([2, 7, 9, 3], 12);
    for (const [size, strides, pad] of [[3, 2, 'same'], [[2, 3], [2, 1], 'valid'], [2, 2, 'valid']] as [number | [number, number], number | [number, number], 'same' | 'valid'][]) {
      const label = JSON.stringify([size, strides, pad]);
      const tx = twin(x) as tf.Tensor4D;
      assertTensorClose(vb.maxPool(x, size, strides, pad), tf.maxPool(tx, size, strides, pad), `maxPool ${label}`);
      assertTensorClose(vb.avgPool(x, size, strides, pad), tf.avgPool(tx, size, strides, pad), `avgPool ${label}`);
      const ours = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.maxPool(a, size, strides, pad))))(x);
      assertTensorClose(ours, tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.maxPool(a as tf.Tensor4D, size, strides, pad))))(tx), `maxPool grad ${label}`);
      if (pad === 'valid') {
        const avg = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.avgPool(a, size, strides, pad))))(x);
        assertTensorClose(avg, tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.avgPool(a as tf.Tensor4D, size, strides, pad))))(tx), `avgPool grad ${label}`);
      }
    }
    // Ties: relu outputs have many zeros; the first maximum in (row, column) order takes the gradient.
    const ties = vb.tensor([0, 0, 0, 0, 1, 1, 1, 1, 0, 5, 5, 0, 0, 0, 0, 0], [1, 4, 4, 1]);
    const g = vb.grad((a: vb.Tensor) => vb.sum(vb.maxPool(a, 2, 2, 'valid')))(ties);
    assert.deepEqual(Array.from(g.dataSync()), [0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });

  it("dimRoundingMode ('ceil', 'round', 'floor') with numeric or explicit pads gives TF.js's output sizes and values (it was ignored: one row and column short)", () => {
    const x = seeded([2, 6, 7, 2], 21);
    const tx = twin(x) as tf.Tensor4D;
    const w = seeded([3, 3, 2, 3], 22);
    const depthwise = seeded([3, 3, 2, 2], 23);
    // Square windows and strides with a numeric pad: TF.js sizes both axes from the first one's window and stride there.
    for (const mode of ['ceil', 'round', 'floor'] as const) {
      for (const [strides, pad] of [[2, 1], [3, 0], [[2, 3], [[0, 0], [1, 0], [0, 2], [0, 0]]]] as [number | [number, number], number | [[0, 0], [number, number], [number, number], [0, 0]]][]) {
        const label = `${mode} ${JSON.stringify([strides, pad])}`;
        assertTensorClose(vb.conv2d(x, w, strides, pad, 'NHWC', 1, mode), tf.conv2d(tx, twin(w) as tf.Tensor4D, strides, pad, 'NHWC', 1, mode), `conv2d ${label}`);
        assertTensorClose(vb.depthwiseConv2d(x, depthwise, strides, pad, 'NHWC', 1, mode), tf.depthwiseConv2d(tx, twin(depthwise) as tf.Tensor4D, strides, pad, 'NHWC', 1, mode), `depthwiseConv2d ${label}`);
        assertTensorClose(vb.maxPool(x, 3, strides, pad, mode), tf.maxPool(tx, 3, strides, pad, mode), `maxPool ${label}`);
        assertTensorClose(vb.avgPool(x, 3, strides, pad, mode), tf.avgPool(tx, 3, strides, pad, mode), `avgPool ${label}`);
      }
    }
    // 'ceil' here is one more row of zeros at the bottom, forward and backward (TF.js's own gradient
    // misses it: element 70 of this one is -10.555 in TF.js, -10.692 here and by finite differences).
    const loss = (y: vb.Tensor) => vb.sum(vb.square(y));
    const ceil = vb.grad((a: vb.Tensor) => loss(vb.conv2d(a, w, 2, 1, 'NHWC', 1, 'ceil')))(x);
    const padded = vb.grad((a: vb.Tensor) => loss(vb.conv2d(a, w, 2, [[0, 0], [1, 2], [1, 1], [0, 0]])))(x);
    assert.equal(vb.digest(ceil), vb.digest(padded), 'conv2d ceil gradient');
    assertTensorClose(vb.conv2d(x, w, 2, 1, 'NHWC', 1, 'ceil'), conv64(x, w, 2, 1, [1, 2]), 'conv2d ceil against the float64 model');
    assert.throws(() => vb.maxPool(x, 3, 2, 'same', 'ceil'), /maxPool: Expected a number or explicit pads with dimRoundingMode \(as TF.js\). Received: pad="same", dimRoundingMode="ceil"/);
    assert.throws(() => vb.conv2d(x, w, 2, 1, 'NHWC', 1, 'up' as never), /conv2d: Expected dimRoundingMode 'floor', 'round' or 'ceil'. Received: dimRoundingMode="up"/);
    // null is no mode, as TF.js takes it (it was refused: 'Received: dimRoundingMode=null').
    assert.equal(vb.digest(vb.conv2d(x, w, 2, 'same', 'NHWC', 1, null as never)), vb.digest(vb.conv2d(x, w, 2, 'same')));
    assert.equal(vb.digest(vb.maxPool(x, 3, 2, 1, null as never)), vb.digest(vb.maxPool(x, 3, 2, 1)));
  });
});

/** float64 convolution and pooling models, written independently of the library. */
function conv64(x: vb.Tensor, w: vb.Tensor, stride: number, dilation: number, pads: [number, number]): Float64Array {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [kh, kw, , f] = w.shape as [number, number, number, number];
  const oh = Math.floor((h + pads[0] + pads[1] - (kh - 1) * dilation - 1) / stride) + 1;
  const ow = Math.floor((wd + pads[0] + pads[1] - (kw - 1) * dilation - 1) / stride) + 1;
  const xv = x.dataSync();
  const wv = w.dataSync();
  const out = new Float64Array(n * oh * ow * f);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < f; o++) {
    let s = 0;
    for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) for (let k = 0; k < c; k++) {
      const y = i * stride + a * dilation - pads[0];
      const z = j * stride + e * dilation - pads[0];
      if (y >= 0 && y < h && z >= 0 && z < wd) s += xv[((b * h + y) * wd + z) * c + k]! * wv[((a * kw + e) * c + k) * f + o]!;
    }
    out[((b * oh + i) * ow + j) * f + o] = s;
  }
  return out;
}

describe('convolution and pooling against float64 models', () => {
  it('dilated conv2d: the gradient with respect to the input is the adjoint (float64 model)', () => {
    const x = seeded([1, 8, 8, 2], 13);
    const w = seeded([3, 3, 2, 2], 14);
    const dy = seeded([1, 8, 8, 2], 15);
    // <conv(x), dy> is linear in x: its gradient at any x, dotted with a probe p, equals <conv(p), dy>.
    const dx = vb.grad((a: vb.Tensor) => vb.sum(vb.mul(vb.conv2d(a, w, 1, 'same', 'NHWC', 2), dy)))(x);
    const probe = seeded([1, 8, 8, 2], 16);
    const lhs = vb.sum(vb.mul(dx, probe)).dataSync()[0]!;
    const rhs = conv64(probe, w, 1, 2, [2, 2]).reduce((s, v, i) => s + v * dy.dataSync()[i]!, 0);
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.abs(rhs), `${lhs} vs ${rhs}`);
  });

  it("avgPool with 'same' padding divides by the positions inside the image, forward and backward", () => {
    const x = seeded([1, 5, 5, 1], 17);
    const probe = seeded([1, 5, 5, 1], 18);
    const counts = [2, 3, 3, 3, 2].map((r) => [2, 3, 3, 3, 2].map((c) => r * c));
    const pooled = vb.avgPool(x, 3, 1, 'same').dataSync();
    const xv = x.dataSync();
    const expected = new Float64Array(25);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let a = -1; a <= 1; a++) for (let b = -1; b <= 1; b++) if (i + a >= 0 && i + a < 5 && j + b >= 0 && j + b < 5) s += xv[(i + a) * 5 + j + b]!;
      expected[i * 5 + j] = s / counts[i]![j]!;
    }
    expected.forEach((v, i) => assert.ok(Math.abs(pooled[i]! - v) <= 1e-6, `avgPool ${i}`));
    // The gradient of <avgPool(x), probe> is linear: d/dx_p = sum over windows containing p of probe / count.
    const g = vb.grad((a: vb.Tensor) => vb.sum(vb.mul(vb.avgPool(a, 3, 1, 'same'), probe)))(x).dataSync();
    const pv = probe.dataSync();
    for (let y = 0; y < 5; y++) for (let z = 0; z < 5; z++) {
      let s = 0;
      for (let a = -1; a <= 1; a++) for (let b = -1; b <= 1; b++) if (y + a >= 0 && y + a < 5 && z + b >= 0 && z + b < 5) s += pv[(y + a) * 5 + z + b]! / counts[y + a]![z + b]!;
      assert.ok(Math.abs(g[y * 5 + z]! - s) <= 1e-6, `avgPool gradient at ${y},${z}: ${g[y * 5 + z]} vs ${s}`);
    }
  });
});

describe('convolution kernels: WASM bit for bit with the reference, 1-3 threads', () => {
  let previous = '';
  before(() => { previous = vb.getBackend(); });
  after(() => vb.setBackend(previous));

  it('conv2d, its gradients, depthwise, transpose and pooling', (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('WebAssembly SIMD is unavailable here');
    const bits = (x: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(x.dataSync()).buffer));
    const run = () => vb.tidy(() => {
      const x = seeded([4, 33, 31, 6], 19);
      const w = seeded([3, 3, 6, 8], 20);
      const [dx, dw] = vb.grads((a: vb.Tensor, b: vb.Tensor) => vb.sum(vb.square(vb.conv2d(a, b, [2, 1], 'same'))))([x, w]);
      const maxGrad = vb.grad((a: vb.Tensor) => vb.sum(vb.square(vb.maxPool(a, 3, 2, 'same'))))(x);
      return [vb.conv2d(x, w, 1, 'valid', 'NHWC', 2), dx!, dw!, vb.depthwiseConv2d(x, seeded([3, 3, 6, 2], 21), 1, 'same'),
        vb.conv2dTranspose(vb.conv2d(x, w, 2, 'same'), w, [4, 33, 31, 6], 2, 'same'), vb.maxPool(x, 3, 2, 'same'), maxGrad,
        vb.avgPool(x, 2, 1, 'same')].map(bits);
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
