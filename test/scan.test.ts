/** cumsum, topk and unsortedSegmentSum: TF.js as the oracle, exact expectations, both backends. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';

forEachBackend('scans and selections', () => {
  before(() => tf.setBackend('cpu'));

  it('cumsum matches TF.js on every axis, exclusive and reversed, with its gradient', () => {
    const x = vb.randomNormal([3, 5, 6], 0, 1, 'float32', 1);
    const tx = tf.tensor(x.dataSync() as Float32Array, [3, 5, 6]);
    for (const axis of [0, 1, 2, -1]) {
      for (const exclusive of [false, true]) {
        for (const reverse of [false, true]) {
          const ours = vb.cumsum(x, axis, exclusive, reverse).dataSync();
          // TF.js 4.22 mishandles a negative axis in cumsum: give it the positive one.
          const theirs = tf.cumsum(tx, axis < 0 ? axis + 3 : axis, exclusive, reverse).dataSync();
          ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) <= 1e-5 * Math.max(1, Math.abs(theirs[i]!)), `axis ${axis} ${exclusive} ${reverse} [${i}]`));
          // The gradient of <cumsum(x), p> in float64: x[j] reaches every output i its scan passes.
          const probe = vb.randomNormal([3, 5, 6], 0, 1, 'float32', 2);
          const g = vb.grad((a: vb.Tensor) => vb.sum(vb.mul(vb.cumsum(a, axis, exclusive, reverse), probe)))(x).dataSync();
          const p = probe.dataSync();
          const a = axis < 0 ? axis + 3 : axis;
          const strides = [30, 6, 1];
          for (let flat = 0; flat < 90; flat++) {
            const j = Math.floor(flat / strides[a]!) % [3, 5, 6][a]!;
            let expected = 0;
            for (let i = 0; i < [3, 5, 6][a]!; i++) {
              const reaches = reverse ? (exclusive ? j > i : j >= i) : (exclusive ? j < i : j <= i);
              if (reaches) expected += p[flat + (i - j) * strides[a]!]!;
            }
            assert.ok(Math.abs(g[flat]! - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `gradient axis ${axis} ${exclusive} ${reverse} [${flat}]`);
          }
        }
      }
    }
    assert.deepEqual(vb.cumsum(vb.tensor([1, 2, 3, 4], [4], 'int32'), 0, true, true).arraySync(), [9, 7, 4, 0]);
    assert.equal((vb.cumsum(vb.tensor([2147483647, 1], [2], 'int32')).arraySync() as number[])[1], -2147483648, 'int32 wraps');
    // Each output extends the previous one by one float32 addition: 1 + 2^-24 is lost, then found again.
    assert.deepEqual(vb.cumsum([1, 2 ** -24, 2 ** -24]).arraySync(), [1, 1, 1].map(Math.fround));
  });

  it('topk: values and indices, largest first, ties in index order, NaN largest', () => {
    const x = vb.randomNormal([4, 9], 0, 1, 'float32', 3);
    const ours = vb.topk(x, 4);
    const theirs = tf.topk(tf.tensor(x.dataSync() as Float32Array, [4, 9]), 4);
    assert.deepEqual(Array.from(ours.indices.dataSync()), Array.from(theirs.indices.dataSync()));
    assert.deepEqual(Array.from(ours.values.dataSync()), Array.from(theirs.values.dataSync()));
    const ties = vb.topk(vb.tensor([[3, 1, NaN, 3, 2], [0, 0, -1, 5, 5]]), 3);
    assert.deepEqual(ties.indices.arraySync(), [[2, 0, 3], [3, 4, 0]]);
    assert.deepEqual(vb.topk(vb.tensor([5, 1, 7], [3], 'int32'), 2).values.arraySync(), [7, 5]);
    assert.throws(() => vb.topk(x, 10), /Expected k in \[0, 9\]\. Received: k=10/);
  });

  it('unsortedSegmentSum adds rows by segment id in increasing row order', () => {
    const x = vb.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    assert.deepEqual(vb.unsortedSegmentSum(x, [1, 0, 1, 3], 4).arraySync(), [[3, 4], [6, 8], [0, 0], [7, 8]]);
    const theirs = tf.unsortedSegmentSum(tf.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([1, 0, 1, 3], 'int32'), 4).arraySync();
    assert.deepEqual(vb.unsortedSegmentSum(x, [1, 0, 1, 3], 4).arraySync(), theirs);
    assert.throws(() => vb.unsortedSegmentSum(x, [1, 0, 4, 3], 4), /Expected every index in \[0, 4\)/);
  });
});

describe('topk on WASM is a declared fallback', () => {
  it('is counted by kernelFallbacks and gives the reference bits', (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('WebAssembly SIMD is unavailable here');
    const previous = vb.getBackend();
    try {
      vb.setBackend('wasm');
      const before = vb.kernelFallbacks().find((f) => f.primitive === 'topkIndices')?.count ?? 0;
      vb.topk([3, 1, 2], 2);
      assert.equal(vb.kernelFallbacks().find((f) => f.primitive === 'topkIndices')?.count, before + 1);
      assert.ok(Object.values(vb.KERNEL_FALLBACKS).includes(vb.kernelFallbacks().find((f) => f.primitive === 'topkIndices')!.reason as never));
    } finally {
      vb.setBackend(previous);
    }
  });
});
