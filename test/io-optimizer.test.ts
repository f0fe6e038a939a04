/**
 * model.save(..., {includeOptimizer: true}): the training config and the optimizer's state are
 * saved as TF.js saves them, and a loaded model trains on to the very bits of the model that was
 * never saved; TF.js 4.22 reads the files verbatim writes, and verbatim reads TF.js's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';

const L = vb.layers;
const dir = mkdtempSync(join(tmpdir(), 'verbatim-io-optimizer-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const weightBits = (m: vb.LayersModel) => m.weights.map((w) => [...new Uint32Array((w.dataSync() as Float32Array).slice().buffer)]);

const OPTIMIZERS: [string, () => vb.optimizers.Optimizer][] = [
  ['sgd', () => vb.optimizers.sgd({ learningRate: 0.1 })],
  ['momentum (nesterov) with clipnorm', () => vb.optimizers.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true, clipnorm: 0.5 })],
  ['adam', () => vb.optimizers.adam({ learningRate: 0.01 })],
  ['adam (amsgrad)', () => vb.optimizers.adam({ learningRate: 0.01, amsgrad: true })],
  ['adamw', () => vb.optimizers.adamw({ learningRate: 0.01, weightDecay: 0.01 })],
  ['rmsprop (centered, momentum) with clipvalue', () => vb.optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true, clipvalue: 0.3 })],
  ['adagrad', () => vb.optimizers.adagrad({ learningRate: 0.05 })],
  ['adamax', () => vb.optimizers.adamax({ learningRate: 0.01 })],
  ['adadelta', () => vb.optimizers.adadelta({ learningRate: 1 })],
];

let counter = 0;
function model(optimizer: vb.optimizers.Optimizer): vb.LayersModel {
  const m = vb.sequential({
    name: `io_opt_${counter++}`,
    layers: [L.dense({ units: 8, activation: 'relu', inputShape: [4] }), L.dropout({ rate: 0.25 }), L.dense({ units: 3, activation: 'softmax' })],
  });
  m.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function data(): [vb.Tensor, vb.Tensor] {
  const x = vb.random.normal(vb.random.key(11), [48, 4]);
  const y = vb.oneHot(vb.argMax(vb.matMul(x, vb.random.normal(vb.random.key(12), [4, 3])), 1), 3);
  return [x, y];
}

forEachBackend('save with includeOptimizer', () => {
  for (const [name, make] of OPTIMIZERS) {
    it(`${name}: a loaded model trains on to the bits of the model never saved`, async () => {
      vb.setRandomSeed(5);
      const [x, y] = data();
      const original = model(make());
      await original.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      const path = join(dir, `${name.replace(/\W+/g, '_')}_${counter}`);
      await original.save(`file://${path}`, { includeOptimizer: true });
      const saved = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
      assert.equal(saved.trainingConfig.loss, 'categoricalCrossentropy');
      assert.deepEqual(saved.trainingConfig.metrics, ['accuracy']);
      const groups = saved.weightsManifest[0].weights.map((w: { group?: string }) => w.group ?? 'model');
      assert.deepEqual(groups.slice(0, 4), ['model', 'model', 'model', 'model']);
      assert.ok(groups.slice(4).every((g: string) => g === 'optimizer') && groups.length > 4, `optimizer weights saved: ${groups}`);

      const loaded = await vb.loadLayersModel(`file://${path}`);
      assert.equal(loaded.optimizer!.iterations, original.optimizer!.iterations);
      const historyOriginal = await original.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      const historyLoaded = await loaded.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      assert.deepEqual(weightBits(loaded), weightBits(original));
      assert.deepEqual(historyLoaded.history.loss, historyOriginal.history.loss);
      original.dispose();
      loaded.dispose();
      vb.dispose([x, y]);
    });
  }

  it('refuses what has no file form, and hostile training configs', async () => {
    const m = vb.sequential({ name: `io_opt_${counter++}`, layers: [L.dense({ units: 2, inputShape: [3] })] });
    m.compile({ optimizer: vb.optimizers.sgd({ learningRate: vb.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }) }), loss: 'mse' });
    await assert.rejects(m.save(vb.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true }), /Expected a number learningRate to save the optimizer/);
    m.compile({ optimizer: 'sgd', loss: (a: vb.Tensor, b: vb.Tensor) => vb.mean(vb.square(vb.sub(a, b))) });
    await assert.rejects(m.save(vb.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true }), /Expected loss given by name/);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    await m.fit(vb.ones([2, 3]), vb.ones([2, 2]), { epochs: 1, verbose: 0 });
    let artifacts: vb.ModelArtifacts | undefined;
    await m.save(vb.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const before = vb.memory().numTensors;
    const bad: [unknown, RegExp][] = [
      [{ ...artifacts!.trainingConfig, optimizer_config: { class_name: '__proto__', config: {} } }, /Expected an optimizer class of SGD/],
      [{ ...artifacts!.trainingConfig, optimizer_config: { class_name: 'Adam', config: { learningRate: 'fast' } } }, /optimizer_config.config.learningRate to be a finite number/],
      [{ ...artifacts!.trainingConfig, loss: { toString: 1 } }, /Expected loss given by name/],
      ['adam', /Expected trainingConfig to be an object/],
    ];
    for (const [trainingConfig, message] of bad) {
      await assert.rejects(vb.loadLayersModel(vb.io.fromMemory({ ...artifacts!, trainingConfig } as vb.ModelArtifacts)), message);
      assert.equal(vb.memory().numTensors, before, 'a failed load leaves no tensor behind');
    }
    // Optimizer weights naming a weight the model does not have.
    const first = artifacts!.weightSpecs!.findIndex((s) => s.name.endsWith('/m'));
    const specs = artifacts!.weightSpecs!.map((s, i) => (i === first ? { ...s, name: 'nowhere/kernel/m' } : s));
    await assert.rejects(vb.loadLayersModel(vb.io.fromMemory({ ...artifacts!, weightSpecs: specs })), /Expected every optimizer weight to name one of the model's weights/);
    assert.equal(vb.memory().numTensors, before);
    m.dispose();
  });
});

describe('includeOptimizer against TF.js 4.22', () => {
  it('TF.js loads verbatim\'s training config and optimizer state', async () => {
    vb.setRandomSeed(6);
    const [x, y] = data();
    const m = model(vb.optimizers.adam({ learningRate: 0.01 }));
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    let artifacts: vb.ModelArtifacts | undefined;
    await m.save(vb.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assert.equal(loaded.optimizer.getClassName(), 'Adam');
    const state = await loaded.optimizer.getWeights();
    const ours = await m.optimizer!.getWeights();
    assert.equal(state.length, ours.length);
    assert.equal(state[0]!.tensor.dataSync()[0], 3, 'TF.js reads the step count');
    for (let i = 1; i < ours.length; i++) {
      const tail = (name: string) => name.split('/').slice(-2).join('/');
      assert.equal(tail(state[i]!.name), tail(ours[i]!.name), 'the same slot order');
      assert.deepEqual(Array.from(state[i]!.tensor.dataSync()), Array.from(ours[i]!.tensor.dataSync()), state[i]!.name);
    }
    loaded.dispose();
    m.dispose();
    vb.dispose([x, y]);
  });

  it('verbatim loads TF.js\'s training config and optimizer state', async () => {
    const t = tf.sequential({ layers: [tf.layers.dense({ units: 5, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    t.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.argMax(x.slice([0, 0], [32, 3]), 1), 3).toFloat();
    await t.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await t.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts));
    assert.equal(loaded.optimizer!.iterations, 8);
    assert.equal(loaded.optimizer!.getConfig().learningRate, 0.02);
    const theirs = await t.optimizer.getWeights();
    const ours = await loaded.optimizer!.getWeights();
    assert.equal(ours.length, theirs.length);
    for (let i = 1; i < ours.length; i++) assert.deepEqual(Array.from(ours[i]!.tensor.dataSync()), Array.from(theirs[i]!.tensor.dataSync()), theirs[i]!.name);
    loaded.dispose();
    t.dispose();
    tf.dispose([x, y]);
  });

  it('losses compiled by an alias (mse, mean_squared_error, cosine) are saved by TF.js\'s names, so that TF.js loads the file', async () => {
    const a = vb.input({ shape: [4], name: 'a' });
    const h = L.dense({ units: 3 }).apply(a);
    const m = vb.model({ name: `io_opt_${counter++}`, inputs: a, outputs: [L.dense({ units: 2, name: 'p' }).apply(h), L.dense({ units: 2, name: 'q' }).apply(h)] });
    const save = async () => {
      let artifacts: vb.ModelArtifacts | undefined;
      await m.save(vb.io.withSaveHandler(async (saved) => { artifacts = saved; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
      return artifacts!;
    };
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    // Before: 'mse' was written as given, and TF.js refused the file ('Unknown loss mse').
    let artifacts = await save();
    assert.equal((artifacts.trainingConfig as { loss: unknown }).loss, 'meanSquaredError');
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assert.equal(theirs.optimizer.getClassName(), 'SGD');
    theirs.dispose();
    m.compile({ optimizer: 'adam', loss: { p: 'mean_squared_error', q: 'cosine' } });
    artifacts = await save();
    assert.deepEqual((artifacts.trainingConfig as { loss: unknown }).loss, { p: 'meanSquaredError', q: 'cosineProximity' });
    (await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts))).dispose();
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    const x = vb.random.normal(vb.random.key(13), [4, 4]);
    const y = [vb.random.normal(vb.random.key(14), [4, 2]), vb.random.normal(vb.random.key(15), [4, 2])];
    assert.deepEqual(await loaded.trainOnBatch(x, y), await m.trainOnBatch(x, y), 'the same losses after loading');
    loaded.dispose();
    m.dispose();
  });

  it('losses, metrics and loss weights by output name follow an output layer renamed in the file', async () => {
    vb.setRandomSeed(7);
    // The nested model's dense comes first: the outer dense is dense_1 in the file (TF.js's unique names).
    const encoder = vb.sequential({ name: `io_opt_${counter++}`, layers: [L.dense({ units: 3, inputShape: [4] })] });
    const a = vb.input({ shape: [4] });
    const h = encoder.apply(a) as vb.SymbolicTensor;
    const m = vb.model({ name: `io_opt_${counter++}`, inputs: a, outputs: [L.dense({ units: 1 }).apply(h), L.dense({ units: 2, name: 'other' }).apply(h)] });
    m.compile({ optimizer: 'adam', loss: { dense: 'mse', other: 'mae' }, lossWeights: { dense: 0.5, other: 2 }, metrics: { dense: ['mae'] } });
    const x = vb.random.normal(vb.random.key(16), [8, 4]);
    const y = [vb.random.normal(vb.random.key(17), [8, 1]), vb.random.normal(vb.random.key(18), [8, 2])];
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    let artifacts: vb.ModelArtifacts | undefined;
    await m.save(vb.io.withSaveHandler(async (saved) => { artifacts = saved; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const config = artifacts!.trainingConfig as Record<string, unknown>;
    assert.deepEqual([config.loss, config.loss_weights, config.metrics], [{ dense_1: 'meanSquaredError', other: 'meanAbsoluteError' }, { dense_1: 0.5, other: 2 }, { dense_1: ['mae'] }]);
    // Before: the records kept the name dense, and loading failed ('Expected loss keys among the output names (dense_1, other)').
    // verbatim loads the layer under its own name again (userDefinedMetadata.verbatim.layerNames), TF.js under dense_1.
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts!));
    assert.deepEqual(loaded.outputNames, ['dense', 'other']);
    const ours = await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    const theirs = await loaded.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    assert.deepEqual(theirs.history, ours.history);
    assert.deepEqual(weightBits(loaded), weightBits(m));
    const tfjs = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts!, trainingConfig: { ...config, loss_weights: undefined } } as tf.io.ModelArtifacts));
    assert.deepEqual(tfjs.outputNames, ['dense_1', 'other']);
    tfjs.dispose();
    loaded.dispose();
    m.dispose();
  });

  it('verbatim loads the optimizer state of a TF.js model whose layer names another model of its process had taken', async () => {
    const make = () => {
      const a = tf.input({ shape: [4] });
      return tf.model({ inputs: a, outputs: tf.layers.dense({ units: 2, name: 'io_opt_taken' }).apply(tf.layers.dense({ units: 3, name: 'io_opt_hidden' }).apply(a)) as tf.SymbolicTensor });
    };
    const earlier = make();
    const t = make(); // its variables are io_opt_hidden/kernel_1, ...: TF.js names the optimizer's slots after them
    t.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 4);
    const y = tf.randomNormal([8, 2], 0, 1, 'float32', 5);
    await t.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await t.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    assert.ok(artifacts!.weightSpecs!.some((w) => w.name === 'io_opt_hidden/kernel_1/m'), 'the slot names TF.js writes');
    // Before: 'Expected every optimizer weight to name one of the model's weights. Received: weight="io_opt_hidden/kernel_1/m"'.
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts));
    const theirs = await t.optimizer.getWeights();
    const ours = await loaded.optimizer!.getWeights();
    assert.equal(ours.length, theirs.length);
    for (let i = 1; i < ours.length; i++) assert.deepEqual(Array.from(ours[i]!.tensor.dataSync()), Array.from(theirs[i]!.tensor.dataSync()), theirs[i]!.name);
    loaded.dispose();
    for (const m of [earlier, t]) m.dispose();
    tf.dispose([x, y]);
  });

  it('Adadelta: TF.js loads verbatim\'s config and state, and verbatim loads TF.js\'s', async () => {
    vb.setRandomSeed(6);
    const [x, y] = data();
    const m = model(vb.optimizers.adadelta({ learningRate: 0.5, rho: 0.9 }));
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    let artifacts: vb.ModelArtifacts | undefined;
    await m.save(vb.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assert.equal(loaded.optimizer.getClassName(), 'Adadelta');
    assert.deepEqual(loaded.optimizer.getConfig(), { learningRate: 0.5, rho: 0.9, epsilon: 1e-7 });
    const state = await loaded.optimizer.getWeights();
    const ours = await m.optimizer!.getWeights();
    assert.equal(state.length, ours.length);
    for (let i = 1; i < ours.length; i++) {
      assert.equal(state[i]!.name.split('/').at(-1), ours[i]!.name.split('/').at(-1), 'the same slot order');
      assert.deepEqual(Array.from(state[i]!.tensor.dataSync()), Array.from(ours[i]!.tensor.dataSync()), state[i]!.name);
    }
    // And back: TF.js's save of the same model, loaded by verbatim.
    let back: tf.io.ModelArtifacts | undefined;
    await loaded.save(tf.io.withSaveHandler(async (a) => { back = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const again = await vb.loadLayersModel(vb.io.fromMemory(back as vb.ModelArtifacts));
    assert.deepEqual(again.optimizer!.getConfig(), { name: 'adadelta', learningRate: 0.5, rho: 0.9, epsilon: 1e-7 });
    assert.equal(again.optimizer!.iterations, 3);
    const restored = await again.optimizer!.getWeights();
    for (let i = 1; i < ours.length; i++) assert.deepEqual(Array.from(restored[i]!.tensor.dataSync()), Array.from(ours[i]!.tensor.dataSync()), ours[i]!.name);
    restored[0]!.tensor.dispose();
    ours[0]!.tensor.dispose();
    again.dispose();
    loaded.dispose();
    m.dispose();
    vb.dispose([x, y]);
  });
});
