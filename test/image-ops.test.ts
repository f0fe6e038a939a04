/**
 * Image ops: TF.js 4.22 (cpu) as the oracle for values and the gradients it has, float64 models
 * (test/helpers/image-reference.ts) for the rest and for TF.js's known gaps (its resize
 * gradients ignore halfPixelCenters, its mirrorPad gradient drops the mirrored parts, its wrap
 * fill mode goes wrong more than one image away), and the WASM backend with 1-3 threads bit for
 * bit against the reference.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import {
  applyMap, mirrorPadMap, resizeBilinearMap, resizeNearestMap, rotationMatrix, transformMap, transposeMap, type FillMode, type LinearMap,
} from './helpers/image-reference.js';
import { assertTensorClose, toTf } from './helpers/close.js';


const seeded = (shape: number[], seed: number) => vb.randomNormal(shape, 0, 1, 'float32', seed);

/** The gradient of sum(op(x) * probe) in x, ours and from a float64 linear map. */
function checkGradient(fn: (x: vb.Tensor) => vb.Tensor, x: vb.Tensor, map: LinearMap, label: string): void {
  const probe = seeded([...fn(x).shape], 99);
  const ours = vb.grad((t: vb.Tensor) => vb.sum(vb.mul(fn(t), probe)))(x);
  assertTensorClose(ours, transposeMap(map, probe.dataSync(), x.size), `${label}: gradient`);
}

const RESIZE_CASES: { shape: [number, number, number, number]; size: [number, number] }[] = [
  { shape: [2, 4, 5, 3], size: [7, 9] },
  { shape: [1, 9, 8, 2], size: [4, 3] },
  { shape: [2, 5, 5, 1], size: [5, 5] },
  { shape: [1, 3, 7, 2], size: [6, 2] },
  { shape: [1, 1, 4, 1], size: [3, 1] },
  { shape: [1, 6, 6, 2], size: [4, 9] },
];
const CORNERS: [boolean, boolean][] = [[false, false], [true, false], [false, true]];

