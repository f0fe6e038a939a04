/**
 * Functional models: vb.input / layer.apply / vb.model, several inputs and outputs, shared layers,
 * models as layers, merge and plumbing layers; TF.js 4.22 as the oracle, the reference against
 * WASM with 1-3 threads bit for bit.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { assertClose, toTf } from './helpers/close.js';

const L = vb.layers;


/** Two inputs (a: 4 features, b: 3), two outputs; a shared dense layer, concatenate, add, average, dropout. */
function twoByTwo(name: string, dropout = 0): vb.LayersModel {
  const a = vb.input({ shape: [4], name: 'a' });
  const b = vb.input({ shape: [3], name: 'b' });
  const ha = L.dense({ units: 5, activation: 'relu', name: 'da' }).apply(a);
  const hb = L.dense({ units: 5, activation: 'tanh', name: 'db' }).apply(b);
  const joined = L.concatenate().apply([ha, hb]);
  const summed = L.add().apply([ha, hb]);
  const dropped = dropout > 0 ? L.dropout({ rate: dropout }).apply(joined) : joined;
  const out1 = L.dense({ units: 2, name: 'out1' }).apply(dropped);
  const shared = L.dense({ units: 3, name: 'shared' });
  const out2 = L.average({ name: 'out2' }).apply([shared.apply(summed), shared.apply(hb)]);
  return vb.model({ inputs: [a, b], outputs: [out1, out2], name });
}

function twoByTwoData(n: number) {
  const key = vb.random.key(11);
  const [k1, k2, k3, k4] = [vb.random.foldIn(key, 1), vb.random.foldIn(key, 2), vb.random.foldIn(key, 3), vb.random.foldIn(key, 4)];
  return { a: vb.random.normal(k1, [n, 4]), b: vb.random.normal(k2, [n, 3]), y1: vb.random.normal(k3, [n, 2]), y2: vb.random.normal(k4, [n, 3]) };
}

