import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { forEachBackend } from './helpers/backends.js';
import { data, model } from './helpers/training-models.js';


forEachBackend('training', () => {
  it('the same seed gives the same digest; another seed another one', async () => {
    const digests: string[] = [];
    for (const seed of [5, 5, 6]) {
      vb.setRandomSeed(seed);
      const m = model('repro');
      const { x, y } = data(1);
      await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      digests.push(m.weightsDigest());
      m.dispose();
    }
    assert.equal(digests[0], digests[1]);
    assert.notEqual(digests[0], digests[2]);
  });

  it('models and layers are named as in Keras; weights by model/layer/weight', () => {
    const a = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
    const b = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });
    assert.match(a.name, /^sequential(_\d+)?$/);
    assert.notEqual(a.name, b.name);
    assert.deepEqual(a.layers.map((l) => l.name), ['dense', 'dense_1']);
    assert.deepEqual(a.weights.map((w) => w.name), [`${a.name}/dense/kernel`, `${a.name}/dense/bias`, `${a.name}/dense_1/kernel`, `${a.name}/dense_1/bias`]);
    assert.equal(a.countParams(), 3 * 2 + 2 + 2 + 1);
    a.dispose();
    b.dispose();
  });

  it("an unseeded weight's key is foldIn(root, 'model/layer/variable')", () => {
    vb.setRandomSeed(11);
    const m = vb.sequential({ name: 'keyed', layers: [vb.layers.dense({ units: 3, inputShape: [4], kernelInitializer: 'randomNormal' })] });
    const expected = vb.random.normal(vb.random.foldIn(vb.random.key(11), 'keyed/dense/kernel'), [4, 3], { stddev: 0.05 });
    assert.deepEqual(m.weights[0]!.dataSync(), expected.dataSync());
    m.dispose();
  });

  it('adding a layer after the others leaves the earlier initial weights unchanged', () => {
    vb.setRandomSeed(3);
    const small = model('grow');
    const before = small.getWeights().map((w) => Array.from(w.dataSync()));
    small.dispose();
    vb.setRandomSeed(3);
    const large = model('grow', [vb.layers.dense({ units: 4 })]);
    const after = large.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(after.slice(0, before.length), before);
    assert.equal(after.length, before.length + 2);
    large.dispose();
  });

  it('evaluate, predict and logging between epochs leave the trajectory unchanged', async () => {
    const { x, y } = data(2);
    vb.setRandomSeed(9);
    const plain = model('trajectory');
    await plain.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    const expected = plain.weightsDigest();
    plain.dispose();
    vb.setRandomSeed(9);
    const busy = model('trajectory');
    vb.randomNormal([5]);
    await busy.fit(x, y, {
      epochs: 3, batchSize: 16, verbose: 0,
      callbacks: { onEpochEnd: () => { busy.evaluate(x, y); busy.predict(x).dispose(); vb.randomUniform([3]); } },
    });
    assert.equal(busy.weightsDigest(), expected);
    busy.dispose();
  });

  it('dropout draws a fresh mask every step, the same masks on every run', () => {
    const layer = vb.layers.dropout({ rate: 0.5, seed: 1 });
    const x = vb.ones([4, 16]);
    const step0 = layer.apply(x, { training: true, step: 0 }).dataSync();
    const again = layer.apply(x, { training: true, step: 0 }).dataSync();
    const step1 = layer.apply(x, { training: true, step: 1 }).dataSync();
    assert.deepEqual(step0, again);
    assert.notDeepEqual(Array.from(step0), Array.from(step1));
    assert.ok(step0.every((v) => v === 0 || v === 2));
    assert.deepEqual(layer.apply(x).dataSync(), x.dataSync(), 'inference mode is the identity');
    const shared = vb.layers.dropout({ rate: 0.5, seed: 1, noiseShape: [null, 1] }).apply(vb.ones([8, 4]), { training: true }).arraySync() as number[][];
    assert.ok(shared.every((row) => row.every((v) => v === row[0])), 'noiseShape [null, 1] shares the mask across a row');
  });

  it('History: epochs, losses, metrics, validation entries and params', async () => {
    const { x, y } = data(3, 50);
    const m = model('history');
    const h = await m.fit(x, y, { epochs: 2, batchSize: 16, validationSplit: 0.2, verbose: 0 });
    assert.deepEqual(h.epoch, [0, 1]);
    assert.deepEqual(Object.keys(h.history).sort(), ['acc', 'accuracy', 'loss', 'val_acc', 'val_accuracy', 'val_loss'], "'accuracy' is logged as Keras's accuracy and TF.js's acc");
    assert.equal(h.params!.steps, 3, '40 training rows in batches of 16: the final partial batch is kept');
    assert.equal(h.params!.samples, 40);
    assert.deepEqual([...h.params!.metrics].sort(), Object.keys(h.history).sort(), 'params.metrics names every log, validation\'s too (TF.js)');
    assert.equal(h.params!.doValidation, true, 'TF.js\'s params say whether epochs are validated');
    const more = await m.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 16, verbose: 0 });
    assert.deepEqual(more.epoch, [2, 3]);
    assert.equal(more.params!.doValidation, false);
    m.dispose();
  });

  it('validationSplit takes the last rows before shuffling', async () => {
    const x = vb.tensor2d(Array.from({ length: 10 }, (_, i) => [i, 0, 0, 0, 0, 0]));
    const y = vb.zeros([10, 1]);
    const seen: number[] = [];
    const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [6] })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const original = m.callWithMasks.bind(m);
    m.callWithMasks = (inputs, context) => {
      if (context.training) seen.push(...Array.from(inputs[0]!.dataSync()).filter((_, i) => i % 6 === 0));
      return original(inputs, context);
    };
    await m.fit(x, y, { epochs: 1, batchSize: 3, validationSplit: 0.3, verbose: 0 });
    assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
    assert.notDeepEqual(seen, [0, 1, 2, 3, 4, 5, 6], 'shuffled by default');
    m.dispose();
  });

  it('epoch e is shuffled with permutation(foldIn(keyFor("fit/shuffle"), e))', async () => {
    vb.setRandomSeed(21);
    const x = vb.tensor2d(Array.from({ length: 7 }, (_, i) => [i]));
    const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const seen: number[] = [];
    const original = m.callWithMasks.bind(m);
    m.callWithMasks = (inputs, context) => {
      if (context.training) seen.push(...Array.from(inputs[0]!.dataSync()));
      return original(inputs, context);
    };
    await m.fit(x, vb.zeros([7, 1]), { epochs: 2, batchSize: 7, verbose: 0 });
    const key = vb.random.foldIn(vb.random.key(21), 'fit/shuffle');
    const expected = [0, 1].flatMap((e) => Array.from(vb.random.permutation(vb.random.foldIn(key, e), 7).dataSync()));
    assert.deepEqual(seen, expected);
    m.dispose();
  });

  it('classWeight weights each example by its class', async () => {
    const x = vb.tensor2d([[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]]);
    const y = vb.tensor2d([[1], [0]]);
    const losses: number[] = [];
    for (const classWeight of [undefined, { 0: 1, 1: 3 }]) {
      vb.setRandomSeed(1);
      const m = vb.sequential({ name: 'weighted', layers: [vb.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [6] })] });
      m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
      const h = await m.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0, ...(classWeight ? { classWeight } : {}) });
      losses.push(h.history.loss![0]!);
      m.dispose();
    }
    assert.notEqual(losses[0], losses[1]);
  });

  it('classWeight weights the loss, not the metrics (Keras 3 passes sample weights to weighted_metrics only; TF.js to the loss only)', async () => {
    // Predictions sigmoid(x): above 0.5 for rows 0 and 2. Labels [1, 0, 0, 0]; class 1 weighs 4.
    const x = vb.tensor2d([[2], [-2], [3], [-1]]);
    const y = vb.tensor2d([[1], [0], [0], [0]]);
    const m = vb.sequential({ name: 'unweighted-metrics', layers: [vb.layers.dense({ units: 1, activation: 'sigmoid', useBias: false, inputShape: [1] })] });
    m.setWeights([vb.tensor2d([[1]])]);
    m.compile({ optimizer: vb.train.sgd(0), loss: 'binaryCrossentropy', metrics: ['accuracy', 'precision', 'recall'] });
    const plain = await m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    const h = await m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0, classWeight: { 0: 1, 1: 4 } });
    assert.notEqual(h.history.loss![0], plain.history.loss![0], 'the loss is weighted');
    // Right: rows 0, 1 and 3 of 4 (weighted: 6 of 7); predicted positive: rows 0 and 2, one of them right (weighted: 4 of 5).
    assert.equal(h.history.accuracy![0], 0.75);
    assert.equal(h.history.precision![0], 0.5);
    assert.equal(h.history.recall![0], 1);
    m.dispose();
  });

  it('classWeight with sequence targets (rank 3) is an error naming it, plain and data-parallel, where it failed inside reshape', async () => {
    const m = vb.sequential({ name: 'class-weight-sequences', layers: [vb.layers.dense({ units: 3, activation: 'softmax', inputShape: [4, 2] })] });
    m.compile({ optimizer: vb.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const before = m.weightsDigest();
    const x = vb.ones([2, 4, 2]);
    const y = vb.oneHot(vb.tensor2d([[0, 1, 2, 0], [1, 1, 1, 1]], [2, 4], 'int32'), 3);
    const expected = /fit: Expected classWeight only for targets of rank 1 or 2, one class per example \(Keras and TF\.js refuse it for sequence targets\)\. Received: y\.shape=\[2, 4, 3\]/;
    await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, classWeight: { 0: 2 } }), expected);
    await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, classWeight: { 0: 2 }, dataParallel: { workers: 1, microBatch: 1 } }), expected);
    assert.equal(m.weightsDigest(), before);
    m.dispose();
  });

  it('earlyStopping stops and restores the best weights', async () => {
    const { x, y } = data(4);
    const m = model('early');
    const digests: string[] = [];
    const stopper = vb.callbacks.earlyStopping({ monitor: 'loss', patience: 0, minDelta: 10, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 10, batchSize: 16, verbose: 0,
      callbacks: [{ onEpochEnd: () => { digests.push(m.weightsDigest()); } }, stopper],
    });
    assert.deepEqual(h.epoch, [0, 1], 'no improvement by minDelta: stops after the second epoch');
    assert.equal(stopper.stoppedEpoch, 1);
    assert.notEqual(digests[0], digests[1]);
    assert.equal(m.weightsDigest(), digests[0], 'the weights of the best epoch (the first) are restored');
    m.dispose();
  });

  it('earlyStopping with a baseline follows Keras 3: improving epochs never stop training, patience restarts only past the baseline', async () => {
    const { x, y } = data(4);
    // The monitored value per epoch, set in the logs by a callback before the stopper.
    const stoppedAfter = async (scores: number[], patience: number) => {
      const m = model('baseline');
      const stopper = vb.callbacks.earlyStopping({ monitor: 'score', baseline: 0.5, patience });
      const h = await m.fit(x, y, { epochs: scores.length, batchSize: 16, verbose: 0, callbacks: [{ onEpochEnd: (epoch, logs) => { logs!.score = scores[epoch]!; } }, stopper] });
      m.dispose();
      return h.epoch.length;
    };
    // Keras 3: 0.6, 0.55, 0.52 each improve on the best so far, so none stops training (TF.js, whose
    // best starts at the baseline, stops after the second); the first epoch that does not improve does.
    assert.equal(await stoppedAfter([0.6, 0.55, 0.52, 0.52, 0.52, 0.52], 2), 4);
    // Past the baseline at the second epoch: the count restarts there, and two epochs without improvement stop it.
    assert.equal(await stoppedAfter([0.6, 0.45, 0.46, 0.47, 0.48, 0.49], 2), 4);
    // Improving on the best without ever beating the baseline: the wait accumulates, so the first
    // epoch without improvement stops training even with patience 4.
    assert.equal(await stoppedAfter([0.9, 0.8, 0.7, 0.6, 0.6, 0.6], 4), 5);
  });

  it('earlyStopping restores the best weights when training ends without stopping too (Keras 3)', async () => {
    // Seeded here: run alone (no earlier test's seed), the initial weights would be drawn unseeded.
    vb.setRandomSeed(4);
    const { x, y } = data(4);
    const m = model('best-at-end');
    const digests: string[] = [];
    // With mode 'max' the highest loss is the best, an early epoch's, and patience 5 is never exhausted.
    const stopper = vb.callbacks.earlyStopping({ monitor: 'loss', mode: 'max', patience: 5, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 3, batchSize: 16, verbose: 0,
      callbacks: [stopper, { onEpochEnd: () => { digests.push(m.weightsDigest()); } }],
    });
    const finalDigest = m.weightsDigest();
    m.dispose();
    assert.deepEqual(h.epoch, [0, 1, 2]);
    assert.equal(stopper.stoppedEpoch, 0);
    const losses = h.history.loss!;
    const best = losses.indexOf(Math.max(...losses));
    assert.notEqual(best, 2, 'the data make an epoch before the last the best');
    assert.notEqual(digests[best], digests[2]);
    assert.equal(finalDigest, digests[best], 'the weights of the best epoch are restored at the end');
  });

  it('earlyStopping startFromEpoch (Keras 3) watches nothing during the warm-up; an option it lacks is an error', async () => {
    const run = async (startFromEpoch: number) => {
      vb.setRandomSeed(8);
      const m = vb.sequential({ name: 'warm-up', layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      // The loss falls every epoch: with mode 'max' no epoch after the first watched one improves.
      const stopper = vb.callbacks.earlyStopping({ monitor: 'loss', mode: 'max', patience: 0, startFromEpoch });
      const h = await m.fit(vb.tensor2d([[1, 2], [2, 1], [3, 3]]), vb.tensor2d([[3], [3], [6]]), { epochs: 8, batchSize: 3, verbose: 0, callbacks: [stopper] });
      m.dispose();
      assert.ok(h.history.loss!.every((l, i) => i === 0 || l < h.history.loss![i - 1]!));
      return h.epoch;
    };
    assert.deepEqual(await run(0), [0, 1]);
    assert.deepEqual(await run(3), [0, 1, 2, 3, 4]);
    assert.throws(() => vb.callbacks.earlyStopping({ monitor: 'loss', restore_best_weights: true } as never), /earlyStopping: Expected options among monitor, minDelta, .*Received: restore_best_weights=true/);
    assert.throws(() => vb.callbacks.earlyStopping({ startFromEpoch: -1 }), /Expected startFromEpoch to be a non-negative integer\. Received: startFromEpoch=-1/);
  });

  it('earlyStopping of a quantity the logs lack (val_loss without validation data) warns once per fit and trains on (Keras, TF.js)', async () => {
    const { x, y } = data(4);
    const m = model('missing-monitor');
    const stopper = vb.callbacks.earlyStopping({ patience: 0, restoreBestWeights: true });
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      for (const epochs of [3, 2]) {
        const h = await m.fit(x, y, { epochs, batchSize: 16, verbose: 0, callbacks: [stopper] });
        assert.deepEqual(h.epoch, Array.from({ length: epochs }, (_, i) => i), 'not stopped early');
      }
    } finally {
      console.warn = warn;
    }
    m.dispose();
    assert.equal(stopper.stoppedEpoch, 0);
    assert.equal(warnings.length, 2, 'once per fit');
    assert.match(warnings[0]!, /earlyStopping: the monitored quantity "val_loss" is not among the epoch's logs \(loss, accuracy, acc\): training is not stopped early/);
  });

  it('batch and epoch callbacks are called in order', async () => {
    const { x, y } = data(5, 40);
    const m = model('hooks');
    const calls: string[] = [];
    await m.fit(x, y, {
      epochs: 2, batchSize: 16, verbose: 0,
      callbacks: {
        onTrainBegin: () => { calls.push('train'); },
        onEpochBegin: (e) => { calls.push(`e${e}`); },
        onBatchBegin: (b) => { calls.push(`b${b}`); },
        onBatchEnd: async (b, logs) => { calls.push(`/b${b}:${logs!.size}`); },
        onEpochEnd: (e) => { calls.push(`/e${e}`); },
        onTrainEnd: () => { calls.push('/train'); },
      },
    });
    assert.deepEqual(calls, ['train', 'e0', 'b0', '/b0:16', 'b1', '/b1:16', 'b2', '/b2:8', '/e0', 'e1', 'b0', '/b0:16', 'b1', '/b1:16', 'b2', '/b2:8', '/e1', '/train']);
    m.dispose();
  });

  it('an entry a callback adds to the logs is seen by the callbacks after it and recorded by History (Keras, TF.js)', async () => {
    const { x, y } = data(5, 32);
    const m = model('shared-logs');
    const seen: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 4, batchSize: 16, verbose: 0,
      callbacks: [
        { onEpochEnd: (e, logs) => { logs!.val_f1 = e === 0 ? 0.9 : 0.1; }, onBatchEnd: (b, logs) => { logs!.custom = 10 + b; } },
        { onEpochEnd: (e, logs) => { seen.push(`e${e}:${logs!.val_f1}`); }, onBatchEnd: (b, logs) => { seen.push(`b${b}:${logs!.custom}`); } },
        vb.callbacks.earlyStopping({ monitor: 'val_f1', mode: 'max', patience: 1 }),
      ],
    });
    assert.deepEqual(seen, ['b0:10', 'b1:11', 'e0:0.9', 'b0:10', 'b1:11', 'e1:0.1']);
    assert.deepEqual(h.epoch, [0, 1], 'earlyStopping monitored val_f1: no improvement in epoch 1 with patience 1');
    assert.deepEqual(h.history.val_f1, [0.9, 0.1]);
    m.dispose();
  });

  it("onTrainEnd gets the last epoch's logs, with what callbacks added to them (Keras 3); a fit of no epoch gives {}", async () => {
    const { x, y } = data(5, 32);
    const m = model('train-end-logs');
    const ended: vb.Logs[] = [];
    const callbacks = [
      { onEpochEnd: (e: number, logs?: vb.Logs) => { logs!.added = e; } },
      { onTrainEnd: (logs?: vb.Logs) => { ended.push({ ...logs }); } },
    ];
    const h = await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks });
    assert.deepEqual(ended[0], { loss: h.history.loss![1], accuracy: h.history.accuracy![1], acc: h.history.acc![1], added: 1 });
    await m.fit(x, y, { epochs: 0, verbose: 0, callbacks });
    assert.deepEqual(ended[1], {});
    m.dispose();
  });

  it('stopTraining set in onTrainBegin or onEpochBegin ends training after one step, its epoch recorded (Keras 3)', async () => {
    const { x, y } = data(5, 40);
    for (const hook of ['onTrainBegin', 'onEpochBegin'] as const) {
      const m = model(`stop-at-${hook}`);
      const steps: number[] = [];
      const h = await m.fit(x, y, {
        epochs: 3, batchSize: 8, verbose: 0,
        callbacks: { [hook]: () => { m.stopTraining = true; }, onBatchEnd: (b: number) => { steps.push(b); } },
      });
      assert.deepEqual(steps, [0], hook);
      assert.deepEqual(h.epoch, [0], hook);
      assert.equal(h.history.loss!.length, 1, hook);
      m.dispose();
    }
  });

  it('a stop a hook asks for in a microtask is seen at that step (TF.js)', async () => {
    const { x, y } = data(5, 40);
    const m = model('microtask-stop');
    const ended: number[] = [];
    await m.fit(x, y, {
      epochs: 1, batchSize: 4, verbose: 0,
      callbacks: { onBatchEnd: (b) => { ended.push(b); if (b === 2) void Promise.resolve().then(() => { m.stopTraining = true; }); } },
    });
    assert.deepEqual(ended, [0, 1, 2]);
    m.dispose();
  });

  it('an async hook is finished before the next callback\'s hook and the next step; sync hooks and odd return values are not awaited', async () => {
    const { x, y } = data(5, 40);
    const m = model('mixed-hooks');
    const calls: string[] = [];
    const later = (text: string) => new Promise<void>((resolve) => setTimeout(() => { calls.push(text); resolve(); }, 1));
    await m.fit(x, y, {
      epochs: 1, batchSize: 32, verbose: 0,
      callbacks: [
        { onEpochBegin: () => later('slow e'), onBatchEnd: (b: number) => later(`slow /b${b}`), onTrainEnd: () => later('slow /train') },
        // A JavaScript hook returning something that is not a promise (as TF.js tolerates).
        { onEpochBegin: () => { calls.push('sync e'); return 7 as unknown as void; }, onBatchBegin: (b: number) => { calls.push(`sync b${b}`); }, onBatchEnd: (b: number) => { calls.push(`sync /b${b}`); } },
        { onBatchEnd: async (b: number) => { await later(`async /b${b}`); } },
      ],
    });
    assert.deepEqual(calls, [
      'slow e', 'sync e',
      'sync b0', 'slow /b0', 'sync /b0', 'async /b0',
      'sync b1', 'slow /b1', 'sync /b1', 'async /b1',
      'slow /train',
    ]);
    await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: { onBatchEnd: () => { throw new Error('hook failed'); } } }), /hook failed/);
    await assert.rejects(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [{}, { onEpochBegin: () => Promise.reject(new Error('async hook failed')) }] }), /async hook failed/);
    m.dispose();
  });

  it('evaluate, predict (batched) and trainOnBatch', async () => {
    const { x, y } = data(6, 70);
    const m = model('api');
    const [loss, accuracy] = m.evaluate(x, y, { batchSize: 32 }) as vb.Tensor[];
    assert.equal(loss!.shape.length, 0);
    assert.ok(accuracy!.dataSync()[0]! >= 0 && accuracy!.dataSync()[0]! <= 1);
    const whole = m.predict(x, { batchSize: 1000 }).dataSync();
    assert.deepEqual(m.predict(x, { batchSize: 16 }).dataSync(), whole, 'batching does not change predictions');
    const result = await m.trainOnBatch(vb.slice(x, [0], [8]), vb.slice(y, [0], [8]));
    assert.ok(Array.isArray(result) && result.length === 2);
    m.dispose();
  });

  it('getWeights/setWeights round trip; weightsDigest hashes names, shapes and bytes', () => {
    vb.setRandomSeed(1);
    const a = model('digest_a');
    const b = model('digest_b');
    assert.notEqual(a.weightsDigest(), b.weightsDigest());
    b.setWeights(a.getWeights());
    assert.notEqual(a.weightsDigest(), b.weightsDigest(), 'names differ, so digests differ');
    assert.deepEqual(b.getWeights().map((w) => Array.from(w.dataSync())), a.getWeights().map((w) => Array.from(w.dataSync())));
    assert.deepEqual(Object.keys(a.layerDigests()), ['dense', 'dropout', 'dense_1']);
    assert.throws(() => b.setWeights([vb.zeros([2])]), /Expected 4 tensors/);
    a.dispose();
    b.dispose();
  });

  it('summary prints a Keras-style table', () => {
    const lines: string[] = [];
    const m = model('summary_model');
    m.summary(65, undefined, (line) => lines.push(line));
    assert.equal(lines[0], 'Model: "summary_model"');
    assert.match(lines.find((l) => l.includes('dense (Dense)'))!, /dense \(Dense\)\s+\(None, 8\)\s+56/);
    assert.ok(lines.includes('Total params: 65'));
    m.dispose();
  });

  it('verbose 2 prints one line per epoch; verbose 0 prints nothing', async () => {
    const { x, y } = data(7, 32);
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    // fit yields to the event loop, where the test runner writes its own (binary) messages: those pass through.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== 'string') return original(chunk, ...rest);
      writes.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      const m = model('quiet');
      await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      assert.deepEqual(writes.filter((w) => /Epoch \d|loss: |\/step/.test(w)), []);
      await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 2 });
      // The progress line shows what a callback added to the shared logs, whatever its type.
      await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 2, callbacks: { onEpochEnd: (_e, logs) => { (logs as Record<string, unknown>).note = 'ok'; } } });
      m.dispose();
    } finally {
      process.stdout.write = original;
    }
    const text = writes.join('');
    assert.match(text, /Epoch 1\/2\n2\/2 - \S+ \d+ms\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\nEpoch 2\/2\n/);
    assert.match(text, /Epoch 1\/1\n2\/2 - \S+ \d+ms\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4} - note: ok\n/);
  });

  it('memory is flat across 200 training steps', async () => {
    const { x, y } = data(8, 32);
    const m = model('memory');
    await m.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    const start = vb.memory();
    await m.fit(x, y, { epochs: 200, batchSize: 32, verbose: 0 });
    assert.deepEqual(vb.memory(), start);
    m.dispose();
  });
});

