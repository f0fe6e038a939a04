/**
 * Recurrent layers (simpleRNN, lstm, gru, bidirectional): the layer harness for each, TF.js 4.22
 * as the oracle (same weights, same outputs and one training step), GRU's resetAfter mode (which
 * TF.js lacks) against a float64 reference, masks, dropout masks and returnState.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { oracleTwins, randomizeWeights, type RecurrentOracleCase } from './helpers/recurrent-oracle.js';
import { assertClose, assertSameSgdStep, toTf } from './helpers/close.js';

const L = vb.layers;
const make = <A>(factory: (args: A) => vb.layers.Layer) => (args: Record<string, unknown>) => factory(args as A);
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const makeBidirectional = (args: Record<string, unknown>) => L.bidirectional(args as unknown as vb.layers.BidirectionalArgs);

const CASES: LayerTestCase[] = [
  {
    name: 'simpleRNN', make: make(L.simpleRNN), args: { units: 3 }, inputShapes: [[2, 5, 4], [3, 1, 4]], outputShapes: [[null, 3], [null, 3]],
    weights: [['kernel', [4, 3]], ['recurrent_kernel', [3, 3]], ['bias', [3]]], smooth: true,
    badArgs: [[{ units: 0 }, /units=0/], [{ dropout: 1 }, /dropout=1/], [{ recurrentDropout: -0.1 }, /recurrentDropout=-0.1/], [{ stateful: 1 }, /stateful=1/],
      [{ returnSequences: 'yes' }, /returnSequences="yes"/], [{ activation: 'swoosh' }, /activation="swoosh"/]],
  },
  {
    name: 'simpleRNN relu, returnSequences, goBackwards', make: make(L.simpleRNN), args: { units: 2, activation: 'relu', returnSequences: true, goBackwards: true },
    inputShapes: [[2, 4, 3]], outputShapes: [[null, 4, 2]], weights: [['kernel', [3, 2]], ['recurrent_kernel', [2, 2]], ['bias', [2]]],
  },
  {
    name: 'lstm', make: make(L.lstm), args: { units: 4 }, inputShapes: [[2, 6, 3], [1, 2, 3]], outputShapes: [[null, 4], [null, 4]],
    weights: [['kernel', [3, 16]], ['recurrent_kernel', [4, 16]], ['bias', [16]]], smooth: true,
    badArgs: [[{ recurrentActivation: 'nope' }, /recurrentActivation|activation="nope"/], [{ unitForgetBias: 1 }, /unitForgetBias=1/]],
  },
  {
    name: 'lstm returnSequences with dropout and recurrentDropout', make: make(L.lstm), args: { units: 3, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, kernelRegularizer: 'l2' },
    inputShapes: [[3, 5, 2]], outputShapes: [[null, 5, 3]], weights: [['kernel', [2, 12]], ['recurrent_kernel', [3, 12]], ['bias', [12]]], smooth: true,
  },
  {
    name: 'gru (resetAfter)', make: make(L.gru), args: { units: 3 }, inputShapes: [[2, 4, 5]], outputShapes: [[null, 3]],
    weights: [['kernel', [5, 9]], ['recurrent_kernel', [3, 9]], ['bias', [2, 9]]], smooth: true, badArgs: [[{ resetAfter: 'no' }, /resetAfter="no"/]],
  },
  {
    name: 'gru resetAfter false, goBackwards, dropout', make: make(L.gru), args: { units: 3, resetAfter: false, goBackwards: true, recurrentDropout: 0.5 },
    inputShapes: [[2, 4, 2]], outputShapes: [[null, 3]], weights: [['kernel', [2, 9]], ['recurrent_kernel', [3, 9]], ['bias', [9]]], smooth: true,
  },
  {
    name: 'gru without bias', make: make(L.gru), args: { units: 2, useBias: false, returnSequences: true },
    inputShapes: [[2, 3, 2]], outputShapes: [[null, 3, 2]], weights: [['kernel', [2, 6]], ['recurrent_kernel', [2, 6]]], smooth: true,
  },
  {
    name: 'bidirectional lstm concat', make: makeBidirectional, args: { layer: { className: 'LSTM', config: L.lstm({ units: 2, returnSequences: true }).getConfig() } },
    inputShapes: [[2, 4, 3]], outputShapes: [[null, 4, 4]],
    weights: [['forward_lstm/kernel', [3, 8]], ['forward_lstm/recurrent_kernel', [2, 8]], ['forward_lstm/bias', [8]],
      ['backward_lstm/kernel', [3, 8]], ['backward_lstm/recurrent_kernel', [2, 8]], ['backward_lstm/bias', [8]]], smooth: true,
    badArgs: [[{ mergeMode: 'max' }, /mergeMode="max"/], [{ layer: L.dense({ units: 2 }) }, /Expected layer/], [{ layer: { className: 'Dense', config: {} } }, /className="Dense"/]],
  },
  {
    name: 'bidirectional gru ave, dropout', make: makeBidirectional, args: { layer: { className: 'GRU', config: L.gru({ units: 2, dropout: 0.5 }).getConfig() }, mergeMode: 'ave' },
    inputShapes: [[2, 3, 3]], outputShapes: [[null, 2]],
    weights: [['forward_gru/kernel', [3, 6]], ['forward_gru/recurrent_kernel', [2, 6]], ['forward_gru/bias', [2, 6]],
      ['backward_gru/kernel', [3, 6]], ['backward_gru/recurrent_kernel', [2, 6]], ['backward_gru/bias', [2, 6]]], smooth: true,
  },
];

describe('recurrent layers: the layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));
});


describe('recurrent layers against TF.js: same weights, same outputs, one training step', () => {
  before(() => tf.setBackend('cpu'));
  // TF.js's defaults differ (recurrentActivation hardSigmoid, its own hardSigmoid): Keras's are passed explicitly.
  const ORACLE: RecurrentOracleCase[] = [
    { name: 'simpleRNN', ours: () => L.simpleRNN({ units: 4 }), theirs: () => tf.layers.simpleRNN({ units: 4 }), input: [3, 6, 5] },
    { name: 'simpleRNN returnSequences goBackwards', ours: () => L.simpleRNN({ units: 3, returnSequences: true, goBackwards: true }), theirs: () => tf.layers.simpleRNN({ units: 3, returnSequences: true, goBackwards: true }), input: [3, 5, 2], sequences: true },
    { name: 'lstm', ours: () => L.lstm({ units: 5 }), theirs: () => tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid' }), input: [3, 7, 4] },
    { name: 'lstm returnSequences', ours: () => L.lstm({ units: 3, returnSequences: true }), theirs: () => tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }), input: [2, 6, 3], sequences: true },
    { name: 'gru resetAfter false', ours: () => L.gru({ units: 4, resetAfter: false }), theirs: () => tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }), input: [3, 6, 3] },
    { name: 'gru resetAfter false goBackwards', ours: () => L.gru({ units: 3, resetAfter: false, goBackwards: true }), theirs: () => tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', goBackwards: true }), input: [2, 5, 4] },
    ...(['concat', 'sum', 'mul', 'ave'] as const).map((mergeMode) => ({
      name: `bidirectional lstm ${mergeMode}`, input: [3, 5, 3],
      ours: () => L.bidirectional({ layer: L.lstm({ units: 3 }), mergeMode }),
      theirs: () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode }),
    })),
    {
      name: 'bidirectional gru returnSequences', input: [2, 4, 3], sequences: true,
      ours: () => L.bidirectional({ layer: L.gru({ units: 2, resetAfter: false, returnSequences: true }) }),
      theirs: () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN }),
    },
  ];
  for (const c of ORACLE) {
    it(c.name, async () => {
      const { x, ours, theirs, y0 } = oracleTwins(c);
      await assertSameSgdStep(ours, theirs, x, vb.random.normal(vb.random.key(2), [...y0.shape]), c.name);
      ours.dispose();
    });
  }

  it('masking: steps whose features all equal maskValue are masked for an lstm, as TF.js, one training step, and files both ways', async () => {
    vb.setRandomSeed(5);
    // Padded with the mask value -1 before, between and after steps; a step with -1 in one feature only is not masked.
    const x = vb.tensor3d([
      [[-1, -1], [-1, -1], [0.5, 1], [2, -1]],
      [[1, 2], [-1, -1], [3, 0], [-1, -1]],
      [[0.2, 0.1], [0.3, -0.5], [1, 1], [-1, 0.7]],
    ]);
    const masking = L.masking({ maskValue: -1 });
    // Masked steps are the input times 0: -0 here, as in TF.js and Keras (-1 * 0).
    const expected = [[[-0, -0], [-0, -0], [0.5, 1], [2, -1]], [[1, 2], [-0, -0], [3, 0], [-0, -0]], [[0.2, 0.1], [0.3, -0.5], [1, 1], [-1, 0.7]]];
    assert.deepEqual((masking.apply(x) as vb.Tensor).arraySync(), expected.map((row) => row.map((step) => step.map((v) => Math.fround(v)))));
    const held = vb.memory().numTensors;
    const mask = masking.computeMask(x, undefined);
    assert.equal(vb.memory().numTensors, held + 1, 'computeMask outside tidy leaves its mask only');
    assert.deepEqual(mask.arraySync(), [[0, 0, 1, 1], [1, 0, 1, 0], [1, 1, 1, 1]]);
    mask.dispose();
    const ours = vb.sequential({ layers: [L.masking({ maskValue: -1, inputShape: [4, 2] }), L.lstm({ units: 3 }), L.dense({ units: 2 })] });
    randomizeWeights(ours, 20);
    const theirs = tf.sequential({ layers: [tf.layers.masking({ maskValue: -1, inputShape: [4, 2] }), tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 2 })] });
    theirs.setWeights(ours.getWeights().map(toTf));
    const y0 = ours.predict(x) as vb.Tensor;
    assertClose(y0.dataSync(), (theirs.predict(toTf(x)) as tf.Tensor).dataSync(), 'outputs');
    // verbatim's file in TF.js, and TF.js's in verbatim.
    const info = { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } };
    let ourFile: vb.ModelArtifacts | undefined;
    await ours.save(vb.io.withSaveHandler(async (a) => { ourFile = a; return info; }));
    const inTfjs = await tf.loadLayersModel(tf.io.fromMemory(ourFile as tf.io.ModelArtifacts));
    assertClose(y0.dataSync(), (inTfjs.predict(toTf(x)) as tf.Tensor).dataSync(), 'TF.js loads verbatim\'s file');
    let theirFile: tf.io.ModelArtifacts | undefined;
    await theirs.save(tf.io.withSaveHandler(async (a) => { theirFile = a; return info; }));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(theirFile as unknown as vb.ModelArtifacts));
    assert.deepEqual(bits(loaded.predict(x) as vb.Tensor), bits(y0), 'verbatim loads TF.js\'s file: the same bits as the model it saved');
    const target = vb.random.normal(vb.random.key(2), [3, 2]);
    ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    await ours.trainOnBatch(x, target);
    await theirs.trainOnBatch(toTf(x), toTf(target));
    const after = theirs.getWeights();
    ours.getWeights().forEach((w, i) => assertClose(w.dataSync(), after[i]!.dataSync(), `weight ${i} after one step`));
    ours.dispose();
    loaded.dispose();
  });

  it('masking refuses a maskValue that is not finite, which saved as null and loaded as maskValue 0 (another model, without a word)', () => {
    for (const maskValue of [Infinity, -Infinity, NaN]) {
      assert.throws(() => L.masking({ maskValue, inputShape: [2, 2] }), new RegExp(`^ValueError: Masking: Expected maskValue to be a finite number\\. Received: maskValue=${maskValue === -Infinity ? '-Infinity' : String(maskValue)}$`));
    }
    assert.equal(L.masking({ maskValue: null as unknown as number }).maskValue, 0, 'null is the default, as in TF.js');
  });

  it('masks: embedding(maskZero) into an lstm and a bidirectional gru, padded on both sides, as TF.js, and one training step (the lstm\'s loss masked)', async () => {
    vb.setRandomSeed(4);
    const ids = [[0, 0, 3, 5, 1], [2, 4, 0, 0, 0], [7, 1, 2, 3, 4], [0, 6, 0, 2, 0]];
    for (const [name, ours, theirs] of [
      ['lstm', () => L.lstm({ units: 3, returnSequences: true }), () => tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' })],
      // Not returning sequences: Keras (and verbatim) output zeros at masked steps inside Bidirectional, TF.js does not.
      ['bidirectional gru', () => L.bidirectional({ layer: L.gru({ units: 2, resetAfter: false }) }),
        () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, recurrentActivation: 'sigmoid' }) as tf.RNN })],
    ] as const) {
      const model = vb.sequential({ layers: [L.embedding({ inputDim: 8, outputDim: 3, maskZero: true, inputLength: 5 }), ours()] });
      const x = vb.tensor(ids, [4, 5], 'int32');
      model.predict(x).dispose();
      randomizeWeights(model, 20);
      const reference = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 8, outputDim: 3, maskZero: true, inputLength: 5 }), theirs()] });
      reference.setWeights(model.getWeights().map(toTf));
      const tx = tf.tensor(ids, [4, 5], 'int32');
      const y0 = model.predict(x);
      assertClose(y0.dataSync(), (reference.predict(tx) as tf.Tensor).dataSync(), `${name} with a mask`);
      const target = vb.random.normal(vb.random.key(21), [...y0.shape]);
      model.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.5 }), loss: 'mse' });
      // The lstm's output carries the mask: verbatim (Keras 3) averages its loss over the unmasked
      // steps, where TF.js ignores masks in losses; TF.js is given that loss by hand.
      const steps = tf.cast(tf.notEqual(tx, 0), 'float32');
      const maskedMse = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.div(tf.sum(tf.mul(tf.mean(tf.square(tf.sub(yPred, yTrue)), -1), steps)), tf.sum(steps));
      reference.compile({ optimizer: tf.train.sgd(0.5), loss: name === 'lstm' ? maskedMse : 'meanSquaredError' });
      await model.trainOnBatch(x, target);
      await reference.trainOnBatch(tx, toTf(target));
      const after = reference.getWeights();
      model.getWeights().forEach((w, i) => assertClose(w.dataSync(), after[i]!.dataSync(), `${name}: weight ${i} after one step with a mask`));
      model.dispose();
    }
  });

  it('returnState: applyOutputs gives [output, h, c] as TF.js; the output is h', () => {
    const layer = L.lstm({ units: 3, returnState: true, returnSequences: true });
    const x = vb.random.normal(vb.random.key(5), [2, 4, 3]);
    const [sequence, h, c] = layer.applyOutputs(x);
    const reference = tf.layers.lstm({ units: 3, returnState: true, returnSequences: true, recurrentActivation: 'sigmoid' });
    const theirs = reference.apply(toTf(x)) as tf.Tensor[];
    reference.setWeights(layer.weights.map((w) => toTf(w.variable)));
    const again = reference.apply(toTf(x)) as tf.Tensor[];
    assert.equal(theirs.length, 3);
    assertClose(sequence!.dataSync(), again[0]!.dataSync(), 'sequence');
    assertClose(h!.dataSync(), again[1]!.dataSync(), 'h');
    assertClose(c!.dataSync(), again[2]!.dataSync(), 'c');
    assert.deepEqual(bits(vb.squeeze(vb.slice(sequence!, [0, 3, 0], [-1, 1, -1]), [1])), bits(h!));
    const gru = L.gru({ units: 2, returnState: true });
    const [out, state] = gru.applyOutputs(x);
    assert.deepEqual(bits(out!), bits(state!));
  });
});

/** Keras's GRU with resetAfter (TF.js has no such mode) in float64, from the layer's own weights. */
function gruResetAfter64(x: vb.Tensor, layer: vb.layers.GRU): number[] {
  const [batch, time, inputDim] = x.shape as [number, number, number];
  const u = layer.units;
  const xs = x.dataSync();
  const k = layer.kernel!.dataSync(), r = layer.recurrentKernel!.dataSync(), b = layer.bias!.dataSync();
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const out: number[] = [];
  for (let n = 0; n < batch; n++) {
    let h = new Array<number>(u).fill(0);
    for (let t = 0; t < time; t++) {
      const proj = (g: number, j: number) => {
        let s = b[g * u + j]!;
        for (let d = 0; d < inputDim; d++) s += xs[(n * time + t) * inputDim + d]! * k[d * 3 * u + g * u + j]!;
        return s;
      };
      const inner = (g: number, j: number) => {
        let s = b[3 * u + g * u + j]!;
        for (let i = 0; i < u; i++) s += h[i]! * r[i * 3 * u + g * u + j]!;
        return s;
      };
      h = h.map((hj, j) => {
        const z = sigmoid(proj(0, j) + inner(0, j));
        const rr = sigmoid(proj(1, j) + inner(1, j));
        const hh = Math.tanh(proj(2, j) + rr * inner(2, j));
        return z * hj + (1 - z) * hh;
      });
    }
    out.push(...h);
  }
  return out;
}

