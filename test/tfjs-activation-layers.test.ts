/**
 * The activation layers softmax, reLU, elu, thresholdedReLU against TF.js 4.22 (values, input
 * gradients, configs, TF.js loading verbatim's file and back), and the 1-D layers zeroPadding1d,
 * cropping1D, upSampling1d (Keras's; TF.js has none) against TF.js's 2-D layers on [batch, steps,
 * 1, features] inputs; save and load; bad arguments.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { assertTensorClose, toTf } from './helpers/close.js';

before(async () => {
  await tf.setBackend('cpu');
});

const L = vb.layers;
const bits = (t: vb.Tensor | tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

/** Artifacts a save handler receives. */
async function captured(save: (handler: tf.io.IOHandler) => Promise<unknown>): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  return artifacts!;
}

const ACTIVATIONS: [string, () => vb.layers.Layer, () => tf.layers.Layer][] = [
  ['softmax', () => L.softmax(), () => tf.layers.softmax()],
  ['softmax axis 1', () => L.softmax({ axis: 1 }), () => tf.layers.softmax({ axis: -1 })],
  ['reLU', () => L.reLU(), () => tf.layers.reLU()],
  ['reLU maxValue', () => L.reLU({ maxValue: 0.75 }), () => tf.layers.reLU({ maxValue: 0.75 })],
  ['elu', () => L.elu(), () => tf.layers.elu()],
  ['thresholdedReLU', () => L.thresholdedReLU(), () => tf.layers.thresholdedReLU()],
  ['thresholdedReLU theta', () => L.thresholdedReLU({ theta: 0.3 }), () => tf.layers.thresholdedReLU({ theta: 0.3 })],
];

forEachBackend('activation layers', () => {
  it('compute what TF.js computes, and their input gradients', () => {
    const x = vb.random.generator(3).normal([4, 5]);
    for (const [name, ours, theirs] of ACTIVATIONS) {
      // TF.js's softmax works on the last axis only: on a [4, 5] input, axis 1 is it.
      const layer = ours();
      const reference = theirs();
      const y = layer.apply(x) as vb.Tensor;
      const expected = reference.apply(toTf(x)) as tf.Tensor;
      if (name.startsWith('softmax') || name === 'elu') assertTensorClose(y, expected, name);
      else assert.deepEqual(bits(y), bits(expected), `${name}: one comparison and one product per element, bit for bit`);
      const probe = vb.random.generator(4).normal([4, 5]);
      const g = vb.grad((t: vb.Tensor) => vb.sum(vb.mul(layer.apply(t) as vb.Tensor, probe)))(x);
      // TF.js cannot differentiate thresholdedReLU (Greater has no gradient): the probe where x > theta.
      const tg = name.startsWith('thresholdedReLU')
        ? tf.mul(toTf(probe), tf.cast(tf.greater(toTf(x), (reference.getConfig() as { theta: number }).theta), 'float32'))
        : tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reference.apply(t) as tf.Tensor, toTf(probe))))(toTf(x));
      assertTensorClose(g, tg, `${name}: gradient`);
    }
  });

  it('follow Keras where TF.js cannot: elu with alpha, softmax on another axis; reLU keeps NaN, thresholdedReLU gives -0 below', () => {
    const x = vb.tensor([[-2, -0.5, 0.5], [1, 2, NaN]]);
    assert.deepEqual(bits(L.elu({ alpha: 0.5 }).apply(x) as vb.Tensor), bits(vb.elu(x, 0.5)));
    assert.throws(() => tf.layers.elu({ alpha: 0.5 }), /alpha/);
    const columns = L.softmax({ axis: 0 }).apply(vb.tensor([[1, 2], [3, 5]])) as vb.Tensor;
    assert.deepEqual(bits(columns), bits(vb.softmax(vb.tensor([[1, 2], [3, 5]]), 0)));
    assert.deepEqual(Array.from((L.reLU({ maxValue: 1 }).apply(x) as vb.Tensor).dataSync()), [0, 0, 0.5, 1, 1, NaN]);
    assert.deepEqual(bits(L.thresholdedReLU({ theta: 0.5 }).apply(vb.tensor([-1, 0.5, 0.75])) as vb.Tensor), bits(vb.tensor([-0, 0, 0.75])));
  });
});

