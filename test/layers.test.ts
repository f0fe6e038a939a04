/** The core layers through the shared layer harness (test/helpers/layer-harness.ts), initializers, metrics. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';

const L = vb.layers;
const make = <A>(factory: (args: A) => vb.layers.Layer) => (args: Record<string, unknown>) => factory(args as A);

const CASES: LayerTestCase[] = [
  ...(['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hardSigmoid', 'tanh', 'softmax', 'softplus', 'softsign', 'swish', 'gelu', 'leakyRelu'] as const)
    .map((activation) => ({
      name: `dense ${activation}`, make: make(L.dense), args: { units: 3, activation }, inputShapes: [[2, 4]], outputShapes: [[null, 3]],
      weights: [['kernel', [4, 3]], ['bias', [3]]] as [string, number[]][],
      smooth: !['relu', 'relu6', 'hardSigmoid', 'leakyRelu'].includes(activation),
    })),
  {
    name: 'dense without bias, rank 3 input', make: make(L.dense), args: { units: 2, useBias: false }, inputShapes: [[2, 3, 4]], outputShapes: [[null, 3, 2]],
    weights: [['kernel', [4, 2]]], smooth: true, badArgs: [[{ units: 0 }, /units=0/], [{ activation: 'swoosh' }, /activation="swoosh"/]],
  },
  { name: 'dense with l2 regularizer', make: make(L.dense), args: { units: 2, kernelRegularizer: 'l2' }, inputShapes: [[2, 4]], outputShapes: [[null, 2]], weights: [['kernel', [4, 2]], ['bias', [2]]], smooth: true },
  { name: 'masking', make: make(L.masking), args: { maskValue: 0.5 }, inputShapes: [[2, 3, 4], [2, 4]], outputShapes: [[null, 3, 4], [null, 4]], weights: [], smooth: true, badArgs: [[{ maskValue: '0' }, /maskValue="0"/]] },
  { name: 'dropout', make: make(L.dropout), args: { rate: 0.5 }, inputShapes: [[2, 4]], outputShapes: [[null, 4]], weights: [], badArgs: [[{ rate: 1 }, /rate=1/]] },
  { name: 'activation', make: make(L.activation), args: { activation: 'tanh' }, inputShapes: [[2, 4]], outputShapes: [[null, 4]], weights: [], smooth: true },
  {
    name: 'leakyReLU', make: make(L.leakyReLU), args: { alpha: 0.2 }, inputShapes: [[2, 4], [3, 2, 5]], outputShapes: [[null, 4], [null, 2, 5]],
    weights: [], badArgs: [[{ alpha: 'big' }, /alpha="big"/]],
  },
  { name: 'softmax', make: make(L.softmax), args: { axis: 1 }, inputShapes: [[2, 3, 4]], outputShapes: [[null, 3, 4]], weights: [], smooth: true, badArgs: [[{ axis: 'last' }, /axis="last"/]] },
  { name: 'reLU', make: make(L.reLU), args: { maxValue: 0.5 }, inputShapes: [[2, 4]], outputShapes: [[null, 4]], weights: [], badArgs: [[{ maxValue: -1 }, /maxValue=-1/]] },
  { name: 'elu', make: make(L.elu), args: { alpha: 0.7 }, inputShapes: [[2, 4]], outputShapes: [[null, 4]], weights: [], smooth: true, badArgs: [[{ alpha: NaN }, /alpha=NaN/]] },
  { name: 'thresholdedReLU', make: make(L.thresholdedReLU), args: { theta: 0.2 }, inputShapes: [[2, 4]], outputShapes: [[null, 4]], weights: [], badArgs: [[{ theta: -1 }, /theta=-1/]] },
  {
    name: 'zeroPadding1d', make: make(L.zeroPadding1d), args: { padding: [2, 1] }, inputShapes: [[2, 3, 4]], outputShapes: [[null, 6, 4]], weights: [], smooth: true,
    badArgs: [[{ padding: 1.5 }, /padding=1\.5/]],
  },
  { name: 'cropping1D', make: make(L.cropping1D), args: { cropping: [1, 2] }, inputShapes: [[2, 5, 3]], outputShapes: [[null, 2, 3]], weights: [], smooth: true, badArgs: [[{ cropping: [-1, 0] }, /cropping=\[-1, 0\]/]] },
  { name: 'upSampling1d', make: make(L.upSampling1d), args: { size: 3 }, inputShapes: [[2, 3, 2]], outputShapes: [[null, 9, 2]], weights: [], smooth: true, badArgs: [[{ size: 0 }, /size=0/]] },
  { name: 'flatten', make: make(L.flatten), args: {}, inputShapes: [[2, 3, 4]], outputShapes: [[null, 12]], weights: [], smooth: true },
  { name: 'reshape', make: make(L.reshape), args: { targetShape: [2, -1] }, inputShapes: [[2, 6]], outputShapes: [[null, 2, 3]], weights: [], smooth: true },
];

describe('layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));
});

forEachBackend('layers', () => {
  it('a user function named like a built-in activation is called as given, never replaced', () => {
    const relu = (x: vb.Tensor) => vb.mul(x, 2);
    const linear = (x: vb.Tensor) => vb.add(x, 1);
    const x = vb.tensor([[-1, 2]]);
    for (const [fn, expected, dense] of [[relu, [-2, 4], [2, 2]], [linear, [0, 3], [2, 2]]] as const) {
      // Built in, these would give [1, 1] (dense: x . ones) and [0, 2] or [-1, 2] (conv: x itself).
      const layer = vb.layers.dense({ units: 2, activation: fn, kernelInitializer: 'ones', biasInitializer: 'zeros' });
      assert.deepEqual(Array.from(layer.apply(x).dataSync()), dense, `dense with a user ${fn.name}`);
      const conv = vb.layers.conv2d({ filters: 1, kernelSize: 1, activation: fn, kernelInitializer: 'ones', biasInitializer: 'zeros' });
      assert.deepEqual(Array.from(conv.apply(vb.reshape(x, [1, 1, 2, 1])).dataSync()), expected, `conv2d with a user ${fn.name}`);
    }
  });

  it('int32 and bool inputs into dense and recurrent layers are promoted to float32, as Keras and TF.js promote them (they were refused)', async () => {
    const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
    vb.setRandomSeed(9);
    const ints = vb.tensor2d([[1, 0, 3], [2, 5, 1]], [2, 3], 'int32');
    const flags = vb.tensor2d([[1, 0, 1], [0, 1, 1]], [2, 3], 'bool');
    const dense = vb.layers.dense({ units: 2, activation: 'relu' });
    assert.deepEqual(bits(dense.apply(ints) as vb.Tensor), bits(dense.apply(vb.cast(ints, 'float32')) as vb.Tensor));
    assert.deepEqual(bits(dense.apply(flags) as vb.Tensor), bits(dense.apply(vb.cast(flags, 'float32')) as vb.Tensor));
    const sequence = vb.tensor3d([[[1, 2], [0, 1], [3, 3]]], [1, 3, 2], 'int32');
    for (const layer of [vb.layers.lstm({ units: 2 }), vb.layers.gru({ units: 2, returnSequences: true }), vb.layers.bidirectional({ layer: vb.layers.simpleRNN({ units: 2 }) })]) {
      assert.deepEqual(bits(layer.apply(sequence) as vb.Tensor), bits(layer.apply(vb.cast(sequence, 'float32')) as vb.Tensor), layer.className);
    }
    // A model of an int32 input trains and predicts.
    const input = vb.input({ shape: [3], dtype: 'int32' });
    const model = vb.model({ inputs: input, outputs: vb.layers.dense({ units: 1 }).apply(input) as vb.SymbolicTensor });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const h = await model.fit(ints, vb.ones([2, 1]), { epochs: 2, verbose: 0 });
    assert.equal(h.history.loss!.length, 2);
    assert.equal((model.predict(ints) as vb.Tensor).dtype, 'float32');
    model.dispose();
  });

  it('inputLayer declares the input shape; hardSigmoid and leakyRelu follow Keras 3', () => {
    const model = vb.sequential({ layers: [vb.layers.inputLayer({ inputShape: [3] }), vb.layers.dense({ units: 2 })] });
    assert.equal(model.countParams(), 8);
    const x = vb.tensor([[-4, -1, 0.5, 3.5]]);
    assert.deepEqual(Array.from(vb.layers.activation({ activation: 'hardSigmoid' }).apply(x).dataSync()),
      [0, 2 / 6, 3.5 / 6, 1].map(Math.fround));
    assert.deepEqual(Array.from(vb.layers.activation({ activation: 'leakyRelu' }).apply(x).dataSync()), [-0.8, -0.2, 0.5, 3.5].map(Math.fround));
    model.dispose();
  });
});

describe('default layer names', () => {
  it('are Keras\'s snake_case of the class name (the keys of unseeded weights derive from them)', () => {
    const model = vb.sequential({ name: 'names', layers: [
      vb.layers.conv2d({ filters: 1, kernelSize: 1, inputShape: [4, 4, 1] }), vb.layers.maxPooling2d(), vb.layers.conv2dTranspose({ filters: 1, kernelSize: 1 }),
      vb.layers.globalAveragePooling2d(), vb.layers.dense({ units: 1 }), vb.layers.dense({ units: 1 }),
    ] });
    assert.deepEqual(model.layers.map((l) => l.name), ['conv2d', 'max_pooling2d', 'conv2d_transpose', 'global_average_pooling2d', 'dense', 'dense_1']);
    model.dispose();
  });
});

describe('initializers', () => {
  const key = vb.random.key(0);
  const stats = (v: Float32Array) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), max: Math.max(...v.map(Math.abs)) };
  };

  it('variance scaling family with Keras definitions', () => {
    const shape = [200, 300];
    const glorotU = stats(vb.initializers.glorotUniform().values(shape, key));
    const limit = Math.sqrt(6 / 500);
    assert.ok(glorotU.max <= limit && Math.abs(glorotU.std - limit / Math.sqrt(3)) < 2e-3);
    const heN = stats(vb.initializers.heNormal().values(shape, key));
    assert.ok(Math.abs(heN.std - Math.sqrt(2 / 200)) < 2e-3, `heNormal std ${heN.std}`);
    assert.ok(heN.max <= 2 * Math.sqrt(2 / 200) / 0.87962566103423978);
    const lecunU = stats(vb.initializers.lecunUniform().values(shape, key));
    assert.ok(lecunU.max <= Math.sqrt(3 / 200));
    const glorotN = stats(vb.initializers.glorotNormal().values(shape, key));
    assert.ok(Math.abs(glorotN.std - Math.sqrt(2 / 500)) < 2e-3);
    const untruncated = stats(vb.initializers.varianceScaling({ scale: 4, mode: 'fanOut', distribution: 'untruncatedNormal' }).values(shape, key));
    assert.ok(Math.abs(untruncated.std - Math.sqrt(4 / 300)) < 2e-3);
    assert.ok(Math.abs(stats(vb.initializers.randomNormal().values(shape, key)).std - 0.05) < 1e-3);
    assert.ok(stats(vb.initializers.randomUniform().values(shape, key)).max <= 0.05);
    assert.ok(stats(vb.initializers.truncatedNormal({ stddev: 1 }).values(shape, key)).max < 2);
    assert.throws(() => vb.initializers.varianceScaling({ mode: 'fanMiddle' as never }), /Expected mode 'fanIn', 'fanOut' or 'fanAvg'\. Received: mode="fanMiddle"/);
  });

  it('constant, zeros, ones; a seeded initializer ignores the key it is given', () => {
    assert.deepEqual(Array.from(vb.initializers.constant({ value: 3 }).values([2], key)), [3, 3]);
    assert.deepEqual(Array.from(vb.initializers.zeros().values([2], key)), [0, 0]);
    assert.deepEqual(Array.from(vb.initializers.ones().values([2], key)), [1, 1]);
    const seeded = vb.initializers.glorotUniform({ seed: 5 });
    assert.deepEqual(seeded.values([3, 4], vb.random.key(1)), seeded.values([3, 4], vb.random.key(2)));
  });

  it('identity({gain}) is gain times the identity matrix (Keras 3, also rectangular); TF.js\'s on square ones; by name in layers and files', async () => {
    const values = (gain: number, shape: number[]) => Array.from(vb.initializers.identity({ gain }).values(shape, key));
    assert.deepEqual(values(2.5, [3, 3]), [2.5, 0, 0, 0, 2.5, 0, 0, 0, 2.5]);
    assert.deepEqual(values(2.5, [3, 3]), Array.from(tf.initializers.identity({ gain: 2.5 }).apply([3, 3]).dataSync()), 'TF.js');
    assert.deepEqual(values(0.1, [2, 4]), [Math.fround(0.1), 0, 0, 0, 0, Math.fround(0.1), 0, 0]);
    assert.deepEqual(values(-1, [3, 2]), [-1, -0, -0, -1, -0, -0], 'gain times 0 is -0 for a negative gain, as Keras\'s product');
    assert.deepEqual(Array.from(vb.initializers.identity().values([2, 2], key)), [1, 0, 0, 1]);
    assert.throws(() => vb.initializers.identity().values([2, 2, 2], key), /identity: Expected a shape of rank 2 \(a matrix\)\. Received: shape=\[2, 2, 2\]/);
    assert.throws(() => vb.initializers.identity({ gain: NaN }), /identity: Expected gain to be a finite number\. Received: gain=NaN/);
    assert.throws(() => vb.initializers.identity({ scale: 2 } as never), /identity: Expected options among gain\. Received: scale=2/);
    // IRNN: a simpleRNN whose recurrent kernel starts as the identity, by name; saved as TF.js's Identity, which TF.js loads.
    const irnn = vb.sequential({ layers: [vb.layers.simpleRNN({ units: 3, inputShape: [4, 2], recurrentInitializer: 'identity', activation: 'relu' })] });
    assert.deepEqual(Array.from(irnn.getWeights()[1]!.dataSync()), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    let saved: vb.ModelArtifacts | undefined;
    await irnn.save(vb.io.withSaveHandler(async (a: vb.ModelArtifacts) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }; }));
    const layerJson = (saved!.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config;
    assert.deepEqual(layerJson.recurrent_initializer, { class_name: 'Identity', config: { gain: 1 } });
    const inTfjs = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    assert.deepEqual(inTfjs.layers[0]!.getConfig().recurrentInitializer, { className: 'Identity', config: { gain: 1 } });
    let fromTfjs: tf.io.ModelArtifacts | undefined;
    await inTfjs.save(tf.io.withSaveHandler(async (a: tf.io.ModelArtifacts) => { fromTfjs = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }; }));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(fromTfjs as vb.ModelArtifacts));
    assert.equal(loaded.layers[0]!.getConfig().recurrentInitializer, 'identity');
    inTfjs.dispose();
    loaded.dispose();
    irnn.dispose();
  });

  it('orthogonal gives orthonormal rows or columns', () => {
    for (const shape of [[6, 4], [4, 6], [5, 5]]) {
      const q = vb.tensor(vb.initializers.orthogonal().values(shape, key), shape);
      const gram = shape[0]! >= shape[1]! ? vb.matMul(q, q, true, false) : vb.matMul(q, q, false, true);
      const n = Math.min(shape[0]!, shape[1]!);
      const identity = vb.eye(n).dataSync();
      gram.dataSync().forEach((v, i) => assert.ok(Math.abs(v - identity[i]!) < 1e-5, `${JSON.stringify(shape)}: ${v}`));
    }
  });
});

describe('metrics', () => {
  it("'accuracy' resolves to binary, sparse categorical or categorical as Keras does", () => {
    const binary = vb.metrics.getMetric('accuracy', 'test');
    binary.update(vb.tensor([[1], [0], [1]]), vb.tensor([[0.9], [0.6], [0.4]]));
    assert.equal(binary.result(), Math.fround(1 / 3));
    const sparse = vb.metrics.getMetric('acc', 'test');
    sparse.update(vb.tensor([2, 0]), vb.tensor([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]]));
    assert.equal(sparse.result(), 1);
    const categorical = vb.metrics.getMetric('accuracy', 'test');
    categorical.update(vb.tensor([[0, 1], [1, 0]]), vb.tensor([[0.3, 0.7], [0.2, 0.8]]));
    assert.equal(categorical.result(), 0.5);
    categorical.update(vb.tensor([[0, 1]]), vb.tensor([[0.3, 0.7]]));
    assert.equal(categorical.result(), Math.fround(2 / 3), 'a running mean over batches');
  });

  it('precision, recall, auc, mse, mae', () => {
    const yTrue = vb.tensor([1, 1, 0, 0, 1]);
    const yPred = vb.tensor([0.9, 0.3, 0.6, 0.1, 0.8]);
    const precision = vb.metrics.precision();
    const recall = vb.metrics.recall();
    const auc = vb.metrics.auc();
    for (const m of [precision, recall, auc]) m.update(yTrue, yPred);
    assert.equal(precision.result(), Math.fround(2 / 3));
    assert.equal(recall.result(), Math.fround(2 / 3));
    // Pairs (positive, negative) ranked correctly: 5 of 6.
    assert.ok(Math.abs(auc.result() - 5 / 6) < 0.01, `auc ${auc.result()}`);
    const mse = vb.metrics.getMetric('mse', 'test');
    mse.update(vb.tensor([[1, 2]]), vb.tensor([[2, 4]]));
    assert.equal(mse.result(), 2.5);
    const mae = vb.metrics.getMetric('mae', 'test');
    mae.update(vb.tensor([[1, 2]]), vb.tensor([[2, 4]]));
    assert.equal(mae.result(), 1.5);
  });
});
