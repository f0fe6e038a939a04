/**
 * fitDataset's batchesPerEpoch and validationBatches against TF.js 4.22: the same model, weights
 * and batches must end with the same weights and validation losses (so the same batches were
 * used, in the same order); running out of data warns in TF.js's words and stops; infinite
 * datasets without a bound are errors instead of hangs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose } from './helpers/close.js';
import { rng } from './helpers/data.js';

const FEATURES = 3;
const BATCH = 4;

/** Batch i of a fixed stream: inputs from a seeded generator, targets a linear function of them. */
function batchValues(i: number): { xs: number[][]; ys: number[][] } {
  const next = rng(100 + i);
  const xs = Array.from({ length: BATCH }, () => Array.from({ length: FEATURES }, () => Math.fround(next() * 2 - 1)));
  return { xs, ys: xs.map((row) => [Math.fround(row[0]! - 2 * row[1]! + 0.5 * row[2]!)]) };
}

interface Models {
  ours: vb.LayersModel;
  theirs: tf.LayersModel;
}

function models(): Models {
  vb.setRandomSeed(7);
  const ours = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [FEATURES] })] });
  ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [FEATURES] })] });
  theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync() as Float32Array, [...w.shape])));
  theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  return { ours, theirs };
}

/** `count` batches as a dataset of each library, counting the batches drawn. */
function streams(count: number | undefined) {
  const drawn = { ours: 0, theirs: 0 };
  const ours = vb.data.generator(function* g() {
    for (let i = 0; count === undefined || i < count; i++) {
      drawn.ours++;
      const { xs, ys } = batchValues(i);
      yield { xs: vb.tensor(xs), ys: vb.tensor(ys) };
    }
  });
  const theirs = tf.data.generator(function* g() {
    for (let i = 0; count === undefined || i < count; i++) {
      drawn.theirs++;
      const { xs, ys } = batchValues(i);
      yield { xs: tf.tensor(xs), ys: tf.tensor(ys) };
    }
  });
  return { ours, theirs, drawn };
}

function assertSameWeights({ ours, theirs }: Models, label: string): void {
  const mine = ours.getWeights();
  theirs.getWeights().forEach((w, i) => assertClose(mine[i]!.dataSync(), w.dataSync(), `${label}: weight ${i}`));
}

async function quietly<T>(run: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => { warnings.push(args.join(' ')); };
  try {
    return { result: await run(), warnings };
  } finally {
    console.warn = original;
  }
}

