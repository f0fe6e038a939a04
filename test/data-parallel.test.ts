/**
 * fit's dataParallel {workers, microBatch}: for a given micro-batch size, the final weights, the
 * history and every epoch's digest are bit-identical for 1 to 4 worker threads and in-process, on
 * every backend; with one micro-batch per batch they are plain fit's; with several they differ
 * from plain fit only by the summation order (checked against the documented formula composed
 * from public ops, and close to plain fit, Dropout included since its masks are the batch's).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { addShares, combineNodes, treeNodes, treeSum, type ShareSum } from '../src/models/micro-batch.js';
import { forEachBackend } from './helpers/backends.js';
import { assertClose } from './helpers/close.js';
import { runNode } from './helpers/process.js';

type DataParallel = { workers: number; microBatch: number; inProcess?: boolean };

function data(n = 40) {
  const rng = vb.random.generator(1);
  const x = rng.normal([n, 6]);
  const y = vb.tidy(() => vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32'));
  return { x, y };
}

function makeModel(dropout: boolean, extra: vb.layers.Layer[] = []): vb.LayersModel {
  vb.setRandomSeed(3);
  const m = vb.sequential({
    name: 'dp',
    layers: [
      vb.layers.dense({ units: 8, activation: 'relu', inputShape: [6] }),
      ...(dropout ? [vb.layers.dropout({ rate: 0.3 })] : []),
      ...extra,
      vb.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

interface Outcome {
  digest: string;
  epochDigests: string[];
  history: Record<string, number[]>;
  weights: Float32Array[];
}

/** Three epochs of batches of 16 (the last of 8): with microBatch 3, 6 and 3 micro-batches, the last smaller. */
async function train(dropout: boolean, dataParallel?: DataParallel, args: vb.FitArgs = {}): Promise<Outcome> {
  const m = makeModel(dropout);
  const { x, y } = data();
  const epochDigests: string[] = [];
  try {
    const history = await m.fit(x, y, {
      epochs: 3, batchSize: 16, verbose: 0, callbacks: { onEpochEnd: async () => { epochDigests.push(m.weightsDigest()); } },
      ...(dataParallel ? { dataParallel } : {}), ...args,
    });
    return { digest: m.weightsDigest(), epochDigests, history: history.history as Record<string, number[]>, weights: m.getWeightValues().map((w) => w.slice()) };
  } finally {
    m.dispose();
    x.dispose();
    y.dispose();
  }
}

