/**
 * rnn over cells (simpleRNNCell, lstmCell, gruCell, stackedRNNCells, a list of cells): the layer
 * harness, bitwise the training of the layer it names (rnn(lstmCell) is lstm), TF.js 4.22 as the
 * oracle (same weights, same outputs, one training step, files both ways), stacked states and
 * errors.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { assertClose, assertSameSgdStep, toTf } from './helpers/close.js';
import { oracleTwins, type RecurrentOracleCase } from './helpers/recurrent-oracle.js';

const L = vb.layers;
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const makeRnn = (args: Record<string, unknown>) => L.rnn(args as unknown as vb.layers.RNNArgs);
const info = { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } };

async function artifactsOf(model: vb.LayersModel): Promise<vb.ModelArtifacts> {
  let out: vb.ModelArtifacts | undefined;
  await model.save(vb.io.withSaveHandler(async (a) => { out = a; return info; }));
  return out!;
}

async function tfArtifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => { out = a; return info; }));
  return out!;
}

const weights = (prefix: string, input: number, units: number, gates: number, bias: number[] = [gates * units]): [string, number[]][] =>
  [[`${prefix}kernel`, [input, gates * units]], [`${prefix}recurrent_kernel`, [units, gates * units]], [`${prefix}bias`, bias]];

// Cells given as {className, config}: the harness makes the layer several times, and a cell serves one layer.
const CASES: LayerTestCase[] = [
  {
    name: 'rnn(lstmCell)', make: makeRnn, args: { cell: { className: 'LSTMCell', config: { units: 4 } } },
    inputShapes: [[2, 6, 3], [1, 2, 3]], outputShapes: [[null, 4], [null, 4]], weights: weights('', 3, 4, 4), smooth: true,
    badArgs: [[{ cell: undefined }, /cell=undefined/], [{ cell: { className: 'Dense', config: { units: 2 } } }, /cell="Dense"/],
      [{ cell: { className: 'LSTMCell', config: { units: 0 } } }, /units=0/], [{ stateful: 1 }, /stateful=1/], [{ returnState: 'yes' }, /returnState="yes"/]],
  },
  {
    name: 'rnn(gruCell resetAfter false) returnSequences goBackwards, recurrentDropout', make: makeRnn,
    args: { cell: { className: 'GRUCell', config: { units: 3, resetAfter: false, recurrentDropout: 0.25 } }, returnSequences: true, goBackwards: true },
    inputShapes: [[2, 4, 2]], outputShapes: [[null, 4, 3]], weights: weights('', 2, 3, 3), smooth: true,
  },
  {
    name: 'rnn(simpleRNNCell relu, dropout)', make: makeRnn, args: { cell: { className: 'SimpleRNNCell', config: { units: 2, activation: 'relu', dropout: 0.3 } } },
    inputShapes: [[3, 5, 4]], outputShapes: [[null, 2]], weights: weights('', 4, 2, 1),
  },
  {
    name: 'rnn(stackedRNNCells [lstmCell, gruCell]) with dropout', make: makeRnn,
    args: { cell: { className: 'StackedRNNCells', config: { cells: [
      { className: 'LSTMCell', config: { units: 3, dropout: 0.2, recurrentDropout: 0.3 } }, { className: 'GRUCell', config: { units: 2, dropout: 0.4 } },
    ] } }, returnSequences: true },
    inputShapes: [[2, 5, 3], [1, 2, 3]], outputShapes: [[null, 5, 2], [null, 2, 2]],
    weights: [...weights('RNNCell_0/', 3, 3, 4), ...weights('RNNCell_1/', 3, 2, 3, [2, 6])], smooth: true,
    badArgs: [[{ cell: { className: 'StackedRNNCells', config: { cells: [] } } }, /cells=\[\]/],
      [{ cell: { className: 'StackedRNNCells', config: { cells: [{ className: 'StackedRNNCells', config: { cells: [{ className: 'GRUCell', config: { units: 1 } }] } }] } } }, /cells\[0\]="StackedRNNCells"/]],
  },
  {
    name: 'bidirectional(rnn(gruCell))', make: (args) => L.bidirectional(args as unknown as vb.layers.BidirectionalArgs),
    args: { layer: { className: 'RNN', config: L.rnn({ cell: L.gruCell({ units: 2 }) }).getConfig() } },
    inputShapes: [[2, 3, 3]], outputShapes: [[null, 4]], weights: [...weights('forward_rnn/', 3, 2, 3, [2, 6]), ...weights('backward_rnn/', 3, 2, 3, [2, 6])], smooth: true,
  },
];

describe('rnn over cells: the layer harness', () => {
  for (const c of CASES) it(c.name, () => runLayerTest(c));
});

describe('rnn over cells trains bit for bit as the layer of that cell (Keras: LSTM is RNN(LSTMCell))', () => {
  const cases = [
    ['lstm, masked, dropout', (o: Record<string, unknown>) => L.lstm(o as unknown as vb.layers.LSTMArgs), (o: Record<string, unknown>) => L.lstmCell(o as unknown as vb.layers.LSTMCellArgs),
      { units: 4, dropout: 0.3, recurrentDropout: 0.2 }, { returnSequences: false }],
    ['gru resetAfter false, returnSequences, goBackwards, seeded dropout', (o: Record<string, unknown>) => L.gru(o as unknown as vb.layers.GRUArgs), (o: Record<string, unknown>) => L.gruCell(o as unknown as vb.layers.GRUCellArgs),
      { units: 3, resetAfter: false, recurrentDropout: 0.3, seed: 9 }, { returnSequences: true, goBackwards: true }],
    ['simpleRNN, kernel regularizer', (o: Record<string, unknown>) => L.simpleRNN(o as unknown as vb.layers.RecurrentArgs), (o: Record<string, unknown>) => L.simpleRNNCell(o as unknown as vb.layers.CellArgs),
      { units: 3, kernelRegularizer: 'l2', dropout: 0.2 }, { returnSequences: true }],
  ] as const;
  for (const [name, layer, cell, cellOptions, sequenceOptions] of cases) {
    it(name, async () => {
      const train = async (recurrent: () => vb.layers.Layer) => {
        vb.setRandomSeed(17);
        // The same model and layer names: the same weight keys and dropout keys.
        const model = vb.sequential({ name: 'cells_vs_layer', layers: [
          L.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputLength: 6 }), recurrent(), L.flatten(), L.dense({ units: 1 }),
        ] });
        model.compile({ optimizer: 'adam', loss: 'mse' });
        const x = vb.mul(vb.random.randint(vb.random.key(1), [12, 6], 1, 9), vb.cast(vb.greater(vb.random.uniform(vb.random.key(2), [12, 6]), 0.3), 'int32'));
        await model.fit(x, vb.random.normal(vb.random.key(3), [12, 1]), { epochs: 2, batchSize: 4, verbose: 0 });
        const out = model.getWeights().map(bits);
        model.dispose();
        return out;
      };
      const ofLayer = await train(() => layer({ ...cellOptions, ...sequenceOptions, name: 'recurrent' }));
      const ofCell = await train(() => L.rnn({ cell: cell(cellOptions), ...sequenceOptions, name: 'recurrent' }));
      assert.deepEqual(ofCell, ofLayer);
    });
  }
});

describe('rnn over cells against TF.js: same weights, same outputs, one training step, files both ways', () => {
  before(() => tf.setBackend('cpu'));
  // TF.js's cells default to its hardSigmoid: Keras's sigmoid is passed explicitly; TF.js's GRU is resetAfter false.
  const sig = { recurrentActivation: 'sigmoid' } as const;
  const ORACLE: RecurrentOracleCase[] = [
    { name: 'rnn(lstmCell)', ours: () => L.rnn({ cell: L.lstmCell({ units: 4 }) }), theirs: () => tf.layers.rnn({ cell: tf.layers.lstmCell({ units: 4, ...sig }) }), input: [3, 6, 4] },
    {
      name: 'rnn(simpleRNNCell) returnSequences goBackwards', input: [2, 5, 3], sequences: true,
      ours: () => L.rnn({ cell: L.simpleRNNCell({ units: 3 }), returnSequences: true, goBackwards: true }),
      theirs: () => tf.layers.rnn({ cell: tf.layers.simpleRNNCell({ units: 3 }), returnSequences: true, goBackwards: true }),
    },
    {
      name: 'rnn([lstmCell, gruCell]) (stacked)', input: [3, 5, 3],
      ours: () => L.rnn({ cell: [L.lstmCell({ units: 3 }), L.gruCell({ units: 2, resetAfter: false })] }),
      theirs: () => tf.layers.rnn({ cell: [tf.layers.lstmCell({ units: 3, ...sig }), tf.layers.gruCell({ units: 2, ...sig })] }),
    },
    {
      name: 'rnn(stackedRNNCells [simpleRNNCell, lstmCell, simpleRNNCell]) returnSequences', input: [2, 4, 3], sequences: true,
      ours: () => L.rnn({ cell: L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 2 }), L.lstmCell({ units: 3 }), L.simpleRNNCell({ units: 2, activation: 'relu' })] }), returnSequences: true }),
      theirs: () => tf.layers.rnn({ cell: tf.layers.stackedRNNCells({ cells: [tf.layers.simpleRNNCell({ units: 2 }), tf.layers.lstmCell({ units: 3, ...sig }), tf.layers.simpleRNNCell({ units: 2, activation: 'relu' })] }), returnSequences: true }),
    },
  ];
  for (const c of ORACLE) {
    it(c.name, async () => {
      const { x, ours, theirs, y0 } = oracleTwins(c);
      const tx = toTf(x);

      // verbatim's file in TF.js (weights matched by TF.js's names), and TF.js's in verbatim.
      const ourFile = await artifactsOf(ours);
      const inTfjs = await tf.loadLayersModel(tf.io.fromMemory(ourFile as tf.io.ModelArtifacts));
      assert.deepEqual(inTfjs.weights.map((w) => w.originalName), ourFile.weightSpecs!.map((s) => s.name));
      assertClose(y0.dataSync(), (inTfjs.predict(tx) as tf.Tensor).dataSync(), `${c.name}: TF.js loads verbatim's file`);
      const loaded = await vb.loadLayersModel(vb.io.fromMemory(await tfArtifactsOf(theirs) as unknown as vb.ModelArtifacts));
      assert.deepEqual(bits(loaded.predict(x) as vb.Tensor), bits(y0), `${c.name}: verbatim loads TF.js's file: the same bits as the model`);
      assert.equal(loaded.layers.find((l): l is vb.layers.RNN => l instanceof L.RNN)!.cell.className, (ours.layers[0] as vb.layers.RNN).cell.className);
      loaded.dispose();

      await assertSameSgdStep(ours, theirs, x, vb.random.normal(vb.random.key(2), [...y0.shape]), c.name);
      ours.dispose();
    });
  }

  it('a verbatim file of rnn over cells loads in verbatim as it was: configs, weights, the same bits after a training step', async () => {
    vb.setRandomSeed(8);
    const x = vb.random.normal(vb.random.key(4), [4, 5, 3]);
    const y = vb.random.normal(vb.random.key(5), [4, 1]);
    const model = vb.sequential({ layers: [
      L.rnn({ cell: [L.lstmCell({ units: 3, dropout: 0.2, name: 'first' }), L.gruCell({ units: 2, recurrentDropout: 0.3, trainable: false })], returnSequences: true, inputShape: [5, 3] }),
      L.rnn({ cell: L.simpleRNNCell({ units: 2, seed: 4 }) }), L.dense({ units: 1 }),
    ] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const file = await artifactsOf(model);
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(file));
    loaded.compile({ optimizer: 'sgd', loss: 'mse' });
    assert.deepEqual(loaded.layers.map((l) => l.getConfig()), model.layers.map((l) => l.getConfig()));
    assert.equal(loaded.trainableWeights.length, model.trainableWeights.length);
    assert.equal(model.trainableWeights.length, 3 + 3 + 2, 'the frozen gru cell trains nothing');
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    await loaded.fit(x, y, { epochs: 1, verbose: 0 });
    assert.deepEqual(loaded.getWeights().map(bits), model.getWeights().map(bits));
    model.dispose();
    loaded.dispose();
  });

  it('a graph using a stacked rnn\'s states (outputs, a decoder\'s initialState) means the same states in TF.js and verbatim, files both ways', async () => {
    // TF.js lists a stacked rnn's states last cell first, [out, h_gru, h_lstm, c_lstm]; verbatim first cell first (Keras 3).
    const x = vb.random.normal(vb.random.key(11), [2, 4, 2]);
    const tx = toTf(x);
    const tIn = tf.input({ shape: [4, 2] });
    const cells = () => [tf.layers.lstmCell({ units: 3, ...sig }), tf.layers.gruCell({ units: 2, ...sig })];
    const tEnc = tf.layers.rnn({ cell: cells(), returnState: true }).apply(tIn) as tf.SymbolicTensor[];
    const tDec = tf.layers.rnn({ cell: cells(), returnSequences: true }).apply(tIn, { initialState: tEnc.slice(1) }) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: tIn, outputs: [tEnc[1]!, tEnc[3]!, tDec] });
    const expected = (theirs.predict(tx) as tf.Tensor[]).map((t) => t.dataSync());
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(await tfArtifactsOf(theirs) as unknown as vb.ModelArtifacts));
    (loaded.predict(x) as vb.Tensor[]).forEach((t, i) => assertClose(t.dataSync(), expected[i]!, `TF.js's file in verbatim: output ${i}`));

    vb.setRandomSeed(12);
    const vIn = vb.layers.input({ shape: [4, 2] });
    const vCells = () => [L.lstmCell({ units: 3 }), L.gruCell({ units: 2, resetAfter: false })];
    const [, h1, c1, h2] = L.rnn({ cell: vCells(), returnState: true }).apply(vIn) as unknown as vb.layers.SymbolicTensor[];
    const vDec = L.rnn({ cell: vCells(), returnSequences: true }).apply([vIn, h1!, c1!, h2!]) as vb.layers.SymbolicTensor;
    const ours = vb.model({ inputs: vIn, outputs: [h2!, c1!, vDec] });
    const y = (ours.predict(x) as vb.Tensor[]).map((t) => t.dataSync());
    const file = await artifactsOf(ours);
    const inTfjs = await tf.loadLayersModel(tf.io.fromMemory(file as tf.io.ModelArtifacts));
    (inTfjs.predict(tx) as tf.Tensor[]).forEach((t, i) => assertClose(y[i]!, t.dataSync(), `verbatim's file in TF.js: output ${i}`));
    const again = await vb.loadLayersModel(vb.io.fromMemory(file));
    assert.deepEqual((again.predict(x) as vb.Tensor[]).map(bits), (ours.predict(x) as vb.Tensor[]).map(bits), 'verbatim\'s file in verbatim: the same bits');
    for (const m of [loaded, ours, again]) m.dispose();
  });
});

describe('rnn over cells: states, masks, errors', () => {
  it('stacked cells compute what the layers stacked compute; returnState gives every cell\'s states, first cell first (Keras), and initialState takes them back', () => {
    vb.setRandomSeed(6);
    const x = vb.random.normal(vb.random.key(7), [2, 4, 3]);
    const stacked = L.rnn({ cell: [L.lstmCell({ units: 3 }), L.gruCell({ units: 2 })], returnState: true });
    const [output, h1, c1, h2] = stacked.applyOutputs(x);
    const lower = L.rnn({ cell: L.lstmCell({ units: 3 }), returnSequences: true, returnState: true });
    const upper = L.rnn({ cell: L.gruCell({ units: 2 }), returnState: true });
    lower.applyOutputs(x);
    upper.applyOutputs(vb.zeros([2, 4, 3]));
    const w = stacked.getWeights();
    lower.setWeights(w.slice(0, 3));
    upper.setWeights(w.slice(3));
    const [sequence, lh, lc] = lower.applyOutputs(x);
    const [out, uh] = upper.applyOutputs(sequence!);
    assert.deepEqual(stacked.computeOutputShape([null, 4, 3]), [[null, 2], [null, 3], [null, 3], [null, 2]]);
    for (const [a, b, label] of [[output, out, 'output'], [h1, lh, 'h of the lstm cell'], [c1, lc, 'c of the lstm cell'], [h2, uh, 'h of the gru cell']] as const) {
      assertClose(a!.dataSync(), b!.dataSync(), label);
    }
    const again = stacked.applyOutputs([x, h1!, c1!, h2!]);
    const [, lh2] = lower.applyOutputs([x, lh!, lc!]);
    assert.notDeepEqual(bits(again[0]!), bits(output!), 'the initial states count');
    assertClose(again[1]!.dataSync(), lh2!.dataSync(), 'the lstm cell starts from its states');
    assert.throws(() => stacked.apply(x, { initialState: [h1!, c1!] }), /RNN \(rnn\w*\): Expected 3 initial state\(s\) of shape \[2, 3\] \[2, 3\] \[2, 2\]\. Received: initialState="\[2,3\] \[2,3\]"/);
  });

  it('masked steps keep every cell\'s states: a padded sequence gives the bits of the unpadded one', () => {
    vb.setRandomSeed(9);
    const layers = () => [L.embedding({ inputDim: 6, outputDim: 2, maskZero: true }), L.rnn({ cell: [L.lstmCell({ units: 2 }), L.simpleRNNCell({ units: 2, recurrentDropout: 0.5 })] })];
    const model = vb.sequential({ layers: layers() });
    model.predict(vb.zeros([1, 6], 'int32')).dispose();
    const short = vb.sequential({ layers: layers() });
    short.predict(vb.zeros([1, 3], 'int32')).dispose();
    short.setWeights(model.getWeights());
    const plain = short.predict(vb.tensor([[3, 5, 1]], [1, 3], 'int32'));
    assert.deepEqual(bits(model.predict(vb.tensor([[0, 3, 0, 5, 1, 0]], [1, 6], 'int32'))), bits(plain));
    model.dispose();
    short.dispose();
  });

  it('a cell used as a layer, shared, or not a cell is an error saying what to do', () => {
    const cell = L.lstmCell({ units: 2 });
    assert.throws(() => vb.sequential({ layers: [L.lstmCell({ units: 2, inputShape: [3, 2] })] }),
      /^ValueError: LSTMCell: Expected the cell inside a recurrent layer: vb\.layers\.rnn\(\{cell\}\) runs it over the sequence .*Received: cell="lstm_cell"$/);
    assert.throws(() => L.gruCell({ units: 2 }).apply(vb.ones([1, 2, 2])), /GRUCell: Expected the cell inside a recurrent layer.*Received: cell="gru_cell\w*"/);
    assert.throws(() => L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 1 })] }).apply(vb.input({ shape: [2, 2] })), /StackedRNNCells: Expected the cell inside a recurrent layer/);
    L.rnn({ cell });
    assert.throws(() => L.rnn({ cell }), /^ValueError: RNN: Expected a cell not already in a recurrent layer \(each has its own weights: make another\)\. Received: cell="LSTMCell"$/);
    const twice = L.simpleRNNCell({ units: 1 });
    assert.throws(() => L.rnn({ cell: [twice, twice] }), /StackedRNNCells: Expected distinct cells.*Received: cells\[1\]="SimpleRNNCell"/);
    assert.throws(() => L.rnn({} as vb.layers.RNNArgs), /^ValueError: RNN: Expected a cell: rnn\(\{cell: vb\.layers\.lstmCell\(\{units\}\)\}\), or a list of cells\. Received: cell=undefined$/);
    assert.throws(() => L.rnn({ cell: L.lstm({ units: 2 }) as unknown as vb.layers.LSTMCell }), /RNN: Expected cell to be a cell \(simpleRNNCell, lstmCell, gruCell, stackedRNNCells, or a list of cells\) or its \{className, config\}\. Received: cell="LSTM"/);
    assert.throws(() => L.rnn({ cell: [L.lstmCell({ units: 2 }), 'gru'] as unknown as vb.layers.LSTMCell[] }), /StackedRNNCells: Expected cells\[1\] to be a cell .*Received: cells\[1\]="gru"/);
    assert.throws(() => L.rnn({ cell: L.lstmCell({ units: 2 }), units: 3 } as vb.layers.RNNArgs), /RNN: Expected options among cell, returnSequences.*Received: units=3/);
    assert.throws(() => L.lstmCell({ units: 2, returnSequences: true } as vb.layers.LSTMCellArgs), /LSTMCell: Expected options among .*Received: returnSequences=true/);
    assert.throws(() => L.gruCell({ units: 2, resetAfter: 'no' } as unknown as vb.layers.GRUCellArgs), /^ValueError: GRUCell: Expected resetAfter to be a boolean\. Received: resetAfter="no"$/);
  });
});
