/**
 * Saving and loading in TF.js 4.22's format: verbatim -> verbatim bit for bit (and training on),
 * verbatim -> TF.js and TF.js -> verbatim within float tolerance, with TF.js itself as the oracle.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { setKeyName } from '../src/layers/layer.js';
import { forEachBackend } from './helpers/backends.js';
import { assertClose } from './helpers/close.js';

const L = vb.layers;
const bits = (t: vb.Tensor | vb.Tensor[]) => (Array.isArray(t) ? t : [t]).map((x) => [...new Uint32Array((x.dataSync() as Float32Array).slice().buffer)]);
const capture = async (save: (h: vb.IOHandler) => Promise<unknown>) => {
  let artifacts: vb.ModelArtifacts | undefined;
  await save(vb.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts!;
};
const tfCapture = async (model: tf.LayersModel) => {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return artifacts!;
};

/** Every weight set to seeded values away from the initializers (moving variances positive). */
function randomizeWeights(model: vb.LayersModel, seed: number): void {
  const rng = vb.random.generator(seed);
  model.setWeights(model.weights.map((w) => (w.name.endsWith('moving_variance') ? vb.add(vb.abs(rng.normal([...w.shape])), 0.5) : rng.normal([...w.shape], 0, 0.5))));
}

interface Case { name: string; build: (name: string) => vb.LayersModel; inputs: { shape: number[]; ints?: number }[] }

const CASES: Case[] = [
  { name: 'dense + dropout', inputs: [{ shape: [5, 4] }], build: (name) => vb.sequential({ name, layers: [L.dense({ units: 6, inputShape: [4], activation: 'relu' }), L.dropout({ rate: 0.3 }), L.dense({ units: 2, activation: 'softmax' })] }) },
  { name: 'conv2d + pooling', inputs: [{ shape: [2, 6, 6, 2] }], build: (name) => vb.sequential({ name, layers: [L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 2] }), L.maxPooling2d({ poolSize: 2 }), L.averagePooling2d({ poolSize: 3 }), L.flatten(), L.dense({ units: 2 })] }) },
  { name: 'batchNormalization (moving statistics)', inputs: [{ shape: [4, 3] }], build: (name) => vb.sequential({ name, layers: [L.dense({ units: 5, inputShape: [3] }), L.batchNormalization(), L.dense({ units: 1 })] }) },
  { name: 'embedding + lstm', inputs: [{ shape: [3, 5], ints: 7 }], build: (name) => vb.sequential({ name, layers: [L.embedding({ inputDim: 7, outputDim: 4, inputLength: 5 }), L.lstm({ units: 3 }), L.dense({ units: 1 })] }) },
  { name: 'gru (resetAfter false) + simpleRNN', inputs: [{ shape: [2, 4, 3] }], build: (name) => vb.sequential({ name, layers: [L.gru({ units: 3, returnSequences: true, resetAfter: false, inputShape: [4, 3] }), L.simpleRNN({ units: 2 })] }) },
  { name: 'bidirectional lstm + timeDistributed', inputs: [{ shape: [2, 4, 3] }], build: (name) => vb.sequential({ name, layers: [L.bidirectional({ layer: L.lstm({ units: 2, returnSequences: true }), inputShape: [4, 3] }), L.timeDistributed({ layer: L.dense({ units: 2 }) }), L.globalAveragePooling1d()] }) },
  {
    name: 'functional: two inputs, two outputs, merges, a nested model', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    build: (name) => {
      const inner = vb.sequential({ name: `${name}_inner`, layers: [L.dense({ units: 3, inputShape: [4], name: 'inner_dense' })] });
      const a = vb.input({ shape: [4], name: 'a' });
      const b = vb.input({ shape: [4], name: 'b' });
      const sum = L.add().apply([a, b]);
      const both = L.concatenate().apply([L.dense({ units: 2, activation: 'tanh' }).apply(sum), inner.apply(a) as vb.layers.SymbolicTensor]);
      return vb.model({ name, inputs: [a, b], outputs: [L.dense({ units: 1 }).apply(both), L.multiply().apply([a, b])] });
    },
  },
  {
    name: 'functional: an lstm\'s returnState (several outputs of one layer)', inputs: [{ shape: [2, 3, 2] }],
    build: (name) => {
      const a = vb.input({ shape: [3, 2] });
      const [sequence, h, c] = L.lstm({ units: 3, returnState: true }).apply(a) as unknown as vb.SymbolicTensor[];
      return vb.model({ name, inputs: a, outputs: [L.dense({ units: 1 }).apply(L.concatenate().apply([sequence!, h!, c!])), c!] });
    },
  },
  // An explicit InputLayer first (TF.js refuses an InputLayer config with both input_shape and batch_input_shape).
  { name: 'inputLayer (int32) + embedding', inputs: [{ shape: [3, 5], ints: 7 }], build: (name) => vb.sequential({ name, layers: [L.inputLayer({ inputShape: [5], dtype: 'int32' }), L.embedding({ inputDim: 7, outputDim: 2 }), L.flatten(), L.dense({ units: 2 })] }) },
];

function inputsFor(c: Case, seed: number): vb.Tensor[] {
  const rng = vb.random.generator(seed);
  return c.inputs.map(({ shape, ints }) => (ints ? rng.integers(shape, 0, ints) : rng.normal(shape)));
}

