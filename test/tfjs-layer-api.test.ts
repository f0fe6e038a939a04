/**
 * The layer API the tfjs-examples programs use beyond the layers themselves (issue 10): TF.js's
 * aliases, layer.output / input / getClassName, Dot in masked graphs, unknown apply options,
 * leakyReLU against TF.js 4.22, and disposeVariables; each compared with TF.js or hand values.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose } from './helpers/close.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe("TF.js's layer API names", () => {
  it('the pooling aliases are the same factories, as in TF.js, and layers.input is input', () => {
    const L = vb.layers;
    const pairs: [unknown, unknown][] = [
      [L.maxPool1d, L.maxPooling1d], [L.maxPool2d, L.maxPooling2d], [L.avgPool1d, L.averagePooling1d], [L.avgPool2d, L.averagePooling2d],
      [L.avgPooling1d, L.averagePooling1d], [L.avgPooling2d, L.averagePooling2d], [L.globalMaxPool1d, L.globalMaxPooling1d],
      [L.globalMaxPool2d, L.globalMaxPooling2d], [L.input, vb.input],
    ];
    for (const [alias, target] of pairs) assert.equal(alias, target);
    for (const name of ['maxPool1d', 'maxPool2d', 'avgPool1d', 'avgPool2d', 'avgPooling1d', 'avgPooling2d', 'globalMaxPool1d', 'globalMaxPool2d', 'input', 'leakyReLU']) {
      assert.equal(typeof (tf.layers as unknown as Record<string, unknown>)[name], 'function', `TF.js has layers.${name}`);
    }
  });

  it('leakyReLU matches TF.js (alpha given and default 0.3) and saves its alpha', () => {
    const values = [-2, -0.5, 0, 0.25, 3, -7];
    for (const args of [{ alpha: 0.2 }, {}]) {
      const ours = vb.layers.leakyReLU(args).apply(vb.tensor2d(values, [2, 3])) as vb.Tensor;
      const theirs = tf.layers.leakyReLU(args).apply(tf.tensor2d(values, [2, 3])) as tf.Tensor;
      assertClose(Array.from(ours.dataSync()), Array.from(theirs.dataSync()), 'values');
    }
    assert.deepEqual(vb.layers.leakyReLU({}).getConfig(), { alpha: 0.3 });
  });

  it('flatten with dataFormat channelsFirst flattens in channels-last order, as TF.js (and Keras)', () => {
    const values = [[[[1, 2], [5, 6]], [[3, 4], [7, 8]]]]; // [1, channels 2, height 2, width 2]
    const ours = vb.layers.flatten({ dataFormat: 'channelsFirst' }).apply(vb.tensor(values)) as vb.Tensor;
    const theirs = tf.layers.flatten({ dataFormat: 'channelsFirst' }).apply(tf.tensor(values)) as tf.Tensor;
    assert.deepEqual(ours.arraySync(), theirs.arraySync());
    assert.deepEqual(ours.arraySync(), [[1, 3, 2, 4, 5, 7, 6, 8]]);
    assert.deepEqual((vb.layers.flatten().apply(vb.tensor(values)) as vb.Tensor).arraySync(), [[1, 2, 5, 6, 3, 4, 7, 8]]);
    assert.throws(() => vb.layers.flatten({ dataFormat: 'NCHW' as never }), /Flatten: Expected dataFormat 'channelsLast' or 'channelsFirst'\. Received: dataFormat="NCHW"/);
  });

  it('inputShape with null dimensions (sequences of any length, images of any size) builds the model, which predicts as TF.js', () => {
    const ours = vb.sequential({ layers: [vb.layers.lstm({ units: 2, inputShape: [null, 3], returnSequences: true }), vb.layers.dense({ units: 1 })] });
    const theirs = tf.sequential({ layers: [tf.layers.lstm({ units: 2, inputShape: [null, 3], returnSequences: true, recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 1 })] });
    assert.deepEqual(ours.inputs[0]!.shape, [null, null, 3]);
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync() as Float32Array, [...w.shape])));
    for (const steps of [2, 5]) {
      const x = vb.random.generator(steps).normal([2, steps, 3]);
      assertClose((ours.predict(x) as vb.Tensor).dataSync(), (theirs.predict(tf.tensor(x.dataSync() as Float32Array, [2, steps, 3])) as tf.Tensor).dataSync(), `${steps} steps`);
    }
    const conv = vb.sequential({ layers: [vb.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [null, null, 1] }), vb.layers.globalMaxPooling2d()] });
    assert.deepEqual([(conv.predict(vb.ones([1, 5, 7, 1])) as vb.Tensor).shape, (conv.predict(vb.ones([1, 4, 4, 1])) as vb.Tensor).shape], [[1, 2], [1, 2]]);
    assert.throws(() => vb.layers.dense({ units: 1, inputShape: [0] }), /Dense: Expected inputShape to be an array of positive integers or null .*Received: inputShape=\[0\]/);
    ours.dispose();
    conv.dispose();
  });

  it('layer.output, layer.input and getClassName as TF.js gives them, in a Sequential and a functional model', () => {
    const model = vb.sequential();
    model.add(vb.layers.dense({ units: 3, inputShape: [4], name: 'first' }));
    model.add(vb.layers.dense({ units: 2, name: 'second' }));
    const first = model.getLayer('first');
    assert.deepEqual((first.output as vb.SymbolicTensor).shape, [null, 3]);
    assert.deepEqual((model.getLayer('second').input as vb.SymbolicTensor).shape, [null, 3]);
    assert.equal(first.getClassName(), 'Dense');
    const truncated = vb.model({ inputs: model.inputs, outputs: first.output as vb.SymbolicTensor });
    const x = vb.tensor2d([[1, 2, 3, 4]]);
    assert.deepEqual(Array.from((truncated.predict(x) as vb.Tensor).dataSync()), Array.from((first.apply(x) as vb.Tensor).dataSync()));

    const tfModel = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
    assert.equal(tfModel.layers[0]!.getClassName(), 'Dense');
    assert.deepEqual((tfModel.layers[0]!.output as tf.SymbolicTensor).shape, [null, 3]);
    assert.throws(() => vb.layers.dense({ units: 1 }).output, /called in a model/);
    const shared = vb.layers.dense({ units: 2, name: 'shared' });
    const a = vb.input({ shape: [3] });
    shared.apply(a);
    shared.apply(a);
    assert.throws(() => shared.output, /called once \(it has 2 nodes\)/);
  });

  it('Dot in a graph whose inputs carry masks of different lengths: no mask merged, values as without masks (as TF.js)', () => {
    const build = (lib: typeof vb | typeof tf) => {
      const l = lib as typeof tf;
      const left = l.input({ shape: [3] });
      const right = l.input({ shape: [4] });
      const embedLeft = l.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, embeddingsInitializer: 'ones' }).apply(left);
      const embedRight = l.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, embeddingsInitializer: 'ones' }).apply(right);
      const scores = l.layers.dot({ axes: [2, 2] }).apply([embedLeft, embedRight] as never) as tf.SymbolicTensor;
      return l.model({ inputs: [left, right], outputs: scores });
    };
    const inputs = [[[1, 2, 0]], [[3, 0, 0, 4]]];
    const ours = build(vb).predict(inputs.map((v) => vb.tensor2d(v)) as never) as unknown as vb.Tensor;
    const theirs = build(tf).predict(inputs.map((v) => tf.tensor2d(v))) as tf.Tensor;
    assert.deepEqual(ours.shape, [1, 3, 4]);
    assertClose(Array.from(ours.dataSync()), Array.from(theirs.dataSync()), 'values');
  });

  it('a layer option the layer does not have is an error naming it, never ignored; TF.js\'s batchInputShape, batchSize and dtype are taken', () => {
    const L = vb.layers as unknown as Record<string, (args: object) => vb.layers.Layer>;
    const refused: [string, object, RegExp][] = [
      ['dense', { units: 2, kernelInitialiser: 'zeros' }, /Dense: Expected options among units, activation, useBias, kernelInitializer, .*Received: kernelInitialiser="zeros"/],
      ['dropout', { rate: 0.5, kernelConstraint: 'maxNorm' }, /Dropout: Expected options among .*Received: kernelConstraint="maxNorm"/],
      ['dense', { units: 2, activityRegularizer: 'l2' }, /Received: activityRegularizer="l2"/],
      ['conv2d', { filters: 2, kernelSize: 1, groups: 2 }, /Conv2D: Expected options among .*Received: groups=2/],
      ['dense', { units: 2, dtype: 'float16' }, /Received: dtype="float16"/],
      ['maxPooling2d', { poolSize: 2, pool_size: 3 }, /MaxPooling2D: Expected options among .*Received: pool_size=3/],
    ];
    for (const [factory, args, message] of refused) assert.throws(() => L[factory]!(args), message, factory);
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 2, batchInputShape: [null, 4, 3], dtype: 'float32', kernelConstraint: null } as never), vb.layers.lstm({ units: 1, implementation: 2, unroll: false } as never)] });
    assert.deepEqual(model.inputs[0]!.shape, [null, 4, 3]);
    const batched = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3], batchSize: 4 } as never)] });
    assert.deepEqual(batched.inputs[0]!.shape, [null, 3]);
    assert.throws(() => vb.layers.dense({ units: 2, inputShape: [3], batchInputShape: [null, 3] }), /Dense: Expected one of inputShape, inputDim and batchInputShape/);
    model.dispose();
    batched.dispose();
  });

  it('a factory called without its options, or with options that are not an object, is an error naming what is missing (it was a TypeError)', () => {
    const L = vb.layers as unknown as Record<string, (args?: unknown) => vb.layers.Layer>;
    const cases: [string, RegExp][] = [
      ['lstm', /LSTM: Expected units to be a positive integer\. Received: units=undefined/], ['gru', /GRU: Expected units/], ['simpleRNN', /SimpleRNN: Expected units/],
      ['bidirectional', /Bidirectional: Expected layer to be a recurrent layer/], ['timeDistributed', /TimeDistributed: Expected layer to be a Layer/],
      ['multiHeadAttention', /MultiHeadAttention: Expected numHeads/], ['dense', /Dense: Expected units/], ['embedding', /Embedding: Expected inputDim/],
    ];
    for (const [factory, message] of cases) {
      assert.throws(() => L[factory]!(), message, `${factory}()`);
      assert.throws(() => L[factory]!(null), message, `${factory}(null)`);
    }
    assert.throws(() => L.lstm!(4), /layers: Expected the layer's options as an object\. Received: args=4/);
  });

  it("an apply option a layer does not have is an error naming it, never ignored (initialState on a Dense)", () => {
    const x = vb.input({ shape: [2] });
    assert.throws(() => vb.layers.dense({ units: 2 }).apply(x, { initialState: [x] } as never), /Dense.*apply: Expected options among training, step, mask\. Received: option="initialState"/);
    assert.throws(() => vb.layers.lstm({ units: 2 }).apply(vb.zeros([1, 3, 2]), { initialState: [vb.zeros([1, 3])] } as never), /Expected 2 initial state\(s\) of shape \[1, 2\]/);
  });

  it('recurrent layers: returnState in a graph and initialState (option or extra inputs, masked sequence) predict as TF.js', () => {
    // TF.js's LSTM defaults to a hard sigmoid gate, Keras 3 (and verbatim) to the sigmoid: say it. GRU's weights differ in layout (resetAfter).
    const build = (lib: typeof vb | typeof tf, rnn: 'lstm' | 'simpleRNN', viaOption: boolean) => {
      const l = lib as typeof tf;
      const encoderInput = l.input({ shape: [4, 3] });
      const [encoded, ...states] = l.layers[rnn]({ units: 5, returnState: true, ...gates(rnn) }).apply(encoderInput) as tf.SymbolicTensor[];
      const tokens = l.input({ shape: [6] });
      const embedded = l.layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true }).apply(tokens) as tf.SymbolicTensor;
      const decoded = viaOption
        ? l.layers[rnn]({ units: 5, returnSequences: true, ...gates(rnn) }).apply(embedded, { initialState: states }) as tf.SymbolicTensor
        : l.layers[rnn]({ units: 5, ...gates(rnn) }).apply([embedded, ...states]) as tf.SymbolicTensor;
      return l.model({ inputs: [encoderInput, tokens], outputs: [encoded!, decoded, states[0]!] });
    };
    const sequence = Array.from({ length: 24 }, (_, i) => Math.sin(i * 0.7));
    function gates(rnn: string) {
      return rnn === 'lstm' ? { recurrentActivation: 'sigmoid' as const } : {};
    }
    const tokens = [[1, 2, 3, 0, 0, 0], [4, 5, 6, 1, 2, 0]];
    for (const [rnn, viaOption] of [['lstm', true], ['lstm', false], ['simpleRNN', true], ['simpleRNN', false]] as const) {
      const theirs = build(tf, rnn, viaOption);
      const ours = build(vb, rnn, viaOption);
      ours.setWeights(theirs.getWeights().map((w) => vb.tensor(Array.from(w.dataSync()), w.shape)) as never);
      const expected = theirs.predict([tf.tensor3d(sequence, [2, 4, 3]), tf.tensor2d(tokens)]) as tf.Tensor[];
      const expectedValues = expected.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
      const got = ours.predict([vb.tensor3d(sequence, [2, 4, 3]) as never, vb.tensor2d(tokens) as never]) as unknown as vb.Tensor[];
      assert.equal(got.length, expected.length);
      got.forEach((t, i) => {
        assert.deepEqual(t.shape, expectedValues[i]!.shape);
        assertClose(Array.from(t.dataSync()), expectedValues[i]!.values, `${rnn} output ${i}`);
      });
      const eager = vb.layers[rnn]({ units: 5, returnState: true }).apply(vb.tensor3d(sequence, [2, 4, 3])) as unknown as vb.Tensor[];
      assert.equal(eager.length, rnn === 'lstm' ? 3 : 2);
    }
  });
});

describe('disposeVariables', () => {
  it('disposes every variable, so that a model of the same explicit name can be made again (as in TF.js)', () => {
    const make = () => {
      const x = vb.input({ shape: [2] });
      return vb.model({ inputs: x, outputs: vb.layers.dense({ units: 1 }).apply(x) as vb.SymbolicTensor, name: 'again' });
    };
    make();
    const before = vb.memory().numTensors;
    assert.throws(() => make(), /model: Expected a name no live model, layer or variable holds weights under \(dispose it, or call vb\.disposeVariables\(\)\)\. Received: name="again"/);
    vb.disposeVariables();
    assert.ok(vb.memory().numTensors <= before - 2, 'the kernel and the bias are gone');
    assert.doesNotThrow(() => make());
    assert.equal(typeof tf.disposeVariables, 'function');
  });
});
