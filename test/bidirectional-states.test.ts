/**
 * Bidirectional's initial states (Keras 3 and TF.js): the forward layer's states, then the
 * backward layer's, given as apply([x, ...states]) or apply(x, {initialState}); TF.js 4.22 as the
 * oracle of the split, in graphs with training and files, and errors for a wrong count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose, toTf } from './helpers/close.js';

const L = vb.layers;
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

describe('bidirectional: initial states', () => {
  it('the forward layer takes the first half, the backward layer the second, as TF.js (lstm, returnSequences and returnState)', () => {
    vb.setRandomSeed(4);
    const x = vb.random.normal(vb.random.key(1), [2, 5, 3]);
    const states = [11, 12, 13, 14].map((k) => vb.random.normal(vb.random.key(k), [2, 3]));
    const ours = L.bidirectional({ layer: L.lstm({ units: 3, returnSequences: true, returnState: true }) });
    const outputs = ours.apply(x, { initialState: states }) as unknown as vb.Tensor[];
    assert.equal(outputs.length, 5, 'the merged sequence, then the forward and backward h and c');
    const theirs = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' }) as tf.RNN });
    theirs.apply(toTf(x));
    theirs.setWeights(ours.getWeights().map(toTf));
    const expected = theirs.apply(toTf(x), { initialState: states.map(toTf) }) as tf.Tensor[];
    outputs.forEach((o, i) => assertClose(o.dataSync(), expected[i]!.dataSync(), `output ${i}`));
    // With the states swapped between the directions the outputs differ: the split is not symmetric.
    const swapped = ours.apply([x, states[2]!, states[3]!, states[0]!, states[1]!]) as unknown as vb.Tensor[];
    assert.notDeepEqual(bits(swapped[0]!), bits(outputs[0]!));
    // Without states: zeros, as before.
    const zero = vb.zeros([2, 3]);
    assert.deepEqual(bits((ours.apply(x) as unknown as vb.Tensor[])[0]!), bits((ours.apply([x, zero, zero, zero, zero]) as unknown as vb.Tensor[])[0]!));
  });

  it('in a functional model: trains with the states as inputs, a mask on the sequence, and saves and loads to the same bits', async () => {
    vb.setRandomSeed(6);
    const tokens = vb.input({ shape: [4], dtype: 'int32', name: 'tokens' });
    const [hf, hb] = [vb.input({ shape: [2], name: 'hf' }), vb.input({ shape: [2], name: 'hb' })];
    const embedded = L.embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(tokens);
    const encoded = L.bidirectional({ layer: L.gru({ units: 2 }) }).apply([embedded, hf, hb]);
    const model = vb.model({ inputs: [tokens, hf, hb], outputs: L.dense({ units: 1 }).apply(encoded) });
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const ids = vb.tensor2d([[1, 2, 0, 0], [3, 4, 5, 1], [2, 0, 0, 0]], [3, 4], 'int32');
    const h = vb.random.normal(vb.random.key(3), [3, 2]);
    const hBack = vb.random.normal(vb.random.key(4), [3, 2]);
    const y = vb.tensor2d([[1], [0], [0.5]]);
    await model.fit([ids, h, hBack], y, { epochs: 2, verbose: 0 });
    const prediction = model.predict([ids, h, hBack]) as vb.Tensor;
    // The states reach the layer: other states, another prediction.
    assert.notDeepEqual(bits(model.predict([ids, hBack, h]) as vb.Tensor), bits(prediction));
    let saved: vb.ModelArtifacts | undefined;
    await model.save(vb.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: vb.io.getModelArtifactsInfoForJSON(a) };
    }));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(saved!));
    assert.deepEqual(bits(loaded.predict([ids, h, hBack]) as vb.Tensor), bits(prediction));
    model.dispose();
    loaded.dispose();
  });

  it('TF.js loads the model with the states as inputs and predicts the same', async () => {
    vb.setRandomSeed(7);
    const seq = vb.input({ shape: [4, 3], name: 'seq' });
    const [hf, hb] = [vb.input({ shape: [2], name: 'hf' }), vb.input({ shape: [2], name: 'hb' })];
    const encoded = L.bidirectional({ layer: L.gru({ units: 2, resetAfter: false }) }).apply([seq, hf, hb]);
    const model = vb.model({ inputs: [seq, hf, hb], outputs: L.dense({ units: 1 }).apply(encoded) });
    let saved: vb.ModelArtifacts | undefined;
    await model.save(vb.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: vb.io.getModelArtifactsInfoForJSON(a) };
    }));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    const inputs = [[2, 4, 3], [2, 2], [2, 2]].map((shape, i) => vb.random.normal(vb.random.key(20 + i), shape));
    assertClose((model.predict(inputs) as vb.Tensor).dataSync(), (theirs.predict(inputs.map(toTf)) as tf.Tensor).dataSync(), 'predictions');
    model.dispose();
    theirs.dispose();
  });

  it('a wrong number of states is an error naming the count expected', () => {
    const x = vb.ones([1, 4, 3]);
    const h = vb.zeros([1, 2]);
    assert.throws(() => L.bidirectional({ layer: L.gru({ units: 2 }) }).apply([x, h, h, h]),
      /Bidirectional \(.*\): Expected 2 initial states: the forward layer's 1, then the backward layer's\. Received: initialState="a list of 3"/);
    assert.throws(() => L.bidirectional({ layer: L.lstm({ units: 2 }) }).apply(x, { initialState: [h, h] }), /Expected 4 initial states/);
  });
});