describe('activation layers in files', () => {
  it("save TF.js's configs: TF.js loads verbatim's file and predicts the same, and verbatim loads TF.js's", async () => {
    const ours = vb.sequential({ layers: [L.dense({ units: 4, inputShape: [3] }), L.thresholdedReLU({ theta: 0.1 }), L.reLU({ maxValue: 2 }), L.elu(), L.dense({ units: 3 }), L.softmax()] });
    const artifacts = await captured((h) => ours.save(h as vb.IOHandler));
    const layers = (artifacts.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    assert.deepEqual(layers.slice(1).map((l) => [l.class_name, l.config.theta ?? l.config.max_value ?? l.config.alpha ?? l.config.axis]),
      [['ThresholdedReLU', 0.1], ['ReLU', 2], ['ELU', 1], ['Dense', undefined], ['Softmax', -1]]);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const x = vb.random.generator(5).normal([6, 3]);
    assertTensorClose(ours.predict(x) as vb.Tensor, theirs.predict(toTf(x)) as tf.Tensor, "TF.js predicts with verbatim's file");
    const back = await vb.loadLayersModel(vb.io.fromMemory((await captured((h) => theirs.save(h))) as vb.ModelArtifacts));
    assert.deepEqual(bits(back.predict(x) as vb.Tensor), bits(ours.predict(x) as vb.Tensor), "verbatim loads TF.js's save of it: the same bits");
    assert.deepEqual(back.layers.map((l) => l.getConfig()), ours.layers.map((l) => l.getConfig()));
    ours.dispose();
    back.dispose();
  });

  it("TF.js's activation names 'logSoftmax' and 'gelu_new' (also Keras's 'log_softmax'): TF.js's values, and files both ways", async () => {
    const x = vb.tensor(Array.from({ length: 12 }, (_, i) => Math.sin(i * 0.9) * 3), [3, 4]);
    for (const name of ['logSoftmax', 'gelu_new'] as const) {
      // (Runtime names of both libraries that neither's activation type lists.)
      const ours = vb.sequential({ layers: [L.dense({ units: 3, inputShape: [4], activation: name as never })] });
      const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: name as never })] });
      theirs.setWeights(ours.getWeights().map(toTf));
      assertTensorClose(ours.predict(x) as vb.Tensor, theirs.predict(toTf(x)) as tf.Tensor, name);
      const ourFile = await captured((h) => ours.save(h as never));
      const theirFile = await captured((h) => theirs.save(h));
      const activationIn = (file: tf.io.ModelArtifacts) => (file.modelTopology as { config: { layers: { config: { activation: unknown } }[] } }).config.layers.at(-1)!.config.activation;
      assert.equal(activationIn(ourFile), activationIn(theirFile), `${name}: TF.js's name in files ('log_softmax', 'gelu_new')`);
      // TF.js 4.22 cannot load its own 'gelu_new' ('Unknown activation: geluNew').
      if (name === 'logSoftmax') {
        const loadedByTfjs = await tf.loadLayersModel(tf.io.fromMemory(ourFile));
        assertTensorClose(ours.predict(x) as vb.Tensor, loadedByTfjs.predict(toTf(x)) as tf.Tensor, `${name}: TF.js loads verbatim's file`);
      }
      const loadedByUs = await vb.loadLayersModel(vb.io.fromMemory(theirFile as never));
      assert.deepEqual(bits(loadedByUs.predict(x) as vb.Tensor), bits(ours.predict(x) as vb.Tensor), `${name}: verbatim loads TF.js's file`);
    }
    assert.deepEqual(bits(L.activation({ activation: 'log_softmax' as never }).apply(x) as vb.Tensor), bits(vb.logSoftmax(x)));
  });

  it("load Keras's ReLU config (negative_slope and threshold, which TF.js ignores): at 0 the plain ReLU, else refused", async () => {
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.reLU({ maxValue: 0.5 })] });
    const artifacts = await captured((h) => theirs.save(h));
    const withRelu = (keys: Record<string, unknown>) => {
      const topology = structuredClone(artifacts.modelTopology) as { config: { layers: { config: Record<string, unknown> }[] } };
      Object.assign(topology.config.layers[1]!.config, keys);
      return vb.io.fromMemory({ ...artifacts, modelTopology: topology } as vb.ModelArtifacts);
    };
    // What Keras (and the converter) writes for ReLU(6.0)-style layers.
    const keras = await vb.loadLayersModel(withRelu({ max_value: 0.5, negative_slope: 0.0, threshold: 0.0 }));
    const x = vb.random.generator(6).normal([5, 3]);
    assertTensorClose(keras.predict(x) as vb.Tensor, theirs.predict(toTf(x)) as tf.Tensor, 'relu capped at 0.5, as TF.js');
    assert.deepEqual(keras.layers[1]!.getConfig(), { maxValue: 0.5 });
    await assert.rejects(vb.loadLayersModel(withRelu({ negative_slope: 0.1, threshold: 0.0 })), /Expected options ReLU has \(maxValue, .*\)\. Received: modelTopology\.config\.layers\[1\]\.config=\["negative_slope"\]/);
    await assert.rejects(vb.loadLayersModel(withRelu({ threshold: 1 })), /Received: modelTopology\.config\.layers\[1\]\.config=\["threshold"\]/);
    keras.dispose();
  });

  it("only ReLU takes negative_slope and threshold at 0: Keras 3's LeakyReLU(negative_slope=0) is refused, not loaded with alpha 0.3", async () => {
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.leakyReLU({ alpha: 0.3 })] });
    const artifacts = await captured((h) => theirs.save(h));
    const topology = structuredClone(artifacts.modelTopology) as { config: { layers: { config: Record<string, unknown> }[] } };
    // Keras 3 writes LeakyReLU's slope as negative_slope (TF.js and verbatim call it alpha).
    const leaky = topology.config.layers[1]!.config;
    delete leaky.alpha;
    leaky.negative_slope = 0;
    await assert.rejects(vb.loadLayersModel(vb.io.fromMemory({ ...artifacts, modelTopology: topology } as vb.ModelArtifacts)),
      /Expected options LeakyReLU has \(alpha, .*\)\. Received: modelTopology\.config\.layers\[1\]\.config=\["negative_slope"\]/);
    assert.throws(() => L.leakyReLU({ negativeSlope: 0 } as never), /LeakyReLU: Expected options among alpha, .*Received: negativeSlope=0/);
    assert.throws(() => L.dense({ units: 2, threshold: 0 } as never), /Dense: Expected options among .*Received: threshold=0/);
    assert.deepEqual(L.reLU({ negativeSlope: 0, threshold: 0 } as never).getConfig(), { maxValue: null });
  });
});