describe('image ops against TF.js and float64 references', () => {
  before(() => tf.setBackend('cpu'));

  for (const { shape, size } of RESIZE_CASES) {
    for (const [alignCorners, halfPixelCenters] of CORNERS) {
      const label = `${JSON.stringify(shape)} -> ${JSON.stringify(size)}, alignCorners ${alignCorners}, halfPixelCenters ${halfPixelCenters}`;
      it(`resizeBilinear ${label}`, () => {
        const x = seeded(shape, 1);
        const ours = vb.image.resizeBilinear(x, size, alignCorners, halfPixelCenters);
        assertTensorClose(ours, tf.image.resizeBilinear(toTf(x) as tf.Tensor4D, size, alignCorners, halfPixelCenters), `${label}: TF.js`);
        const map = resizeBilinearMap(shape, size, alignCorners, halfPixelCenters);
        assertTensorClose(ours, applyMap(map, x.dataSync()), `${label}: float64`);
        checkGradient((t) => vb.image.resizeBilinear(t, size, alignCorners, halfPixelCenters), x, map, label);
        // TF.js's gradient ignores halfPixelCenters, and has the wrong shape for non-square images.
        if (!halfPixelCenters && shape[1] === shape[2]) {
          const probe = seeded([...ours.shape], 99);
          const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(t as tf.Tensor4D, size, alignCorners), toTf(probe))))(toTf(x));
          assertTensorClose(vb.grad((t: vb.Tensor) => vb.sum(vb.mul(vb.image.resizeBilinear(t, size, alignCorners), probe)))(x), theirs, `${label}: TF.js gradient`);
        }
      });

      it(`resizeNearestNeighbor ${label}`, () => {
        const x = seeded(shape, 2);
        const ours = vb.image.resizeNearestNeighbor(x, size, alignCorners, halfPixelCenters);
        const theirs = tf.image.resizeNearestNeighbor(toTf(x) as tf.Tensor4D, size, alignCorners, halfPixelCenters);
        assert.deepEqual(Array.from(ours.dataSync()), Array.from(theirs.dataSync()), `${label}: TF.js, the same pixels`);
        const map = resizeNearestMap(shape, size, alignCorners, halfPixelCenters);
        assertTensorClose(ours, applyMap(map, x.dataSync()), `${label}: float64`);
        checkGradient((t) => vb.image.resizeNearestNeighbor(t, size, alignCorners, halfPixelCenters), x, map, label);
        // TF.js's gradient ignores halfPixelCenters, mixes up the images of a batch and never
        // returns for a one-pixel-high input with alignCorners.
        if (!halfPixelCenters && shape[0] === 1 && shape[1] > 1) {
          const probe = seeded([...ours.shape], 99);
          const tfGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, alignCorners), toTf(probe))))(toTf(x));
          assertTensorClose(vb.grad((t: vb.Tensor) => vb.sum(vb.mul(vb.image.resizeNearestNeighbor(t, size, alignCorners), probe)))(x), tfGrad, `${label}: TF.js gradient`);
        }
      });
    }
  }

  it('resize: rank-3 images, int32 input and the top-level exports', () => {
    const x = seeded([5, 4, 2], 3);
    assertTensorClose(vb.resizeBilinear(x, [3, 6]), tf.image.resizeBilinear(toTf(x) as tf.Tensor3D, [3, 6]), 'bilinear rank 3');
    assertTensorClose(vb.resizeNearestNeighbor(x, [8, 3], true), tf.image.resizeNearestNeighbor(toTf(x) as tf.Tensor3D, [8, 3], true), 'nearest rank 3');
    const ints = vb.tensor([[[1], [2]], [[3], [4]]], [2, 2, 1], 'int32');
    const bilinear = vb.resizeBilinear(ints, [3, 3]);
    assert.equal(bilinear.dtype, 'float32');
    assertTensorClose(bilinear, tf.image.resizeBilinear(tf.tensor3d([[[1], [2]], [[3], [4]]], [2, 2, 1], 'int32'), [3, 3]), 'bilinear int32');
    assert.equal(vb.resizeNearestNeighbor(ints, [3, 3]).dtype, 'int32');
    assert.equal(vb.resizeBilinear, vb.image.resizeBilinear);
  });

  it('flipLeftRight: TF.js values; its gradient flips the incoming gradient back', () => {
    const x = seeded([2, 3, 5, 2], 4);
    assert.deepEqual(Array.from(vb.image.flipLeftRight(x).dataSync()), Array.from(tf.image.flipLeftRight(toTf(x) as tf.Tensor4D).dataSync()));
    const probe = seeded([2, 3, 5, 2], 5);
    const g = vb.grad((t: vb.Tensor) => vb.sum(vb.mul(vb.image.flipLeftRight(t), probe)))(x);
    assert.deepEqual(Array.from(g.dataSync()), Array.from(tf.image.flipLeftRight(toTf(probe) as tf.Tensor4D).dataSync()));
  });

  const PAD_CASES: { shape: number[]; paddings: [number, number][] }[] = [
    { shape: [5], paddings: [[2, 4]] },
    { shape: [3, 4], paddings: [[2, 1], [0, 3]] },
    { shape: [2, 3, 4], paddings: [[1, 1], [2, 0], [3, 3]] },
    { shape: [2, 3, 3, 2], paddings: [[0, 0], [2, 2], [1, 2], [0, 1]] },
  ];
  for (const mode of ['reflect', 'symmetric'] as const) {
    for (const { shape, paddings } of PAD_CASES) {
      const legal = paddings.map(([a, b], i) => [Math.min(a, shape[i]! - (mode === 'reflect' ? 1 : 0)), Math.min(b, shape[i]! - (mode === 'reflect' ? 1 : 0))] as [number, number]);
      const label = `mirrorPad ${mode} ${JSON.stringify(shape)} ${JSON.stringify(legal)}`;
      it(label, () => {
        const x = seeded(shape, 6);
        const ours = vb.mirrorPad(x, legal, mode);
        assert.deepEqual(Array.from(ours.dataSync()), Array.from(tf.mirrorPad(toTf(x), legal, mode).dataSync()), 'TF.js values');
        assert.deepEqual(ours.shape, tf.mirrorPad(toTf(x), legal, mode).shape);
        const map = mirrorPadMap(shape, legal, mode);
        assertTensorClose(ours, applyMap(map, x.dataSync()), 'float64');
        // TF.js's gradient is only the slice of the unpadded part; TensorFlow's (and ours) adds the mirrored parts.
        checkGradient((t) => vb.mirrorPad(t, legal, mode), x, map, label);
      });
    }
  }

  const TRANSFORMS = [
    [0.931, -0.313, 1.371, 0.291, 0.973, -1.117, 0, 0],
    [1.213, 0.171, -2.407, -0.223, 0.881, 1.903, 0.0131, -0.0207],
    [-0.983, 0.051, 5.107, 0.103, -1.031, 4.709, 0, 0],
  ];
  for (const interpolation of ['nearest', 'bilinear'] as const) {
    for (const fillMode of ['constant', 'reflect', 'wrap', 'nearest'] as FillMode[]) {
      it(`transform ${interpolation} ${fillMode}: TF.js values, float64 values and gradient`, () => {
        const x = seeded([3, 6, 7, 2], 7);
        const ours = vb.image.transform(x, vb.tensor2d(TRANSFORMS), interpolation, fillMode, 0.5);
        // TF.js's cpu kernel returns after the first image of a batch, so it gets one image at a time.
        TRANSFORMS.forEach((matrix, b) => {
          const image = vb.slice(x, [b, 0, 0, 0], [1, 6, 7, 2]);
          const theirs = tf.image.transform(toTf(image) as tf.Tensor4D, tf.tensor2d([matrix]), interpolation, fillMode, 0.5);
          assertTensorClose(vb.slice(ours, [b, 0, 0, 0], [1, 6, 7, 2]), theirs, `TF.js, image ${b}`);
        });
        const map = transformMap([3, 6, 7, 2], TRANSFORMS, interpolation, fillMode);
        assertTensorClose(ours, applyMap(map, x.dataSync(), 0.5), 'float64');
        checkGradient((t) => vb.image.transform(t, vb.tensor2d(TRANSFORMS), interpolation, fillMode, 0.5), x, map, 'transform');
      });
    }
  }

  it('transform: one transform for the whole batch, an output shape, and wrap further than one image away', () => {
    const x = seeded([2, 5, 4, 1], 8);
    const shift = [[1, 0, -9.25, 0, 1, 13.5, 0, 0]];
    const ours = vb.image.transform(x, vb.tensor2d(shift), 'bilinear', 'wrap');
    // TF.js's wrap is wrong this far out (it folds by len - 1); the float64 model is the floored modulo.
    assertTensorClose(ours, applyMap(transformMap([2, 5, 4, 1], shift, 'bilinear', 'wrap'), x.dataSync()), 'wrap float64');
    const first = vb.slice(x, [0, 0, 0, 0], [1, 5, 4, 1]);
    const sized = vb.image.transform(first, vb.tensor2d([[1, 0.2, 0, 0, 1, 0, 0, 0]]), 'nearest', 'reflect', 0, [7, 3]);
    assertTensorClose(sized, tf.image.transform(toTf(first) as tf.Tensor4D, tf.tensor2d([[1, 0.2, 0, 0, 1, 0, 0, 0]]), 'nearest', 'reflect', 0, [7, 3]), 'outputShape');
  });

  it('transform: a rotation by a hand-picked angle (30 degrees) against the float64 rotation', () => {
    const x = seeded([1, 8, 6, 3], 9);
    const angle = Math.PI / 6;
    const matrix = rotationMatrix(angle, 8, 6);
    const ours = vb.image.transform(x, vb.tensor2d([matrix]), 'bilinear', 'reflect');
    assertTensorClose(ours, applyMap(transformMap([1, 8, 6, 3], [matrix], 'bilinear', 'reflect'), x.dataSync()), '30 degrees');
    // A quarter turn of a 5 x 5 image moves whole pixels: out[y][x] = in[x][4 - y] (cos and sin of
    // the float32 angle are within 1e-7 of 0 and 1, so within 1e-5 of the pixel).
    const square = seeded([1, 5, 5, 1], 10);
    const quarter = vb.image.transform(square, vb.tensor2d([rotationMatrix(Math.PI / 2, 5, 5)]), 'bilinear', 'constant').dataSync();
    const values = square.dataSync();
    for (let y = 0; y < 5; y++) {
      for (let xo = 0; xo < 5; xo++) {
        const expected = values[xo * 5 + (4 - y)]!;
        assert.ok(Math.abs(quarter[y * 5 + xo]! - expected) < 1e-5, `quarter turn at (${y}, ${xo}): ${quarter[y * 5 + xo]} vs ${expected}`);
      }
    }
  });

  it('bad arguments are rejected with what was expected and received', () => {
    const x = seeded([1, 4, 4, 1], 11);
    const cases: [() => unknown, RegExp][] = [
      [() => vb.image.resizeBilinear(seeded([4, 4], 1), [2, 2]), /resizeBilinear: Expected images of rank 3 or 4.*images.shape=\[4, 4\]/],
      [() => vb.image.resizeBilinear(x, [0, 2]), /resizeBilinear: Expected size.*size=\[0, 2\]/],
      [() => vb.image.resizeBilinear(x, [2, 2], true, true), /alignCorners and halfPixelCenters not both true/],
      [() => vb.image.resizeNearestNeighbor(x, [2.5, 2] as unknown as [number, number]), /resizeNearestNeighbor: Expected size.*size=\[2.5, 2\]/],
      [() => vb.image.flipLeftRight(seeded([4, 4, 1], 1)), /flipLeftRight: Expected images of rank 4/],
      [() => vb.mirrorPad(x, [[0, 0], [4, 0], [0, 0], [0, 0]], 'reflect'), /mirrorPad: Expected paddings\[1\] as two integers in \[0, 3\].*paddings\[1\]=\[4, 0\]/],
      [() => vb.mirrorPad(x, [[0, 0], [1, 1]], 'symmetric'), /mirrorPad: Expected one \[before, after\] pair per axis/],
      [() => vb.mirrorPad(x, [[0, 0], [0, 0], [0, 0], [0, 0]], 'edge' as 'reflect'), /mode="edge"/],
      [() => vb.image.transform(x, vb.tensor2d([[1, 0, 0, 0, 1, 0]])), /transform: Expected transforms of shape \[1, 8\] or \[1, 8\]/],
      [() => vb.image.transform(x, vb.tensor2d([[1, 0, 0, 0, 1, 0, 0, 0]]), 'bicubic' as 'nearest'), /interpolation="bicubic"/],
      [() => vb.image.transform(x, vb.tensor2d([[1, 0, 0, 0, 1, 0, 0, 0]]), 'nearest', 'mirror' as 'wrap'), /fillMode="mirror"/],
    ];
    for (const [fn, message] of cases) assert.throws(fn, message);
  });
});

