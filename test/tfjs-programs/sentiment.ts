/**
 * sentiment: movie reviews as padded sequences of word indices; an Embedding, then either a
 * Conv1D with globalMaxPool1d or an LSTM, a Dense sigmoid; Adam and binary cross-entropy
 * with a validation split.
 */
import { lcg, lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const vocabularySize = 40;
  const maxLength = 12;
  const random = lcg(9);
  const sequences: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 96; i++) {
    const positive = i % 2;
    const length = 5 + Math.floor(random() * 7);
    const words = Array.from({ length }, () => 2 + Math.floor(random() * (vocabularySize - 2)));
    words[Math.floor(random() * length)] = positive ? 1 : 38;
    sequences.push([...Array(maxLength - length).fill(0), ...words]);
    labels.push(positive);
  }
  const xs = tf.tensor2d(sequences, [96, maxLength]);
  const ys = tf.tensor1d(labels);
  const losses: number[] = [];
  const weights = [];
  for (const modelType of ['cnn', 'lstm']) {
    const model = tf.sequential();
    model.add(tf.layers.embedding({ inputDim: vocabularySize, outputDim: 8, inputLength: maxLength }));
    if (modelType === 'cnn') {
      model.add(tf.layers.dropout({ rate: 0.2 }));
      model.add(tf.layers.conv1d({ filters: 16, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }));
      model.add(tf.layers.globalMaxPool1d({}));
      model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
    } else {
      model.add(tf.layers.lstm({ units: 12 }));
    }
    model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ loss: 'binaryCrossentropy', optimizer: tf.train.adam(0.01), metrics: ['acc'] });
    const history = await model.fit(xs, ys, { epochs: modelType === 'cnn' ? 10 : 3, batchSize: 32, validationSplit: 0.2 });
    if (modelType === 'cnn') losses.push(...lossesOf(history));
    weights.push(...model.getWeights());
  }
  return { losses, weights };
};
export default program;
