/**
 * The 3-D layers (Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D and Keras's
 * GlobalAveragePooling3D, GlobalMaxPooling3D, ZeroPadding3D, Cropping3D, UpSampling3D): the layer harness for each (shapes, configs,
 * backends and threads bit for bit, gradients, bad arguments), TF.js as the oracle for outputs
 * and a training step, and model files both ways through real files.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { assertClose } from './helpers/close.js';

const L = vb.layers;
const make = <A>(factory: (args: A) => vb.layers.Layer) => (args: Record<string, unknown>) => factory(args as A);
const toTf = (t: vb.Tensor) => tf.tensor(t.dataSync() as Float32Array, [...t.shape]);

const CASES: LayerTestCase[] = [
  {
    name: 'conv3d', make: make(L.conv3d), args: { filters: 3, kernelSize: [2, 3, 2], padding: 'same', activation: 'tanh' },
    inputShapes: [[2, 4, 5, 3, 2], [1, 3, 3, 3, 2]], outputShapes: [[null, 4, 5, 3, 3], [null, 3, 3, 3, 3]],
    weights: [['kernel', [2, 3, 2, 2, 3]], ['bias', [3]]], smooth: true,
    badArgs: [[{ filters: 0 }, /filters=0/], [{ kernelSize: [3, 3] }, /kernelSize=\[3, 3\]/], [{ padding: 'causal' }, /padding="causal"/], [{ strides: 2, dilationRate: [1, 2, 1] }, /dilationRate/]],
  },
  {
    name: 'conv3d strided valid channelsFirst', make: make(L.conv3d), args: { filters: 2, kernelSize: 2, strides: [1, 2, 2], dataFormat: 'channelsFirst', useBias: false },
    inputShapes: [[2, 3, 4, 5, 5]], outputShapes: [[null, 2, 3, 2, 2]], weights: [['kernel', [2, 2, 2, 3, 2]]], smooth: true,
  },
  {
    name: 'conv3d dilated', make: make(L.conv3d), args: { filters: 2, kernelSize: 2, dilationRate: [2, 1, 2] },
    inputShapes: [[2, 4, 3, 5, 1]], outputShapes: [[null, 2, 2, 3, 2]], weights: [['kernel', [2, 2, 2, 1, 2]], ['bias', [2]]], smooth: true,
  },
  {
    name: 'conv3dTranspose', make: make(L.conv3dTranspose), args: { filters: 2, kernelSize: [2, 3, 3], strides: 2, padding: 'same' },
    inputShapes: [[2, 2, 3, 2, 3]], outputShapes: [[null, 4, 6, 4, 2]], weights: [['kernel', [2, 3, 3, 2, 3]], ['bias', [2]]], smooth: true,
  },
  {
    name: 'maxPooling3d', make: make(L.maxPooling3d), args: { poolSize: 2 }, inputShapes: [[2, 4, 5, 4, 3]], outputShapes: [[null, 2, 2, 2, 3]], weights: [],
    badArgs: [[{ poolSize: [2, 2] }, /poolSize=\[2, 2\]/], [{ strides: 0 }, /strides=0/]],
  },
  {
    name: 'averagePooling3d same channelsFirst', make: make(L.averagePooling3d), args: { poolSize: [2, 3, 2], strides: 2, padding: 'same', dataFormat: 'channelsFirst' },
    inputShapes: [[2, 2, 5, 5, 3]], outputShapes: [[null, 2, 3, 3, 2]], weights: [], smooth: true,
  },
  { name: 'globalAveragePooling3d', make: make(L.globalAveragePooling3d), args: {}, inputShapes: [[2, 3, 2, 4, 5]], outputShapes: [[null, 5]], weights: [], smooth: true },
  {
    name: 'zeroPadding3d', make: make(L.zeroPadding3d), args: { padding: [[1, 0], [0, 2], [1, 1]] }, inputShapes: [[2, 2, 3, 2, 2]], outputShapes: [[null, 3, 5, 4, 2]], weights: [], smooth: true,
    badArgs: [[{ padding: [1, 1] }, /ZeroPadding3D: Expected padding as a non-negative integer, \[depth, height, width\] or \[\[front, back\], \[top, bottom\], \[left, right\]\]. Received: padding=\[1, 1\]/]],
  },
  { name: 'cropping3d channelsFirst', make: make(L.cropping3d), args: { dataFormat: 'channelsFirst' }, inputShapes: [[2, 2, 4, 3, 5]], outputShapes: [[null, 2, 2, 1, 3]], weights: [], smooth: true },
  {
    name: 'upSampling3d', make: make(L.upSampling3d), args: { size: [2, 1, 3] }, inputShapes: [[2, 2, 3, 2, 2]], outputShapes: [[null, 4, 3, 6, 2]], weights: [], smooth: true,
    badArgs: [[{ size: [2, 2] }, /size=\[2, 2\]/], [{ interpolation: 'nearest' }, /interpolation/]],
  },
  { name: 'globalMaxPooling3d keepDims', make: make(L.globalMaxPooling3d), args: { keepDims: true }, inputShapes: [[2, 3, 2, 2, 3]], outputShapes: [[null, 1, 1, 1, 3]], weights: [] },
];

describe('3-D layers: the layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));

  it("zeroPadding3d, cropping3d and upSampling3d move the elements Keras's layers move", () => {
    const x = vb.reshape(vb.range(1, 25), [1, 2, 3, 2, 2]);
    const at = (t: vb.Tensor, [z, y, w, c]: number[]) => { const [, , h, wd, ch] = t.shape as number[]; return t.dataSync()[((z! * h! + y!) * wd! + w!) * ch! + c!]!; };
    const source = (z: number, y: number, w: number, c: number) => 1 + ((z * 3 + y) * 2 + w) * 2 + c;
    const padded = L.zeroPadding3d({ padding: [[1, 0], [0, 2], [1, 1]] }).apply(x) as vb.Tensor;
    const cropped = L.cropping3d({ cropping: [[0, 1], [1, 1], [1, 0]] }).apply(x) as vb.Tensor;
    const repeated = L.upSampling3d({ size: [2, 1, 3] }).apply(x) as vb.Tensor;
    for (let z = 0; z < 3; z++) for (let y = 0; y < 5; y++) for (let w = 0; w < 4; w++) for (let c = 0; c < 2; c++) {
      const inside = z >= 1 && y < 3 && w >= 1 && w < 3;
      assert.equal(at(padded, [z, y, w, c]), inside ? source(z - 1, y, w - 1, c) : 0, `zeroPadding3d at ${[z, y, w, c]}`);
    }
    assert.deepEqual(cropped.shape, [1, 1, 1, 1, 2]);
    assert.deepEqual(Array.from(cropped.dataSync()), [source(0, 1, 1, 0), source(0, 1, 1, 1)]);
    for (let z = 0; z < 4; z++) for (let y = 0; y < 3; y++) for (let w = 0; w < 6; w++) for (let c = 0; c < 2; c++) {
      assert.equal(at(repeated, [z, y, w, c]), source(Math.floor(z / 2), y, Math.floor(w / 3), c), `upSampling3d at ${[z, y, w, c]}`);
    }
    assert.throws(() => L.cropping3d({ cropping: [1, 2, 0] }).apply(x), /Cropping3D \(cropping3d\w*\): Expected cropping smaller than the input/);
  });

  it('a 3-D layer given an image (rank 4) names the rank it expects', () => {
    const x = vb.zeros([2, 4, 4, 3]);
    assert.throws(() => L.conv3d({ filters: 2, kernelSize: 2 }).apply(x), /Conv3D \(conv3d\w*\): Expected inputs of rank 5 with a known channel dimension/);
    assert.throws(() => L.maxPooling3d({}).apply(x), /MaxPooling3D \(max_pooling3d\w*\): Expected inputs of rank 5. Received: inputs.shape=\[2, 4, 4, 3\]/);
  });
});

/**
 * Sequential models of the layers, a flatten and a dense head, in both libraries (TF.js 4.22 has
 * no gradient of conv3dTranspose, so that one compares outputs only: its gradients are checked
 * by finite differences in convolution3d.test.ts; and TF.js's avgPool3d gradient under 'same'
 * divides by the whole window, so the training chain pools 'valid').
 */
