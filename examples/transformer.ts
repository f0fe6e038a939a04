// A small transformer encoder, trained on sequences the example makes itself (no download): each
// sequence of 32 tokens (vocabulary 50) is labelled 1 when token 1 appears more often than token 2.
// Token and position embeddings, one encoder block (multi-head self-attention, residual
// connections, layer normalization, a feed-forward network, dropout), average pooling and a
// sigmoid output. It prints the test accuracy (well above the 0.5 of chance) and the weights
// digest, the same on every run, backend, thread count and engine.
import * as vb from 'verbatim';

vb.setRandomSeed(42);
vb.enableOpDeterminism();

const VOCABULARY = 50;
const LENGTH = 32;
const WIDTH = 32;

/** Sequences of tokens in [1, VOCABULARY) and their labels, from a generator of this seed. */
function makeData(seed: number, count: number): { tokens: vb.Tensor; positions: vb.Tensor; labels: vb.Tensor } {
  const rng = vb.random.generator(seed);
  const tokens = rng.integers([count, LENGTH], 1, VOCABULARY);
  const ones = vb.sum(vb.cast(vb.equal(tokens, 1), 'int32'), 1);
  const twos = vb.sum(vb.cast(vb.equal(tokens, 2), 'int32'), 1);
  const labels = vb.reshape(vb.cast(vb.greater(ones, twos), 'float32'), [count, 1]);
  const positions = vb.tile(vb.reshape(vb.range(0, LENGTH, 1, 'int32'), [1, LENGTH]), [count, 1]);
  return { tokens, positions, labels };
}

/** One transformer encoder block (Keras's example): attention and feed-forward, each residual and normalized. */
function encoderBlock(x: vb.layers.SymbolicTensor, numHeads: number, feedForward: number, rate: number): vb.layers.SymbolicTensor {
  const attention = vb.layers.multiHeadAttention({ numHeads, keyDim: WIDTH / numHeads }).apply([x, x]) as vb.layers.SymbolicTensor;
  const attended = vb.layers.dropout({ rate }).apply(attention) as vb.layers.SymbolicTensor;
  const x1 = vb.layers.layerNormalization({ epsilon: 1e-6 }).apply(vb.layers.add().apply([x, attended])) as vb.layers.SymbolicTensor;
  const hidden = vb.layers.dense({ units: feedForward, activation: 'relu' }).apply(x1) as vb.layers.SymbolicTensor;
  const projected = vb.layers.dropout({ rate }).apply(vb.layers.dense({ units: WIDTH }).apply(hidden)) as vb.layers.SymbolicTensor;
  return vb.layers.layerNormalization({ epsilon: 1e-6 }).apply(vb.layers.add().apply([x1, projected])) as vb.layers.SymbolicTensor;
}

const tokens = vb.input({ shape: [LENGTH], dtype: 'int32', name: 'tokens' });
const positions = vb.input({ shape: [LENGTH], dtype: 'int32', name: 'positions' });
const embedded = vb.layers.add().apply([
  vb.layers.embedding({ inputDim: VOCABULARY, outputDim: WIDTH }).apply(tokens),
  vb.layers.embedding({ inputDim: LENGTH, outputDim: WIDTH }).apply(positions),
]) as vb.layers.SymbolicTensor;
const encoded = encoderBlock(embedded, 4, 64, 0.1);
const pooled = vb.layers.globalAveragePooling1d().apply(encoded);
const output = vb.layers.dense({ units: 1, activation: 'sigmoid' }).apply(pooled) as vb.layers.SymbolicTensor;
const model = vb.model({ inputs: [tokens, positions], outputs: output, name: 'transformer' });
model.compile({ optimizer: vb.optimizers.adam({ learningRate: 0.003 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });

const train = makeData(1, 2048);
const test = makeData(2, 512);
const history = await model.fit([train.tokens, train.positions], train.labels, { epochs: 6, batchSize: 64, shuffle: true, verbose: 2 });
const [, accuracy] = model.evaluate([test.tokens, test.positions], test.labels) as vb.Tensor[];

console.log('history', JSON.stringify(history.history));
console.log('accuracy', accuracy!.dataSync()[0]);
console.log('digest', model.weightsDigest());