let counter = 0;
const fresh = (base: string) => `io_${base.replace(/\W+/g, '_')}_${counter++}`;

forEachBackend('save and load: verbatim -> verbatim', () => {
  for (const c of CASES) {
    it(`${c.name}: predicts the same bits after a round trip through memory`, async () => {
      const model = c.build(fresh(c.name));
      randomizeWeights(model, 1);
      const x = inputsFor(c, 2);
      const loaded = await vb.loadLayersModel(vb.io.fromMemory(await capture((h) => model.save(h))));
      assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
      assert.deepEqual(loaded.weights.map((w) => w.name.split('/').slice(1).join('/')), model.weights.map((w) => w.name.split('/').slice(1).join('/')));
      model.dispose();
      loaded.dispose();
    });
  }

  it('keeps training to the same weights as the model never saved (dropout keys included)', async () => {
    const c = CASES[0]!;
    const name = fresh('train');
    const x = vb.random.generator(3).normal([16, 4]);
    const y = vb.oneHot(vb.random.generator(4).integers([16], 0, 2), 2);
    const train = async (m: vb.LayersModel) => {
      m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
      await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: true, verbose: 0 });
      return m.getWeightValues().map((v) => [...new Uint32Array(v.slice().buffer)]);
    };
    const original = c.build(name);
    const artifacts = await capture((h) => original.save(h));
    const expected = await train(original);
    original.dispose();
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    assert.equal(loaded.name, name);
    assert.deepEqual(await train(loaded), expected);
    loaded.dispose();
  });
});

describe('save and load: randomness after loading', () => {
  it('an auto-named model keeps its dropout keys: its name counted since the seed is saved with it', async () => {
    const build = () => vb.sequential({ layers: [L.dense({ units: 6, inputShape: [4] }), L.dropout({ rate: 0.5 }), L.dense({ units: 2 })] });
    const x = vb.random.generator(3).normal([16, 4]);
    const y = vb.random.generator(4).normal([16, 2]);
    const train = async (m: vb.LayersModel) => {
      m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      return m.getWeightValues().map((v) => [...new Uint32Array(v.slice().buffer)]);
    };
    const earlier = build(); // takes the unique name, so the next model's name differs from its key name
    vb.setRandomSeed(77);
    const original = build();
    assert.notEqual(original.name, 'sequential');
    const artifacts = await capture((h) => original.save(h));
    const expected = await train(original);
    original.dispose();
    // As in a fresh process: nothing remembers which key name the original's name had.
    setKeyName(original.name, original.name);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    assert.deepEqual(await train(loaded), expected);
    loaded.dispose();
    earlier.dispose();
  });
});

describe('save and load: names after loading', () => {
  it('a model made after loading one gets a free name and the initial weights it gets without the load', async () => {
    const build = () => vb.sequential({ layers: [L.dense({ units: 3, inputShape: [2] })] });
    const values = (m: vb.LayersModel) => m.getWeightValues().map((v) => [...new Uint32Array(v.slice().buffer)]);
    vb.setRandomSeed(91);
    const reference = build();
    const expected = values(reference);
    reference.dispose();
    vb.setRandomSeed(91);
    const probe = build();
    const artifacts = await capture((h) => probe.save(h));
    // A file saved (by another process) under the name the count hands out next here.
    const nextName = probe.name.replace(/^sequential(_(\d+))?$/, (_, __, n) => `sequential_${Number(n ?? 0) + 1}`);
    (artifacts.modelTopology as { config: { name: string } }).config.name = nextName;
    probe.dispose();
    vb.setRandomSeed(91);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    assert.equal(loaded.name, nextName);
    const next = build();
    assert.notEqual(next.name, loaded.name);
    assert.deepEqual(values(next), expected);
    loaded.dispose();
    next.dispose();
  });
});