describe('fitDataset with batchesPerEpoch and validationBatches (TF.js as oracle)', () => {
  it('batchesPerEpoch draws the next batches from one iterator across epochs', async () => {
    const m = models();
    const data = streams(10);
    const steps: number[] = [];
    const history = await m.ours.fitDataset(data.ours, { epochs: 3, batchesPerEpoch: 2, verbose: 0, callbacks: { onBatchEnd: async (b: number) => { steps.push(b); } } });
    await m.theirs.fitDataset(data.theirs, { epochs: 3, batchesPerEpoch: 2, verbose: 0 });
    assert.deepEqual(history.epoch, [0, 1, 2]);
    assert.deepEqual(steps, [0, 1, 0, 1, 0, 1]);
    assert.equal(data.drawn.ours, 6, 'batches 0-5: epoch 2 goes on where epoch 1 stopped');
    assert.equal(data.drawn.ours, data.drawn.theirs);
    assertSameWeights(m, 'after 3 x 2 batches');
  });

  it('an infinite dataset trains with batchesPerEpoch, and without it is an error (not a hang)', async () => {
    const m = models();
    const ours = vb.data.array([0, 1, 2, 3].map((i) => i)).map((i) => {
      const { xs, ys } = batchValues(i as number);
      return { xs: vb.tensor(xs), ys: vb.tensor(ys) };
    }).repeat();
    assert.equal(ours.size, Infinity);
    await assert.rejects(m.ours.fitDataset(ours, { epochs: 1, verbose: 0 }),
      /fitDataset: Expected batchesPerEpoch with an infinite dataset \(an epoch would never end\)\. Received: dataset\.size=Infinity/);
    const theirs = tf.data.array([0, 1, 2, 3]).map((i) => {
      const { xs, ys } = batchValues(i as number);
      return { xs: tf.tensor(xs), ys: tf.tensor(ys) };
    }).repeat();
    await m.ours.fitDataset(ours, { epochs: 2, batchesPerEpoch: 3, verbose: 0 });
    await m.theirs.fitDataset(theirs, { epochs: 2, batchesPerEpoch: 3, verbose: 0 });
    assertSameWeights(m, 'six batches of the repeated four');
  });

  it('running out of data part way warns as TF.js and stops training after that epoch', async () => {
    const m = models();
    const data = streams(5);
    const { result: history, warnings } = await quietly(() => m.ours.fitDataset(data.ours, { epochs: 4, batchesPerEpoch: 2, verbose: 0 }));
    await quietly(() => m.theirs.fitDataset(data.theirs, { epochs: 4, batchesPerEpoch: 2, verbose: 0 }));
    assert.deepEqual(history.epoch, [0, 1, 2], 'the short epoch 2 is recorded, then training stops');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^fitDataset: You provided `batchesPerEpoch` as 2, but your dataset iterator ran out of data after 1 batches; interrupting training\. Make sure that your dataset can generate at least `batchesPerEpoch \* epochs` batches \(in this case, 8 batches\)\. You may need to use the repeat\(\) function/);
    assertSameWeights(m, 'the five batches there were');
  });

  it('running out at an epoch boundary records no empty epoch', async () => {
    const m = models();
    const data = streams(4);
    const { result: history, warnings } = await quietly(() => m.ours.fitDataset(data.ours, { epochs: 3, batchesPerEpoch: 2, verbose: 0 }));
    assert.deepEqual(history.epoch, [0, 1]);
    assert.deepEqual(history.history.loss!.length, 2);
    assert.match(warnings[0]!, /ran out of data after 0 batches/);
  });

  it('validationBatches: each validation runs on the first validationBatches batches of a new pass', async () => {
    const m = models();
    const train = streams(3);
    const validation = streams(undefined);
    const history = await m.ours.fitDataset(train.ours, { epochs: 2, verbose: 0, validationData: validation.ours, validationBatches: 2 });
    const logs: number[] = [];
    await m.theirs.fitDataset(train.theirs, { epochs: 2, verbose: 0, validationData: validation.theirs, validationBatches: 2,
      callbacks: { onEpochEnd: async (_e, l) => { logs.push(l!.val_loss as number); } } });
    assertClose(history.history.val_loss!, logs, 'val_loss per epoch');
    assert.equal(validation.drawn.ours, 4, 'two batches per validation');
    assertSameWeights(m, 'after two epochs');
  });

  it('each epoch validates on a new pass: a reshuffling validation dataset in a new order, the same on every run', async () => {
    const runs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      vb.setRandomSeed(7);
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [FEATURES] })] });
      model.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
      const rows = Array.from({ length: 8 }, (_, i) => ({ xs: batchValues(i).xs[0]!, ys: [i] }));
      const validation = vb.data.array(rows).shuffle(8, { seed: 2 }).batch(2);
      const history = await model.fitDataset(streams(1).ours, { epochs: 3, verbose: 0, validationData: validation, validationBatches: 1 });
      runs.push(history.history.val_loss!);
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.equal(new Set(runs[0]).size, 3, 'the weights do not move (learning rate 0), the first validation batch does');
  });

  it('an infinite validation dataset needs validationBatches: an error before training, never a hang', async () => {
    const m = models();
    const validation = vb.data.array([0, 1]).map((i) => {
      const { xs, ys } = batchValues(i as number);
      return { xs: vb.tensor(xs), ys: vb.tensor(ys) };
    }).repeat();
    const before = m.ours.getWeights()[0]!.dataSync().slice();
    await assert.rejects(m.ours.fitDataset(streams(2).ours, { epochs: 1, verbose: 0, validationData: validation }),
      /fitDataset: Expected validationBatches with an infinite validationData \(an evaluation would never end\)\. Received: validationData\.size=Infinity/);
    assert.deepEqual(m.ours.getWeights()[0]!.dataSync(), before, 'no step was taken');
    const history = await m.ours.fitDataset(streams(2).ours, { epochs: 1, verbose: 0, validationData: validation, validationBatches: 3 });
    assert.equal(history.history.val_loss!.length, 1);
  });

  it('a validation dataset shorter than validationBatches warns and validates on what there is', async () => {
    const m = models();
    const { result: history, warnings } = await quietly(() => m.ours.fitDataset(streams(1).ours, { epochs: 1, verbose: 0, validationData: streams(2).ours, validationBatches: 5 }));
    assert.equal(history.history.val_loss!.length, 1);
    assert.match(warnings[0]!, /^fitDataset: validationData ran out of data after 2 batches \(validationBatches=5\); evaluating on those/);
  });

  it('evaluateDataset: all batches, or the first `batches` (TF.js as oracle)', async () => {
    const m = models();
    m.ours.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
    m.theirs.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
    for (const batches of [undefined, 2]) {
      const data = streams(3);
      const ours = await m.ours.evaluateDataset(data.ours, batches === undefined ? {} : { batches }) as vb.Tensor[];
      const theirs = await m.theirs.evaluateDataset(data.theirs as never, batches === undefined ? {} : { batches }) as tf.Scalar[];
      assertClose(ours.map((t) => t.dataSync()[0]!), theirs.map((t) => t.dataSync()[0]!), `loss and mae, batches=${batches}`);
      assert.equal(data.drawn.ours, batches ?? 3);
    }
    const infinite = vb.data.array([0]).map(() => ({ xs: vb.ones([2, FEATURES]), ys: vb.ones([2, 1]) })).repeat();
    await assert.rejects(m.ours.evaluateDataset(infinite), /evaluateDataset: Expected batches with an infinite dataset \(an evaluation would never end\)\. Received: dataset\.size=Infinity/);
    const loss = await m.ours.evaluateDataset(infinite, { batches: 3 }) as vb.Tensor[];
    assert.equal(loss.length, 2);
    await assert.rejects(m.ours.evaluateDataset(infinite, { batches: 0 }), /evaluateDataset: Expected batches to be a positive integer\. Received: batches=0/);
  });

  it('training and evaluating on the first batches of shuffled datasets leaves no tensors behind', async () => {
    vb.setRandomSeed(3);
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [FEATURES] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const batches = Array.from({ length: 6 }, (_, i) => batchValues(i));
    const items = batches.flatMap(({ xs, ys }) => xs.map((x, k) => ({ xs: vb.tensor(x), ys: vb.tensor(ys[k]!) })));
    const rows = vb.data.array(items);
    const shuffled = () => rows.shuffle(16, { seed: 1 }).batch(BATCH);
    await model.fitDataset(shuffled(), { epochs: 1, verbose: 0 }); // builds the optimizer's state
    const before = vb.memory();
    await model.fitDataset(shuffled().repeat(), { epochs: 2, batchesPerEpoch: 2, verbose: 0, validationData: shuffled(), validationBatches: 1 });
    vb.dispose(await model.evaluateDataset(shuffled(), { batches: 1 }));
    const after = vb.memory();
    assert.equal(after.numTensors + after.numLeaked, before.numTensors + before.numLeaked);
    model.dispose();
    vb.dispose(items.flatMap(({ xs, ys }) => [xs, ys]));
  });

  it('an empty dataset is an error (as Keras), not an epoch with loss 0', async () => {
    const { ours } = models();
    const empty = () => vb.data.array([{ xs: [0, 0, 0], ys: [0] }]).filter(() => false).batch(BATCH);
    await assert.rejects(ours.fitDataset(empty(), { epochs: 2, verbose: 0 }),
      /fitDataset: Expected a dataset with at least one batch in each epoch\. Received: dataset="a dataset of 0 batches in epoch 1"/);
    await assert.rejects(ours.evaluateDataset(empty()), /evaluateDataset: Expected dataset with at least one batch \(nothing evaluated has no loss\)\. Received: dataset="a dataset of 0 batches"/);
    const data = streams(2);
    await assert.rejects(ours.fitDataset(data.ours, { epochs: 1, verbose: 0, validationData: empty() }), /fitDataset: Expected validationData with at least one batch/);
  });

  it('a dataset of single examples (no .batch(n)) is an error saying so, in fit, validation and evaluation, and leaks nothing', async () => {
    const rows = () => vb.data.array(batchValues(0).xs.map((x, k) => ({ xs: x, ys: batchValues(0).ys[k]! })));
    const unbatched = () => rows().map(({ xs, ys }) => ({ xs: vb.tensor(xs), ys: vb.tensor(ys) }));
    const batchedThenBad = () => vb.data.generator(function* batchThenExample() {
      yield { xs: vb.ones([2, FEATURES]), ys: vb.ones([2, 1]) };
      yield { xs: vb.ones([FEATURES]), ys: vb.ones([1]) };
    });
    const built = models().ours;
    vb.setRandomSeed(7);
    const unbuilt = vb.sequential({ layers: [vb.layers.dense({ units: 1 })] });
    unbuilt.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const hint = /Expected a dataset of batches \(call \.batch\(n\) on it\)/;
    await built.evaluateDataset(rows().batch(BATCH)).then(vb.dispose); // the model's state before counting
    const before = vb.memory().numTensors;
    await assert.rejects(built.fitDataset(unbatched(), { verbose: 0 }),
      /fitDataset: Expected a dataset of batches \(call \.batch\(n\) on it\): x of shape \[null,3\] \(the model's input shape, batch first\)\. Received: x\.shape=\[3\], y\.shape=\[1\]/);
    await assert.rejects(built.evaluateDataset(unbatched()), /evaluateDataset: Expected a dataset of batches \(call \.batch\(n\) on it\): x of shape \[null,3\]/);
    await assert.rejects(built.fitDataset(rows().batch(BATCH), { verbose: 0, validationData: unbatched() }), /fitDataset: Expected a dataset of batches/);
    await assert.rejects(unbuilt.fitDataset(unbatched(), { verbose: 0 }),
      /fitDataset: Expected a dataset of batches \(call \.batch\(n\) on it\), x and y with the same number of examples \(first dimension\)\. Received: x\.shape=\[3\], y\.shape=\[1\]/);
    await assert.rejects(unbuilt.evaluateDataset(unbatched()), hint);
    // A bad element after a good batch: the batch evaluation had read is freed too.
    await assert.rejects(built.evaluateDataset(batchedThenBad()), hint);
    assert.equal(vb.memory().numTensors, before, 'no tensor of the failing passes is left');
    built.dispose();
    unbuilt.dispose();
  });

  it('a bad batch of a validation dataset is an error naming validationData, not the training data\'s x and y', async () => {
    const { ours } = models();
    const batches = (bad: 'nan' | 'single' | 'number' | undefined) => vb.data.array([0, 1, 2, 3]).map((i): vb.data.Element => {
      if (bad === 'number') return i;
      const xs = vb.tensor([i, bad === 'nan' && i === 2 ? NaN : 1, 0]);
      return bad === 'single' ? { xs, ys: vb.tensor([i]) } : { xs: xs.reshape([1, FEATURES]), ys: vb.tensor([[i]]) };
    });
    const before = vb.memory().numTensors;
    await assert.rejects(ours.fitDataset(batches(undefined), { verbose: 0, validationData: batches('nan') }),
      /fitDataset: Expected finite values in validationData\.xs\. Received: validationData\.xs\[0\]\[1\]=NaN/);
    await assert.rejects(ours.fitDataset(batches(undefined), { verbose: 0, validationData: batches('single') }),
      /fitDataset: Expected a dataset of batches \(call \.batch\(n\) on it\): validationData\.xs of shape \[null,3\] .*Received: validationData\.xs\.shape=\[3\], validationData\.ys\.shape=\[1\]/);
    await assert.rejects(ours.fitDataset(batches(undefined), { verbose: 0, validationData: batches('number') }),
      /fitDataset: Expected dataset elements \[x, y\] or \{xs, ys\} of batched tensors\. Received: validationData element="number"/);
    // The training data's own batches keep the names x and y.
    await assert.rejects(ours.fitDataset(batches('nan'), { verbose: 0 }), /fitDataset: Expected finite values in x\. Received: x\[0\]\[1\]=NaN/);
    assert.equal(vb.memory().numTensors, before, 'no tensor of the failing passes is left');
    ours.dispose();
  });

  it('elements of numbers and arrays (single examples, not batched) are an error that says to batch them', async () => {
    const { ours } = models();
    const batched = vb.data.array([{ xs: vb.tensor([[1, 2, 3]]), ys: vb.tensor([[1]]) }]);
    const xOnly = vb.data.array([[vb.tensor([[1, 2, 3]]), 1]]);
    const before = vb.memory().numTensors;
    await assert.rejects(ours.fitDataset(vb.data.array([{ xs: [1, 2, 3], ys: [1] }]), { verbose: 0 }),
      /fitDataset: Expected dataset elements \[x, y\] or \{xs, ys\} of batched tensors \(call \.batch\(n\) on a dataset of single examples\)\. Received: element\.xs="an array of 3 numbers", element\.ys="an array of 1 number"$/);
    await assert.rejects(ours.fitDataset(xOnly, { verbose: 0 }),
      /of batched tensors \(call \.batch\(n\) on a dataset of single examples\)\. Received: element\[1\]="a number"$/);
    await assert.rejects(ours.fitDataset(batched, { verbose: 0, validationData: vb.data.array([{ xs: [1, 2, 3], ys: [1] }]) }),
      /Received: validationData element\.xs="an array of 3 numbers", validationData element\.ys="an array of 1 number"$/);
    assert.equal(vb.memory().numTensors, before);
    ours.dispose();
  });

  it('bad batchesPerEpoch and validationBatches are errors naming them', async () => {
    const m = models();
    await assert.rejects(m.ours.fitDataset(streams(2).ours, { batchesPerEpoch: 0, verbose: 0 }), /fitDataset: Expected batchesPerEpoch to be a positive integer\. Received: batchesPerEpoch=0/);
    await assert.rejects(m.ours.fitDataset(streams(2).ours, { validationData: streams(1).ours, validationBatches: 1.5, verbose: 0 }),
      /fitDataset: Expected validationBatches to be a positive integer\. Received: validationBatches=1\.5/);
    await assert.rejects(m.ours.fitDataset(streams(2).ours, { validationBatches: 2, verbose: 0 }),
      /fitDataset: Expected validationBatches only with a dataset as validationData\. Received: validationBatches=2/);
    await assert.rejects(m.ours.fit(vb.ones([4, FEATURES]), vb.ones([4, 1]), { validationSplit: 0.5, validationBatches: 1, verbose: 0 }),
      /fit: Expected validationBatches only with a dataset as validationData/);
    // validationSplit with a dataset trained without validating, silently (TF.js ignores it; Keras refuses it).
    const refused = /fitDataset: Expected no validationSplit with a dataset \(it can only split tensors: give validationData, as in Keras\)\. Received: validationSplit=0\.5/;
    await assert.rejects(m.ours.fitDataset(streams(2).ours, { validationSplit: 0.5, verbose: 0 }), refused);
    await assert.rejects(m.ours.fit(streams(2).ours, undefined, { validationSplit: 0.5, verbose: 0 }), refused);
    const h = await m.ours.fitDataset(streams(2).ours, { validationSplit: 0, epochs: 1, verbose: 0 });
    assert.deepEqual(h.epoch, [0], 'validationSplit 0 (no split) is accepted');
  });

  it('a CSV file trains through the tfjs-examples pipeline (rows -> arrays -> batches), the same on every run', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-fit-csv-'));
    try {
      const path = join(dir, 'train.csv');
      const rows = Array.from({ length: 40 }, (_, i) => batchValues(i).xs[0]!).map((x) => [...x, x[0]! - 2 * x[1]! + 0.5 * x[2]!]);
      writeFileSync(path, 'a,b,c,target\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
      const runs: Float32Array[][] = [];
      for (let run = 0; run < 2; run++) {
        const { ours } = models();
        const ds = vb.data.csv(path, { columnConfigs: { target: { isLabel: true } } })
          .map((e) => {
            const { xs, ys } = e as { xs: Record<string, number>; ys: Record<string, number> };
            return { xs: Object.values(xs), ys: Object.values(ys) };
          })
          .shuffle(16, { seed: 3 })
          .batch(8);
        const history = await ours.fitDataset(ds, { epochs: 3, verbose: 0 });
        assert.ok(history.history.loss![2]! < history.history.loss![0]!, 'the loss goes down');
        runs.push(ours.getWeights().map((w) => w.dataSync() as Float32Array));
      }
      assert.deepEqual(runs[0], runs[1], 'bit for bit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