const ORACLE: { name: string; ours: () => vb.layers.Layer[]; theirs: () => tf.layers.Layer[]; input: number[]; untrainedInTfjs?: boolean }[] = [
  { name: 'conv3d same relu', ours: () => [L.conv3d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })], theirs: () => [tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })], input: [3, 4, 5, 4, 2] },
  { name: 'conv3d strided valid', ours: () => [L.conv3d({ filters: 2, kernelSize: [2, 3, 2], strides: [2, 1, 2] })], theirs: () => [tf.layers.conv3d({ filters: 2, kernelSize: [2, 3, 2], strides: [2, 1, 2] })], input: [3, 5, 5, 6, 2] },
  { name: 'conv3dTranspose', ours: () => [L.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' })], theirs: () => [tf.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' })], input: [3, 2, 3, 2, 3], untrainedInTfjs: true },
  { name: 'conv3d, maxPooling3d, averagePooling3d', ours: () => [L.conv3d({ filters: 4, kernelSize: 2, activation: 'tanh' }), L.maxPooling3d({ poolSize: 2 }), L.averagePooling3d({ poolSize: [1, 2, 1] })], theirs: () => [tf.layers.conv3d({ filters: 4, kernelSize: 2, activation: 'tanh' }), tf.layers.maxPooling3d({ poolSize: 2 }), tf.layers.averagePooling3d({ poolSize: [1, 2, 1] })], input: [3, 5, 7, 5, 2] },
];

