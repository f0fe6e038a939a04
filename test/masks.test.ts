/**
 * Keras 3 masks through the layers that combine or consume them besides the recurrent ones:
 * Concatenate's output mask and MultiHeadAttention's mask from its inputs' masks, in graphs as in
 * Keras. Known answers come from Keras's semantics: the padded positions change nothing that the
 * unpadded sequence computes, bit for bit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

const L = vb.layers;
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const tokens = (rows: number[][]) => vb.tensor(rows, [rows.length, rows[0]!.length], 'int32');
const boolMask = (rows: number[][]) => vb.tensor(rows, [rows.length, rows[0]!.length], 'bool');

describe('concatenate: the output mask (Keras 3)', () => {
  const [a, b] = [vb.ones([2, 3, 2]), vb.ones([2, 3, 4])];
  const [ma, mb] = [boolMask([[1, 1, 0], [1, 0, 0]]), boolMask([[1, 0, 1], [0, 0, 0]])];

  it('joining features ors the masks (an input without one counts as all true); joining steps joins them', () => {
    const features = L.concatenate();
    features.apply([a, b]);
    assert.deepEqual(features.computeMask([a, b], [ma, mb])!.arraySync(), [[1, 1, 1], [1, 0, 0]]);
    assert.deepEqual(features.computeMask([a, b], [ma, undefined])!.arraySync(), [[1, 1, 1], [1, 1, 1]]);
    assert.equal(features.computeMask([a, b], [undefined, undefined]), undefined, 'no mask in, none out');
    assert.equal(features.computeMask([a, b], undefined), undefined);
    const steps = L.concatenate({ axis: 1 });
    const c = vb.ones([2, 3, 2]);
    steps.apply([a, c]);
    assert.deepEqual(steps.computeMask([a, c], [ma, boolMask([[1, 0, 1], [0, 0, 0]])])!.arraySync(), [[1, 1, 0, 1, 0, 1], [1, 0, 0, 0, 0, 0]]);
    assert.deepEqual(steps.computeMask([a, c], [undefined, ma])!.arraySync(), [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]]);
  });

  it('TF.js ands the masks of joined features (tf.keras 2) where Keras 3 ors them', () => {
    const theirs = tf.layers.concatenate();
    const [ta, tb] = [tf.ones([2, 3, 2]), tf.ones([2, 3, 4])];
    theirs.apply([ta, tb]);
    const tfMask = theirs.computeMask([ta, tb], [tf.tensor(ma.arraySync() as number[][], [2, 3], 'bool'), tf.tensor(mb.arraySync() as number[][], [2, 3], 'bool')]) as tf.Tensor;
    assert.deepEqual(tfMask.arraySync(), [[1, 0, 0], [0, 0, 0]]);
    const ours = L.concatenate();
    ours.apply([a, b]);
    assert.deepEqual(ours.computeMask([a, b], [ma, mb])!.arraySync(), [[1, 1, 1], [1, 0, 0]]);
  });

  it('in a graph: embeddings joined on the step axis into an lstm skip both paddings, as the lstm on the unpadded steps', () => {
    vb.setRandomSeed(21);
    const [embedding, lstm] = [L.embedding({ inputDim: 9, outputDim: 3, maskZero: true }), L.lstm({ units: 4 })];
    const [x1, x2] = [vb.input({ shape: [4], dtype: 'int32' }), vb.input({ shape: [3], dtype: 'int32' })];
    const model = vb.model({ inputs: [x1, x2], outputs: lstm.apply(L.concatenate({ axis: 1 }).apply([embedding.apply(x1), embedding.apply(x2)])) });
    const padded = model.predict([tokens([[1, 2, 0, 0], [5, 0, 0, 0]]), tokens([[3, 0, 0], [6, 7, 8]])]) as vb.Tensor;
    const unpadded = (steps: number[]) => lstm.apply(embedding.apply(tokens([steps])));
    assert.deepEqual(bits(padded), [...bits(unpadded([1, 2, 3])), ...bits(unpadded([5, 6, 7, 8]))]);
    model.dispose();
  });

  it('bad masks are errors naming them', () => {
    const layer = L.concatenate({ name: 'joined' });
    layer.apply([a, b]);
    assert.throws(() => layer.computeMask([a, b], [ma]), /Concatenate \(joined\)\.computeMask: Expected a list of inputs and a list of as many masks \(null for an input without one\)\. Received: inputs="a list of 2", mask="a list of 1"/);
    assert.throws(() => layer.computeMask([a, b], [ma, boolMask([[1, 0], [0, 1]])]), /Expected mask\[1\] of shape \[2,3\] \(or \[2,3,4\]\), its input's\. Received: mask\[1\]\.shape=\[2, 2\]/);
    assert.throws(() => layer.apply([a, b], { mask: ma }), /joined\.apply: Expected mask to be a list of 2 masks, one per input \(null for an input without one\)\. Received: mask=Tensor/);
  });
});

describe('multiHeadAttention in graphs: the inputs\' masks (Keras 3)', () => {
  it('padded query and value give the unpadded query and value\'s outputs, and the output carries the query\'s mask', () => {
    vb.setRandomSeed(22);
    const [embedQuery, embedValue] = [L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }), L.embedding({ inputDim: 9, outputDim: 6, maskZero: true })];
    const [attention, lstm] = [L.multiHeadAttention({ numHeads: 2, keyDim: 3 }), L.lstm({ units: 3, returnSequences: true })];
    const [q, v] = [vb.input({ shape: [4], dtype: 'int32' }), vb.input({ shape: [5], dtype: 'int32' })];
    const attended = attention.apply([embedQuery.apply(q), embedValue.apply(v)]);
    const model = vb.model({ inputs: [q, v], outputs: [attended, lstm.apply(attended)] });
    const [out, steps] = model.predict([tokens([[1, 2, 3, 0]]), tokens([[4, 5, 0, 0, 0]])]) as vb.Tensor[];
    const alone = attention.apply([embedQuery.apply(tokens([[1, 2, 3]])), embedValue.apply(tokens([[4, 5]]))]);
    assert.deepEqual(bits(out!).slice(0, 3 * 4), bits(alone), 'the unpadded query steps');
    // The lstm skips the padded query step: its last output repeats the third.
    const lstmAlone = lstm.apply(alone) as vb.Tensor;
    assert.deepEqual(bits(steps!).slice(0, 9), bits(lstmAlone));
    assert.deepEqual(bits(steps!).slice(9), bits(lstmAlone).slice(6));
    model.dispose();
  });

  it('self-attention in a Sequential model attends only to the unpadded steps', () => {
    vb.setRandomSeed(23);
    const model = vb.sequential({ layers: [L.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [null] }), L.multiHeadAttention({ numHeads: 2, keyDim: 2 }), L.lstm({ units: 2 })] });
    const padded = model.predict(tokens([[3, 1, 4, 0, 0]])) as vb.Tensor;
    assert.deepEqual(bits(padded), bits(model.predict(tokens([[3, 1, 4]])) as vb.Tensor));
    model.dispose();
  });
});
