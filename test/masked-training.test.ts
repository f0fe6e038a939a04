/**
 * Masks in training, with Keras 3's semantics: GlobalAveragePooling1D averages the unmasked steps,
 * a loss of an output that carries a mask is the mean over its unmasked entries, and the mean
 * metrics count those entries only. Known answers computed by hand in float32 (the documented
 * order), the unpadded sequences, and padding labels that change nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';

const L = vb.layers;
const f = Math.fround;
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const scalars = (result: vb.Tensor | vb.Tensor[]) => (Array.isArray(result) ? result : [result]).map((t) => t.dataSync()[0]!);

/** Runs `body` with console.warn collected. */
function warningsOf(body: () => void): string[] {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    body();
  } finally {
    console.warn = warn;
  }
  return warnings;
}

/** A model made twice, built for padded and for plain sequences: the second gets the first's weights. */
function twin(make: () => vb.LayersModel, padded: number[], plain: number[]): [vb.LayersModel, vb.LayersModel] {
  const a = make();
  a.predict(vb.zeros(padded, 'int32'));
  const b = make();
  b.predict(vb.zeros(plain, 'int32'));
  b.setWeights(a.getWeights());
  return [a, b];
}

describe('masked pooling', () => {
  it('globalAveragePooling1d averages the unmasked steps only (Keras 3): known answers, NaN at masked steps counts for nothing', () => {
    const x = vb.tensor3d([
      [[1, 2], [100, 100], [3, 4], [5, 6]],
      [[NaN, 1], [9, 9], [7, 8], [Infinity, 0]],
    ]);
    const mask = vb.tensor([[1, 0, 1, 1], [0, 0, 1, 0]], [2, 4], 'bool');
    const pooled = L.globalAveragePooling1d().apply(x, { mask }) as vb.Tensor;
    assert.deepEqual(pooled.arraySync(), [[3, 4], [7, 8]]);
    const kept = L.globalAveragePooling1d({ keepDims: true }).apply(x, { mask }) as vb.Tensor;
    assert.deepEqual(kept.arraySync(), [[[3, 4]], [[7, 8]]]);
    const first = L.globalAveragePooling1d({ dataFormat: 'channelsFirst' }).apply(vb.transpose(x, [0, 2, 1]), { mask }) as vb.Tensor;
    assert.deepEqual(first.arraySync(), [[3, 4], [7, 8]]);
    // No unmasked step: 0 / 0, as Keras.
    const none = L.globalAveragePooling1d().apply(vb.ones([1, 2, 2]), { mask: vb.tensor([[0, 0]], [1, 2], 'bool') }) as vb.Tensor;
    assert.deepEqual(none.arraySync(), [[NaN, NaN]]);
    assert.throws(() => L.globalAveragePooling1d().apply(x, { mask: vb.ones([2, 3], 'bool') }),
      /^ValueError: GlobalAveragePooling1D \(global_average_pooling1d(_\d+)?\): Expected a mask of shape \[2, 4\] \(batch, steps\)\. Received: mask\.shape=\[2, 3\]$/);
  });

  it('embedding(maskZero) -> globalAveragePooling1d -> dense: a padded sequence predicts, evaluates and trains as the unpadded one; no warning', async () => {
    vb.setRandomSeed(41);
    const make = () => vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), L.globalAveragePooling1d(), L.dense({ units: 1, activation: 'sigmoid' })] });
    const [padded, plain] = twin(make, [1, 5], [1, 3]);
    const y = vb.tensor2d([[1]]);
    const warnings = warningsOf(() => {
      for (const ids of [[0, 3, 0, 7, 2], [3, 7, 2, 0, 0]]) {
        assert.deepEqual(bits(padded.predict(vb.tensor([ids], [1, 5], 'int32')) as vb.Tensor), bits(plain.predict(vb.tensor([[3, 7, 2]], [1, 3], 'int32')) as vb.Tensor), `padded ${ids}`);
      }
    });
    assert.deepEqual(warnings, []);
    for (const m of [padded, plain]) m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    assert.deepEqual(scalars(padded.evaluate(vb.tensor([[3, 0, 7, 2, 0]], [1, 5], 'int32'), y)), scalars(plain.evaluate(vb.tensor([[3, 7, 2]], [1, 3], 'int32'), y)));
    for (let step = 0; step < 3; step++) {
      await padded.trainOnBatch(vb.tensor([[0, 0, 3, 7, 2]], [1, 5], 'int32'), y);
      await plain.trainOnBatch(vb.tensor([[3, 7, 2]], [1, 3], 'int32'), y);
    }
    padded.getWeights().forEach((w, i) => assert.deepEqual(bits(w), bits(plain.getWeights()[i]!), `weight ${i} after three steps`));
  });

  it('globalMaxPooling1d drops the mask with a warning and takes the max over every step (Keras 3: no mask support)', () => {
    vb.setRandomSeed(42);
    const embedding = L.embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const model = vb.sequential({ layers: [embedding, L.globalMaxPooling1d()] });
    const ids = vb.tensor([[0, 4, 5]], [1, 3], 'int32');
    let out: vb.Tensor | undefined;
    const warnings = warningsOf(() => { out = model.predict(ids) as vb.Tensor; });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /global_max_pooling1d.*does not support masking/);
    assert.deepEqual(bits(out!), bits(vb.max(embedding.apply(ids) as vb.Tensor, 1)), 'the padded step counts');
  });
});