describe('3-D layers against TF.js: same weights, same outputs, one training step', () => {
  before(() => tf.setBackend('cpu'));
  for (const c of ORACLE) {
    it(c.name, async () => {
      vb.setRandomSeed(3);
      const x = vb.random.normal(vb.random.key(1), c.input);
      const ours = vb.sequential({ layers: [...c.ours(), L.flatten(), L.dense({ units: 2 })] });
      const y0 = ours.predict(x) as vb.Tensor;
      const theirs = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: c.input.slice(1) }), ...c.theirs(), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
      theirs.setWeights(ours.getWeights().map(toTf));
      assertClose(y0.dataSync(), (theirs.predict(toTf(x)) as tf.Tensor).dataSync(), `${c.name}: outputs`);
      if (c.untrainedInTfjs) return ours.dispose();
      const target = vb.random.normal(vb.random.key(2), [...y0.shape]);
      ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.05 }), loss: 'mse' });
      theirs.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      await ours.trainOnBatch(x, target);
      await theirs.trainOnBatch(toTf(x), toTf(target));
      const after = theirs.getWeights();
      ours.getWeights().forEach((w, i) => assertClose(w.dataSync(), after[i]!.dataSync(), `${c.name}: weight ${i} after one step`));
      ours.dispose();
    });
  }
});

