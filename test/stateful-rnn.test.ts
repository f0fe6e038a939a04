/**
 * Stateful recurrent layers (Keras's and TF.js's stateful: true): each batch's final states are
 * the next batch's initial states, row by row. Known answers: two batches of 3 steps through a
 * stateful layer are the bits of one 6-step sequence through the same layer; TF.js's stateful
 * LSTM as oracle; a fit interrupted mid-epoch resumes from its backup to the bits of an
 * uninterrupted one (the backup keeps the carried states).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

const L = vb.layers;
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const steps = (x: vb.Tensor, start: number, count: number) => vb.slice(x, [0, start, 0], [-1, count, -1]);

describe('stateful recurrent layers', () => {
  for (const [name, make] of [['simpleRNN', L.simpleRNN], ['lstm', L.lstm], ['gru', L.gru]] as const) {
    it(`${name}: two batches of 3 steps are one sequence of 6, bit for bit; resetStates starts again from zeros`, () => {
      vb.setRandomSeed(31);
      const x = vb.random.generator(32).normal([2, 6, 3]);
      const stateful = make({ units: 4, stateful: true, returnState: true });
      const plain = make({ units: 4, returnState: true });
      const [first] = stateful.applyOutputs(steps(x, 0, 3));
      const [second, ...states] = stateful.applyOutputs(steps(x, 3, 3));
      plain.apply(x);
      plain.setWeights(stateful.getWeights());
      const [whole, ...wholeStates] = plain.applyOutputs(x);
      assert.deepEqual(bits(second!), bits(whole!));
      states.forEach((s, k) => assert.deepEqual(bits(s), bits(wholeStates[k]!)));
      assert.notDeepEqual(bits(first!), bits(second!));
      stateful.resetStates();
      const [again] = stateful.applyOutputs(steps(x, 0, 3));
      assert.deepEqual(bits(again!), bits(first!), 'after resetStates: as the first batch');
      // resetStates(states) sets them: as initialState.
      const h = vb.random.generator(33).normal([2, 4]);
      const given = name === 'lstm' ? [h, vb.mul(h, 2)] : [h];
      stateful.resetStates(given);
      const [fromGiven] = stateful.applyOutputs(steps(x, 0, 3));
      assert.deepEqual(bits(fromGiven!), bits(plain.applyOutputs([steps(x, 0, 3), ...given])[0]!));
    });
  }

  it("agrees with TF.js's stateful LSTM over consecutive batches (the same weights, a TF.js model file loaded)", async () => {
    tf.setBackend('cpu');
    const theirs = tf.sequential({ layers: [tf.layers.lstm({ units: 3, stateful: true, batchInputShape: [2, 4, 2] }), tf.layers.dense({ units: 1 })] });
    const saved: tf.io.ModelArtifacts[] = [];
    await theirs.save(tf.io.withSaveHandler(async (artifacts) => { saved.push(artifacts); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const ours = await vb.loadLayersModel(vb.io.fromMemory(saved[0]!.modelTopology as object, saved[0]!.weightSpecs, saved[0]!.weightData as ArrayBuffer));
    const batches = [0, 1, 2].map((i) => vb.random.generator(40 + i).normal([2, 4, 2]));
    for (const batch of batches) {
      const want = (theirs.predict(tf.tensor(batch.arraySync() as number[][][])) as tf.Tensor).dataSync();
      const got = (ours.predict(batch) as vb.Tensor).dataSync();
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5, `${v} vs ${want[i]}`));
    }
    theirs.resetStates();
    ours.resetStates();
    const want = (theirs.predict(tf.tensor(batches[0]!.arraySync() as number[][][])) as tf.Tensor).dataSync();
    (ours.predict(batches[0]!) as vb.Tensor).dataSync().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5));
    assert.equal((ours.layers[0]!.getConfig() as { stateful: boolean }).stateful, true);
  });

  it('a fit interrupted mid-epoch resumes from its backup to the bits of an uninterrupted one (the backup keeps the carried states)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-stateful-'));
    const train = async (callbacks: vb.Callback[] = []) => {
      vb.setRandomSeed(34);
      const model = vb.sequential({ layers: [L.lstm({ units: 3, stateful: true, inputShape: [3, 2] }), L.dense({ units: 1 })], name: 'stateful_fit' });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const rng = vb.random.generator(35);
      const resetEachEpoch = { onEpochBegin: async () => model.resetStates() };
      try {
        await model.fit(rng.normal([12, 3, 2]), rng.normal([12, 1]), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, callbacks: [resetEachEpoch, ...callbacks] });
        return model.getWeights().map(bits);
      } finally {
        model.dispose();
      }
    };
    try {
      const uninterrupted = await train();
      const backup = () => vb.callbacks.backupAndRestore({ backupDir: dir, saveFreq: 1 });
      let batches = 0;
      await assert.rejects(train([backup(), { onBatchEnd: async () => { if (++batches === 5) throw new Error('interrupted'); } }]), /interrupted/);
      assert.deepEqual(await train([backup()]), uninterrupted);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a backup listed before a callback that resets the states in onBatchEnd holds the reset: the resumed fit is the uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-stateful-order-'));
    const train = async (withBackup: boolean, interruptAt?: number) => {
      vb.setRandomSeed(39);
      const model = vb.sequential({ layers: [L.gru({ units: 3, stateful: true, inputShape: [3, 2] }), L.dense({ units: 1 })], name: 'stateful_order' });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const rng = vb.random.generator(40);
      // Two batches make one sequence: the states start again after every second batch.
      const resetEverySecond = { onBatchEnd: async (batch: number) => { if (batch % 2 === 1) model.resetStates(); } };
      let batches = 0;
      const interrupt = { onBatchBegin: async () => { if (++batches === interruptAt) throw new Error('interrupted'); } };
      const backup = withBackup ? [vb.callbacks.backupAndRestore({ backupDir: dir, saveFreq: 1 })] : [];
      try {
        await model.fit(rng.normal([16, 3, 2]), rng.normal([16, 1]), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: [...backup, resetEverySecond, interrupt] });
        return model.getWeights().map(bits);
      } finally {
        model.dispose();
      }
    };
    try {
      const uninterrupted = await train(false);
      // Interrupted before batch 2 and batch 6: the last backup was saved after a batch whose onBatchEnd reset the states.
      for (const interruptAt of [3, 7]) {
        await assert.rejects(train(true, interruptAt), /interrupted/);
        assert.deepEqual(await train(true), uninterrupted, `interrupted before batch ${interruptAt - 1}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('examples that do not split into whole batches are refused before any batch runs (TF.js\'s check): the states and weights stay', async () => {
    vb.setRandomSeed(41);
    const model = vb.sequential({ layers: [L.lstm({ units: 2, stateful: true, inputShape: [3, 2] }), L.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const rng = vb.random.generator(42);
    const [x, y] = [rng.normal([10, 3, 2]), rng.normal([10, 1])];
    const first = bits(model.predict(vb.slice(x, [0, 0, 0], [4, -1, -1])) as vb.Tensor);
    model.resetStates();
    const weights = model.getWeights().map(bits);
    assert.throws(() => model.predict(x, { batchSize: 4 }), /predict: Expected examples divisible by the batch size with a stateful recurrent layer \(lstm.*\): .*last batch would have 2.*examples=10, batchSize=4/s);
    assert.throws(() => model.evaluate(x, y, { batchSize: 4 }), /evaluate: Expected examples divisible by the batch size/);
    await assert.rejects(model.fit(x, y, { batchSize: 4, shuffle: false, verbose: 0 }), /fit: Expected examples divisible by the batch size/);
    await assert.rejects(model.fit(x, y, { batchSize: 4, validationSplit: 0.1, shuffle: false, verbose: 0 }), /Expected examples left to train on after validationSplit divisible.*examples left to train on after validationSplit=9/s);
    await assert.rejects(model.fit(vb.slice(x, [0, 0, 0], [8, -1, -1]), vb.slice(y, [0, 0], [8, -1]), { batchSize: 4, validationData: [vb.slice(x, [0, 0, 0], [6, -1, -1]), vb.slice(y, [0, 0], [6, -1])], verbose: 0 }), /Expected validation examples divisible/);
    assert.deepEqual(model.getWeights().map(bits), weights, 'no step was trained');
    assert.deepEqual(bits(model.predict(vb.slice(x, [0, 0, 0], [4, -1, -1])) as vb.Tensor), first, 'the states are still at zeros');
    // One batch smaller than batchSize, or whole batches, run.
    model.resetStates();
    assert.deepEqual((model.predict(vb.slice(x, [0, 0, 0], [3, -1, -1]), { batchSize: 4 }) as vb.Tensor).shape, [3, 1]);
    model.resetStates();
    assert.deepEqual((model.predict(x, { batchSize: 5 }) as vb.Tensor).shape, [10, 1]);
    model.dispose();
  });

  it('model.resetStates reaches Bidirectional and models used as layers; a stateful model in a file stays stateful', async () => {
    vb.setRandomSeed(36);
    const inner = vb.sequential({ layers: [L.bidirectional({ layer: L.gru({ units: 2, stateful: true }), inputShape: [3, 2] })] });
    const model = vb.sequential({ layers: [inner, L.dense({ units: 1 })] });
    const x = vb.random.generator(37).normal([2, 3, 2]);
    const first = bits(model.predict(x) as vb.Tensor);
    assert.notDeepEqual(bits(model.predict(x) as vb.Tensor), first, 'the second batch starts from the first one\'s states');
    model.resetStates();
    assert.deepEqual(bits(model.predict(x) as vb.Tensor), first);
    const dir = mkdtempSync(join(tmpdir(), 'vb-stateful-save-'));
    try {
      await inner.save(`file://${dir}`);
      const loaded = await vb.loadLayersModel(`file://${join(dir, 'model.json')}`);
      const restored = (loaded.layers[0]!.getConfig() as { layer: { config: { stateful: boolean } } }).layer.config.stateful;
      assert.equal(restored, true);
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    model.dispose();
  });

  it('bad use is an error naming it: another batch size, resetStates on a layer that is not stateful or with wrong states, dataParallel', async () => {
    vb.setRandomSeed(38);
    const layer = L.lstm({ units: 2, stateful: true });
    layer.apply(vb.ones([2, 3, 1]));
    assert.throws(() => layer.apply(vb.ones([3, 3, 1])), /Expected a batch of 2 sequences, as the last one.*resetStates\(\).*inputs\.shape=\[3, 3, 1\]/s);
    layer.resetStates();
    layer.apply(vb.ones([3, 3, 1]));
    assert.throws(() => L.lstm({ units: 2 }).resetStates(), /Expected a stateful layer.*stateful=false/s);
    assert.throws(() => layer.resetStates([vb.zeros([3, 2])]), /Expected 2 float32 state\(s\) of shape \[batch, 2\] \[batch, 2\]/);
    // Arrays of numbers (TF.js crashes on them too) are an error naming what was given, not a TypeError.
    assert.throws(() => layer.resetStates([[0, 0], [0, 0]] as unknown as vb.Tensor[]), /Expected 2 float32 state\(s\).*states="not a tensor \(\[0,0\]\) not a tensor \(\[0,0\]\)"/s);
    assert.throws(() => layer.resetStates(5 as unknown as vb.Tensor), /Expected 2 float32 state\(s\).*states="not a tensor \(5\)"/s);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    assert.throws(() => layer.resetStates(cyclic as unknown as vb.Tensor[]), /Expected 2 float32 state\(s\).*states="not a tensor \(object\)"/s);
    assert.throws(() => L.lstm({ units: 2, stateful: 'yes' as unknown as boolean }), /stateful/);
    assert.throws(() => L.timeDistributed({ layer: L.lstm({ units: 2, stateful: true }) }), /TimeDistributed: Expected a layer that is not stateful.*one after another.*stateful=true/s);
    assert.throws(() => L.timeDistributed({ layer: L.bidirectional({ layer: L.lstm({ units: 2, stateful: true }) }) }), /Expected a layer that is not stateful/);
    const bidirectional = L.bidirectional({ layer: L.gru({ units: 2, stateful: true }) });
    bidirectional.apply(vb.ones([2, 3, 1]));
    assert.throws(() => bidirectional.resetStates([vb.ones([2, 2]), vb.ones([2, 2])]), /Bidirectional \(.*\)\.resetStates: Expected no states.*forwardLayer\.resetStates\(states\).*states="a list of 2"/s);
    const model = vb.sequential({ layers: [L.lstm({ units: 2, stateful: true, inputShape: [3, 1] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await assert.rejects(model.fit(vb.ones([4, 3, 1]), vb.ones([4, 2]), { epochs: 1, batchSize: 4, verbose: 0, dataParallel: { workers: 1, microBatch: 2, inProcess: true } }), /Expected no stateful recurrent layer with dataParallel/);
    model.dispose();
  });
});
