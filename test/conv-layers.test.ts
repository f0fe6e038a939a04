/** Convolution, pooling and spatial layers: the layer harness for each, and TF.js as the oracle. */
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { assertClose } from './helpers/close.js';

const L = vb.layers;
const make = <A>(factory: (args: A) => vb.layers.Layer) => (args: Record<string, unknown>) => factory(args as A);

const CASES: LayerTestCase[] = [
  {
    name: 'conv2d', make: make(L.conv2d), args: { filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' },
    inputShapes: [[2, 6, 5, 2], [1, 4, 4, 2]], outputShapes: [[null, 6, 5, 3], [null, 4, 4, 3]],
    weights: [['kernel', [3, 3, 2, 3]], ['bias', [3]]], smooth: true,
    badArgs: [[{ filters: 0 }, /filters=0/], [{ kernelSize: [3] }, /kernelSize=\[3\]/], [{ padding: 'full' }, /padding="full"/], [{ strides: 2, dilationRate: 2 }, /dilationRate/]],
  },
  {
    name: 'conv2d strided valid channelsFirst', make: make(L.conv2d), args: { filters: 2, kernelSize: [2, 3], strides: [2, 1], dataFormat: 'channelsFirst' },
    inputShapes: [[2, 3, 7, 6]], outputShapes: [[null, 2, 3, 4]], weights: [['kernel', [2, 3, 3, 2]], ['bias', [2]]], smooth: true,
    badArgs: [[{ dataFormat: 'NHWC' }, /dataFormat="NHWC"/]],
  },
  {
    name: 'conv1d dilated', make: make(L.conv1d), args: { filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same' },
    inputShapes: [[2, 9, 3]], outputShapes: [[null, 9, 4]], weights: [['kernel', [3, 3, 4]], ['bias', [4]]], smooth: true,
  },
  {
    name: 'conv2dTranspose', make: make(L.conv2dTranspose), args: { filters: 2, kernelSize: 3, strides: 2, padding: 'same' },
    inputShapes: [[2, 3, 4, 3]], outputShapes: [[null, 6, 8, 2]], weights: [['kernel', [3, 3, 2, 3]], ['bias', [2]]], smooth: true,
  },
  {
    name: 'depthwiseConv2d', make: make(L.depthwiseConv2d), args: { kernelSize: 3, depthMultiplier: 2, padding: 'same' },
    inputShapes: [[2, 5, 5, 3]], outputShapes: [[null, 5, 5, 6]], weights: [['depthwise_kernel', [3, 3, 3, 2]], ['bias', [6]]], smooth: true,
    badArgs: [[{ depthMultiplier: 1.5 }, /depthMultiplier=1.5/]],
  },
  {
    name: 'separableConv2d', make: make(L.separableConv2d), args: { filters: 4, kernelSize: 2 },
    inputShapes: [[2, 5, 5, 3]], outputShapes: [[null, 4, 4, 4]], weights: [['depthwise_kernel', [2, 2, 3, 1]], ['pointwise_kernel', [1, 1, 3, 4]], ['bias', [4]]], smooth: true,
  },
  {
    name: 'maxPooling2d', make: make(L.maxPooling2d), args: { poolSize: 2 }, inputShapes: [[2, 6, 5, 3]], outputShapes: [[null, 3, 2, 3]], weights: [],
    badArgs: [[{ poolSize: 0 }, /poolSize=0/]],
  },
  { name: 'maxPooling1d same', make: make(L.maxPooling1d), args: { poolSize: 3, strides: 2, padding: 'same' }, inputShapes: [[2, 7, 3]], outputShapes: [[null, 4, 3]], weights: [] },
  { name: 'averagePooling2d', make: make(L.averagePooling2d), args: { poolSize: [2, 3], padding: 'same' }, inputShapes: [[2, 5, 7, 2]], outputShapes: [[null, 3, 3, 2]], weights: [], smooth: true },
  { name: 'averagePooling1d', make: make(L.averagePooling1d), args: {}, inputShapes: [[2, 8, 2]], outputShapes: [[null, 4, 2]], weights: [], smooth: true },
  { name: 'globalAveragePooling2d', make: make(L.globalAveragePooling2d), args: {}, inputShapes: [[2, 3, 4, 5]], outputShapes: [[null, 5]], weights: [], smooth: true },
  { name: 'globalMaxPooling1d keepDims', make: make(L.globalMaxPooling1d), args: { keepDims: true }, inputShapes: [[2, 6, 3]], outputShapes: [[null, 1, 3]], weights: [] },
  { name: 'globalAveragePooling1d', make: make(L.globalAveragePooling1d), args: {}, inputShapes: [[2, 6, 3]], outputShapes: [[null, 3]], weights: [], smooth: true },
  { name: 'globalMaxPooling2d', make: make(L.globalMaxPooling2d), args: {}, inputShapes: [[2, 3, 3, 2]], outputShapes: [[null, 2]], weights: [] },
  {
    name: 'zeroPadding2d', make: make(L.zeroPadding2d), args: { padding: [[1, 2], [0, 1]] }, inputShapes: [[2, 3, 3, 2]], outputShapes: [[null, 6, 4, 2]], weights: [], smooth: true,
    badArgs: [[{ padding: -1 }, /padding=-1/]],
  },
  { name: 'cropping2d', make: make(L.cropping2d), args: { cropping: [1, 2] }, inputShapes: [[2, 5, 6, 2]], outputShapes: [[null, 3, 2, 2]], weights: [], smooth: true },
  {
    name: 'upSampling2d', make: make(L.upSampling2d), args: { size: [2, 3] }, inputShapes: [[2, 2, 3, 2]], outputShapes: [[null, 4, 9, 2]], weights: [], smooth: true,
    badArgs: [[{ interpolation: 'bicubic' }, /interpolation="bicubic"/]],
  },
];

describe('convolution, pooling and spatial layers: the layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));
});

describe('convolution layers against TF.js: same weights, same outputs, one training step', () => {
  before(() => tf.setBackend('cpu'));
  const ORACLE: { name: string; ours: () => vb.layers.Layer; theirs: () => tf.layers.Layer; input: number[]; flat?: boolean }[] = [
    { name: 'conv2d', ours: () => L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), theirs: () => tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), input: [4, 6, 5, 2] },
    { name: 'conv2d strided', ours: () => L.conv2d({ filters: 2, kernelSize: [2, 3], strides: [2, 1] }), theirs: () => tf.layers.conv2d({ filters: 2, kernelSize: [2, 3], strides: [2, 1] }), input: [4, 7, 6, 3] },
    { name: 'conv1d', ours: () => L.conv1d({ filters: 4, kernelSize: 3, padding: 'same' }), theirs: () => tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same' }), input: [4, 9, 3] },
    { name: 'conv2dTranspose', ours: () => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), theirs: () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), input: [4, 3, 4, 3] },
    { name: 'depthwiseConv2d', ours: () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), theirs: () => tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), input: [4, 5, 5, 3] },
    { name: 'separableConv2d', ours: () => L.separableConv2d({ filters: 4, kernelSize: 2, padding: 'same' }), theirs: () => tf.layers.separableConv2d({ filters: 4, kernelSize: 2, padding: 'same' }), input: [4, 5, 5, 3] },
    { name: 'maxPooling2d', ours: () => L.maxPooling2d({ poolSize: 2 }), theirs: () => tf.layers.maxPooling2d({ poolSize: 2 }), input: [4, 6, 6, 2] },
    { name: 'averagePooling1d', ours: () => L.averagePooling1d({ poolSize: 2 }), theirs: () => tf.layers.averagePooling1d({ poolSize: 2 }), input: [4, 8, 2] },
    { name: 'globalAveragePooling2d', ours: () => L.globalAveragePooling2d(), theirs: () => tf.layers.globalAveragePooling2d({}), input: [4, 3, 3, 2], flat: true },
    { name: 'zeroPadding2d', ours: () => L.zeroPadding2d({ padding: 1 }), theirs: () => tf.layers.zeroPadding2d({ padding: 1 }), input: [4, 3, 3, 2] },
    { name: 'cropping2d', ours: () => L.cropping2d({ cropping: [1, 1] }), theirs: () => tf.layers.cropping2D({ cropping: [1, 1] }), input: [4, 5, 5, 2] },
    // Channels first, fewer channels than the width's cropping (checked against the wrong axis, it was refused).
    { name: 'cropping2D channelsFirst', ours: () => L.cropping2D({ cropping: [[1, 0], [1, 1]], dataFormat: 'channelsFirst' }), theirs: () => tf.layers.cropping2D({ cropping: [[1, 0], [1, 1]], dataFormat: 'channelsFirst' }), input: [4, 2, 4, 5] },
    { name: 'upSampling2d', ours: () => L.upSampling2d({ size: [2, 2] }), theirs: () => tf.layers.upSampling2d({ size: [2, 2] }), input: [4, 2, 3, 2] },
  ];
  for (const c of ORACLE) {
    it(c.name, async () => {
      vb.setRandomSeed(3);
      const x = vb.random.normal(vb.random.key(1), c.input);
      // A dense head makes every layer trainable end to end with the same loss in both libraries.
      const ours = vb.sequential({ layers: [c.ours(), ...(c.flat ? [] : [L.flatten()]), L.dense({ units: 2 })] });
      const y0 = ours.predict(x);
      const theirs = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: c.input.slice(1) }), c.theirs(), ...(c.flat ? [] : [tf.layers.flatten()]), tf.layers.dense({ units: 2 })] });
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync() as Float32Array, [...w.shape])));
      const tx = tf.tensor(x.dataSync() as Float32Array, c.input);
      assertClose(y0.dataSync(), (theirs.predict(tx) as tf.Tensor).dataSync(), `${c.name}: outputs`);
      const target = vb.random.normal(vb.random.key(2), [...y0.shape]);
      ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.05 }), loss: 'mse' });
      theirs.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      await ours.trainOnBatch(x, target);
      await theirs.trainOnBatch(tx, tf.tensor(target.dataSync() as Float32Array, [...target.shape]));
      const after = theirs.getWeights();
      ours.getWeights().forEach((w, i) => assertClose(w.dataSync(), after[i]!.dataSync(), `${c.name}: weight ${i} after one step`));
      ours.dispose();
    });
  }
});