describe('digests and the one NaN', () => {
  it('weightsDigest hashes raw bytes, and every NaN a model holds is the canonical one', () => {
    vb.setRandomSeed(4);
    const m = vb.sequential({ name: 'nan_digest', layers: [vb.layers.dense({ units: 2, inputShape: [2] })] });
    const kernelBits = new Uint32Array([0x3f800000, 0x7fc00001, 0xffc00000, 0x7f800001]); // 1, NaN payloads, a signalling NaN
    const kernel = vb.tensor(new Float32Array(kernelBits.buffer), [2, 2]);
    const bias = vb.tensor(new Float32Array(new Uint32Array([0x80000000, 0xffc00000]).buffer), [2]); // -0 and a negative NaN
    m.setWeights([kernel, bias]);
    const expected = createHash('sha256');
    const canonical = (bits: number[]) => new Uint8Array(new Uint32Array(bits).buffer);
    expected.update('nan_digest/dense/kernel\0[2,2]\0').update(canonical([0x3f800000, 0x7fc00000, 0x7fc00000, 0x7fc00000]));
    expected.update('nan_digest/dense/bias\0[2]\0').update(canonical([0x80000000, 0x7fc00000]));
    assert.equal(m.weightsDigest(), expected.digest('hex'));
    // Arithmetic that makes NaN (0 * Inf, Inf - Inf, sqrt(-1), NaN propagated through neg) stores the canonical NaN.
    const made = vb.concat([vb.mul(vb.tensor([0]), Infinity), vb.sub(vb.tensor([Infinity]), Infinity), vb.sqrt(vb.tensor([-1])), vb.neg(vb.tensor([NaN]))]);
    assert.deepEqual(Array.from(new Uint32Array(new Float32Array(made.dataSync()).buffer)), [0x7fc00000, 0x7fc00000, 0x7fc00000, 0x7fc00000]);
    m.dispose();
  });
});

