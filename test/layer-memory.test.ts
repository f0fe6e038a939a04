/**
 * Every built-in layer factory (vb.layers' lower-case functions, as the golden workload's coverage
 * check lists them), applied to concrete tensors outside tidy (TF.js's feature extraction:
 * layer.apply(x)), in inference and training mode: each call leaves allocated its outputs only,
 * plus the layer's weights on the first call; disposing them (and the layer) leaves nothing.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as vb from 'verbatim';

const L = vb.layers;
type Inputs = () => vb.Tensor | vb.Tensor[];
type Make = () => vb.layers.Layer;
/** A case: its variant, the layer, its inputs, and whether to call applyOutputs (every output of a recurrent layer) instead of apply. */
type Case = [string, Make, Inputs, 'applyOutputs'?];
type WithOutputs = { applyOutputs: (x: vb.Tensor, context: object) => vb.Tensor[] };

const normal = (shape: number[], seed = 1): Inputs => () => vb.random.normal(vb.random.key(seed), shape);
const ints = (shape: number[], high: number): Inputs => () => vb.random.randint(vb.random.key(2), shape, 0, high);
const pair = (a: number[], b: number[]): Inputs => () => [vb.random.normal(vb.random.key(3), a), vb.random.normal(vb.random.key(4), b)];
const triple = (shape: number[]): Inputs => () => [1, 2, 3].map((seed) => vb.random.normal(vb.random.key(seed), shape));

const image = normal([2, 6, 6, 3]);
const imageFirst = normal([2, 3, 6, 6]);
const volume = normal([2, 4, 5, 4, 2]);
const volumeFirst = normal([2, 2, 4, 5, 4]);
const sequence = normal([2, 5, 3]);
const sequenceFirst = normal([2, 3, 5]);
const channelsFirst = { dataFormat: 'channelsFirst' } as const;

