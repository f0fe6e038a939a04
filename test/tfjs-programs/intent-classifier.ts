/**
 * intent-classifier: sentences embedded by the Universal Sentence Encoder (a stand-in here:
 * fixed 64-dimensional vectors per word, averaged; the original's model is a download) and
 * classified into intents by Dense layers with Adam and categorical cross-entropy; also the
 * tagging variant: an LSTM over token embeddings with a timeDistributed Dense softmax.
 */
import { lcg, lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(64);
  const dims = 64;
  const intents = ['weather', 'music', 'alarm'];
  const vocabulary = ['rain', 'sunny', 'play', 'song', 'wake', 'alarm', 'me', 'the', 'at', 'some'];
  const wordVectors = vocabulary.map(() => Array.from({ length: dims }, () => random() * 2 - 1));
  const sentences: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 60; i++) {
    const intent = i % 3;
    sentences.push([intent * 2, intent * 2 + (random() < 0.5 ? 0 : 1), 6 + Math.floor(random() * 4)]);
    labels.push(intent);
  }
  const embed = (words: number[]) => wordVectors[0]!.map((_, d) => words.reduce((s, w) => s + wordVectors[w]![d]!, 0) / words.length);
  const xs = tf.tensor2d(sentences.map(embed));
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), intents.length);
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [dims], units: 32, activation: 'relu' }));
  model.add(tf.layers.dense({ units: intents.length, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: tf.train.adam(0.01), metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, { epochs: 10, batchSize: 16, validationSplit: 0.2 });

  const tagger = tf.sequential();
  tagger.add(tf.layers.lstm({ units: 8, returnSequences: true, inputShape: [3, dims] }));
  tagger.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'softmax' }) }));
  tagger.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  const tokens = tf.tensor3d(sentences.map((s) => s.map((w) => wordVectors[w]!)));
  const tags = tf.tensor3d(sentences.map((s) => s.map((w) => (w < 6 ? [0, 1] : [1, 0]))));
  await tagger.fit(tokens, tags, { epochs: 2, batchSize: 20 });
  const accuracy = history.history.acc as number[];
  return {
    losses: lossesOf(history), weights: [...model.getWeights(), ...tagger.getWeights()],
    accuracy: { value: Number(accuracy[accuracy.length - 1]), chance: 1 / 3 },
  };
};
export default program;