describe('recurrent layers: references, masks, dropout', () => {
  it('gru resetAfter (the Keras default) matches a float64 reference', () => {
    vb.setRandomSeed(6);
    const layer = L.gru({ units: 4, biasInitializer: 'randomNormal' });
    const x = vb.random.normal(vb.random.key(7), [3, 6, 5]);
    assertClose(layer.apply(x).dataSync(), gruResetAfter64(x, layer), 'gru resetAfter');
  });

  it('lstm: unitForgetBias starts the forget gate at 1; Keras initializers', () => {
    const layer = L.lstm({ units: 2 });
    layer.apply(vb.zeros([1, 2, 3]));
    assert.deepEqual(Array.from(layer.bias!.dataSync()), [0, 0, 1, 1, 0, 0, 0, 0]);
    const r = layer.recurrentKernel!.dataSync();
    // orthogonal [2, 8]: its rows are orthonormal.
    const dot = (i: number, j: number) => Array.from({ length: 8 }, (_, c) => r[i * 8 + c]! * r[j * 8 + c]!).reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(dot(0, 0) - 1) < 1e-5 && Math.abs(dot(1, 1) - 1) < 1e-5 && Math.abs(dot(0, 1)) < 1e-5);
    const plain = L.lstm({ units: 2, unitForgetBias: false });
    plain.apply(vb.zeros([1, 2, 3]));
    assert.deepEqual(Array.from(plain.bias!.dataSync()), new Array(8).fill(0));
  });

  it('inside Bidirectional returning sequences, masked steps output zeros (Keras)', () => {
    vb.setRandomSeed(15);
    const layer = L.bidirectional({ layer: L.gru({ units: 2, returnSequences: true }), mergeMode: 'sum' });
    const y = layer.apply(vb.random.normal(vb.random.key(16), [1, 3, 2]), { mask: vb.tensor([[true, false, true]], [1, 3], 'bool') });
    assert.deepEqual(Array.from(vb.slice(y, [0, 1, 0], [1, 1, 2]).dataSync()), [0, 0]);
    assert.ok(Array.from(vb.slice(y, [0, 2, 0], [1, 1, 2]).dataSync()).every((v) => v !== 0));
  });

  it('masked steps keep the state: a masked step gives the bits of the sequence without it', () => {
    for (const make of [() => L.lstm({ units: 3, returnSequences: true }), () => L.gru({ units: 3, returnSequences: true }), () => L.simpleRNN({ units: 3, returnSequences: true, goBackwards: true })]) {
      vb.setRandomSeed(8);
      const layer = make();
      const x = vb.random.normal(vb.random.key(9), [2, 5, 2]);
      const mask = vb.tensor([[true, false, true, true, false], [true, true, true, true, true]], [2, 5], 'bool');
      const masked = layer.apply(x, { mask });
      const kept = layer.apply(vb.gather(vb.slice(x, [0], [1]), [0, 2, 3], 1));
      const steps = (t: vb.Tensor, n: number) => vb.slice(t, [0, 0, 0], [1, n, -1]);
      // Forwards: steps 0, 2, 3 of the masked run equal the unmasked run's 3 steps; a masked step repeats the previous output.
      const m = vb.slice(masked, [0], [1]);
      const picked = layer.goBackwards ? vb.gather(m, [1, 2, 4], 1) : vb.gather(m, [0, 2, 3], 1);
      assert.deepEqual(bits(picked), bits(steps(kept, 3)), `${layer.className}: unmasked steps`);
      // Outputs come in processing order: backwards, step 4 (masked, first) outputs the initial zeros.
      const repeated = layer.goBackwards ? [[3, 2]] : [[1, 0], [4, 3]];
      for (const [t, previous] of repeated) assert.deepEqual(bits(vb.gather(m, [t!], 1)), bits(vb.gather(m, [previous!], 1)), `${layer.className}: step ${t} repeats step ${previous}`);
      if (layer.goBackwards) assert.deepEqual(Array.from(vb.gather(m, [0], 1).dataSync()), [0, 0, 0]);
    }
  });

  it('with an initial state, masked steps before the first unmasked one output zeros, not the initial state (Keras)', () => {
    vb.setRandomSeed(19);
    const x = vb.random.normal(vb.random.key(20), [2, 4, 3]);
    // Row 0 starts with two masked steps; row 1 is masked throughout.
    const mask = vb.tensor([[false, false, true, true], [false, false, false, false]], [2, 4], 'bool');
    const initialState = [vb.random.normal(vb.random.key(21), [2, 2]), vb.random.normal(vb.random.key(22), [2, 2])];
    const sequences = L.lstm({ units: 2, returnSequences: true, returnState: true });
    const [y, h, c] = sequences.apply([x, ...initialState], { mask }) as unknown as vb.Tensor[];
    assert.deepEqual(Array.from(vb.slice(y!, [0, 0, 0], [1, 2, 2]).dataSync()), [0, 0, 0, 0], 'row 0, steps 0 and 1');
    assert.deepEqual(Array.from(vb.slice(y!, [1, 0, 0], [1, 4, 2]).dataSync()), new Array(8).fill(0), 'row 1, every step');
    assert.ok(Array.from(vb.slice(y!, [0, 2, 0], [1, 2, 2]).dataSync()).every((v) => v !== 0), 'row 0, unmasked steps');
    // The states are kept through masked steps: row 1 ends with its initial state.
    assert.deepEqual(bits(vb.slice(h!, [1], [1])), bits(vb.slice(initialState[0]!, [1], [1])));
    assert.deepEqual(bits(vb.slice(c!, [1], [1])), bits(vb.slice(initialState[1]!, [1], [1])));
    const last = L.lstm({ units: 2 });
    last.apply(x);
    last.setWeights(sequences.getWeights());
    const out = last.apply([x, ...initialState], { mask });
    assert.deepEqual(bits(vb.slice(out, [0], [1])), bits(vb.slice(h!, [0], [1])), 'row 0: the last unmasked step\'s output');
    assert.deepEqual(Array.from(vb.slice(out, [1], [1]).dataSync()), [0, 0], 'row 1: no unmasked step, zeros');
  });

  it('maskZero: a padded sequence gives the bits of the unpadded one, padded before or after; Dense passes the mask on', () => {
    vb.setRandomSeed(10);
    const layers = () => [L.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), L.dense({ units: 4 }), L.lstm({ units: 3 })];
    const model = vb.sequential({ layers: layers() });
    model.predict(vb.zeros([1, 5], 'int32')).dispose();
    const short = vb.sequential({ layers: layers() });
    short.predict(vb.zeros([1, 3], 'int32')).dispose();
    short.setWeights(model.getWeights());
    const plain = short.predict(vb.tensor([[3, 7, 2]], [1, 3], 'int32'));
    for (const padded of [[0, 0, 3, 7, 2], [3, 7, 2, 0, 0], [3, 0, 7, 0, 2]]) {
      assert.deepEqual(bits(model.predict(vb.tensor([padded], [1, 5], 'int32'))), bits(plain), `padded ${padded}`);
    }
    const unmasked = vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 4 }), L.dense({ units: 4 }), L.lstm({ units: 3 })] });
    unmasked.predict(vb.zeros([1, 5], 'int32')).dispose();
    unmasked.setWeights(model.getWeights());
    assert.notDeepEqual(bits(unmasked.predict(vb.tensor([[0, 0, 3, 7, 2]], [1, 5], 'int32'))), bits(plain), 'without maskZero the padding counts');
  });

  it('timeDistributed passes the mask on to a recurrent layer (Keras, TF.js): padding counts for nothing, no warning', () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      vb.setRandomSeed(23);
      const model = vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }), L.timeDistributed({ layer: L.dense({ units: 4 }) }), L.gru({ units: 2 })] });
      model.predict(vb.zeros([1, 5], 'int32')).dispose();
      randomizeWeights(model, 24);
      // Masked steps keep the state: wherever the padding lies, the output is that of the steps 3, 7, 2.
      const first = bits(model.predict(vb.tensor([[0, 0, 3, 7, 2]], [1, 5], 'int32')));
      for (const padded of [[3, 7, 2, 0, 0], [3, 0, 7, 0, 2]]) assert.deepEqual(bits(model.predict(vb.tensor([padded], [1, 5], 'int32'))), first, `padded ${padded}`);
      assert.deepEqual(warnings, []);
    } finally {
      console.warn = warn;
    }
  });

  it('bidirectional with mergeMode null gives the mask to both its outputs in graphs (Keras, TF.js): padding counts for nothing after either', () => {
    vb.setRandomSeed(35);
    const ids = vb.input({ shape: [5], dtype: 'int32' });
    const [forward, backward] = L.bidirectional({ layer: L.lstm({ units: 2, returnSequences: true }), mergeMode: null })
      .apply(L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(ids)) as unknown as vb.SymbolicTensor[];
    const model = vb.model({ inputs: ids, outputs: L.concatenate().apply([L.gru({ units: 2 }).apply(forward!), L.gru({ units: 2 }).apply(backward!)]) });
    randomizeWeights(model, 36);
    const first = bits(model.predict(vb.tensor([[0, 0, 3, 7, 2]], [1, 5], 'int32')) as vb.Tensor);
    for (const padded of [[3, 7, 2, 0, 0], [3, 0, 7, 0, 2]]) assert.deepEqual(bits(model.predict(vb.tensor([padded], [1, 5], 'int32')) as vb.Tensor), first, `padded ${padded}`);
    model.dispose();
  });

  it('layerNormalization and the noise layers pass the mask on to a recurrent layer (Keras, TF.js): padding counts for nothing, no warning', () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      vb.setRandomSeed(33);
      const model = vb.sequential({
        layers: [L.embedding({ inputDim: 10, outputDim: 3, maskZero: true }), L.layerNormalization(), L.gaussianNoise({ stddev: 0.1 }), L.gaussianDropout({ rate: 0.1 }),
          L.alphaDropout({ rate: 0.1 }), L.spatialDropout1d({ rate: 0.1 }), L.lstm({ units: 2 })],
      });
      model.predict(vb.zeros([1, 5], 'int32')).dispose();
      randomizeWeights(model, 34);
      const first = bits(model.predict(vb.tensor([[0, 0, 3, 7, 2]], [1, 5], 'int32')));
      for (const padded of [[3, 7, 2, 0, 0], [3, 0, 7, 0, 2]]) assert.deepEqual(bits(model.predict(vb.tensor([padded], [1, 5], 'int32'))), first, `padded ${padded}`);
      assert.deepEqual(warnings, []);
    } finally {
      console.warn = warn;
    }
  });

  it('a layer without mask support drops the mask (with a warning)', () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      vb.setRandomSeed(11);
      const model = vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 2, maskZero: true }), L.reshape({ targetShape: [3, 2] }), L.simpleRNN({ units: 2 })] });
      const a = model.predict(vb.tensor([[0, 4, 5]], [1, 3], 'int32'));
      const b = model.predict(vb.tensor([[4, 5, 0]], [1, 3], 'int32'));
      assert.notDeepEqual(bits(a), bits(b), 'the zeros count once the mask is dropped');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /reshape.*does not support masking/);
    } finally {
      console.warn = warn;
    }
  });

  it('dropout masks: fixed within a sequence, fresh per training step, the same on every run', () => {
    const run = (step: number) => {
      vb.setRandomSeed(12);
      // Linear, no recurrence: output t = (x_t * mask) . kernel, so equal inputs over time show whether the mask is.
      const layer = L.simpleRNN({ name: 'dropout_probe', units: 3, activation: 'linear', useBias: false, recurrentInitializer: 'zeros', dropout: 0.5, returnSequences: true });
      const x = vb.tile(vb.random.normal(vb.random.key(13), [2, 1, 6]), [1, 4, 1]);
      const y = layer.apply(x, { training: true, step });
      layer.dispose();
      return y;
    };
    const y = run(0);
    const first = bits(vb.slice(y, [0, 0, 0], [-1, 1, -1]));
    for (let t = 1; t < 4; t++) assert.deepEqual(bits(vb.slice(y, [0, t, 0], [-1, 1, -1])), first, `step ${t} uses the same mask`);
    assert.deepEqual(bits(run(0)), bits(y), 'the same on every run');
    assert.notDeepEqual(bits(run(1)), bits(y), 'fresh the next training step');
    const inference = L.simpleRNN({ units: 3, dropout: 0.5 });
    const x = vb.random.normal(vb.random.key(14), [2, 3, 2]);
    assert.deepEqual(bits(inference.apply(x)), bits(inference.apply(x, { training: false, step: 5 })), 'no dropout in inference');
  });

  it('several outputs: a Sequential model needs one, apply and applyOutputs give them all', () => {
    assert.throws(() => vb.sequential({ layers: [L.lstm({ units: 2, returnState: true, inputShape: [3, 2], name: 'stateful' })] }),
      /Expected layers of one output in a Sequential model.*Received: layer="stateful", outputs=3/);
    assert.deepEqual((L.lstm({ units: 2, returnState: true }).apply(vb.ones([1, 3, 2])) as unknown as vb.Tensor[]).map((t) => t.shape), [[1, 2], [1, 2], [1, 2]]);
    const both = L.bidirectional({ layer: L.simpleRNN({ units: 2 }), mergeMode: null });
    assert.throws(() => vb.sequential({ layers: [L.bidirectional({ layer: L.simpleRNN({ units: 2 }), mergeMode: null, inputShape: [3, 2], name: 'both' })] }),
      /Expected layers of one output in a Sequential model.*Received: layer="both", outputs=2/);
    const [forward, backward] = both.applyOutputs(vb.ones([1, 3, 2]));
    assert.deepEqual([forward!.shape, backward!.shape], [[1, 2], [1, 2]]);
    const declaredInside = vb.sequential({ layers: [L.bidirectional({ layer: L.gru({ units: 2, inputShape: [3, 2] }) })] });
    assert.deepEqual(declaredInside.expectedInputShapes(), [[null, 3, 2]]);
    const withState = L.bidirectional({ layer: L.lstm({ units: 2, returnState: true }) });
    assert.deepEqual(withState.applyOutputs(vb.ones([1, 3, 2])).map((t) => t.shape), [[1, 4], [1, 2], [1, 2], [1, 2], [1, 2]]);
  });

  it('bidirectional with returnState or mergeMode null gives every output from apply and in graphs, as TF.js (the graph had one and predict failed), and saves', async () => {
    vb.setRandomSeed(25);
    const x = vb.random.normal(vb.random.key(26), [2, 4, 3]);
    for (const [name, ours, theirs] of [
      ['returnState', () => L.bidirectional({ layer: L.lstm({ units: 2, returnState: true }) }), () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnState: true, recurrentActivation: 'sigmoid' }) as tf.RNN })],
      ['mergeMode null', () => L.bidirectional({ layer: L.gru({ units: 2, resetAfter: false, returnSequences: true }), mergeMode: null }),
        () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: null as never })],
    ] as const) {
      const input = vb.input({ shape: [4, 3] });
      const layer = ours();
      const outputs = layer.apply(input) as unknown as vb.SymbolicTensor[];
      const model = vb.model({ inputs: input, outputs });
      const reference = theirs();
      const theirOutputs = reference.apply(tf.input({ shape: [4, 3] })) as tf.SymbolicTensor[];
      assert.deepEqual(outputs.map((t) => t.shape), theirOutputs.map((t) => t.shape), `${name}: shapes`);
      reference.setWeights(layer.getWeights().map(toTf));
      const expected = reference.apply(toTf(x)) as tf.Tensor[];
      const predicted = model.predict(x) as vb.Tensor[];
      const applied = layer.apply(x) as unknown as vb.Tensor[];
      let artifacts: vb.ModelArtifacts | undefined;
      await model.save(vb.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const loaded = (await vb.loadLayersModel(vb.io.fromMemory(artifacts!))).predict(x) as vb.Tensor[];
      const theirLoaded = (await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts))).predict(toTf(x)) as tf.Tensor[];
      expected.forEach((e, i) => {
        assertClose(predicted[i]!.dataSync(), e.dataSync(), `${name}: output ${i} of the graph`);
        assert.deepEqual(bits(applied[i]!), bits(predicted[i]!), `${name}: output ${i} of apply`);
        assert.deepEqual(bits(loaded[i]!), bits(predicted[i]!), `${name}: output ${i} saved and loaded`);
        assertClose(theirLoaded[i]!.dataSync(), e.dataSync(), `${name}: output ${i} loaded in TF.js`);
      });
      model.dispose();
    }
  });

  it('apply(x, {initialState}) type-checks as the README writes it (TypeScript refused the option), and states that are not tensors are an error naming them', () => {
    vb.setRandomSeed(27);
    const x = vb.random.normal(vb.random.key(28), [2, 3, 2]);
    const layer = L.lstm({ units: 2 });
    const states = [vb.random.normal(vb.random.key(29), [2, 2]), vb.random.normal(vb.random.key(30), [2, 2])];
    const options: vb.layers.ApplyOptions = { initialState: states };
    assert.deepEqual(bits(layer.apply(x, options)), bits(layer.apply([x, ...states])));
    const input = vb.input({ shape: [3, 2] });
    const [h, c] = [vb.input({ shape: [2] }), vb.input({ shape: [2] })];
    const model = vb.model({ inputs: [input, h, c], outputs: layer.apply(input, { initialState: [h, c] }) });
    assert.deepEqual(bits(model.predict([x, ...states]) as vb.Tensor), bits(layer.apply([x, ...states])));
    assert.throws(() => layer.apply(x, { initialState: [[[0, 0], [0, 0]]] } as never), /lstm(_\d+)?\.apply: Expected one input tensor and initialState a list of tensors\. Received: initialState=\[\[\[0, 0\], \[0, 0\]\]\]/);
    model.dispose();
  });

  it('a wrapped layer made with trainable: false stays frozen in bidirectional (both directions) and timeDistributed, through fit and saved files, as TF.js', async () => {
    vb.setRandomSeed(31);
    for (const [name, wrapped, theirs] of [
      ['bidirectional', () => L.bidirectional({ layer: L.lstm({ units: 2, returnSequences: true, trainable: false }), inputShape: [3, 2] }),
        () => tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnSequences: true, trainable: false }) as tf.RNN, inputShape: [3, 2] })],
      ['timeDistributed', () => L.timeDistributed({ layer: L.dense({ units: 2, trainable: false }), inputShape: [3, 2] }),
        () => tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, trainable: false }), inputShape: [3, 2] })],
    ] as const) {
      const model = vb.sequential({ layers: [wrapped(), L.flatten(), L.dense({ units: 1 })] });
      const reference = tf.sequential({ layers: [theirs(), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
      assert.equal(model.trainableWeights.length, reference.trainableWeights.length, `${name}: trainable weights`);
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const frozen = model.layers[0]!.getWeights().map(bits);
      await model.fit(vb.ones([4, 3, 2]), vb.ones([4, 1]), { epochs: 1, verbose: 0 });
      assert.deepEqual(model.layers[0]!.getWeights().map(bits), frozen, `${name}: fit left the wrapped weights`);
      let artifacts: vb.ModelArtifacts | undefined;
      await model.save(vb.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      assert.equal((await vb.loadLayersModel(vb.io.fromMemory(artifacts!))).trainableWeights.length, model.trainableWeights.length, `${name}: loaded`);
      assert.equal((await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts))).trainableWeights.length, model.trainableWeights.length, `${name}: loaded in TF.js`);
      model.dispose();
    }
  });

  it('unroll: true (TF.js and Keras) is taken, in factories and files: the loop is always unrolled', async () => {
    vb.setRandomSeed(17);
    const x = vb.random.normal(vb.random.key(18), [2, 3, 2]);
    const unrolled = L.gru({ units: 2, unroll: true } as never);
    const plain = L.gru({ units: 2 });
    unrolled.apply(x);
    plain.apply(x);
    unrolled.setWeights(plain.getWeights());
    assert.deepEqual(bits(unrolled.apply(x)), bits(plain.apply(x)));
    assert.throws(() => L.lstm({ units: 2, unroll: 'yes' } as never), /LSTM: Expected unroll to be a boolean\. Received: unroll="yes"/);
    // Only recurrent layers have the option: another layer given it refuses it, as any option it lacks.
    assert.throws(() => L.dense({ units: 2, unroll: true } as never), /Dense: Expected options among .*Received: unroll=true/);
    let artifacts: tf.io.ModelArtifacts | undefined;
    const saved = tf.sequential({ layers: [tf.layers.simpleRNN({ units: 2, unroll: true, inputShape: [3, 2] })] });
    await saved.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts));
    const y = saved.predict(toTf(x)) as tf.Tensor;
    assertClose((loaded.predict(x) as vb.Tensor).dataSync(), y.dataSync(), 'a TF.js file with unroll: true');
  });

  it('a seed that is not an integer is an error naming it, in every seeded layer (it was a SyntaxError from BigInt)', () => {
    const makers: [string, (seed: unknown) => unknown][] = [
      ['LSTM', (seed) => L.lstm({ units: 2, dropout: 0.5, seed } as never)], ['GRU', (seed) => L.gru({ units: 2, seed } as never)],
      ['Dropout', (seed) => L.dropout({ rate: 0.5, seed } as never)], ['MultiHeadAttention', (seed) => L.multiHeadAttention({ numHeads: 1, keyDim: 2, seed } as never)],
      ['GaussianNoise', (seed) => L.gaussianNoise({ stddev: 1, seed } as never)], ['RandomFlip', (seed) => L.randomFlip({ seed } as never)],
    ];
    for (const [className, make] of makers) {
      for (const [seed, shown] of [['abc', '"abc"'], ['1.5', '"1.5"'], [1.5, '1.5'], [{}, '{}']] as const) {
        assert.throws(() => make(seed), new RegExp(`${className}: Expected seed to be an integer .*Received: seed=${shown.replace(/[.{}]/g, '\\$&')}$`), `${className} seed ${shown}`);
      }
      assert.doesNotThrow(() => make('12345678901234567890'), `${className}: a bigint seed's decimal string`);
    }
  });

  it('timeDistributed of a layer of several outputs (returnState) is an error naming it, in graphs and on tensors (it was a TypeError)', () => {
    const wrapped = () => L.timeDistributed({ layer: L.lstm({ units: 2, returnState: true, name: 'encoder' }) });
    const message = /TimeDistributed \(.*\): Expected a wrapped layer of one output\. Received: layer="encoder", outputs=3/;
    assert.throws(() => wrapped().apply(vb.input({ shape: [2, 3, 4] })), message);
    assert.throws(() => wrapped().apply(vb.ones([1, 2, 3, 4])), message);
  });


  it('bad inputs are errors naming them', () => {
    const layer = L.lstm({ units: 2 });
    assert.throws(() => layer.apply(vb.zeros([2, 3])), /Expected inputs of shape \[batch, time, features\].*inputShape=\[null, 3\]/);
    layer.apply(vb.zeros([1, 2, 3]));
    assert.throws(() => layer.apply(vb.zeros([1, 2, 4])), /Expected inputs of shape \[batch, time >= 1, 3\].*inputs.shape=\[1, 2, 4\]/);
    assert.throws(() => layer.apply(vb.zeros([1, 2, 3]), { mask: vb.tensor([[true]], [1, 1], 'bool') }), /Expected a bool mask of shape \[1, 2\]/);
    const used = L.gru({ units: 2 });
    used.apply(vb.zeros([1, 2, 3]));
    assert.throws(() => L.bidirectional({ layer: used }), /not already built/);
  });
});
