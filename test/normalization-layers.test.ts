/**
 * batchNorm, BatchNormalization, LayerNormalization and the noise layers: the layer harness for
 * each, TF.js 4.22 (cpu) as the outside oracle, float64 references, the canonical float32
 * order bit for bit, and the statistics of the noise.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { assertClose, toTf } from './helpers/close.js';

const L = vb.layers;
const f = Math.fround;
const make = <A>(factory: (args: A) => vb.layers.Layer) => (args: Record<string, unknown>) => factory(args as A);
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const normal = (shape: number[], seed: number, mean = 0, stddev = 1) => vb.random.normal(vb.random.key(seed), shape, { mean, stddev });
const positive = (shape: number[], seed: number) => vb.random.uniform(vb.random.key(seed), shape, { minval: 0.2, maxval: 2 });

/** Flat index -> the flat index of a broadcast operand of shape `p` (aligned from the right). */
function broadcastIndex(i: number, shape: readonly number[], p: readonly number[]): number {
  let rest = i;
  let index = 0;
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const coordinate = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
    const pd = p[d - (shape.length - p.length)];
    if (pd !== undefined) {
      index += (pd === 1 ? 0 : coordinate) * stride;
      stride *= pd;
    }
  }
  return index;
}

describe('batchNorm', () => {
  before(() => tf.setBackend('cpu'));
  const CASES = [
    { x: [4, 5], p: [5], eps: 0.001, offset: true, scale: true },
    { x: [2, 3, 4], p: [4], eps: 1e-5, offset: false, scale: true },
    { x: [2, 3, 4], p: [4], eps: 0.001, offset: true, scale: false },
    { x: [2, 3, 2, 2], p: [1, 3, 1, 1], eps: 0.01, offset: true, scale: true },
  ];
  // TF.js's cpu kernel reads each parameter cyclically, as if broadcast along the last axis only,
  // so it is wrong for [1, C, 1, 1] parameters (and its gradient throws): float64 only there.
  const tfjsHandles = (p: number[]) => p.length === 1;
  for (const c of CASES) {
    const label = JSON.stringify(c);
    const operands = () => ({
      x: normal(c.x, 1, 0.5, 2), mean: normal(c.p, 2), variance: positive(c.p, 3), offset: normal(c.p, 4), scale: normal(c.p, 5),
    });

    it(`${label}: the canonical float32 order bit for bit, a float64 reference, and TF.js`, () => {
      const o = operands();
      const y = vb.batchNorm(o.x, o.mean, o.variance, c.offset ? o.offset : undefined, c.scale ? o.scale : undefined, c.eps);
      const [xs, ms, vs, os, ss] = [o.x, o.mean, o.variance, o.offset, o.scale].map((t) => t.dataSync());
      const eps = f(c.eps);
      const canonical = new Float32Array(xs!.length);
      const exact = new Float64Array(xs!.length);
      for (let i = 0; i < xs!.length; i++) {
        const j = broadcastIndex(i, c.x, c.p);
        const s = c.scale ? ss![j]! : 1;
        const inv = f(s / f(Math.sqrt(f(vs![j]! + eps))));
        const z = f(f(xs![i]! - ms![j]!) * inv);
        canonical[i] = c.offset ? f(z + os![j]!) : z;
        exact[i] = (xs![i]! - ms![j]!) * s / Math.sqrt(vs![j]! + c.eps) + (c.offset ? os![j]! : 0);
      }
      assert.deepEqual(bits(y), bits(vb.tensor(canonical, c.x)), `${label}: the documented order`);
      assertClose(y.dataSync(), exact, `${label}: float64`, 1e-6);
      if (!tfjsHandles(c.p)) return;
      const theirs = tf.batchNorm(toTf(o.x), toTf(o.mean), toTf(o.variance), c.offset ? toTf(o.offset) : undefined, c.scale ? toTf(o.scale) : undefined, c.eps);
      assertClose(y.dataSync(), theirs.dataSync(), `${label}: TF.js`);
    });

    it(`${label}: gradients of every operand against TF.js`, { skip: tfjsHandles(c.p) ? false : "TF.js's cpu batchNorm handles only parameters broadcast along the last axis" }, () => {
      const o = operands();
      const probe = normal(c.x, 6);
      const ours = vb.grads((x: vb.Tensor, m: vb.Tensor, v: vb.Tensor, off: vb.Tensor, s: vb.Tensor) =>
        vb.sum(vb.mul(vb.batchNorm(x, m, v, off, s, c.eps), probe)))([o.x, o.mean, o.variance, o.offset, o.scale]);
      const theirs = tf.grads((x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, off: tf.Tensor, s: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(x, m, v, off, s, c.eps), toTf(probe))))([o.x, o.mean, o.variance, o.offset, o.scale].map(toTf));
      ['x', 'mean', 'variance', 'offset', 'scale'].forEach((name, i) => assertClose(ours[i]!.dataSync(), theirs[i]!.dataSync(), `${label}: d${name}`));
    });
  }

  it('normalizing with the batch moments: gradients through the moments against TF.js', () => {
    const x = normal([6, 4], 7, 1, 3);
    const probe = normal([6, 4], 8);
    const gamma = normal([4], 9);
    const ours = vb.grad((t: vb.Tensor) => { const { mean, variance } = vb.moments(t, 0); return vb.sum(vb.mul(vb.batchNorm(t, mean, variance, null, gamma), probe)); })(x);
    // TF.js's gradient fails without an offset (an undefined input on its tape): zeros there.
    const theirs = tf.grad((t: tf.Tensor) => { const { mean, variance } = tf.moments(t, 0); return tf.sum(tf.mul(tf.batchNorm(t, mean, variance, tf.zeros([4]), toTf(gamma)), toTf(probe))); })(toTf(x));
    assertClose(ours.dataSync(), theirs.dataSync(), 'dx');
  });

  it('rejects a bad epsilon and parameters that do not broadcast to x', () => {
    const x = vb.ones([2, 3]);
    assert.throws(() => vb.batchNorm(x, vb.zeros([3]), vb.ones([3]), null, null, -1), /batchNorm: Expected varianceEpsilon to be a finite non-negative number\. Received: varianceEpsilon=-1/);
    assert.throws(() => vb.batchNorm(x, vb.zeros([2]), vb.ones([3])), /batchNorm: Expected mean of a shape that broadcasts to x's \[2,3\]\. Received: mean\.shape=\[2\]/);
    assert.throws(() => vb.batchNorm(x, vb.zeros([3]), vb.ones([4, 3])), /batchNorm: Expected variance of a shape that broadcasts to x's \[2,3\]\. Received: variance\.shape=\[4, 3\]/);
  });
});

const NOISE_BAD_RATE: [Record<string, unknown>, RegExp][] = [[{ rate: 1 }, /rate=1/], [{ rate: -0.1 }, /rate=-0.1/]];

const CASES: LayerTestCase[] = [
  {
    name: 'batchNormalization', make: make(L.batchNormalization), args: {},
    inputShapes: [[4, 5], [3, 5]], outputShapes: [[null, 5], [null, 5]],
    weights: [['gamma', [5]], ['beta', [5]], ['moving_mean', [5]], ['moving_variance', [5]]], smooth: true,
    badArgs: [[{ momentum: 2 }, /momentum=2/], [{ epsilon: 0 }, /epsilon=0/], [{ axis: 1.5 }, /axis=1.5/], [{ center: 'yes' }, /center="yes"/],
      [{ gammaInitializer: 'twos' }, /initializer="twos"/]],
  },
  {
    name: 'batchNormalization axis 1 (channels first), no scale', make: make(L.batchNormalization), args: { axis: 1, scale: false, momentum: 0.9, epsilon: 0.01 },
    inputShapes: [[3, 4, 2, 3]], outputShapes: [[null, 4, 2, 3]],
    weights: [['beta', [4]], ['moving_mean', [4]], ['moving_variance', [4]]], smooth: true,
  },
  {
    name: 'batchNormalization rank 3, no center', make: make(L.batchNormalization), args: { center: false, gammaRegularizer: 'l2' },
    inputShapes: [[2, 3, 4]], outputShapes: [[null, 3, 4]],
    weights: [['gamma', [4]], ['moving_mean', [4]], ['moving_variance', [4]]], smooth: true,
  },
  {
    name: 'layerNormalization', make: make(L.layerNormalization), args: {},
    inputShapes: [[4, 5], [2, 5]], outputShapes: [[null, 5], [null, 5]], weights: [['gamma', [5]], ['beta', [5]]], smooth: true,
    badArgs: [[{ axis: [] }, /axis=\[\]/], [{ epsilon: -1 }, /epsilon=-1/], [{ scale: 1 }, /scale=1/]],
  },
  {
    name: 'layerNormalization over axes [1, 2]', make: make(L.layerNormalization), args: { axis: [1, 2], epsilon: 1e-5 },
    inputShapes: [[2, 3, 4]], outputShapes: [[null, 3, 4]], weights: [['gamma', [3, 4]], ['beta', [3, 4]]], smooth: true,
  },
  {
    name: 'spatialDropout1d', make: make(L.spatialDropout1d), args: { rate: 0.5 },
    inputShapes: [[2, 5, 3]], outputShapes: [[null, 5, 3]], weights: [], smooth: true, badArgs: NOISE_BAD_RATE,
  },
  {
    name: 'spatialDropout2d channelsFirst', make: make(L.spatialDropout2d), args: { rate: 0.3, dataFormat: 'channelsFirst', seed: 4 },
    inputShapes: [[2, 3, 4, 4]], outputShapes: [[null, 3, 4, 4]], weights: [], smooth: true,
    badArgs: [...NOISE_BAD_RATE, [{ dataFormat: 'NCHW' }, /dataFormat="NCHW"/]],
  },
  {
    name: 'gaussianNoise', make: make(L.gaussianNoise), args: { stddev: 0.3 },
    inputShapes: [[3, 4]], outputShapes: [[null, 4]], weights: [], smooth: true, badArgs: [[{ stddev: -1 }, /stddev=-1/]],
  },
  {
    name: 'gaussianDropout', make: make(L.gaussianDropout), args: { rate: 0.4 },
    inputShapes: [[3, 4]], outputShapes: [[null, 4]], weights: [], smooth: true, badArgs: NOISE_BAD_RATE,
  },
  {
    name: 'alphaDropout', make: make(L.alphaDropout), args: { rate: 0.2, noiseShape: [null, 1] },
    inputShapes: [[3, 4]], outputShapes: [[null, 4]], weights: [], smooth: true,
    badArgs: [...NOISE_BAD_RATE, [{ noiseShape: [0] }, /noiseShape=\[0\]/]],
  },
];

describe('normalization and noise layers: the layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));
});