/** Variants worth running: data formats, activations that are not fused, several inputs, every option that adds ops. */
const CASES: Record<string, Case[]> = {
  activation: L.ACTIVATION_NAMES.map((activation) => [activation, () => L.activation({ activation }), normal([2, 4])]),
  add: [['3 inputs', () => L.add(), triple([2, 4])]],
  alphaDropout: [['', () => L.alphaDropout({ rate: 0.3 }), normal([2, 4])], ['noiseShape', () => L.alphaDropout({ rate: 0.3, noiseShape: [null, 1] }), normal([2, 4])]],
  average: [['3 inputs', () => L.average(), triple([2, 4])]],
  averagePooling1d: [['', () => L.averagePooling1d(), sequence], ['channelsFirst', () => L.averagePooling1d(channelsFirst), sequenceFirst]],
  averagePooling2d: [['', () => L.averagePooling2d(), image], ['channelsFirst', () => L.averagePooling2d(channelsFirst), imageFirst]],
  averagePooling3d: [['', () => L.averagePooling3d({ padding: 'same' }), volume], ['channelsFirst', () => L.averagePooling3d(channelsFirst), volumeFirst]],
  batchNormalization: [['', () => L.batchNormalization(), image], ['axis 1', () => L.batchNormalization({ axis: 1 }), imageFirst], ['no center or scale', () => L.batchNormalization({ center: false, scale: false }), normal([4, 3])]],
  bidirectional: [...(['concat', 'sum', 'mul', 'ave'] as const).map((mergeMode): Case => [mergeMode, () => L.bidirectional({ layer: L.lstm({ units: 2, returnSequences: true, dropout: 0.3 }), mergeMode }), sequence]),
    ['mergeMode null, returnState', () => L.bidirectional({ layer: L.gru({ units: 2, returnState: true }), mergeMode: null }), sequence, 'applyOutputs']],
  centerCrop: [['', () => L.centerCrop({ height: 4, width: 4 }), image], ['upscaling', () => L.centerCrop({ height: 8, width: 7 }), image], ['channelsFirst', () => L.centerCrop({ height: 4, width: 4, ...channelsFirst }), imageFirst]],
  concatenate: [['3 inputs', () => L.concatenate(), triple([2, 4])]],
  conv1d: [['relu', () => L.conv1d({ filters: 2, kernelSize: 2, activation: 'relu' }), sequence], ['tanh', () => L.conv1d({ filters: 2, kernelSize: 2, activation: 'tanh' }), sequence],
    ['channelsFirst', () => L.conv1d({ filters: 2, kernelSize: 2, ...channelsFirst }), sequenceFirst]],
  conv2d: [['relu', () => L.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' }), image], ['tanh', () => L.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }), image],
    ['no bias', () => L.conv2d({ filters: 2, kernelSize: 2, useBias: false }), image], ['channelsFirst', () => L.conv2d({ filters: 2, kernelSize: 2, ...channelsFirst }), imageFirst]],
  conv2dTranspose: [['', () => L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, activation: 'relu' }), image], ['channelsFirst', () => L.conv2dTranspose({ filters: 2, kernelSize: 2, ...channelsFirst }), imageFirst]],
  conv3d: [['', () => L.conv3d({ filters: 2, kernelSize: 2, activation: 'relu' }), volume], ['channelsFirst', () => L.conv3d({ filters: 2, kernelSize: 2, ...channelsFirst }), volumeFirst]],
  conv3dTranspose: [['', () => L.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, activation: 'relu' }), volume], ['channelsFirst', () => L.conv3dTranspose({ filters: 2, kernelSize: 2, ...channelsFirst }), volumeFirst]],
  cropping1d: [['', () => L.cropping1d({ cropping: 1 }), sequence]],
  cropping2d: [['', () => L.cropping2d({ cropping: 1 }), image], ['channelsFirst', () => L.cropping2d({ cropping: 1, ...channelsFirst }), imageFirst]],
  cropping3d: [['', () => L.cropping3d(), volume], ['channelsFirst', () => L.cropping3d(channelsFirst), volumeFirst]],
  dense: [...L.ACTIVATION_NAMES.map((activation): Case => [activation, () => L.dense({ units: 3, activation }), normal([2, 4])]),
    ['rank 3', () => L.dense({ units: 3, activation: 'relu' }), sequence], ['no bias', () => L.dense({ units: 3, useBias: false, activation: 'relu' }), normal([2, 4])]],
  depthwiseConv2d: [['', () => L.depthwiseConv2d({ kernelSize: 2, activation: 'relu' }), image], ['channelsFirst', () => L.depthwiseConv2d({ kernelSize: 2, ...channelsFirst }), imageFirst]],
  dot: [['', () => L.dot({ axes: 1 }), pair([2, 4], [2, 4])], ['normalize', () => L.dot({ axes: [2, 2], normalize: true }), pair([2, 3, 4], [2, 5, 4])]],
  dropout: [['', () => L.dropout({ rate: 0.3 }), normal([2, 4])], ['noiseShape', () => L.dropout({ rate: 0.3, noiseShape: [null, 1] }), normal([2, 4])]],
  elu: [['', () => L.elu({ alpha: 0.5 }), normal([2, 4])], ['int32', () => L.elu(), ints([2, 4], 5)]],
  embedding: [['', () => L.embedding({ inputDim: 5, outputDim: 3 }), ints([2, 4], 5)], ['float indices', () => L.embedding({ inputDim: 5, outputDim: 3 }), () => vb.tensor([[0, 1], [4, 2]])]],
  flatten: [['', () => L.flatten(), image], ['channelsFirst', () => L.flatten(channelsFirst), imageFirst]],
  gaussianDropout: [['', () => L.gaussianDropout({ rate: 0.3 }), normal([2, 4])]],
  gaussianNoise: [['', () => L.gaussianNoise({ stddev: 0.3 }), normal([2, 4])]],
  globalAveragePooling1d: [['', () => L.globalAveragePooling1d(), sequence], ['keepDims', () => L.globalAveragePooling1d({ keepDims: true }), sequence]],
  globalAveragePooling2d: [['', () => L.globalAveragePooling2d(), image], ['channelsFirst', () => L.globalAveragePooling2d(channelsFirst), imageFirst]],
  globalAveragePooling3d: [['', () => L.globalAveragePooling3d(), volume]],
  globalMaxPooling1d: [['', () => L.globalMaxPooling1d(), sequence]],
  globalMaxPooling2d: [['', () => L.globalMaxPooling2d(), image]],
  globalMaxPooling3d: [['', () => L.globalMaxPooling3d({ keepDims: true }), volume]],
  gru: [['', () => L.gru({ units: 2, dropout: 0.3, recurrentDropout: 0.3 }), sequence], ['returnState', () => L.gru({ units: 2, returnSequences: true, returnState: true, resetAfter: false }), sequence]],
  inputLayer: [['', () => L.inputLayer({ inputShape: [4] }), normal([2, 4])]],
  layerNormalization: [['', () => L.layerNormalization(), sequence], ['axes', () => L.layerNormalization({ axis: [1, 2], center: false, scale: false }), sequence]],
  leakyReLU: [['', () => L.leakyReLU(), normal([2, 4])]],
  lstm: [['', () => L.lstm({ units: 2, dropout: 0.3, recurrentDropout: 0.3 }), sequence], ['returnState', () => L.lstm({ units: 2, returnSequences: true, returnState: true, goBackwards: true }), sequence],
    ['applyOutputs', () => L.lstm({ units: 2 }), sequence, 'applyOutputs']],
  masking: [['', () => L.masking(), sequence], ['maskValue', () => L.masking({ maskValue: 1 }), () => vb.tensor3d([[[1, 1], [2, 1]]])]],
  maxPooling1d: [['', () => L.maxPooling1d(), sequence], ['channelsFirst', () => L.maxPooling1d(channelsFirst), sequenceFirst]],
  maxPooling2d: [['', () => L.maxPooling2d(), image], ['channelsFirst', () => L.maxPooling2d(channelsFirst), imageFirst]],
  maxPooling3d: [['', () => L.maxPooling3d(), volume], ['channelsFirst', () => L.maxPooling3d(channelsFirst), volumeFirst]],
  maximum: [['3 inputs', () => L.maximum(), triple([2, 4])]],
  minimum: [['3 inputs', () => L.minimum(), triple([2, 4])]],
  multiHeadAttention: [['self', () => L.multiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.3 }), sequence], ['query, value', () => L.multiHeadAttention({ numHeads: 2, keyDim: 2 }), pair([2, 5, 3], [2, 4, 3])]],
  multiply: [['3 inputs', () => L.multiply(), triple([2, 4])]],
  permute: [['', () => L.permute({ dims: [2, 1] }), sequence]],
  prelu: [['', () => L.prelu(), normal([2, 4])], ['int32', () => L.prelu({ sharedAxes: [1] }), ints([2, 3, 4], 5)]],
  randomContrast: [['', () => L.randomContrast({ factor: 0.3 }), image]],
  randomCrop: [['', () => L.randomCrop({ height: 4, width: 5 }), image], ['channelsFirst', () => L.randomCrop({ height: 4, width: 5, ...channelsFirst }), imageFirst]],
  randomFlip: [['', () => L.randomFlip(), image], ['channelsFirst', () => L.randomFlip(channelsFirst), imageFirst]],
  randomRotation: [['', () => L.randomRotation({ factor: 0.2 }), image], ['channelsFirst', () => L.randomRotation({ factor: 0.2, interpolation: 'nearest', ...channelsFirst }), imageFirst]],
  randomTranslation: [['', () => L.randomTranslation({ heightFactor: 0.2, widthFactor: 0.2 }), image]],
  randomZoom: [['', () => L.randomZoom({ heightFactor: 0.2 }), image]],
  reLU: [['', () => L.reLU(), normal([2, 4])], ['maxValue', () => L.reLU({ maxValue: 1 }), normal([2, 4])], ['int32', () => L.reLU(), ints([2, 4], 5)]],
  repeatVector: [['', () => L.repeatVector({ n: 3 }), normal([2, 4])]],
  rescaling: [['', () => L.rescaling({ scale: 2, offset: 1 }), image], ['int32', () => L.rescaling({ scale: [1, 2, 3] }), ints([2, 2, 2, 3], 255)]],
  reshape: [['', () => L.reshape({ targetShape: [3, -1] }), sequence]],
  resizing: [['', () => L.resizing({ height: 4, width: 9 }), image], ['crop to aspect ratio', () => L.resizing({ height: 4, width: 9, cropToAspectRatio: true, interpolation: 'nearest' }), image],
    ['channelsFirst', () => L.resizing({ height: 4, width: 9, ...channelsFirst }), imageFirst]],
  separableConv2d: [['', () => L.separableConv2d({ filters: 2, kernelSize: 2, activation: 'relu' }), image], ['channelsFirst', () => L.separableConv2d({ filters: 2, kernelSize: 2, ...channelsFirst }), imageFirst]],
  simpleRNN: [['', () => L.simpleRNN({ units: 2, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true }), sequence]],
  rnn: [['stacked cells, returnState', () => L.rnn({ cell: [L.lstmCell({ units: 2, dropout: 0.3 }), L.gruCell({ units: 3, recurrentDropout: 0.3 })], returnSequences: true, returnState: true }), sequence, 'applyOutputs']],
  // A cell is no layer by itself: each runs in rnn.
  simpleRNNCell: [['in rnn', () => L.rnn({ cell: L.simpleRNNCell({ units: 2, dropout: 0.3, recurrentDropout: 0.3 }) }), sequence]],
  lstmCell: [['in rnn', () => L.rnn({ cell: L.lstmCell({ units: 2, dropout: 0.3, recurrentDropout: 0.3 }), returnSequences: true }), sequence]],
  gruCell: [['in rnn', () => L.rnn({ cell: L.gruCell({ units: 2, resetAfter: false, recurrentDropout: 0.3 }), goBackwards: true }), sequence]],
  stackedRNNCells: [['in rnn', () => L.rnn({ cell: L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 2 }), L.gruCell({ units: 2, dropout: 0.3 })] }) }), sequence]],
  softmax: [['', () => L.softmax(), normal([2, 4])], ['axis 1', () => L.softmax({ axis: 1 }), sequence]],
  spatialDropout1d: [['', () => L.spatialDropout1d({ rate: 0.3 }), sequence]],
  spatialDropout2d: [['', () => L.spatialDropout2d({ rate: 0.3 }), image], ['channelsFirst', () => L.spatialDropout2d({ rate: 0.3, ...channelsFirst }), imageFirst]],
  subtract: [['', () => L.subtract(), pair([2, 4], [2, 4])]],
  thresholdedReLU: [['', () => L.thresholdedReLU(), normal([2, 4])]],
  timeDistributed: [['dense', () => L.timeDistributed({ layer: L.dense({ units: 2, activation: 'tanh' }) }), sequence],
    ['dropout', () => L.timeDistributed({ layer: L.dropout({ rate: 0.3 }) }), sequence]],
  upSampling1d: [['', () => L.upSampling1d(), sequence]],
  upSampling2d: [['', () => L.upSampling2d(), image], ['channelsFirst', () => L.upSampling2d(channelsFirst), imageFirst]],
  upSampling3d: [['', () => L.upSampling3d(), volume], ['channelsFirst', () => L.upSampling3d(channelsFirst), volumeFirst]],
  zeroPadding1d: [['', () => L.zeroPadding1d(), sequence]],
  zeroPadding2d: [['', () => L.zeroPadding2d(), image], ['channelsFirst', () => L.zeroPadding2d(channelsFirst), imageFirst]],
  zeroPadding3d: [['', () => L.zeroPadding3d(), volume], ['channelsFirst', () => L.zeroPadding3d(channelsFirst), volumeFirst]],
};