describe('functional models: graph, names, training', () => {
  it('vb.input gives a symbolic tensor; apply builds a graph; layers are named and built when the model is made', () => {
    const x = vb.input({ shape: [3] });
    assert.ok(x instanceof vb.SymbolicTensor);
    assert.deepEqual(x.shape, [null, 3]);
    const d1 = L.dense({ units: 4 });
    const d2 = L.dense({ units: 2 });
    const y = d2.apply(d1.apply(x));
    assert.deepEqual(y.shape, [null, 2]);
    assert.equal(d1.built, false, 'not built before the model names it');
    const m = vb.model({ inputs: x, outputs: y, name: 'names_model' });
    assert.deepEqual(m.layers.map((l) => l.name), ['input_layer', 'dense', 'dense_1']);
    assert.deepEqual(m.weights.map((w) => w.name), ['names_model/dense/kernel', 'names_model/dense/bias', 'names_model/dense_1/kernel', 'names_model/dense_1/bias']);
    assert.equal(m.getLayer('dense_1'), d2);
    assert.equal(m.className, 'Functional');
    assert.deepEqual((m.predict(vb.ones([5, 3])) as vb.Tensor).shape, [5, 2]);
    // Eager application on real tensors still works as before.
    assert.deepEqual(L.dense({ units: 3 }).apply(vb.ones([2, 3])).shape, [2, 3]);
    m.dispose();
  });

  it('a two-input two-output model: fit with lists or records, Keras history keys, predict and evaluate give lists', async () => {
    vb.setRandomSeed(5);
    const m = twoByTwo('two_by_two');
    const { a, b, y1, y2 } = twoByTwoData(24);
    m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.05 }), loss: { out1: 'mse', out2: 'mae' }, lossWeights: { out1: 1, out2: 0.5 }, metrics: { out1: ['mae'] } });
    const history = await m.fit({ a, b }, [y1, y2], { epochs: 2, batchSize: 8, verbose: 0, validationData: [[a, b], { out1: y1, out2: y2 }] });
    assert.deepEqual(Object.keys(history.history), ['loss', 'out1_loss', 'out2_loss', 'out1_mae', 'val_loss', 'val_out1_loss', 'val_out2_loss', 'val_out1_mae']);
    const h = history.history;
    // The total is the weighted per-output losses (already weighted in the logs, as Keras 3 logs them).
    for (const e of [0, 1]) assert.ok(Math.abs(h.loss![e]! - (h.out1_loss![e]! + h.out2_loss![e]!)) < 1e-5);
    const predictions = m.predict([a, b]) as vb.Tensor[];
    assert.deepEqual(predictions.map((p) => p.shape), [[24, 2], [24, 3]]);
    const evaluation = m.evaluate([a, b], [y1, y2]) as vb.Tensor[];
    assert.equal(evaluation.length, 4);
    assert.ok(Math.abs(evaluation[0]!.dataSync()[0]! - h.val_loss![1]!) < 1e-6, 'evaluate matches the last validation');
    // The per-output loss: mae of out2 times 0.5, by hand.
    const mae = vb.mean(vb.abs(vb.sub(predictions[1]!, y2))).dataSync()[0]!;
    assert.ok(Math.abs(evaluation[2]!.dataSync()[0]! - 0.5 * mae) < 1e-6);
    const step = await m.trainOnBatch([a, b], [y1, y2]) as number[];
    assert.equal(step.length, 4);
    m.dispose();
  });

  it('trains to the same bits on the reference and on WASM with 1, 2 and 3 threads', { skip: vb.backendNames().includes('wasm') ? false : 'no wasm backend (WebAssembly SIMD is not available)' }, async () => {
    const run = async () => {
      vb.setRandomSeed(9);
      const m = twoByTwo('bits_model', 0.3);
      const { a, b, y1, y2 } = twoByTwoData(20);
      m.compile({ optimizer: 'adam', loss: ['mse', 'mse'], metrics: ['mae'] });
      const history = await m.fit([a, b], [y1, y2], { epochs: 2, batchSize: 6, verbose: 0 });
      const result = { digest: m.weightsDigest(), layers: m.layerDigests(), history: JSON.stringify(history.history), predictions: vb.digest(m.predict([a, b]) as vb.Tensor[]) };
      m.dispose();
      return result;
    };
    const previous = vb.getBackend();
    try {
      vb.setBackend('reference');
      const expected = await run();
      vb.setBackend('wasm');
      for (const threads of [1, 2, 3]) {
        vb.setNumThreads(threads);
        assert.deepEqual(await run(), expected, `wasm with ${threads} threads`);
      }
    } finally {
      vb.setBackend(previous);
    }
  });

  it('a shared layer has one set of weights, used by every call', async () => {
    const x1 = vb.input({ shape: [3] });
    const x2 = vb.input({ shape: [3] });
    const shared = L.dense({ units: 2, kernelInitializer: 'ones', name: 'shared' });
    const m = vb.model({ inputs: [x1, x2], outputs: L.subtract().apply([shared.apply(x1), shared.apply(x2)]), name: 'siamese' });
    assert.deepEqual(m.weights.map((w) => w.name), ['siamese/shared/kernel', 'siamese/shared/bias']);
    const y = m.predict([vb.tensor([[1, 2, 3]]), vb.tensor([[0, 1, 1]])]) as vb.Tensor;
    assert.deepEqual(Array.from(y.dataSync()), [4, 4]);
    // The gradient reaches the one kernel from both branches: d/dK sum(x1 K - x2 K) = x1 - x2 per column.
    m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 1 }), loss: 'mae' });
    await m.trainOnBatch([vb.tensor([[1, 2, 3]]), vb.tensor([[0, 1, 1]])], vb.tensor([[0, 0]]));
    assert.deepEqual(Array.from(m.weights[0]!.dataSync()), [0.5, 0.5, 0.5, 0.5, 0, 0]);
    m.dispose();
  });

  it("a model's input starts another model after the first was disposed (the input layer holds no weights to dispose)", () => {
    const x = vb.input({ shape: [2] });
    const first = vb.model({ inputs: x, outputs: vb.layers.dense({ units: 1 }).apply(x), name: 'first_of_input' });
    first.dispose();
    const second = vb.model({ inputs: x, outputs: vb.layers.dense({ units: 3 }).apply(x), name: 'second_of_input' });
    assert.deepEqual((second.predict(vb.ones([2, 2])) as vb.Tensor).shape, [2, 3]);
    second.dispose();
  });

  it('a disposed model used again is an error naming its layer, not one about a tensor inside a kernel', async () => {
    const m = vb.sequential({ name: 'disposed_model', layers: [vb.layers.dense({ units: 2, inputShape: [3], name: 'first' })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    m.dispose();
    const message = /first: Expected a layer with its weights \(it was disposed, with its model or alone\)\. Received: layer="first"/;
    assert.throws(() => m.predict(vb.ones([1, 3])), message);
    await assert.rejects(m.fit(vb.ones([2, 3]), vb.ones([2, 2]), { verbose: 0 }), message);
  });

  it('models as layers: a Sequential inside a functional model and a functional model inside a Sequential keep their weight names', () => {
    vb.setRandomSeed(2);
    const encoder = vb.sequential({ name: 'encoder', layers: [L.dense({ units: 4, inputShape: [6], activation: 'relu' }), L.dense({ units: 2 })] });
    const x = vb.input({ shape: [6] });
    const code = encoder.apply(x) as vb.SymbolicTensor;
    const head = L.dense({ units: 1, name: 'head' }).apply(code);
    const outer = vb.model({ inputs: x, outputs: head, name: 'outer' });
    assert.deepEqual(outer.weights.map((w) => w.name), ['encoder/dense/kernel', 'encoder/dense/bias', 'encoder/dense_1/kernel', 'encoder/dense_1/bias', 'outer/head/kernel', 'outer/head/bias']);
    const data = vb.random.normal(vb.random.key(3), [5, 6]);
    const direct = (outer.getLayer('head').apply(encoder.predict(data)));
    assert.deepEqual(Array.from((outer.predict(data) as vb.Tensor).dataSync()), Array.from(direct.dataSync()));

    outer.dispose();

    const fx = vb.input({ shape: [3] });
    const block = vb.model({ inputs: fx, outputs: L.dense({ units: 3, name: 'inner_dense', activation: 'tanh' }).apply(fx), name: 'block' });
    const seq = vb.sequential({ name: 'stack', layers: [block, L.dense({ units: 1 })] });
    assert.deepEqual(seq.weights.map((w) => w.name), ['block/inner_dense/kernel', 'block/inner_dense/bias', 'stack/dense/kernel', 'stack/dense/bias']);
    assert.deepEqual(seq.layers.map((l) => `${l.name} (${l.className})`), ['block (Functional)', 'dense (Dense)']);
    const v = vb.random.normal(vb.random.key(4), [2, 3]);
    const expected = seq.layers[1]!.apply(block.predict(v) as vb.Tensor);
    assert.deepEqual(Array.from(seq.predict(v).dataSync()), Array.from(expected.dataSync()));
    seq.dispose();
  });

  it('a model named as a live one is refused before its layers join it, so they make another model', () => {
    const first = vb.sequential({ name: 'name_taken', layers: [L.dense({ units: 3, inputShape: [4] })] });
    const a = vb.input({ shape: [4] });
    const hidden = L.dense({ units: 3 });
    const out = L.dense({ units: 2 }).apply(hidden.apply(a));
    assert.throws(() => vb.model({ name: 'name_taken', inputs: a, outputs: out }), /model: Expected a name no live model, layer or variable holds weights under \(dispose it, or call vb\.disposeVariables\(\)\)\. Received: name="name_taken"/);
    // Before: the layers kept the paths name_taken/dense..., and every model made of them failed ('Expected a name not used by another live variable').
    const second = vb.model({ name: 'name_free', inputs: a, outputs: out });
    assert.deepEqual(second.weights.map((w) => w.name), ['name_free/dense/kernel', 'name_free/dense/bias', 'name_free/dense_1/kernel', 'name_free/dense_1/bias']);
    assert.throws(() => vb.sequential({ name: 'name_taken', layers: [L.dense({ units: 1, inputShape: [2] })] }), /Expected a name no live model, layer or variable holds weights under/);
    // A standalone variable's name blocks it too (the message said a live model used it).
    const solo = vb.variable(vb.zeros([1]), true, 'solo_name/w');
    assert.throws(() => vb.sequential({ name: 'solo_name' }), /Expected a name no live model, layer or variable holds weights under .*Received: name="solo_name"/);
    solo.dispose();
    first.dispose();
    second.dispose();
  });

  it('a model applied to the wrong number or shapes of inputs is an error naming them, on symbolic and on real tensors', () => {
    const i = vb.input({ shape: [3], name: 'i' });
    const j = vb.input({ shape: [3], name: 'j' });
    const pair = vb.model({ inputs: [i, j], outputs: L.add().apply([i, j]), name: 'pair_inputs' });
    const a = vb.input({ shape: [3] });
    // Before: accepted, then a TypeError (reading 'dtype') at predict; one input too many was ignored.
    assert.throws(() => pair.apply(a), /pair_inputs\.apply: Expected 2 input tensors \(i, j\)\. Received: inputs=1/);
    assert.throws(() => pair.apply(vb.ones([2, 3])), /pair_inputs\.apply: Expected 2 input tensors \(i, j\)\. Received: inputs=1/);
    const single = vb.sequential({ name: 'single_input', layers: [L.dense({ units: 1, inputShape: [3] })] });
    assert.throws(() => single.apply([a, vb.input({ shape: [3] })]), /single_input\.apply: Expected one input tensor \(input_layer\)\. Received: inputs=2/);
    assert.throws(() => single.apply(vb.input({ shape: [4] })), /single_input\.apply: Expected inputs of shape \[null,3\] \(the model's input shape, batch first\)\. Received: inputs\.shape=\[null, 4\]/);
    assert.throws(() => pair.apply([a, vb.input({ shape: [2, 3] })]), /Expected inputs\[1\] of shape \[null,3\].*Received: inputs\[1\]\.shape=\[null, 2, 3\]/);
    assert.deepEqual((single.apply(vb.input({ shape: [null] })) as vb.SymbolicTensor).shape, [null, 1], 'an unknown dimension matches');
    pair.dispose();
    single.dispose();
  });
});

describe('functional models against TF.js', () => {
  before(() => tf.setBackend('cpu'));

  it('the same weights give the same predictions and the same step (two inputs, two outputs, a shared layer)', async () => {
    vb.setRandomSeed(21);
    const ours = twoByTwo('oracle_model');
    const ta = tf.input({ shape: [4], name: 'a' });
    const tb = tf.input({ shape: [3], name: 'b' });
    const ha = tf.layers.dense({ units: 5, activation: 'relu', name: 'da' }).apply(ta) as tf.SymbolicTensor;
    const hb = tf.layers.dense({ units: 5, activation: 'tanh', name: 'db' }).apply(tb) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate().apply([ha, hb]) as tf.SymbolicTensor;
    const summed = tf.layers.add().apply([ha, hb]) as tf.SymbolicTensor;
    const out1 = tf.layers.dense({ units: 2, name: 'out1' }).apply(joined) as tf.SymbolicTensor;
    const shared = tf.layers.dense({ units: 3, name: 'shared' });
    const out2 = tf.layers.average({ name: 'out2' }).apply([shared.apply(summed) as tf.SymbolicTensor, shared.apply(hb) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: [ta, tb], outputs: [out1, out2] });
    for (const layer of ours.layers) {
      if (layer.weights.length > 0) theirs.getLayer(layer.name!).setWeights(layer.weights.map((w) => toTf(w.variable)));
    }
    const { a, b, y1, y2 } = twoByTwoData(6);
    const mine = ours.predict([a, b]) as vb.Tensor[];
    const reference = theirs.predict([toTf(a), toTf(b)]) as tf.Tensor[];
    mine.forEach((p, i) => assertClose(p.dataSync(), reference[i]!.dataSync(), `output ${i}`));
    ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: ['mse', 'mse'] });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: ['meanSquaredError', 'meanSquaredError'] });
    const [loss] = await ours.trainOnBatch([a, b], [y1, y2]) as number[];
    const [theirLoss] = await theirs.trainOnBatch([toTf(a), toTf(b)], [toTf(y1), toTf(y2)]) as number[];
    assertClose([loss!], [theirLoss!], 'total loss');
    for (const layer of ours.layers.filter((l) => l.weights.length > 0)) {
      const after = theirs.getLayer(layer.name!).getWeights();
      layer.weights.forEach((w, i) => assertClose(w.variable.dataSync(), after[i]!.dataSync(), `${w.variable.name} after one step`));
    }
    ours.dispose();
  });

  const MERGES: { name: string; ours: () => vb.layers.Layer; theirs: (xs: tf.Tensor[]) => tf.Tensor; shapes: number[][]; out: (number | null)[] }[] = [
    { name: 'add', ours: () => L.add(), theirs: (xs) => tf.layers.add().apply(xs) as tf.Tensor, shapes: [[3, 4], [3, 4], [3, 4]], out: [null, 4] },
    { name: 'subtract', ours: () => L.subtract(), theirs: (xs) => tf.sub(xs[0]!, xs[1]!) /* TF.js has no subtract layer */, shapes: [[3, 4], [3, 4]], out: [null, 4] },
    { name: 'multiply', ours: () => L.multiply(), theirs: (xs) => tf.layers.multiply().apply(xs) as tf.Tensor, shapes: [[3, 2, 4], [3, 2, 4]], out: [null, 2, 4] },
    { name: 'average', ours: () => L.average(), theirs: (xs) => tf.layers.average().apply(xs) as tf.Tensor, shapes: [[3, 4], [3, 4], [3, 4]], out: [null, 4] },
    { name: 'maximum', ours: () => L.maximum(), theirs: (xs) => tf.layers.maximum().apply(xs) as tf.Tensor, shapes: [[3, 4], [3, 4]], out: [null, 4] },
    { name: 'minimum', ours: () => L.minimum(), theirs: (xs) => tf.layers.minimum().apply(xs) as tf.Tensor, shapes: [[3, 4], [3, 4]], out: [null, 4] },
    { name: 'concatenate', ours: () => L.concatenate(), theirs: (xs) => tf.layers.concatenate().apply(xs) as tf.Tensor, shapes: [[3, 2, 4], [3, 2, 1]], out: [null, 2, 5] },
    { name: 'concatenate axis 1', ours: () => L.concatenate({ axis: 1 }), theirs: (xs) => tf.layers.concatenate({ axis: 1 }).apply(xs) as tf.Tensor, shapes: [[3, 2, 4], [3, 3, 4]], out: [null, 5, 4] },
    { name: 'dot axes -1', ours: () => L.dot({ axes: -1 }), theirs: (xs) => tf.layers.dot({ axes: -1 }).apply(xs) as tf.Tensor, shapes: [[3, 5], [3, 5]], out: [null, 1] },
    { name: 'dot axes [2, 1]', ours: () => L.dot({ axes: [2, 1] }), theirs: (xs) => tf.layers.dot({ axes: [2, 1] }).apply(xs) as tf.Tensor, shapes: [[3, 2, 4], [3, 4, 5]], out: [null, 2, 5] },
    { name: 'dot axes [1, 1] normalize', ours: () => L.dot({ axes: [1, 1], normalize: true }), theirs: (xs) => tf.layers.dot({ axes: [1, 1], normalize: true }).apply(xs) as tf.Tensor, shapes: [[3, 4, 2], [3, 4, 3]], out: [null, 2, 3] },
  ];
  for (const c of MERGES) {
    it(`${c.name}: shapes, TF.js's outputs and input gradients, the same bits on every backend`, () => {
      const inputs = c.shapes.map((s, i) => vb.random.normal(vb.random.key(30 + i), s));
      const symbolic = c.shapes.map((s) => vb.input({ shape: s.slice(1) }));
      const layer = c.ours();
      assert.deepEqual(layer.apply(symbolic).shape, c.out);
      const y = layer.apply(inputs);
      const ty = c.theirs(inputs.map(toTf));
      assert.deepEqual(y.shape, ty.shape);
      assertClose(y.dataSync(), ty.dataSync(), `${c.name}: outputs`);
      const probe = vb.random.normal(vb.random.key(40), [...y.shape]);
      const grads = vb.grads((...xs: vb.Tensor[]) => vb.sum(vb.mul(layer.apply(xs), probe)))(inputs);
      const theirGrads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(c.theirs(xs), toTf(probe))))(inputs.map(toTf));
      grads.forEach((g, i) => assertClose(g.dataSync(), theirGrads[i]!.dataSync(), `${c.name}: gradient ${i}`));
      assert.deepEqual(c.ours().getConfig(), layer.getConfig());
      if (vb.backendNames().includes('wasm')) {
        const previous = vb.getBackend();
        const bits = () => vb.digest([c.ours().apply(inputs), ...vb.grads((...xs: vb.Tensor[]) => vb.sum(vb.mul(c.ours().apply(xs), probe)))(inputs)]);
        try {
          vb.setBackend('reference');
          const expected = bits();
          vb.setBackend('wasm');
          for (const threads of [1, 3]) {
            vb.setNumThreads(threads);
            assert.equal(bits(), expected, `${c.name}: wasm with ${threads} threads`);
          }
        } finally {
          vb.setBackend(previous);
        }
      }
    });
  }

  it('permute, repeatVector and timeDistributed match TF.js with the same weights', () => {
    const x3 = vb.random.normal(vb.random.key(50), [2, 3, 4]);
    assertClose(L.permute({ dims: [2, 1] }).apply(x3).dataSync(), (tf.layers.permute({ dims: [2, 1] }).apply(toTf(x3)) as tf.Tensor).dataSync(), 'permute');
    const x2 = vb.random.normal(vb.random.key(51), [2, 4]);
    assertClose(L.repeatVector({ n: 3 }).apply(x2).dataSync(), (tf.layers.repeatVector({ n: 3 }).apply(toTf(x2)) as tf.Tensor).dataSync(), 'repeatVector');
    const ours = L.timeDistributed({ layer: L.dense({ units: 2, activation: 'tanh' }) });
    const y = ours.apply(x3);
    const theirs = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'tanh' }) });
    theirs.apply(toTf(x3));
    theirs.setWeights(ours.weights.map((w) => toTf(w.variable)));
    assert.deepEqual(y.shape, [2, 3, 2]);
    assertClose(y.dataSync(), (theirs.apply(toTf(x3)) as tf.Tensor).dataSync(), 'timeDistributed');
  });

  it('timeDistributed takes a model (a model is a layer, in Keras and TF.js): each step is the model applied to it, as TF.js; a non-layer is refused in a short message', () => {
    const x = vb.random.normal(vb.random.key(52), [2, 3, 4]);
    const inner = vb.sequential({ layers: [L.dense({ units: 3, activation: 'relu', inputShape: [4] }), L.dense({ units: 2 })] });
    const outer = vb.sequential({ layers: [L.timeDistributed({ layer: inner, inputShape: [3, 4] })] });
    const y = outer.predict(x) as vb.Tensor;
    assert.deepEqual(y.shape, [2, 3, 2]);
    // Step by step, the model applied to [batch, 4]: the same bits.
    const perStep = vb.stack([0, 1, 2].map((t) => inner.predict(vb.squeeze(vb.slice(x, [0, t, 0], [2, 1, 4]), [1])) as vb.Tensor), 1);
    assert.deepEqual(Array.from(y.dataSync()), Array.from(perStep.dataSync()));
    assert.deepEqual(outer.weights.map((w) => w.name), inner.weights.map((w) => w.name), 'the model\'s own weights');
    const theirInner = tf.sequential({ layers: [tf.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 2 })] });
    theirInner.setWeights(inner.getWeights().map(toTf));
    const theirs = tf.sequential({ layers: [tf.layers.timeDistributed({ layer: theirInner, inputShape: [3, 4] })] });
    assertClose(y.dataSync(), (theirs.predict(toTf(x)) as tf.Tensor).dataSync(), 'timeDistributed(model)');
    assert.throws(() => L.timeDistributed({ layer: { units: 2 } as unknown as vb.layers.Layer }), /^ValueError: TimeDistributed: Expected layer to be a Layer or a model\. Received: layer="a Object"$/);
  });
});