/** Our model's weights in TF.js's order: every trainable weight, then every non-trainable one. */
function inTfjsOrder(model: vb.Sequential): vb.Sequential['weights'] {
  const trainable = new Set(model.trainableWeights);
  const all = model.weights;
  return [...all.filter((w) => trainable.has(w)), ...all.filter((w) => !trainable.has(w))];
}

describe('BatchNormalization and LayerNormalization against TF.js', () => {
  before(() => tf.setBackend('cpu'));
  /**
   * toLast: TF.js's BatchNormalization is wrong on the cpu backend for a features axis that is
   * not the last (its batchNorm kernel reads parameters cyclically), so TF.js gets the input
   * transposed by this permutation, features last, with axis -1; its outputs are compared
   * transposed back. MSE is the same on transposed outputs and targets.
   */
  const ORACLE: { name: string; ours: () => vb.layers.Layer; theirs: () => tf.layers.Layer; input: number[]; toLast?: number[] }[] = [
    { name: 'batchNormalization', ours: () => L.batchNormalization(), theirs: () => tf.layers.batchNormalization(), input: [8, 5] },
    { name: 'batchNormalization axis 1 rank 4', ours: () => L.batchNormalization({ axis: 1, momentum: 0.9 }), theirs: () => tf.layers.batchNormalization({ momentum: 0.9 }), input: [4, 3, 2, 2], toLast: [0, 2, 3, 1] },
    { name: 'batchNormalization axis -2 rank 3', ours: () => L.batchNormalization({ axis: -2, epsilon: 1e-5 }), theirs: () => tf.layers.batchNormalization({ epsilon: 1e-5 }), input: [4, 3, 2], toLast: [0, 2, 1] },
    { name: 'layerNormalization', ours: () => L.layerNormalization(), theirs: () => tf.layers.layerNormalization(), input: [6, 5] },
    { name: 'layerNormalization axes [1, 2]', ours: () => L.layerNormalization({ axis: [1, 2] }), theirs: () => tf.layers.layerNormalization({ axis: [1, 2] }), input: [4, 3, 4] },
  ];
  for (const c of ORACLE) {
    it(`${c.name}: same weights, same inference and training outputs, and the same weights after one fit step`, async () => {
      vb.setRandomSeed(5);
      const x = normal(c.input, 1, 0.7, 2);
      const ours = vb.sequential({ layers: [c.ours()] });
      ours.predict(x).dispose();
      // Non-trivial weights: gamma and beta random, moving variance positive.
      ours.setWeights(ours.weights.map((w, i) => (w.name.endsWith('moving_variance') ? positive([...w.shape], 10 + i) : normal([...w.shape], 10 + i))));
      const toTfjs = (t: vb.Tensor) => (c.toLast ? tf.transpose(toTf(t), c.toLast) : toTf(t));
      const fromTfjs = (t: tf.Tensor) => (c.toLast ? tf.transpose(t, c.toLast.map((_, i) => c.toLast!.indexOf(i))) : t).dataSync();
      const theirLayer = c.theirs();
      const tx = toTfjs(x);
      const theirs = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: tx.shape.slice(1) }), theirLayer] });
      theirs.setWeights(inTfjsOrder(ours).map(toTf));
      assertClose(ours.predict(x).dataSync(), fromTfjs(theirs.predict(tx) as tf.Tensor), `${c.name}: inference outputs`);

      // Training mode through fit: one step with the whole batch, plain SGD and MSE.
      const target = normal(c.input, 2);
      ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
      theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      await ours.fit(x, target, { epochs: 1, batchSize: c.input[0]!, shuffle: false, verbose: 0 });
      await theirs.fit(tx, toTfjs(target), { epochs: 1, batchSize: c.input[0]!, shuffle: false, verbose: 0 });
      const after = theirs.getWeights();
      inTfjsOrder(ours).forEach((w, i) => assertClose(w.dataSync(), after[i]!.dataSync(), `${c.name}: ${w.name} after one step`));

      // A training-mode call (which also updates the moving statistics of both).
      const layer = ours.layers[0]!;
      const y = layer.apply(x, { training: true, step: 1 });
      const ty = theirLayer.apply(tx, { training: true }) as tf.Tensor;
      assertClose(y.dataSync(), fromTfjs(ty), `${c.name}: training-mode outputs`);
      const afterCall = theirs.getWeights();
      inTfjsOrder(ours).forEach((w, i) => assertClose(w.dataSync(), afterCall[i]!.dataSync(), `${c.name}: ${w.name} after a training call`));
      ours.dispose();
    });
  }
});