describe('image ops: the same bits on every backend and thread count', () => {
  const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
  function everything(): number[][] {
    const x = seeded([2, 7, 6, 3], 12);
    const probe = seeded([2, 5, 9, 3], 13);
    const ops: ((t: vb.Tensor) => vb.Tensor)[] = [
      (t) => vb.image.resizeBilinear(t, [5, 9], false, true),
      (t) => vb.image.resizeBilinear(t, [5, 9], true),
      (t) => vb.image.resizeNearestNeighbor(t, [5, 9], false, true),
      (t) => vb.slice(vb.mirrorPad(t, [[0, 0], [1, 0], [2, 1], [0, 0]], 'reflect'), [0, 0, 0, 0], [2, 5, 9, 3]),
      (t) => vb.slice(vb.image.transform(t, vb.tensor2d([[0.9, -0.4, 2, 0.4, 0.9, -1, 0, 0]]), 'bilinear', 'reflect', 0, [5, 9]), [0, 0, 0, 0], [2, 5, 9, 3]),
    ];
    return ops.flatMap((fn) => [bits(fn(x)), bits(vb.grad((t: vb.Tensor) => vb.sum(vb.mul(fn(t), probe)))(x))]);
  }

  it('reference and WASM with 1, 2 and 3 threads agree bit for bit, values and gradients', (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('no WASM backend here');
    const previous = { backend: vb.getBackend(), threads: vb.getNumThreads() };
    try {
      vb.setBackend('reference');
      const expected = everything();
      vb.setBackend('wasm');
      for (const threads of [1, 2, 3]) {
        vb.setNumThreads(threads);
        assert.deepEqual(everything(), expected, `wasm, ${threads} threads`);
      }
    } finally {
      vb.setBackend(previous.backend);
      vb.setNumThreads(previous.threads);
    }
  });
});
