/** The embedding layer: the layer harness, TF.js as the oracle, masks and bad indices. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';

const L = vb.layers;
const make = (args: Record<string, unknown>) => L.embedding(args as unknown as vb.layers.EmbeddingArgs);

const CASES: LayerTestCase[] = [
  {
    name: 'embedding', make, args: { inputDim: 7, outputDim: 3 }, inputShapes: [[2, 5], [3, 2]], outputShapes: [[null, 5, 3], [null, 2, 3]],
    weights: [['embeddings', [7, 3]]], inputDtype: 'int32', intRange: 7,
    badArgs: [[{ inputDim: 0 }, /inputDim=0/], [{ outputDim: 2.5 }, /outputDim=2.5/], [{ inputLength: -1 }, /inputLength=-1/],
      [{ embeddingsInitializer: 'nope' }, /initializer="nope"/]],
  },
  {
    name: 'embedding maskZero, inputLength, l2', make, args: { inputDim: 5, outputDim: 2, maskZero: true, inputLength: 4, embeddingsRegularizer: 'l2', embeddingsInitializer: 'glorotUniform' },
    inputShapes: [[2, 4]], outputShapes: [[null, 4, 2]], weights: [['embeddings', [5, 2]]], inputDtype: 'int32', intRange: 5,
  },
  {
    name: 'embedding of rank 3 indices', make, args: { inputDim: 6, outputDim: 2 },
    inputShapes: [[2, 3, 4]], outputShapes: [[null, 3, 4, 2]], weights: [['embeddings', [6, 2]]], inputDtype: 'int32', intRange: 6,
  },
];

describe('embedding: the layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));
});

describe('embedding', () => {
  before(() => tf.setBackend('cpu'));

  it('gathers rows as TF.js does, and one training step updates the same rows by the same amounts', async () => {
    vb.setRandomSeed(1);
    const ids = [[1, 4, 4, 0], [9, 2, 3, 1], [5, 5, 5, 5]];
    const ours = vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 3, inputLength: 4 }), L.flatten(), L.dense({ units: 2 })] });
    const theirs = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 10, outputDim: 3, inputLength: 4 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    const x = vb.tensor(ids, [3, 4], 'int32');
    const y0 = ours.predict(x);
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync() as Float32Array, [...w.shape])));
    const tx = tf.tensor(ids, [3, 4], 'int32');
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, label: string) => {
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6 + 1e-5 * Math.abs(b[i]!), `${label}[${i}]: ${a[i]} vs ${b[i]}`);
    };
    close(y0.dataSync(), (theirs.predict(tx) as tf.Tensor).dataSync(), 'outputs');
    const target = vb.random.normal(vb.random.key(2), [3, 2]);
    ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.5 }), loss: 'mse' });
    theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const before = ours.getWeights()[0]!.dataSync().slice();
    await ours.trainOnBatch(x, target);
    await theirs.trainOnBatch(tx, tf.tensor(target.dataSync() as Float32Array, [3, 2]));
    const after = theirs.getWeights();
    ours.getWeights().forEach((w, i) => close(w.dataSync(), after[i]!.dataSync(), `weight ${i}`));
    // Rows never looked up (6, 7, 8) do not move.
    const embeddings = ours.getWeights()[0]!.dataSync();
    for (const row of [6, 7, 8]) for (let j = 0; j < 3; j++) assert.equal(embeddings[row * 3 + j], before[row * 3 + j]);
  });

  it('float32 inputs holding integers work; other values are errors naming the index and the range', () => {
    const layer = L.embedding({ inputDim: 4, outputDim: 2 });
    const fromInts = layer.apply(vb.tensor([[1, 3]], [1, 2], 'int32'));
    assert.deepEqual(Array.from(layer.apply(vb.tensor([[1, 3]])).dataSync()), Array.from(fromInts.dataSync()));
    assert.throws(() => layer.apply(vb.tensor([[1, 4]], [1, 2], 'int32')), /Expected indices in \[0, 4\)\. Received: inputs\[0\]\[1\]=4/);
    assert.throws(() => layer.apply(vb.tensor([[0, -1]], [1, 2], 'int32')), /Expected indices in \[0, 4\)\. Received: inputs\[0\]\[1\]=-1/);
    assert.throws(() => layer.apply(vb.tensor([[1.5, 2]])), /Expected indices in \[0, 4\)\. Received: inputs\[0\]\[0\]=1\.5/);
    assert.throws(() => layer.apply(vb.tensor([[NaN]])), /inputs\[0\]\[0\]=NaN/);
  });

  it('maskZero: the mask is true where the index is not 0; without maskZero there is none', () => {
    const masking = L.embedding({ inputDim: 4, outputDim: 2, maskZero: true });
    const x = vb.tensor([[0, 2, 0, 3]], [1, 4], 'int32');
    const mask = masking.computeMask(x, undefined)!;
    assert.equal(mask.dtype, 'bool');
    assert.deepEqual(Array.from(mask.dataSync()), [0, 1, 0, 1]);
    assert.equal(masking.supportsMasking, true);
    const plain = L.embedding({ inputDim: 4, outputDim: 2 });
    assert.equal(plain.computeMask(x, undefined), undefined);
  });

  it('inputLength declares the input shape (TF.js)', () => {
    const model = vb.sequential({ layers: [L.embedding({ inputDim: 5, outputDim: 2, inputLength: 3 })] });
    assert.deepEqual(model.expectedInputShapes(), [[null, 3]]);
    assert.throws(() => model.predict(vb.zeros([1, 4], 'int32')), /Expected x of shape \[null,3\]/);
  });

  it('default initializer: Keras uniform(-0.05, 0.05), from the weight name key', () => {
    vb.setRandomSeed(5);
    const layer = L.embedding({ inputDim: 50, outputDim: 8 });
    layer.apply(vb.tensor([[0]], [1, 1], 'int32'));
    const values = Array.from(layer.embeddings!.dataSync());
    assert.ok(values.every((v) => v >= -0.05 && v < 0.05) && Math.max(...values) > 0.04 && Math.min(...values) < -0.04);
    assert.equal(layer.getConfig().embeddingsInitializer, 'randomUniform');
  });
});
