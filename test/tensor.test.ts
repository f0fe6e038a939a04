import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';

forEachBackend('tensors', () => {
  it('constructors infer shapes and dtypes as TF.js does', () => {
    const t = vb.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.rank, 2);
    assert.equal(t.size, 6);
    assert.equal(vb.tensor([true, false]).dtype, 'bool');
    assert.equal(vb.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.deepEqual(vb.tensor([1, 2, 3, 4], [2, 2]).arraySync(), [[1, 2], [3, 4]]);
    assert.deepEqual(vb.scalar(3).shape, []);
    assert.equal(vb.scalar(3).arraySync(), 3);
    assert.deepEqual(vb.tensor1d([1, 2]).shape, [2]);
    assert.deepEqual(vb.tensor2d([1, 2, 3, 4], [2, 2]).shape, [2, 2]);
    assert.deepEqual(vb.tensor3d([[[1]]]).shape, [1, 1, 1]);
    assert.deepEqual(vb.tensor4d([[[[1]]]]).shape, [1, 1, 1, 1]);
    assert.deepEqual(vb.zeros([2, 0]).shape, [2, 0]);
    assert.deepEqual(vb.fill([2], 7, 'int32').arraySync(), [7, 7]);
    assert.deepEqual(vb.ones([2]).arraySync(), [1, 1]);
    assert.deepEqual(vb.zerosLike(vb.ones([3], 'int32')).arraySync(), [0, 0, 0]);
    assert.deepEqual(vb.onesLike(vb.zeros([2])).arraySync(), [1, 1]);
    assert.deepEqual(vb.linspace(0, 1, 5).arraySync(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(vb.range(0, 5, 2).arraySync(), [0, 2, 4]);
    assert.deepEqual(vb.range(3).arraySync(), [0, 1, 2]);
    assert.deepEqual(vb.eye(2, 3).arraySync(), [[1, 0, 0], [0, 1, 0]]);
    assert.equal(vb.tensor([0.1]).dataSync()[0], Math.fround(0.1));
  });

  it('data, array and print', async () => {
    const t = vb.tensor([[1, 2]]);
    assert.deepEqual(Array.from(await t.data()), [1, 2]);
    assert.deepEqual(await t.array(), [[1, 2]]);
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => { lines.push(s); };
    try { t.print(); } finally { console.log = log; }
    assert.equal(lines[0], 'Tensor(shape=[1,2], dtype=float32)\n    [[1,2]]');
    const copy = t.dataSync();
    copy[0] = 99;
    assert.equal(t.dataSync()[0], 1, 'dataSync returns a copy');
  });

  it('tidy disposes what it does not return; memory() counts live tensors and bytes', () => {
    const start = vb.memory();
    const kept = vb.tidy(() => {
      const a = vb.ones([10]);
      const b = vb.add(a, 1);
      vb.keep(vb.mul(b, 2)).dispose();
      return { result: vb.mul(b, 3), list: [vb.zeros([2], 'bool')] };
    });
    assert.deepEqual(vb.memory(), { ...start, numTensors: start.numTensors + 2, numDataBuffers: start.numDataBuffers + 2, numBytes: start.numBytes + 40 + 2 });
    vb.dispose([kept.result, kept.list[0]!]);
    assert.deepEqual(vb.memory(), start);
    assert.throws(() => vb.tidy(() => { vb.ones([3]); throw new Error('inside'); }), /inside/);
    assert.deepEqual(vb.memory(), start);
    assert.throws(() => vb.tidy(async () => 1 as never), /Expected a synchronous function/);
  });

  it("tidy(name, fn), TF.js's other form, runs fn in a scope as tidy(fn) does", () => {
    const start = vb.memory();
    const result = vb.tidy('scaled', () => vb.mul(vb.add(vb.ones([3]), 1), 2));
    assert.deepEqual([...result.dataSync()], [4, 4, 4]);
    assert.equal(vb.memory().numTensors, start.numTensors + 1);
    result.dispose();
    assert.throws(() => vb.tidy('name only' as never), /tidy: Expected a function, or a name and a function\. Received: fn=undefined/);
  });

  it('memory stays flat over many steps of ops and gradients', () => {
    const w = vb.variable(vb.randomNormal([8, 4], 0, 1, 'float32', 1), true, 'flat_memory_w');
    const x = vb.randomNormal([16, 8], 0, 1, 'float32', 2);
    const start = vb.memory();
    for (let step = 0; step < 200; step++) {
      vb.tidy(() => {
        const { grads } = vb.variableGrads(() => vb.mean(vb.square(vb.relu(vb.matMul(x, w)))), [w]);
        w.assign(vb.sub(w, vb.mul(grads.flat_memory_w!, 0.01)));
      });
    }
    assert.deepEqual(vb.memory(), start);
    vb.dispose([w, x]);
  });

  it('variables: assign checks shape and dtype; names are unique', () => {
    const v = vb.variable([1, 2], true, 'tensor_test_v');
    v.assign(vb.tensor([3, 4]));
    assert.deepEqual(v.arraySync(), [3, 4]);
    assert.equal(v.name, 'tensor_test_v');
    assert.equal(v.trainable, true);
    assert.throws(() => v.assign(vb.tensor([1, 2, 3])),
      /Variable\.assign \(tensor_test_v\): Expected a tensor of shape \[2\] and dtype float32\. Received: value\.shape=\[3\], value\.dtype=float32/);
    assert.throws(() => vb.variable([1], true, 'tensor_test_v'), /Expected a name not used by another live variable/);
    v.dispose();
    vb.variable([1], true, 'tensor_test_v').dispose();
  });

  it('digest hashes name, dtype, shape and raw little-endian bytes; every NaN is the one NaN', () => {
    const bits = new Uint32Array([0x3f800000, 0x7fc00001]); // 1 and a NaN with a payload
    const x = vb.tensor(new Float32Array(bits.buffer), [2]);
    const expected = createHash('sha256').update('0\0float32\0[2]\0').update(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f])).digest('hex');
    assert.equal(vb.digest(x), expected);
    assert.equal(vb.digest([x]), expected);
    assert.equal(vb.digest({ 0: x }), expected);
    assert.notEqual(vb.digest({ a: x }), expected, 'names take part');
    assert.notEqual(vb.digest(vb.reshape(x, [1, 2])), expected, 'shapes take part');
    assert.throws(() => vb.digest([x, 3 as never]), /digest: Expected a tensor, a list of tensors or a plain record of tensors\. Received: tensors\["1"\]="3"/);
    assert.throws(() => vb.digest(new Map([['a', x]]) as never), /Received: tensors="a Map"/);
    assert.throws(() => vb.digest({ a: { b: x } } as never), /Received: tensors\["a"\]="a Object"/);
  });
});
