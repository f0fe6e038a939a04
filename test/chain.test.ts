/** Tensor methods as TF.js has them: each is its op with the tensor first, bit for bit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

describe('tensor methods', () => {
  it('exist for every listed op, and TF.js has each as a method too', () => {
    const x = vb.tensor([1, 2]);
    const probe = tf.tensor([1, 2]) as unknown as Record<string, unknown>;
    for (const name of vb.TENSOR_METHODS) {
      assert.equal(typeof (x as unknown as Record<string, unknown>)[name], 'function', `x.${name}`);
      assert.equal(typeof probe[name], 'function', `TF.js has x.${name}`);
    }
    assert.ok(vb.TENSOR_METHODS.length >= 90, `${vb.TENSOR_METHODS.length} methods`);
  });

  it('compute their op with the tensor first', () => {
    const x = vb.randomNormal([3, 4], 0, 1, 'float32', 1);
    const y = vb.randomNormal([3, 4], 0, 1, 'float32', 2);
    assert.deepEqual(bits(x.add(y)), bits(vb.add(x, y)));
    assert.deepEqual(bits(x.sub(y).mul(2).div(y)), bits(vb.div(vb.mul(vb.sub(x, y), 2), y)));
    assert.deepEqual(bits(x.square().sqrt().mean(1)), bits(vb.mean(vb.sqrt(vb.square(x)), 1)));
    assert.deepEqual(bits(x.matMul(y, false, true)), bits(vb.matMul(x, y, false, true)));
    assert.deepEqual(bits(x.reshape([4, 3]).transpose()), bits(vb.transpose(vb.reshape(x, [4, 3]))));
    assert.deepEqual(x.argMax(1).arraySync(), vb.argMax(x, 1).arraySync());
    assert.deepEqual(bits(x.concat([y, x], 1)), bits(vb.concat([x, y, x], 1)));
    assert.deepEqual(bits(x.where(vb.greater(x, 0), 0)), bits(vb.where(vb.greater(x, 0), x, 0)));
    assert.equal(x.toInt().dtype, 'int32');
    assert.equal(x.toBool().dtype, 'bool');
    assert.deepEqual(x.flatten().shape, [12]);
    assert.deepEqual(x.as2D(2, 6).shape, [2, 6]);
    assert.equal(vb.tensor([5]).asScalar().rank, 0);
    assert.deepEqual(bits(x.clone()), bits(x));
    assert.notEqual(x.clone(), x);
    assert.deepEqual(x.topk(2).indices.arraySync(), vb.topk(x, 2).indices.arraySync());
  });

  it('take part in gradients like the ops', () => {
    const x = vb.tensor([1, -2, 3]);
    const g = vb.grad((t: vb.Tensor) => t.square().mul(3).sum())(x);
    assert.deepEqual(Array.from(g.dataSync()), [6, -12, 18]);
  });
});
