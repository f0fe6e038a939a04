/** Bad input: the error names the op, the argument, what was expected and what was received. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';

forEachBackend('errors', () => {
  it('shape mismatches', () => {
    assert.throws(() => vb.add(vb.zeros([2, 3]), vb.zeros([4])),
      /add: Expected shapes that broadcast \(each dimension equal or 1, aligned from the right\)\. Received: shapes\[0\]=\[2, 3\], shapes\[1\]=\[4\]/);
    assert.throws(() => vb.matMul(vb.zeros([2, 3]), vb.zeros([4, 5])),
      /matMul: Expected the inner dimensions to match \(a's columns == b's rows\)\. Received: a\.shape=\[2, 3\], b\.shape=\[4, 5\], transposeA=false, transposeB=false/);
    assert.throws(() => vb.reshape(vb.zeros([2, 3]), [4, 2]), /reshape: Expected a shape with 6 elements\. Received: shape=\[4, 2\], x\.shape=\[2, 3\]/);
    assert.throws(() => vb.concat([vb.zeros([2, 3]), vb.zeros([3, 3])], 1), /concat: Expected every tensor to match tensors\[0\].*Received: tensors\[1\]\.shape=\[3, 3\]/);
    assert.throws(() => vb.slice(vb.zeros([2, 3]), [1, 1], [2, 1]), /slice: Expected 0 <= begin\[i\] and begin\[i\] \+ size\[i\] <= x\.shape\[i\].*Received: begin=\[1, 1\], size=\[2, 1\], x\.shape=\[2, 3\]/);
    assert.throws(() => vb.tensor([[1, 2], [3]]), /tensor: Expected a rectangular nested array/);
    assert.throws(() => vb.tensor([1, 2, 3], [2, 2]), /tensor: Expected shape to hold 3 values\. Received: shape=\[2, 2\]/);
  });

  it('wrong dtypes', () => {
    assert.throws(() => vb.matMul(vb.zeros([2, 2], 'int32'), vb.zeros([2, 2], 'int32')),
      /matMul: Expected a and b of dtype float32\. Received: a\.dtype="int32", b\.dtype="int32"/);
    assert.throws(() => vb.gather(vb.zeros([3]), vb.tensor([0.5])), /gather: Expected indices of dtype int32\. Received: indices\.dtype="float32"/);
    assert.throws(() => vb.where(vb.tensor([1, 0]), [1, 2], [3, 4]), /where: Expected condition of dtype bool\. Received: condition\.dtype="float32"/);
    // Under the op called (they were named fill, which zeros and ones use).
    assert.throws(() => vb.zeros([2], 'float64' as never), /^ValueError: zeros: Expected dtype to be one of float32, int32, bool\. Received: dtype="float64"/);
    assert.throws(() => vb.ones([2, -1]), /^ValueError: ones: Expected shape to be an array of non-negative integers\. Received: shape=\[2, -1\]/);
    assert.throws(() => vb.fill([2], 1, 'float64' as never), /^ValueError: fill: Expected dtype/);
    assert.throws(() => vb.add('a' as never, 1), /add: Expected a to be a Tensor, a number, a boolean or a \(nested\) array\. Received: a="a"/);
  });

  it('bad axes and indices', () => {
    assert.throws(() => vb.sum(vb.zeros([2, 3]), 2), /sum: Expected axis to be an integer in \[-2, 2\)\. Received: axis=2, rank=2/);
    assert.throws(() => vb.sum(vb.zeros([2, 3]), [0, 0]), /sum: Expected distinct axes\. Received: axes=\[0, 0\]/);
    assert.throws(() => vb.softmax(vb.zeros([2, 3]), 5), /softmax: Expected axis to be an integer in \[-2, 2\)\. Received: axis=5/);
    assert.throws(() => vb.transpose(vb.zeros([2, 3]), [0, 0]), /transpose: Expected perm to be a permutation of \[0, 2\)\. Received: perm=\[0, 0\]/);
    assert.throws(() => vb.gather(vb.zeros([3]), vb.tensor([0, 3], [2], 'int32')), /gather: Expected every index in \[0, 3\)\. Received: indices\[1\]=3/);
    assert.throws(() => vb.argMax(vb.zeros([2, 0]), 1), /argMax: Expected a non-empty axis/);
  });

  it('disposed tensors', () => {
    const t = vb.tensor([1, 2]);
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.throws(() => vb.add(t, 1), /add: Expected a live tensor\. Received: a, a tensor of shape \[2\] that was disposed/);
    assert.throws(() => t.dataSync(), /dataSync: Expected a live tensor/);
    assert.throws(() => vb.setBackend('nope'), /setBackend: Expected one of the registered backends \(.*reference.*\)\. Received: name="nope"/);
  });

  it('names of Object.prototype members are not activations, initializers or regularizers', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.throws(() => vb.layers.dense({ units: 1, activation: name as 'relu' }), /Dense: Expected activation to be one of/);
      assert.throws(() => vb.layers.dense({ units: 1, kernelInitializer: name as 'zeros' }), /Expected an initializer/);
      assert.throws(() => vb.layers.dense({ units: 1, kernelRegularizer: name as 'l2' }), /Expected a regularizer: 'l1', 'l2', 'l1l2'.*Received: regularizer=/);
    }
  });

  it('a regularizer object of other keys than l1 and l2 is an error, where it regularized nothing', () => {
    const serialized = { className: 'L1L2', config: { l2: 0.1 } } as unknown as vb.regularizers.Regularizer;
    assert.throws(() => vb.layers.dense({ units: 1, kernelRegularizer: serialized }), /Dense: Expected a regularizer: 'l1', 'l2', 'l1l2', a regularizer object or its config \{l1, l2\}\. Received: regularizer=\{"className":"L1L2","config":\{"l2":0\.1\}\}/);
    assert.throws(() => vb.layers.lstm({ units: 1, recurrentRegularizer: { l_2: 0.1 } as never }), /LSTM: Expected a regularizer.*Received: regularizer=\{"l_2":0\.1\}/);
    // Its config {l1, l2}, as getConfig gives it, still regularizes: 0.5 * (1^2 + 1^2) added to a zero loss.
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [1], useBias: false, kernelInitializer: 'ones', kernelRegularizer: { l2: 0.5 } as never })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    assert.equal((model.evaluate(vb.zeros([1, 1]), vb.zeros([1, 2])) as vb.Tensor).arraySync(), 1);
  });

  it('an object that is not an initializer is an error naming it, not a crash when the weight is made; null is the default', () => {
    const config = { className: 'Zeros', config: {} } as unknown as vb.initializers.Initializer;
    assert.throws(() => vb.layers.dense({ units: 1, kernelInitializer: config }), /Dense: Expected an initializer: one of glorotUniform, .* or an initializer object \(vb\.initializers\.\*\)\. Received: initializer=\{"className":"Zeros","config":\{\}\}/);
    assert.throws(() => vb.layers.embedding({ inputDim: 3, outputDim: 2, embeddingsInitializer: {} as vb.initializers.Initializer }), /Embedding: Expected an initializer/);
    class Scale extends vb.layers.Layer {
      static get className() { return 'Scale'; }
      override build() { this.addWeight('w', [1], 'float32', { seed: 1 } as unknown as vb.initializers.Initializer); }
      override call(x: vb.Tensor | vb.Tensor[]) { return x; }
    }
    assert.throws(() => new Scale({}).apply(vb.ones([1, 1])), /addWeight: Expected an initializer/);
    const y = vb.layers.dense({ units: 2, kernelInitializer: null as unknown as undefined, biasInitializer: 'ones' }).apply(vb.zeros([1, 3])) as vb.Tensor;
    assert.deepEqual(y.arraySync(), [[1, 1]]);
    // zeros() and ones() take no options (they ignored any), constant's value is a number.
    assert.throws(() => vb.initializers.zeros({ value: 2 } as never), /^ValueError: zeros: Expected no options\. Received: value=2/);
    assert.throws(() => vb.initializers.ones({ seed: 1 } as never), /^ValueError: ones: Expected no options\. Received: seed=1/);
    assert.throws(() => vb.initializers.constant({ value: '2' as never }), /^ValueError: constant: Expected value to be a number\. Received: value="2"/);
  });
});