forEachBackend('1-D spatial layers', () => {
  /** TF.js's 2-D layer on x as [batch, steps, 1, features], back to [batch, steps', features]. */
  const viaTfjs2d = (layer: tf.layers.Layer, x: tf.Tensor) => {
    const [n, steps, features] = x.shape as [number, number, number];
    const y = layer.apply(tf.reshape(x, [n, steps, 1, features])) as tf.Tensor;
    return tf.reshape(y, [n, y.shape[1]!, features]);
  };

  it("zeroPadding1d, cropping1D and upSampling1d move the steps as TF.js's 2-D layers move rows (bit for bit), with Keras's defaults", () => {
    const x = vb.random.generator(6).normal([2, 5, 3]);
    const cases: [string, vb.layers.Layer, tf.layers.Layer][] = [
      ['zeroPadding1d default 1', L.zeroPadding1d(), tf.layers.zeroPadding2d({ padding: [[1, 1], [0, 0]] })],
      ['zeroPadding1d [0, 2]', L.zeroPadding1d({ padding: [0, 2] }), tf.layers.zeroPadding2d({ padding: [[0, 2], [0, 0]] })],
      ['cropping1D default [1, 1]', L.cropping1D(), tf.layers.cropping2D({ cropping: [[1, 1], [0, 0]] })],
      ['cropping1D [3, 0]', L.cropping1D({ cropping: [3, 0] }), tf.layers.cropping2D({ cropping: [[3, 0], [0, 0]] })],
      ['upSampling1d default 2', L.upSampling1d(), tf.layers.upSampling2d({ size: [2, 1] })],
      ['upSampling1d 3', L.upSampling1d({ size: 3 }), tf.layers.upSampling2d({ size: [3, 1] })],
    ];
    for (const [name, ours, theirs] of cases) {
      const y = ours.apply(x) as vb.Tensor;
      const expected = viaTfjs2d(theirs, toTf(x));
      assert.deepEqual(y.shape, expected.shape, `${name}: shape`);
      assert.deepEqual(bits(y), bits(expected), name);
      assert.deepEqual(ours.computeOutputShape([null, 5, 3]), [null, ...expected.shape.slice(1)], `${name}: computeOutputShape`);
      assert.deepEqual(ours.computeOutputShape([null, null, 3]), [null, null, 3], `${name}: unknown steps stay unknown`);
      const probe = vb.random.generator(7).normal([...y.shape]);
      const g = vb.grad((t: vb.Tensor) => vb.sum(vb.mul(ours.apply(t) as vb.Tensor, probe)))(x);
      // TF.js's nearest-neighbour resize gradient mixes up a batch's examples: upsampling's is the sum over each step's repeats.
      const size = y.shape[1]! / 5;
      const tg = name.startsWith('upSampling')
        ? tf.sum(tf.reshape(toTf(probe), [2, 5, size, 3]), 2)
        : tf.grad((t: tf.Tensor) => tf.sum(tf.mul(viaTfjs2d(theirs, t), toTf(probe))))(toTf(x));
      assertTensorClose(g, tg, `${name}: gradient`);
    }
  });

  it('in a model with unknown steps, and through save and load', async () => {
    const model = vb.sequential({ layers: [L.zeroPadding1d({ padding: [2, 1], inputShape: [null, 2] }), L.conv1d({ filters: 3, kernelSize: 2 }), L.upSampling1d({ size: 2 }), L.cropping1D({ cropping: [1, 2] }), L.thresholdedReLU({ theta: 0.05 }), L.elu({ alpha: 0.3 }), L.reLU({ maxValue: 1 }), L.softmax({ axis: 1 })] });
    assert.deepEqual(model.outputs[0]!.shape, [null, null, 3]);
    const x = vb.random.generator(8).normal([2, 4, 2]);
    const y = model.predict(x) as vb.Tensor;
    assert.deepEqual(y.shape, [2, 2 * (4 + 3 - 1) - 3, 3]);
    const artifacts = await captured((h) => model.save(h as vb.IOHandler));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts));
    assert.deepEqual(bits(loaded.predict(x) as vb.Tensor), bits(y));
    assert.deepEqual(loaded.layers.map((l) => [l.className, l.getConfig()]), model.layers.map((l) => [l.className, l.getConfig()]));
    model.dispose();
    loaded.dispose();
  });
});