describe('save and load: files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verbatim-io-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("file:// writes model.json and weights.bin (no temporary files left) that verbatim and TF.js load", async () => {
    const c = CASES[1]!;
    const model = c.build(fresh('file'));
    randomizeWeights(model, 5);
    const result = await model.save(`file://${join(dir, 'm')}`);
    assert.equal(result.modelArtifactsInfo.modelTopologyType, 'JSON');
    assert.deepEqual(readdirSync(join(dir, 'm')).sort(), ['model.json', 'weights.bin']);
    const x = inputsFor(c, 6);
    const loaded = await vb.loadLayersModel(`file://${join(dir, 'm')}`);
    assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
    const json = JSON.parse(readFileSync(join(dir, 'm', 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
    const bin = readFileSync(join(dir, 'm', 'weights.bin'));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
    assertClose((model.predict(x) as vb.Tensor).dataSync(), (theirs.predict(tf.tensor(x[0]!.dataSync() as Float32Array, [...x[0]!.shape])) as tf.Tensor).dataSync(), 'TF.js on the files');
    model.dispose();
    loaded.dispose();
  });

  it('file:// onto a path that is a file is an error naming the path, not a bare EEXIST', async () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    const m = vb.sequential({ layers: [L.dense({ units: 1, inputShape: [2] })] });
    await assert.rejects(m.save(`file://${file}`), new RegExp(`Expected a directory to save into, or a path where one can be made\\. Received: path="${file}", error="EEXIST`));
    await assert.rejects(m.save(`file://${file}/model`), /Expected a directory to save into.*error="ENOTDIR/);
    m.dispose();
  });

  it('save and load options: a misspelt one is an error naming it; trainableOnly saves the trainable weights (TF.js)', async () => {
    const m = vb.sequential({ name: fresh('options'), layers: [L.dense({ units: 2, inputShape: [3] }), L.batchNormalization()] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    // Before: accepted, and the optimizer silently not saved.
    await assert.rejects(m.save(`file://${join(dir, 'options')}`, { includeOptimzer: true } as never), /\.save: Expected options among includeOptimizer, trainableOnly\. Received: includeOptimzer=true/);
    const artifacts = await capture((h) => m.save(h, { trainableOnly: true }));
    // Before: every weight, the moving statistics included.
    assert.deepEqual(artifacts.weightSpecs!.map((w) => w.name), ['dense/kernel', 'dense/bias', 'batch_normalization/gamma', 'batch_normalization/beta']);
    const full = await capture((h) => m.save(h));
    await assert.rejects(vb.loadLayersModel(vb.io.fromMemory(full), { strcit: false } as never), /loadLayersModel: Expected options among strict, requestInit, fetchFunc, weightPathPrefix, onProgress\. Received: strcit=false/);
    await assert.rejects(vb.loadLayersModel(vb.io.fromMemory(full), { fromTFHub: true } as never), /Received: fromTFHub=true/);
    // TF.js's progress callback (common in browser code, it changes no number) is taken: called with 1 once loaded.
    await assert.rejects(vb.loadLayersModel(vb.io.fromMemory(full), { onProgress: 3 } as never), /loadLayersModel: Expected onProgress to be a function\. Received: onProgress=3/);
    const progress: number[] = [];
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts), { strict: false, onProgress: (f) => progress.push(f) });
    assert.deepEqual(progress, [1]);
    assert.deepEqual(loaded.weights.slice(0, 4).map((w) => [...w.dataSync()]), m.weights.slice(0, 4).map((w) => [...w.dataSync()]));
    m.dispose();
    loaded.dispose();
  });

  it('a save that fails writing model.json leaves the model saved there before, and no temporary file', async () => {
    const c = CASES[0]!;
    const saved = c.build(fresh('kept'));
    randomizeWeights(saved, 31);
    const target = join(dir, 'kept');
    await saved.save(`file://${target}`);
    // model.json's temporary name leads nowhere: its write fails (as on a full disk) after weights.bin's succeeded.
    symlinkSync(join(dir, 'no-such-directory', 'model.json'), join(target, `model.json.${process.pid}.tmp`));
    const other = c.build(fresh('other'));
    randomizeWeights(other, 32);
    await assert.rejects(other.save(`file://${target}`), /Expected to write model\.json and weights\.bin in the directory\. Received: path=".*kept", error="ENOENT/);
    // Before: weights.bin already held the other model's weights, under the first model's model.json.
    assert.deepEqual(readdirSync(target).sort(), ['model.json', 'weights.bin']);
    const x = inputsFor(c, 33);
    const loaded = await vb.loadLayersModel(`file://${target}`);
    assert.deepEqual(bits(loaded.predict(x)), bits(saved.predict(x)));
    for (const m of [saved, other, loaded]) m.dispose();
  });

  it('localstorage:// uses TF.js\'s keys; listModels and removeModel see it; indexeddb:// and downloads say they need a browser', async () => {
    const store = new Map<string, string>();
    const shim = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k), key: (i: number) => [...store.keys()][i] ?? null, get length() { return store.size; } };
    (globalThis as { localStorage?: unknown }).localStorage = shim;
    try {
      const model = CASES[0]!.build(fresh('ls'));
      await model.save('localstorage://my/model');
      assert.ok(store.has('tensorflowjs_models/my/model/weight_data'));
      assert.deepEqual(Object.keys(await vb.io.listModels()), ['localstorage://my/model']);
      const x = inputsFor(CASES[0]!, 1);
      const loaded = await vb.loadLayersModel('localstorage://my/model');
      assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
      await vb.io.removeModel('localstorage://my/model');
      assert.equal(store.size, 0);
      model.dispose();
      loaded.dispose();
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
    const model = CASES[0]!.build(fresh('browser'));
    await assert.rejects(model.save('indexeddb://m'), /Expected a browser with IndexedDB/);
    await assert.rejects(model.save('localstorage://m'), /Expected a browser with localStorage/);
    await assert.rejects(model.save(vb.io.browserDownloads()), /Expected a browser/);
    await assert.rejects(model.save('ftp://example.com/m'), /Expected a handler or a URL starting with file:\/\/, localstorage:\/\/, indexeddb:\/\/, http\(s\):\/\/ or downloads:\/\//);
    await assert.rejects(model.save('file:///tmp/x', { includeOptimizer: true }), /Expected a compiled model to save with includeOptimizer/);
    await assert.rejects(vb.sequential({ layers: [L.dense({ units: 1 })] }).save('file:///tmp/x'), /Expected a built model/);
    model.dispose();
  });

  it('io.getModelArtifactsInfoForJSON counts as TF.js does (UTF-8 bytes: it counted UTF-16 units)', async () => {
    const model = vb.sequential({ name: fresh('modèle_ü'), layers: [L.dense({ units: 2, inputShape: [3], name: 'dënse_β' })] });
    const artifacts = await capture((h) => model.save(h));
    const { dateSaved, ...ours } = vb.io.getModelArtifactsInfoForJSON(artifacts);
    const { dateSaved: _theirDate, ...theirs } = tf.io.getModelArtifactsInfoForJSON(artifacts as tf.io.ModelArtifacts);
    assert.ok(dateSaved instanceof Date);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.modelTopologyBytes! > JSON.stringify(artifacts.modelTopology).length, 'non-ASCII names take more bytes than characters');
    // Bad artifacts are errors naming them (a TypeError from inside, or 2 bytes counted for a binary topology).
    assert.throws(() => vb.io.getModelArtifactsInfoForJSON(undefined as never), /^ValueError: io\.getModelArtifactsInfoForJSON: Expected model artifacts .*Received: artifacts=undefined$/);
    assert.throws(() => vb.io.getModelArtifactsInfoForJSON({ ...artifacts, modelTopology: new ArrayBuffer(4) as never }), /io\.getModelArtifactsInfoForJSON: Expected a JSON modelTopology\. Received: modelTopology="ArrayBuffer"$/);
    model.dispose();
  });

  it('downloads://prefix saves as TF.js does, by io.browserDownloads(prefix): prefix.json and prefix.weights.bin, which io.browserFiles loads', async () => {
    // A stand-in for the page: anchors record their download name and blob when clicked.
    const clicked: { download: string; blob: Blob }[] = [];
    const blobs = new Map<string, Blob>();
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (blob: Blob) => {
      const href = `blob:test/${blobs.size}`;
      blobs.set(href, blob);
      return href;
    };
    const document = { createElement: () => ({ href: '', download: '', click(this: { href: string; download: string }) { clicked.push({ download: this.download, blob: blobs.get(this.href)! }); } }) };
    (globalThis as { document?: unknown }).document = document;
    const model = CASES[0]!.build(fresh('downloads'));
    try {
      await model.save('downloads://my-model');
      await model.save('downloads://');
    } finally {
      URL.createObjectURL = createObjectURL;
      delete (globalThis as { document?: unknown }).document;
    }
    assert.deepEqual(clicked.map((c) => c.download), ['my-model.json', 'my-model.weights.bin', 'model.json', 'model.weights.bin']);
    const files = clicked.slice(0, 2).map((c) => new File([c.blob], c.download));
    const loaded = await vb.loadLayersModel(vb.io.browserFiles(files));
    const x = inputsFor(CASES[0]!, 1);
    assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
    await assert.rejects(vb.loadLayersModel('downloads://my-model'), /Expected a handler or a URL starting with file:\/\/, localstorage:\/\/, indexeddb:\/\/ or http\(s\):\/\//);
    model.dispose();
    loaded.dispose();
  });

  it('indexeddb:// in TF.js\'s database layout (an in-memory IndexedDB stands in for the browser\'s)', async () => {
    const stores = new Map<string, Map<string, unknown>>();
    const request = <T>(fn: () => T) => {
      const r: { result?: T; error?: unknown; onsuccess: (() => void) | null; onerror: (() => void) | null } = { onsuccess: null, onerror: null };
      queueMicrotask(() => {
        r.result = structuredClone(fn());
        r.onsuccess?.();
      });
      return r;
    };
    const db = {
      objectStoreNames: { contains: (n: string) => stores.has(n) },
      createObjectStore: (n: string) => void stores.set(n, new Map()),
      transaction: () => ({
        objectStore: (n: string) => ({
          put: (v: { modelPath: string }) => request(() => void stores.get(n)!.set(v.modelPath, structuredClone(v))),
          get: (k: string) => request(() => stores.get(n)!.get(k)),
          delete: (k: string) => request(() => void stores.get(n)!.delete(k)),
          getAll: () => request(() => [...stores.get(n)!.values()]),
        }),
      }),
      close: () => undefined,
    };
    (globalThis as { indexedDB?: unknown }).indexedDB = {
      open: (name: string) => {
        assert.equal(name, 'tensorflowjs');
        const r = { result: db, onsuccess: null as (() => void) | null, onerror: null, onupgradeneeded: null as (() => void) | null };
        queueMicrotask(() => {
          r.onupgradeneeded?.();
          r.onsuccess?.();
        });
        return r;
      },
    };
    try {
      const model = CASES[2]!.build(fresh('idb'));
      randomizeWeights(model, 31);
      await model.save('indexeddb://models/a');
      assert.deepEqual([...stores.keys()].sort(), ['model_info_store', 'models_store']);
      assert.deepEqual(Object.keys(await vb.io.listModels()), ['indexeddb://models/a']);
      const x = inputsFor(CASES[2]!, 32);
      const loaded = await vb.loadLayersModel('indexeddb://models/a');
      assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
      await vb.io.removeModel('indexeddb://models/a');
      assert.deepEqual(await vb.io.listModels(), {});
      await assert.rejects(vb.loadLayersModel('indexeddb://models/a'), /Expected a model saved at this path/);
      model.dispose();
      loaded.dispose();
    } finally {
      delete (globalThis as { indexedDB?: unknown }).indexedDB;
    }
  });

  it('browserFiles loads a model.json and its weight file given as Files', async () => {
    const model = CASES[0]!.build(fresh('files'));
    const a = await capture((h) => model.save(h));
    const json = JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] });
    const loaded = await vb.loadLayersModel(vb.io.browserFiles([new File([json], 'model.json'), new File([a.weightData as ArrayBuffer], 'w.bin')]));
    const x = inputsFor(CASES[0]!, 1);
    assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
    model.dispose();
    loaded.dispose();
  });

});