const PLUMBING: LayerTestCase[] = [
  {
    name: 'permute', make: (args) => L.permute(args as unknown as vb.layers.PermuteArgs), args: { dims: [3, 1, 2] },
    inputShapes: [[2, 3, 4, 5]], outputShapes: [[null, 5, 3, 4]], weights: [], smooth: true,
    badArgs: [[{ dims: [1, 1] }, /dims=\[1, 1\]/], [{ dims: [0, 1] }, /dims=\[0, 1\]/]],
  },
  {
    name: 'repeatVector', make: (args) => L.repeatVector(args as { n: number }), args: { n: 3 },
    inputShapes: [[2, 4]], outputShapes: [[null, 3, 4]], weights: [], smooth: true, badArgs: [[{ n: 0 }, /n=0/]],
  },
  {
    name: 'timeDistributed(dense)',
    make: (args) => {
      const inner = args.layer as vb.layers.Layer | { name: string; config: vb.layers.DenseArgs };
      const layer = inner instanceof vb.layers.Layer || typeof inner !== 'object' ? inner : L.dense({ ...inner.config, name: inner.name });
      return L.timeDistributed({ ...(args.name ? { name: args.name as string } : {}), layer: layer as vb.layers.Layer });
    },
    args: { layer: { name: 'dense', config: { units: 3, activation: 'tanh' } } },
    inputShapes: [[2, 4, 5], [1, 2, 5]], outputShapes: [[null, 4, 3], [null, 2, 3]], weights: [['dense/kernel', [5, 3]], ['dense/bias', [3]]], smooth: true,
    badArgs: [[{ layer: 'dense' }, /layer="dense"/]],
  },
];

