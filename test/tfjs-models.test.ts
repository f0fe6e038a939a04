/**
 * Models, layers and fit as TF.js programs use them: LayersModel as a class, symbolic inputs and
 * outputs, per-layer weights, trainable, outputShape, getLayer, custom layers with TF.js's contract
 * (against the same layer written for TF.js 4.22), and fit's options, targets and log keys.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose } from './helpers/close.js';

before(async () => {
  await tf.setBackend('cpu');
});

const values = (ts: vb.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

function xy(n = 12) {
  const x = vb.tensor2d(Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(2 * i), (i % 3) - 1]));
  const y = vb.tensor2d(Array.from({ length: n }, (_, i) => [i % 2]));
  return { x, y };
}

describe('models and layers as TF.js', () => {
  it('vb.LayersModel is the class of Sequential and functional models; vb.layers.Layer of every layer', () => {
    const seq = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });
    const input = vb.input({ shape: [3] });
    const fn = vb.model({ inputs: input, outputs: vb.layers.dense({ units: 1 }).apply(input) });
    assert.ok(seq instanceof vb.LayersModel && fn instanceof vb.LayersModel);
    assert.ok(seq instanceof vb.Sequential && !(fn instanceof vb.Sequential));
    assert.ok(seq.layers[0] instanceof vb.layers.Layer);
    assert.ok(vb.layers.dropout({ rate: 0.1 }) instanceof vb.layers.Layer);
    assert.ok(!((new Object()) instanceof vb.layers.Layer));
  });

  it('model.inputs/outputs are symbolic, layer.outputShape and getLayer(name | index) as TF.js', () => {
    const ours = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputShape: [3], name: 'a' }), vb.layers.dense({ units: 2, name: 'b' })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], name: 'a' }), tf.layers.dense({ units: 2, name: 'b' })] });
    assert.deepEqual(ours.inputs.map((t) => t.shape), theirs.inputs.map((t) => t.shape));
    assert.deepEqual(ours.outputs.map((t) => t.shape), theirs.outputs.map((t) => t.shape));
    assert.deepEqual(ours.outputShape, theirs.outputShape);
    const a = vb.input({ shape: [3] });
    const two = vb.model({ inputs: [a, vb.input({ shape: [2, 5] })], outputs: [vb.layers.dense({ units: 2 }).apply(a) as vb.SymbolicTensor, a] });
    assert.deepEqual(two.outputShape, [[null, 2], [null, 3]]);
    two.dispose();
    assert.throws(() => vb.sequential({ layers: [vb.layers.dense({ units: 1 })] }).outputShape, /outputShape: Expected a built model/);
    assert.ok(ours.outputs[0] instanceof vb.SymbolicTensor);
    for (const i of [0, 1]) {
      assert.deepEqual(ours.layers[i]!.outputShape, theirs.layers[i]!.outputShape);
    }
    assert.deepEqual([ours.layers[0]!.inputShape, ours.layers[1]!.inputShape], [[null, 3], [null, 4]]);
    assert.equal(ours.getLayer('b'), ours.layers[1]);
    assert.equal(ours.getLayer(1), ours.layers[1]);
    assert.equal(ours.getLayer(undefined, 0), ours.layers[0]);
    assert.equal(theirs.getLayer(undefined as unknown as string, 0).name, ours.getLayer(undefined, 0).name);
    assert.throws(() => ours.getLayer('c'), /layer="c"/);
    assert.throws(() => vb.layers.dense({ units: 1 }).outputShape, /called in a model/);
    const input = vb.input({ shape: [5] });
    const shared = vb.layers.dense({ units: 3 });
    shared.apply(input);
    shared.apply(vb.input({ shape: [6] }));
    assert.throws(() => shared.outputShape === undefined || shared.inputShape, /one input shape/);
  });

  it('layer.getWeights/setWeights copy and assign values in creation order; bad counts and shapes are errors', () => {
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });
    const layer = model.layers[0]!;
    const [kernel, bias] = layer.getWeights();
    assert.deepEqual([kernel!.shape, bias!.shape], [[3, 2], [2]]);
    layer.setWeights([vb.ones([3, 2]), vb.tensor1d([1, 2])]);
    assert.deepEqual(values(layer.getWeights()), [[1, 1, 1, 1, 1, 1], [1, 2]]);
    assert.deepEqual(values([model.predict(vb.tensor2d([[1, 1, 1]]))]), [[4, 5]]);
    assert.throws(() => layer.setWeights([vb.ones([3, 2])]), /Expected 2 tensors/);
    assert.throws(() => layer.setWeights([vb.ones([2, 3]), vb.ones([2])]), /weights\[0\]\.shape=\[2, 3\]/);
  });

  it('trainable false freezes a layer in fit (Keras), with trainableWeights/nonTrainableWeights as TF.js counts them', async () => {
    vb.setRandomSeed(5);
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dense({ units: 1 })] });
    model.layers[0]!.trainable = false;
    theirs.layers[0]!.trainable = false;
    assert.equal(model.trainableWeights.length, theirs.trainableWeights.length);
    assert.equal(model.nonTrainableWeights.length, theirs.nonTrainableWeights.length);
    assert.deepEqual([model.layers[0]!.trainableWeights.length, model.layers[0]!.nonTrainableWeights.length], [0, 2]);
    assert.equal(model.layers[0]!.weights[0]!.variable.trainable, false);
    const before = values(model.getWeights());
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = xy();
    await model.fit(x, y, { epochs: 2, verbose: 0 });
    const after = values(model.getWeights());
    assert.deepEqual(after.slice(0, 2), before.slice(0, 2), 'the frozen layer keeps its weights');
    assert.notDeepEqual(after.slice(2), before.slice(2), 'the other layer trains');
    // Changing trainable takes effect at the next compile (TF.js; Keras asks to compile again).
    model.layers[0]!.trainable = true;
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    assert.deepEqual(values(model.getWeights()).slice(0, 2), before.slice(0, 2));
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    assert.notDeepEqual(values(model.getWeights()).slice(0, 2), before.slice(0, 2));
  });

  it('a model frozen after its own compile still trains alone and stays fixed inside a model compiled later (the GAN pattern)', async () => {
    vb.setRandomSeed(6);
    const discriminator = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [3], activation: 'sigmoid' })] });
    discriminator.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    discriminator.trainable = false;
    const input = vb.input({ shape: [3] });
    const generator = vb.layers.dense({ units: 3 });
    const combined = vb.model({ inputs: input, outputs: discriminator.apply(generator.apply(input)) as vb.SymbolicTensor });
    combined.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    assert.equal(discriminator.trainable, false);
    assert.deepEqual(combined.trainableWeights.map((w) => w.name), generator.weights.map((w) => w.variable.name));
    const { x, y } = xy();
    const d0 = values(discriminator.getWeights());
    await combined.fit(x, y, { epochs: 1, verbose: 0 });
    assert.deepEqual(values(discriminator.getWeights()), d0);
    await discriminator.trainOnBatch(x, y);
    assert.notDeepEqual(values(discriminator.getWeights()), d0);
  });

  it('int32 and bool data for a float32 input are cast, as TF.js (and Keras) do: predict, fit and evaluate on pixels as int32', async () => {
    const build = <M extends typeof vb | typeof tf>(lib: M) => {
      const L = lib.layers as typeof tf.layers;
      const m = (lib as typeof tf).sequential({ layers: [L.conv2d({ filters: 2, kernelSize: 2, inputShape: [3, 3, 1] }), L.flatten(), L.dense({ units: 1 })] });
      m.compile({ optimizer: (lib as typeof tf).train.sgd(1e-6), loss: 'meanSquaredError' });
      return m;
    };
    const ours = build(vb) as unknown as vb.LayersModel;
    const theirs = build(tf);
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync() as Float32Array, [...w.shape])));
    const pixels = [[[[0], [255], [3]], [[7], [128], [9]], [[1], [2], [250]]], [[[5], [6], [7]], [[8], [9], [10]], [[11], [12], [13]]]];
    const x = vb.tensor(pixels, undefined, 'int32');
    const tx = tf.tensor(pixels, undefined, 'int32');
    assertClose((ours.predict(x) as vb.Tensor).dataSync(), (theirs.predict(tx) as tf.Tensor).dataSync(), 'predict');
    const y = [[1], [0]];
    const history = await ours.fit(x, vb.tensor(y), { epochs: 2, batchSize: 1, shuffle: false, verbose: 0 });
    const expected = await theirs.fit(tx, tf.tensor(y), { epochs: 2, batchSize: 1, shuffle: false, verbose: 0 });
    assertClose(history.history.loss!, expected.history.loss as number[], 'fit');
    assertClose([(ours.evaluate(x, vb.tensor(y)) as vb.Tensor).dataSync()[0]!], [(theirs.evaluate(tx, tf.tensor(y)) as tf.Tensor).dataSync()[0]!], 'evaluate');
    const flags = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })] });
    assert.deepEqual([...(flags.predict(vb.tensor([[true, true]], undefined, 'bool')) as vb.Tensor).dataSync()], [2]);
    ours.dispose();
    flags.dispose();
  });

  it("TF.js's 'mish' activation gives TF.js's values", () => {
    const x = [[-3, -0.5, 0, 0.7, 4]];
    assertClose((vb.layers.activation({ activation: 'mish' }).apply(vb.tensor2d(x)) as vb.Tensor).dataSync(),
      (tf.layers.activation({ activation: 'mish' }).apply(tf.tensor2d(x)) as tf.Tensor).dataSync(), 'mish');
  });

  it("initializer spellings of TF.js ('leCunNormal') are aliases of Keras's", () => {
    vb.setRandomSeed(1);
    const a = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [2], kernelInitializer: 'leCunNormal' as never })] });
    vb.setRandomSeed(1);
    const b = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [2], kernelInitializer: 'lecunNormal' })] });
    assert.deepEqual(values(a.getWeights()), values(b.getWeights()));
  });

  it('vb.initializers.leCunNormal and leCunUniform (TF.js\'s spellings) are the LeCun presets', () => {
    assert.equal(typeof tf.initializers.leCunNormal, 'function');
    for (const [tfjsName, name] of [['leCunNormal', 'lecunNormal'], ['leCunUniform', 'lecunUniform']] as const) {
      const drawn = vb.initializers[tfjsName]({ seed: 3 }).values([4, 5], vb.random.key(0));
      assert.deepEqual(drawn, vb.initializers[name]({ seed: 3 }).values([4, 5], vb.random.key(0)), tfjsName);
    }
  });

  it('an initializer option it lacks is an error, not its default in force (randomNormal({stdev}) drew with stddev 0.05)', () => {
    const I = vb.initializers;
    assert.throws(() => I.randomNormal({ mean: 0, stdev: 5 } as never), /randomNormal: Expected options among mean, stddev, seed\. Received: stdev=5/);
    assert.throws(() => I.glorotUniform({ scale: 2 } as never), /glorotUniform: Expected options among seed\. Received: scale=2/);
    assert.throws(() => I.varianceScaling({ scale: 2, mode: 'fanIn', distrib: 'uniform' } as never), /varianceScaling: Expected options among scale, mode, distribution, seed\. Received: distrib="uniform"/);
    assert.throws(() => I.constant({ val: 3 } as never), /constant: Expected options among value\. Received: val=3/);
    assert.equal(I.heNormal({ seed: 3 }).name, 'heNormal');
  });
});

/** y = relu(x . w) * alpha + c, with w trainable and c a non-trainable weight: TF.js's custom layer contract. */
class ScaledRelu extends vb.layers.Layer {
  static get className() {
    return 'ScaledRelu';
  }
  alpha: number;
  units: number;
  w: vb.Variable | undefined;
  c: vb.Variable | undefined;
  constructor(config: { alpha?: number; units: number; name?: string; inputShape?: number[] }) {
    super(config);
    this.alpha = config.alpha ?? 2;
    this.units = config.units;
  }
  override build(inputShape: (number | null)[] | (number | null)[][]) {
    const shape = inputShape as (number | null)[];
    this.w = this.addWeight('w', [shape[shape.length - 1]!, this.units], 'float32', vb.initializers.glorotNormal());
    this.c = this.addWeight('c', [this.units], undefined, 'ones', undefined, false);
  }
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]) {
    const shape = inputShape as (number | null)[];
    return [...shape.slice(0, -1), this.units];
  }
  override call(inputs: vb.Tensor | vb.Tensor[], kwargs: { training?: boolean }) {
    this.invokeCallHook(inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return vb.tidy(() => vb.add(vb.mul(vb.relu(vb.matMul(x, this.w!.read())), this.alpha), this.c!.read()));
  }
  override getConfig() {
    return { ...super.getConfig(), alpha: this.alpha, units: this.units };
  }
}