/** embedding(maskZero) -> lstm(returnSequences) -> timeDistributed(dense softmax): a tagger whose output carries the mask. */
const tagger = () => vb.sequential({ layers: [
  L.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), L.lstm({ units: 3, returnSequences: true }),
  L.timeDistributed({ layer: L.dense({ units: 3, activation: 'softmax' }) }),
] });
const IDS = [[3, 7, 2, 0, 0], [1, 0, 0, 0, 0], [4, 5, 6, 7, 8], [0, 2, 2, 0, 0], [9, 1, 0, 0, 0], [6, 0, 3, 0, 0]];
/** Tags, with `pad` where the ids are 0. */
const tags = (pad: number) => vb.tensor([[1, 2, 0, pad, pad], [2, pad, pad, pad, pad], [0, 1, 2, 0, 1], [pad, 1, 1, pad, pad], [2, 0, pad, pad, pad], [1, pad, 0, pad, pad]], [6, 5], 'float32');

describe('masked losses and metrics', () => {
  it('a masked loss is the mean over the unmasked steps: a hand-computed float32 value (sum in row-major order / their number)', async () => {
    vb.setRandomSeed(43);
    const model = vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }), L.dense({ units: 2 })] });
    const ids = [[3, 7, 0, 0], [0, 5, 0, 2], [1, 1, 1, 1]];
    const x = vb.tensor(ids, [3, 4], 'int32');
    const y = vb.random.normal(vb.random.key(44), [3, 4, 2]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
    const p = (model.predict(x) as vb.Tensor).dataSync();
    const t = y.dataSync();
    let sum = 0;
    let abs = 0;
    let count = 0;
    ids.flat().forEach((id, i) => {
      const d = [f(p[2 * i]! - t[2 * i]!), f(p[2 * i + 1]! - t[2 * i + 1]!)];
      const loss = f(f(f(d[0]! * d[0]!) + f(d[1]! * d[1]!)) / 2);
      if (id === 0) return;
      sum = f(sum + loss);
      abs = f(abs + f(f(Math.abs(d[0]!) + Math.abs(d[1]!)) / 2));
      count++;
    });
    assert.equal(count, 8);
    const loss = f(sum / count);
    // evaluate's loss is the batches' losses averaged by batch size (Keras's Mean): fl(fl(loss * 3) / 3) for one batch of 3.
    assert.deepEqual(scalars(model.evaluate(x, y)), [f(f(loss * 3) / 3), f(abs / count)], 'evaluate: loss and mae metric');
    assert.deepEqual(await model.trainOnBatch(x, y), [loss, f(abs / count)], 'trainOnBatch: loss and mae metric');
  });

  it('a masked loss equals the loss of the unpadded sequence (evaluate and trainOnBatch), whatever the padded steps\' targets', async () => {
    vb.setRandomSeed(45);
    const [padded, plain] = twin(tagger, [1, 5], [1, 3]);
    for (const m of [padded, plain]) m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const short = vb.tensor([[3, 7, 2]], [1, 3], 'int32');
    const shortTags = vb.tensor([[1, 2, 0]], [1, 3], 'float32');
    const expected = scalars(plain.evaluate(short, shortTags));
    for (const pad of [0, 2]) {
      assert.deepEqual(scalars(padded.evaluate(vb.tensor([[3, 7, 2, 0, 0]], [1, 5], 'int32'), vb.tensor([[1, 2, 0, pad, pad]], [1, 5], 'float32'))), expected, `padding tags ${pad}`);
    }
    const trained = await padded.trainOnBatch(vb.tensor([[3, 7, 2, 0, 0]], [1, 5], 'int32'), vb.tensor([[1, 2, 0, 1, 1]], [1, 5], 'float32'));
    assert.deepEqual(trained, await plain.trainOnBatch(short, shortTags));
    padded.getWeights().forEach((w, i) => assert.deepEqual(bits(w), bits(plain.getWeights()[i]!), `weight ${i} after a step`));
  });

  it('fit: the tagging model\'s weights, losses and metrics do not depend on the padded steps\' targets', async () => {
    vb.setRandomSeed(46);
    const [a, b, c] = [tagger(), tagger(), tagger()];
    const x = vb.tensor(IDS, [6, 5], 'int32');
    a.predict(x);
    for (const m of [b, c]) {
      m.predict(x);
      m.setWeights(a.getWeights());
    }
    const fit = async (m: vb.LayersModel, y: vb.Tensor) => {
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', 'sparseCategoricalCrossentropy'] });
      vb.setRandomSeed(47);
      const history = await m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, validationData: [x, y] });
      return { history: history.history, weights: m.getWeights().map(bits) };
    };
    const first = await fit(a, tags(0));
    assert.deepEqual(await fit(b, tags(2)), first, 'padding tags 0 or 2: the same bits');
    // The test can fail: a changed tag at an unmasked step changes the weights.
    const changed = tags(0).arraySync() as number[][];
    changed[0]![0] = 2;
    assert.notDeepEqual((await fit(c, vb.tensor(changed, [6, 5], 'float32'))).weights, first.weights);
    // One batch, evaluated: the crossentropy metric is the masked loss, bit for bit.
    const [loss, , crossentropy] = scalars(a.evaluate(x, tags(1), { batchSize: 6 }));
    assert.equal(crossentropy, loss);
  });

  it('metrics count the unmasked steps only: accuracy is the fraction of unmasked steps tagged right', () => {
    vb.setRandomSeed(48);
    const model = tagger();
    const x = vb.tensor(IDS, [6, 5], 'int32');
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const predicted = vb.argMax(model.predict(x) as vb.Tensor, -1).dataSync();
    const truth = tags(0).dataSync();
    let right = 0;
    let count = 0;
    IDS.flat().forEach((id, i) => {
      if (id === 0) return;
      count++;
      if (predicted[i] === truth[i]) right++;
    });
    const [, accuracy] = scalars(model.evaluate(x, tags(0), { batchSize: 4 }));
    assert.equal(accuracy, f(right / count));
    assert.deepEqual(scalars(model.evaluate(x, tags(2), { batchSize: 4 })), scalars(model.evaluate(x, tags(0), { batchSize: 4 })), 'padding tags change nothing');
  });

  it('a mask that is not of the loss values\' shape is an error naming it (Keras would broadcast it against the wrong axis)', async () => {
    /** Passes the mask on and drops the last axis: [batch, time] values, whose loss is one per example. */
    class SqueezeLast extends vb.layers.Layer {
      static className = 'SqueezeLast';
      constructor(args: { name?: string } = {}) {
        super(args);
        this.supportsMasking = true;
      }
      override computeOutputShape(shape: (number | null)[]) { return shape.slice(0, -1); }
      override call(x: vb.Tensor | vb.Tensor[]) { return vb.squeeze(x as vb.Tensor, [-1]); }
    }
    vb.setRandomSeed(50);
    const model = vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 1, maskZero: true }), new SqueezeLast({ name: 'squeeze_last' })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await assert.rejects(model.fit(vb.tensor([[1, 0, 0, 0], [2, 3, 0, 0]], [2, 4], 'int32'), vb.zeros([2, 4]), { verbose: 0 }),
      /^ValueError: loss meanSquaredError of output squeeze_last: Expected the output's mask of the shape of its values \[2\] \(one per example and step\)\. Received: mask\.shape=\[2, 4\]$/);
  });

  it('a training step that fails on a bad label leaves nothing allocated: masked outputs, classWeight, several outputs, fit and trainOnBatch', async () => {
    vb.setRandomSeed(51);
    const x = vb.tensor(IDS, [6, 5], 'int32');
    const bad = tags(0).arraySync() as number[][];
    bad[0]![4] = 7; // a padded step's tag: a masked loss still needs valid targets
    const badTags = vb.tensor(bad, [6, 5], 'float32');
    const masked = tagger();
    masked.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const ids = L.input({ shape: [5], dtype: 'int32' });
    const pooled = L.globalAveragePooling1d().apply(L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(ids) as vb.layers.SymbolicTensor) as vb.layers.SymbolicTensor;
    const outputs = [L.dense({ units: 2 }).apply(pooled), L.dense({ units: 3, activation: 'softmax' }).apply(pooled)] as vb.layers.SymbolicTensor[];
    const twoOutputs = vb.model({ inputs: ids, outputs });
    twoOutputs.compile({ optimizer: 'adam', loss: ['meanSquaredError', 'sparseCategoricalCrossentropy'] });
    const good2 = [vb.zeros([6, 2]), vb.tensor([0, 1, 2, 0, 1, 2], [6], 'float32')];
    const bad2 = [good2[0]!, vb.tensor([0, 1, 5, 0, 1, 2], [6], 'float32')];
    const classes = vb.sequential({ layers: [L.dense({ units: 3, activation: 'softmax', inputShape: [2] })] });
    classes.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const points = vb.ones([4, 2]);
    const labels = vb.tensor([0, 1, 2, 1], [4], 'float32');
    const badLabels = vb.tensor([0, 1, 3, 1], [4], 'float32');
    // A first step makes the optimizers' slots.
    await masked.trainOnBatch(x, tags(0));
    await twoOutputs.trainOnBatch(x, good2);
    await classes.fit(points, labels, { verbose: 0, classWeight: { 0: 2 } });
    const failures: [string, () => Promise<unknown>][] = [
      ['masked tagger, trainOnBatch', () => masked.trainOnBatch(x, badTags)],
      ['masked tagger, fit', () => masked.fit(x, badTags, { batchSize: 4, verbose: 0 })],
      ['second of two outputs', () => twoOutputs.trainOnBatch(x, bad2)],
      ['classWeight', () => classes.fit(points, badLabels, { verbose: 0, classWeight: { 0: 2 } })],
    ];
    for (const [name, fails] of failures) {
      const before = vb.memory().numTensors;
      await assert.rejects(fails(), /Expected integer labels/, name);
      assert.equal(vb.memory().numTensors, before, `${name}: tensors left allocated`);
    }
  });

  it('dataParallel refuses a model whose output carries a mask, saying why', async () => {
    vb.setRandomSeed(49);
    const model = tagger();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await assert.rejects(model.fit(vb.tensor(IDS, [6, 5], 'int32'), tags(0), { epochs: 1, batchSize: 4, verbose: 0, dataParallel: { workers: 1, microBatch: 2, inProcess: true } }),
      /^ValueError: fit: Expected model outputs without masks with dataParallel \(the mean over a batch's unmasked entries is not split into micro-batch shares\); train it without dataParallel\. Received: output="time_distributed(_\d+)?", mask\.shape=\[2, 5\]$/);
  });
});