describe('BatchNormalization: moving statistics and non-trainable weights', () => {
  it('a fit step updates moving_mean and moving_variance by Keras formula from the batch moments', async () => {
    const x = normal([16, 3], 1, 2, 3);
    const layer = L.batchNormalization({ momentum: 0.8, movingVarianceInitializer: 'zeros', movingMeanInitializer: 'ones' });
    const model = vb.sequential({ layers: [layer] });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    await model.fit(x, normal([16, 3], 2), { epochs: 1, batchSize: 16, verbose: 0 });
    const data = x.arraySync() as number[][];
    for (let c = 0; c < 3; c++) {
      const column = data.map((row) => row[c]!);
      const mean = column.reduce((a, b) => a + b, 0) / column.length;
      const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length;
      assertClose([layer.movingMean!.dataSync()[c]!], [1 * 0.8 + mean * 0.2], `moving_mean[${c}]`, 1e-6);
      assertClose([layer.movingVariance!.dataSync()[c]!], [0 * 0.8 + variance * 0.2], `moving_variance[${c}]`, 1e-6);
    }
    model.dispose();
  });

  it('moving statistics get no gradient and no optimizer update: with momentum 1 they stay bit for bit', async () => {
    const layer = L.batchNormalization({ momentum: 1, movingMeanInitializer: 'randomNormal', movingVarianceInitializer: 'ones' });
    const model = vb.sequential({ layers: [layer, L.dense({ units: 2 })] });
    model.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.5, momentum: 0.9 }), loss: 'mse' });
    const x = normal([8, 4], 3);
    model.predict(x).dispose();
    const before = [bits(layer.movingMean!), bits(layer.movingVariance!), bits(layer.gamma!)];
    await model.fit(x, normal([8, 2], 4), { epochs: 3, batchSize: 4, verbose: 0 });
    assert.deepEqual([bits(layer.movingMean!), bits(layer.movingVariance!)], before.slice(0, 2));
    assert.notDeepEqual(bits(layer.gamma!), before[2], 'gamma trains');
    assert.deepEqual(model.trainableWeights.map((w) => w.name.split('/').pop()), ['gamma', 'beta', 'kernel', 'bias']);
    assert.deepEqual(layer.weights.map((w) => w.variable.trainable), [true, true, false, false]);
    model.dispose();
  });

  it('inference (predict, evaluate) uses and keeps the moving statistics; trainable false runs in inference mode (Keras 3)', () => {
    const layer = L.batchNormalization({ movingMeanInitializer: 'ones', movingVarianceInitializer: 'ones' });
    const model = vb.sequential({ layers: [layer] });
    const x = normal([5, 2], 5, 3);
    const y = model.predict(x);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    model.evaluate(x, x);
    assert.deepEqual(Array.from(layer.movingMean!.dataSync()), [1, 1]);
    const expected = Array.from(x.dataSync(), (v) => f(f(v - 1) * f(1 / f(Math.sqrt(f(1 + f(0.001)))))));
    assert.deepEqual(bits(y), bits(vb.tensor(expected, [5, 2])));
    layer.trainable = false;
    assert.deepEqual(bits(layer.apply(x, { training: true })), bits(y));
    assert.deepEqual(Array.from(layer.movingMean!.dataSync()), [1, 1]);
    layer.trainable = true;
    layer.apply(x, { training: true });
    assert.notDeepEqual(Array.from(layer.movingMean!.dataSync()), [1, 1]);
    model.dispose();
  });

  it('countParams and summary count the moving statistics as non-trainable parameters, as Keras does', () => {
    const model = vb.sequential({ name: 'bn_summary', layers: [L.dense({ units: 4, inputShape: [3] }), L.batchNormalization()] });
    assert.equal(model.countParams(), 16 + 16);
    const lines: string[] = [];
    model.summary(65, undefined, (line) => lines.push(line));
    assert.ok(lines.some((l) => /^ batch_normalization \(BatchN \(None, 4\)\s+16\s*$/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('Total params: 32'));
    assert.ok(lines.includes('Trainable params: 24'));
    assert.ok(lines.includes('Non-trainable params: 8'));
    model.dispose();
  });
});