describe('save and load: TF.js 4.22 as the oracle', () => {
  for (const c of CASES) {
    it(`${c.name}: saved by verbatim, TF.js loads it and predicts the same`, async () => {
      const model = c.build(fresh(c.name));
      randomizeWeights(model, 7);
      const artifacts = await capture((h) => model.save(h));
      const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      const x = inputsFor(c, 8);
      const ours = model.predict(x);
      const expected = theirs.predict(x.map((t) => tf.tensor(t.dataSync() as Float32Array, [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32')));
      const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
      list(ours).forEach((o, i) => assertClose(o.dataSync(), list(expected)[i]!.dataSync(), `${c.name} output ${i}`));
      model.dispose();
      theirs.dispose();
    });
  }

  const TF_CASES: { name: string; build: () => tf.LayersModel; inputs: { shape: number[]; ints?: number }[] }[] = [
    { name: 'dense (glorotNormal, l2, dropout)', inputs: [{ shape: [4, 3] }], build: () => tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }), tf.layers.dropout({ rate: 0.2 }), tf.layers.dense({ units: 2, activation: 'sigmoid' })] }) },
    { name: 'conv2d + maxPooling2d + batchNormalization', inputs: [{ shape: [2, 6, 6, 1] }], build: () => tf.sequential({ layers: [tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1], activation: 'relu' }), tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.batchNormalization(), tf.layers.flatten(), tf.layers.dense({ units: 3, activation: 'softmax' })] }) },
    { name: 'embedding + lstm (TF.js\'s hard_sigmoid)', inputs: [{ shape: [3, 5], ints: 9 }], build: () => tf.sequential({ layers: [tf.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 5 }), tf.layers.lstm({ units: 4 }), tf.layers.dense({ units: 1 })] }) },
    { name: 'gru + simpleRNN', inputs: [{ shape: [2, 4, 3] }], build: () => tf.sequential({ layers: [tf.layers.gru({ units: 3, returnSequences: true, inputShape: [4, 3] }), tf.layers.simpleRNN({ units: 2 })] }) },
    { name: 'bidirectional lstm', inputs: [{ shape: [2, 4, 3] }], build: () => tf.sequential({ layers: [tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }) as tf.layers.RNN, inputShape: [4, 3] })] }) },
    {
      name: 'functional: two inputs, two outputs, merges, a nested model', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
      build: () => {
        const inner = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
        const a = tf.input({ shape: [4] });
        const b = tf.input({ shape: [4] });
        const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
        const both = tf.layers.concatenate().apply([tf.layers.dense({ units: 2 }).apply(sum) as tf.SymbolicTensor, inner.apply(a) as tf.SymbolicTensor]) as tf.SymbolicTensor;
        return tf.model({ inputs: [a, b], outputs: [tf.layers.dense({ units: 1 }).apply(both) as tf.SymbolicTensor, tf.layers.multiply().apply([a, b]) as tf.SymbolicTensor] });
      },
    },
  ];
  for (const c of TF_CASES) {
    it(`${c.name}: saved by TF.js, verbatim loads it and predicts the same`, async () => {
      const theirs = c.build();
      // Moving statistics away from their initial values, so that loading them matters.
      theirs.setWeights(theirs.getWeights().map((w, i) => tf.add(tf.abs(tf.randomNormal(w.shape, 0, 0.5, 'float32', i)), w.shape.length === 1 ? 0.5 : -0.2)));
      const artifacts = await tfCapture(theirs);
      const model = await vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts));
      const rng = vb.random.generator(9);
      const x = c.inputs.map(({ shape, ints }) => (ints ? rng.integers(shape, 0, ints) : rng.normal(shape)));
      const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
      const expected = list(theirs.predict(x.map((t) => tf.tensor(t.dataSync() as Float32Array, [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32'))));
      list(model.predict(x)).forEach((o, i) => assertClose(o.dataSync(), expected[i]!.dataSync(), `${c.name} output ${i}`));
      model.dispose();
      theirs.dispose();
    });
  }
});

describe('save and load: layer names across nested models', () => {
  it('a nested model and the outer one both with a layer named dense: renamed in the file (dense_2) so TF.js can load it', async () => {
    const base = vb.sequential({ name: fresh('base'), layers: [L.dense({ units: 3, inputShape: [2], activation: 'relu' }), L.dense({ units: 3 })] });
    const outer = vb.sequential({ name: fresh('transfer'), layers: [base, L.dense({ units: 1 })] });
    randomizeWeights(outer, 21);
    const artifacts = await capture((h) => outer.save(h));
    assert.deepEqual(artifacts.weightSpecs!.map((w) => w.name), ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias']);
    const x = vb.random.generator(22).normal([3, 2]);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    assert.deepEqual(bits(loaded.predict(x)), bits(outer.predict(x)));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assertClose(outer.predict(x).dataSync(), (theirs.predict(tf.tensor(x.dataSync() as Float32Array, [3, 2])) as tf.Tensor).dataSync(), 'TF.js');
    outer.dispose();
    loaded.dispose();
    theirs.dispose();
  });

  it('timeDistributed of a model whose layer is named as an outer one (dense): saved under its layers\' file names, loaded by verbatim and TF.js, and TF.js\'s file loaded by verbatim', async () => {
    const step = vb.sequential({ name: fresh('step'), layers: [L.dense({ name: 'dense', units: 3, inputShape: [4], activation: 'relu' }), L.dense({ name: 'out', units: 2 })] });
    const outer = vb.sequential({ name: fresh('per_step'), layers: [L.dense({ name: 'dense', units: 4, inputShape: [3, 4] }), L.timeDistributed({ layer: step })] });
    randomizeWeights(outer, 23);
    const artifacts = await capture((h) => outer.save(h));
    // It was refused: the model's weights all named time_distributed/ (their names cut by the wrapper's path).
    assert.deepEqual(artifacts.weightSpecs!.map((w) => w.name), ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias', 'out/kernel', 'out/bias']);
    const x = vb.random.generator(24).normal([2, 3, 4]);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    assert.deepEqual(bits(loaded.predict(x)), bits(outer.predict(x)));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assertClose(outer.predict(x).dataSync(), (theirs.predict(tf.tensor(x.dataSync() as Float32Array, [2, 3, 4])) as tf.Tensor).dataSync(), 'TF.js');
    const fromTf = await vb.loadLayersModel(vb.io.fromMemory(await tfCapture(theirs) as vb.ModelArtifacts));
    assert.deepEqual(bits(fromTf.predict(x)), bits(outer.predict(x)));
    for (const m of [outer, loaded, fromTf]) m.dispose();
    theirs.dispose();
  });

  it('a layer renamed in the file loads under its own name again, and its dropout keeps its keys', async () => {
    const encoder = vb.sequential({ name: fresh('encoder'), layers: [L.dense({ units: 6, inputShape: [4] }), L.dropout({ rate: 0.5 })] });
    const a = vb.input({ shape: [4] });
    const hidden = L.dropout({ rate: 0.5 }).apply(L.dense({ units: 6 }).apply(encoder.apply(a) as vb.SymbolicTensor));
    const original = vb.model({ name: fresh('renamed'), inputs: a, outputs: L.dense({ units: 2 }).apply(hidden) });
    const artifacts = await capture((h) => original.save(h));
    assert.deepEqual((artifacts.modelTopology as { config: { layers: { name: string }[] } }).config.layers.map((l) => l.name), ['input_layer', encoder.name, 'dense_1', 'dropout_1', 'dense_1_1']);
    assert.deepEqual(artifacts.userDefinedMetadata, { verbatim: { layerNames: { dense_1: 'dense', dropout_1: 'dropout', dense_1_1: 'dense_1' } } });
    const x = vb.random.generator(3).normal([16, 4]);
    const y = vb.random.generator(4).normal([16, 2]);
    const train = async (m: vb.LayersModel) => {
      m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
      return m.getWeightValues().map((v) => [...new Uint32Array(v.slice().buffer)]);
    };
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    // Before: the loaded model's dropout was dropout_1, keyed by that name: other masks, other weights.
    assert.deepEqual(loaded.layers.map((l) => l.name), original.layers.map((l) => l.name));
    assert.deepEqual(await train(loaded), await train(original));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    assert.deepEqual(theirs.layers.map((l) => l.name), ['input_layer', encoder.name, 'dense_1', 'dropout_1', 'dense_1_1'], 'TF.js keeps the file\'s names');
    for (const m of [original, loaded]) m.dispose();
    theirs.dispose();
  });
});

describe('toJSON, modelFromJSON, registerClass', () => {
  it('toJSON gives the model.json topology; modelFromJSON rebuilds the architecture', async () => {
    const model = CASES[6]!.build(fresh('json'));
    const json = model.toJSON() as string;
    assert.equal(JSON.parse(json).class_name, 'Model');
    assert.equal((model.toJSON(null, false) as { keras_version: string }).keras_version, 'tfjs-layers 4.22.0');
    const names = (m: vb.LayersModel) => m.weights.map((w) => `${w.name.split('/').slice(1).join('/')} ${JSON.stringify(w.shape)}`);
    const expected = names(model);
    model.dispose();
    const copy = await vb.models.modelFromJSON(JSON.parse(json));
    assert.deepEqual(names(copy), expected);
    copy.dispose();
  });

  it('a custom layer registered by its static className saves and loads', async () => {
    class Scale extends vb.layers.Layer {
      static className = 'Scale';
      readonly factor: number;
      constructor(args: { factor?: number; name?: string } = {}) {
        super(args);
        this.factor = args.factor ?? 2;
      }
      override call(x: vb.Tensor | vb.Tensor[]) { return vb.mul(x as vb.Tensor, this.factor); }
      override getConfig() { return { ...super.getConfig(), factor: this.factor }; }
    }
    const model = vb.sequential({ name: fresh('custom'), layers: [L.dense({ units: 2, inputShape: [3] }), new Scale({ factor: 3 })] });
    const artifacts = await capture((h) => model.save(h));
    await assert.rejects(vb.loadLayersModel(vb.io.fromMemory(artifacts)), /Expected a known layer class .*class_name="Scale"/);
    vb.serialization.registerClass(Scale);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts));
    const x = vb.ones([1, 3]);
    assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
    // NaN and Infinity in a config: JSON would hold null (a Scale of factor null, or of 2 by default, once loaded): refused, nothing written.
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-nonfinite-'));
    try {
      for (const factor of [Number.NaN, -Infinity]) {
        const odd = vb.sequential({ name: fresh('nonfinite'), layers: [L.dense({ units: 2, inputShape: [3] }), new Scale({ factor, name: 'odd' })] });
        await assert.rejects(odd.save(`file://${dir}`), new RegExp(`model\\.save: Expected finite numbers in layer configs \\(JSON has no NaN or Infinity: the file would hold null\\)\\. Received: layer odd\\.factor=${String(factor)}`));
        odd.dispose();
      }
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    model.dispose();
    loaded.dispose();
  });
});

describe('save and load: every built-in layer', () => {
  const GROUPS: [string, number[], () => vb.layers.Layer[]][] = [
    ['conv1d, pooling 1-D', [5, 3], () => [L.conv1d({ filters: 2, kernelSize: 2 }), L.maxPooling1d(), L.globalMaxPooling1d()]],
    ['depthwise, separable, transposed convolutions and spatial layers', [6, 6, 2], () => [L.depthwiseConv2d({ kernelSize: 2 }), L.separableConv2d({ filters: 2, kernelSize: 2 }), L.conv2dTranspose({ filters: 2, kernelSize: 2 }), L.upSampling2d(), L.cropping2d({ cropping: 1 }), L.zeroPadding2d(), L.spatialDropout2d({ rate: 0.1 }), L.globalAveragePooling2d()]],
    ['normalization, noise and plumbing', [4, 3], () => [L.layerNormalization(), L.gaussianNoise({ stddev: 1 }), L.gaussianDropout({ rate: 0.1 }), L.alphaDropout({ rate: 0.1 }), L.permute({ dims: [2, 1] }), L.spatialDropout1d({ rate: 0.1 }), L.flatten(), L.repeatVector({ n: 2 }), L.averagePooling1d(), L.globalAveragePooling1d(), L.activation({ activation: 'hardSigmoid' })]],
    ['multiHeadAttention, leakyRelu, a regularizer', [4, 4], () => [L.multiHeadAttention({ numHeads: 2, keyDim: 2 }), L.dense({ units: 2, activation: 'leakyRelu', kernelRegularizer: 'l2' })]],
    ['preprocessing and augmentation', [8, 8, 3], () => [L.rescaling({ scale: 2 }), L.centerCrop({ height: 6, width: 6 }), L.resizing({ height: 4, width: 4 }), L.randomFlip(), L.randomRotation({ factor: 0.1 }), L.randomContrast({ factor: 0.1 }), L.randomCrop({ height: 3, width: 3 }), L.randomZoom({ heightFactor: 0.1 }), L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }), L.flatten(), L.dense({ units: 2 })]],
    ['gru (resetAfter), reshape, timeDistributed, bidirectional sum', [3, 2], () => [L.gru({ units: 2 }), L.reshape({ targetShape: [2, 1] }), L.timeDistributed({ layer: L.dense({ units: 2 }) }), L.bidirectional({ layer: L.gru({ units: 2 }), mergeMode: 'sum' })]],
  ];
  for (const [title, shape, layers] of GROUPS) {
    it(`${title}: the same bits after a round trip`, async () => {
      const model = vb.sequential({ name: fresh(title), layers: [L.inputLayer({ inputShape: shape }), ...layers()] });
      randomizeWeights(model, 11);
      const artifacts = await capture((h) => model.save(h));
      const loaded = await vb.loadLayersModel(vb.io.fromMemory({ ...artifacts, modelTopology: JSON.parse(JSON.stringify(artifacts.modelTopology)) }));
      const x = vb.random.generator(12).normal([2, ...shape]);
      assert.deepEqual(bits(loaded.predict(x)), bits(model.predict(x)));
      // The same layers and configs (the InputLayer, kept, has no config of its own to compare).
      const configs = (m: vb.LayersModel) => m.layers.filter((l) => l.className !== 'InputLayer').map((l) => [l.className, l.getConfig()]);
      assert.deepEqual(configs(loaded), configs(model));
      model.dispose();
      loaded.dispose();
    });
  }
});