forEachBackend('data-parallel training', () => {
  for (const dropout of [false, true]) {
    const label = dropout ? 'Dense + Dropout' : 'Dense';

    it(`${label}: weights, history and epoch digests identical for 1-4 worker threads and in-process`, async () => {
      const inProcess = await train(dropout, { workers: 1, microBatch: 3, inProcess: true });
      assert.equal(inProcess.epochDigests.length, 3);
      assert.equal(new Set(inProcess.epochDigests).size, 3);
      for (const workers of [1, 2, 3, 4]) {
        const outcome = await train(dropout, { workers, microBatch: 3 });
        assert.deepEqual(outcome.epochDigests, inProcess.epochDigests, `${workers} workers`);
        assert.deepEqual(outcome.history, inProcess.history, `${workers} workers`);
        assert.equal(outcome.digest, inProcess.digest);
      }
    });

    it(`${label}: one micro-batch per batch is plain fit, bit for bit`, async () => {
      const plain = await train(dropout);
      for (const dataParallel of [{ workers: 2, microBatch: 16 }, { workers: 3, microBatch: 100 }, { workers: 1, microBatch: 16, inProcess: true }]) {
        const outcome = await train(dropout, dataParallel);
        assert.deepEqual(outcome.epochDigests, plain.epochDigests, JSON.stringify(dataParallel));
        assert.deepEqual(outcome.history, plain.history);
      }
    });

    it(`${label}: several micro-batches differ from plain fit only by the summation order`, async () => {
      const plain = await train(dropout);
      const split = await train(dropout, { workers: 2, microBatch: 3 });
      // The test can fail: a tree sum of micro-batch gradients is not the batch's sum over examples.
      assert.notEqual(split.digest, plain.digest);
      // ... but the same computation in exact arithmetic (the same Dropout masks too): the weights stay close.
      split.weights.forEach((w, i) => assertClose(w, plain.weights[i]!, `weight ${i}`, 1e-4, 1e-5));
      assertClose(split.history.loss!, plain.history.loss!, 'loss', 1e-4, 1e-5);
    });
  }

  it('one step is the documented formula: grad of fl(sum of losses / batch size) per micro-batch, summed over the fixed tree', async () => {
    const make = () => {
      vb.setRandomSeed(9);
      const m = vb.sequential({ name: 'formula', layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
      m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      return m;
    };
    const rng = vb.random.generator(4);
    const x = rng.normal([13, 3]);
    const y = rng.normal([13, 1]);
    const fitted = make();
    await fitted.fit(x, y, { epochs: 1, batchSize: 13, shuffle: false, verbose: 0, dataParallel: { workers: 3, microBatch: 2 } });
    const digest = fitted.weightsDigest();
    fitted.dispose();

    // Micro-batches of rows [0, 2), [2, 4), ..., [12, 13), each share's gradient by hand, as float32 values.
    const twin = make();
    const shares = [0, 2, 4, 6, 8, 10, 12].map((start) => vb.tidy(() => {
      const rows = Math.min(2, 13 - start);
      const xs = vb.slice(x, [start], [rows]);
      const ys = vb.slice(y, [start], [rows]);
      const { grads } = vb.variableGrads(() => {
        const perExample = vb.mean(vb.square(vb.sub(twin.apply(xs) as vb.Tensor, ys)), -1);
        return vb.div(vb.sum(perExample), 13);
      }, twin.trainableWeights);
      return twin.trainableWeights.map((v) => grads[v.name]!.dataSync() as Float32Array);
    }));
    twin.dispose();
    const summed = (sum: (g: vb.Tensor[]) => vb.Tensor) => shares[0]!.map((_, i) => vb.tidy(() => sum(shares.map((g) => vb.tensor(g[i]!))).dataSync() as Float32Array));
    // The tree over 7 items: ((g0 + g1) + (g2 + g3)) + ((g4 + g5) + g6).
    const tree = summed(([g0, g1, g2, g3, g4, g5, g6]) => vb.add(vb.add(vb.add(g0!, g1!), vb.add(g2!, g3!)), vb.add(vb.add(g4!, g5!), g6!)));
    const m = make();
    vb.tidy(() => m.optimizer!.applyGradients(Object.fromEntries(m.trainableWeights.map((v, i) => [v.name, vb.tensor(tree[i]!, v.shape)]))));
    assert.equal(m.weightsDigest(), digest);
    m.dispose();
    // Left to right, (((g0 + g1) + g2) + ...) + g6, gives other bits here: the tree is what is specified.
    const leftToRight = summed((g) => g.slice(1).reduce((a, b) => vb.add(a, b), g[0]!));
    assert.notDeepEqual(leftToRight, tree);
    x.dispose();
    y.dispose();
  });

  it('fitDataset takes dataParallel: identical for 1 and 3 workers, one micro-batch per batch is plain fitDataset', async () => {
    const run = async (dataParallel?: DataParallel) => {
      const m = makeModel(true);
      const { x, y } = data();
      const dataset = vb.data.zip([vb.data.fromTensorSlices(x), vb.data.fromTensorSlices(y)]).batch(16);
      await m.fitDataset(dataset, { epochs: 2, verbose: 0, ...(dataParallel ? { dataParallel } : {}) });
      const digest = m.weightsDigest();
      m.dispose();
      return digest;
    };
    const one = await run({ workers: 1, microBatch: 5 });
    assert.equal(await run({ workers: 3, microBatch: 5 }), one);
    assert.notEqual(await run(), one);
    assert.equal(await run({ workers: 2, microBatch: 16 }), await run());
  });

  it('no tensor is left behind by a data-parallel fit', async () => {
    await train(true, { workers: 2, microBatch: 3 });
    const start = vb.memory();
    await train(true, { workers: 2, microBatch: 3 });
    await train(true, { workers: 1, microBatch: 3, inProcess: true });
    // Tensors an earlier test dropped may be collected meanwhile (live -> leaked): count both.
    const end = vb.memory();
    assert.equal(end.numTensors + end.numLeaked, start.numTensors + start.numLeaked);
  });

  it('interrupted mid-epoch and resumed from its backup with another worker count, it ends as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-dp-resume-'));
    try {
      const uninterrupted = await train(true, { workers: 1, microBatch: 3 });
      const backup = () => vb.callbacks.backupAndRestore({ backupDir: dir, saveFreq: 1 });
      let batches = 0;
      const stop = { onBatchEnd: async () => { if (++batches === 5) throw new Error('interrupted'); } };
      await assert.rejects(train(true, { workers: 2, microBatch: 3 }, { callbacks: [backup(), stop] }), /interrupted/);
      let resumedBatches = 0;
      const count = { onBatchEnd: async () => { resumedBatches++; } };
      const resumed = await train(true, { workers: 3, microBatch: 3 }, { callbacks: [backup(), count] });
      // 3 epochs of 3 batches: the interruption in batch 5's onBatchEnd comes before its backup
      // (backups end a batch last), so the 5 after the backup of batch 4 are trained.
      assert.equal(resumedBatches, 5);
      assert.equal(resumed.digest, uninterrupted.digest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two inputs, two outputs with loss weights, an L2 penalty, Dropout: 1 and 3 workers identical; one micro-batch is plain fit', async () => {
    const run = async (dataParallel?: DataParallel) => {
      vb.setRandomSeed(5);
      const a = vb.input({ shape: [4], name: 'a' });
      const b = vb.input({ shape: [3], name: 'b' });
      const ha = vb.layers.dense({ units: 5, activation: 'relu', kernelRegularizer: vb.regularizers.l2({ l2: 0.01 }) }).apply(a) as vb.SymbolicTensor;
      const hb = vb.layers.dense({ units: 5, activation: 'tanh' }).apply(b) as vb.SymbolicTensor;
      const joined = vb.layers.dropout({ rate: 0.25 }).apply(vb.layers.concatenate().apply([ha, hb]) as vb.SymbolicTensor) as vb.SymbolicTensor;
      const out1 = vb.layers.dense({ units: 2, name: 'out1' }).apply(joined) as vb.SymbolicTensor;
      const out2 = vb.layers.dense({ units: 1, activation: 'sigmoid', name: 'out2' }).apply(hb) as vb.SymbolicTensor;
      const m = vb.model({ inputs: [a, b], outputs: [out1, out2], name: 'two' });
      m.compile({ optimizer: 'rmsprop', loss: { out1: 'meanSquaredError', out2: 'binaryCrossentropy' }, lossWeights: { out1: 1, out2: 0.5 }, metrics: { out2: ['accuracy'] } });
      const rng = vb.random.generator(6);
      const [xa, xb, y1] = [rng.normal([30, 4]), rng.normal([30, 3]), rng.normal([30, 2])];
      const y2 = vb.tidy(() => vb.cast(vb.greater(vb.sum(xb, 1, true), 0), 'float32'));
      try {
        const history = await m.fit({ a: xa, b: xb }, { out1: y1, out2: y2 }, { epochs: 2, batchSize: 12, verbose: 0, ...(dataParallel ? { dataParallel } : {}) });
        return { digest: m.weightsDigest(), history: history.history };
      } finally {
        m.dispose();
        vb.dispose([xa, xb, y1, y2]);
      }
    };
    const one = await run({ workers: 1, microBatch: 5 });
    assert.deepEqual(await run({ workers: 3, microBatch: 5 }), one);
    assert.ok('out1_loss' in one.history && 'out2_acc' in one.history, Object.keys(one.history).join(', '));
    const plain = await run();
    assert.notEqual(plain.digest, one.digest);
    assert.deepEqual(await run({ workers: 2, microBatch: 12 }), plain);
  });

  it('noise layers and augmentations draw their batch rows: 1 and 3 workers identical, one micro-batch is plain fit, several close to it', async () => {
    const run = async (dataParallel?: DataParallel) => {
      vb.setRandomSeed(12);
      const L = vb.layers;
      const m = vb.sequential({
        name: 'noisy',
        layers: [
          L.randomFlip({ inputShape: [5, 5, 1] }), L.randomRotation({ factor: 0.1 }), L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }),
          L.randomZoom({ heightFactor: 0.1 }), L.randomContrast({ factor: 0.2 }), L.randomCrop({ height: 4, width: 4 }),
          L.spatialDropout2d({ rate: 0.2 }), L.gaussianNoise({ stddev: 0.1 }), L.flatten(), L.dense({ units: 6, activation: 'selu' }),
          L.alphaDropout({ rate: 0.1 }), L.gaussianDropout({ rate: 0.2 }), L.dense({ units: 1 }),
        ],
      });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = vb.random.uniform(vb.random.key(3), [24, 5, 5, 1]);
      const y = vb.random.normal(vb.random.key(4), [24, 1]);
      try {
        const history = await m.fit(x, y, { epochs: 2, batchSize: 12, verbose: 0, ...(dataParallel ? { dataParallel } : {}) });
        return { digest: m.weightsDigest(), loss: history.history.loss!, weights: m.getWeightValues().map((w) => w.slice()) };
      } finally {
        m.dispose();
        vb.dispose([x, y]);
      }
    };
    const one = await run({ workers: 1, microBatch: 5 });
    assert.deepEqual(await run({ workers: 3, microBatch: 5 }), one);
    const plain = await run();
    assert.deepEqual(await run({ workers: 2, microBatch: 12 }), plain);
    // Several micro-batches: the same noise as plain fit, summed in another order (with noise drawn per micro-batch instead, this fails).
    assert.notEqual(one.digest, plain.digest);
    one.weights.forEach((w, i) => assertClose(w, plain.weights[i]!, `weight ${i}`, 1e-4, 1e-5));
  });

  it('attention, recurrent and time-distributed dropout draw their batch rows: 1 and 3 workers identical, one micro-batch is plain fit, several close to it', async () => {
    const run = async (dataParallel?: DataParallel) => {
      vb.setRandomSeed(13);
      const L = vb.layers;
      const m = vb.sequential({
        name: 'sequences',
        layers: [
          L.timeDistributed({ layer: L.dropout({ rate: 0.2 }), inputShape: [3, 4] }), L.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.2 }),
          L.bidirectional({ layer: L.lstm({ units: 3, dropout: 0.2, recurrentDropout: 0.2 }), mergeMode: 'concat' }), L.dense({ units: 1 }),
        ],
      });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = vb.random.normal(vb.random.key(5), [20, 3, 4]);
      const y = vb.random.normal(vb.random.key(6), [20, 1]);
      try {
        const history = await m.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0, ...(dataParallel ? { dataParallel } : {}) });
        return { digest: m.weightsDigest(), loss: history.history.loss!, weights: m.getWeightValues().map((w) => w.slice()) };
      } finally {
        m.dispose();
        vb.dispose([x, y]);
      }
    };
    const one = await run({ workers: 1, microBatch: 3 });
    assert.deepEqual(await run({ workers: 3, microBatch: 3 }), one);
    const plain = await run();
    assert.deepEqual(await run({ workers: 2, microBatch: 10 }), plain);
    assert.notEqual(one.digest, plain.digest);
    one.weights.forEach((w, i) => assertClose(w, plain.weights[i]!, `weight ${i}`, 1e-4, 1e-5));
  });

  it('a custom layer: workers need a workerModule that registers it; with one, 2 workers are in-process bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vb-dp-module-'));
    const scaleSource = `class Scale extends vb.layers.Layer {
      static className = 'Scale';
      constructor(args = {}) { super(args); this.factor = args.factor ?? 2; }
      call(x) { return vb.mul(x, this.factor); }
      getConfig() { return { ...super.getConfig(), factor: this.factor }; }
    }`;
    const module = join(dir, 'layers.mjs');
    writeFileSync(module, `import * as vb from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};\n${scaleSource}\nvb.serialization.registerClass(Scale);\n`);
    const Scale = new Function('vb', `${scaleSource}; return Scale;`)(vb) as new (args: { factor: number }) => vb.layers.Layer;
    const run = async (dataParallel: DataParallel & { workerModule?: string }) => {
      vb.setRandomSeed(2);
      const m = vb.sequential({ name: 'custom', layers: [vb.layers.dense({ units: 3, inputShape: [6] }), new Scale({ factor: 3 }), vb.layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const { x, y } = data(12);
      try {
        await m.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, dataParallel });
        return m.weightsDigest();
      } finally {
        m.dispose();
        vb.dispose([x, y]);
      }
    };
    try {
      await assert.rejects(run({ workers: 2, microBatch: 2 }), /fit: Expected each data-parallel worker to rebuild the model .*Scale/);
      assert.equal(await run({ workers: 2, microBatch: 2, workerModule: module }), await run({ workers: 1, microBatch: 2, inProcess: true }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('int32 inputs (Embedding): 1 and 2 workers identical', async () => {
    const run = async (workers: number) => {
      vb.setRandomSeed(8);
      const m = vb.sequential({ name: 'emb', layers: [vb.layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 4 }), vb.layers.flatten(), vb.layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = vb.random.randint(vb.random.key(1), [20, 4], 0, 10);
      const y = vb.random.normal(vb.random.key(2), [20, 1]);
      try {
        await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, dataParallel: { workers, microBatch: 3 } });
        return m.weightsDigest();
      } finally {
        m.dispose();
        vb.dispose([x, y]);
      }
    };
    assert.equal(await run(2), await run(1));
  });

  it('classWeight: identical for 1 and 2 workers', async () => {
    const classWeight = { 0: 1, 1: 3 };
    const one = await train(true, { workers: 1, microBatch: 5 }, { classWeight });
    const two = await train(true, { workers: 2, microBatch: 5 }, { classWeight });
    assert.deepEqual(two.epochDigests, one.epochDigests);
    assert.deepEqual(two.history, one.history);
  });
});

it('the tree cut into nodes for any number of workers sums to the same bits as the whole tree', () => {
  const rng = vb.random.generator(21);
  for (let k = 1; k <= 19; k++) {
    const values = Array.from(rng.normal([k, 3]).dataSync() as Float32Array, (v) => Math.fround(v * 1e3));
    const leaf = (j: number): ShareSum => ({ lo: j, hi: j + 1, loss: values[3 * j]!, outputLosses: [values[3 * j + 1]!], grads: [Float32Array.of(values[3 * j + 2]!), null], predictions: [[]], statistics: [] });
    const whole = treeSum(Array.from({ length: k }, (_, j) => leaf(j)), addShares);
    for (let parts = 1; parts <= 6; parts++) {
      const nodes = treeNodes(k, parts);
      // A partition of [0, k) in order, into at least min(k, parts) nodes.
      assert.deepEqual(nodes.flatMap(([lo, hi]) => Array.from({ length: hi - lo }, (_, i) => lo + i)), Array.from({ length: k }, (_, j) => j));
      assert.ok(nodes.length >= Math.min(k, parts), `k=${k} parts=${parts}: ${JSON.stringify(nodes)}`);
      const sums = nodes.map(([lo, hi]) => treeSum(Array.from({ length: hi - lo }, (_, i) => leaf(lo + i)), addShares));
      const combined = combineNodes(k, sums);
      assert.deepEqual([combined.loss, combined.outputLosses, combined.grads, combined.lo, combined.hi], [whole.loss, whole.outputLosses, whole.grads, 0, k], `k=${k} parts=${parts}`);
    }
  }
});

it('bad dataParallel options and unsupported models are errors naming them', async () => {
  const { x, y } = data(8);
  const m = makeModel(false);
  const fit = (dataParallel: unknown) => m.fit(x, y, { verbose: 0, dataParallel: dataParallel as DataParallel });
  await assert.rejects(fit({ workers: 0, microBatch: 2 }), /fit: Expected dataParallel.workers to be an integer from 1 to 64\. Received: dataParallel.workers=0/);
  await assert.rejects(fit({ workers: 200, microBatch: 2 }), /Expected dataParallel.workers to be an integer from 1 to 64\. Received: dataParallel.workers=200/);
  await assert.rejects(fit({ workers: 1.5, microBatch: 2 }), /Expected dataParallel.workers to be an integer from 1 to 64/);
  await assert.rejects(fit({ workers: 2, microBatch: 0 }), /Expected dataParallel.microBatch to be a positive integer\. Received: dataParallel.microBatch=0/);
  await assert.rejects(fit({ workers: 2, microBatch: '4' }), /Expected dataParallel.microBatch to be a positive integer/);
  await assert.rejects(fit({ workers: 2 }), /Expected dataParallel.microBatch/);
  await assert.rejects(fit({ workers: 2, microBatch: 2, threads: 3 }), /Expected dataParallel options among workers, microBatch, inProcess, processes, workerModule, timeout\. Received: dataParallel.threads=3/);
  await assert.rejects(fit({ workers: 2, microBatch: 2, inProcess: 'yes' }), /Expected dataParallel.inProcess to be a boolean/);
  await assert.rejects(fit({ workers: 2, microBatch: 2, workerModule: 7 }), /Expected dataParallel.workerModule to be a module URL or path\. Received: dataParallel.workerModule=7/);
  await assert.rejects(fit(4), /Expected dataParallel to be \{workers, microBatch, inProcess\?, processes\?, workerModule\?, timeout\?\}/);
  for (const timeout of [0, -1, '5', Number.NaN, Number.POSITIVE_INFINITY, 3e6]) {
    await assert.rejects(fit({ workers: 2, microBatch: 2, timeout }), new RegExp(`fit: Expected dataParallel.timeout to be a positive number of seconds, at most 2147483\\. Received: dataParallel.timeout=${typeof timeout === 'string' ? '"5"' : String(timeout)}$`));
  }
  for (const connectTimeout of [0, Number.POSITIVE_INFINITY, 1e10]) {
    await assert.rejects(fit({ workers: 2, microBatch: 2, processes: { connectTimeout } }), new RegExp(`Expected dataParallel.processes.connectTimeout to be a positive number of seconds, at most 2147483\\. Received: dataParallel.processes.connectTimeout=${String(connectTimeout)}$`));
  }
  m.dispose();

  vb.setRandomSeed(3);
  const custom = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [6] })] });
  custom.compile({ optimizer: 'sgd', loss: (yTrue: vb.Tensor, yPred: vb.Tensor) => vb.mean(vb.square(vb.sub(yTrue, yPred)), -1) });
  await assert.rejects(custom.fit(x, y, { verbose: 0, dataParallel: { workers: 2, microBatch: 2 } }), /Expected losses given by name with dataParallel workers .*use dataParallel.inProcess/);
  await custom.fit(x, y, { verbose: 0, dataParallel: { workers: 2, microBatch: 2, inProcess: true } });
  custom.dispose();
});

