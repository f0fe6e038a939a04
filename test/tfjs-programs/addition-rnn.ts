/**
 * addition-rnn: "12+7 " -> "19 " as sequences of one-hot characters; an encoder RNN (SimpleRNN,
 * GRU or LSTM), repeatVector to the answer's length, a decoder RNN returning sequences and a
 * timeDistributed Dense softmax over the characters; Adam and categorical cross-entropy.
 */
import { lcg, lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const chars = '0123456789+ ';
  const digits = 2;
  const questionLength = digits * 2 + 1;
  const answerLength = digits + 1;
  const random = lcg(2);
  const encode = (text: string, length: number) => {
    const padded = text.padEnd(length, ' ');
    return Array.from(padded, (ch) => Array.from(chars, (c) => (c === ch ? 1 : 0)));
  };
  const questions: number[][][] = [];
  const answers: number[][][] = [];
  for (let i = 0; i < 96; i++) {
    const a = Math.floor(random() * 100);
    const b = Math.floor(random() * 100);
    questions.push(encode(`${a}+${b}`, questionLength));
    answers.push(encode(`${a + b}`, answerLength));
  }
  const xs = tf.tensor3d(questions);
  const ys = tf.tensor3d(answers);
  const losses: number[] = [];
  const weights = [];
  for (const rnnType of ['SimpleRNN', 'GRU', 'LSTM']) {
    const rnn = rnnType === 'SimpleRNN' ? tf.layers.simpleRNN : rnnType === 'GRU' ? tf.layers.gru : tf.layers.lstm;
    const model = tf.sequential();
    model.add(rnn({ units: 24, recurrentInitializer: 'glorotNormal', inputShape: [questionLength, chars.length] }));
    model.add(tf.layers.repeatVector({ n: answerLength }));
    model.add(rnn({ units: 24, recurrentInitializer: 'glorotNormal', returnSequences: true }));
    model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: chars.length }) }));
    model.add(tf.layers.activation({ activation: 'softmax' }));
    model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const history = await model.fit(xs, ys, { epochs: rnnType === 'SimpleRNN' ? 8 : 2, batchSize: 32 });
    if (rnnType === 'SimpleRNN') losses.push(...lossesOf(history));
    weights.push(...model.getWeights());
  }
  return { losses, weights };
};
export default program;
