/**
 * lstm-text-generation: next-character prediction on a text: windows of one-hot characters,
 * stacked LSTMs and a Dense softmax, RMSprop and categorical cross-entropy, trained epoch by
 * epoch with fit; then generation by sampling with temperature through tf.multinomial.
 */
import { lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const text = 'the quick brown fox jumps over the lazy dog. '.repeat(4);
  const chars = Array.from(new Set(text)).sort();
  const sampleLength = 8;
  const windows: number[][][] = [];
  const next: number[][] = [];
  for (let start = 0; start + sampleLength < text.length; start += 2) {
    windows.push(Array.from(text.slice(start, start + sampleLength), (ch) => chars.map((c) => (c === ch ? 1 : 0))));
    next.push(chars.map((c) => (c === text[start + sampleLength] ? 1 : 0)));
  }
  const xs = tf.tensor3d(windows);
  const ys = tf.tensor2d(next);
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 24, returnSequences: true, inputShape: [sampleLength, chars.length] }));
  model.add(tf.layers.lstm({ units: 24 }));
  model.add(tf.layers.dense({ units: chars.length, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.rmsprop(0.01), loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 4; epoch++) {
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 32, validationSplit: 0.1 });
    losses.push(...lossesOf(history));
  }
  let seed = text.slice(0, sampleLength);
  let generated = '';
  for (let i = 0; i < 10; i++) {
    const index = tf.tidy(() => {
      const input = tf.tensor3d([Array.from(seed, (ch) => chars.map((c) => (c === ch ? 1 : 0)))]);
      const probabilities = (model.predict(input) as ReturnType<typeof tf.tensor2d>).squeeze();
      const logits = tf.div(tf.log(probabilities), tf.scalar(0.75));
      return tf.multinomial(logits as ReturnType<typeof tf.tensor1d>, 1, 7, false).dataSync()[0]!;
    });
    generated += chars[index];
    seed = seed.slice(1) + chars[index];
  }
  if (generated.length !== 10) throw new Error('lstm-text-generation: no text generated');
  return { losses, weights: model.getWeights() };
};
export default program;