/** Factories that make no layer. */
const NOT_LAYERS = new Set(['input']);

const live = () => vb.memory().numTensors;
const asList = (t: vb.Tensor | vb.Tensor[]) => (Array.isArray(t) ? t : [t]);

/** The leaks of one layer: a message per call that left more than its outputs (and first weights). */
function leaks([, make, inputs, method]: Case): string[] {
  const x = inputs();
  const start = live();
  const layer = make();
  const found: string[] = [];
  for (const training of [false, true]) {
    for (const call of ['first', 'second']) {
      const before = live();
      const weightsBefore = layer.weights.length;
      const context = { training, step: 1 };
      const outputs = method ? (layer as unknown as WithOutputs).applyOutputs(x as vb.Tensor, context) : asList(layer.apply(x, context) as vb.Tensor | vb.Tensor[]);
      // A layer that passes its input through (dropout at inference) returns no new tensor; one tensor may be two outputs (a state that is the output).
      const made = [...new Set(outputs)].filter((t) => !asList(x).includes(t));
      const expected = before + made.length + layer.weights.length - weightsBefore;
      const where = `${training ? 'training' : 'inference'}, ${call} call`;
      if (live() !== expected) found.push(`${where}: ${live() - expected} tensor(s) left beyond its ${made.length} output(s)`);
      vb.dispose(made);
    }
  }
  layer.dispose();
  if (live() !== start) found.push(`after disposing outputs and layer: ${live() - start} tensor(s) left`);
  vb.dispose(asList(x));
  return found;
}

it('every built-in layer factory has a case here (a new layer needs one)', () => {
  const factories = Object.keys(L).filter((n) => /^[a-z]/.test(n) && typeof (L as Record<string, unknown>)[n] === 'function' && !NOT_LAYERS.has(n));
  const covered = new Set(Object.keys(CASES).map((n) => (L as Record<string, unknown>)[n]));
  const missing = factories.filter((n) => !covered.has((L as Record<string, unknown>)[n]));
  assert.deepEqual(missing, [], `layer factories without a case: ${missing.join(', ')}`);
});

it('applied to tensors outside tidy, in inference and training, every built-in layer leaves only its outputs (and weights)', () => {
  const found = Object.entries(CASES).flatMap(([factory, cases]) => cases.flatMap((c) => leaks(c).map((m) => `${factory}${c[0] ? ` (${c[0]})` : ''}, ${m}`)));
  assert.deepEqual(found, [], `layers that leave tensors behind:\n${found.join('\n')}`);
});
