/**
 * Keras 3 masks through the layers that combine or consume them besides the recurrent ones:
 * Concatenate's output mask, BatchNormalization's masked moments, MultiHeadAttention's mask from
 * its inputs' masks, in graphs as in Keras, and a training step with all of them. Known answers
 * come from Keras's semantics: the padded positions change nothing that the unpadded sequence
 * computes, bit for bit.
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

describe('batchNormalization: masked moments (Keras 3)', () => {
  // Features [value, 10 value]; the masked steps hold values that would move the moments far.
  const x = vb.tensor([[[1, 10], [2, 20], [100, 100]], [[3, 30], [50, 50], [60, 60]]], [2, 3, 2]);
  const mask = boolMask([[1, 1, 0], [1, 0, 0]]);

  it('training takes the mean and biased variance over the unmasked steps only; the mask passes on', () => {
    const layer = L.batchNormalization({ momentum: 0, epsilon: 1e-3 });
    const y = layer.apply(x, { training: true, mask }) as vb.Tensor;
    // Unmasked rows (1, 10), (2, 20), (3, 30): mean (2, 20), variance (2/3, 200/3).
    assert.deepEqual(Array.from(layer.movingMean!.dataSync()), [2, 20]);
    assert.deepEqual(Array.from(layer.movingVariance!.dataSync()), [Math.fround(2 / 3), Math.fround(200 / 3)]);
    const normalized = (v: number, mean: number, variance: number) => (v - mean) / Math.sqrt(variance + 1e-3);
    const values = y.arraySync() as number[][][];
    assert.ok(Math.abs(values[0]![0]![0]! - normalized(1, 2, 2 / 3)) < 1e-5);
    assert.ok(Math.abs(values[1]![1]![1]! - normalized(50, 20, 200 / 3)) < 1e-5, 'masked steps are normalized with the same moments');
    assert.equal(layer.computeMask(x, mask), mask);
  });

  it('the moments, moving statistics and unmasked outputs are those of the unmasked rows alone, bit for bit; the gradient too', () => {
    const run = (input: vb.Tensor, m?: vb.Tensor) => {
      vb.setRandomSeed(5);
      const layer = L.batchNormalization({ momentum: 0.5, name: 'bn_masked', gammaInitializer: 'randomNormal', betaInitializer: 'randomNormal' });
      const y = layer.apply(input, { training: true, ...(m ? { mask: m } : {}) }) as vb.Tensor;
      const result = { y, moving: [bits(layer.movingMean!), bits(layer.movingVariance!)] };
      layer.dispose();
      return result;
    };
    const masked = run(x, mask);
    const kept = vb.tensor([[[1, 10], [2, 20], [3, 30]]], [1, 3, 2]);
    const alone = run(kept);
    assert.deepEqual(masked.moving, alone.moving);
    const picked = [...bits(masked.y).slice(0, 4), ...bits(masked.y).slice(6, 8)];
    assert.deepEqual(picked, bits(alone.y));
    // The gradient of a loss over the unmasked outputs only (weights 0 for the masked steps).
    const onlyKept = (input: vb.Tensor, m: vb.Tensor | undefined, weights: number[]) => {
      vb.setRandomSeed(5);
      const layer = L.batchNormalization({ name: 'bn_grad', gammaInitializer: 'randomNormal', betaInitializer: 'randomNormal' });
      const w = vb.tensor(weights, [...input.shape.slice(0, 2), 1]);
      layer.apply(input); // builds it (inference leaves the moving statistics)
      const { grads } = vb.variableGrads(() => vb.sum(vb.mul(vb.square(layer.apply(input, { training: true, ...(m ? { mask: m } : {}) }) as vb.Tensor), w)), layer.trainableWeights);
      const g = layer.trainableWeights.map((v) => bits(grads[v.name]!));
      layer.dispose();
      return g;
    };
    assert.deepEqual(onlyKept(x, mask, [1, 1, 0, 1, 0, 0]), onlyKept(kept, undefined, [1, 1, 1]));
    assert.notDeepEqual(run(x).moving, masked.moving, 'without the mask the moments differ');
  });

  it('inference uses the moving statistics whatever the mask; a feature with no unmasked position gets mean and variance 0', () => {
    const layer = L.batchNormalization({ momentum: 0 });
    layer.apply(x);
    assert.deepEqual(bits(layer.apply(x, { mask }) as vb.Tensor), bits(layer.apply(x) as vb.Tensor));
    layer.apply(x, { training: true, mask: boolMask([[0, 0, 0], [0, 0, 0]]) });
    assert.deepEqual(Array.from(layer.movingMean!.dataSync()), [0, 0]);
    assert.deepEqual(Array.from(layer.movingVariance!.dataSync()), [0, 0]);
  });

  it('TF.js passes the mask on but takes its moments over every step, where Keras 3 (and verbatim) take the unmasked ones', () => {
    const theirs = tf.layers.batchNormalization({ momentum: 0 });
    theirs.apply(tf.tensor(x.arraySync() as number[][][]), { training: true, mask: tf.tensor(mask.arraySync() as number[][], [2, 3], 'bool') });
    const ours = L.batchNormalization({ momentum: 0 });
    ours.apply(x, { training: true, mask });
    assert.deepEqual(Array.from(theirs.getWeights()[2]!.dataSync()), [36, 45], 'the mean of every step');
    assert.deepEqual(Array.from(ours.movingMean!.dataSync()), [2, 20]);
  });

  it('a mask of another shape is an error naming it', () => {
    const layer = L.batchNormalization({ name: 'bn_shape' });
    assert.throws(() => layer.apply(x, { training: true, mask: boolMask([[1, 0], [1, 1]]) }), /BatchNormalization \(bn_shape\): Expected a mask of shape \[2,3\] \(the inputs' without the last axis\)\. Received: mask\.shape=\[2, 2\], inputs\.shape=\[2, 3, 2\]/);
    assert.throws(() => layer.apply(x, { mask: vb.ones([2, 3, 2], 'bool') }), /Expected a mask of shape \[2,3\]/);
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

describe('a training step with masks', () => {
  it('embedding(maskZero), batchNormalization, self-attention, concatenate and an lstm: padded sequences train as the unpadded ones, bit for bit', async () => {
    const train = async (x: vb.Tensor, length: number) => {
      vb.setRandomSeed(24);
      const input = vb.input({ shape: [length], dtype: 'int32' });
      const normalized = L.batchNormalization().apply(L.embedding({ inputDim: 12, outputDim: 4, maskZero: true }).apply(input));
      const attended = L.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([normalized, normalized]);
      const joined = L.concatenate().apply([normalized, attended]);
      const model = vb.model({ inputs: input, outputs: L.dense({ units: 1, activation: 'sigmoid' }).apply(L.lstm({ units: 3 }).apply(joined)), name: 'masked_step' });
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const history = await model.fit(x, vb.tensor([[1], [0], [1]], [3, 1]), { epochs: 1, batchSize: 3, verbose: 0 });
      const weights = model.getWeights().map(bits);
      model.dispose();
      return { loss: history.history.loss, weights };
    };
    const rows = [[3, 1, 4], [1, 5, 9], [2, 6, 5]];
    const padded = await train(tokens(rows.map((r) => [...r, 0, 0])), 5);
    const unpadded = await train(tokens(rows), 3);
    assert.deepEqual(padded.loss, unpadded.loss);
    assert.deepEqual(padded.weights, unpadded.weights);
  });
});

describe('elementwise merges: the output mask (Keras 3)', () => {
  it("add, multiply, ... or their inputs' masks (Keras 3's Merge.compute_mask; it was the and of Keras 2 and TF.js); none unless every input has one", () => {
    const [a, b] = [vb.input({ shape: [4], dtype: 'int32', name: 'a' }), vb.input({ shape: [4], dtype: 'int32', name: 'b' })];
    const embed = (t: vb.layers.SymbolicTensor) => L.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(t);
    const model = vb.model({ inputs: [a, b], outputs: [L.add().apply([embed(a), embed(b)]), L.multiply().apply([embed(a), embed(b)])] });
    const ids = [tokens([[1, 2, 0, 0], [0, 3, 0, 4]]), tokens([[1, 0, 3, 0], [0, 0, 0, 4]])];
    const { masks } = model.callWithMasks(ids, { training: false, step: 0 });
    for (const mask of masks) assert.deepEqual(mask!.arraySync(), [[1, 1, 1, 0], [0, 1, 0, 1]]);
    // An input without a mask: no mask (Keras 3).
    const c = vb.input({ shape: [4, 2], name: 'c' });
    const mixed = vb.model({ inputs: [a, c], outputs: L.add().apply([embed(a), c]) });
    assert.deepEqual(mixed.callWithMasks([ids[0]!, vb.ones([2, 4, 2])], { training: false, step: 0 }).masks, [undefined]);
    mixed.dispose();
    model.dispose();
  });
});

describe('a model standing as a layer of another: masks in and out (Keras 3, TF.js)', () => {
  it("its outputs carry the masks its layers give them: an encoder's embedding(maskZero) masks the lstm after it", () => {
    vb.setRandomSeed(25);
    const encoder = vb.sequential({ layers: [L.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [null] })] });
    const model = vb.sequential({ layers: [encoder, L.lstm({ units: 3 })] });
    assert.deepEqual(bits(model.predict(tokens([[3, 1, 4, 0, 0]])) as vb.Tensor), bits(model.predict(tokens([[3, 1, 4]])) as vb.Tensor));
    assert.deepEqual(model.layers[0]!.computeMask(tokens([[3, 1, 0]]), undefined)!.arraySync(), [[1, 1, 0]]);
    model.dispose();
  });

  it('computeMask runs the model and leaves no tensor behind but the mask', () => {
    vb.setRandomSeed(28);
    const encoder = vb.sequential({ layers: [L.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputShape: [null] }), L.lstm({ units: 2, returnSequences: true })] });
    const model = vb.sequential({ layers: [encoder, L.lstm({ units: 2 })] });
    const x = tokens([[3, 1, 0], [2, 0, 0]]);
    model.predict(x);
    const before = vb.memory().numTensors;
    const mask = model.layers[0]!.computeMask(x, undefined)!;
    assert.deepEqual(mask.arraySync(), [[1, 1, 0], [1, 0, 0]]);
    mask.dispose();
    assert.equal(vb.memory().numTensors, before);
    model.dispose();
  });

  it('the masks its inputs carry reach its layers, each input its own', () => {
    vb.setRandomSeed(26);
    const [innerA, innerB] = [vb.input({ shape: [null, 4], name: 'inner_a' }), vb.input({ shape: [null, 4], name: 'inner_b' })];
    const [lstmA, lstmB] = [L.lstm({ units: 2 }), L.lstm({ units: 2 })];
    const inner = vb.model({ inputs: [innerA, innerB], outputs: [lstmA.apply(innerA), lstmB.apply(innerB)], name: 'inner' });
    const [a, b] = [vb.input({ shape: [null], dtype: 'int32', name: 'a' }), vb.input({ shape: [null], dtype: 'int32', name: 'b' })];
    const embed = L.embedding({ inputDim: 9, outputDim: 4, maskZero: true });
    const outer = vb.model({ inputs: [a, b], outputs: inner.apply([embed.apply(a), embed.apply(b)]) as vb.layers.SymbolicTensor[] });
    const [outA, outB] = outer.predict([tokens([[5, 2, 0, 0]]), tokens([[7, 0, 0, 0]])]) as vb.Tensor[];
    const [aloneA, aloneB] = outer.predict([tokens([[5, 2]]), tokens([[7]])]) as vb.Tensor[];
    assert.deepEqual(bits(outA!), bits(aloneA!));
    assert.deepEqual(bits(outB!), bits(aloneB!));
    outer.dispose();
  });

  it('a tagger inside a model trains with its output mask: other labels at padded steps change nothing, bit for bit', async () => {
    const train = async (labels: number[][]) => {
      vb.setRandomSeed(27);
      const tagger = vb.sequential({ layers: [L.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputShape: [4] }), L.dense({ units: 3 })], name: 'tagger' });
      const input = vb.input({ shape: [4], dtype: 'int32' });
      const model = vb.model({ inputs: input, outputs: tagger.apply(input) as vb.layers.SymbolicTensor });
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const history = await model.fit(tokens([[1, 2, 0, 0], [3, 4, 5, 0]]), vb.tensor(labels, [2, 4], 'int32'), { epochs: 2, batchSize: 2, verbose: 0 });
      const weights = model.getWeights().map(bits);
      model.dispose();
      return { loss: history.history.loss, weights };
    };
    const one = await train([[0, 1, 0, 0], [2, 1, 0, 0]]);
    const other = await train([[0, 1, 2, 1], [2, 1, 0, 2]]);
    assert.deepEqual(one.loss, other.loss);
    assert.deepEqual(one.weights, other.weights);
  });
});

describe('softmax with a mask (Keras 3)', () => {
  const logits = vb.tensor([[1, 2, 3, 4], [0.5, -1, 2, 0]], [2, 4]);
  const softmaxOf = (rows: number[][]) => vb.softmax(vb.tensor(rows, [rows.length, rows[0]!.length]));

  it('a masked entry counts as -1e9, then 0: the unmasked entries are the softmax of those alone; a fully masked row is 0', () => {
    const out = L.softmax().apply(logits, { mask: boolMask([[1, 1, 0, 0], [0, 0, 0, 0]]) }) as vb.Tensor;
    assert.deepEqual(bits(out).slice(0, 2), bits(softmaxOf([[1, 2]])));
    assert.deepEqual(Array.from(out.dataSync()).slice(2), [0, 0, 0, 0, 0, 0], 'masked entries and the fully masked row (Keras since 2025; it was uniform)');
    const inner = L.softmax().apply(logits, { mask: boolMask([[1, 0, 1, 1], [1, 1, 1, 1]]) }) as vb.Tensor;
    const expected = softmaxOf([[1, 3, 4]]).dataSync();
    const got = inner.dataSync();
    [got[0], got[2], got[3]].forEach((v, i) => assert.ok(Math.abs(v! - expected[i]!) <= 1e-7, `${v} vs ${expected[i]}`));
    assert.equal(got[1], 0);
    assert.deepEqual(bits(inner).slice(4), bits(softmaxOf([[0.5, -1, 2, 0]])), 'an all-true row is the plain softmax');
  });

  it('a mask broadcasts from the last dimension (key padding [batch, 1, keys] over [batch, queries, keys]); a number mask keeps where > 0.5', () => {
    const scores = vb.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]);
    const padding = boolMask([[1, 1, 0], [1, 0, 0]]).reshape([2, 1, 3]);
    const out = (L.softmax().apply(scores, { mask: padding }) as vb.Tensor).arraySync() as number[][][];
    assert.deepEqual(out.map((q) => q.map((row) => row.map((v) => v === 0))), [[[false, false, true], [false, false, true]], [[false, true, true], [false, true, true]]]);
    assert.deepEqual(out[1]!.map((row) => row[0]), [1, 1]);
    const numbers = L.softmax().apply(logits, { mask: vb.tensor([[0.9, 0.2, 1, 0.6], [1, 1, 1, 1]], [2, 4]) }) as vb.Tensor;
    assert.deepEqual(bits(numbers), bits(L.softmax().apply(logits, { mask: boolMask([[1, 0, 1, 1], [1, 1, 1, 1]]) }) as vb.Tensor));
  });

  it("TF.js's softmax layer agrees where a row keeps an entry; a fully masked row is uniform there, 0 here", () => {
    const rows = [[1, 1, 0, 0], [0, 0, 0, 0]];
    const ours = (L.softmax().apply(logits, { mask: boolMask(rows) }) as vb.Tensor).dataSync();
    const theirs = (tf.layers.softmax().apply(tf.tensor(logits.arraySync() as number[][]), { mask: tf.tensor(rows, [2, 4], 'bool') }) as tf.Tensor).dataSync();
    ours.slice(0, 4).forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) <= 1e-7, `${v} vs ${theirs[i]}`));
    assert.deepEqual(Array.from(theirs.slice(4)), [0.25, 0.25, 0.25, 0.25]);
    assert.deepEqual(Array.from(ours.slice(4)), [0, 0, 0, 0]);
  });

  it("a mask that does not broadcast is an error naming its shape, as Keras 3's (a [batch, time] mask carried to a softmax over classes)", () => {
    assert.throws(() => L.softmax().apply(logits, { mask: boolMask([[1, 0], [1, 1]]) }), /Expected a mask that broadcasts to the input .*input\.shape=\[2, 4\], mask\.shape=\[2, 2\]/s);
    const input = vb.input({ shape: [5], dtype: 'int32' });
    const tagger = vb.model({ inputs: input, outputs: L.softmax().apply(L.dense({ units: 3 }).apply(L.embedding({ inputDim: 9, outputDim: 2, maskZero: true }).apply(input))) });
    assert.throws(() => tagger.predict(tokens([[1, 2, 0, 0, 0]])), /give the layer before it activation 'softmax' instead.*input\.shape=\[1, 5, 3\], mask\.shape=\[1, 5\]/s);
    tagger.dispose();
  });
});