describe('plumbing layers: the layer harness', () => {
  for (const c of PLUMBING) it(c.name, () => runLayerTest(c));
});

describe('functional models: summary and bad arguments', () => {
  it('summary lists each layer with its connections', () => {
    const m = twoByTwo('summary_graph');
    const lines: string[] = [];
    m.summary(undefined, undefined, (line) => lines.push(line));
    assert.equal(lines[0], 'Model: "summary_graph"');
    assert.match(lines[2]!, /Layer \(type\)\s+Output Shape\s+Param #\s+Connected to/);
    assert.match(lines.find((l) => l.includes('concatenate (Concatenate)'))!, /\(None, 10\)\s+0\s+da\[0\]\[0\]/);
    const shared = lines.findIndex((l) => l.includes('shared (Dense)'));
    assert.match(lines[shared]!, /\(None, 3\)\s+18\s+add\[0\]\[0\]/);
    assert.match(lines[shared + 1]!, /^\s+db\[0\]\[0\]/, 'the second call of the shared layer on its own line');
    assert.ok(lines.includes(`Total params: ${m.countParams()}`));
    m.dispose();
    // A name or shape longer than its column is cut before the next column, a space between (Keras);
    // before, they ran together: ' conv2d_transpose (Conv2DTran(None, 10, 10, 2)', '[(None, 2), (None, 3)25'.
    const seq = vb.sequential({ name: 'summary_long', layers: [L.conv2dTranspose({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] })] });
    const seqLines: string[] = [];
    seq.summary(undefined, undefined, (line) => seqLines.push(line));
    assert.equal(seqLines[4], ' conv2d_transpose (Conv2DTra (None, 10, 10, 2)         20        ');
    seq.dispose();
    const i = vb.input({ shape: [4] });
    const pair = vb.model({ name: 'summary_pair', inputs: i, outputs: [L.dense({ units: 2 }).apply(i), L.dense({ units: 3 }).apply(i)] });
    const x = vb.input({ shape: [4] });
    const outer = vb.model({ name: 'summary_outer', inputs: x, outputs: L.concatenate().apply(pair.apply(x) as vb.SymbolicTensor[]) });
    const outerLines: string[] = [];
    outer.summary(undefined, undefined, (line) => outerLines.push(line));
    assert.equal(outerLines.find((l) => l.startsWith(' summary_pair'))!.trimEnd(), ' summary_pair (Functional)      [(None, 2), (None, 3 25          input_layer[0][0]');
    outer.dispose();
  });

  it('bad graphs and data give "Expected X. Received: ..." errors', async () => {
    const a = vb.input({ shape: [2], name: 'a' });
    const b = vb.input({ shape: [2], name: 'b' });
    const out = L.add().apply([L.dense({ units: 2 }).apply(a), b]);
    assert.throws(() => vb.model({ inputs: a, outputs: out }), /Expected a graph connected to the given inputs.*Received: input="b", neededBy="Add"/);
    const hidden = L.dense({ units: 2 }).apply(a);
    assert.throws(() => vb.model({ inputs: hidden, outputs: out }), /Expected inputs made by vb\.input\(\), one or a list of them\. Received: inputs\[0\]="SymbolicTensor\(Dense, shape=\[null, 2\]\)"/);
    assert.throws(() => vb.model({ inputs: [a, a], outputs: out }), /Expected each input once/);
    // Keras 3's records by name: before, shown as inputs[0]=[object Object].
    assert.throws(() => vb.model({ inputs: { a, b } as never, outputs: out }), /Expected inputs made by vb\.input\(\), one or a list of them\. Received: inputs\[0\]="a record \(keys a, b\)"/);
    assert.throws(() => vb.model({ inputs: [a, b], outputs: { out } as never }), /Expected outputs to be symbolic tensors .*, one or a list of them\. Received: outputs\[0\]="a record \(keys out\)"/);
    assert.throws(() => vb.model({ inputs: a, outputs: vb.ones([2]) as never }), /Expected outputs to be symbolic tensors.*Received: outputs\[0\]=Tensor/);
    const twin = L.dense({ units: 2, name: 'twin' }).apply(L.dense({ units: 2, name: 'twin' }).apply(a));
    assert.throws(() => vb.model({ inputs: a, outputs: twin }), /Expected layer names \(inputs included\) unique within the model\. Received: name="twin"/);
    const c = vb.input({ shape: [2], name: 'a' });
    assert.throws(() => vb.model({ inputs: [a, c], outputs: L.add().apply([a, c]) }), /Expected layer names \(inputs included\) unique within the model\. Received: name="a"/);
    assert.throws(() => L.add().apply(a), /Add \(unnamed\): Expected a list of at least 2 inputs\. Received: inputs="one tensor"/);
    assert.throws(() => L.add().apply([a, vb.input({ shape: [3] })]), /Expected input shapes that broadcast.*Received: shapes\[0\]=\[null, 2\], shapes\[1\]=\[null, 3\]/);
    assert.throws(() => L.concatenate().apply([vb.input({ shape: [2, 3] }), vb.input({ shape: [3, 3] })]), /Expected inputs whose shapes match except on axis -1/);
    assert.throws(() => L.dot({ axes: [1, 1] }).apply([vb.input({ shape: [2] }), vb.input({ shape: [3] })]), /Expected the contracted dimensions to be equal/);
    assert.throws(() => L.dot({ axes: 0 }), /Dot: Expected axes to be a non-zero integer.*Received: axes=0/);
    assert.throws(() => L.concatenate({ axis: 0 }), /Concatenate: Expected axis to be a non-zero integer.*Received: axis=0/);
    assert.throws(() => vb.input({ shape: [0] }), /Expected a shape of positive integers or null.*Received: shape=\[0\]/);
    assert.throws(() => L.add().apply([a, vb.ones([1, 2])] as never), /Expected only symbolic tensors or only real tensors/);
    // A layer of one input given a list: before, dense made two outputs of it (one of shape 1), flatten and
    // reshape failed with TypeErrors inside, dropout predicted both and failed in fit.
    for (const layer of [L.dense({ units: 2 }), L.flatten(), L.dropout({ rate: 0.5 })]) {
      const message = new RegExp(`${layer.className}\\.apply: Expected one input tensor \\(${layer.className} takes one; merge layers such as concatenate take a list\\)\\. Received: inputs="a list of 2"`);
      assert.throws(() => layer.apply([a, b]), message);
      assert.throws(() => layer.apply([vb.ones([1, 2]), vb.ones([1, 2])]), message);
    }
    const listOfOne = L.dense({ units: 3 }).apply([a]) as vb.SymbolicTensor;
    assert.deepEqual(listOfOne.shape, [null, 3], 'a list of one tensor is that tensor (TF.js)');

    const m = vb.model({ inputs: [a, b], outputs: [L.dense({ units: 1, name: 'p' }).apply(a), L.dense({ units: 1, name: 'q' }).apply(b)], name: 'bad_data' });
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: { p: 'mse', r: 'mse' } }), /Expected loss keys among the output names \(p, q\)\. Received: keys=\["r"\]/);
    assert.throws(() => m.compile({ optimizer: 'sgd', loss: ['mse'] }), /Expected loss to have one entry per output \(p, q\)\. Received: loss\.length=1/);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await assert.rejects(m.fit(vb.ones([4, 2]), [vb.ones([4, 1]), vb.ones([4, 1])], { verbose: 0 }), /fit: Expected x as a list of 2 tensors \(a, b\) or a record by name\. Received: x=Tensor/);
    await assert.rejects(m.fit({ a: vb.ones([4, 2]), c: vb.ones([4, 2]) }, [vb.ones([4, 1]), vb.ones([4, 1])], { verbose: 0 }), /Expected x keys to be the names a, b\. Received: keys=\["a", "c"\]/);
    await assert.rejects(m.fit([vb.ones([4, 2]), vb.ones([3, 2])], [vb.ones([4, 1]), vb.ones([4, 1])], { verbose: 0 }), /Expected x\[0\] and x\[1\] with the same number of examples.*Received: x\[0\]\.shape=\[4, 2\], x\[1\]\.shape=\[3, 2\]/);
    await assert.rejects(m.fit([vb.ones([4, 2]), vb.ones([4, 2])], [vb.ones([4, 1]), vb.ones([4, 1])], { verbose: 0, classWeight: { 0: 1 } }), /Expected classWeight only for a model with one output/);
    m.dispose();
    // One input (output): a list of several tensors is named as such, not taken as the values of one tensor.
    const one = vb.input({ shape: [2], name: 'a' });
    const single = vb.model({ inputs: one, outputs: L.dense({ units: 1, name: 'p' }).apply(one), name: 'bad_single' });
    single.compile({ optimizer: 'sgd', loss: 'mse' });
    await assert.rejects(single.fit([vb.ones([4, 2]), vb.ones([4, 2])], vb.ones([4, 1]), { verbose: 0 }), /fit: Expected x as one tensor \(the model has one: a\)\. Received: x="a list of 2 tensors"/);
    await assert.rejects(single.fit(vb.ones([4, 2]), [vb.ones([4, 1]), vb.ones([4, 1])], { verbose: 0 }), /fit: Expected y as one tensor \(the model has one: p\)\. Received: y="a list of 2 tensors"/);
    assert.throws(() => single.predict([vb.ones([4, 2]), vb.ones([4, 2])]), /predict: Expected x as one tensor/);
    assert.equal(((single.predict([vb.ones([4, 2])]) as vb.Tensor).shape[0]), 4, 'a list of one tensor is that tensor');
    single.dispose();
  });

  it('masks travel along the graph: embedding(maskZero) into an lstm ignores padding, and a merge ands the masks', () => {
    vb.setRandomSeed(9);
    const tokens = vb.input({ shape: [5], dtype: 'int32', name: 'tokens' });
    const [embedding, add, lstm, dense] = [vb.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true }), vb.layers.add(), vb.layers.lstm({ units: 4 }), vb.layers.dense({ units: 2 })];
    const embedded = embedding.apply(tokens);
    const model = vb.model({ inputs: tokens, outputs: dense.apply(lstm.apply(add.apply([embedded, embedded]))), name: 'masked' });
    const padded = model.predict(vb.tensor([[3, 7, 2, 0, 0]], [1, 5], 'int32')) as vb.Tensor;
    // The same layers run eagerly on the sequence without its padding.
    const e = embedding.apply(vb.tensor([[3, 7, 2]], [1, 3], 'int32'));
    const shorter = dense.apply(lstm.apply(add.apply([e, e])));
    assert.deepEqual(Array.from(padded.dataSync()), Array.from(shorter.dataSync()));
    const unmasked = model.predict(vb.tensor([[3, 7, 2, 4, 4]], [1, 5], 'int32')) as vb.Tensor;
    assert.notDeepEqual(Array.from(unmasked.dataSync()), Array.from(padded.dataSync()));
    model.dispose();
  });

  it('masked inputs of other lengths into a layer of a list without mask support (a user\'s join of steps): a warning, not a crash in logicalAnd; concatenate and cross-attention take each input\'s mask, without one', () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    class JoinSteps extends vb.layers.Layer {
      static className = 'JoinSteps';
      override computeOutputShape(shapes: vb.layers.SymbolicShape | vb.layers.SymbolicShape[]): vb.layers.SymbolicShape {
        const [a, b] = shapes as [vb.layers.SymbolicShape, vb.layers.SymbolicShape];
        return [null, a[1]! + b[1]!, a[2]!];
      }
      override call(inputs: vb.Tensor | vb.Tensor[]): vb.Tensor {
        return vb.concat(inputs as vb.Tensor[], 1);
      }
    }
    try {
      vb.setRandomSeed(12);
      for (const [name, join] of [
        ['join_steps', (a: vb.SymbolicTensor, b: vb.SymbolicTensor) => L.lstm({ units: 2 }).apply(new JoinSteps().apply([a, b]))],
        ['multi_head_attention', (a: vb.SymbolicTensor, b: vb.SymbolicTensor) => L.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([a, b])],
        ['concatenate', (a: vb.SymbolicTensor, b: vb.SymbolicTensor) => L.lstm({ units: 2 }).apply(L.concatenate({ axis: 1 }).apply([a, b]))],
      ] as const) {
        const [a, b] = [vb.input({ shape: [4], dtype: 'int32' }), vb.input({ shape: [3], dtype: 'int32' })];
        const embed = (t: vb.SymbolicTensor) => L.embedding({ inputDim: 9, outputDim: 4, maskZero: true }).apply(t);
        const model = vb.model({ inputs: [a, b], outputs: join(embed(a), embed(b)) });
        const before = warnings.length;
        const y = model.predict([vb.tensor([[1, 2, 0, 0]], [1, 4], 'int32'), vb.tensor([[3, 0, 0]], [1, 3], 'int32')]) as vb.Tensor;
        assert.ok(Array.from(y.dataSync()).every(Number.isFinite), name);
        if (name === 'join_steps') assert.match(warnings.at(-1) ?? '', new RegExp(`Layer '${name}' .* does not support masking`));
        else assert.equal(warnings.length, before, `${name} supports masking`);
        model.dispose();
      }
    } finally {
      console.warn = warn;
    }
  });
});