describe('save and load: TF.js -> verbatim -> TF.js, more layers', () => {
  const T = tf.layers;
  const MORE: [string, { shape: number[]; ints?: number }[], () => tf.LayersModel][] = [
    ['embedding without inputLength (unknown sequence length) + gru + elu', [{ shape: [3, 5], ints: 9 }], () => tf.sequential({ layers: [T.embedding({ inputDim: 9, outputDim: 3, inputShape: [null] as unknown as number[] }), T.gru({ units: 2 }), T.dense({ units: 2, activation: 'elu' })] })],
    ['conv1d (same, selu), pooling 1-D, repeatVector, permute', [{ shape: [2, 8, 3] }], () => tf.sequential({ layers: [T.conv1d({ filters: 2, kernelSize: 3, inputShape: [8, 3], padding: 'same', activation: 'selu' }), T.maxPooling1d({ poolSize: 2 }), T.averagePooling1d({ poolSize: 2 }), T.globalMaxPooling1d(), T.repeatVector({ n: 2 }), T.permute({ dims: [2, 1] }), T.flatten()] })],
    ['depthwise, separable (softplus), transposed, upSampling, padding, cropping, pooling 2-D', [{ shape: [2, 6, 6, 2] }], () => tf.sequential({ layers: [T.depthwiseConv2d({ kernelSize: 3, inputShape: [6, 6, 2], depthMultiplier: 2 }), T.separableConv2d({ filters: 3, kernelSize: 2, activation: 'softplus' }), T.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }), T.upSampling2d({ size: [2, 2] }), T.zeroPadding2d({ padding: 1 }), T.cropping2D({ cropping: [[1, 2], [0, 1]] }), T.averagePooling2d({ poolSize: 2, padding: 'same' }), T.globalMaxPooling2d({})] })],
    ['channelsFirst conv2d and pooling, flatten (channelsFirst: channels-last order) into dense', [{ shape: [2, 2, 5, 4] }], () => tf.sequential({ layers: [T.conv2d({ filters: 3, kernelSize: 2, inputShape: [2, 5, 4], dataFormat: 'channelsFirst' }), T.maxPooling2d({ poolSize: 2, dataFormat: 'channelsFirst' }), T.flatten({ dataFormat: 'channelsFirst' }), T.dense({ units: 2 })] })],
    ['layerNormalization, timeDistributed (softsign), activation, softmax without bias', [{ shape: [2, 4, 3] }], () => tf.sequential({ layers: [T.layerNormalization({ inputShape: [4, 3] }), T.timeDistributed({ layer: T.dense({ units: 2, activation: 'softsign' }) }), T.activation({ activation: 'tanh' }), T.reshape({ targetShape: [8] }), T.dense({ units: 3, activation: 'softmax', useBias: false })] })],
    ['lstm goBackwards, simpleRNN relu, hardSigmoid dense', [{ shape: [2, 4, 3] }], () => tf.sequential({ layers: [T.lstm({ units: 3, returnSequences: true, inputShape: [4, 3], goBackwards: true }), T.simpleRNN({ units: 2, activation: 'relu' }), T.dense({ units: 1, activation: 'hardSigmoid' })] })],
    ['bidirectional merge modes ave and mul', [{ shape: [2, 4, 3] }], () => tf.sequential({ layers: [T.bidirectional({ layer: T.gru({ units: 2, returnSequences: true }) as tf.layers.RNN, mergeMode: 'ave', inputShape: [4, 3] }), T.bidirectional({ layer: T.simpleRNN({ units: 2 }) as tf.layers.RNN, mergeMode: 'mul' })] })],
    ['functional: int32 input, embedding maskZero, masked lstm and gru, two outputs', [{ shape: [3, 5], ints: 3 }], () => {
      const a = tf.input({ shape: [5], dtype: 'int32' });
      const sequence = T.lstm({ units: 2, returnSequences: true }).apply(T.embedding({ inputDim: 3, outputDim: 3, maskZero: true }).apply(a)) as tf.SymbolicTensor;
      const last = T.gru({ units: 2 }).apply(sequence) as tf.SymbolicTensor;
      return tf.model({ inputs: a, outputs: [last, T.dense({ units: 2 }).apply(T.simpleRNN({ units: 2 }).apply(sequence)) as tf.SymbolicTensor] });
    }],
    ['functional: a nested functional model applied twice, maximum, minimum, average, dot', [{ shape: [2, 4] }, { shape: [2, 4] }], () => {
      const ia = tf.input({ shape: [4] });
      const inner = tf.model({ inputs: ia, outputs: T.dense({ units: 4 }).apply(ia) as tf.SymbolicTensor });
      const a = tf.input({ shape: [4] });
      const b = tf.input({ shape: [4] });
      const s = (l: tf.layers.Layer, inputs: tf.SymbolicTensor[]) => l.apply(inputs) as tf.SymbolicTensor;
      const av = s(T.average(), [s(T.add(), [a, b]), s(T.maximum(), [inner.apply(a) as tf.SymbolicTensor, b]), s(T.minimum(), [a, b])]);
      return tf.model({ inputs: [a, b], outputs: [s(T.concatenate({ axis: -1 }), [av, s(T.dot({ axes: 1 }), [av, a])]), inner.apply(b) as tf.SymbolicTensor] });
    }],
  ];
  const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
  for (const [name, inputs, build] of MORE) {
    it(`${name}: verbatim predicts as TF.js, and TF.js loads verbatim's save of it`, async () => {
      const theirs = build();
      theirs.setWeights(theirs.getWeights().map((w, i) => tf.add(tf.abs(tf.randomNormal(w.shape, 0, 0.5, 'float32', i)), 0.1)));
      const model = await vb.loadLayersModel(vb.io.fromMemory((await tfCapture(theirs)) as vb.ModelArtifacts));
      const rng = vb.random.generator(13);
      const x = inputs.map(({ shape, ints }) => (ints ? rng.integers(shape, 0, ints) : rng.normal(shape)));
      const tx = () => x.map((t) => tf.tensor(t.dataSync() as Float32Array, [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32'));
      const ours = list(model.predict(x));
      const expected = list(theirs.predict(tx()));
      ours.forEach((o, i) => assertClose(o.dataSync(), expected[i]!.dataSync(), `${name}: TF.js's model in verbatim, output ${i}`));
      const back = await tf.loadLayersModel(tf.io.fromMemory((await capture((h) => model.save(h))) as tf.io.ModelArtifacts));
      const again = list(back.predict(tx()));
      ours.forEach((o, i) => assertClose(o.dataSync(), again[i]!.dataSync(), `${name}: verbatim's save in TF.js, output ${i}`));
      model.dispose();
      theirs.dispose();
      back.dispose();
    });
  }
});