it('applied to tensors (outside tidy), they leave no tensor behind but their output', () => {
  const cases: [string, () => vb.layers.Layer, vb.Tensor][] = [
    ['reLU maxValue', () => L.reLU({ maxValue: 1 }), vb.tensor([[-1, 0.5, 2]])],
    ['reLU of int32', () => L.reLU(), vb.tensor([[-1, 2]], [1, 2], 'int32')],
    ['thresholdedReLU', () => L.thresholdedReLU(), vb.tensor([[-1, 0.5, 2]])],
    ['prelu of int32', () => L.prelu(), vb.tensor([[-1, 2]], [1, 2], 'int32')],
    ['upSampling1d', () => L.upSampling1d(), vb.ones([1, 2, 3])],
    ['upSampling2d', () => L.upSampling2d(), vb.ones([1, 2, 2, 3])],
    ['zeroPadding2d channelsFirst', () => L.zeroPadding2d({ dataFormat: 'channelsFirst' }), vb.ones([1, 3, 2, 2])],
    ['cropping2d channelsFirst', () => L.cropping2d({ cropping: 1, dataFormat: 'channelsFirst' }), vb.ones([1, 2, 4, 4])],
  ];
  for (const [name, make, x] of cases) {
    const layer = make();
    layer.apply(x).dispose(); // builds the layer (its weights stay)
    const before = vb.memory().numTensors;
    const y = layer.apply(x) as vb.Tensor;
    assert.equal(vb.memory().numTensors, before + 1, `${name}: the output only`);
    y.dispose();
    layer.dispose();
    x.dispose();
  }
});