class TfScaledRelu extends tf.layers.Layer {
  static get className() {
    return 'TfScaledRelu';
  }
  alpha: number;
  units: number;
  w: tf.LayerVariable | undefined;
  c: tf.LayerVariable | undefined;
  constructor(config: { alpha?: number; units: number }) {
    super({});
    this.alpha = config.alpha ?? 2;
    this.units = config.units;
  }
  override build(inputShape: tf.Shape | tf.Shape[]) {
    const shape = inputShape as tf.Shape;
    this.w = this.addWeight('w', [shape[shape.length - 1]!, this.units], 'float32', tf.initializers.glorotNormal({}));
    this.c = this.addWeight('c', [this.units], undefined, tf.initializers.ones(), undefined, false);
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]) {
    const shape = inputShape as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]) {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => tf.add(tf.mul(tf.relu(tf.matMul(x, this.w!.read())), this.alpha), this.c!.read()));
  }
}

describe('custom layers with TF.js contract', () => {
  const build = (seed: number) => {
    vb.setRandomSeed(seed);
    const model = vb.sequential({ name: 'custom', layers: [new ScaledRelu({ units: 4, alpha: 0.5, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    return model;
  };

  it('subclass vb.layers.Layer: named by className, weights keyed by name, trainable and non-trainable weights, getConfig', () => {
    const model = build(1);
    const layer = model.layers[0] as ScaledRelu;
    assert.equal(layer.className, 'ScaledRelu');
    assert.equal(layer.name, 'scaled_relu');
    assert.ok(layer instanceof ScaledRelu && layer instanceof vb.layers.Layer && !(model.layers[1] instanceof ScaledRelu));
    assert.deepEqual(layer.weights.map((w) => w.variable.name), ['custom/scaled_relu/w', 'custom/scaled_relu/c']);
    assert.deepEqual([layer.trainableWeights.length, layer.nonTrainableWeights.length], [1, 1]);
    assert.deepEqual(layer.getConfig(), { name: 'scaled_relu', trainable: true, alpha: 0.5, units: 4 });
    assert.deepEqual(layer.outputShape, [null, 4]);
    const w = vb.initializers.glorotNormal().values([3, 4], vb.random.foldIn(vb.random.key(1), 'custom/scaled_relu/w'));
    assert.deepEqual(Array.from(layer.w!.dataSync()), Array.from(w), 'the unseeded weight comes from keyFor(<model>/<layer>/<weight>)');
    assert.throws(() => (layer as unknown as { addWeight: (...a: unknown[]) => unknown }).addWeight('w', [1], 'float32'), /unique within the layer/);
    assert.throws(() => (layer as unknown as { addWeight: (...a: unknown[]) => unknown }).addWeight('z', [1], 'int32'), /dtype float32/);
    model.dispose();
  });

  it('same seed, same initial weights and bit-identical training; it trains in fit like a built-in layer', async () => {
    const { x, y } = xy();
    const run = async () => {
      const model = build(2);
      const initial = model.weightsDigest();
      const history = await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
      const result = { initial, history: history.history.loss, digest: model.weightsDigest(), c: Array.from((model.layers[0] as ScaledRelu).c!.dataSync()) };
      model.dispose();
      return result;
    };
    const [a, b] = [await run(), await run()];
    assert.deepEqual(a, b);
    assert.notEqual(a.initial, a.digest);
    assert.deepEqual(a.c, [1, 1, 1, 1], 'the non-trainable weight is not trained');
  });

  it('in a functional model, with the same weights as TF.js running the same layer: same predictions and losses', async () => {
    vb.setRandomSeed(3);
    const input = vb.input({ shape: [3] });
    const ours = vb.model({ inputs: input, outputs: vb.layers.dense({ units: 1 }).apply(new ScaledRelu({ units: 4 }).apply(input) as vb.SymbolicTensor) as vb.SymbolicTensor });
    const tfInput = tf.input({ shape: [3] });
    const theirs = tf.model({ inputs: tfInput, outputs: tf.layers.dense({ units: 1 }).apply(new TfScaledRelu({ units: 4 }).apply(tfInput)) as tf.SymbolicTensor });
    const toTf = (ts: vb.Tensor[]) => ts.map((t) => tf.tensor(t.dataSync() as Float32Array, [...t.shape]));
    // TF.js orders a model's weights trainable first; per layer both keep creation order.
    theirs.layers[1]!.setWeights(toTf(ours.layers[1]!.getWeights()));
    theirs.layers[2]!.setWeights(toTf(ours.layers[2]!.getWeights()));
    const { x, y } = xy();
    const tx = tf.tensor(x.dataSync() as Float32Array, [...x.shape]);
    assertClose((ours.predict(x) as vb.Tensor).dataSync(), (theirs.predict(tx) as tf.Tensor).dataSync(), 'predictions');
    ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const h1 = await ours.fit(x, y, { epochs: 3, batchSize: 12, shuffle: false, verbose: 0 });
    const h2 = await theirs.fit(tx, tf.tensor(y.dataSync() as Float32Array, [...y.shape]), { epochs: 3, batchSize: 12, shuffle: false, verbose: 0 });
    assertClose(h1.history.loss!, h2.history.loss as number[], 'losses');
  });
});

describe('fit options as TF.js', () => {
  const compiled = (metrics: string[] = []) => {
    vb.setRandomSeed(4);
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [3], activation: 'sigmoid' })] });
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics });
    return model;
  };

  it('callbacks: null is accepted; an unknown option is an error naming it; every TF.js key is accepted', async () => {
    const { x, y } = xy();
    await compiled().fit(x, y, { epochs: 1, verbose: 0, callbacks: null });
    await assert.rejects(compiled().fit(x, y, { epochs: 1, verbose: 0, batchsize: 4 } as never), /batchsize=4/);
    await compiled().fit(x, y, { epochs: 1, verbose: 0, yieldEvery: 'batch', validationData: undefined, sampleWeight: undefined });
    await assert.rejects(compiled().fit(x, y, { epochs: 1, verbose: 0, yieldEvery: 'often' as never }), /yieldEvery="often"/);
    await assert.rejects(compiled().fit(x, y, { epochs: 1, verbose: 0, stepsPerEpoch: 3 as never }), /stepsPerEpoch=3/);
  });

  it('a subclass of vb.Callback (TF.js\'s tf.Callback) gets model and params and its hooks run; CustomCallback is one', async () => {
    const { x, y } = xy();
    const model = compiled();
    class EpochCounter extends vb.Callback {
      epochs: number[] = [];
      override async onEpochEnd(epoch: number, logs?: vb.Logs) {
        await super.onEpochEnd!(epoch, logs);
        assert.equal(this.model, model);
        assert.ok(typeof logs?.loss === 'number');
        this.epochs.push(epoch);
        if (epoch === 1) this.model!.stopTraining = true;
      }
    }
    const counter = new EpochCounter();
    const history = await model.fit(x, y, { epochs: 4, verbose: 0, callbacks: [counter] });
    assert.deepEqual(counter.epochs, [0, 1]);
    assert.deepEqual(history.epoch, [0, 1]);
    assert.equal(counter.params?.epochs, 4);
    assert.ok(new vb.CustomCallback({}) instanceof vb.Callback);
  });

  it('weights have TF.js\'s LayerVariable.val (protected in its types, used by JS training loops): minimize(f, true, model.trainableWeights.map((w) => w.val)) trains those weights as TF.js', () => {
    const kernel = [[0.5], [-0.25], [1]];
    const x = [[1, 2, 3], [-1, 0.5, 2]];
    const ours = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [3] })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    ours.setWeights([vb.tensor(kernel), vb.zeros([1])]);
    theirs.setWeights([tf.tensor(kernel), tf.zeros([1])]);
    const a = ours.trainableWeights[0]!;
    assert.equal(a.val, a);
    const cost = vb.train.sgd(0.1).minimize(() => vb.losses.meanSquaredError(vb.ones([2, 1]), ours.predict(vb.tensor(x)) as vb.Tensor), true, [a.val]);
    const expected = tf.train.sgd(0.1).minimize(() => tf.losses.meanSquaredError(tf.ones([2, 1]), theirs.predict(tf.tensor(x)) as tf.Tensor), true, [(theirs.trainableWeights[0] as unknown as { val: tf.Variable }).val]);
    assert.equal(cost!.dataSync()[0], expected!.dataSync()[0]);
    assertClose(ours.getWeights()[0]!.dataSync(), theirs.getWeights()[0]!.dataSync(), 'the kernel trained');
    assert.deepEqual(ours.getWeights()[1]!.arraySync(), [0], 'the bias, not listed, unchanged');
  });

  it('optimizer.setLearningRate, as TF.js\'s SGD has it: halved in onEpochEnd, the next epochs train as TF.js; a bad rate is an error', async () => {
    const kernel = [[0.5], [-0.25], [1]];
    const x = [[1, 2, 3], [-1, 0.5, 2], [0, 1, -1]];
    const y = [[1], [0], [2]];
    const ours = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [3] })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    ours.setWeights([vb.tensor(kernel), vb.zeros([1])]);
    theirs.setWeights([tf.tensor(kernel), tf.zeros([1])]);
    const sgd = vb.train.sgd(0.05);
    const tfSgd = tf.train.sgd(0.05);
    ours.compile({ optimizer: sgd, loss: 'meanSquaredError' });
    theirs.compile({ optimizer: tfSgd, loss: 'meanSquaredError' });
    await ours.fit(vb.tensor(x), vb.tensor(y), { epochs: 3, verbose: 0, callbacks: { onEpochEnd: () => sgd.setLearningRate((sgd.learningRate as number) / 2) } });
    let tfRate = 0.05; // (TF.js's learningRate is protected in its types)
    await theirs.fit(tf.tensor(x), tf.tensor(y), { epochs: 3, verbose: 0, callbacks: { onEpochEnd: async () => tfSgd.setLearningRate(tfRate /= 2) } });
    assert.equal(sgd.learningRate, 0.00625);
    assertClose(ours.getWeights()[0]!.dataSync(), theirs.getWeights()[0]!.dataSync(), 'the kernel trained');
    assert.throws(() => sgd.setLearningRate(-1), /sgd.setLearningRate: Expected learningRate to be a finite number >= 0.*learningRate=-1/);
  });

  it('optimizer.computeGradients gives f\'s value and the gradients applyGradients takes, as TF.js', () => {
    const ours = vb.variable(vb.tensor([1, -2]));
    const theirs = tf.variable(tf.tensor([1, -2]));
    const { value, grads } = vb.train.adam(0.1).computeGradients(() => ours.square().sum());
    const expected = tf.train.adam(0.1).computeGradients(() => theirs.square().sum());
    assert.equal(value.dataSync()[0], expected.value.dataSync()[0]);
    assert.deepEqual(grads[ours.name]!.arraySync(), expected.grads[theirs.name]!.arraySync());
    vb.train.sgd(0.5).applyGradients(grads);
    assert.deepEqual(ours.arraySync(), [0, 0]);
    ours.dispose();
  });

  it('yieldEvery does not change a number', async () => {
    const { x, y } = xy();
    const digests = [];
    for (const yieldEvery of ['never', 'batch', 10] as const) {
      const model = compiled();
      await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, yieldEvery });
      digests.push(JSON.stringify(values(model.getWeights())));
    }
    assert.deepEqual(new Set(digests).size, 1);
  });

  it('1-D targets for an [N, 1] output train exactly as [N, 1] targets, as TF.js accepts them', async () => {
    const { x, y } = xy();
    const a = compiled(['accuracy']);
    const b = compiled(['accuracy']);
    const ha = await a.fit(x, y, { epochs: 2, batchSize: 5, verbose: 0 });
    const hb = await b.fit(x, vb.reshape(y, [12]), { epochs: 2, batchSize: 5, verbose: 0, validationData: [x, vb.reshape(y, [12])] });
    assert.deepEqual(hb.history.loss, ha.history.loss);
    assert.deepEqual(values(a.getWeights()), values(b.getWeights()));
    const t = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    t.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await t.fit(tf.tensor(x.dataSync() as Float32Array, [...x.shape]), tf.tensor1d(Array.from(y.dataSync())), { epochs: 1, verbose: 0 });
  });

  it("metrics ['accuracy'] are logged as Keras's accuracy and TF.js's acc in the history and every callback's logs", async () => {
    const { x, y } = xy();
    const seen: string[][] = [];
    const model = compiled(['accuracy']);
    const history = await model.fit(x, y, {
      epochs: 2, batchSize: 6, verbose: 0, validationSplit: 0.25,
      callbacks: [
        { onEpochEnd: (_epoch: number, logs?: vb.Logs) => { seen.push(Object.keys(logs!)); } },
        new vb.CustomCallback({ onBatchEnd: async (_batch, logs) => { seen.push(Object.keys(logs!)); } }),
      ],
    });
    assert.deepEqual(Object.keys(history.history).sort(), ['acc', 'accuracy', 'loss', 'val_acc', 'val_accuracy', 'val_loss']);
    assert.deepEqual(history.history.acc, history.history.accuracy);
    assert.deepEqual(history.history.val_acc, history.history.val_accuracy);
    assert.ok(seen.some((keys) => keys.includes('val_acc')) && seen.every((keys) => keys.includes('acc')));
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], activation: 'sigmoid' })] });
    theirs.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const th = await theirs.fit(tf.tensor(x.dataSync() as Float32Array, [...x.shape]), tf.tensor(y.dataSync() as Float32Array, [...y.shape]), { epochs: 1, verbose: 0, validationSplit: 0.25 });
    for (const key of Object.keys(th.history)) assert.ok(key in history.history, `TF.js's key ${key}`);
    assert.equal((model.evaluate(x, y) as vb.Tensor[]).length, 2, 'evaluate returns loss and accuracy once each');
    const stopped = await compiled(['accuracy']).fit(x, y, { epochs: 5, verbose: 0, validationSplit: 0.25, callbacks: vb.callbacks.earlyStopping({ monitor: 'val_acc', patience: 0 }) });
    assert.ok(stopped.epoch.length >= 1 && stopped.epoch.length <= 5, "earlyStopping can monitor TF.js's val_acc");
  });
});