describe('noise layers', () => {
  const NOISY = [
    () => L.spatialDropout1d({ rate: 0.4 }), () => L.spatialDropout2d({ rate: 0.4 }), () => L.gaussianNoise({ stddev: 0.5 }),
    () => L.gaussianDropout({ rate: 0.4 }), () => L.alphaDropout({ rate: 0.4 }),
  ];
  const shapeFor = (layer: vb.layers.Layer) => (layer.className === 'SpatialDropout2D' ? [4, 3, 3, 5] : [4, 6, 5]);

  it('are the identity in inference, draw the same noise for the same step, and fresh noise for another', () => {
    for (const factory of NOISY) {
      const layer = factory();
      const x = normal(shapeFor(layer), 1);
      assert.deepEqual(bits(layer.apply(x)), bits(x), `${layer.className}: identity in inference`);
      assert.deepEqual(bits(layer.apply(x, { training: false, step: 9 })), bits(x), `${layer.className}: identity in inference at any step`);
      const a = layer.apply(x, { training: true, step: 2 });
      assert.notDeepEqual(bits(a), bits(x), `${layer.className}: noise in training`);
      assert.deepEqual(bits(layer.apply(x, { training: true, step: 2 })), bits(a), `${layer.className}: same step, same noise`);
      assert.notDeepEqual(bits(layer.apply(x, { training: true, step: 3 })), bits(a), `${layer.className}: another step, other noise`);
    }
  });

  it('take their keys from the layer path, or from a seed regardless of the name', () => {
    const x = normal([4, 6, 5], 2);
    const named = (name: string, seed?: number) => L.gaussianNoise({ stddev: 1, name, ...(seed === undefined ? {} : { seed }) }).apply(x, { training: true, step: 0 });
    assert.notDeepEqual(bits(named('noise_a')), bits(named('noise_b')));
    assert.deepEqual(bits(named('noise_c', 3)), bits(named('noise_d', 3)));
    // The unseeded key is foldIn(keyFor(path), step): the same normal draws as the sampler gives.
    vb.setRandomSeed(11);
    const layer = L.gaussianNoise({ stddev: 1, name: 'noise_e' });
    const y = layer.apply(vb.zeros([50]), { training: true, step: 4 });
    vb.setRandomSeed(11);
    const expected = vb.random.normal(vb.random.foldIn(vb.random.foldIn(vb.random.key(11), 'noise_e'), 4), [50]);
    assert.deepEqual(bits(y), bits(expected));
  });

  it('spatial dropout drops whole channels at the rate, and scales the rest by 1 / (1 - rate)', () => {
    const rate = 0.3;
    const check = (y: number[], groups: number[][], label: string) => {
      let dropped = 0;
      for (const group of groups) {
        const values = new Set(group.map((i) => y[i]!));
        assert.equal(values.size, 1, `${label}: one value per channel`);
        const [v] = [...values];
        assert.ok(v === 0 || v === f(1 / (1 - rate)), `${label}: ${v}`);
        if (v === 0) dropped++;
      }
      const fraction = dropped / groups.length;
      assert.ok(Math.abs(fraction - rate) < 0.03, `${label}: dropped fraction ${fraction}`);
    };
    const [b, s, c] = [20, 4, 200];
    const y1 = Array.from(L.spatialDropout1d({ rate }).apply(vb.ones([b, s, c]), { training: true, step: 1 }).dataSync());
    check(y1, Array.from({ length: b * c }, (_, g) => Array.from({ length: s }, (_, t) => Math.floor(g / c) * s * c + t * c + (g % c))), 'spatialDropout1d');
    const [h, w] = [2, 3];
    const last = Array.from(L.spatialDropout2d({ rate }).apply(vb.ones([b, h, w, c]), { training: true, step: 1 }).dataSync());
    check(last, Array.from({ length: b * c }, (_, g) => Array.from({ length: h * w }, (_, p) => Math.floor(g / c) * h * w * c + p * c + (g % c))), 'spatialDropout2d channelsLast');
    const first = Array.from(L.spatialDropout2d({ rate, dataFormat: 'channelsFirst' }).apply(vb.ones([b, c, h, w]), { training: true, step: 1 }).dataSync());
    check(first, Array.from({ length: b * c }, (_, g) => Array.from({ length: h * w }, (_, p) => g * h * w + p)), 'spatialDropout2d channelsFirst');
    assert.throws(() => vb.sequential({ layers: [L.spatialDropout1d({ rate, inputShape: [3], name: 'sd' })] }), /SpatialDropout1D \(sd\): Expected inputs of rank 3 \(batch first\)\. Received: inputShape=\[null, 3\]/);
  });

  /** Mean and variance of a sample, in float64. */
  function stats(values: ArrayLike<number>): { mean: number; variance: number } {
    const v = Array.from(values);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length };
  }
  const N = 200_000;

  it('gaussianNoise adds N(0, stddev^2)', () => {
    const { mean, variance } = stats(L.gaussianNoise({ stddev: 0.5 }).apply(vb.zeros([N]), { training: true, step: 0 }).dataSync());
    assert.ok(Math.abs(mean) < 0.005 && Math.abs(variance - 0.25) < 0.005, `mean ${mean}, variance ${variance}`);
  });

  it('gaussianDropout multiplies by N(1, rate / (1 - rate))', () => {
    const { mean, variance } = stats(L.gaussianDropout({ rate: 0.2 }).apply(vb.ones([N]), { training: true, step: 0 }).dataSync());
    assert.ok(Math.abs(mean - 1) < 0.005 && Math.abs(variance - 0.25) < 0.005, `mean ${mean}, variance ${variance}`);
  });

  it("alphaDropout keeps zero mean and unit variance, with Keras's affine map of the kept and dropped values", () => {
    const rate = 0.2;
    const x = normal([N], 6);
    const y = L.alphaDropout({ rate }).apply(x, { training: true, step: 0 }).dataSync();
    const { mean, variance } = stats(y);
    assert.ok(Math.abs(mean) < 0.01 && Math.abs(variance - 1) < 0.01, `mean ${mean}, variance ${variance}`);
    const alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
    const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
    const b = -a * alphaP * rate;
    const xs = x.dataSync();
    let dropped = 0;
    for (let i = 0; i < N; i++) {
      const isDropped = Math.abs(y[i]! - (a * alphaP + b)) < 1e-6;
      if (isDropped) dropped++;
      else assert.ok(Math.abs(y[i]! - (a * xs[i]! + b)) <= 1e-6 * Math.max(1, Math.abs(y[i]!)), `element ${i}: ${y[i]} vs ${a * xs[i]! + b}`);
    }
    assert.ok(Math.abs(dropped / N - rate) < 0.005, `dropped ${dropped / N}`);
  });

  it('are the identity in inference, as in TF.js', () => {
    const x = normal([3, 4, 5], 7);
    const pairs: [vb.layers.Layer, tf.layers.Layer][] = [
      [L.spatialDropout1d({ rate: 0.5 }), tf.layers.spatialDropout1d({ rate: 0.5 })],
      [L.gaussianNoise({ stddev: 1 }), tf.layers.gaussianNoise({ stddev: 1 })],
      [L.gaussianDropout({ rate: 0.5 }), tf.layers.gaussianDropout({ rate: 0.5 })],
      [L.alphaDropout({ rate: 0.5 }), tf.layers.alphaDropout({ rate: 0.5 })],
    ];
    for (const [ours, theirs] of pairs) {
      assert.deepEqual(Array.from(ours.apply(x).dataSync()), Array.from((theirs.apply(toTf(x)) as tf.Tensor).dataSync()), ours.className);
    }
  });
});