it('bad arguments are errors naming them', () => {
  assert.throws(() => L.zeroPadding1d({ padding: -1 }), /ZeroPadding1D: Expected padding as a non-negative integer or \[before, after\]\. Received: padding=-1/);
  assert.throws(() => L.cropping1D({ cropping: [1, 1, 1] as never }), /Cropping1D: Expected cropping as a non-negative integer or \[before, after\]\. Received: cropping=\[1, 1, 1\]/);
  assert.throws(() => L.upSampling1d({ size: 0 }), /UpSampling1D: Expected size to be a positive integer\. Received: size=0/);
  assert.throws(() => L.cropping1D({ cropping: [2, 3] }).apply(vb.zeros([1, 5, 2])), /Cropping1D \(.*\): Expected cropping smaller than the steps\. Received: cropping=\[2, 3\]/);
  assert.throws(() => L.zeroPadding1d().apply(vb.zeros([1, 5])), /ZeroPadding1D \(.*\): Expected inputs of rank 3 \(\[batch, steps, features\]\)\. Received: inputShape=\[1, 5\]/);
  assert.throws(() => L.upSampling1d().apply(vb.zeros([1, 2, 2, 2])), /UpSampling1D .*Expected inputs of rank 3/);
  assert.throws(() => L.softmax({ axis: 0.5 }), /Softmax: Expected axis to be an integer\. Received: axis=0\.5/);
  assert.throws(() => L.softmax({ axis: 2 }).apply(vb.zeros([2, 2])), /softmax: Expected axis to be an integer in \[-2, 2\)\. Received: axis=2/);
  assert.throws(() => L.reLU({ maxValue: -1 }), /ReLU: Expected maxValue to be a finite number of at least 0\. Received: maxValue=-1/);
  assert.throws(() => L.elu({ alpha: Infinity }), /ELU: Expected alpha to be a finite number\. Received: alpha=Infinity/);
  assert.throws(() => L.thresholdedReLU({ theta: -0.5 }), /ThresholdedReLU: Expected theta to be a finite number of at least 0\. Received: theta=-0\.5/);
  assert.throws(() => L.reLU({ negativeSlope: 0.1 } as never), /ReLU: Expected options among maxValue, .*Received: negativeSlope=0\.1/);
  assert.equal(L.cropping2D, L.cropping2d, "TF.js's cropping2D is cropping2d");
  assert.equal(L.cropping1D, L.cropping1d);
});