describe('progress display', () => {
  it('verbose 1 on a terminal draws a bar with ETA and running metrics, then the epoch line', async () => {
    const { ProgressLogger } = await import('../src/models/callbacks.js');
    const writes: string[] = [];
    const logger = new ProgressLogger(1, { write: (s) => writes.push(s), interactive: true });
    logger.setParams({ epochs: 2, initialEpoch: 0, steps: 4, samples: 100, batchSize: 32, verbose: 1, doValidation: false, metrics: ['loss'] });
    logger.onEpochBegin(0);
    logger.onBatchEnd(0, { batch: 0, size: 32, loss: 0.5, accuracy: 0.25 });
    logger.onEpochEnd(0, { loss: 0.4, accuracy: 0.5 });
    assert.equal(writes[0], 'Epoch 1/2\n');
    assert.match(writes[1]!, /^\r1\/4 \[={6}>\.{23}\] - ETA: \d+s - loss: 0\.5000 - accuracy: 0\.2500$/);
    assert.match(writes[2]!, /^\r4\/4 \[={30}\] - \d+s \d+ms\/step - loss: 0\.4000 - accuracy: 0\.5000\n$/);
  });
});

describe('the same code after the same seed, in one process', () => {
  it('draws the same weights and trains to the same digest however many models came before', async () => {
    const build = async () => {
      vb.setRandomSeed(123);
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), vb.layers.dropout({ rate: 0.5 }), vb.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await model.fit(vb.ones([6, 3]), vb.ones([6, 1]), { epochs: 2, batchSize: 4, shuffle: true, verbose: 0 });
      const layer = vb.layers.dense({ units: 2 });
      layer.apply(vb.ones([1, 3]));
      return { model, standalone: Array.from(layer.weights[0]!.variable.dataSync()) };
    };
    const first = await build();
    const second = await build(); // the first model is still alive: its unique names are taken
    assert.notEqual(second.model.name, first.model.name, 'unique model names across the process');
    assert.equal(weightBits(second.model), weightBits(first.model), 'the same weights, bit for bit');
    assert.deepEqual(second.standalone, first.standalone, 'standalone layers too');
    first.model.dispose();
    second.model.dispose();
  });
});

/** The weights' bits without their names (weightsDigest includes the unique model name). */
function weightBits(model: vb.Sequential): string {
  return vb.digest(model.getWeights());
}