describe('training with normalization and noise layers is bitwise reproducible', () => {
  async function train(): Promise<string> {
    vb.setRandomSeed(21);
    const model = vb.sequential({
      name: 'norm_repro',
      layers: [
        L.gaussianNoise({ stddev: 0.1, inputShape: [6, 4] }), L.spatialDropout1d({ rate: 0.2 }), L.layerNormalization(),
        L.flatten(), L.dense({ units: 8, activation: 'selu' }), L.alphaDropout({ rate: 0.1 }), L.gaussianDropout({ rate: 0.1 }),
        L.batchNormalization(), L.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const x = vb.random.generator(3).normal([40, 6, 4]);
    const y = vb.random.generator(4).normal([40, 1]);
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    const digest = model.weightsDigest();
    model.dispose();
    return digest;
  }

  it('the same weights digest on every run, backend and thread count', { skip: vb.backendNames().includes('wasm') ? false : 'no wasm backend (WebAssembly SIMD is not available)' }, async () => {
    const previous = { backend: vb.getBackend(), threads: vb.getNumThreads() };
    try {
      vb.setBackend('reference');
      const expected = await train();
      assert.equal(await train(), expected, 'a second run');
      vb.setBackend('wasm');
      for (const threads of [1, 3]) {
        vb.setNumThreads(threads);
        assert.equal(await train(), expected, `wasm, ${threads} threads`);
      }
    } finally {
      vb.setBackend(previous.backend);
      vb.setNumThreads(previous.threads);
    }
  });
});