describe('3-D layers in model files, both ways (real files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verbatim-conv3d-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const input = [6, 6, 4, 2];
  const x = () => vb.random.generator(13).normal([2, ...input]);

  it("TF.js's Conv3D, MaxPooling3D, AveragePooling3D and Conv3DTranspose files load in verbatim and predict as TF.js", async () => {
    const T = tf.layers;
    const theirs = tf.sequential({ layers: [
      T.conv3d({ filters: 3, kernelSize: [3, 2, 2], padding: 'same', activation: 'elu', inputShape: input }), T.maxPooling3d({ poolSize: [2, 2, 1], strides: [2, 1, 1] }),
      T.averagePooling3d({ poolSize: 2, padding: 'same' }), T.conv3dTranspose({ filters: 2, kernelSize: 2, strides: [2, 1, 2] }), T.flatten(), T.dense({ units: 2 }),
    ] });
    theirs.setWeights(theirs.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', i)));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await theirs.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const path = join(dir, 'from-tfjs');
    mkdirSync(path);
    writeFileSync(join(path, 'weights.bin'), new Uint8Array(artifacts!.weightData as ArrayBuffer));
    writeFileSync(join(path, 'model.json'), JSON.stringify({ modelTopology: artifacts!.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }] }));
    const model = await vb.loadLayersModel(`file://${join(path, 'model.json')}`);
    assert.deepEqual(model.layers.map((l) => l.className), ['Conv3D', 'MaxPooling3D', 'AveragePooling3D', 'Conv3DTranspose', 'Flatten', 'Dense']);
    assertClose((model.predict(x()) as vb.Tensor).dataSync(), (theirs.predict(toTf(x())) as tf.Tensor).dataSync(), "TF.js's file in verbatim");
    model.dispose();
    theirs.dispose();
  });

  it("verbatim's file loads in TF.js and predicts the same, and in verbatim bit for bit", async () => {
    const model = vb.sequential({ layers: [
      L.inputLayer({ inputShape: input }), L.conv3d({ filters: 3, kernelSize: 2, strides: [1, 2, 1], activation: 'relu' }), L.maxPooling3d({ poolSize: [2, 1, 2], padding: 'same' }),
      L.averagePooling3d({ poolSize: [1, 2, 1] }), L.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' }), L.flatten(), L.dense({ units: 2 }),
    ] });
    const rng = vb.random.generator(5);
    model.setWeights(model.weights.map((w) => rng.normal([...w.shape], 0, 0.5)));
    const path = join(dir, 'from-verbatim');
    await model.save(`file://${path}`);
    const json = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
    const bin = readFileSync(join(path, 'weights.bin'));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
    assert.deepEqual(theirs.layers.map((l) => l.getClassName()).filter((n) => n !== 'InputLayer'), ['Conv3D', 'MaxPooling3D', 'AveragePooling3D', 'Conv3DTranspose', 'Flatten', 'Dense']);
    const ours = model.predict(x()) as vb.Tensor;
    assertClose(ours.dataSync(), (theirs.predict(toTf(x())) as tf.Tensor).dataSync(), "verbatim's file in TF.js");
    const loaded = await vb.loadLayersModel(`file://${path}`);
    assert.equal(vb.digest(loaded.predict(x()) as vb.Tensor), vb.digest(ours));
    model.dispose();
    loaded.dispose();
    theirs.dispose();
  });

  it("Keras's ZeroPadding3D, UpSampling3D, Cropping3D, GlobalAveragePooling3D and GlobalMaxPooling3D (and the 3-D aliases) load from a file", async () => {
    const model = vb.sequential({ layers: [
      L.inputLayer({ inputShape: input }), L.zeroPadding3d({ padding: [1, 2, 0] }), L.conv3d({ filters: 4, kernelSize: 2 }), L.upSampling3d({ size: [1, 2, 1] }),
      L.cropping3d(), L.globalAveragePooling3d({ keepDims: true }), L.globalMaxPooling3d(),
    ] });
    const path = join(dir, 'global');
    await model.save(`file://${path}`);
    const loaded = await vb.loadLayersModel(`file://${path}`);
    assert.deepEqual(loaded.layers.map((l) => [l.className, l.getConfig()]), model.layers.map((l) => [l.className, l.getConfig()]));
    assert.equal(vb.digest(loaded.predict(x()) as vb.Tensor), vb.digest(model.predict(x()) as vb.Tensor));
    // Keras's other names of the same classes.
    const text = readFileSync(join(path, 'model.json'), 'utf8').replace('"GlobalAveragePooling3D"', '"GlobalAvgPool3D"').replace('"GlobalMaxPooling3D"', '"GlobalMaxPool3D"').replace('"Conv3D"', '"Convolution3D"');
    writeFileSync(join(path, 'model.json'), text);
    const aliased = await vb.loadLayersModel(`file://${path}`);
    assert.deepEqual(aliased.layers.map((l) => l.className), ['InputLayer', 'ZeroPadding3D', 'Conv3D', 'UpSampling3D', 'Cropping3D', 'GlobalAveragePooling3D', 'GlobalMaxPooling3D']);
    model.dispose();
    loaded.dispose();
    aliased.dispose();
  });
});
