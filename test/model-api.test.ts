/**
 * Sequential's pop() and the models' inputNames / outputNames properties, against TF.js 4.22
 * (and Keras 3 where the two differ: pop returns the removed layer, Sequential's input is
 * named input_layer unless an inputLayer comes first).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

before(async () => {
  await tf.setBackend('cpu');
});

const x = [[0.5, -1, 2], [1.5, 0.25, -0.75]];

describe('Sequential.pop', () => {
  it('removes the last layer: outputs, outputShape, layers as TF.js after its pop, predictions as TF.js\'s model of the layers left', async () => {
    const ours = vb.sequential({ layers: [
      vb.layers.dense({ units: 4, activation: 'tanh', inputShape: [3], name: 'a' }), vb.layers.dense({ units: 2, name: 'b' }), vb.layers.dense({ units: 5, name: 'c' }),
    ] });
    const theirs = tf.sequential({ layers: [
      tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [3], name: 'a' }), tf.layers.dense({ units: 2, name: 'b' }), tf.layers.dense({ units: 5, name: 'c' }),
    ] });
    const removed = ours.pop();
    theirs.pop();
    assert.equal(removed.name, 'c', 'Keras 3 returns the removed layer');
    assert.deepEqual(ours.layers.map((l) => l.name), theirs.layers.map((l) => l.name));
    assert.deepEqual(ours.outputShape, theirs.outputShape);
    assert.deepEqual(ours.outputs.map((t) => t.shape), theirs.outputs.map((t) => t.shape));
    assert.deepEqual(ours.outputNames, ['b']);
    assert.equal(ours.countParams(), theirs.countParams());
    assert.equal(ours.weights.length, 4);
    // TF.js's pop leaves a built model predicting through the removed layer: the reference is a
    // TF.js model made of the layers left, with the same weights.
    const left = tf.sequential({ layers: [tf.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), tf.layers.dense({ units: 2 })] });
    left.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync(), [...w.shape])));
    const mine = ours.predict(vb.tensor2d(x)).dataSync();
    const reference = (left.predict(tf.tensor2d(x)) as tf.Tensor).dataSync();
    assert.equal(mine.length, 4);
    mine.forEach((v, i) => assert.ok(Math.abs(v - reference[i]!) < 1e-6, `prediction ${i}: ${v} vs ${reference[i]}`));
    // Saved and loaded, the model is the layers left.
    let artifacts: vb.ModelArtifacts | undefined;
    await ours.save(vb.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    assert.deepEqual(artifacts!.weightSpecs!.map((w) => w.name.split('/').slice(-2).join('/')), ['a/kernel', 'a/bias', 'b/kernel', 'b/bias']);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts!));
    assert.deepEqual(Array.from((loaded.predict(vb.tensor2d(x)) as vb.Tensor).dataSync()), Array.from(mine));
    loaded.dispose();
    // The removed layer keeps its weights, and works on its own.
    assert.deepEqual(removed.apply(vb.tensor2d([[1, 2]])).shape, [1, 5]);
    removed.dispose();
    ours.dispose();
    theirs.dispose();
    left.dispose();
  });

  it('a layer added after pop gets a name of its own (the removed layer still holds its weights); a compiled model trains what it has', async () => {
    vb.setRandomSeed(3);
    const m = vb.sequential({ name: 'popped', layers: [vb.layers.dense({ units: 3, inputShape: [3] }), vb.layers.dense({ units: 2 })] });
    m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const removed = m.pop();
    assert.equal(removed.name, 'dense_1');
    m.add(vb.layers.dense({ units: 1 }));
    assert.deepEqual(m.layers.map((l) => l.name), ['dense', 'dense_2']);
    assert.deepEqual(m.outputNames, ['dense_2']);
    const removedBefore = removed.getWeights().map((w) => Array.from(w.dataSync()));
    const history = await m.fit(vb.tensor2d(x), vb.tensor2d([[1], [0]]), { epochs: 2, verbose: 0 });
    assert.equal(history.history.loss!.length, 2);
    assert.deepEqual(removed.getWeights().map((w) => Array.from(w.dataSync())), removedBefore, 'the removed layer does not train');
    removed.dispose();
    m.dispose();
  });

  it('trained, popped, given a new head and trained again, it saves with its optimizer and the loaded model trains on to the same bits', async () => {
    vb.setRandomSeed(8);
    const m = vb.sequential({ name: 'transfer', layers: [vb.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), vb.layers.dense({ units: 2 })] });
    m.compile({ optimizer: vb.optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5 }), loss: 'meanSquaredError' });
    const xs = vb.random.normal(vb.random.key(9), [8, 3]);
    await m.fit(xs, vb.random.normal(vb.random.key(10), [8, 2]), { epochs: 1, batchSize: 4, verbose: 0 });
    const removed = m.pop();
    m.add(vb.layers.dense({ units: 1, name: 'head' }));
    const ys = vb.random.normal(vb.random.key(11), [8, 1]);
    await m.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    let artifacts: vb.ModelArtifacts | undefined;
    await m.save(vb.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const saved = artifacts!.weightSpecs!.filter((w) => w.group === 'optimizer').map((w) => w.name);
    assert.ok(saved.every((name) => name === 'iter' || !name.includes('dense_1')), `no slot of the removed layer in the file: ${saved.join(', ')}`);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts!));
    await m.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
    await loaded.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
    // (Loaded while the original lives, the model is renamed: its weights, not its digest, are compared.)
    const bits = (model: vb.LayersModel) => model.weights.map((w) => Array.from(new Uint32Array(Float32Array.from(w.dataSync()).buffer)));
    assert.deepEqual(bits(loaded), bits(m));
    // Disposed, the removed layer's weights leave the optimizer's state (TF.js's rmsprop lists a
    // momentum slot for each weight, made from the weight's shape).
    removed.dispose();
    const names = (await m.optimizer!.getWeights()).map((w) => w.name);
    assert.deepEqual(names.filter((n) => n.includes('dense_1')), []);
    assert.equal(names.length, 1 + 2 * m.weights.length, "iter, then rms and momentum of each weight the model has");
    await m.save(vb.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
    loaded.dispose();
    m.dispose();
  });

  it('pop on a model that is a layer of another model is an error: the host keeps computing, saving and loading as it was', async () => {
    vb.setRandomSeed(2);
    const inner = vb.sequential({ name: 'inner', layers: [vb.layers.dense({ units: 4, inputShape: [3] }), vb.layers.dense({ units: 2 })] });
    const host = vb.sequential({ name: 'host', layers: [inner, vb.layers.dense({ units: 1 })] });
    const input = vb.input({ shape: [3] });
    const graph = vb.model({ name: 'graph', inputs: input, outputs: inner.apply(input) as vb.SymbolicTensor });
    const x = vb.tensor2d([[1, 2, 3]]);
    const before = Array.from(host.predict(x).dataSync());
    assert.throws(() => inner.pop(), /inner\.pop: Expected a model that is not a layer of another model\. Received: model="inner"/);
    assert.equal(inner.layers.length, 2);
    assert.deepEqual(Array.from(host.predict(x).dataSync()), before);
    let artifacts: vb.ModelArtifacts | undefined;
    await host.save(vb.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts!));
    assert.deepEqual(Array.from((loaded.predict(x) as vb.Tensor).dataSync()), before);
    // A model that was never a layer elsewhere still pops.
    const alone = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
    alone.pop().dispose();
    for (const m of [loaded, graph, host, alone]) m.dispose();
  });

  it('popping every layer leaves an empty model; pop on it and saving it are errors', async () => {
    const m = vb.sequential({ name: 'emptied', layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });
    m.pop().dispose();
    assert.deepEqual(m.layers, []);
    assert.throws(() => m.pop(), /emptied\.pop: Expected a model with a layer to remove\. Received: layers=0/);
    assert.throws(() => vb.sequential({ name: 'never' }).pop(), /never\.pop: Expected a model with a layer to remove/);
    // TF.js refuses too.
    assert.throws(() => tf.sequential().pop(), /There are no layers in the model/);
    // Saving it is an error before anything is written: a file of no layers could not be loaded.
    const refused = /emptied\.save: Expected a Sequential model with at least one layer\. Received: layers=0/;
    await assert.rejects(m.save(vb.io.withSaveHandler(async () => assert.fail('nothing is written'))), refused);
    // One left with its input layer only is the identity, and saves and loads as such.
    const kept = vb.sequential({ name: 'input_only', layers: [vb.layers.inputLayer({ inputShape: [3], name: 'pixels' }), vb.layers.dense({ units: 2 })] });
    kept.pop().dispose();
    let artifacts: vb.ModelArtifacts | undefined;
    await kept.save(vb.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }));
    const identity = await vb.loadLayersModel(vb.io.fromMemory(artifacts!));
    assert.deepEqual(identity.inputNames, ['pixels']);
    assert.deepEqual((identity.predict(vb.tensor2d(x)) as vb.Tensor).arraySync(), vb.tensor2d(x).arraySync());
    for (const model of [kept, identity]) model.dispose();
    m.add(vb.layers.dense({ units: 1 }));
    assert.deepEqual(m.predict(vb.tensor2d(x)).shape, [2, 1], 'the input shape is kept (Keras keeps its input layer)');
    m.dispose();
  });
});

describe('inputNames and outputNames', () => {
  it('are string[] properties, as in TF.js: a functional model\'s equal TF.js\'s', () => {
    const a = vb.input({ shape: [3], name: 'left' });
    const b = vb.input({ shape: [2], name: 'right' });
    const joined = vb.layers.concatenate({ name: 'join' }).apply([a, b]) as vb.SymbolicTensor;
    const ours = vb.model({ inputs: [a, b], outputs: [vb.layers.dense({ units: 1, name: 'score' }).apply(joined) as vb.SymbolicTensor, joined] });
    const ta = tf.input({ shape: [3], name: 'left' });
    const tb = tf.input({ shape: [2], name: 'right' });
    const tj = tf.layers.concatenate({ name: 'join' }).apply([ta, tb]) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: [ta, tb], outputs: [tf.layers.dense({ units: 1, name: 'score' }).apply(tj) as tf.SymbolicTensor, tj] });
    assert.deepEqual(ours.inputNames, theirs.inputNames);
    assert.deepEqual(ours.outputNames, theirs.outputNames);
    assert.deepEqual(ours.outputNames, ['score', 'join']);
    ours.dispose();
    theirs.dispose();
  });

  it('a Sequential\'s outputNames are TF.js\'s; its input is named input_layer (Keras 3; TF.js: <first layer>_input)', () => {
    const ours = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3], name: 'first' }), vb.layers.dense({ units: 1, name: 'last' })] });
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'first' }), tf.layers.dense({ units: 1, name: 'last' })] });
    theirs.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });  // TF.js lists none before its model is built
    assert.deepEqual(ours.outputNames, theirs.outputNames);
    assert.deepEqual(ours.outputNames, ['last']);
    assert.deepEqual(ours.inputNames, ['input_layer']);
    assert.deepEqual(theirs.inputNames, ['first_input']);
    ours.dispose();
    theirs.dispose();
  });

  it('a Sequential given an inputLayer first is named after it, as in TF.js and Keras 3, also once saved and loaded', async () => {
    const ours = vb.sequential({ layers: [vb.layers.inputLayer({ inputShape: [3], name: 'pixels' }), vb.layers.dense({ units: 1, name: 'score' })] });
    const theirs = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3], name: 'pixels' }), tf.layers.dense({ units: 1, name: 'score' })] });
    theirs.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    assert.deepEqual(ours.inputNames, theirs.inputNames);
    assert.deepEqual(ours.inputNames, ['pixels']);
    const byName = ours.predict({ pixels: vb.tensor2d(x) });
    assert.deepEqual(byName.dataSync(), ours.predict(vb.tensor2d(x)).dataSync(), 'data given by the input\'s name');
    let artifacts: vb.ModelArtifacts | undefined;
    await ours.save(vb.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts!));
    assert.deepEqual(loaded.inputNames, ['pixels']);
    assert.deepEqual(loaded.layers.map((l) => l.className), ['InputLayer', 'Dense'], 'the InputLayer kept, as TF.js keeps it');
    const theirsLoaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assert.deepEqual(theirsLoaded.layers.map((l) => l.getClassName()), ['InputLayer', 'Dense']);
    assert.deepEqual((loaded.predict(vb.tensor2d(x)) as vb.Tensor).dataSync(), byName.dataSync());
    for (const m of [ours, loaded]) m.dispose();
    for (const m of [theirs, theirsLoaded]) m.dispose();
  });
});