it('worker threads share the fit\'s kernel threads: 1 worker gets all 4, 2 workers 2 each, 3 workers 1 each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vb-dp-threads-'));
  const threads = vb.getNumThreads();
  const backend = vb.getBackend();
  // The wasm backend has kernel threads (the reference backend has one).
  vb.setBackend('wasm');
  try {
    const log = join(dir, 'threads.log');
    const module = join(dir, 'threads.mjs');
    // Imported by each worker after its setup set the backend's threads.
    writeFileSync(module, `import * as vb from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};\nimport { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(log)}, vb.getNumThreads() + '\\n');\n`);
    vb.setNumThreads(4);
    for (const [workers, each] of [[1, 4], [2, 2], [3, 1]] as const) {
      writeFileSync(log, '');
      const m = makeModel(false);
      const { x, y } = data(12);
      await m.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, dataParallel: { workers, microBatch: 2, workerModule: module } });
      m.dispose();
      vb.dispose([x, y]);
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').map(Number), new Array(workers).fill(each), `${workers} workers`);
    }
  } finally {
    vb.setNumThreads(threads);
    vb.setBackend(backend);
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a script given with node --input-type=module -e trains on worker threads (they do not inherit --input-type)', () => {
  const { stdout, stderr } = runNode(`import * as vb from 'verbatim';
    const digest = async (dataParallel) => {
      vb.setRandomSeed(3);
      const m = vb.sequential({ name: 'eval', layers: [vb.layers.dense({ units: 2, inputShape: [6] }), vb.layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = vb.random.generator(1).normal([16, 6]);
      await m.fit(x, vb.sum(x, 1, true), { epochs: 2, batchSize: 8, verbose: 0, dataParallel });
      const weights = m.weightsDigest();
      m.dispose();
      return weights;
    };
    console.log(await digest({ workers: 2, microBatch: 2 }) === await digest({ workers: 1, microBatch: 2, inProcess: true }));`);
  assert.equal(stdout, 'true\n', stderr);
});
