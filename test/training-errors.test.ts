/** Training given bad input: each a clear error naming what was expected and received, never a silent wrong result. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { data, model } from './helpers/training-models.js';

describe('training: bad input', () => {
  it('a Sequential without an input shape given inputs its layers refuse stays unbuilt: the right inputs then build and train it', async () => {
    vb.setRandomSeed(3);
    const m = vb.sequential({ layers: [vb.layers.dense({ units: 2 }), vb.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    // Single examples of one feature (rank 1): Dense needs a known last dimension.
    await assert.rejects(m.fit(vb.ones([4]), vb.ones([4]), { verbose: 0 }), /dense/i);
    assert.equal(m.expectedInputShapes(), undefined, 'no input shape kept from the refused inputs');
    const h = await m.fit(vb.ones([4, 3]), vb.ones([4, 1]), { verbose: 0 });
    assert.equal(h.epoch.length, 1);
    assert.deepEqual(m.expectedInputShapes(), [[null, 3]]);
    m.dispose();
  });

  it('sparse labels outside [0, classes) or not integers are errors, not a zero loss', async () => {
    const loss = vb.losses.sparseCategoricalCrossentropy();
    const yPred = vb.tensor([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]);
    assert.ok(loss.call(vb.tensor([1, 2]), yPred).dataSync()[0]! > 0);
    for (const bad of [3, 7, -1, -1.5]) {
      assert.throws(() => loss.call(vb.tensor([1, bad]), yPred), new RegExp(`Expected integer labels in \\[0, 3\\)\\. Received: yTrue\\[1\\]=${bad}`));
    }
    vb.setRandomSeed(3);
    const m = vb.sequential({ layers: [vb.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })] });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await assert.rejects(m.fit(vb.ones([4, 2]), vb.tensor([0, 1, 7, 2]), { verbose: 0, batchSize: 4, shuffle: false }), /fit: Expected integer labels in \[0, 3\) \(sparseCategoricalCrossentropy\)\. Received: y\[2\]=7/);
    // Shuffled batches: the data's row is named (it named the label's place in its shuffled batch).
    const labels = Array.from({ length: 20 }, (_, i) => (i === 13 ? 5 : i % 3));
    await assert.rejects(m.fit(vb.ones([20, 2]), vb.tensor(labels), { verbose: 0, batchSize: 8, epochs: 2 }), /fit: Expected integer labels in \[0, 3\) \(sparseCategoricalCrossentropy\)\. Received: y\[13\]=5$/);
    // Data-parallel: the micro-batch's place is mapped to the batch's, then to the data's (it named y[0], the micro-batch's first row).
    const late = Array.from({ length: 8 }, (_, i) => (i === 6 ? 7 : i % 3));
    await assert.rejects(m.fit(vb.ones([8, 2]), vb.tensor(late), { verbose: 0, batchSize: 8, epochs: 1, dataParallel: { workers: 1, microBatch: 2, inProcess: true } }),
      /fit: Expected integer labels in \[0, 3\) \(sparseCategoricalCrossentropy\)\. Received: y\[6\]=7$/);
    // Labels of shape [n, 1] (as Keras takes them): the index of y as given, y[13][0] (it said y[13], not an index of y).
    await assert.rejects(m.fit(vb.ones([20, 2]), vb.tensor(labels, [20, 1]), { verbose: 0, batchSize: 8 }), /Received: y\[13\]\[0\]=5$/);
    // Sequence labels ([batch, time]) and one output of several: the output, the row and the time step.
    const a = vb.input({ shape: [4, 2] });
    const two = vb.model({ inputs: a, outputs: [vb.layers.dense({ units: 1 }).apply(a) as vb.layers.SymbolicTensor, vb.layers.dense({ units: 3, activation: 'softmax' }).apply(a) as vb.layers.SymbolicTensor] });
    two.compile({ optimizer: 'sgd', loss: ['meanSquaredError', 'sparseCategoricalCrossentropy'] });
    const steps = vb.tensor(Array.from({ length: 24 }, (_, i) => (i === 4 * 4 + 2 ? 3 : 1)), [6, 4]);
    await assert.rejects(two.fit(vb.ones([6, 4, 2]), [vb.zeros([6, 4, 1]), steps], { verbose: 0, batchSize: 4 }), /fit: Expected integer labels in \[0, 3\) \(sparseCategoricalCrossentropy\)\. Received: y\[1\]\[4\]\[2\]=3$/);
    two.dispose();
    m.dispose();
  });

  it('a loss that refuses its targets leaves no tensors behind: fit, trainOnBatch, data-parallel, a masked output', async () => {
    vb.setRandomSeed(3);
    const dense = vb.sequential({ layers: [vb.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })] });
    const tagger = vb.sequential({ layers: [vb.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputShape: [3] }), vb.layers.dense({ units: 3, activation: 'softmax' })] });
    for (const m of [dense, tagger]) m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const [x, y] = [vb.ones([4, 2]), vb.tensor([0, 1, 7, 2])];
    const [ids, tags] = [vb.tensor([[1, 2, 0], [3, 0, 0]], [2, 3], 'int32'), vb.tensor([[0, 9, 0], [1, 0, 0]], [2, 3])];
    await dense.fit(x, vb.tensor([0, 1, 1, 2]), { verbose: 0 });
    await tagger.fit(ids, vb.zeros([2, 3]), { verbose: 0 });
    const before = vb.memory().numTensors;
    await assert.rejects(dense.fit(x, y, { verbose: 0 }), /Received: y\[2\]=7/);
    await assert.rejects(dense.trainOnBatch(x, y), /Received: yTrue\[2\]=7/);
    await assert.rejects(dense.fit(x, y, { verbose: 0, dataParallel: { workers: 1, microBatch: 2, inProcess: true } }), /Received: y\[2\]=7/);
    await assert.rejects(tagger.fit(ids, tags, { verbose: 0 }), /Received: y\[0\]\[1\]=9/);
    await assert.rejects(tagger.fit(ids, vb.zeros([2, 3]), { verbose: 0, dataParallel: { workers: 1, microBatch: 1, inProcess: true } }), /without masks with dataParallel/);
    assert.equal(vb.memory().numTensors, before + 1, 'only the test\'s own zeros([2, 3])');
    dense.dispose();
    tagger.dispose();
  });

  it('clear errors naming what was expected and received', async () => {
    const m = model('errors');
    const { x, y } = data(9, 10);
    await assert.rejects(m.fit(x, vb.zeros([9, 1]), { verbose: 0 }), /fit: Expected x and y with the same number of examples \(first dimension\)\. Received: x\.shape=\[10, 6\], y\.shape=\[9, 1\]/);
    await assert.rejects(m.fit(vb.zeros([10, 5]), y, { verbose: 0 }), /fit: Expected x of shape \[null,6\] \(the model's input shape, batch first\)\. Received: x\.shape=\[10, 5\]/);
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'meanSquaredLogError' }), /Expected loss to be one of meanSquaredError.*Received: loss="meanSquaredLogError"/);
    assert.throws(() => m.compile({ optimizer: 'adamz', loss: 'mse' }), /Expected optimizer to be one of sgd, adam, adamw, rmsprop, adagrad, adamax, adadelta or an optimizer object\. Received: optimizer="adamz"/);
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['accuracyy'] }), /Expected metric to be one of accuracy.*Received: metric="accuracyy"/);
    assert.throws(() => m.predict(x, { batch_size: 4 } as never), /predict: Expected options among batchSize, verbose\. Received: batch_size=4/);
    assert.throws(() => m.evaluate(x, y, { batchSize: 4, sampleWeight: vb.ones([10]) } as never), /evaluate: Expected options among batchSize, verbose\. Received: sampleWeight=Tensor/);
    await assert.rejects(m.evaluateDataset(vb.data.zip([vb.data.array([x]), vb.data.array([y])]), { steps: 1 } as never), /evaluateDataset: Expected options among batches, verbose\. Received: steps=1/);
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'mse', weightedMetrics: ['mae'] } as never), /errors\.compile: Expected options among optimizer, loss, lossWeights, metrics\. Received: weightedMetrics=\["mae"\]/);
    const uncompiled = vb.sequential({ name: 'uncompiled', layers: [vb.layers.dense({ units: 1, inputShape: [6] })] });
    await assert.rejects(uncompiled.fit(x, y, { verbose: 0 }), /fit: Expected a compiled model; call model\.compile\(\{optimizer, loss\}\) first/);
    const bad = vb.tensor2d([[1, 2, 3, 4, 5, 6], [1, 2, NaN, 4, 5, 6]]);
    await assert.rejects(m.fit(bad, vb.zeros([2, 1]), { verbose: 0 }), /fit: Expected finite values in x\. Received: x\[1\]\[2\]=NaN/);
    await assert.rejects(m.fit(x, vb.fill([10, 1], Infinity), { verbose: 0 }), /Received: y\[0\]\[0\]=Infinity/);
    assert.throws(() => vb.layers.dense({ units: 0 }), /Dense: Expected units to be a positive integer\. Received: units=0/);
    assert.throws(() => vb.layers.dense({ units: 2, activation: 'relu7' as never }), /Expected activation to be one of linear, relu.*Received: activation="relu7"/);
    assert.throws(() => vb.layers.dropout({ rate: 1 }), /Expected rate in \[0, 1\)\. Received: rate=1/);
    m.dispose();
    uncompiled.dispose();
  });

  it('fit option values that trained wrong silently or hung are errors: shuffle, classWeight, validationData, validationBatchSize, validationSplit', async () => {
    const m = model('option-values');
    const { x, y } = data(9, 10);
    const before = m.weightsDigest();
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ shuffle: 0 }, /fit: Expected shuffle to be true or false \(TF\.js's 'batch' is not implemented\)\. Received: shuffle=0/],
      [{ shuffle: 'batch' }, /Received: shuffle="batch"/],
      [{ classWeight: 2 }, /fit: Expected classWeight to map class indices \(integers >= 0\) to finite numbers, \{0: 1, 1: 5\} say\. Received: classWeight=2/],
      [{ classWeight: { 0: 1, 1: '5' } }, /Received: classWeight\["1"\]="5"/],
      [{ classWeight: { 0: 1, 1: NaN } }, /Received: classWeight\["1"\]=NaN/],
      [{ classWeight: [{ 0: 1, 1: 5 }] }, /Received: classWeight\["0"\]=\{"0":1,"1":5\}/],
      // A Map has no entries of its own: it weighted nothing, without a word.
      [{ classWeight: new Map([[0, 1], [1, 5]]) }, /fit: Expected classWeight to be a plain object mapping class indices to weights, \{0: 1, 1: 5\} say\. Received: classWeight="a Map"/],
      [{ validationData: [x, y, vb.ones([10])] }, /fit: Expected validationData as \[x, y\] or a dataset \(sample weights are not supported, as in TF\.js 4\.22\)\. Received: validationData="a list of 3"/],
      [{ validationData: x }, /Expected validationData as \[x, y\] or a dataset .*Received: validationData=Tensor/],
      // A validationBatchSize of 0 never ended the validation (its batches did not advance).
      [{ validationData: [x, y], validationBatchSize: 0 }, /fit: Expected validationBatchSize to be a positive integer\. Received: validationBatchSize=0/],
      [{ validationSplit: '0.5' }, /fit: Expected validationSplit in \[0, 1\)\. Received: validationSplit="0\.5"/],
    ];
    for (const [options, message] of refused) await assert.rejects(m.fit(x, y, { verbose: 0, epochs: 1, ...options } as never), message);
    assert.equal(m.weightsDigest(), before, 'nothing trained');
    const h = await m.fit(x, y, { verbose: 0, epochs: 1, shuffle: false, classWeight: { 0: 1, 1: 5 }, validationData: [x, y], validationBatchSize: 3 });
    assert.equal(h.history.val_loss!.length, 1);
    m.dispose();
  });

  it('an optimizer option it does not have is an error, not a default learning rate', () => {
    assert.throws(() => vb.optimizers.sgd({ lr: 0.1 } as never), /sgd: Expected options among learningRate, momentum, nesterov, clipnorm, clipvalue, globalClipnorm\. Received: lr=0\.1/);
    assert.throws(() => vb.optimizers.adam({ learningRate: 0.01, weightDecay: 0.1 } as never), /adam: Expected options among .*Received: weightDecay=0\.1/);
    assert.throws(() => vb.optimizers.rmsprop({ decay: 0.9 } as never), /rmsprop: Expected options among learningRate, rho, .*Received: decay=0\.9/);
    assert.equal(vb.optimizers.adamw({ learningRate: 0.01, weightDecay: 0.1, clipnorm: 1 }).weightDecay, 0.1);
    // Learning-rate schedules likewise (Keras 2's `decay` is no option of theirs).
    assert.throws(() => vb.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, decay: 1 } as never), /exponentialDecay: Expected options among initialLearningRate, decaySteps, decayRate, staircase\. Received: decay=1/);
    assert.throws(() => vb.optimizers.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmup: 2 } as never), /cosineDecay: Expected options among .*Received: warmup=2/);
  });

  it('callbacks that are not objects of hooks are an error, not skipped', async () => {
    const m = model('bad-callbacks');
    const { x, y } = data(2, 8);
    await assert.rejects(m.fit(x, y, { verbose: 0, callbacks: [{ onEpochEnd: () => undefined }, 42 as never] }), /fit: Expected callbacks as objects of hooks .*Received: callbacks\[1\]=42/);
    await assert.rejects(m.fit(x, y, { verbose: 0, callbacks: 'earlyStopping' as never }), /Received: callbacks="earlyStopping"/);
    m.dispose();
  });

  it('a second fit of a model while one runs (a missing await) is an error, not steps interleaved with the first', async () => {
    const { x, y } = data(6, 16);
    const alone = model('fit-twice');
    const expected = (await alone.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 })).history;
    alone.dispose();
    const m = model('fit-twice');
    const first = m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    await assert.rejects(m.fit(x, y, { epochs: 2, verbose: 0 }), /fit: Expected no other fit of this model in progress \(await it first, as TF\.js requires\)\. Received: model="fit-twice"/);
    await assert.rejects(m.fitDataset(vb.data.zip([vb.data.array([x]), vb.data.array([y])]), { verbose: 0 }), /fitDataset: Expected no other fit of this model in progress/);
    assert.deepEqual((await first).history, expected);
    assert.equal((await m.fit(x, y, { epochs: 1, verbose: 0 })).epoch.length, 1, 'once it ended, the model fits again');
    m.dispose();
  });

  it('no examples (an empty tensor, or a validationSplit leaving none to train on) is an error, not a loss of 0 or a crash', async () => {
    const m = model('empty');
    await assert.rejects(m.fit(vb.zeros([0, 6]), vb.zeros([0, 1]), { verbose: 0 }), /fit: Expected at least one example\. Received: x\.shape=\[0, 6\]/);
    await assert.rejects(m.fit(vb.ones([4, 6]), vb.ones([4, 1]), { verbose: 0, validationData: [vb.zeros([0, 6]), vb.zeros([0, 1])] }), /fit: Expected at least one example\. Received: validationData\[0\]\.shape=\[0, 6\]/);
    await assert.rejects(m.fit(vb.ones([1, 6]), vb.ones([1, 1]), { verbose: 0, validationSplit: 0.5 }), /fit: Expected at least one example left to train on after validationSplit\. Received: examples=1, validationSplit=0\.5/);
    // Keras refuses a split that leaves no example to validate on too (it failed naming validationData[0]).
    await assert.rejects(m.fit(vb.ones([10, 6]), vb.ones([10, 1]), { verbose: 0, validationSplit: 1e-17 }), /fit: Expected at least one example left to validate on after validationSplit\. Received: examples=10, validationSplit=1e-17/);
    assert.throws(() => m.evaluate(vb.zeros([0, 6]), vb.zeros([0, 1])), /evaluate: Expected at least one example\. Received: x\.shape=\[0, 6\]/);
    assert.throws(() => m.predict(vb.zeros([0, 6])), /predict: Expected at least one example\. Received: x\.shape=\[0, 6\]/);
    await assert.rejects(m.trainOnBatch(vb.zeros([0, 6]), vb.zeros([0, 1])), /trainOnBatch: Expected at least one example/);
    m.dispose();
  });

  it('a loss that becomes NaN stops training, naming the epoch and step', async () => {
    const m = vb.sequential({ name: 'diverge', layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });
    m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 1e30 }), loss: 'mse' });
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => { warnings.push(message); };
    let h: vb.History;
    try {
      h = await m.fit(vb.tensor2d([[1e10], [2e10]]), vb.tensor2d([[1], [2]]), { epochs: 5, batchSize: 1, shuffle: false, verbose: 0 });
    } finally {
      console.warn = warn;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /fit: epoch 1, step 2: invalid loss \((NaN|Infinity)\), terminating training/);
    assert.deepEqual(h.epoch, [0]);
    m.dispose();
  });
});