describe('predictOnBatch and metricsNames as TF.js', () => {
  it('predictOnBatch predicts all rows as one batch: the bits of predict, the values of TF.js, a list with several outputs', () => {
    const ours = vb.sequential({ layers: [vb.layers.dense({ units: 5, inputShape: [3], activation: 'tanh' }), vb.layers.dense({ units: 2, activation: 'softmax' })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [3], activation: 'tanh' }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync(), [...w.shape])));
    const { x } = xy(40);
    const batch = ours.predictOnBatch(x) as vb.Tensor;
    assert.deepEqual(batch.shape, [40, 2]);
    assert.deepEqual(Array.from(batch.dataSync()), Array.from((ours.predict(x, { batchSize: 40 }) as vb.Tensor).dataSync()));
    assertClose(batch.dataSync(), (theirs.predictOnBatch(tf.tensor(x.arraySync() as number[][])) as tf.Tensor).dataSync() as Float32Array, 'predictOnBatch');
    const input = vb.input({ shape: [3] });
    const two = vb.model({ inputs: input, outputs: [vb.layers.dense({ units: 1 }).apply(input), vb.layers.dense({ units: 4 }).apply(input)] as vb.SymbolicTensor[] });
    assert.deepEqual((two.predictOnBatch(x) as vb.Tensor[]).map((t) => t.shape), [[40, 1], [40, 4]]);
    assert.throws(() => ours.predictOnBatch(vb.zeros([2, 4])), /predictOnBatch: /);
    assert.throws(() => ours.predictOnBatch(vb.zeros([0, 3])), /predictOnBatch: Expected at least one example/);
  });

  it("metricsNames: undefined before compile, then 'loss', per-output losses and metrics, as TF.js names them (acc)", () => {
    const ours = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });
    assert.equal(ours.metricsNames, theirs.metricsNames);
    for (const metrics of [undefined, ['accuracy', 'mse', 'mae'], ['categoricalCrossentropy', 'accuracy']]) {
      ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics });
      theirs.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics });
      assert.deepEqual(ours.metricsNames, theirs.metricsNames, JSON.stringify(metrics));
      const { x } = xy(6);
      const evaluated = ours.evaluate(x, vb.oneHot(vb.tensor([0, 1, 1, 0, 1, 0], [6], 'int32'), 2));
      assert.equal(Array.isArray(evaluated) ? evaluated.length : 1, ours.metricsNames!.length, 'one name per value evaluate returns');
    }
    const build = (lib: typeof vb | typeof tf) => {
      const a = lib.input({ shape: [3], name: 'a' });
      const score = lib.layers.dense({ units: 1, name: 'score' }).apply(a as never);
      const label = lib.layers.dense({ units: 2, name: 'label', activation: 'softmax' }).apply(a as never);
      return lib.model({ inputs: a as never, outputs: [score, label] as never });
    };
    const ourModel = build(vb) as vb.LayersModel;
    const theirModel = build(tf) as tf.LayersModel;
    for (const metrics of [{ label: ['accuracy'] }, ['accuracy', 'mae']]) {
      ourModel.compile({ optimizer: 'sgd', loss: ['meanSquaredError', 'categoricalCrossentropy'], metrics: metrics as never });
      theirModel.compile({ optimizer: 'sgd', loss: ['meanSquaredError', 'categoricalCrossentropy'], metrics: metrics as never });
      assert.deepEqual(ourModel.metricsNames, theirModel.metricsNames, JSON.stringify(metrics));
    }
  });
});
